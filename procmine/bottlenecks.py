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
from typing import Any, Literal

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

    ``table`` is the table asked for with ``by`` (ranked, cut to ``top``); the
    named tables hold every grouping in full (``None`` where the log lacks the
    column: units need ``org:resource``, levels ``org:level``, categories
    ``case:category``). ``calendar`` says which calendar measured the time.
    """

    by: str
    time_basis: Literal["working", "clock"]
    calendar: str
    service_time: bool
    total_wait: float
    table: pd.DataFrame
    transitions: pd.DataFrame
    activities: pd.DataFrame
    units: pd.DataFrame | None
    levels: pd.DataFrame | None
    categories: pd.DataFrame | None
    months: pd.DataFrame
    deadlines: Deadlines | None
    notes: tuple[str, ...] = field(default_factory=tuple)

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


@dataclass(frozen=True)
class _Events:
    """Per-event arrays the analyses share (one entry per event, log order)."""

    case: np.ndarray          # int64 case code
    first: np.ndarray         # bool: first event of its case
    last: np.ndarray          # bool: last event of its case
    ts: np.ndarray            # int64 ns completion
    start: np.ndarray         # int64 ns start (_NAT where unknown)
    prev_ts: np.ndarray       # int64 ns completion of the previous event of the case
    wait: np.ndarray          # seconds (NaN for first events)
    service: np.ndarray       # seconds (NaN where start unknown)


def _events(log: EventLog, clock: _Clock) -> _Events:
    events = log.events
    codes, _ = pd.factorize(events[CASE], sort=False)
    codes = codes.astype(np.int64)
    n = len(codes)
    first = np.ones(n, dtype=bool)
    last = np.ones(n, dtype=bool)
    if n > 1:
        same = codes[1:] == codes[:-1]
        first[1:] = ~same
        last[:-1] = ~same
    ts = _ns(events[TIMESTAMP])
    if (ts == _NAT).any():
        row = int(np.flatnonzero(ts == _NAT)[0])
        raise ColumnError(f"{TIMESTAMP}: event {row} has no completion time",
                          hint="drop or repair events without a timestamp before measuring time")
    start = _ns(events[START]) if START in events.columns else np.full(n, _NAT, dtype=np.int64)
    prev_ts = np.full(n, _NAT, dtype=np.int64)
    if n > 1:
        prev_ts[1:] = ts[:-1]
    prev_ts[first] = _NAT
    known = start != _NAT
    # the wait ends when the event starts (if known), never before the hand-over
    wait_end = np.where(known, np.maximum(start, np.where(prev_ts == _NAT, start, prev_ts)), ts)
    wait = clock.span(prev_ts, wait_end)
    service = clock.span(start, np.where(known, ts, _NAT))
    return _Events(codes, first, last, ts, start, prev_ts, wait, service)


def waiting_times(log: EventLog, *, working_time: bool = True, calendar: Any = "cn") -> np.ndarray:
    """Seconds each event waited after the previous event of its case (NaN for a first event).

    Waiting runs from the completion of the previous event to the start of
    this one (to its completion where the log has no start time), in working
    time unless ``working_time=False``. Pass it as ``durations`` to
    :func:`procmine.abstractions.follows` to get the per-transition numbers of
    :func:`find_bottlenecks`.

    >>> from procmine.abstractions import follows
    >>> waits = waiting_times(log, calendar="cn")               # doctest: +SKIP
    >>> follows(log, durations=waits).table[["source", "target", "p90"]]  # doctest: +SKIP
    """
    cal, _ = _resolve_calendar(calendar, working_time)
    return _events(log, _Clock(cal, log.timezone)).wait


# --------------------------------------------------------------------------- tables


def _stats(frame: pd.DataFrame, key: str | list[str], value: str, total_wait: float,
           prefix: str = "") -> pd.DataFrame:
    grouped = frame.groupby(key, sort=False, observed=True)[value]
    out = pd.DataFrame({
        f"{prefix}median": grouped.median(),
        f"{prefix}p90": grouped.quantile(0.9),
        f"{prefix}total": grouped.sum(min_count=1),
    })
    out[f"{prefix}share"] = out[f"{prefix}total"] / total_wait if total_wait > 0 else np.nan
    return out


def _rank(table: pd.DataFrame, column: str, key: str) -> pd.DataFrame:
    return table.sort_values([column, key], ascending=[False, True], kind="stable",
                             na_position="last").reset_index(drop=True)


def _transitions(log: EventLog, ev: _Events, total_wait: float) -> pd.DataFrame:
    table = follows(log, durations=ev.wait).table
    table = table[["source", "target", "count", "cases", "mean", "median", "p90", "total"]].copy()
    table["share"] = table["total"] / total_wait if total_wait > 0 else np.nan
    table = table.sort_values(["total", "count", "source", "target"],
                              ascending=[False, False, True, True], kind="stable")
    return table.reset_index(drop=True)


def _activities(log: EventLog, ev: _Events, total_wait: float, service: bool) -> pd.DataFrame:
    frame = pd.DataFrame({"activity": log.events[ACTIVITY].to_numpy(), "wait": ev.wait,
                          "service": ev.service})
    grouped = frame.groupby("activity", sort=True, observed=True)
    table = pd.DataFrame({"count": grouped.size()})
    table = table.join(_stats(frame, "activity", "wait", total_wait, prefix="wait_"))
    if service:
        svc = frame.groupby("activity", sort=True, observed=True)["service"]
        table["service_median"] = svc.median()
        table["service_p90"] = svc.quantile(0.9)
        table["service_total"] = svc.sum(min_count=1)
    table = table.reset_index()
    return _rank(table, "wait_total", "activity")


def _stays(values: np.ndarray, ev: _Events) -> pd.DataFrame:
    """Consecutive runs of a case's events at the same unit (or level)."""
    known = pd.notna(values)
    codes, names = pd.factorize(values, sort=False)
    n = len(codes)
    begin_run = ev.first.copy()
    if n > 1:
        begin_run[1:] |= codes[1:] != codes[:-1]
    starts = np.flatnonzero(begin_run)
    ends = np.append(starts[1:] - 1, n - 1) if n else starts
    # the stay begins at the hand-over; a case's first stay at its first start or completion
    begin = np.where(ev.prev_ts[starts] != _NAT, ev.prev_ts[starts],
                     np.where(ev.start[starts] != _NAT, ev.start[starts], ev.ts[starts]))
    stays = pd.DataFrame({
        "key": codes[starts], "case": ev.case[starts], "begin": begin,
        "end": np.maximum(ev.ts[ends], begin),
    })
    stays = stays[known[starts]].reset_index(drop=True)
    stays["name"] = np.asarray(names, dtype=object)[stays["key"].to_numpy()] if len(stays) else []
    return stays


