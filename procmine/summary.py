"""What is in a log: the figures ``procmine info`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from procmine.log import CATEGORY, LEVEL, RESOURCE, SOURCE

if TYPE_CHECKING:
    from procmine.engines import Engine
    from procmine.log import EventLog


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

    ``log`` is an EventLog or an open engine (:mod:`procmine.engines`): the figures
    come from the engine's tables either way.

    >>> from procmine.read import read_log
    >>> s = summarize_log(read_log("logs/sample.csv"))
    >>> s.cases, s.events
    (3000, 34609)
    """
    from procmine.engines import as_engine

    engine = as_engine(log)
    totals = engine.totals()
    activities = engine.activities().set_index("activity")["count"]
    present = set(engine.group_counts(LEVEL)["value"]) if engine.has(LEVEL) else set()
    report = engine.load_report()
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
        mapping=dict(report.mapping),
        attributes=engine.attributes,
        load=report.to_dict(),
    )


def _levels(present: set, levels: tuple[str, ...]) -> list[str]:
    """The levels present, bottom up, then any others by name."""
    return [lv for lv in levels if lv in present] + sorted(
        str(v) for v in present if v not in levels)
