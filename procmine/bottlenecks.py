"""Where orders wait: waiting and service times, work in progress, deadlines.

Every duration is measured in working time (a :mod:`procmine.calendar`
working calendar: office hours, weekends, public holidays, swapped working
days) unless clock time is asked for. The definitions, per event ``e`` of a
case, with ``p`` the event before it in the same case:

- **waiting time** of ``e`` (and of the transition ``p -> e``): from the
  completion of ``p`` to the start of ``e``. Where the log has no start time
  for ``e``, the start is unknown and the whole gap from the completion of
  ``p`` to the completion of ``e`` counts as waiting (that is what every
  directly-follows graph shows). Where ``e`` started before ``p`` completed
  (parallel work), it waited 0.
- **service time** of ``e``: from its start to its completion, where the log
  has both; unknown otherwise.
- **stay** of a case at a unit: from the hand-over (completion of the event
  before the unit's first event of the run) to the completion of the unit's
  last consecutive event; work in progress (WIP) counts open stays.

The first event of a case has no waiting time. The per-transition numbers are
:func:`procmine.abstractions.follows` with :func:`waiting_times` as its
``durations`` (:func:`transition_waits`), so ``procmine map --metric p90-wait``
shows the same numbers.

A log larger than memory is measured through an engine
(:mod:`procmine.engines`), in parts of whole cases: what adds up across parts
is added, and the values quantiles and peaks need are kept out of core.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from procmine.abstractions import Follows, follows
from procmine.errors import ColumnError, InputError, SpecError
from procmine.log import (
    ACTIVITY,
    CASE,
    CATEGORY,
    DEADLINE,
    LEVEL,
    RESOURCE,
    START,
    TIMESTAMP,
    EventLog,
)

if TYPE_CHECKING:
    from procmine.calendar import WorkingCalendar
    from procmine.engines import Engine
    from procmine.workflow import Workflow

By = Literal["transition", "activity", "unit", "level", "category", "month"]
BY_CHOICES: tuple[str, ...] = ("transition", "activity", "unit", "level", "category", "month")

_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Deadlines:
    """How the cases with a deadline fared (durations in seconds).

    ``cases``: one row per case with a deadline: ``case``, ``category``,
    ``clock_start`` (when the deadline clock started, NaT for a due-time
    column), ``due``, ``end`` (when the clock stopped), ``on_time``,
    ``overdue`` (working or clock seconds past ``due``, 0 when on time).
    ``by_category`` and ``by_unit``: cases, overdue cases, on-time rate,
    median and total overdue time. ``by_transition``: the overdue time of
    overdue cases split over the transitions during which it passed; its
    ``overdue`` column adds up to the total overdue time.
    """

    source: str
    cases: pd.DataFrame
    by_category: pd.DataFrame
    by_unit: pd.DataFrame
    by_transition: pd.DataFrame

    @property
    def n_cases(self) -> int:
        return len(self.cases)

    @property
    def n_overdue(self) -> int:
        return int((~self.cases["on_time"]).sum())

    @property
    def on_time_rate(self) -> float:
        return float(self.cases["on_time"].mean()) if len(self.cases) else float("nan")

    @property
    def overdue_total(self) -> float:
        return float(self.cases["overdue"].sum())

    @property
    def overdue_median(self) -> float:
        late = self.cases.loc[~self.cases["on_time"], "overdue"]
        return float(late.median()) if len(late) else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "cases": self.n_cases,
            "on_time": self.n_cases - self.n_overdue,
            "overdue": self.n_overdue,
            "on_time_rate": self.on_time_rate,
            "overdue_total": self.overdue_total,
            "overdue_median": self.overdue_median,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "by_category": self.by_category, "by_unit": self.by_unit,
                "by_transition": self.by_transition}


@dataclass(frozen=True)
class BottleneckResult:
    """What :func:`find_bottlenecks` found. Durations are seconds of ``time_basis``.

    ``table`` is the table asked for with ``by`` (ranked, cut to ``top``).
    ``transitions`` and ``deadlines`` are always there; ``activities``,
    ``units``, ``levels``, ``categories`` and ``months`` hold every grouping in
    full, computed when first read (``None`` where the log lacks the column:
    units need ``org:resource``, levels ``org:level``, categories
    ``case:category``). ``calendar`` says which calendar measured the time.
    Of a result from an engine, those tables are read from the engine (again,
    part by part) when first asked for: ask while it is open.
    """

    by: str
    time_basis: Literal["working", "clock"]
    calendar: str
    service_time: bool
    total_wait: float
    table: pd.DataFrame
    transitions: pd.DataFrame
    deadlines: Deadlines | None
    notes: tuple[str, ...] = ()
    _tables: Any = field(default=None, repr=False, compare=False)

    @property
    def activities(self) -> pd.DataFrame:
        return self._tables.get("activity")

    @property
    def units(self) -> pd.DataFrame | None:
        return self._tables.get("unit")

    @property
    def levels(self) -> pd.DataFrame | None:
        return self._tables.get("level")

    @property
    def categories(self) -> pd.DataFrame | None:
        return self._tables.get("category")

    @property
    def months(self) -> pd.DataFrame:
        return self._tables.get("month")

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "time_basis": self.time_basis,
            "calendar": self.calendar,
            "service_time": self.service_time,
            "total_wait": self.total_wait,
            "table": self.table,
            "deadlines": self.deadlines.to_dict() if self.deadlines is not None else None,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- time


class _Clock:
    """Measures spans between int64-nanosecond instants, in working or clock time."""

    def __init__(self, calendar: Any, timezone: str):
        # a 24x7 calendar is clock time: skip the calendar arithmetic
        self.calendar = None if getattr(calendar, "kind", None) == "none" else calendar
        self.timezone = timezone

    def _index(self, ns: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(self.timezone)

    def span(self, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Seconds from ``begin`` to ``end`` (NaN where either is missing)."""
        out = np.full(len(begin), np.nan)
        ok = (begin != _NAT) & (end != _NAT)
        if not ok.any():
            return out
        if self.calendar is None:
            out[ok] = (end[ok] - begin[ok]) / 1e9
            return out
        b, e = begin[ok], end[ok]
        sign = np.where(e >= b, 1.0, -1.0)
        lo, hi = np.minimum(b, e), np.maximum(b, e)
        seconds = np.asarray(self.calendar.working_seconds(self._index(lo), self._index(hi)),
                             dtype=float)
        out[ok] = sign * seconds
        return out

    def add(self, begin: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """The instants ``seconds`` after ``begin`` (int64 ns; NaT where missing)."""
        out = np.full(len(begin), _NAT, dtype=np.int64)
        ok = (begin != _NAT) & ~np.isnan(seconds)
        if not ok.any():
            return out
        if self.calendar is None:
            out[ok] = begin[ok] + np.round(seconds[ok] * 1e9).astype(np.int64)
            return out
        due = self.calendar.add_working_time(self._index(begin[ok]), seconds[ok])
        out[ok] = _ns(pd.Series(pd.DatetimeIndex(due)))
        return out


def _ns(values: pd.Series) -> np.ndarray:
    """Int64 UTC nanoseconds of a datetime Series (``_NAT`` where missing)."""
    if values.dtype == object or not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, utc=True, errors="coerce")
    if getattr(values.dt, "tz", None) is None:
        values = values.dt.tz_localize("UTC")
    return values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view(
        np.int64).copy()


