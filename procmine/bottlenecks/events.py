"""The clock and the per-event arrays every bottleneck table starts from.

:class:`_Clock` measures spans between int64-nanosecond instants in working
time (a :mod:`procmine.calendar` working calendar) or clock time, and adds
working time to an instant (a deadline); :class:`_Events` holds, per event of
a log in log order, its case, completion and start, the hand-over from the
event before it, its waiting and service time, and the integer codes of its
string columns.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from procmine.abstractions import column_codes
from procmine.errors import ColumnError
from procmine.log import CASE, START, TIMESTAMP, EventLog

_NAT = np.iinfo(np.int64).min


# --------------------------------------------------------------------------- time


class _Clock:
    """Measures spans between int64-nanosecond instants, in working or clock time."""

    def __init__(self, calendar: Any, timezone: str):
        # a 24x7 calendar is clock time: skip the calendar arithmetic
        self.calendar = None if getattr(calendar, "kind", None) == "none" else calendar
        if self.calendar is not None and hasattr(self.calendar, "in_zone"):
            self.calendar = self.calendar.in_zone(timezone)  # count in the log's office zone
        self.timezone = timezone

    def _index(self, ns: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(self.timezone)

    def span(self, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Seconds from ``begin`` to ``end`` (NaN where either is missing)."""
        ok = (begin != _NAT) & (end != _NAT)
        if self.calendar is None or not ok.any():
            with np.errstate(over="ignore"):       # (a missing end or begin is left out)
                return np.where(ok, (end - begin) / 1e9, np.nan)
        out = np.full(len(begin), np.nan)
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
    from procmine.calendar import as_calendar

    calendar = as_calendar(calendar) if working_time else None
    if calendar is None:
        return None, "clock"
    if getattr(calendar, "kind", None) == "none":
        return calendar, "clock"
    return calendar, "working"


# --------------------------------------------------------------------------- events


class _Events:
    """Per-event arrays the analyses share (one entry per event, log order).

    String columns are factorised once into integer codes (-1 where missing):
    grouping on integers keeps a million events within seconds.
    """

    def __init__(self, log: EventLog, clock: _Clock):
        # columns one by one: the text of the columns a reader left coded is not made
        self.log = log
        cases = log.case_codes()
        self.case = cases.codes
        n = len(self.case)
        self.n = n
        # the first and last event of each run of one case's rows (one run per case
        # in a log grouped by case, as read_log gives it)
        self.first_idx = cases.starts
        self.last_idx = cases.starts + cases.lengths - 1
        self.first = np.zeros(n, dtype=bool)
        self.first[self.first_idx] = True
        self.last = np.zeros(n, dtype=bool)
        self.last[self.last_idx] = True
        grouped = len(cases.starts) == (int(self.case.max()) + 1 if n else 0)
        ids = (log.column(CASE, rows=cases.starts).to_numpy() if grouped
               else pd.unique(log.column(CASE)))
        self.case_ids = np.asarray(ids, dtype=object)
        self.ts = _ns(log.column(TIMESTAMP))
        if (self.ts == _NAT).any():
            row = int(np.flatnonzero(self.ts == _NAT)[0])
            raise ColumnError(f"{TIMESTAMP}: event {row} has no completion time",
                              hint="drop or repair events without a timestamp before measuring")
        self.start = (_ns(log.column(START)) if START in log.column_names
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

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Integer codes of a column per event (-1 where missing) and the names they stand for."""
        return column_codes(self.log, column)
