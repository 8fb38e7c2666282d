"""``find_loops`` on a log larger than memory: part by part through an engine, merged exactly.

An engine hands the log out in parts of whole cases (:meth:`procmine.engines.Engine.event_logs`).
Each part goes through the code a log in memory goes through (``procmine.loops._analyse``);
:func:`merge_parts` makes one of the parts, which is finished as a log in memory is
(``procmine.loops._finish``):

- per case (flags, measures, evidence) a part is exact: the parts are laid end to end;
- counts add up: cases per unit or group, moves between levels (their total wait kept in
  integer nanoseconds), ping-pong pairs, rework per activity, the hugging counts;
- medians need every value (the wait of the moves between levels, the cycle times of the
  supervision gap): the values go to the engine's collector, out of core, and the medians
  come from there as pandas computes them;
- which patterns run is decided over all parts: a part may lack a column's values or a role
  that the log has elsewhere.

>>> from procmine.engines import get_engine
>>> from procmine.loops import find_loops
>>> with get_engine("duckdb", "logs/sample.csv") as engine:
...     result = find_loops(engine, patterns="rework", part_events=10_000)
>>> result.n_cases, int(result.summary.loc[0, "cases"])
(3000, 236)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pandas as pd

from procmine.log import ACTIVITY, CASE, DEFAULT_LEVELS, TIMESTAMP, EventLog
from procmine.loops import LoopsResult, _analyse, _finish, _Options, _Part
from procmine.loops.tables import _FLOW_KEYS, Medians


def find_loops_in_parts(engine: Any, options: _Options, *, part_events: int | None = None
                        ) -> LoopsResult:
    """``find_loops(engine, ...)``: every part of the engine's log analysed, then merged."""
    from procmine.engines import Engine
    from procmine.engines.parts import part_events as events_per_part

    if not isinstance(engine, Engine):
        raise TypeError(f"find_loops takes an EventLog or an engine, not {type(engine).__name__}")
    size = part_events or events_per_part(engine.memory_limit)
    with engine.collector() as store:
        parts = []
        for log in engine.event_logs(max_events=size):
            part = _analyse(log, options)
            for name, frame in part.values.items():
                if len(frame):
                    store.add(name, frame)
            parts.append(replace(part, values={}))
        if not parts:        # a log without events
            parts = [_analyse(_empty_log(engine), options)]
        return _finish(merge_parts(parts), options, _collected_medians(store))


def merge_parts(parts: list[_Part]) -> _Part:
    """One part of parts of whole cases (in case order): what adds up added, cases and
    evidence laid end to end. ``values`` are not merged (they are in the collector)."""
    dispatch = any(p.dispatch for p in parts)
    # a part with no step of the dispatch loop read pingpong and rework on units and
    # activities; on a dispatch log, the dispatch definitions find nothing in such a part
    parts = [p if p.dispatch == dispatch else p.without("pingpong", "rework") for p in parts]
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
        cases=pd.concat([p.cases for p in parts], ignore_index=True),
        evidence={name: _end_to_end([p.evidence[name] for p in parts]) for name in first.evidence},
        handovers=_added([p.handovers for p in parts], ["source", "target"]),
        flows=_added([p.flows for p in parts], _FLOW_KEYS),
        hugging={key: sum(p.hugging[key] for p in parts) for key in first.hugging},
        by=None if first.by is None else pd.concat([p.by for p in parts]).groupby(level=0).sum(),
        values={},
    )


def _end_to_end(frames: list[pd.DataFrame]) -> pd.DataFrame:
    # the empty frames are left out: they have no dtypes and would make every column object
    full = [f for f in frames if len(f)]
    return pd.concat(full, ignore_index=True) if full else frames[0]


def _added(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The counts of the frames added per ``keys``."""
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0]
    return pd.concat(full, ignore_index=True).groupby(keys).sum().reset_index()


def _collected_medians(store: Any) -> Medians:
    """Medians over the rows the parts added to ``store`` (a ``Collector``), as pandas'
    groupby median (see ``Collector.medians``)."""

    def medians(name: str, keys: list[str], value: str) -> pd.DataFrame:
        return store.medians(name, keys, value)

    return medians


def _empty_log(engine: Any) -> EventLog:
    tz = engine.source.timezone
    events = pd.DataFrame({CASE: pd.Series([], dtype="string"),
                           ACTIVITY: pd.Series([], dtype="string"),
                           TIMESTAMP: pd.Series([], dtype=f"datetime64[ns, {tz}]")})
    return EventLog(events, levels=tuple(engine.source.levels or DEFAULT_LEVELS), timezone=tz)