def _resolve_calendar(calendar: Any, working_time: bool) -> tuple[Any, Literal["working", "clock"]]:
    """The calendar object (None for clock time) and the time basis."""
    if not working_time or calendar is None:
        return None, "clock"
    if isinstance(calendar, str):
        from procmine.calendar import calendar_from_option

        calendar = calendar_from_option(calendar)
    if getattr(calendar, "kind", None) == "none":
        return calendar, "clock"
    return calendar, "working"


def _label(calendar: Any) -> str:
    """Which calendar measured the time (said after measuring: it notes fallback years)."""
    if calendar is None:
        return "none: clock time"
    describe = getattr(calendar, "describe", None)
    return str(describe()) if callable(describe) else str(calendar)


# --------------------------------------------------------------------------- events


class _Events:
    """Per-event arrays the analyses share (one entry per event, log order).

    String columns are factorised once into integer codes (-1 where missing):
    grouping on integers keeps a million events within seconds.
    """

    def __init__(self, log: EventLog, clock: _Clock):
        events = log.events
        self.log = log
        codes, case_ids = pd.factorize(events[CASE], sort=False)
        self.case = codes.astype(np.int64)
        self.case_ids = np.asarray(case_ids, dtype=object)
        n = len(self.case)
        self.n = n
        self.first = np.ones(n, dtype=bool)
        self.last = np.ones(n, dtype=bool)
        if n > 1:
            same = self.case[1:] == self.case[:-1]
            self.first[1:] = ~same
            self.last[:-1] = ~same
        self.first_idx = np.flatnonzero(self.first)
        self.last_idx = np.flatnonzero(self.last)
        self.ts = _ns(events[TIMESTAMP])
        if (self.ts == _NAT).any():
            row = int(np.flatnonzero(self.ts == _NAT)[0])
            raise ColumnError(f"{TIMESTAMP}: event {row} has no completion time",
                              hint="drop or repair events without a timestamp before measuring")
        self.start = (_ns(events[START]) if START in events.columns
                      else np.full(n, _NAT, dtype=np.int64))
        self.prev_ts = np.full(n, _NAT, dtype=np.int64)
        if n > 1:
            self.prev_ts[1:] = self.ts[:-1]
        self.prev_ts[self.first] = _NAT
        known = self.start != _NAT
        # the wait ends when the event starts (if known), never before the hand-over
        handover = np.where(self.prev_ts == _NAT, self.start, self.prev_ts)
        wait_end = np.where(known, np.maximum(self.start, handover), self.ts)
        self.wait = clock.span(self.prev_ts, wait_end)
        self.service = clock.span(self.start, np.where(known, self.ts, _NAT))
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of a column per event (-1 where missing) and the names they stand for."""
        if column not in self._codes:
            codes, names = pd.factorize(self.log.events[column], sort=True)
            self._codes[column] = (codes.astype(np.int64), np.asarray(names, dtype=object))
        return self._codes[column]


def waiting_times(log: EventLog, *, working_time: bool = True,
                  calendar: WorkingCalendar | str | None = "cn") -> np.ndarray:
    """Seconds each event waited after the previous event of its case (NaN for a first event).

    Waiting runs from the completion of the previous event to the start of
    this one (to its completion where the log has no start time), in working
    time unless ``working_time=False``. Pass it as ``durations`` to
    :func:`procmine.abstractions.follows` to get the per-transition numbers of
    :func:`find_bottlenecks`.

    >>> from procmine.abstractions import follows
    >>> from procmine.simulate import simulate_log
    >>> log = simulate_log(cases=50, seed=1).to_event_log()
    >>> waits = waiting_times(log, calendar="cn")
    >>> bool(np.isnan(waits[0])), len(waits) == log.n_events
    (True, True)
    >>> table = follows(log, durations=waits).table       # what find_bottlenecks ranks
    >>> list(table.columns[:3])
    ['source', 'target', 'count']
    """
    cal, _ = _resolve_calendar(calendar, working_time)
    return _Events(log, _Clock(cal, log.timezone)).wait


def transition_waits(source: EventLog | Engine, *, working_time: bool = True,
                     calendar: WorkingCalendar | str | None = "cn",
                     part_events: int | None = None) -> Follows:
    """The directly-follows table with waiting times (seconds) per pair, as the process map draws it.

    For an ``EventLog`` it is ``follows(log, durations=waiting_times(log, ...))``;
    for an :class:`~procmine.engines.Engine` the same table, computed part by
    part over ``engine.event_logs(max_events=part_events)`` (by default as
    many events as the engine's ``memory_limit`` allows): counts, distinct
    cases, sums, minima and maxima add up, and the medians and p90 come from
    every wait, kept out of core.

    >>> from procmine.engines import get_engine
    >>> from procmine.io import read_log
    >>> with get_engine("duckdb", "logs/sample.csv") as engine:
    ...     parts = transition_waits(engine, working_time=False, part_events=5000).table
    >>> row = parts.iloc[0]
    >>> row["source"], row["target"], int(row["count"]), float(row["median"])
    ('处置', '反馈', 3420, 1406.5)
    >>> parts.equals(transition_waits(read_log("logs/sample.csv"), working_time=False).table)
    True
    """
    cal, _ = _resolve_calendar(calendar, working_time)
    tables = _Tables(source, clock=_Clock(cal, _timezone(source)), part_events=part_events)
    return tables.get("follows")


# --------------------------------------------------------------------------- group statistics


def _quantiles(group: np.ndarray, values: np.ndarray, n_groups: int, qs: tuple[float, ...],
               order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per group: count and sum of the non-missing values, and linear-interpolated quantiles.

    ``order`` is ``np.argsort(values, kind="stable")`` when the caller has it. A
    stable sort by group of the value-sorted events keeps each group's values in
    order; group codes fit 16 bits, so that sort is a radix sort. The quantile is
    the 'linear' one of pandas and numpy.
    """
    if order is None:
        order = np.argsort(values, kind="stable")
    g, v = group[order], values[order]
    ok = (g >= 0) & ~np.isnan(v)
    g, v = g[ok], v[ok]
    by_group = np.argsort(g.astype(np.uint16) if n_groups < 2**16 else g, kind="stable")
    g, v = g[by_group], v[by_group]
    sizes = np.bincount(g, minlength=n_groups)
    total = np.bincount(g, weights=v, minlength=n_groups).astype(float)
    total[sizes == 0] = np.nan
    starts = np.cumsum(sizes) - sizes
    out = []
    has = sizes > 0
    for q in qs:
        result = np.full(n_groups, np.nan)
        pos = (sizes[has] - 1) * q
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        a, b = v[starts[has] + lo], v[starts[has] + hi]
        result[has] = a + (b - a) * (pos - lo)
        out.append(result)
    return sizes, total, out


def _peaks(group: np.ndarray, time: np.ndarray, delta: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the highest running sum of ``delta`` in order of ``time``: +1/-1, sort, cumsum."""
    peak = np.zeros(n_groups, dtype=np.int64)
    if not len(group):
        return peak
    # pack the sign into the lowest bit so that -1 sorts before +1 at the same instant:
    # a hand-over is not two orders at once
    packed = (time - time.min()) * 2 + (delta > 0)
    order = np.argsort(packed, kind="stable")
    keys = group[order]
    by_group = np.argsort(keys.astype(np.uint16) if n_groups < 2**16 else keys, kind="stable")
    order = order[by_group]
    keys = keys[by_group]
    level = np.cumsum(delta[order])
    sizes = np.bincount(keys, minlength=n_groups)
    offsets = np.cumsum(sizes) - sizes
    has = sizes > 0
    # the running count restarts for each group: subtract the level reached before it
    before = np.zeros(n_groups, dtype=np.int64)
    before[has] = np.where(offsets[has] > 0, level[np.maximum(offsets[has] - 1, 0)], 0)
    level = level - np.repeat(before, sizes)
    peak[has] = np.maximum.reduceat(level, offsets[has])
    return peak


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array.

    Keys built case-major are sorted already in runs of one case, which a stable
    (merge) sort exploits; numpy's hashing unique is far slower here.
    """
    s = np.sort(values, kind="stable")
    if len(s) < 2:
        return s
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


def _distinct_cases(group: np.ndarray, case: np.ndarray, n_groups: int,
                    among: np.ndarray | None = None) -> np.ndarray:
    """Distinct cases per group (only cases where ``among[case]`` when given)."""
    ok = group >= 0
    if among is not None:
        ok &= among[case]
    pairs = _distinct(case[ok] * max(n_groups, 1) + group[ok])
    return np.bincount(pairs % max(n_groups, 1), minlength=n_groups)


def _rank(table: pd.DataFrame, column: str, key: str) -> pd.DataFrame:
    return table.sort_values([column, key], ascending=[False, True], kind="stable",
                             na_position="last").reset_index(drop=True)


def _stays(group: np.ndarray, ev: _Events) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive runs of a case's events in the same group: (group, begin ns, end ns)."""
    n = len(group)
    new_run = ev.first.copy()
    if n > 1:
        new_run[1:] |= group[1:] != group[:-1]
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:] - 1, n - 1) if n else starts
    # a stay begins at the hand-over; a case's first stay at its first start or completion
    begin = np.where(ev.prev_ts[starts] != _NAT, ev.prev_ts[starts],
                     np.where(ev.start[starts] != _NAT, ev.start[starts], ev.ts[starts]))
    end = np.maximum(ev.ts[ends], begin)
    known = group[starts] >= 0
    return group[starts][known], begin[known], end[known]


