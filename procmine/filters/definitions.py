"""The filters: each a small frozen dataclass that selects cases (and events) from an engine.

Every filter has ``select(engine) -> Selection`` (computed from the engine's
tables only, so it runs on every engine) and ``describe()``, the line stderr and
the report show. Where pm4py has the same filter the semantics are pm4py's
(bounds included, the same tie rules), and a test holds them equal on real logs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from procmine.choices import TIME_MODES as TIME_MODES  # noqa: E402
from procmine.choices import TimeMode as TimeMode  # noqa: E402
from procmine.errors import SpecError
from procmine.filters.selection import (
    Selection,
    TimeWithin,
    ValuesIn,
    activity_column,
    case_edges,
    cases_where,
    require_column,
    resolve_column,
)
from procmine.log import ACTIVITY


def whole_number(name: str, value: Any, *, least: int = 1) -> int:
    """``value`` (a number or its text) as a whole number of ``least`` or more; SpecError
    for anything else (1.5, true, -3, nan). The one check of such filter values, for the
    command line, filter sets and the API.

    >>> whole_number("top-variants", "10")
    10
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        number = int(value)
    else:
        number = None
    if number is None or number < least:
        raise SpecError(f"{name} {value!r}: expected a whole number, {least} or more")
    return number


def percentage(name: str, value: Any) -> float:
    """``value`` (a number or its text) as a percentage from 0 to 100; SpecError for
    anything else (150, nan, inf, true).

    >>> percentage("variant-coverage", "80")
    80.0
    """
    try:
        number = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not math.isfinite(number) or not 0 <= number <= 100:
        raise SpecError(f"{name} {value!r}: expected a percentage from 0 to 100")
    return number


def _listed(values: Sequence[str]) -> str:
    return ", ".join(values)


def _case_ids(table: pd.DataFrame, keep: np.ndarray | pd.Series) -> pd.Index:
    return pd.Index(table["case"].to_numpy(dtype=object)[np.asarray(keep, dtype=bool)],
                    dtype=object)


@dataclass(frozen=True)
class TimeFrame:
    """Cases in a period: ``contained`` in it (first and last event), ``intersecting`` it,
    ``started`` or ``completed`` in it; or ``trim``: the events in it.

    Bounds are aware timestamps (None: open); as pm4py's ``filter_time_range``,
    contained, started, completed and trim include both bounds, and intersecting
    means first event before ``last`` and last event after ``first``.
    """

    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    mode: TimeMode = "intersecting"

    def __post_init__(self) -> None:
        if self.first is not None and self.last is not None and self.first > self.last:
            raise SpecError(f"the period is reversed: --from {self.first:%Y-%m-%d %H:%M:%S} "
                            f"is after --to {self.last:%Y-%m-%d %H:%M:%S}",
                            hint="give --from before --to; in a filter set, from before to")

    def select(self, engine: Any) -> Selection:
        engine.require_times("the time filter")
        lo = self.first if self.first is not None else pd.Timestamp.min.tz_localize("UTC")
        hi = self.last if self.last is not None else pd.Timestamp.max.tz_localize("UTC")
        if self.mode == "trim":
            return Selection(events=TimeWithin(lo, hi))
        table = engine.cases()
        start, end = table["start"], table["end"]
        keep = {"contained": (start >= lo) & (end <= hi),
                "intersecting": (start < hi) & (end > lo),
                "started": (start >= lo) & (start <= hi),
                "completed": (end >= lo) & (end <= hi)}[self.mode]
        return Selection(cases=_case_ids(table, keep))

    def describe(self) -> str:
        span = f"{_stamp(self.first)} .. {_stamp(self.last)}"
        verb = {"contained": "cases contained in", "intersecting": "cases intersecting",
                "started": "cases started in", "completed": "cases completed in",
                "trim": "events in"}[self.mode]
        return f"time: {verb} {span}"


def _stamp(value: pd.Timestamp | None) -> str:
    return "…" if value is None else value.isoformat()


