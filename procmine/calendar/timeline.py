"""Working time over a range of days, as cumulative working seconds (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procmine.calendar.hours import DAY


@dataclass(frozen=True)
class Timeline:
    """Working time over a range of days, as cumulative working seconds.

    ``position(t)`` is the working time from the start of ``first_day`` to the
    local wall-clock time ``t`` (seconds since 1970-01-01 00:00 local);
    ``clock(p)`` is the earliest local time at working position ``p``. Both are
    vectorised; differences of positions are working durations.

    >>> import datetime as dt, pandas as pd
    >>> from procmine.calendar import WorkingCalendar
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