def _wip(stays: pd.DataFrame, span: float) -> pd.DataFrame:
    """Mean (over the log's time span) and peak number of open stays per key."""
    if stays.empty:
        return pd.DataFrame({"wip_mean": [], "wip_peak": []})
    k = stays["key"].to_numpy()
    times = np.concatenate((stays["begin"].to_numpy(), stays["end"].to_numpy()))
    delta = np.concatenate((np.ones(len(stays), dtype=np.int64), -np.ones(len(stays), dtype=np.int64)))
    keys = np.concatenate((k, k))
    # closing before opening at the same instant: a hand-over is not two orders at once
    order = np.lexsort((delta, times, keys))
    keys, delta = keys[order], delta[order]
    level = np.cumsum(delta)
    boundaries = np.flatnonzero(np.diff(keys)) + 1
    base = np.concatenate(([0], level[boundaries - 1]))
    group = np.cumsum(np.isin(np.arange(len(keys)), boundaries))
    level = level - base[group]
    peak = pd.Series(level).groupby(keys).max()
    busy = pd.Series((stays["end"] - stays["begin"]).to_numpy() / 1e9).groupby(k).sum()
    mean = busy / span if span > 0 else busy * np.nan
    return pd.DataFrame({"wip_mean": mean, "wip_peak": peak})