def _month_codes(ns: np.ndarray, timezone: str) -> np.ndarray:
    """Months since 1970-01 of instants, in the log's time zone."""
    local = pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(timezone)
    return local.tz_localize(None).to_numpy().astype("datetime64[M]").astype(np.int64)


# --------------------------------------------------------------------------- parts
#
# A log is measured in parts of whole cases: an Engine hands out many
# (Engine.event_logs), a log in memory is one. Per part, each table measures what
# adds up across parts (counts, sums, distinct cases: no case lies in two parts)
# in a small frame keyed by group, and sends the values that do not add up (waits
# for quantiles, stays for the peak of work in progress) to a store: a Collector
# of procmine.engines.parts out of core, or _Values in memory. Groups are keyed
# by codes shared by all parts (_Codes), not by each part's own codes.

#: Months from year 0 to 1970: month keys stay positive (stores ignore negative keys)
_MONTH0 = 1970 * 12


class _Codes:
    """Codes of the names of one column over all parts (coded as first seen)."""

    def __init__(self) -> None:
        self.names: list[Any] = []
        self._code: dict[Any, int] = {}

    def of(self, names: Sequence[Any]) -> np.ndarray:
        """The code of each name, coding new names as they come."""
        out = np.empty(len(names), dtype=np.int64)
        for i, name in enumerate(names):
            code = self._code.get(name)
            if code is None:
                code = self._code[name] = len(self.names)
                self.names.append(name)
            out[i] = code
        return out

    def ordered(self) -> tuple[np.ndarray, np.ndarray]:
        """The names sorted, as the rows of a table list them, and the row of each code."""
        names = np.array(self.names, dtype=object)
        order = np.argsort(names, kind="stable")
        row = np.empty(len(order), dtype=np.int64)
        row[order] = np.arange(len(order))
        return names[order], row


class _Part:
    """One part of a log (whole cases): its per-event arrays and the shared codes of its names."""

    def __init__(self, log: EventLog, clock: _Clock, codes: dict[str, _Codes]):
        self.log = log
        self.ev = _Events(log, clock)
        self._codes = codes
        self._keys: dict[str, np.ndarray] = {}
        #: (window, on time, overdue, late per case) of the cases with a deadline, once measured
        self.deadline: tuple[_Window, np.ndarray, np.ndarray, np.ndarray] | None = None

    def has(self, column: str) -> bool:
        return column in self.log.events.columns

    def keys(self, column: str) -> np.ndarray:
        """The shared code of each of this part's names of ``column`` (``ev.codes`` order)."""
        if column not in self._keys:
            self._keys[column] = self._codes[column].of(list(self.ev.codes(column)[1]))
        return self._keys[column]

    def code(self, column: str) -> np.ndarray:
        """The shared code of each event's ``column`` (-1 where missing)."""
        return np.append(self.keys(column), -1)[self.ev.codes(column)[0]]