@dataclass(frozen=True)
class CaseAttribute:
    """Cases whose attribute ``column`` (as their first event has it) is among ``values``
    (``keep``), or is not (``keep=False``; cases without a value are kept then)."""

    column: str
    values: tuple[str, ...]
    keep: bool = True

    def select(self, engine: Any) -> Selection:
        column = resolve_column(engine, self.column)
        rule = ValuesIn(column, self.values, keep=self.keep)

        def test(events: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
            first, _ = case_edges(codes)
            require_column(events, column)
            return rule.mask(events.iloc[first])

        return Selection(cases=cases_where(engine, test))

    def describe(self) -> str:
        return f"where {self.column} {'in' if self.keep else 'not in'} {_listed(self.values)}"


@dataclass(frozen=True)
class WithEvent:
    """Cases with (``keep``) or without an event whose ``column`` is among ``values``
    (pm4py's ``filter_event_attribute_values`` at case level)."""

    column: str
    values: tuple[str, ...]
    keep: bool = True

    def select(self, engine: Any) -> Selection:
        column = resolve_column(engine, self.column)
        rule = ValuesIn(column, self.values)

        def test(events: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
            require_column(events, column)
            hit = np.bincount(codes, weights=rule.mask(events), minlength=codes.max() + 1) > 0
            return hit if self.keep else ~hit

        return Selection(cases=cases_where(engine, test))

    def describe(self) -> str:
        return (f"cases {'with' if self.keep else 'without'} an event where {self.column} in "
                f"{_listed(self.values)}")


@dataclass(frozen=True)
class EventValues:
    """Events whose ``column`` is among ``values`` (``keep``), or the others (pm4py's
    ``filter_event_attribute_values`` at event level). ``Activities`` is this on activities."""

    column: str
    values: tuple[str, ...]
    keep: bool = True

    def select(self, engine: Any) -> Selection:
        column = resolve_column(engine, self.column)
        return Selection(events=ValuesIn(column, self.values, keep=self.keep))

    def describe(self) -> str:
        what = "activities" if self.column == ACTIVITY else f"events where {self.column} in"
        return f"{'keep' if self.keep else 'drop'} {what} {_listed(self.values)}"


def Activities(names: Sequence[str], *, keep: bool = True) -> EventValues:  # noqa: N802
    """Keep (or drop) the events of the given activities."""
    return EventValues(ACTIVITY, tuple(names), keep)


@dataclass(frozen=True)
class ActivityCoverage:
    """The events of the most frequent activities that together hold ``percent``% of the
    events (the fewest such activities; ties by name)."""

    percent: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "percent", percentage("activity-coverage", self.percent))

    def select(self, engine: Any) -> Selection:
        table = engine.activities().sort_values(["count", "activity"], ascending=[False, True],
                                                kind="stable")
        counts = table["count"].to_numpy(dtype=np.float64)
        total = counts.sum()
        before = np.cumsum(counts) - counts
        keep = before < self.percent / 100.0 * total
        names = tuple(str(a) for a in table["activity"].to_numpy()[keep])
        return Selection(events=ValuesIn(ACTIVITY, names))

    def describe(self) -> str:
        return f"the most frequent activities covering {self.percent:g}% of events"


@dataclass(frozen=True)
class TopVariants:
    """The cases of the ``k`` most frequent variants; ties at the cut go as in pm4py's
    ``filter_variants_top_k`` (the variant whose activity tuple sorts last first)."""

    k: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", whole_number("top-variants", self.k))

    def select(self, engine: Any) -> Selection:
        variants = engine.variants()
        table = variants.table
        order = sorted(zip(table["cases"], table["activities"], table["variant"], strict=True),
                       key=lambda row: (row[0], tuple(row[1])), reverse=True)
        return Selection(cases=_variant_cases(variants, [row[2] for row in order[:self.k]]))

    def describe(self) -> str:
        return f"top {self.k} variants"


@dataclass(frozen=True)
class VariantCoverage:
    """The most frequent variants that together hold ``percent``% of the cases (Disco's
    variant slider: the fewest such variants, in procmine's variant order)."""

    percent: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "percent", percentage("variant-coverage", self.percent))

    def select(self, engine: Any) -> Selection:
        variants = engine.variants()
        counts = variants.table["cases"].to_numpy(dtype=np.float64)
        before = np.cumsum(counts) - counts
        keep = before < self.percent / 100.0 * counts.sum()
        return Selection(cases=_variant_cases(variants, variants.table["variant"][keep]))

    def describe(self) -> str:
        return f"the most frequent variants covering {self.percent:g}% of cases"


@dataclass(frozen=True)
class VariantMinShare:
    """The variants that each hold at least ``percent``% of the cases (pm4py's
    ``filter_variants_by_coverage_percentage``, whose argument is ``percent / 100``)."""

    percent: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "percent", percentage("variant-min-share", self.percent))

    def select(self, engine: Any) -> Selection:
        variants = engine.variants()
        counts = variants.table["cases"].to_numpy(dtype=np.float64)
        keep = counts >= self.percent / 100.0 * counts.sum()
        return Selection(cases=_variant_cases(variants, variants.table["variant"][keep]))

    def describe(self) -> str:
        return f"variants with at least {self.percent:g}% of cases each"


@dataclass(frozen=True)
class VariantIds:
    """The cases of the given variants (the ids ``procmine variants`` lists)."""

    ids: tuple[int, ...]

    def select(self, engine: Any) -> Selection:
        return Selection(cases=_variant_cases(engine.variants(), self.ids))

    def describe(self) -> str:
        return f"variants {', '.join(str(i) for i in self.ids)}"


def _variant_cases(variants: Any, ids: Any) -> pd.Index:
    of_case = variants.of_case
    keep = of_case.isin([int(i) for i in ids]).to_numpy(dtype=bool)
    return pd.Index(of_case.index.to_numpy(dtype=object)[keep], dtype=object)


