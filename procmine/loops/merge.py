"""``find_loops`` part by part through an engine, the parts merged exactly.

An engine hands the log out in parts of whole cases (:meth:`procmine.engines.Engine.event_logs`;
the pandas engine's log in memory is one part). Each part goes through ``procmine.loops._analyse``;
:func:`merge_parts` adds up what the parts found, which ``procmine.loops._finish`` makes the
result of:

- per case (flags, measures, evidence) a part is exact, and its rows go to the engine's
  collector (for DuckDB, its own database within its memory limit; for pandas, memory): the case and evidence
  tables are read from there, parts end to end, when the result's ``cases`` and
  ``evidence`` are first read (while the engine is open);
- counts add up: flagged cases, the cost sums (exact, see ``aggregates._Tally``), the most
  frequent units and levels, cases per unit or group, moves between levels (their total
  wait kept in integer nanoseconds), ping-pong pairs, rework per activity, the hugging
  counts;
- medians need every value (the wait of the moves between levels, the cycle times of the
  supervision gap, the pre-sign measures of each case): they come from the collector as
  pandas computes them;
- which patterns run is decided over all parts: a part may lack a column's values or a role
  that the log has elsewhere.

>>> from procmine.engines import get_engine
>>> from procmine.loops import find_loops
>>> with get_engine("duckdb", "logs/sample.csv") as engine:
...     result = find_loops(engine, patterns="rework", part_events=10_000)
...     flagged = len(result.evidence)          # read from the engine
>>> result.n_cases, int(result.summary.loc[0, "cases"]), flagged
(3000, 236, 236)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.engines.collector import any_true, log_parts
from procmine.errors import ProcmineError
from procmine.loops import (
    _DISPATCH_DEFINED,
    LoopsResult,
    _analyse,
    _finish,
    _Options,
    _Part,
)
from procmine.loops.aggregates import _FLOW_KEYS, _no_handovers, _tallies_added
from procmine.loops.evidence import _no_evidence

if TYPE_CHECKING:
    from procmine.engines import Engine


#: Parts whose counts are merged at a time, into what the parts before them merged to
#: (:func:`merge_parts` gives the same whatever the grouping). Held until the end, the
#: counts of the 342 parts of 5M events at 512MiB (their small frames) took about 50 MiB.
MERGE_EVERY = 16


def find_loops_in_parts(engine: Engine, options: _Options, *, part_events: int | None = None
                        ) -> LoopsResult:
    """``find_loops(log, ...)``: every part of the engine's log analysed, then merged."""
    # the collector outlives this call: the result reads its case and evidence rows from it
    store = engine.collector()
    try:
        merged: list[_Part] = []                # the parts so far, merged (at most one)
        waiting: list[_Part] = []               # the parts not merged yet
        typed: dict[str, pd.DataFrame] = {}     # kept rows -> their columns and dtypes
        blank: dict[str, pd.DataFrame] = {}     # kept rows no part found
        for log in log_parts(engine, part_events):
            part = _analyse(log, options)
            for name, frame in part.values.items():
                if len(frame):
                    store.add(name, frame)
            for name, frame in part.kept.items():
                if len(frame):
                    typed.setdefault(name, frame.iloc[:0])
                    store.add(name, frame.assign(_dispatch=part.dispatch))
                else:
                    blank.setdefault(name, frame)
            waiting.append(replace(part, values={}, kept={}))
            if len(waiting) == MERGE_EVERY:     # the parts' counts are not held all at once
                merged, waiting = [merge_parts(merged + waiting)], []
        empty = {**blank, **typed}
        whole = merge_parts(merged + waiting)
        result = _finish(whole, options, store.medians,
                         _stored_rows(store, empty, dispatch=whole.dispatch))
        for name in ("waits", "cycles"):      # what only the medians needed
            store.drop(name)
        return result
    except BaseException:
        store.close()
        raise