class _Values:
    """The values of a log in memory that tables take quantiles and peaks of.

    The in-memory counterpart of :class:`procmine.engines.parts.Collector`:
    the same calls and the same numbers, with numpy.
    """

    def __init__(self) -> None:
        self._frames: dict[str, list[pd.DataFrame]] = {}

    def __enter__(self) -> _Values:
        return self

    def __exit__(self, *exc: object) -> None:
        self._frames.clear()

    def add(self, name: str, frame: pd.DataFrame) -> None:
        self._frames.setdefault(name, []).append(frame)

    def _arrays(self, name: str, *columns: str) -> list[np.ndarray]:
        frames = self._frames.get(name, [])
        return [np.concatenate([f[c].to_numpy() for f in frames]) if frames
                else np.zeros(0, dtype=np.int64) for c in columns]

    def quantiles(self, name: str, key: str, value: str, qs: Sequence[float]) -> pd.DataFrame:
        group, values = self._arrays(name, key, value)
        group = group.astype(np.int64)
        k = int(group.max()) + 1 if len(group) else 0
        sizes, total, found = _quantiles(group, values.astype(np.float64), k, tuple(qs))
        has = np.flatnonzero(sizes)
        return pd.DataFrame({key: has, "n": sizes[has], "total": total[has],
                             **{f"q{i}": q[has] for i, q in enumerate(found)}})

    def peaks(self, name: str, key: str, time: str, delta: str) -> pd.DataFrame:
        group, t, d = (a.astype(np.int64) for a in self._arrays(name, key, time, delta))
        k = int(group.max()) + 1 if len(group) else 0
        has = np.flatnonzero(np.bincount(group, minlength=k))
        return pd.DataFrame({key: has, "peak": _peaks(group, t, d, k)[has]})


def _add(values: Any, name: str, key: np.ndarray, value: np.ndarray) -> None:
    """Send the (key, value) rows that have both to the store."""
    ok = (key >= 0) & ~np.isnan(value)
    values.add(name, pd.DataFrame({"key": key[ok], "value": value[ok]}))


def _summed(frames: list[pd.DataFrame | None]) -> pd.DataFrame:
    """The parts' frames added up per ``key`` (the index)."""
    frame = pd.concat([f for f in frames if f is not None], ignore_index=True)
    return frame.groupby("key", sort=True).sum()


def _spread(keys: Any, values: Any, row: np.ndarray, k: int, fill: float = np.nan,
            dtype: Any = np.float64) -> np.ndarray:
    """Values by shared code laid out by table row (``fill`` where a row has none)."""
    out = np.full(k, fill, dtype=dtype)
    out[row[np.asarray(keys, dtype=np.int64)]] = np.asarray(values)
    return out


def _timezone(source: Any) -> str:
    return source.timezone if isinstance(source, EventLog) else source.source.timezone


def _missing(by: str) -> ColumnError:
    column = {"unit": RESOURCE, "level": LEVEL, "category": CATEGORY}[by]
    option = {"unit": "--resource", "level": "--level", "category": "--category"}[by]
    return ColumnError(f"--by {by} needs the {column} column, and this log has none",
                       hint=f"name the column that holds it with {option} COLUMN")


# --------------------------------------------------------------------------- tables