def _organisation(column: str, label: str, log: EventLog, ev: _Events, total_wait: float,
                  overdue_cases: np.ndarray | None, span: float) -> pd.DataFrame | None:
    if not log.has(column):
        return None
    values = log.events[column].to_numpy(dtype=object)
    frame = pd.DataFrame({label: values, "case": ev.case, "wait": ev.wait}).dropna(subset=[label])
    grouped = frame.groupby(label, sort=True, observed=True)
    table = pd.DataFrame({"events": grouped.size(), "cases": grouped["case"].nunique()})
    stays = _stays(values, ev)
    wip = _wip(stays, span)
    if not stays.empty:
        names = stays.drop_duplicates("key").set_index("key")["name"]
        wip.index = names.reindex(wip.index).to_numpy()
    table = table.join(wip)
    table = table.join(_stats(frame, label, "wait", total_wait, prefix="wait_"))
    if overdue_cases is not None:
        late = frame[np.isin(frame["case"].to_numpy(), overdue_cases)]
        n_late = late.groupby(label, sort=True, observed=True)["case"].nunique()
        table["overdue_cases"] = n_late.reindex(table.index).fillna(0).astype("int64")
        table["overdue_share"] = (table["overdue_cases"] / len(overdue_cases)
                                  if len(overdue_cases) else np.nan)
    return table.rename_axis(label).reset_index()


def _month_of(ns: np.ndarray, timezone: str) -> np.ndarray:
    idx = pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(timezone)
    return np.asarray(idx.strftime("%Y-%m"), dtype=object)


def _months(log: EventLog, ev: _Events, total_wait: float, deadlines: Deadlines | None) -> pd.DataFrame:
    month = _month_of(ev.ts, log.timezone)
    frame = pd.DataFrame({"month": month, "case": ev.case, "wait": ev.wait})
    grouped = frame.groupby("month", sort=True)
    table = pd.DataFrame({"events": grouped.size(),
                          "cases_closed": pd.Series(month[ev.last]).value_counts()})
    table["cases_closed"] = table["cases_closed"].fillna(0).astype("int64")
    table = table.join(_stats(frame, "month", "wait", total_wait, prefix="wait_"))
    if deadlines is not None and len(deadlines.cases):
        dl = deadlines.cases
        dmonth = _month_of(_ns(dl["end"]), log.timezone)
        g = pd.DataFrame({"month": dmonth, "on_time": dl["on_time"].to_numpy()}).groupby("month")
        table["deadline_cases"] = g.size().reindex(table.index).fillna(0).astype("int64")
        table["on_time_rate"] = g["on_time"].mean().reindex(table.index)
    return table.rename_axis("month").reset_index()


def _categories(log: EventLog, ev: _Events, clock: _Clock, total_wait: float,
                deadlines: Deadlines | None) -> pd.DataFrame | None:
    if not log.has(CATEGORY):
        return None
    category = log.events[CATEGORY].to_numpy(dtype=object)
    frame = pd.DataFrame({"category": category, "case": ev.case, "wait": ev.wait})
    frame = frame.dropna(subset=["category"])
    grouped = frame.groupby("category", sort=True)
    table = pd.DataFrame({"cases": grouped["case"].nunique()})
    first_idx = np.flatnonzero(ev.first)
    last_idx = np.flatnonzero(ev.last)
    begin = np.where(ev.start[first_idx] != _NAT, ev.start[first_idx], ev.ts[first_idx])
    duration = clock.span(begin, ev.ts[last_idx])
    cases = pd.DataFrame({"category": category[first_idx], "duration": duration}).dropna(
        subset=["category"])
    table["case_median"] = cases.groupby("category")["duration"].median()
    table = table.join(_stats(frame, "category", "wait", total_wait, prefix="wait_"))
    if deadlines is not None:
        by = deadlines.by_category.set_index("category")
        for column in ("deadline_cases", "overdue_cases", "on_time_rate", "overdue_median"):
            table[column] = by[column].reindex(table.index) if column in by else np.nan
        table["deadline_cases"] = table["deadline_cases"].fillna(0).astype("int64")
        table["overdue_cases"] = table["overdue_cases"].fillna(0).astype("int64")
    table = table.rename_axis("category").reset_index()
    return _rank(table, "wait_total", "category")


# --------------------------------------------------------------------------- deadlines


