"""Office hours: the intervals of a working day, read from ``"09:00-12:00,13:30-17:30"``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np

from procmine.errors import SpecError

DAY = 86_400
#: Chinese office hours (cn): 09:00-12:00 and 13:30-17:30, 7 working hours a day.
DEFAULT_HOURS = ((9 * 3600, 12 * 3600), (13 * 3600 + 1800, 17 * 3600 + 1800))
#: Office hours of every other calendar unless given: 09:00-17:00 without lunch, 8 hours.
PLAIN_HOURS = ((9 * 3600, 17 * 3600),)


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
        elif isinstance(part, (list, tuple)) and len(part) == 2:
            start, end = part
        else:
            raise SpecError(f"office hours {part!r}: expected HH:MM-HH:MM",
                            hint="e.g. 09:00-12:00,13:30-17:30")
        intervals.append((clock_seconds(start), clock_seconds(end)))
    intervals.sort()
    if not intervals:
        raise SpecError("office hours are empty", hint="e.g. 09:00-12:00,13:30-17:30")
    for (a, b), nxt in zip(intervals, intervals[1:] + [(DAY + 1, DAY + 1)], strict=True):
        if not 0 <= a < b <= DAY or b > nxt[0]:
            raise SpecError(f"office hours {format_hours(intervals)}: intervals must be "
                            "increasing, inside one day and must not overlap")
    return tuple(intervals)


def clock_seconds(value: Any) -> int:
    """Seconds after midnight of a time of day (``"09:30"``, a ``datetime.time``, seconds).

    >>> clock_seconds("09:30")
    34200
    """
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


def format_hours(hours: Iterable[tuple[int, int]]) -> str:
    """``"09:00-12:00, 13:30-17:30"`` for office-hour intervals.

    >>> format_hours(DEFAULT_HOURS)
    '09:00-12:00, 13:30-17:30'
    """
    def hhmm(s: int) -> str:
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

    return ", ".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in hours)
