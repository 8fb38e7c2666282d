"""Working time: office hours, weekends, public holidays and swapped working days.

City rules count deadlines in working hours and working days, so durations and due
times need a calendar. A :class:`WorkingCalendar` answers two questions over whole
columns at once (no Python loop per timestamp):

- :meth:`WorkingCalendar.working_seconds`: working time between two timestamps;
- :meth:`WorkingCalendar.add_working_time`: the due time after a number of working
  seconds (deadlines: report time + N working hours or days).

Kinds (``--calendar``):

- ``cn``: office hours on working days, where working days are weekdays minus
  Chinese public holidays plus the swapped working weekends (调休), as the
  ``chinese_calendar`` package knows them. For a year the package does not know
  the calendar falls back to weekends only, warns once per year
  (:class:`CalendarFallbackWarning`) and records a line in ``notes``;
  :func:`fallback_years` collects the years one computation counted so.
- a country code (``nl``, ``it``, ``us``, ``de``, ``gb``, ...): weekdays minus the
  public holidays of that country, from the ``holidays`` package (every year);
  office hours 09:00-17:00 unless given.
- ``weekdays``: weekends only, office hours 09:00-17:00 unless given.
- ``none``: clock time, 24 hours a day, 7 days a week.
- a small YAML or CSV file of holidays, extra working days and office hours, on
  top of ``cn``, of plain weekends or of a country (see docs/calendar.md).
- ``auto`` (the commands' default): chosen from the log by :func:`choose_calendar`.

Definitions:

- *Working time* is the time inside the office-hour intervals of working days
  (cn: 09:00-12:00 and 13:30-17:30, 7 working hours a day). A timestamp
  outside office hours sits at the working-time position of the next moment work
  resumes, so the working time between two timestamps outside office hours on the
  same evening is 0.
- *N working days* are ``N * day_seconds`` of working time (``day_seconds`` = the
  length of one working day's office hours, 25,200 s for cn): report at
  Monday 10:00, one working day later is Tuesday 10:00; report on Saturday, one
  working day later is Monday 17:30.
- A due time is the *earliest* instant at which the working time has elapsed:
  4 working hours from 09:00 is 14:30 (12:00-13:30 is lunch), and a span ending
  exactly at the end of office hours is due at 17:30, not at 09:00 the next
  working day.

Times are read as wall-clock times in the calendar's ``timezone``: timezone-aware
timestamps are converted to it, naive ones are taken as they are. The analyses
count in the zone the log was read in (``--timezone``) with
``calendar.in_zone(log.timezone)``; ``timezone=None`` counts aware times on the
wall clock of the zone they carry.

>>> cal = WorkingCalendar()
>>> cal.working_seconds("2024-02-09 16:30", "2024-02-18 10:00") / 3600   # Spring Festival
2.0
>>> str(cal.add_working_time("2024-09-30 16:00", 4 * 3600))                # National Day
'2024-10-08 11:30:00'
"""

from __future__ import annotations

from typing import Any

from procmine.calendar.choice import (
    CHINESE_ZONES,
    CalendarChoice,
    as_calendar,
    calendar_from_option,
    choose_calendar,
)
from procmine.calendar.days import CalendarFallbackWarning
from procmine.calendar.fallback import describe_calendar, fallback_years
from procmine.calendar.files import read_calendar
from procmine.calendar.hours import DAY, DEFAULT_HOURS, PLAIN_HOURS, format_hours, parse_hours
from procmine.calendar.timeline import Timeline
from procmine.calendar.working import KINDS, WorkingCalendar

__all__ = [
    "CHINESE_ZONES", "DAY", "DEFAULT_HOURS", "KINDS", "PLAIN_HOURS", "CalendarChoice",
    "CalendarFallbackWarning", "Timeline", "WorkingCalendar", "add_working_time", "as_calendar",
    "calendar_from_option", "choose_calendar", "describe_calendar", "fallback_years", "format_hours", "parse_hours",
    "read_calendar", "working_seconds",
]


def working_seconds(start: Any, end: Any, *, calendar: WorkingCalendar | str | None = "cn") -> Any:
    """:meth:`WorkingCalendar.working_seconds` with a calendar or a ``--calendar`` value
    (``None``: clock time).

    >>> working_seconds("2024-09-30 16:00", "2024-10-08 10:00") / 3600
    2.5
    """
    cal = as_calendar(calendar) or WorkingCalendar(kind="none")
    return cal.working_seconds(start, end)


def add_working_time(start: Any, seconds: Any, *, calendar: WorkingCalendar | str | None = "cn") -> Any:
    """:meth:`WorkingCalendar.add_working_time` with a calendar or a ``--calendar`` value
    (``None``: clock time).

    >>> str(add_working_time("2024-09-30 16:00", 2.5 * 3600))
    '2024-10-08 10:00:00'
    """
    cal = as_calendar(calendar) or WorkingCalendar(kind="none")
    return cal.add_working_time(start, seconds)