def _clock_stop(log: EventLog, ev: _Events) -> np.ndarray:
    """Index of the event that stops a case's deadline clock: its last close step, else its last."""
    from procmine.vocabulary import role_of

    acts = log.events[ACTIVITY]
    names = pd.unique(acts)
    closing = {a for a in names if role_of(str(a)) == "close"}
    idx = np.arange(len(ev.case))
    is_close = acts.isin(closing).to_numpy() if closing else np.zeros(len(idx), dtype=bool)
    last_idx = np.flatnonzero(ev.last)
    stop = last_idx.copy()
    if is_close.any():
        close_idx = idx[is_close]
        last_close = pd.Series(close_idx).groupby(ev.case[close_idx]).max()
        has = np.isin(ev.case[last_idx], last_close.index.to_numpy())
        stop[has] = last_close.reindex(ev.case[last_idx][has]).to_numpy()
    return stop


def _deadline_window(log: EventLog, ev: _Events, clock: _Clock,
                     workflow: Any) -> tuple[str, pd.DataFrame]:
    """Per case with a deadline: case code, clock start, due and end (int64 ns)."""
    first_idx = np.flatnonzero(ev.first)
    if workflow is not None:
        return _workflow_window(log, ev, clock, workflow)
    due = _ns(log.events[DEADLINE])
    per_case = pd.Series(due).where(due != _NAT).groupby(ev.case).first()
    stop = _clock_stop(log, ev)
    window = pd.DataFrame({
        "code": ev.case[first_idx],
        "clock_start": _NAT,
        "due": per_case.reindex(ev.case[first_idx]).to_numpy(),
        "end": ev.ts[stop],
    })
    window = window.dropna(subset=["due"])
    window["due"] = window["due"].astype(np.int64)
    return f"column {DEADLINE}", window


def _workflow_window(log: EventLog, ev: _Events, clock: _Clock,
                     workflow: Any) -> tuple[str, pd.DataFrame]:
    rules = _deadline_rules(workflow)
    if not rules:
        raise SpecError(f"{_name(workflow)}: the workflow sets no deadlines",
                        hint="add deadlines per category, or use a deadline column")
    acts = log.events[ACTIVITY].to_numpy(dtype=object)
    category = (log.events[CATEGORY].to_numpy(dtype=object) if CATEGORY in log.events.columns
                else np.full(len(acts), None, dtype=object))
    roles = _roles(acts, workflow)
    idx = np.arange(len(acts))
    frames = []
    claimed = np.zeros(0, dtype=np.int64)
    # specific categories first, then the catch-all rule (category None or "*")
    for rule_category, begin_step, end_step, seconds in sorted(rules, key=lambda r: r[0] in (None, "*")):
        if rule_category in (None, "*"):
            in_cat = np.ones(len(acts), dtype=bool)
        else:
            in_cat = category == rule_category
        in_cat &= ~np.isin(ev.case, claimed)
        begin_hits = in_cat & _matches(acts, roles, begin_step)
        if not begin_hits.any():
            continue
        begin_first = pd.Series(idx[begin_hits]).groupby(ev.case[begin_hits]).min()
        end_hits = in_cat & _matches(acts, roles, end_step)
        # the first end step after the clock started
        cand = pd.DataFrame({"code": ev.case[end_hits], "i": idx[end_hits]})
        cand = cand[cand["i"].to_numpy() > begin_first.reindex(cand["code"]).fillna(np.inf).to_numpy()]
        end_first = cand.groupby("code")["i"].min()
        codes = begin_first.index.to_numpy()
        end_i = end_first.reindex(codes)
        # a clock still running at the end of the log stops at the case's last event
        last_of_case = pd.Series(np.flatnonzero(ev.last), index=ev.case[ev.last])
        end_i = end_i.fillna(last_of_case.reindex(codes)).astype(np.int64).to_numpy()
        start_ns = ev.ts[begin_first.to_numpy()]
        due = clock.add(start_ns, np.full(len(codes), float(seconds)))
        frames.append(pd.DataFrame({"code": codes, "clock_start": start_ns, "due": due,
                                    "end": ev.ts[end_i]}))
        claimed = np.concatenate((claimed, codes))
    if not frames:
        window = pd.DataFrame({"code": [], "clock_start": [], "due": [], "end": []}, dtype=np.int64)
    else:
        window = pd.concat(frames, ignore_index=True).sort_values("code", kind="stable")
    return f"workflow {_name(workflow)}", window.reset_index(drop=True)


def _name(workflow: Any) -> str:
    return str(getattr(workflow, "path", None) or getattr(workflow, "name", None) or "spec")


