"""Calendar files: holidays, extra working days and office hours from YAML or CSV
(format in docs/calendar.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from procmine.calendar.days import check_country
from procmine.calendar.hours import DEFAULT_HOURS, PLAIN_HOURS, parse_hours
from procmine.calendar.working import WorkingCalendar
from procmine.errors import SpecError
from procmine.yamlsafe import as_list

_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
             "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
             "saturday": 5, "sunday": 6, "周一": 0, "周二": 1, "周三": 2, "周四": 3,
             "周五": 4, "周六": 5, "周日": 6, "周天": 6}
_HOLIDAY_WORDS = {"holiday", "off", "休", "假", "节假日", "休息", "rest"}
_WORKDAY_WORDS = {"workday", "working", "work", "班", "上班", "调休上班", "补班", "工作日"}


def read_calendar(path: str | Path) -> WorkingCalendar:
    """A custom calendar from a YAML or CSV file (format in docs/calendar.md).

    YAML keys: ``name``, ``base`` (``cn``, ``weekends`` or a country code such as
    ``nl``, default ``cn``), ``hours``
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
        try:
            base = check_country(base)
        except SpecError:
            raise SpecError(f"{path}: base {base!r}: expected cn, weekends or a country code "
                            "(nl, it, us, ...)") from None
    weekend = as_list(data.get("weekend", ["sat", "sun"]))
    try:
        weekend_days = tuple(sorted({_WEEKDAYS[str(d).strip().lower()] for d in weekend}))
    except KeyError as e:
        raise SpecError(f"{path}: weekend day {e.args[0]!r}: expected mon..sun") from None
    try:
        default = DEFAULT_HOURS if base in ("cn", "weekends") else PLAIN_HOURS
        given = data.get("hours")
        hours = default if given is None else parse_hours(
            given if isinstance(given, str) else as_list(given))
    except SpecError as e:
        raise SpecError(f"{path}: {e.message}", hint=e.hint) from None
    holidays = frozenset(_dates(path, "holidays", data.get("holidays")))
    workdays = frozenset(_dates(path, "workdays", data.get("workdays")))
    both = sorted(holidays & workdays)
    if both:
        raise SpecError(f"{path}: {both[0]} is listed both as a holiday and as a workday",
                        hint="keep it in one of the two lists")
    if len(weekend_days) == 7 and not workdays:
        raise SpecError(f"{path}: the weekend is all seven days and no workdays are listed, "
                        "so the calendar has no working day",
                        hint="list the weekend days only (e.g. weekend: [sat, sun])")
    return WorkingCalendar(
        kind="custom", hours=hours, weekend=weekend_days, holidays=holidays,
        workdays=workdays, base=base,
        name=str(data.get("name") or path.stem),
        timezone=_timezone(path, data.get("timezone")))


def _timezone(path: Path, value: Any) -> str:
    """The calendar's zone: Asia/Shanghai unless the file names an IANA zone."""
    from zoneinfo import ZoneInfo

    if value is None:
        return "Asia/Shanghai"
    name = str(value).strip()
    try:
        ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError (an empty or malformed name)
        raise SpecError(f"{path}: unknown timezone {name!r}",
                        hint="use an IANA name such as Asia/Shanghai or Europe/Amsterdam") from None
    return name


def _dates(path: Path, key: str, items: Any) -> list[dt.date]:
    out: list[dt.date] = []
    for item in as_list(items):
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
        raise SpecError(f"{path}: {e.message}", hint=e.hint) from None
    return WorkingCalendar(kind="custom", hours=parsed, holidays=frozenset(holidays),
                           workdays=frozenset(workdays), base="cn", name=path.stem)
