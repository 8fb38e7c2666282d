"""Which years without holiday data a computation counted with weekends only.

A calendar warns once per year it has no holiday data for (the first time it
counts that year) and keeps the year's working days; a report that said what
the warnings said would name a year only in the first analysis that reached it,
and none when a warning is lost (``warnings`` filters are one state for every
thread: a library silencing UserWarning in another thread silences this one).
:func:`fallback_years` instead collects every such year a calendar counts in a
block, cached or not, so each analysis can say exactly the years it used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: The sets of the open :func:`fallback_years` blocks (innermost last)
_OPEN: ContextVar[tuple[set[int], ...]] = ContextVar("procmine_fallback_years", default=())


@contextmanager
def fallback_years() -> Iterator[set[int]]:
    """The years counted with weekends only (no holiday data) by any calendar in this
    block, as a set filled while the block runs: every year a calendar counts is
    added each time it is counted, whether the calendar knew it already or not, so
    the set does not depend on what was computed before. Blocks nest (each gets the
    years of its own block); a thread of its own starts outside every block.

    >>> import warnings
    >>> from procmine.calendar import WorkingCalendar
    >>> cal = WorkingCalendar()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with fallback_years() as first:
    ...         _ = cal.working_seconds("2026-12-30 09:00", "2027-01-04 09:00")
    ...     with fallback_years() as again:     # the calendar knows 2027 now: still said
    ...         _ = cal.working_seconds("2027-03-01 09:00", "2027-03-02 09:00")
    >>> sorted(first), sorted(again)
    ([2027], [2027])
    """
    found: set[int] = set()
    token = _OPEN.set((*_OPEN.get(), found))
    try:
        yield found
    finally:
        _OPEN.reset(token)


def counted(years: set[int]) -> None:
    """Add ``years`` (counted with weekends only) to every open :func:`fallback_years` set."""
    if years:
        for found in _OPEN.get():
            found.update(years)


def describe_calendar(calendar: Any, years: Iterable[int] = ()) -> str:
    """Which calendar measured the time (None: clock time), with ``years``, those one
    computation counted with weekends only (a :func:`fallback_years` set).

    >>> describe_calendar(None)
    'none: clock time, 24 hours a day, 7 days a week'
    """
    if calendar is None:
        from procmine.calendar.working import WorkingCalendar

        calendar = WorkingCalendar(kind="none")
    describe = getattr(calendar, "describe", None)
    return str(describe(fallback_years=years)) if callable(describe) else str(calendar)
