"""One row per case, from the results the sections already computed: ``case_facts``.

The leaders' page (:mod:`procmine.report.leaders`) compares the two halves of the
log's period with it, and the explorer (:mod:`procmine.report.explore`) embeds it,
compressed, for the browser to filter. Columns: ``case``, ``start``, ``duration``
(seconds), ``category``, ``source``, ``variant``, ``unit`` (the unit that handled
the case, see :func:`handling_units`), ``half`` (0 or 1: which half of the period
the case started in), ``on_time`` (the deadline's verdict, when the bottlenecks
section had deadlines; else missing) and one boolean column per loop pattern found.

The handling units need the events, part by part: the audit section reads them on its
own pass over the log (``audit_log(..., on_part=...)``, into ``ctx.results
["handling_units"]``), so that the leaders' page reads the log no second time; only
without that section's pass does :func:`case_facts` read the parts itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.log import ACTIVITY, CASE, RESOURCE

if TYPE_CHECKING:
    from procmine.report.context import _Context

#: the roles whose unit is the one that handled the order (the last of them counts)
_HANDLING = ("handle", "feedback", "sign")


def handling_units(engine: Any, *, aliases: Any = None) -> pd.Series:
    """Per case, the unit of its last handling step (签收, 处置, 反馈 by role); a case
    without such a step: the unit of most of its events. Empty without a unit column.

    >>> from procmine.engines import as_engine
    >>> from procmine.read import read_log
    >>> handling_units(as_engine(read_log("logs/sample.csv")))["GD0000003"]
    '街道自治办'
    """
    from procmine.engines.collector import log_parts

    if not engine.has(RESOURCE):
        return pd.Series(dtype="object")
    return joined_units([part_handling_units(part, aliases=aliases)
                         for part in log_parts(engine)])   # within the memory limit


def joined_units(found: list[pd.Series | None]) -> pd.Series:
    """The :func:`part_handling_units` of every part laid end to end: :func:`handling_units`,
    the units as categories (a code per case, each name once: the report holds them from
    the audit's pass to the page, and the names took 24 bytes a case as text)."""
    found = [units for units in found if units is not None]
    return (pd.concat(found).astype(str).astype("category") if found
            else pd.Series(dtype="object"))


def part_handling_units(part: Any, *, aliases: Any = None) -> pd.Series | None:
    """:func:`handling_units` of one part of whole cases (an ``EventLog``), on integer
    codes: the cases with a handling step in log order, then the others by case id.
    None when the part has no unit column."""
    if RESOURCE not in part.column_names:
        return None
    from procmine.abstractions import column_codes
    from procmine.vocabulary import roles_of

    def ids(cases: np.ndarray) -> np.ndarray:
        """The ids of cases (codes), from their first events."""
        return np.asarray(part.column(CASE, rows=first_event[cases]).to_numpy(), dtype=object)

    act, act_names = column_codes(part, ACTIVITY)
    unit, unit_names = column_codes(part, RESOURCE)
    case = part.case_codes().codes
    roles = roles_of(act_names, aliases)
    handles = np.array([roles[a] in _HANDLING for a in act_names] + [False], dtype=bool)
    known = unit >= 0
    n_cases = int(case.max()) + 1 if len(case) else 0
    first_event = np.full(n_cases, -1, dtype=np.int64)
    first_event[case[::-1]] = np.arange(len(case))[::-1]   # the first event is assigned last
    last = np.full(n_cases, -1, dtype=np.int64)
    at = np.flatnonzero(handles[act] & known)
    last[case[at]] = at                          # the last handling event of each case wins
    handled = np.flatnonzero(last >= 0)
    by_handling = pd.Series(unit_names[unit[last[handled]]], name=RESOURCE,
                            index=pd.Index(ids(handled), name=CASE))
    # the others: the unit of most of the case's events, the first met on a tie
    rest = np.flatnonzero(known & (last[case] < 0))
    width = max(len(unit_names), 1)
    key, pairs = pd.factorize(case[rest] * width + unit[rest], sort=False)
    n = np.bincount(key, minlength=len(pairs))
    pairs = np.asarray(pairs, dtype=np.int64)
    pair_case = pairs // width
    order = np.lexsort((np.arange(len(pairs)), -n, pair_case))
    if len(order):
        order = order[np.concatenate(([True], pair_case[order][1:] != pair_case[order][:-1]))]
    cases = ids(pair_case[order])
    by_id = np.argsort(cases, kind="stable")
    by_most = pd.Series(unit_names[pairs[order][by_id] % width], name=RESOURCE,
                        index=pd.Index(cases[by_id], name=CASE))
    return pd.concat([by_handling, by_most])


def case_facts(ctx: _Context) -> pd.DataFrame:
    """The per-case table of the module docstring (computed once per report).

    It holds about 120 bytes a case (part of :data:`procmine.report.memory.HELD_PER_CASE`): the
    case ids, categories, sources and units stay in Arrow (the engine's own strings),
    and the verdicts and pattern flags are looked up by position, never by a Python
    dict of ids (the flags of the flagged cases only: on 5M events, reading a row per
    case and looking all of them up took about 45 MiB more). The verdicts are the bottlenecks section's (:func:`deadline_verdicts`), and
    the patterns' flags are read without their measures (``LoopsResult.flags``), not kept
    on the result afterwards.
    """
    if "case_facts" in ctx.results:
        return ctx.results["case_facts"]
    from procmine.engines import as_engine

    engine = as_engine(ctx.log)
    # the columns the page needs, made for it in batches (the engine keeps no case table)
    cases = engine.cases(columns=["case", "start", "duration", "variant", "category", "source"])
    frame = pd.DataFrame({"case": cases["case"].astype(str), "start": cases["start"],
                          "duration": cases["duration"].astype(float),
                          "variant": cases["variant"].astype(int)})
    for column in ("category", "source"):
        frame[column] = _names(cases[column]) if column in cases else None
    del cases
    # from the audit section's pass; the case table keeps them from now on (so do the verdicts)
    units = ctx.results.pop("handling_units", None)
    if units is None:
        units = handling_units(engine, aliases=getattr(ctx.workflow, "aliases", None) or None)
    frame["unit"] = _taken(units.astype(str).array, lookup(frame["case"], units.index))
    first, last = frame["start"].min(), frame["start"].max()
    frame["half"] = (frame["start"] > first + (last - first) / 2).astype(int)
    bottlenecks = ctx.results.get("bottlenecks")
    deadlines = getattr(bottlenecks, "deadlines", None)
    if deadlines is not None:
        verdicts = ctx.results.pop("deadline_verdicts", None)   # from the bottlenecks section
        if verdicts is None:
            verdicts = deadline_verdicts(deadlines)
        frame["on_time"] = on_time_of_cases(frame["case"], verdicts)
    loops = ctx.results.get("patterns")
    if loops is not None:
        flags = loops.flags()   # the flagged cases, without the patterns' measures; not kept
        at = lookup(frame["case"], flags["case"])
        for pattern in loops.summary["pattern"]:
            if pattern in flags:       # a case not there (at -1) was flagged with none
                found = flags[pattern].fillna(False).to_numpy(dtype=bool)
                frame[pattern] = np.append(found, False)[at]
        del flags
    ctx.results["case_facts"] = frame
    return frame


def deadline_verdicts(deadlines: Any) -> pd.DataFrame:
    """Per case with a deadline (``deadlines`` a ``DeadlineResult``), its id (``case``, in
    Arrow) and the verdict (``on_time``: 1.0 on time, 0.0 overdue): the two columns of the
    deadlines' per-case table, measured without the others (``Deadlines.verdicts``).

    The bottlenecks measure the verdicts on a pass of their own when first asked: the
    report asks right after its bottlenecks section, so that the pass does not stack on
    the page's tables, and keeps these two columns (about 25 bytes a case). The whole
    per-case table (a Python string per case and five more columns) is not made for it.
    """
    table = deadlines.verdicts()
    return pd.DataFrame({"case": pd.Series(table["case"].array, copy=False).astype("str"),
                         "on_time": table["on_time"].to_numpy(dtype=float, copy=True)})


def on_time_of_cases(ids: pd.Series, verdicts: pd.DataFrame) -> np.ndarray:
    """The verdict of each case of ``ids`` (:func:`deadline_verdicts`), NaN for a case without a
    deadline (as a map of the verdicts by case id gives, in a float array)."""
    at = lookup(ids, verdicts["case"])
    on_time = verdicts["on_time"].to_numpy(dtype=float)
    return np.where(at >= 0, on_time[at], np.nan)


def lookup(ids: pd.Series, keys: pd.Series | pd.Index) -> np.ndarray:
    """The position of each of ``ids`` among ``keys`` (-1 where it is not there), looked
    up in Arrow: no Python string per case, no dict of ids.

    >>> lookup(pd.Series(["b", "x", "a"]), pd.Index(["a", "b"])).tolist()
    [1, -1, 0]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def arrow(values: Any) -> Any:
        values = pd.Series(values, copy=False)
        return pa.array(values.astype(str).array if values.dtype != "str" else values.array)

    found = pc.index_in(arrow(ids), value_set=arrow(keys))
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def _taken(values: Any, at: np.ndarray) -> Any:
    """``values`` at positions ``at``, missing where ``at`` is -1 (the array's own NA)."""
    return values.take(at, allow_fill=True)


def _names(values: pd.Series) -> pd.Series:
    """A text column of the case table as the report reads it: Arrow strings stay Arrow
    strings (not a Python string per case); other columns as Python objects."""
    return values if values.dtype == "str" else values.astype("object")