class _Tables:
    """The tables of one analysis, each computed the first time it is asked for.

    Computing a table measures it in every part of the source (the one part of
    a log in memory, kept; the parts an engine hands out, read again) and then
    aggregates the measures: ``_measure_<name>(part, values)`` returns what
    adds up and sends the rest to ``values``; ``_finish_<name>(measures,
    values)`` makes the table. :meth:`run` measures several tables in one pass.
    """

    def __init__(self, source: EventLog | Engine, *, clock: _Clock, due_clock: _Clock | None = None,
                 workflow: Any = None, part_events: int | None = None, require: str | None = None):
        self.source, self.clock, self.workflow = source, clock, workflow
        self.due_clock = due_clock or clock
        self.require = require
        self.part_events = part_events
        if part_events is None and not isinstance(source, EventLog):
            from procmine.engines import parts

            self.part_events = parts.part_events(source.memory_limit)
        self.codes: dict[str, _Codes] = defaultdict(_Codes)
        self.present: set[str] = set()  # columns with a value in some part
        self.levels: tuple[str, ...] = ()
        self.cache: dict[str, Any] = {}
        self.kept: _Part | None = None

    def get(self, name: str) -> Any:
        if name not in self.cache:
            if name == "transition":
                self.cache[name] = _transitions(self.get("follows").table, self.total_wait)
            else:
                self.run((name,))
        return self.cache[name]

    def run(self, names: Sequence[str]) -> None:
        """Measure the tables ``names`` in one pass over the parts, then aggregate them."""
        names = [n for n in names if n not in self.cache]
        if not names:
            return
        measures: dict[str, list[Any]] = {name: [] for name in names}
        store = _Values() if isinstance(self.source, EventLog) else self.source.collector()
        with store as values:
            for part in self._parts():
                for name in names:
                    measures[name].append(getattr(self, f"_measure_{name}")(part, values))
            if not isinstance(self.source, EventLog) and not any(measures.values()):
                raise InputError(f"{self.source.source.name}: no events to measure")
            for name in names:
                self.cache[name] = getattr(self, f"_finish_{name}")(measures[name], values)

    def _parts(self) -> Iterator[_Part]:
        if isinstance(self.source, EventLog):
            if self.kept is None:
                self.kept = self._part(self.source)
            yield self.kept
            return
        for log in self.source.event_logs(max_events=self.part_events):
            yield self._part(log)

    def _part(self, log: EventLog) -> _Part:
        if self.require and self.require not in log.events.columns:
            raise _missing({RESOURCE: "unit", LEVEL: "level", CATEGORY: "category"}[self.require])
        self.present.update(c for c in log.events.columns if log.has(c))
        self.levels = log.levels
        return _Part(log, self.clock, self.codes)

    # ------------------------------------------------------------------ totals

    @property
    def total_wait(self) -> float:
        return self.get("totals")["total_wait"]

    def _measure_totals(self, part: _Part, values: Any) -> tuple:
        ev = part.ev
        earliest = np.where(ev.start != _NAT, np.minimum(ev.start, ev.ts), ev.ts)
        return (float(np.nansum(ev.wait)), bool((ev.start != _NAT).any()),
                int(((ev.start == _NAT) & ~ev.first).sum()),
                int(earliest.min()) if ev.n else None, int(ev.ts.max()) if ev.n else None)

    def _finish_totals(self, measures: list[tuple], values: Any) -> dict[str, Any]:
        firsts = [m[3] for m in measures if m[3] is not None]
        lasts = [m[4] for m in measures if m[4] is not None]
        return {
            "total_wait": sum(m[0] for m in measures),
            "service": any(m[1] for m in measures),
            "missing_start": sum(m[2] for m in measures),
            # the log's span, from its first start (or completion) to its last completion
            "span": float(max(lasts) - min(firsts)) / 1e9 if firsts else 0.0,
        }

    # ------------------------------------------------------------------ transitions

    def _measure_follows(self, part: _Part, values: Any) -> Follows:
        ev = part.ev
        act, names = ev.codes(ACTIVITY)
        i = np.flatnonzero(~ev.first)
        k = max(len(names), 1)
        local, pairs = pd.factorize(act[i - 1] * k + act[i])
        keys = self.codes["pair"].of([(names[p // k], names[p % k]) for p in pairs])
        _add(values, "follows", np.append(keys, -1)[local], ev.wait[i])
        return follows(part.log, durations=ev.wait)

    def _finish_follows(self, measures: list[Follows], values: Any) -> Follows:
        if len(measures) == 1:
            return measures[0]  # a single part is its own table (a log in memory)
        from procmine.engines import finish_follows

        frame = pd.concat([m.table for m in measures], ignore_index=True)
        table = frame.groupby(["source", "target"], sort=False).agg(
            count=("count", "sum"), cases=("cases", "sum"), total=("total", "sum"),
            min=("min", "min"), max=("max", "max")).reset_index()
        q = values.quantiles("follows", "key", "value", (0.5, 0.9))
        pairs = [self.codes["pair"].names[k] for k in q["key"].astype(np.int64)]
        found = pd.DataFrame({"source": [p[0] for p in pairs], "target": [p[1] for p in pairs],
                              "n": q["n"].to_numpy(), "median": q["q0"].to_numpy(),
                              "p90": q["q1"].to_numpy()})
        table = table.merge(found, on=["source", "target"], how="left")
        with np.errstate(invalid="ignore", divide="ignore"):
            table["mean"] = table["total"] / table["n"]  # a mean over the waits known, as pandas
        starts, ends = Counter(), Counter()
        for m in measures:
            starts.update(m.starts)
            ends.update(m.ends)
        return finish_follows(table, *(pd.DataFrame({"activity": list(c), "n": list(c.values())})
                                       for c in (starts, ends)))

    # ------------------------------------------------------------------ activities

    def _measure_activity(self, part: _Part, values: Any) -> pd.DataFrame:
        ev = part.ev
        act, names = ev.codes(ACTIVITY)
        code = part.code(ACTIVITY)
        _add(values, "activity", code, ev.wait)
        _add(values, "activity_service", code, ev.service)
        return pd.DataFrame({"key": part.keys(ACTIVITY),
                             "count": np.bincount(act[act >= 0], minlength=len(names))})

    def _finish_activity(self, measures: list[pd.DataFrame], values: Any) -> pd.DataFrame:
        names, row = self.codes[ACTIVITY].ordered()
        k = len(names)
        s = _summed(measures)
        table = pd.DataFrame({"activity": names,
                              "count": _spread(s.index, s["count"], row, k, 0, np.int64)})
        for column, data in self._waits(values, "activity", row, k).items():
            table[column] = data
        if self.get("totals")["service"]:
            total, (median, p90) = _quantile_rows(values, "activity_service", row, k, (0.5, 0.9))
            table["service_median"] = median
            table["service_p90"] = p90
            table["service_total"] = total
        return _rank(table, "wait_total", "activity")

    def _waits(self, values: Any, name: str, row: Any, k: int) -> dict[str, np.ndarray]:
        total, (median, p90) = _quantile_rows(values, name, row, k, (0.5, 0.9))
        total_wait = self.total_wait
        share = total / total_wait if total_wait > 0 else np.full(k, np.nan)
        return {"wait_median": median, "wait_p90": p90, "wait_total": total, "wait_share": share}

    # ------------------------------------------------------------------ units and levels

    def _measure_unit(self, part: _Part, values: Any) -> pd.DataFrame | None:
        return self._measure_organisation(part, values, RESOURCE, "unit")

    def _measure_level(self, part: _Part, values: Any) -> pd.DataFrame | None:
        return self._measure_organisation(part, values, LEVEL, "level")

    def _measure_organisation(self, part: _Part, values: Any, column: str,
                              label: str) -> pd.DataFrame | None:
        if not part.has(column):
            return None
        ev = part.ev
        group, names = ev.codes(column)
        k = len(names)
        code = np.append(part.keys(column), -1)
        stay, begin, end = _stays(group, ev)
        frame = pd.DataFrame({"key": part.keys(column),
                              "events": np.bincount(group[group >= 0], minlength=k),
                              "cases": _distinct_cases(group, ev.case, k),
                              "busy": np.bincount(stay, weights=(end - begin) / 1e9, minlength=k)})
        deadline = self._deadline(part)
        if deadline is not None:
            frame["overdue_cases"] = _distinct_cases(group, ev.case, k, among=deadline[3])
        _add(values, label, code[group], ev.wait)
        ones = np.ones(len(stay), dtype=np.int64)
        values.add(f"{label}_stays", pd.DataFrame({"key": code[np.concatenate((stay, stay))],
                                                   "time": np.concatenate((begin, end)),
                                                   "delta": np.concatenate((ones, -ones))}))
        return frame

    def _finish_unit(self, measures: list[Any], values: Any) -> pd.DataFrame | None:
        units = self._finish_organisation(measures, values, RESOURCE, "unit")
        if units is None:
            return None
        # a bottleneck unit is slow with each order, whatever its volume: rank by the
        # median wait before it acts (then by total); the busiest units lead on total
        return units.sort_values(["wait_median", "wait_total", "unit"],
                                 ascending=[False, False, True], kind="stable",
                                 na_position="last").reset_index(drop=True)

    def _finish_level(self, measures: list[Any], values: Any) -> pd.DataFrame | None:
        levels = self._finish_organisation(measures, values, LEVEL, "level")
        if levels is None:
            return None
        order = {name: i for i, name in enumerate(self.levels)}
        levels = levels.assign(_o=levels["level"].map(order).fillna(len(order)))
        levels = levels.sort_values(["_o", "level"], kind="stable").drop(columns="_o")
        return levels.reset_index(drop=True)

    def _finish_organisation(self, measures: list[Any], values: Any, column: str,
                             label: str) -> pd.DataFrame | None:
        if column not in self.present:
            return None
        names, row = self.codes[column].ordered()
        k = len(names)
        s = _summed(measures)
        table = pd.DataFrame({label: names,
                              "events": _spread(s.index, s["events"], row, k, 0, np.int64),
                              "cases": _spread(s.index, s["cases"], row, k, 0, np.int64)})
        # work in progress: mean over the log's span (total stay time / span), and peak
        span = self.get("totals")["span"]
        busy = _spread(s.index, s["busy"], row, k, 0.0)
        table["wip_mean"] = busy / span if span > 0 else np.full(k, np.nan)
        peaks = values.peaks(f"{label}_stays", "key", "time", "delta")
        table["wip_peak"] = _spread(peaks["key"], peaks["peak"], row, k, 0, np.int64)
        for name, data in self._waits(values, label, row, k).items():
            table[name] = data
        deadlines = self.get("deadlines")
        if deadlines is not None:
            n_late = deadlines.n_overdue
            table["overdue_cases"] = _spread(s.index, s["overdue_cases"], row, k, 0, np.int64)
            table["overdue_share"] = table["overdue_cases"] / n_late if n_late else np.nan
        return table

    # ------------------------------------------------------------------ categories and months

    def _measure_category(self, part: _Part, values: Any) -> pd.DataFrame | None:
        if not part.has(CATEGORY):
            return None
        ev = part.ev
        group, names = ev.codes(CATEGORY)
        code = np.append(part.keys(CATEGORY), -1)
        _add(values, "category", code[group], ev.wait)
        first, last = ev.first_idx, ev.last_idx
        begin = np.where(ev.start[first] != _NAT, ev.start[first], ev.ts[first])
        _add(values, "category_case", code[group[first]], self.clock.span(begin, ev.ts[last]))
        return pd.DataFrame({"key": part.keys(CATEGORY),
                             "cases": _distinct_cases(group, ev.case, len(names))})

    def _finish_category(self, measures: list[Any], values: Any) -> pd.DataFrame | None:
        if CATEGORY not in self.present:
            return None
        names, row = self.codes[CATEGORY].ordered()
        k = len(names)
        s = _summed(measures)
        table = pd.DataFrame({"category": names,
                              "cases": _spread(s.index, s["cases"], row, k, 0, np.int64)})
        _, (median,) = _quantile_rows(values, "category_case", row, k, (0.5,))
        table["case_median"] = median
        for name, data in self._waits(values, "category", row, k).items():
            table[name] = data
        deadlines = self.get("deadlines")
        if deadlines is not None:
            by = deadlines.by_category.set_index("category")
            for column in ("deadline_cases", "overdue_cases", "on_time_rate", "overdue_median"):
                table[column] = by[column].reindex(names).to_numpy()
            for column in ("deadline_cases", "overdue_cases"):
                table[column] = table[column].fillna(0).astype("int64")
        return _rank(table, "wait_total", "category")

    def _measure_month(self, part: _Part, values: Any) -> pd.DataFrame:
        ev = part.ev
        month = _month_codes(ev.ts, self.clock.timezone) + _MONTH0
        keys, group = np.unique(month, return_inverse=True)
        _add(values, "month", month, ev.wait)
        return pd.DataFrame({"key": keys, "events": np.bincount(group, minlength=len(keys)),
                             "cases_closed": np.bincount(group[ev.last], minlength=len(keys))})

    def _finish_month(self, measures: list[pd.DataFrame], values: Any) -> pd.DataFrame:
        s = _summed(measures)
        keys = s.index.to_numpy(dtype=np.int64)
        base = int(keys.min()) if len(keys) else 0
        k = int(keys.max()) - base + 1 if len(keys) else 0
        row = np.arange(k) if k else np.zeros(0, dtype=np.int64)
        at = keys - base
        table = pd.DataFrame({
            "month": np.datetime_as_string((np.arange(k) + base - _MONTH0).astype("datetime64[M]")),
            "events": _spread(at, s["events"], row, k, 0, np.int64),
            "cases_closed": _spread(at, s["cases_closed"], row, k, 0, np.int64),
        })
        for name, data in self._waits(values, "month", lambda key: key - base, k).items():
            table[name] = data
        deadlines = self.get("deadlines")
        if deadlines is not None and len(deadlines.cases):
            end = _month_codes(_ns(deadlines.cases["end"]), self.clock.timezone) + _MONTH0 - base
            inside = (end >= 0) & (end < k)
            on_time = deadlines.cases["on_time"].to_numpy(dtype=bool)
            n = np.bincount(end[inside], minlength=k)
            table["deadline_cases"] = n
            with np.errstate(invalid="ignore", divide="ignore"):
                table["on_time_rate"] = np.bincount(end[inside], weights=on_time[inside],
                                                    minlength=k) / n
        return table[table["events"] > 0].reset_index(drop=True)

    # ------------------------------------------------------------------ deadlines

    def _deadline(self, part: _Part) -> tuple[_Window, np.ndarray, np.ndarray, np.ndarray] | None:
        """The part's cases with a deadline: window, on time, overdue, and late per case."""
        if part.deadline is None and (self.workflow is not None or part.has(DEADLINE)):
            ev = part.ev
            window = (_workflow_window(ev, self.due_clock, self.workflow)
                      if self.workflow is not None else _column_window(ev))
            on_time = window.end <= window.due
            overdue = np.where(on_time, 0.0, self.clock.span(window.due, window.end))
            late = np.zeros(len(ev.first_idx), dtype=bool)
            late[window.code[~on_time]] = True
            part.deadline = (window, on_time, overdue, late)
        return part.deadline

    def _measure_deadlines(self, part: _Part, values: Any) -> tuple | None:
        deadline = self._deadline(part)
        if deadline is None:
            return None
        window, on_time, overdue, _ = deadline
        ev, code = part.ev, window.code
        category = np.full(len(code), None, dtype=object)
        case_cat = np.full(len(code), -1, dtype=np.int64)
        cat_keys = np.zeros(0, dtype=np.int64)
        if part.has(CATEGORY):
            cat, cat_names = ev.codes(CATEGORY)
            case_cat = cat[ev.first_idx][code]
            category[case_cat >= 0] = cat_names[case_cat[case_cat >= 0]]
            cat_keys = part.keys(CATEGORY)
        tz = self.clock.timezone
        cases = pd.DataFrame({
            "case": ev.case_ids[code], "category": category,
            "clock_start": _stamp(window.clock_start, tz),
            "due": _stamp(window.due, tz), "end": _stamp(window.end, tz),
            "on_time": on_time, "overdue": overdue,
        })
        groups = {"category": _deadline_counts(values, "deadline_category", cat_keys, case_cat,
                                               on_time, overdue)}
        # per unit: the cases with a deadline that the unit acted on
        if part.has(RESOURCE):
            unit, unit_names = ev.codes(RESOURCE)
            k = max(len(unit_names), 1)
            ok = unit >= 0
            pairs = _distinct(ev.case[ok] * k + unit[ok])
            pair_case, pair_unit = pairs // k, pairs % k
            slot = np.full(len(ev.first_idx), -1, dtype=np.int64)
            slot[code] = np.arange(len(code))
            keep = slot[pair_case] >= 0
            s = slot[pair_case[keep]]
            groups["unit"] = _deadline_counts(values, "deadline_unit", part.keys(RESOURCE),
                                              pair_unit[keep], on_time[s], overdue[s])
        late = ~on_time
        return cases, groups, _overdue_by_transition(ev, self.clock, code[late],
                                                     window.due[late], window.end[late])

    def _finish_deadlines(self, measures: list[Any], values: Any) -> Deadlines | None:
        if self.workflow is None and DEADLINE not in self.present:
            return None
        measures = [m for m in measures if m is not None]
        source = (f"workflow {_name(self.workflow)}" if self.workflow is not None
                  else f"column {DEADLINE}")
        cases = pd.concat([m[0] for m in measures], ignore_index=True)
        by_category = self._deadline_table([m[1]["category"] for m in measures], values,
                                           "deadline_category", CATEGORY, "category")
        if RESOURCE in self.present:
            by_unit = self._deadline_table([m[1]["unit"] for m in measures], values,
                                           "deadline_unit", RESOURCE, "unit")
            n_late = int((~cases["on_time"]).sum())
            by_unit["overdue_share"] = by_unit["overdue_cases"] / n_late if n_late else np.nan
            by_unit = _rank(by_unit, "overdue_cases", "unit")
        else:
            by_unit = pd.DataFrame({"unit": []})
        return Deadlines(source, cases, by_category, by_unit,
                         _overdue_ranked([m[2] for m in measures]))

    def _deadline_table(self, measures: list[pd.DataFrame], values: Any, name: str, column: str,
                        label: str) -> pd.DataFrame:
        names, row = self.codes[column].ordered()
        k = len(names)
        s = _summed(measures)
        n = _spread(s.index, s["deadline_cases"], row, k, 0, np.int64)
        total, (median,) = _quantile_rows(values, name, row, k, (0.5,))
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = _spread(s.index, s["on_time_cases"], row, k, 0.0) / n
        table = pd.DataFrame({label: names, "deadline_cases": n,
                              "overdue_cases": _spread(s.index, s["overdue_cases"], row, k, 0,
                                                       np.int64),
                              "on_time_rate": rate, "overdue_median": median,
                              "overdue_total": np.nan_to_num(total)})
        return table[table["deadline_cases"] > 0].reset_index(drop=True)


def _quantile_rows(values: Any, name: str, row: Any, k: int,
                   qs: tuple[float, ...]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per table row: the total and the quantiles ``qs`` of the values ``name`` collected.

    ``row`` maps shared codes to rows (an array, or a function of the code array).
    """
    q = values.quantiles(name, "key", "value", qs)
    keys = q["key"].to_numpy(dtype=np.int64)
    at = row(keys) if callable(row) else row[keys]
    out = []
    for column in ("total", *(f"q{i}" for i in range(len(qs)))):
        data = np.full(k, np.nan)
        data[at] = q[column].to_numpy(dtype=np.float64)
        out.append(data)
    return out[0], out[1:]


def _transitions(table: pd.DataFrame, total_wait: float) -> pd.DataFrame:
    table = table[["source", "target", "count", "cases", "mean", "median", "p90", "total"]].copy()
    table["share"] = table["total"] / total_wait if total_wait > 0 else np.nan
    table = table.sort_values(["total", "count", "source", "target"],
                              ascending=[False, False, True, True], kind="stable")
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- deadlines


def _clock_stop(ev: _Events) -> np.ndarray:
    """Index of the event that stops each case's deadline clock: its first close step
    (结案, as a workflow deadline "-> 结案" counts it), else its last event."""
    from procmine.vocabulary import role_of

    act, names = ev.codes(ACTIVITY)
    closing = np.flatnonzero([role_of(str(a)) == "close" for a in names])
    stop = ev.last_idx.copy()
    is_close = np.isin(act, closing)
    if is_close.any():
        idx = np.flatnonzero(is_close)
        first_close = np.full(len(stop), ev.n, dtype=np.int64)
        np.minimum.at(first_close, ev.case[idx], idx)
        stop = np.where(first_close < ev.n, first_close, stop)
    return stop


@dataclass(frozen=True)
class _Window:
    """Per case with a deadline: case code, clock start, due and clock stop (int64 ns)."""

    code: np.ndarray
    clock_start: np.ndarray
    due: np.ndarray
    end: np.ndarray


def _column_window(ev: _Events) -> _Window:
    due = _ns(ev.log.events[DEADLINE])
    per_case = np.full(len(ev.first_idx), _NAT, dtype=np.int64)
    has = due != _NAT
    # the first due time given in each case
    idx = np.flatnonzero(has)[::-1]
    per_case[ev.case[idx]] = due[idx]
    code = np.flatnonzero(per_case != _NAT)
    stop = _clock_stop(ev)
    return _Window(code, np.full(len(code), _NAT, dtype=np.int64), per_case[code],
                   ev.ts[stop[code]])


def _workflow_window(ev: _Events, due_clock: _Clock, workflow: Any) -> _Window:
    """Deadlines of a :class:`procmine.workflow.Workflow`: per category, step A -> step B.

    The clock starts at the case's first A and stops at its first B after that
    (a case without a B stops at its last event: still open when the log ends).
    """
    deadlines = tuple(getattr(workflow, "deadlines", ()) or ())
    if not deadlines:
        raise SpecError(f"{_name(workflow)}: the workflow sets no deadlines",
                        hint="add a deadlines: section (docs/workflow.md) or use a deadline column")
    act, act_names = ev.codes(ACTIVITY)
    steps = np.asarray([workflow.step_of(str(a)) for a in act_names], dtype=object)
    if ev.log.has(CATEGORY):
        cat, cat_names = ev.codes(CATEGORY)
        case_cat = cat[ev.first_idx]
    else:
        case_cat, cat_names = np.full(len(ev.first_idx), -1, dtype=np.int64), np.array([])
    rules = list(deadlines)
    # the rule of each case: its category's, else the catch-all one (category None)
    catch_all = next((r for r, d in enumerate(rules) if d.category is None), -1)
    case_rule = np.full(len(ev.first_idx), catch_all, dtype=np.int64)
    for r, d in enumerate(rules):
        if d.category is not None:
            case_rule[case_cat == _code_of(cat_names, d.category)] = r
    idx = np.arange(ev.n)
    parts = []
    for r, d in enumerate(rules):
        in_rule = case_rule[ev.case] == r
        begin_hits = in_rule & np.isin(act, np.flatnonzero(steps == d.start))
        if not begin_hits.any():
            continue
        first_begin = np.full(len(ev.first_idx), ev.n, dtype=np.int64)
        np.minimum.at(first_begin, ev.case[begin_hits], idx[begin_hits])
        end_hits = (in_rule & np.isin(act, np.flatnonzero(steps == d.end))
                    & (idx > first_begin[ev.case]))
        first_end = np.full(len(ev.first_idx), ev.n, dtype=np.int64)
        np.minimum.at(first_end, ev.case[end_hits], idx[end_hits])
        code = np.flatnonzero(first_begin < ev.n)
        stop = np.where(first_end[code] < ev.n, first_end[code], ev.last_idx[code])
        start = ev.ts[first_begin[code]]
        if d.working:
            day = float(getattr(due_clock.calendar, "day_seconds", 86_400))
            due = due_clock.add(start, np.full(len(code), d.working_seconds(day)))
        else:
            due = start + np.int64(round(d.clock_seconds() * 1e9))
        parts.append(_Window(code, start, due, ev.ts[stop]))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return _Window(empty, empty, empty, empty)
    code = np.concatenate([p.code for p in parts])
    order = np.argsort(code, kind="stable")
    return _Window(code[order], np.concatenate([p.clock_start for p in parts])[order],
                   np.concatenate([p.due for p in parts])[order],
                   np.concatenate([p.end for p in parts])[order])


def _code_of(names: np.ndarray, name: Any) -> int:
    """The code of a name (-2, matching no event, where the log lacks it)."""
    found = np.flatnonzero(names == name)
    return int(found[0]) if len(found) else -2


def _name(workflow: Any) -> str:
    return str(getattr(workflow, "path", None) or getattr(workflow, "name", None) or "spec")


def _stamp(ns: np.ndarray, timezone: str) -> pd.Series:
    values = np.where(ns == _NAT, np.datetime64("NaT"), ns.astype("datetime64[ns]"))
    return pd.Series(pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(timezone))


def _deadline_counts(values: Any, name: str, keys: np.ndarray, group: np.ndarray,
                     on_time: np.ndarray, overdue: np.ndarray) -> pd.DataFrame:
    """Per group (a part's codes, ``keys`` their shared codes): cases with a deadline,
    overdue cases and on-time cases; the overdue times of late cases go to ``values``."""
    k = len(keys)
    ok = group >= 0
    g = group[ok]
    late = ok & ~on_time
    _add(values, name, np.append(keys, -1)[group[late]], overdue[late])
    return pd.DataFrame({"key": keys, "deadline_cases": np.bincount(g, minlength=k),
                         "overdue_cases": np.bincount(g, weights=~on_time[ok],
                                                      minlength=k).astype(np.int64),
                         "on_time_cases": np.bincount(g, weights=on_time[ok], minlength=k)})


def _overdue_by_transition(ev: _Events, clock: _Clock, code: np.ndarray, due: np.ndarray,
                           end: np.ndarray) -> pd.DataFrame:
    """The overdue part of each transition interval [previous completion, completion]."""
    n_cases = len(ev.first_idx)
    case_due = np.full(n_cases, _NAT, dtype=np.int64)
    case_end = np.full(n_cases, _NAT, dtype=np.int64)
    case_due[code], case_end[code] = due, end
    i = np.flatnonzero(~ev.first & (case_due[ev.case] != _NAT))
    lo = np.maximum(ev.prev_ts[i], case_due[ev.case[i]])
    hi = np.minimum(ev.ts[i], case_end[ev.case[i]])
    keep = hi > lo
    i, lo, hi = i[keep], lo[keep], hi[keep]
    part = clock.span(lo, hi)
    act, names = ev.codes(ACTIVITY)
    k = len(names)
    pair = act[i - 1] * k + act[i]
    inverse, uniq = pd.factorize(pair, sort=True)
    total = np.bincount(inverse, weights=part, minlength=len(uniq))
    cases = _distinct_cases(inverse, ev.case[i], len(uniq))
    return pd.DataFrame({"source": names[uniq // k] if len(uniq) else [],
                         "target": names[uniq % k] if len(uniq) else [],
                         "cases": cases, "overdue": total})


def _overdue_ranked(measures: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts' overdue time per transition added up, with its share, largest first."""
    if len(measures) == 1:
        table = measures[0]
    else:
        table = pd.concat(measures, ignore_index=True).groupby(
            ["source", "target"], sort=True, as_index=False)[["cases", "overdue"]].sum()
    grand = float(table["overdue"].sum())
    table["share"] = table["overdue"] / grand if grand > 0 else np.nan
    return table.sort_values(["overdue", "source", "target"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- API


def find_bottlenecks(
    log: EventLog | Engine,
    *,
    by: By = "transition",
    working_time: bool = True,
    calendar: WorkingCalendar | str | None = "cn",
    workflow: Workflow | None = None,
    top: int | None = None,
    part_events: int | None = None,
) -> BottleneckResult:
    """Where the orders of ``log`` wait, at which units and levels, and which deadlines slip.

    ``by`` picks the table in ``result.table``: ``transition`` (a -> b, ranked
    by total waiting time), ``activity``, ``unit``, ``level``, ``category`` or
    ``month``. Times are working seconds of ``calendar`` (``"cn"``, ``"none"``,
    a calendar file, or a :class:`procmine.calendar.WorkingCalendar`), or
    clock seconds with ``working_time=False``. Deadlines come from
    ``workflow`` (a parsed workflow spec with deadlines per category) or else
    from the ``case:deadline`` column.

    ``log`` is an ``EventLog`` or an open :class:`~procmine.engines.Engine`,
    for a log larger than memory: the engine hands out the log in parts of
    whole cases, ``part_events`` events each (by default as many as its
    ``memory_limit`` allows), and the result is the same as in memory. The
    ``by`` table, the transitions and the deadlines come from one pass over the
    parts; each other table (``result.units``, ...) reads the parts again
    when first asked for, so ask while the engine is open.

    >>> from procmine.simulate import simulate_log
    >>> log = simulate_log(cases=300, seed=1).to_event_log()
    >>> result = find_bottlenecks(log, by="unit", top=3)
    >>> result.table["unit"].iloc[0], result.time_basis, result.calendar[:3]
    ('房管办', 'working', 'cn:')
    >>> round(result.deadlines.on_time_rate, 2) <= 1
    True
    """
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
    if top is not None and top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    cal, basis = _resolve_calendar(calendar, working_time)
    timezone = _timezone(log)
    clock = _Clock(cal, timezone)
    # deadlines in working days need the calendar even when durations are shown in clock time
    due_clock = clock
    if workflow is not None and basis == "clock" and calendar is not None:
        due_clock = _Clock(_resolve_calendar(calendar, True)[0], timezone)
    tables = _Tables(log, clock=clock, due_clock=due_clock, workflow=workflow,
                     part_events=part_events,
                     require={"unit": RESOURCE, "level": LEVEL, "category": CATEGORY}.get(by))
    tables.run(("totals", "deadlines", "follows", *((by,) if by != "transition" else ())))
    chosen = tables.get(by)
    if chosen is None:
        raise _missing(by)
    totals = tables.get("totals")
    notes = []
    missing = totals["missing_start"]
    if totals["service"] and missing:
        notes.append(f"{missing:,} event{' has' if missing == 1 else 's have'} no start time: "
                     "waiting runs to the completion and includes the service time")
    return BottleneckResult(
        by=by, time_basis=basis, calendar=_label(cal), service_time=totals["service"],
        total_wait=totals["total_wait"],
        table=chosen.head(top).reset_index(drop=True) if top else chosen,
        transitions=tables.get("transition"), deadlines=tables.get("deadlines"),
        notes=tuple(notes), _tables=tables,
    )
