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
``durations``, so ``procmine map --metric p90-wait`` shows the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from procmine.abstractions import follows
from procmine.errors import ColumnError, SpecError
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
        self._wait_order: np.ndarray | None = None

    @property
    def wait_order(self) -> np.ndarray:
        """``np.argsort(wait, kind="stable")``, sorted once for every grouping."""
        if self._wait_order is None:
            self._wait_order = np.argsort(self.wait, kind="stable")
        return self._wait_order

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


def _wait_columns(group: np.ndarray, values: np.ndarray, n_groups: int, total_wait: float,
                  prefix: str, order: np.ndarray | None = None) -> dict[str, np.ndarray]:
    _, total, (median, p90) = _quantiles(group, values, n_groups, (0.5, 0.9), order)
    share = total / total_wait if total_wait > 0 else np.full(n_groups, np.nan)
    return {f"{prefix}median": median, f"{prefix}p90": p90, f"{prefix}total": total,
            f"{prefix}share": share}


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


# --------------------------------------------------------------------------- tables


def _transitions(log: EventLog, ev: _Events, total_wait: float) -> pd.DataFrame:
    table = follows(log, durations=ev.wait).table
    table = table[["source", "target", "count", "cases", "mean", "median", "p90", "total"]].copy()
    table["share"] = table["total"] / total_wait if total_wait > 0 else np.nan
    table = table.sort_values(["total", "count", "source", "target"],
                              ascending=[False, False, True, True], kind="stable")
    return table.reset_index(drop=True)


def _activities(ev: _Events, total_wait: float, service: bool) -> pd.DataFrame:
    act, names = ev.codes(ACTIVITY)
    k = len(names)
    table = pd.DataFrame({"activity": names, "count": np.bincount(act[act >= 0], minlength=k)})
    for column, values in _wait_columns(act, ev.wait, k, total_wait, "wait_", ev.wait_order).items():
        table[column] = values
    if service:
        _, total, (median, p90) = _quantiles(act, ev.service, k, (0.5, 0.9))
        table["service_median"] = median
        table["service_p90"] = p90
        table["service_total"] = total
    return _rank(table, "wait_total", "activity")


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


