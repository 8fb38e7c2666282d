"""What is in a log: the figures ``procmine info`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from procmine.log import ACTIVITY, CATEGORY, LEVEL, RESOURCE, SOURCE, TIMESTAMP, EventLog


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


def _top(values, n: int) -> list[dict[str, Any]]:
    counts = values.value_counts(dropna=True)
    total = int(counts.sum()) or 1
    return [{"name": str(k), "count": int(v), "share": round(int(v) / total, 4)}
            for k, v in counts.head(n).items()]


def summarize_log(log: EventLog, *, top: int = 10) -> LogSummary:
    """Cases, events, activities, variants, time span, units, levels and the load report.

    >>> from procmine.io import read_log
    >>> s = summarize_log(read_log("logs/sample.csv"))
    >>> s.cases, s.events
    (3000, 34609)
    """
    from procmine.abstractions import variants

    events = log.events
    per_case = events.groupby("case:concept:name", sort=False).size()
    case_events = events.drop_duplicates("case:concept:name")
    levels = []
    if log.has(LEVEL):
        present = set(events[LEVEL].dropna().unique())
        levels = [lv for lv in log.levels if lv in present] + sorted(
            str(v) for v in present if v not in log.levels)
    return LogSummary(
        cases=log.n_cases,
        events=log.n_events,
        activities=log.n_activities,
        variants=len(variants(log)),
        first=events[TIMESTAMP].min().isoformat() if len(events) else None,
        last=events[TIMESTAMP].max().isoformat() if len(events) else None,
        units=int(events[RESOURCE].nunique()) if log.has(RESOURCE) else None,
        levels=levels,
        events_per_case={
            "min": int(per_case.min()),
            "median": float(per_case.median()),
            "max": int(per_case.max()),
        },
        top_activities=_top(events[ACTIVITY], top),
        categories=_top(case_events[CATEGORY], top) if log.has(CATEGORY) else [],
        sources=_top(case_events[SOURCE], top) if log.has(SOURCE) else [],
        mapping=dict(log.report.mapping),
        attributes=log.attributes,
        load=log.report.to_dict(),
    )