def _deadline_rules(workflow: Any) -> list[tuple[Any, str, str, float]]:
    """(category, from step, to step, working seconds) of each deadline of a workflow."""
    rules = []
    for d in getattr(workflow, "deadlines", ()) or ():
        seconds = getattr(d, "seconds", None)
        if seconds is None:
            seconds = getattr(d, "working_seconds", None)
        if seconds is None and hasattr(d, "within"):
            seconds = d.within.total_seconds() if hasattr(d.within, "total_seconds") else d.within
        begin = getattr(d, "start", None) or getattr(d, "from_step", None)
        end = getattr(d, "end", None) or getattr(d, "to_step", None)
        if seconds is None or begin is None or end is None:
            raise SpecError(f"{_name(workflow)}: cannot read deadline {d!r}",
                            hint="report this: procmine.bottlenecks does not know this deadline form")
        rules.append((getattr(d, "category", None), str(begin), str(end), float(seconds)))
    return rules


def _roles(acts: np.ndarray, workflow: Any) -> np.ndarray:
    from procmine.vocabulary import role_of

    names = pd.unique(acts)
    extra = getattr(workflow, "aliases", None)
    lookup = {}
    for a in names:
        try:
            lookup[a] = role_of(str(a), extra) if extra else role_of(str(a))
        except TypeError:
            lookup[a] = role_of(str(a))
    return np.asarray([lookup[a] for a in acts], dtype=object)


def _matches(acts: np.ndarray, roles: np.ndarray, step: str) -> np.ndarray:
    return (acts == step) | (roles == step)


def _deadlines(log: EventLog, ev: _Events, clock: _Clock, workflow: Any) -> Deadlines | None:
    if workflow is None and not log.has(DEADLINE):
        return None
    source, window = _deadline_window(log, ev, clock, workflow)
    codes = window["code"].to_numpy(dtype=np.int64)
    due = window["due"].to_numpy(dtype=np.int64)
    end = window["end"].to_numpy(dtype=np.int64)
    on_time = end <= due
    overdue = np.where(on_time, 0.0, clock.span(due, end))
    first_idx = np.flatnonzero(ev.first)
    case_ids = log.events[CASE].to_numpy()[first_idx]
    category = (log.events[CATEGORY].to_numpy(dtype=object)[first_idx] if CATEGORY in log.events
                else np.full(len(first_idx), None, dtype=object))
    tz = log.timezone

    def stamp(ns: np.ndarray) -> pd.Series:
        return pd.Series(pd.DatetimeIndex(np.where(ns == _NAT, np.datetime64("NaT"),
                                                   ns.astype("datetime64[ns]")))
                         .tz_localize("UTC").tz_convert(tz))

    cases = pd.DataFrame({
        "case": case_ids[codes] if len(codes) else [],
        "category": category[codes] if len(codes) else [],
        "clock_start": stamp(window["clock_start"].to_numpy(dtype=np.int64)),
        "due": stamp(due), "end": stamp(end),
        "on_time": on_time, "overdue": overdue,
    })
    by_category = _deadline_groups(cases, cases["category"], "category")

    # units: every unit that acted on the case while its clock ran (or at all, for a due column)
    if log.has(RESOURCE):
        res = log.events[RESOURCE].to_numpy(dtype=object)
        pairs = pd.DataFrame({"unit": res, "code": ev.case}).dropna().drop_duplicates()
        pairs = pairs.merge(pd.DataFrame({"code": codes, "on_time": on_time, "overdue": overdue}),
                            on="code")
        by_unit = _deadline_groups(pairs, pairs["unit"], "unit")
        n_late = int((~on_time).sum())
        by_unit["overdue_share"] = by_unit["overdue_cases"] / n_late if n_late else np.nan
        by_unit = _rank(by_unit, "overdue_cases", "unit")
    else:
        by_unit = pd.DataFrame({"unit": []})

    # the overdue part of each transition interval [previous completion, completion]
    late_due = pd.Series(due[~on_time], index=codes[~on_time])
    late_end = pd.Series(end[~on_time], index=codes[~on_time])
    sel = (~ev.first) & np.isin(ev.case, late_due.index.to_numpy())
    i = np.flatnonzero(sel)
    d = late_due.reindex(ev.case[i]).to_numpy()
    e = late_end.reindex(ev.case[i]).to_numpy()
    lo = np.maximum(ev.prev_ts[i], d)
    hi = np.minimum(ev.ts[i], e)
    keep = hi > lo
    part = clock.span(lo[keep], hi[keep])
    acts = log.events[ACTIVITY].to_numpy(dtype=object)
    trans = pd.DataFrame({"source": acts[i[keep] - 1], "target": acts[i[keep]], "overdue": part,
                          "code": ev.case[i[keep]]})
    grouped = trans.groupby(["source", "target"], sort=True)
    by_transition = pd.DataFrame({"cases": grouped["code"].nunique(),
                                  "overdue": grouped["overdue"].sum()}).reset_index()
    total = float(by_transition["overdue"].sum())
    by_transition["share"] = by_transition["overdue"] / total if total > 0 else np.nan
    by_transition = by_transition.sort_values(["overdue", "source", "target"],
                                              ascending=[False, True, True], kind="stable")
    return Deadlines(source, cases, by_category, by_unit, by_transition.reset_index(drop=True))