def _wip(group: np.ndarray, begin: np.ndarray, end: np.ndarray, n_groups: int,
         span: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean (over the log's span) and peak number of open stays per group: +1/-1, sort, cumsum."""
    peak = np.zeros(n_groups, dtype=np.int64)
    busy = np.bincount(group, weights=(end - begin) / 1e9, minlength=n_groups)
    mean = busy / span if span > 0 else np.full(n_groups, np.nan)
    if not len(group):
        return mean, peak
    times = np.concatenate((begin, end))
    # pack the +1/-1 into the lowest bit so that closing sorts before opening at the same
    # instant: a hand-over is not two orders at once
    base = times.min()
    packed = (times - base) * 2 + np.concatenate((np.ones(len(begin), dtype=np.int64),
                                                  np.zeros(len(end), dtype=np.int64)))
    keys = np.concatenate((group, group))
    order = np.argsort(packed, kind="stable")
    keys = keys[order]
    by_group = np.argsort(keys.astype(np.uint16) if n_groups < 2**16 else keys, kind="stable")
    order = order[by_group]
    keys = keys[by_group]
    delta = np.where(order < len(begin), 1, -1)
    level = np.cumsum(delta)
    sizes = np.bincount(keys, minlength=n_groups)
    offsets = np.cumsum(sizes) - sizes
    has = sizes > 0
    # the running count restarts for each group: subtract the level reached before it
    before = np.zeros(n_groups, dtype=np.int64)
    before[has] = np.where(offsets[has] > 0, level[np.maximum(offsets[has] - 1, 0)], 0)
    level = level - np.repeat(before, sizes)
    peak[has] = np.maximum.reduceat(level, offsets[has])
    return mean, peak


def _organisation(column: str, label: str, ev: _Events, total_wait: float,
                  overdue: np.ndarray | None, span: float) -> pd.DataFrame | None:
    if not ev.log.has(column):
        return None
    group, names = ev.codes(column)
    k = len(names)
    table = pd.DataFrame({label: names, "events": np.bincount(group[group >= 0], minlength=k),
                          "cases": _distinct_cases(group, ev.case, k)})
    stay_group, begin, end = _stays(group, ev)
    table["wip_mean"], table["wip_peak"] = _wip(stay_group, begin, end, k, span)
    for name, values in _wait_columns(group, ev.wait, k, total_wait, "wait_", ev.wait_order).items():
        table[name] = values
    if overdue is not None:
        n_late = int(overdue.sum())
        table["overdue_cases"] = _distinct_cases(group, ev.case, k, among=overdue)
        table["overdue_share"] = table["overdue_cases"] / n_late if n_late else np.nan
    return table


def _month_codes(ns: np.ndarray, timezone: str) -> np.ndarray:
    """Months since 1970-01 of instants, in the log's time zone."""
    local = pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(timezone)
    return local.tz_localize(None).to_numpy().astype("datetime64[M]").astype(np.int64)


def _months(ev: _Events, total_wait: float, deadlines: Deadlines | None) -> pd.DataFrame:
    month = _month_codes(ev.ts, ev.log.timezone)
    base = int(month.min()) if len(month) else 0
    group = month - base
    k = int(group.max()) + 1 if len(group) else 0
    events = np.bincount(group, minlength=k)
    table = pd.DataFrame({
        "month": np.datetime_as_string((np.arange(k) + base).astype("datetime64[M]")),
        "events": events,
        "cases_closed": np.bincount(group[ev.last], minlength=k),
    })
    for name, values in _wait_columns(group, ev.wait, k, total_wait, "wait_", ev.wait_order).items():
        table[name] = values
    if deadlines is not None and len(deadlines.cases):
        end = _month_codes(_ns(deadlines.cases["end"]), ev.log.timezone) - base
        inside = (end >= 0) & (end < k)
        on_time = deadlines.cases["on_time"].to_numpy(dtype=bool)
        n = np.bincount(end[inside], minlength=k)
        table["deadline_cases"] = n
        with np.errstate(invalid="ignore", divide="ignore"):
            table["on_time_rate"] = np.bincount(end[inside], weights=on_time[inside],
                                                minlength=k) / n
    return table[table["events"] > 0].reset_index(drop=True)


def _categories(ev: _Events, clock: _Clock, total_wait: float,
                deadlines: Deadlines | None) -> pd.DataFrame | None:
    if not ev.log.has(CATEGORY):
        return None
    group, names = ev.codes(CATEGORY)
    k = len(names)
    table = pd.DataFrame({"category": names, "cases": _distinct_cases(group, ev.case, k)})
    first, last = ev.first_idx, ev.last_idx
    begin = np.where(ev.start[first] != _NAT, ev.start[first], ev.ts[first])
    duration = clock.span(begin, ev.ts[last])
    _, _, (median,) = _quantiles(group[first], duration, k, (0.5,))
    table["case_median"] = median
    for name, values in _wait_columns(group, ev.wait, k, total_wait, "wait_", ev.wait_order).items():
        table[name] = values
    if deadlines is not None:
        by = deadlines.by_category.set_index("category")
        for column in ("deadline_cases", "overdue_cases", "on_time_rate", "overdue_median"):
            table[column] = by[column].reindex(names).to_numpy()
        for column in ("deadline_cases", "overdue_cases"):
            table[column] = table[column].fillna(0).astype("int64")
    return _rank(table, "wait_total", "category")


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


def _deadlines(ev: _Events, clock: _Clock, due_clock: _Clock, workflow: Any) -> Deadlines | None:
    log = ev.log
    if workflow is None and not log.has(DEADLINE):
        return None
    if workflow is not None:
        window, source = _workflow_window(ev, due_clock, workflow), f"workflow {_name(workflow)}"
    else:
        window, source = _column_window(ev), f"column {DEADLINE}"
    code, due, end = window.code, window.due, window.end
    on_time = end <= due
    overdue = np.where(on_time, 0.0, clock.span(due, end))
    case_cat = np.full(len(code), -1, dtype=np.int64)
    cat_names = np.array([], dtype=object)
    category = np.full(len(code), None, dtype=object)
    if log.has(CATEGORY):
        cat, cat_names = ev.codes(CATEGORY)
        case_cat = cat[ev.first_idx][code]
        category[case_cat >= 0] = cat_names[case_cat[case_cat >= 0]]
    cases = pd.DataFrame({
        "case": ev.case_ids[code], "category": category,
        "clock_start": _stamp(window.clock_start, log.timezone),
        "due": _stamp(due, log.timezone), "end": _stamp(end, log.timezone),
        "on_time": on_time, "overdue": overdue,
    })
    by_category = _deadline_groups(case_cat, cat_names, on_time, overdue, "category")

    # per unit: the cases with a deadline that the unit acted on
    if log.has(RESOURCE):
        unit, unit_names = ev.codes(RESOURCE)
        k = len(unit_names)
        ok = unit >= 0
        n_cases = len(ev.first_idx)
        pairs = _distinct(ev.case[ok] * max(k, 1) + unit[ok])
        pair_case, pair_unit = pairs // max(k, 1), pairs % max(k, 1)
        slot = np.full(n_cases, -1, dtype=np.int64)
        slot[code] = np.arange(len(code))
        keep = slot[pair_case] >= 0
        s = slot[pair_case[keep]]
        by_unit = _deadline_groups(pair_unit[keep], unit_names, on_time[s], overdue[s], "unit",
                                   k=k)
        n_late = int((~on_time).sum())
        by_unit["overdue_share"] = by_unit["overdue_cases"] / n_late if n_late else np.nan
        by_unit = _rank(by_unit[by_unit["deadline_cases"] > 0], "overdue_cases", "unit")
    else:
        by_unit = pd.DataFrame({"unit": []})
    return Deadlines(source, cases, by_category, by_unit,
                     _overdue_by_transition(ev, clock, code[~on_time], due[~on_time],
                                            end[~on_time]))


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
    table = pd.DataFrame({"source": names[uniq // k] if len(uniq) else [],
                          "target": names[uniq % k] if len(uniq) else [],
                          "cases": cases, "overdue": total})
    grand = float(total.sum())
    table["share"] = table["overdue"] / grand if grand > 0 else np.nan
    return table.sort_values(["overdue", "source", "target"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


def _deadline_groups(group: np.ndarray, names: np.ndarray, on_time: np.ndarray,
                     overdue: np.ndarray, label: str, k: int | None = None) -> pd.DataFrame:
    k = len(names) if k is None else k
    ok = group >= 0
    g = group[ok]
    n = np.bincount(g, minlength=k)
    late = np.bincount(g, weights=~on_time[ok], minlength=k).astype(np.int64)
    late_values = np.where(on_time[ok], np.nan, overdue[ok])
    _, total, (median,) = _quantiles(g, late_values, k, (0.5,))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.bincount(g, weights=on_time[ok], minlength=k) / n
    table = pd.DataFrame({label: names, "deadline_cases": n, "overdue_cases": late,
                          "on_time_rate": rate, "overdue_median": median,
                          "overdue_total": np.nan_to_num(total)})
    return table[table["deadline_cases"] > 0].reset_index(drop=True)


# --------------------------------------------------------------------------- API


def find_bottlenecks(
    log: EventLog,
    *,
    by: By = "transition",
    working_time: bool = True,
    calendar: WorkingCalendar | str | None = "cn",
    workflow: Workflow | None = None,
    top: int | None = None,
) -> BottleneckResult:
    """Where the orders of ``log`` wait, at which units and levels, and which deadlines slip.

    ``by`` picks the table in ``result.table``: ``transition`` (a -> b, ranked
    by total waiting time), ``activity``, ``unit``, ``level``, ``category`` or
    ``month``. Times are working seconds of ``calendar`` (``"cn"``, ``"none"``,
    a calendar file, or a :class:`procmine.calendar.WorkingCalendar`), or
    clock seconds with ``working_time=False``. Deadlines come from
    ``workflow`` (a parsed workflow spec with deadlines per category) or else
    from the ``case:deadline`` column.

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
    clock = _Clock(cal, log.timezone)
    ev = _Events(log, clock)
    total_wait = float(np.nansum(ev.wait))
    service = bool((ev.start != _NAT).any())
    # deadlines in working days need the calendar even when durations are shown in clock time
    due_clock = clock
    if workflow is not None and basis == "clock" and calendar is not None:
        due_clock = _Clock(_resolve_calendar(calendar, True)[0], log.timezone)
    deadlines = _deadlines(ev, clock, due_clock, workflow)
    tables = _Tables(ev, clock, total_wait, service, deadlines)
    chosen = tables.get(by)
    if chosen is None:
        column = {"unit": RESOURCE, "level": LEVEL, "category": CATEGORY}[by]
        option = {"unit": "--resource", "level": "--level", "category": "--category"}[by]
        raise ColumnError(f"--by {by} needs the {column} column, and this log has none",
                          hint=f"name the column that holds it with {option} COLUMN")
    notes = []
    if service:
        missing = int(((ev.start == _NAT) & ~ev.first).sum())
        if missing:
            notes.append(f"{missing:,} event{' has' if missing == 1 else 's have'} no start time: "
                         "waiting runs to the completion and includes the service time")
    return BottleneckResult(
        by=by, time_basis=basis, calendar=_label(cal), service_time=service,
        total_wait=total_wait, table=chosen.head(top).reset_index(drop=True) if top else chosen,
        transitions=tables.get("transition"), deadlines=deadlines, notes=tuple(notes),
        _tables=tables,
    )


class _Tables:
    """The tables of one analysis, each computed the first time it is asked for."""

    def __init__(self, ev: _Events, clock: _Clock, total_wait: float, service: bool,
                 deadlines: Deadlines | None):
        self.ev, self.clock, self.total_wait = ev, clock, total_wait
        self.service, self.deadlines = service, deadlines
        self.cache: dict[str, pd.DataFrame | None] = {}

    def get(self, name: str) -> pd.DataFrame | None:
        if name not in self.cache:
            self.cache[name] = getattr(self, f"_{name}")()
        return self.cache[name]

    def _overdue(self) -> np.ndarray | None:
        if self.deadlines is None:
            return None
        overdue = np.zeros(len(self.ev.first_idx), dtype=bool)
        cases = self.deadlines.cases
        overdue[pd.Index(self.ev.case_ids).get_indexer(cases.loc[~cases["on_time"], "case"])] = True
        return overdue

    def _span(self) -> float:
        """The log's time span, from its first start (or completion) to its last completion."""
        ev = self.ev
        if not ev.n:
            return 0.0
        earliest = np.where(ev.start != _NAT, np.minimum(ev.start, ev.ts), ev.ts)
        return float(ev.ts.max() - earliest.min()) / 1e9

    def _transition(self) -> pd.DataFrame:
        return _transitions(self.ev.log, self.ev, self.total_wait)

    def _activity(self) -> pd.DataFrame:
        return _activities(self.ev, self.total_wait, self.service)

    def _unit(self) -> pd.DataFrame | None:
        units = _organisation(RESOURCE, "unit", self.ev, self.total_wait, self._overdue(),
                              self._span())
        if units is None:
            return None
        # a bottleneck unit is slow with each order, whatever its volume: rank by the
        # median wait before it acts (then by total); the busiest units lead on total
        return units.sort_values(["wait_median", "wait_total", "unit"],
                                 ascending=[False, False, True], kind="stable",
                                 na_position="last").reset_index(drop=True)

    def _level(self) -> pd.DataFrame | None:
        levels = _organisation(LEVEL, "level", self.ev, self.total_wait, self._overdue(),
                               self._span())
        if levels is None:
            return None
        order = {name: i for i, name in enumerate(self.ev.log.levels)}
        levels = levels.assign(_o=levels["level"].map(order).fillna(len(order)))
        levels = levels.sort_values(["_o", "level"], kind="stable").drop(columns="_o")
        return levels.reset_index(drop=True)

    def _category(self) -> pd.DataFrame | None:
        return _categories(self.ev, self.clock, self.total_wait, self.deadlines)

    def _month(self) -> pd.DataFrame:
        return _months(self.ev, self.total_wait, self.deadlines)
