"""The working calendar: working time over whole columns of timestamps at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from procmine.calendar.days import (
    CalendarFallbackWarning,
    cc_version,
    check_country,
    cn_fallback_note,
    cn_flags,
    country_flags,
    country_name,
    holidays_version,
    weekend_flags,
    year_days,
)
from procmine.calendar.fallback import counted
from procmine.calendar.hours import DAY, DEFAULT_HOURS, PLAIN_HOURS, format_hours, parse_hours
from procmine.calendar.timeline import Timeline
from procmine.errors import SpecError

_EPOCH = dt.date(1970, 1, 1)
Kind = Literal["cn", "country", "weekdays", "none", "custom"]
KINDS: tuple[str, ...] = ("cn", "country", "weekdays", "none", "custom")


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and office hours; working time over whole columns of timestamps.

    ``kind`` is ``"cn"`` (Chinese public holidays and 调休 via ``chinese_calendar``),
    ``"country"`` (the public holidays of ``country``, an ISO code the ``holidays``
    package knows, e.g. ``"NL"``), ``"weekdays"`` (weekends only), ``"none"`` (24x7
    clock time) or ``"custom"`` (``holidays`` and ``workdays`` on top of ``base``:
    ``"cn"``, ``"weekends"`` or a country code). ``hours`` are office-hour
    intervals in seconds after midnight (see :func:`parse_hours`); by default
    09:00-12:00 and 13:30-17:30 for ``cn`` (and files on top of ``cn`` or weekends),
    09:00-17:00 for the others.

    ``timezone`` is the zone whose wall clock counts: timezone-aware times are
    converted to it; ``None`` counts aware times on their own wall clock (the zone
    they carry, i.e. the zone the log was read in). :meth:`in_zone` gives the same
    calendar counting in another zone; the analyses use it with the log's zone.

    ``notes`` says what a report should say about the calendar's own limits (one note
    for the years counted with weekends only, runs of years as ranges); :meth:`describe`
    says which calendar it is. Which of those years one computation used:
    :func:`procmine.calendar.fallback_years`.

    >>> cal = WorkingCalendar(hours=parse_hours("08:30-12:00,13:00-17:00"))
    >>> cal.day_seconds / 3600
    7.5
    >>> cal.working_seconds("2024-10-08 08:00", "2024-10-08 20:00") / 3600
    7.5
    """

    kind: Kind = "cn"
    hours: tuple[tuple[int, int], ...] | None = None
    weekend: tuple[int, ...] = (5, 6)
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    base: str = "cn"
    name: str = ""
    timezone: str | None = "Asia/Shanghai"
    country: str = ""
    _years: dict[int, np.ndarray] = field(default_factory=dict, compare=False, hash=False,
                                          repr=False)
    _fallback: set[int] = field(default_factory=set, compare=False, hash=False, repr=False)

    @property
    def notes(self) -> list[str]:
        """What a report should say about the calendar's own limits: one note for the years
        it counted with weekends only (none when it had holiday data for every year)."""
        return [cn_fallback_note(self._fallback)] if self._fallback else []

    def __post_init__(self) -> None:
        if self.kind == "none":
            object.__setattr__(self, "hours", ((0, DAY),))
            object.__setattr__(self, "weekend", ())
            return
        if self.kind not in KINDS:
            raise SpecError(f"calendar kind {self.kind!r}: expected {', '.join(KINDS)}")
        if self.hours is None:  # Chinese office hours for cn (and older files), 9-17 elsewhere
            chinese = self.kind == "cn" or (self.kind == "custom" and self.base in ("cn", "weekends"))
            object.__setattr__(self, "hours", DEFAULT_HOURS if chinese else PLAIN_HOURS)
        object.__setattr__(self, "hours", parse_hours(self.hours))
        if self.kind == "country":
            object.__setattr__(self, "country", check_country(self.country))
        if self.kind == "custom" and self.base not in ("cn", "weekends"):
            object.__setattr__(self, "base", check_country(self.base))

    def in_zone(self, timezone: str | None) -> WorkingCalendar:
        """The same calendar counting on the wall clock of ``timezone`` (shares notes).

        >>> cal = WorkingCalendar(kind="weekdays").in_zone("Europe/Amsterdam")
        >>> t = pd.Timestamp("2024-03-05 09:00", tz="Europe/Amsterdam")
        >>> cal.working_seconds(t, t + pd.Timedelta(hours=2)) / 3600
        2.0
        """
        if timezone == self.timezone:
            return self
        return dataclasses.replace(self, timezone=timezone)

    # -- days -------------------------------------------------------------------
    @property
    def day_seconds(self) -> int:
        """Working seconds in one working day (the unit of 'working days')."""
        return int(sum(b - a for a, b in self.hours))

    def describe(self, *, fallback_years: Iterable[int] | None = None) -> str:
        """One line for a report: which calendar, which office hours, which limits.

        The limits are the years counted with weekends only: ``fallback_years`` (those
        one computation used, see :func:`procmine.calendar.fallback_years`), by default
        every one this calendar has counted (its ``notes``).

        >>> WorkingCalendar(kind="none").describe()
        'none: clock time, 24 hours a day, 7 days a week'
        >>> WorkingCalendar(kind="weekdays").describe()
        'weekdays: weekends only, no public holidays; office hours 09:00-17:00 (the default outside China)'
        """
        if self.kind == "none":
            return "none: clock time, 24 hours a day, 7 days a week"
        days = self._days_text()
        if self.kind == "custom":
            days = (f"{self.name or 'custom'}: {len(self.holidays)} holidays and "
                    f"{len(self.workdays)} working days from the file, on top of {days}")
        else:
            days = f"{self.country.lower() if self.kind == 'country' else self.kind}: {days}"
        text = f"{days}; office hours {format_hours(self.hours)}"
        outside = self.kind in ("country", "weekdays") or (
            self.kind == "custom" and self.base not in ("cn", "weekends"))
        if outside and self.hours == PLAIN_HOURS:
            text += " (the default outside China)"
        years = self._fallback if fallback_years is None else set(fallback_years)
        if years:
            text += "; " + cn_fallback_note(years)
        return text

    def _days_text(self) -> str:
        if self.kind == "cn" or (self.kind == "custom" and self.base == "cn"):
            return f"Chinese public holidays and swapped working days (chinese_calendar {cc_version()})"
        code = self.country if self.kind == "country" else self.base
        if self.kind == "weekdays" or code == "weekends":
            return "weekends only, no public holidays" if self.kind == "weekdays" else "weekends"
        return f"public holidays of {country_name(code)} (holidays {holidays_version()}) and weekends"

    def _year(self, year: int) -> np.ndarray:
        """Working-day flags for every day of ``year`` (cached)."""
        cached = self._years.get(year)
        if cached is not None:
            return cached
        days = year_days(year)
        if self.kind == "none":
            flags = np.ones(len(days), dtype=bool)
        else:
            flags = self._base_flags(year, days)
            if self.kind == "custom":
                for i, d in enumerate(days):
                    if d in self.holidays:
                        flags[i] = False
                    elif d in self.workdays:
                        flags[i] = True
        self._years[year] = flags
        return flags

    def _base_flags(self, year: int, days: list[dt.date]) -> np.ndarray:
        code = self.country if self.kind == "country" else self.base
        if self.kind == "weekdays" or code == "weekends":
            return weekend_flags(days, self.weekend)
        if self.kind == "cn" or code == "cn":
            known = cn_flags(days, self.weekend)
            if known is not None:
                return known
            covered = self.kind == "custom" and any(
                d.year == year for d in self.holidays | self.workdays)
            if not covered:
                self._fallback.add(year)
                warnings.warn(cn_fallback_note(year)
                              + " (give a calendar file with --calendar FILE to fix this)",
                              CalendarFallbackWarning, stacklevel=5)
            return weekend_flags(days, self.weekend)
        return country_flags(code, days, self.weekend)

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
        years = range(first.year, last.year + 1)
        flags = np.concatenate([self._year(y) for y in years])
        counted(self._fallback.intersection(years))
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
        return _timestamps_like(out, start, aware)

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

# -- conversions ----------------------------------------------------------------
def _is_series(x: Any) -> bool:
    return isinstance(x, pd.Series)


def _local_seconds(values: Any, timezone: str | None) -> tuple[np.ndarray, np.ndarray, Any]:
    """Local wall-clock seconds since the epoch (float), NaT mask, and the zone of that wall
    clock for aware input (None for naive input, taken as it is)."""
    scalar = np.ndim(values) == 0 and not isinstance(values, (pd.Series, pd.Index))
    if scalar:
        values = [values]
    if isinstance(values, pd.Series):
        stamps = pd.DatetimeIndex(pd.to_datetime(values))
    else:
        stamps = pd.DatetimeIndex(pd.to_datetime(values))
    aware: Any = None  # the zone whose wall clock the seconds are in, None when naive
    if stamps.tz is not None:
        if timezone is not None:
            stamps = stamps.tz_convert(timezone)
        aware = timezone or stamps.tz
        stamps = stamps.tz_localize(None)
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


def _timestamps_like(local_seconds: np.ndarray, like: Any, timezone: Any) -> Any:
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