def _deadline_groups(frame: pd.DataFrame, key: pd.Series, label: str) -> pd.DataFrame:
    frame = frame.assign(_k=key.to_numpy(), late=~frame["on_time"].to_numpy(bool)).dropna(subset=["_k"])
    grouped = frame.groupby("_k", sort=True)
    late = frame[frame["late"]].groupby("_k")["overdue"]
    table = pd.DataFrame({
        "deadline_cases": grouped.size(),
        "overdue_cases": grouped["late"].sum().astype("int64"),
        "on_time_rate": grouped["on_time"].mean(),
        "overdue_median": late.median(),
        "overdue_total": grouped["overdue"].sum(),
    })
    return table.rename_axis(label).reset_index()


# --------------------------------------------------------------------------- API


def find_bottlenecks(
    log: EventLog,
    *,
    by: By = "transition",
    working_time: bool = True,
    calendar: Any = "cn",
    workflow: Any = None,
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

    >>> from procmine.io import read_log
    >>> result = find_bottlenecks(read_log("logs/sample.csv"), by="unit", top=5)  # doctest: +SKIP
    >>> result.table.iloc[0]["unit"], result.calendar                             # doctest: +SKIP
    ('市场监管局', 'cn: ...')
    """
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
    if top is not None and top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    cal, basis = _resolve_calendar(calendar, working_time)
    clock = _Clock(cal, log.timezone)
    ev = _events(log, clock)
    total_wait = float(np.nansum(ev.wait))
    service = bool((ev.start != _NAT).any())
    transitions = _transitions(log, ev, total_wait)
    deadlines = _deadlines(log, ev, clock, workflow)
    overdue_codes = None
    if deadlines is not None:
        late_cases = deadlines.cases.loc[~deadlines.cases["on_time"], "case"]
        overdue_codes = pd.Index(log.events[CASE].unique()).get_indexer(late_cases)
    # the log's time span, from its first start (or completion) to its last completion
    earliest = np.where(ev.start != _NAT, np.minimum(ev.start, ev.ts), ev.ts)
    span = (ev.ts.max() - earliest.min()) / 1e9 if len(ev.ts) else 0.0
    units = _organisation(RESOURCE, "unit", log, ev, total_wait, overdue_codes, span)
    levels = _organisation(LEVEL, "level", log, ev, total_wait, overdue_codes, span)
    if units is not None:
        units = _rank(units, "wait_total", "unit")
    if levels is not None:
        order = {name: i for i, name in enumerate(log.levels)}
        levels = levels.assign(_o=levels["level"].map(order).fillna(len(order)))
        levels = levels.sort_values(["_o", "level"], kind="stable").drop(columns="_o")
        levels = levels.reset_index(drop=True)
    tables = {
        "transition": transitions,
        "activity": _activities(log, ev, total_wait, service),
        "unit": units,
        "level": levels,
        "category": _categories(log, ev, clock, total_wait, deadlines),
        "month": _months(log, ev, total_wait, deadlines),
    }
    chosen = tables[by]
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
        by=by, time_basis=basis, calendar=_label(cal), service_time=service, total_wait=total_wait,
        table=chosen.head(top).reset_index(drop=True) if top else chosen,
        transitions=transitions, activities=tables["activity"], units=units, levels=levels,
        categories=tables["category"], months=tables["month"], deadlines=deadlines,
        notes=tuple(notes),
    )