def _stored_rows(store: Any, empty: dict[str, pd.DataFrame], *, dispatch: bool
                 ) -> Callable[..., pd.DataFrame | None]:
    """``rows(name, columns=None, any_of=None)``: the kept rows ``name`` of every part, end
    to end, as one pass over the log in memory gives them (dtypes of ``empty``, which are
    the rows when no part had any; the rows of a part whose ``dispatch`` is not the log's
    made as :func:`_without` says); only ``columns`` of them when given, read without the
    others; with ``any_of`` (flags), only the rows that have one of them."""

    def rows(name: str, columns: list[str] | None = None,
             any_of: list[str] | None = None) -> pd.DataFrame | None:
        if store.closed:
            raise ProcmineError("the engine was closed before the case and evidence tables of "
                                "find_loops were read",
                                hint="read result.cases and result.evidence while the engine is open")
        frame = store.frame(name, None if columns is None else [*columns, "_dispatch"],
                            any_of=any_of)
        if frame is None:
            found = empty.get(name)
            if found is not None and any_of is not None:
                found = found[any_true(found, any_of)]
            return found if found is None or columns is None else found[columns]
        other = frame["_dispatch"].to_numpy(dtype=bool) != dispatch
        types = empty[name].dtypes.to_dict()
        frame = frame.drop(columns="_dispatch").astype({c: types[c] for c in frame.columns
                                                        if c != "_dispatch"})
        frame = _without_rows(name, frame, other, _DISPATCH_DEFINED)
        if any_of is not None and other.any():      # flags cleared there: not flagged now
            frame = frame[any_true(frame, any_of)].reset_index(drop=True)
        return frame

    return rows


def merge_parts(parts: list[_Part]) -> _Part:
    """One part of parts of whole cases (in case order): what adds up added. Neither
    ``values`` nor ``kept`` rows are merged (they are in the collector); a log of one
    part is its own merge. A part may be the merge of parts before it: merging the
    parts in groups, then the groups, gives the same to the last bit (counts, integer
    sums, first appearances; a merge's ``dispatch`` is any of its parts')."""
    if len(parts) == 1:
        return parts[0]
    dispatch = any(p.dispatch for p in parts)
    # a part with no step of the dispatch loop read pingpong and rework on units and
    # activities; on a dispatch log, the dispatch definitions find nothing in such a part
    parts = [p if p.dispatch == dispatch else _without(p, _DISPATCH_DEFINED) for p in parts]
    first = parts[0]
    activities = tuple(dict.fromkeys(a for p in parts for a in p.activities))
    rework: Counter[str] = Counter()
    for p in parts:
        rework.update(p.rework)
    return _Part(
        n_cases=sum(p.n_cases for p in parts),
        levels=first.levels,
        has={column: any(p.has[column] for p in parts) for column in first.has},
        roles=frozenset().union(*(p.roles for p in parts)),
        dispatch=dispatch,
        activities=activities,
        rework={a: rework[a] for a in activities if rework[a]},   # in order of appearance
        tally=_tallies_added([p.tally for p in parts]),
        signs={key: sum(p.signs[key] for p in parts) for key in first.signs},
        handovers=_added([p.handovers for p in parts], ["source", "target"]),
        flows=_added([p.flows for p in parts], _FLOW_KEYS),
        hugging={key: sum(p.hugging[key] for p in parts) for key in first.hugging},
        by=None if first.by is None else pd.concat([p.by for p in parts]).groupby(level=0).sum(),
        values={},
        kept={},
    )


def _without(part: _Part, patterns: Sequence[str]) -> _Part:
    """The counts of ``part`` as if ``patterns`` had found nothing in it (its rows:
    :func:`_without_rows`)."""
    handovers = _no_handovers() if "pingpong" in patterns else part.handovers
    kept = {name: _without_rows(name, rows, np.ones(len(rows), dtype=bool), patterns)
            for name, rows in part.kept.items()}
    return replace(part, tally=part.tally.without(patterns), handovers=handovers, kept=kept)


def _without_rows(name: str, rows: pd.DataFrame, cleared: np.ndarray,
                  patterns: Sequence[str]) -> pd.DataFrame:
    """The kept rows ``name`` as if ``patterns`` had found nothing in the ``cleared`` rows."""
    if not cleared.any():
        return rows
    if name == "cases":
        flags = [p for p in patterns if p in rows.columns]
        rows = rows.copy()
        rows.loc[cleared, flags] = False
        return rows
    if name.removeprefix("evidence_") in patterns:
        rows = rows[~cleared].reset_index(drop=True)
        return rows if len(rows) else _no_evidence()
    return rows


def _added(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The counts of the frames added per ``keys``."""
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0]
    return pd.concat(full, ignore_index=True).groupby(keys).sum().reset_index()
