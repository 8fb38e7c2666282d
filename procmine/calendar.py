"""Working time: office hours, weekends, Chinese public holidays and swapped working days.

City rules count deadlines in working hours and working days, so durations and due
times need a calendar. A :class:`WorkingCalendar` answers two questions over whole
columns at once (no Python loop per timestamp):

- :meth:`WorkingCalendar.working_seconds`: working time between two timestamps;
- :meth:`WorkingCalendar.add_working_time`: the due time after a number of working
  seconds (deadlines: report time + N working hours or days).

Three kinds:

- ``"cn"``: office hours on working days, where working days are weekdays minus
  Chinese public holidays plus the swapped working weekends (调休), as the
  ``chinese_calendar`` package knows them. For a year the package does not know
  (it knows 2004-2026) the calendar falls back to weekends only, warns once per
  year (:class:`CalendarFallbackWarning`) and records a line in ``notes``.
- ``"none"``: clock time, 24 hours a day, 7 days a week.
- ``"custom"``: a small YAML or CSV file of holidays, extra working days and office
  hours, on top of ``cn`` or of plain weekends (see docs/calendar.md).

Definitions:

- *Working time* is the time inside the office-hour intervals of working days
  (default 09:00-12:00 and 13:30-17:30: 7 working hours a day). A timestamp
  outside office hours sits at the working-time position of the next moment work
  resumes, so the working time between two timestamps outside office hours on the
  same evening is 0.
- *N working days* are ``N * day_seconds`` of working time (``day_seconds`` = the
  length of one working day's office hours, 25,200 s by default): report at
  Monday 10:00, one working day later is Tuesday 10:00; report on Saturday, one
  working day later is Monday 17:30.
- A due time is the *earliest* instant at which the working time has elapsed:
  4 working hours from 09:00 is 14:30 (12:00-13:30 is lunch), and a span ending
  exactly at the end of office hours is due at 17:30, not at 09:00 the next
  working day.

Times are read as wall-clock times in ``timezone`` (Asia/Shanghai by default):
timezone-aware timestamps are converted to it, naive ones are taken as they are.

>>> cal = WorkingCalendar()
>>> cal.working_seconds("2024-02-09 16:30", "2024-02-18 10:00") / 3600   # Spring Festival
2.0
>>> str(cal.add_working_time("2024-09-30 16:00", 4 * 3600))                # National Day
'2024-10-08 11:30:00'
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from procmine.errors import SpecError

DAY = 86_400
DEFAULT_HOURS = ((9 * 3600, 12 * 3600), (13 * 3600 + 1800, 17 * 3600 + 1800))
_EPOCH = dt.date(1970, 1, 1)
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
             "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
             "saturday": 5, "sunday": 6, "周一": 0, "周二": 1, "周三": 2, "周四": 3,
             "周五": 4, "周六": 5, "周日": 6, "周天": 6}
_HOLIDAY_WORDS = {"holiday", "off", "休", "假", "节假日", "休息", "rest"}
_WORKDAY_WORDS = {"workday", "working", "work", "班", "上班", "调休上班", "补班", "工作日"}


class CalendarFallbackWarning(UserWarning):
    """A year the holiday data does not cover was counted with weekends only."""


def parse_hours(spec: str | Iterable[str] | Iterable[tuple[Any, Any]]) -> tuple[tuple[int, int], ...]:
    """Office hours as ``((start, end), ...)`` in seconds after midnight.

    Accepts ``"09:00-12:00,13:30-17:30"``, a list of such strings, or pairs.

    >>> parse_hours("09:00-12:00, 13:30-17:30")
    ((32400, 43200), (48600, 63000))
    """
    if isinstance(spec, str):
        parts: list[Any] = [p for chunk in spec.split(",") for p in chunk.split()]
    else:
        parts = list(spec)
    intervals = []
    for part in parts:
        if isinstance(part, str):
            if "-" not in part:
                raise SpecError(f"office hours {part!r}: expected HH:MM-HH:MM",
                                hint="e.g. 09:00-12:00,13:30-17:30")
            start, end = (p.strip() for p in part.split("-", 1))
        else:
            start, end = part
        intervals.append((_clock_seconds(start), _clock_seconds(end)))
    intervals.sort()
    if not intervals:
        raise SpecError("office hours are empty", hint="e.g. 09:00-12:00,13:30-17:30")
    for (a, b), nxt in zip(intervals, intervals[1:] + [(DAY + 1, DAY + 1)], strict=True):
        if not 0 <= a < b <= DAY or b > nxt[0]:
            raise SpecError(f"office hours {_fmt_hours(intervals)}: intervals must be "
                            "increasing, inside one day and must not overlap")
    return tuple(intervals)


def _clock_seconds(value: Any) -> int:
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)  # already seconds after midnight
    text = str(value).strip()
    try:
        pieces = [int(p) for p in text.split(":")]
    except ValueError:
        raise SpecError(f"office hours: {text!r} is not a time of day (HH:MM)") from None
    if len(pieces) not in (2, 3) or not 0 <= pieces[0] <= 24 or not 0 <= pieces[1] < 60:
        raise SpecError(f"office hours: {text!r} is not a time of day (HH:MM)")
    seconds = pieces[0] * 3600 + pieces[1] * 60 + (pieces[2] if len(pieces) == 3 else 0)
    if seconds > DAY:
        raise SpecError(f"office hours: {text!r} is after 24:00")
    return seconds


def _fmt_hours(hours: Iterable[tuple[int, int]]) -> str:
    def hhmm(s: int) -> str:
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

    return ", ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in hours)


@dataclass(frozen=True)
class Timeline:
    """Working time over a range of days, as cumulative working seconds.

    ``position(t)`` is the working time from the start of ``first_day`` to the
    local wall-clock time ``t`` (seconds since 1970-01-01 00:00 local);
    ``clock(p)`` is the earliest local time at working position ``p``. Both are
    vectorised; differences of positions are working durations.

    >>> tl = WorkingCalendar().timeline(dt.date(2024, 2, 5), dt.date(2024, 2, 6))
    >>> t = np.array([pd.Timestamp("2024-02-05 11:00").timestamp()])
    >>> float(tl.position(t)[0])   # 2 working hours into the range
    7200.0
    """

    first_day: int
    working: np.ndarray
    cumulative: np.ndarray
    hours: tuple[tuple[int, int], ...]

    @property
    def last_day(self) -> int:
        return self.first_day + len(self.working) - 1

    def position(self, local_seconds: np.ndarray) -> np.ndarray:
        """Working position (float seconds) of local times (float seconds since epoch)."""
        t = np.asarray(local_seconds, dtype=np.float64)
        day = np.floor(t / DAY)
        index = day.astype(np.int64) - self.first_day
        if len(t) and (index.min() < 0 or index.max() >= len(self.working)):
            raise ValueError("time outside the timeline's day range")
        tod = t - day * DAY
        within = np.zeros_like(t)
        for a, b in self.hours:
            within += np.clip(tod - a, 0.0, float(b - a))
        return self.cumulative[index] + np.where(self.working[index], within, 0.0)

    def clock(self, positions: np.ndarray) -> np.ndarray:
        """Earliest local time (float seconds since epoch) at each working position."""
        p = np.asarray(positions, dtype=np.float64)
        index = np.searchsorted(self.cumulative[1:], p, side="left")
        if len(p) and (index.max() >= len(self.working) or p.min() < 0):
            raise ValueError("working position outside the timeline's day range")
        rest = p - self.cumulative[index]
        lengths = np.array([b - a for a, b in self.hours], dtype=np.float64)
        ends = np.cumsum(lengths)
        starts = ends - lengths
        k = np.minimum(np.searchsorted(ends, rest, side="left"), len(lengths) - 1)
        begin = np.array([a for a, _ in self.hours], dtype=np.float64)
        tod = begin[k] + (rest - starts[k])
        return (index + self.first_day).astype(np.float64) * DAY + tod


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and office hours; working time over whole columns of timestamps.

    ``kind`` is ``"cn"`` (Chinese public holidays and 调休 via ``chinese_calendar``),
    ``"none"`` (24x7 clock time) or ``"custom"`` (``holidays`` and ``workdays`` on
    top of ``base``: ``"cn"`` or ``"weekends"``). ``hours`` are office-hour
    intervals in seconds after midnight (see :func:`parse_hours`).

    ``notes`` collects what a report should say about the calendar's own limits
    (years counted with weekends only); :meth:`describe` says which calendar it is.

    >>> cal = WorkingCalendar(hours=parse_hours("08:30-12:00,13:00-17:00"))
    >>> cal.day_seconds / 3600
    7.5
    >>> cal.working_seconds("2024-10-08 08:00", "2024-10-08 20:00") / 3600
    7.5
    """

    kind: Literal["cn", "none", "custom"] = "cn"
    hours: tuple[tuple[int, int], ...] = DEFAULT_HOURS
    weekend: tuple[int, ...] = (5, 6)
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    base: Literal["cn", "weekends"] = "cn"
    name: str = ""
    timezone: str = "Asia/Shanghai"
    notes: list[str] = field(default_factory=list, compare=False, hash=False, repr=False)
    _years: dict[int, np.ndarray] = field(default_factory=dict, compare=False, hash=False,
                                          repr=False)

    def __post_init__(self) -> None:
        if self.kind == "none":
            object.__setattr__(self, "hours", ((0, DAY),))
            object.__setattr__(self, "weekend", ())
        elif self.kind not in ("cn", "custom"):
            raise SpecError(f"calendar kind {self.kind!r}: expected cn, none or custom")
        else:
            object.__setattr__(self, "hours", parse_hours(self.hours))

    # -- days -------------------------------------------------------------------
    @property
    def day_seconds(self) -> int:
        """Working seconds in one working day (the unit of 'working days')."""
        return int(sum(b - a for a, b in self.hours))

    def describe(self) -> str:
        """One line for a report: which calendar, which office hours, which limits.

        >>> WorkingCalendar(kind="none").describe()
        'none: clock time, 24 hours a day, 7 days a week'
        """
        if self.kind == "none":
            return "none: clock time, 24 hours a day, 7 days a week"
        if self.kind == "cn" or self.base == "cn":
            days = f"Chinese public holidays and swapped working days (chinese_calendar {_cc_version()})"
        else:
            days = "weekends"
        if self.kind == "custom":
            days = (f"{self.name or 'custom'}: {len(self.holidays)} holidays and "
                    f"{len(self.workdays)} working days from the file, on top of {days}")
        else:
            days = f"cn: {days}"
        text = f"{days}; office hours {_fmt_hours(self.hours)}"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text

    def _year(self, year: int) -> np.ndarray:
        """Working-day flags for every day of ``year`` (cached)."""
        cached = self._years.get(year)
        if cached is not None:
            return cached
        first = dt.date(year, 1, 1)
        n = (dt.date(year + 1, 1, 1) - first).days
        days = [first + dt.timedelta(days=i) for i in range(n)]
        if self.kind == "none":
            flags = np.ones(n, dtype=bool)
        else:
            flags = np.array([d.weekday() not in self.weekend for d in days], dtype=bool)
            if self.kind == "cn" or self.base == "cn":
                known = self._cn_flags(year, days)
                if known is not None:
                    flags = known
            if self.kind == "custom":
                for i, d in enumerate(days):
                    if d in self.holidays:
                        flags[i] = False
                    elif d in self.workdays:
                        flags[i] = True
        self._years[year] = flags
        return flags

    def _cn_flags(self, year: int, days: list[dt.date]) -> np.ndarray | None:
        import chinese_calendar

        try:
            chinese_calendar.is_workday(days[0])
        except NotImplementedError:
            covered = self.kind == "custom" and any(
                d.year == year for d in self.holidays | self.workdays)
            if not covered:
                note = (f"{year}: no Chinese holiday data (chinese_calendar {_cc_version()} knows "
                        f"{_cc_years()}); counted with weekends only")
                self.notes.append(note)
                warnings.warn(note + " (give a calendar file with --calendar FILE to fix this)",
                              CalendarFallbackWarning, stacklevel=4)
            return None
        if self.weekend == (5, 6):
            return np.array([chinese_calendar.is_workday(d) for d in days], dtype=bool)
        # another weekend: keep the public holidays and swapped days, move the weekend
        flags = np.array([d.weekday() not in self.weekend for d in days], dtype=bool)
        for i, d in enumerate(days):
            if chinese_calendar.is_holiday(d) and d.weekday() < 5:
                flags[i] = False
            elif chinese_calendar.is_workday(d) and d.weekday() >= 5:
                flags[i] = True
        return flags

    def is_working_day(self, dates: Any) -> np.ndarray:
        """Whether each date is a working day (vectorised).

        >>> WorkingCalendar().is_working_day(["2024-02-04", "2024-02-12"]).tolist()
        [True, False]
        """
        days = _day_numbers(dates)
        tl = self.timeline(_EPOCH + dt.timedelta(days=int(days.min())),
                           _EPOCH + dt.timedelta(days=int(days.max())))
        return tl.working[days - tl.first_day]

    def timeline(self, first: dt.date, last: dt.date) -> Timeline:
        """The :class:`Timeline` of working time from ``first`` to ``last`` (inclusive)."""
        if last < first:
            raise ValueError("timeline: last day before first day")
        flags = np.concatenate([self._year(y) for y in range(first.year, last.year + 1)])
        start = (first - dt.date(first.year, 1, 1)).days
        flags = flags[start:start + (last - first).days + 1]
        per_day = np.where(flags, float(self.day_seconds), 0.0)
        cumulative = np.concatenate(([0.0], np.cumsum(per_day)))
        return Timeline((first - _EPOCH).days, flags, cumulative, self.hours)

    # -- durations and due times ---------------------------------------------
    def working_seconds(self, start: Any, end: Any) -> Any:
        """Working time in seconds from ``start`` to ``end`` (negative when end < start).

        Vectorised over Series, arrays and DatetimeIndexes (NaT gives NaN); scalars
        give a float, a Series gives a Series on the same index.

        >>> cal = WorkingCalendar()
        >>> cal.working_seconds("2024-03-01 17:00", "2024-03-04 09:30") / 60   # Fri -> Mon
        60.0
        """
        s, s_nat, _ = _local_seconds(start, self.timezone)
        e, e_nat, _ = _local_seconds(end, self.timezone)
        s, e = np.broadcast_arrays(s, e)
        nat = np.broadcast_to(s_nat, s.shape) | np.broadcast_to(e_nat, e.shape)
        out = np.full(s.shape, np.nan)
        ok = ~nat
        if ok.any():
            both = np.concatenate((s[ok], e[ok]))
            tl = self._covering(both)
            out[ok] = tl.position(e[ok]) - tl.position(s[ok])
        return _shape_like(out, start if _is_series(start) else end)

    def add_working_time(self, start: Any, seconds: Any) -> Any:
        """The earliest time at which ``seconds`` of working time have passed since ``start``.

        ``seconds`` is a number or an array broadcast against ``start`` (use
        ``n * calendar.day_seconds`` for n working days). Returns a Timestamp for a
        scalar, a Series for a Series, otherwise a DatetimeIndex; timezone-aware in
        the calendar's zone when the input was aware, naive otherwise.

        >>> cal = WorkingCalendar()
        >>> str(cal.add_working_time("2024-02-08 10:00", 2 * cal.day_seconds))
        '2024-02-18 10:00:00'
        """
        s, nat, aware = _local_seconds(start, self.timezone)
        amount = np.asarray(seconds, dtype=np.float64)
        s, amount = np.broadcast_arrays(s, amount)
        nat = np.broadcast_to(nat, s.shape) | np.isnan(amount)
        if (amount[~nat] < 0).any():
            raise ValueError("add_working_time: seconds must not be negative")
        out = np.full(s.shape, np.nan)
        ok = ~nat
        if ok.any():
            tl = self._covering(s[ok], extra_seconds=float(amount[ok].max()))
            target = tl.position(s[ok]) + amount[ok]
            out[ok] = np.where(amount[ok] == 0, s[ok], tl.clock(target))
        return _timestamps_like(out, start, self.timezone if aware else None)

    def is_working_time(self, times: Any) -> np.ndarray:
        """Whether each timestamp is inside office hours on a working day (ends included).

        >>> WorkingCalendar().is_working_time(["2024-10-08 12:00", "2024-10-08 12:30"]).tolist()
        [True, False]
        """
        t, nat, _ = _local_seconds(times, self.timezone)
        t = np.atleast_1d(t)
        nat = np.atleast_1d(nat)
        out = np.zeros(t.shape, dtype=bool)
        if (~nat).any():
            tl = self._covering(t[~nat])
            day = np.floor(t[~nat] / DAY)
            tod = t[~nat] - day * DAY
            inside = np.zeros(tod.shape, dtype=bool)
            for a, b in self.hours:
                inside |= (tod >= a) & (tod <= b)
            out[~nat] = inside & tl.working[day.astype(np.int64) - tl.first_day]
        return out

    def _covering(self, local_seconds: np.ndarray, extra_seconds: float = 0.0) -> Timeline:
        """A timeline from the day before the earliest time to past the latest one."""
        first = int(np.floor(local_seconds.min() / DAY)) - 1
        last = int(np.floor(local_seconds.max() / DAY)) + 1
        # enough working days for extra_seconds, allowing for weekends and long holidays
        span = math.ceil(extra_seconds / max(self.day_seconds, 1) * 7 / 5) + 15
        while True:
            tl = self.timeline(_EPOCH + dt.timedelta(days=first),
                               _EPOCH + dt.timedelta(days=last + span))
            if tl.cumulative[-1] - tl.position(np.array([local_seconds.max()]))[0] >= extra_seconds:
                return tl
            span *= 2


