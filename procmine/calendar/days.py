"""Which days are working days: Chinese holidays and 调休, a country's public holidays, weekends.

Each function gives working-day flags for every day of one year. A year the
holiday data does not know is counted with weekends only, and said once: the
calendar records a note and warns :class:`CalendarFallbackWarning`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from procmine.errors import SpecError


class CalendarFallbackWarning(UserWarning):
    """A year the holiday data does not cover was counted with weekends only."""


def year_days(year: int) -> list[dt.date]:
    """Every date of ``year``."""
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


def weekend_flags(days: list[dt.date], weekend: tuple[int, ...]) -> np.ndarray:
    """True for each day that is not a weekend day."""
    return np.array([d.weekday() not in weekend for d in days], dtype=bool)


def cn_flags(days: list[dt.date], weekend: tuple[int, ...]) -> np.ndarray | None:
    """Working days by ``chinese_calendar`` (holidays and swapped working days); None
    when the package does not know the year. Looked up once per process for the same
    days (each calendar a command makes asks for the years of the log again).

    >>> import datetime as dt
    >>> cn_flags([dt.date(2024, 2, 12), dt.date(2024, 2, 18)], (5, 6)).tolist()
    [False, True]
    """
    flags = _cn_flags(tuple(days), tuple(weekend))
    return None if flags is None else flags.copy()      # a copy: the caller may change it


@lru_cache(maxsize=64)
def _cn_flags(days: tuple[dt.date, ...], weekend: tuple[int, ...]) -> np.ndarray | None:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(days[0])
    except NotImplementedError:
        return None
    if weekend == (5, 6):
        return np.array([chinese_calendar.is_workday(d) for d in days], dtype=bool)
    # another weekend: keep the public holidays and swapped days, move the weekend
    flags = weekend_flags(days, weekend)
    for i, d in enumerate(days):
        if chinese_calendar.is_holiday(d) and d.weekday() < 5:
            flags[i] = False
        elif chinese_calendar.is_workday(d) and d.weekday() >= 5:
            flags[i] = True
    return flags


def cn_fallback_note(years: int | Iterable[int]) -> str:
    """What a report says about the years chinese_calendar does not know: one note for
    all of them, runs of years written as ranges (a log of twenty years, one line).

    >>> cn_fallback_note([2029, 2027, 2028, 2031]).split(":")[0]
    '2027-2029, 2031'
    """
    return (f"{year_ranges(years)}: no Chinese holiday data (chinese_calendar {cc_version()} "
            f"knows {cc_years()}); counted with weekends only")


def year_ranges(years: int | Iterable[int]) -> str:
    """Years in order, each run of consecutive years as ``first-last``.

    >>> year_ranges({2030, 2027, 2028}), year_ranges(2027)
    ('2027-2028, 2030', '2027')
    """
    ordered = sorted({years} if isinstance(years, int) else set(years))
    runs: list[list[int]] = []
    for year in ordered:
        if runs and year == runs[-1][1] + 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def country_flags(code: str, days: list[dt.date], weekend: tuple[int, ...]) -> np.ndarray:
    """Weekdays minus the public holidays of country ``code`` (the ``holidays`` package)."""
    off = set(_country(code, days[0].year))
    flags = weekend_flags(days, weekend)
    for i, d in enumerate(days):
        if d in off:
            flags[i] = False
    return flags


def check_country(code: str) -> str:
    """The upper-case ISO code if the ``holidays`` package knows the country, else SpecError.

    >>> check_country("nl")
    'NL'
    """
    import holidays

    upper = code.strip().upper()
    if upper not in holidays.list_supported_countries():
        raise SpecError(f"calendar {code!r}: not cn, weekdays, none, a country code the "
                        "holidays package knows, or an existing file",
                        hint="e.g. calendar='nl' (or it, us, de, gb: ISO 3166 codes), weekdays, "
                             "none, cn or a YAML/CSV file")
    return upper


def country_name(code: str) -> str:
    """The country's name as the ``holidays`` package knows it (the code if it does not).

    >>> country_name("NL")
    'Netherlands'
    """
    from holidays.registry import COUNTRIES

    for module, (_cls, iso, *_rest) in COUNTRIES.items():
        if iso == code.upper():
            return module.replace("_", " ").title()
    return code.upper()


@lru_cache(maxsize=256)
def _country(code: str, year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays(code.upper(), years=year).keys())


def cc_version() -> str:
    return _version("chinese-calendar")


def holidays_version() -> str:
    return _version("holidays")


def _version(package: str) -> str:
    try:
        from importlib.metadata import version

        return version(package)
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "?"


def cc_years() -> str:
    import chinese_calendar

    years = sorted({d.year for d in chinese_calendar.holidays})
    return f"{years[0]}-{years[-1]}" if years else "no years"
