"""Which calendar counts: a ``--calendar`` value, or one chosen from the log (``auto``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from procmine.calendar.days import check_country
from procmine.calendar.files import read_calendar
from procmine.calendar.hours import DEFAULT_HOURS, PLAIN_HOURS, parse_hours
from procmine.calendar.working import WorkingCalendar
from procmine.errors import SpecError

#: Zones of mainland China (a log read in one of them is counted with ``cn`` by ``auto``).
CHINESE_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin",
                           "Asia/Urumqi", "Asia/Kashgar", "PRC"})
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HINT = ("give --calendar nl (or it, us, de, gb: any ISO country code), weekdays, cn or a "
         "calendar file to count working time")


def calendar_from_option(option: str | None, *, hours: str | None = None) -> WorkingCalendar:
    """The calendar named by a ``--calendar`` option: ``cn``, a country code (``nl``,
    ``it``, ``us``, ...), ``weekdays``, ``none`` or a file path.

    ``hours`` (``"09:00-12:00,13:30-17:30"``) overrides the office hours, which are
    09:00-12:00 and 13:30-17:30 for ``cn`` and 09:00-17:00 for the others.
    ``auto`` without facts about a log is clock time (see :func:`choose_calendar`).

    >>> calendar_from_option("none").kind
    'none'
    >>> calendar_from_option("cn", hours="08:30-17:00").day_seconds / 3600
    8.5
    >>> calendar_from_option("nl").day_seconds / 3600
    8.0
    """
    value = (option or "cn").strip()
    lower = value.lower()
    if lower == "auto":
        return choose_calendar("auto", hours=hours).calendar
    if lower in ("cn", "china", "zh"):
        return WorkingCalendar(hours=parse_hours(hours) if hours else DEFAULT_HOURS)
    if lower in ("none", "clock", "24x7"):
        return WorkingCalendar(kind="none")
    plain = parse_hours(hours) if hours else PLAIN_HOURS
    if lower in ("weekdays", "weekends"):
        return WorkingCalendar(kind="weekdays", hours=plain)
    path = Path(value)
    if path.is_file():
        cal = read_calendar(path)
        if hours:
            cal = WorkingCalendar(kind="custom", hours=parse_hours(hours), weekend=cal.weekend,
                                  holidays=cal.holidays, workdays=cal.workdays, base=cal.base,
                                  name=cal.name, timezone=cal.timezone)
        return cal
    if 2 <= len(value) <= 3 and value.isalpha():
        return WorkingCalendar(kind="country", country=check_country(value), hours=plain)
    raise SpecError(f"calendar={value!r}: not cn, a country code, weekdays, none or an "
                    "existing file",
                    hint="use cn (Chinese working days), nl/it/us/... (public holidays of a "
                         "country), weekdays, none (clock time) or a YAML/CSV file")


def as_calendar(calendar: WorkingCalendar | str | None) -> WorkingCalendar | None:
    """The calendar a library call counts with: ``None`` is clock time (no calendar), a
    string is a ``--calendar`` value (:func:`calendar_from_option`), a calendar is itself.
    The one reading of a ``calendar=`` argument, for every analysis and engine.

    >>> as_calendar(None) is None
    True
    >>> as_calendar("nl").country
    'NL'
    """
    if calendar is None or isinstance(calendar, WorkingCalendar):
        return calendar
    if isinstance(calendar, str):
        return calendar_from_option(calendar)
    return calendar


@dataclass(frozen=True)
class CalendarChoice:
    """The calendar a command counts with, and why (one line for stderr: :meth:`message`)."""

    calendar: WorkingCalendar
    name: str
    reason: str
    hint: str = ""

    def message(self) -> str:
        """``Calendar: cn (the log's column names are Chinese)``, with the hint if any."""
        text = f"Calendar: {self.name} ({self.reason})"
        return f"{text}; {self.hint}" if self.hint else text


def choose_calendar(option: str | None = "auto", *, headers: Iterable[str] = (),
                    timezone: str | None = None, timezone_given: bool = True,
                    hours: str | None = None) -> CalendarChoice:
    """The calendar for a log: ``option`` as given, or for ``auto`` one chosen from the log.

    ``auto`` chooses ``cn`` when the log's column names (``headers``, as in the file)
    contain Chinese, or when the log was read in a Chinese zone that the user gave
    (``timezone_given``); otherwise clock time (``none``), with a hint how to count
    working time. Other values are read as by :func:`calendar_from_option`.

    >>> choose_calendar("auto", headers=["工单编号", "环节", "时间"]).name
    'cn'
    >>> c = choose_calendar("auto", headers=["case", "activity", "time"], timezone="Europe/Amsterdam")
    >>> c.name, c.calendar.kind
    ('none', 'none')
    """
    value = (option or "auto").strip()
    if value.lower() != "auto":
        return CalendarChoice(calendar_from_option(value, hours=hours), value, "--calendar")
    chinese = [h for h in headers if _HAN.search(str(h))]
    if chinese:
        return CalendarChoice(calendar_from_option("cn", hours=hours), "cn",
                              f"the log's column names are Chinese, e.g. {chinese[0]}")
    if timezone in CHINESE_ZONES and timezone_given:
        return CalendarChoice(calendar_from_option("cn", hours=hours), "cn",
                              f"the log was read in {timezone}")
    return CalendarChoice(WorkingCalendar(kind="none"), "none",
                          "clock time: the log is not Chinese-headed", hint=_HINT)
