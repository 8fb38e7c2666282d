"""What is in a log: the figures ``procmine info`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from procmine.log import ACTIVITY, CATEGORY, LEVEL, RESOURCE, SOURCE, TIMESTAMP, EventLog

if TYPE_CHECKING:
    from procmine.engines import Engine


@dataclass(frozen=True)
class LogSummary:
    """Headline figures of a log. Times are ISO strings; counts are ints."""

    cases: int
    events: int
    activities: int
    variants: int
    first: str | None
    last: str | None
    units: int | None
    levels: list[str]
    events_per_case: dict[str, float]
    top_activities: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    mapping: dict[str, str]
    attributes: list[str]
    load: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _top(counts: pd.Series, n: int) -> list[dict[str, Any]]:
    """The ``n`` largest of ``counts`` (value -> count), ties by name."""
    counts = counts[counts > 0]
    frame = pd.DataFrame({"name": counts.index.astype(str), "count": counts.to_numpy()})
    frame = frame.sort_values(["count", "name"], ascending=[False, True], kind="stable")
    total = int(frame["count"].sum()) or 1
    return [{"name": str(k), "count": int(v), "share": round(int(v) / total, 4)}
            for k, v in zip(frame["name"].head(n), frame["count"].head(n), strict=True)]


def summarize_log(log: EventLog | Engine, *, top: int = 10) -> LogSummary:
    """Cases, events, activities, variants, time span, units, levels and the load report.

    ``log`` may be an open engine (:mod:`procmine.engines`): the same figures from
    its tables.

    >>> from procmine.io import read_log
    >>> s = summarize_log(read_log("logs/sample.csv"))
    >>> s.cases, s.events
    (3000, 34609)
    """
    from procmine.engines import is_engine

    if is_engine(log):
        return _summarize_engine(log, top)
    from procmine.abstractions import variants

    events = log.events
    per_case = events.groupby("case:concept:name", sort=False).size()
    case_events = events.drop_duplicates("case:concept:name")
    present = set(events[LEVEL].dropna().unique()) if log.has(LEVEL) else set()

    def counted(frame: pd.DataFrame, column: str) -> pd.Series:
        return frame[column].value_counts(dropna=True)

    return LogSummary(
        cases=log.n_cases,
        events=log.n_events,
        activities=log.n_activities,
        variants=len(variants(log)),
        first=events[TIMESTAMP].min().isoformat() if len(events) else None,
        last=events[TIMESTAMP].max().isoformat() if len(events) else None,
        units=int(events[RESOURCE].nunique()) if log.has(RESOURCE) else None,
        levels=_levels(present, log.levels),
        events_per_case=_spread(per_case),
        top_activities=_top(counted(events, ACTIVITY), top),
        categories=_top(counted(case_events, CATEGORY), top) if log.has(CATEGORY) else [],
        sources=_top(counted(case_events, SOURCE), top) if log.has(SOURCE) else [],
        mapping=dict(log.report.mapping),
        attributes=log.attributes,
        load=log.report.to_dict(),
    )


def _summarize_engine(engine: Engine, top: int) -> LogSummary:
    totals = engine.totals()
    activities = engine.activities().set_index("activity")["count"]
    present = set()
    if engine.has(LEVEL):
        present = set(engine.group_counts(LEVEL)["value"])
    return LogSummary(
        cases=totals.cases,
        events=totals.events,
        activities=totals.activities,
        variants=len(engine.variants()),
        first=totals.first.isoformat() if totals.first is not None else None,
        last=totals.last.isoformat() if totals.last is not None else None,
        units=totals.units if engine.has(RESOURCE) else None,
        levels=_levels(present, engine.levels),
        events_per_case=engine.events_per_case(),
        top_activities=_top(activities, top),
        categories=_top(engine.cases_by(CATEGORY), top) if engine.has(CATEGORY) else [],
        sources=_top(engine.cases_by(SOURCE), top) if engine.has(SOURCE) else [],
        mapping=dict(engine.load_report().mapping),
        attributes=engine.attributes,
        load=engine.load_report().to_dict(),
    )


def _levels(present: set, levels: tuple[str, ...]) -> list[str]:
    """The levels present, bottom up, then any others by name."""
    return [lv for lv in levels if lv in present] + sorted(
        str(v) for v in present if v not in levels)


def _spread(per_case: pd.Series) -> dict[str, float]:
    return {"min": int(per_case.min()), "median": float(per_case.median()),
            "max": int(per_case.max())}
