"""One row per case, from the results the sections already computed: ``case_facts``.

The leaders' page (:mod:`procmine.report.leaders`) compares the two halves of the
log's period with it, and the explorer (:mod:`procmine.report.explore`) embeds it,
compressed, for the browser to filter. Columns: ``case``, ``start``, ``duration``
(seconds), ``category``, ``source``, ``variant``, ``unit`` (the unit that handled
the case, see :func:`handling_units`), ``half`` (0 or 1: which half of the period
the case started in), ``on_time`` (the deadline's verdict, when the bottlenecks
section had deadlines; else missing) and one boolean column per loop pattern found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    from procmine.vocabulary import roles_of

    if not engine.has(RESOURCE):
        return pd.Series(dtype="object")
    found: list[pd.Series] = []
    for part in log_parts(engine):      # parts within the engine's memory limit
        events = part.events[[CASE, ACTIVITY, RESOURCE]].dropna(subset=[RESOURCE])
        roles = roles_of(events[ACTIVITY].unique(), aliases)
        handling = events[events[ACTIVITY].map(roles).astype(object).isin(_HANDLING)]
        last = handling.groupby(CASE, sort=False)[RESOURCE].last()
        rest = events[~events[CASE].isin(last.index)]
        most = (rest.groupby([CASE, RESOURCE], sort=False).size().reset_index(name="n")
                .sort_values([CASE, "n"], ascending=[True, False], kind="stable")
                .drop_duplicates(CASE).set_index(CASE)[RESOURCE])
        found += [last, most]
    units = pd.concat(found) if found else pd.Series(dtype="object")
    return units.astype(str)


def case_facts(ctx: _Context) -> pd.DataFrame:
    """The per-case table of the module docstring (computed once per report)."""
    if "case_facts" in ctx.results:
        return ctx.results["case_facts"]
    from procmine.engines import as_engine

    engine = as_engine(ctx.log)
    cases = engine.cases()
    frame = pd.DataFrame({"case": cases["case"].astype(str), "start": cases["start"],
                          "duration": cases["duration"].astype(float),
                          "variant": cases["variant"].astype(int)})
    for column in ("category", "source"):
        frame[column] = cases[column].astype("object") if column in cases else None
    aliases = getattr(ctx.workflow, "aliases", None) or None
    frame["unit"] = frame["case"].map(handling_units(engine, aliases=aliases))
    first, last = frame["start"].min(), frame["start"].max()
    frame["half"] = (frame["start"] > first + (last - first) / 2).astype(int)
    bottlenecks = ctx.results.get("bottlenecks")
    deadlines = getattr(bottlenecks, "deadlines", None)
    if deadlines is not None:
        verdict = deadlines.cases.set_index("case")["on_time"]
        frame["on_time"] = frame["case"].map(verdict)
    loops = ctx.results.get("patterns")
    if loops is not None:
        flags = loops.cases.set_index("case")
        for pattern in loops.summary["pattern"]:
            if pattern in flags:
                frame[pattern] = frame["case"].map(flags[pattern]).fillna(False).astype(bool)
    ctx.results["case_facts"] = frame
    return frame