# -- conversions ----------------------------------------------------------------
def _is_series(x: Any) -> bool:
    return isinstance(x, pd.Series)


def _local_seconds(values: Any, timezone: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """Local wall-clock seconds since the epoch (float), NaT mask, and whether input was aware."""
    scalar = np.ndim(values) == 0 and not isinstance(values, (pd.Series, pd.Index))
    if scalar:
        values = [values]
    if isinstance(values, pd.Series):
        stamps = pd.DatetimeIndex(pd.to_datetime(values))
    else:
        stamps = pd.DatetimeIndex(pd.to_datetime(values))
    aware = stamps.tz is not None
    if aware:
        stamps = stamps.tz_convert(timezone).tz_localize(None)
    ns = stamps.as_unit("ns").asi8
    nat = stamps.isna()
    seconds = np.where(nat, 0, ns).astype(np.float64) / 1e9
    if scalar:
        return seconds.reshape(()), np.asarray(nat).reshape(()), aware
    return seconds, np.asarray(nat), aware


def _shape_like(out: np.ndarray, like: Any) -> Any:
    if out.ndim == 0:
        return float(out)
    if isinstance(like, pd.Series) and len(like) == len(out):
        return pd.Series(out, index=like.index)
    return out


def _timestamps_like(local_seconds: np.ndarray, like: Any, timezone: str | None) -> Any:
    ns = np.where(np.isnan(local_seconds), np.iinfo(np.int64).min,
                  np.round(np.nan_to_num(local_seconds) * 1e6).astype(np.int64) * 1000)
    index = pd.DatetimeIndex(np.atleast_1d(ns).astype("datetime64[ns]"))
    if timezone:
        index = index.tz_localize(timezone)
    if local_seconds.ndim == 0:
        return index[0]
    if isinstance(like, pd.Series) and len(like) == len(index):
        return pd.Series(index, index=like.index)
    return index


def _day_numbers(dates: Any) -> np.ndarray:
    stamps = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(np.asarray(dates, dtype=object))))
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)
    return (stamps.as_unit("ns").asi8 // (DAY * 10**9)).astype(np.int64)


def _cc_version() -> str:
    try:
        from importlib.metadata import version

        return version("chinese-calendar")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "?"


def _cc_years() -> str:
    import chinese_calendar

    years = sorted({d.year for d in chinese_calendar.holidays})
    return f"{years[0]}-{years[-1]}" if years else "no years"


# -- module-level forms ------------------------------------------------------------
def working_seconds(start: Any, end: Any, *, calendar: WorkingCalendar | str | None = "cn") -> Any:
    """:meth:`WorkingCalendar.working_seconds` with a calendar or a ``--calendar`` value.

    >>> working_seconds("2024-09-30 16:00", "2024-10-08 10:00") / 3600
    2.5
    """
    cal = calendar if isinstance(calendar, WorkingCalendar) else calendar_from_option(calendar)
    return cal.working_seconds(start, end)


def add_working_time(start: Any, seconds: Any, *, calendar: WorkingCalendar | str | None = "cn") -> Any:
    """:meth:`WorkingCalendar.add_working_time` with a calendar or a ``--calendar`` value.

    >>> str(add_working_time("2024-09-30 16:00", 2.5 * 3600))
    '2024-10-08 10:00:00'
    """
    cal = calendar if isinstance(calendar, WorkingCalendar) else calendar_from_option(calendar)
    return cal.add_working_time(start, seconds)


# -- building calendars ------------------------------------------------------------
def calendar_from_option(option: str | None, *, hours: str | None = None) -> WorkingCalendar:
    """The calendar named by a ``--calendar`` option: ``cn``, ``none`` or a file path.

    ``hours`` (``"09:00-12:00,13:30-17:30"``) overrides the office hours of ``cn``
    and of a file.

    >>> calendar_from_option("none").kind
    'none'
    >>> calendar_from_option("cn", hours="08:30-17:00").day_seconds / 3600
    8.5
    """
    value = (option or "cn").strip()
    if value.lower() in ("cn", "china", "zh"):
        return WorkingCalendar(hours=parse_hours(hours) if hours else DEFAULT_HOURS)
    if value.lower() in ("none", "clock", "24x7"):
        return WorkingCalendar(kind="none")
    path = Path(value)
    if not path.is_file():
        raise SpecError(f"--calendar {value}: not cn, none or an existing file",
                        hint="use cn (Chinese working days), none (clock time) or a YAML/CSV file")
    cal = read_calendar(path)
    if hours:
        cal = WorkingCalendar(kind="custom", hours=parse_hours(hours), weekend=cal.weekend,
                              holidays=cal.holidays, workdays=cal.workdays, base=cal.base,
                              name=cal.name, timezone=cal.timezone)
    return cal


def read_calendar(path: str | Path) -> WorkingCalendar:
    """A custom calendar from a YAML or CSV file (format in docs/calendar.md).

    YAML keys: ``name``, ``base`` (``cn`` or ``weekends``, default ``cn``), ``hours``
    (list of ``"HH:MM-HH:MM"``), ``weekend`` (day names), ``holidays`` and
    ``workdays`` (dates or ``{from: ..., to: ...}`` ranges). CSV: columns ``date``
    and ``type`` (``holiday`` / ``workday``, or 休 / 班), optional rows of type
    ``hours`` with an interval in the ``date`` column.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "cal.yaml")
    >>> _ = open(p, "w").write("base: weekends\\nholidays: [2027-01-01]\\n")
    >>> read_calendar(p).is_working_day(["2027-01-01", "2027-01-04"]).tolist()
    [False, True]
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"{path}: cannot read the calendar file: {e}") from None
    if suffix in (".yaml", ".yml", ".json"):
        return _calendar_from_yaml(path, text)
    if suffix in (".csv", ".txt"):
        return _calendar_from_csv(path, text)
    raise SpecError(f"{path}: unknown calendar file type {suffix or '(none)'}",
                    hint="use .yaml, .yml, .json or .csv")


def _calendar_from_yaml(path: Path, text: str) -> WorkingCalendar:
    import yaml

    from procmine.yamlsafe import check_yaml_text, describe_yaml_error

    check_yaml_text(text, str(path))
    try:
        data = yaml.safe_load(text) or {}
    except (yaml.YAMLError, ValueError) as e:  # ValueError: a date like 2024-13-01
        raise SpecError(f"{path}: not valid YAML: {describe_yaml_error(e)}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping with holidays, workdays, hours")
    known = {"name", "base", "hours", "weekend", "holidays", "workdays", "timezone"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SpecError(f"{path}: unknown key(s) {', '.join(map(str, unknown))}",
                        hint=f"known keys: {', '.join(sorted(known))}")
    base = str(data.get("base", "cn")).strip().lower()
    if base not in ("cn", "weekends"):
        raise SpecError(f"{path}: base {base!r}: expected cn or weekends")
    weekend = data.get("weekend", ["sat", "sun"]) or []
    try:
        weekend_days = tuple(sorted(_WEEKDAYS[str(d).strip().lower()] for d in weekend))
    except KeyError as e:
        raise SpecError(f"{path}: weekend day {e.args[0]!r}: expected mon..sun") from None
    try:
        hours = parse_hours(data["hours"]) if data.get("hours") else DEFAULT_HOURS
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None
    return WorkingCalendar(
        kind="custom", hours=hours, weekend=weekend_days,
        holidays=frozenset(_dates(path, "holidays", data.get("holidays") or [])),
        workdays=frozenset(_dates(path, "workdays", data.get("workdays") or [])),
        base=base,  # type: ignore[arg-type]
        name=str(data.get("name") or path.stem),
        timezone=str(data.get("timezone") or "Asia/Shanghai"))


def _dates(path: Path, key: str, items: Any) -> list[dt.date]:
    if not isinstance(items, list):
        raise SpecError(f"{path}: {key} must be a list of dates")
    out: list[dt.date] = []
    for item in items:
        if isinstance(item, dict):
            if set(item) != {"from", "to"}:
                raise SpecError(f"{path}: {key}: a range needs exactly 'from' and 'to'")
            first, last = _date(path, key, item["from"]), _date(path, key, item["to"])
            if last < first:
                raise SpecError(f"{path}: {key}: range {first} to {last} ends before it starts")
            out.extend(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        else:
            out.append(_date(path, key, item))
    return out


def _date(path: Path, where: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SpecError(f"{path}: {where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _calendar_from_csv(path: Path, text: str) -> WorkingCalendar:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["date", "type"]:
        raise SpecError(f"{path}: expected a header 'date,type'",
                        hint="rows like 2027-02-06,holiday or 2027-02-14,workday")
    holidays, workdays, hours = [], [], []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 2:
            raise SpecError(f"{path}, row {number}: expected date,type")
        value, kind = row[0].strip(), row[1].strip().lower()
        if kind in _HOLIDAY_WORDS:
            holidays.append(_date(path, f"row {number}", value))
        elif kind in _WORKDAY_WORDS:
            workdays.append(_date(path, f"row {number}", value))
        elif kind in ("hours", "office hours", "办公时间"):
            hours.append(value)
        else:
            raise SpecError(f"{path}, row {number}, column type: {row[1]!r}",
                            hint="use holiday, workday or hours")
    try:
        parsed = parse_hours(hours) if hours else DEFAULT_HOURS
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None
    return WorkingCalendar(kind="custom", hours=parsed, holidays=frozenset(holidays),
                           workdays=frozenset(workdays), base="cn", name=path.stem)