@dataclass(frozen=True)
class Endpoint:
    """Cases that start (``end=False``) or end with one of ``activities`` (pm4py's
    ``filter_start_activities`` / ``filter_end_activities``); ``keep=False``: the others."""

    activities: tuple[str, ...]
    end: bool = False
    keep: bool = True

    def select(self, engine: Any) -> Selection:
        wanted = set(self.activities)

        def test(events: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
            first, last = case_edges(codes)
            names = activity_column(events)[last if self.end else first]
            hit = np.fromiter((a in wanted for a in names), dtype=bool, count=len(names))
            return hit if self.keep else ~hit

        return Selection(cases=cases_where(engine, test))

    def describe(self) -> str:
        verb = "end" if self.end else "start"
        return f"cases that {'' if self.keep else 'do not '}{verb} with {_listed(self.activities)}"


@dataclass(frozen=True)
class Follows:
    """Cases where ``first`` is directly (or, ``directly=False``, eventually: at any later
    position) followed by ``then``; ``keep=False``: the cases where it never is.

    pm4py's ``filter_directly_follows_relation`` / ``filter_eventually_follows_relation``.
    """

    first: str
    then: str
    directly: bool = True
    keep: bool = True

    def select(self, engine: Any) -> Selection:
        def test(events: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
            names = activity_column(events)
            n_cases = int(codes.max()) + 1
            is_a, is_b = names == self.first, names == self.then
            if self.directly:
                pair = is_a[:-1] & is_b[1:] & (codes[:-1] == codes[1:])
                hit = np.bincount(codes[1:][pair], minlength=n_cases) > 0
            else:
                pos = np.arange(len(codes))
                first_a = np.full(n_cases, np.iinfo(np.int64).max)
                np.minimum.at(first_a, codes[is_a], pos[is_a])
                last_b = np.full(n_cases, -1)
                np.maximum.at(last_b, codes[is_b], pos[is_b])
                hit = last_b > first_a
            return hit if self.keep else ~hit

        return Selection(cases=cases_where(engine, test))

    def describe(self) -> str:
        how = "directly" if self.directly else "eventually"
        if self.keep:
            return f"cases where {self.first} is {how} followed by {self.then}"
        return f"cases where {self.first} is never {how} followed by {self.then}"


@dataclass(frozen=True)
class Duration:
    """Cases that last from ``low`` to ``high`` seconds, both included (None: open), first
    to last event; in clock time (pm4py's ``filter_case_performance``) or in the working
    time of ``calendar`` (``time="working"``)."""

    low: float | None = None
    high: float | None = None
    time: Literal["clock", "working"] = "clock"
    calendar: Any = "cn"

    def select(self, engine: Any) -> Selection:
        engine.require_times("the duration filter")
        table = engine.cases()
        if self.time == "working":
            from procmine.engines import resolve_calendar

            cal = resolve_calendar(self.calendar, timezone=engine.source.timezone)
            seconds = pd.Series(np.asarray(cal.working_seconds(table["start"], table["end"]),
                                           dtype=np.float64))
        else:
            seconds = table["duration"]
        return Selection(cases=_case_ids(table, _within(seconds, self.low, self.high)))

    def describe(self) -> str:
        from procmine.filters.text import format_seconds

        basis = " (working time)" if self.time == "working" else ""
        return (f"case duration {format_seconds(self.low)} .. "
                f"{format_seconds(self.high)}{basis}")


@dataclass(frozen=True)
class EventCount:
    """Cases with from ``low`` to ``high`` events, both included (None: open)."""

    low: int | None = None
    high: int | None = None

    def select(self, engine: Any) -> Selection:
        table = engine.cases()
        return Selection(cases=_case_ids(table, _within(table["events"], self.low, self.high)))

    def describe(self) -> str:
        return f"{'' if self.low is None else self.low} .. " \
               f"{'' if self.high is None else self.high} events per case"


def _within(values: pd.Series, low: float | None, high: float | None) -> np.ndarray:
    keep = np.ones(len(values), dtype=bool)
    array = values.to_numpy(dtype=np.float64)
    if low is not None:
        keep &= array >= low
    if high is not None:
        keep &= array <= high
    return keep


@dataclass(frozen=True)
class CaseIds:
    """The cases with the given ids (``from_file``: one id a line, or a CSV's first column);
    ``keep=False``: the others."""

    ids: frozenset[str]
    keep: bool = True
    origin: str = ""

    @classmethod
    def from_file(cls, path: str, *, keep: bool = True) -> CaseIds:
        from procmine.filters.text import read_case_ids

        return cls(frozenset(read_case_ids(path)), keep=keep, origin=path)

    def select(self, engine: Any) -> Selection:
        table = engine.cases()
        hit = table["case"].astype(str).isin(self.ids).to_numpy(dtype=bool)
        return Selection(cases=_case_ids(table, hit if self.keep else ~hit))

    def describe(self) -> str:
        where = f" from {self.origin}" if self.origin else ""
        return f"{'' if self.keep else 'not '}the {len(self.ids):,} case ids{where}"
