"""Deadlines per category: :class:`Deadline` (a time limit from one step to another,
in working time or clock time) and the readers of their text forms,
:func:`parse_duration` (``'4h'``, ``'5 working days'``, ``'15 工作日'``) and
:func:`parse_deadline` (``'派遣 -> 结案 within 5 working days'``).

:class:`DeadlineColumnCheck` and :func:`check_deadline_column` (whether a column can be
the case deadline) live in :mod:`procmine.read.deadline`, with the reading that uses them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Literal

from procmine.errors import SpecError
from procmine.limits import MAX_DEADLINE_DAYS

# (names of this module before they moved to the reading)
from procmine.read.deadline import DeadlineColumnCheck as DeadlineColumnCheck
from procmine.read.deadline import check_deadline_column as check_deadline_column


@dataclass(frozen=True)
class Deadline:
    """A time limit from one step to another for one category (``None``: every
    category without its own rule). ``unit`` is ``hours`` or ``days``; ``working``
    says whether the amount counts working time (the usual case in city rules) or
    clock time. One working day is the length of one day's office hours of the
    working calendar (see procmine.calendar).

    >>> d = parse_deadline("派遣 -> 结案 within 5 working days", category="噪声扰民")
    >>> d.start, d.end, d.amount, d.unit, d.working
    ('派遣', '结案', 5.0, 'days', True)
    """

    category: str | None
    start: str
    end: str
    amount: float
    unit: Literal["hours", "days"]
    working: bool
    text: str = ""
    line: int | None = None

    def working_seconds(self, day_seconds: float = 7 * 3600) -> float | None:
        """The limit in seconds of working time, None for a clock-time limit."""
        if not self.working:
            return None
        return self.amount * (day_seconds if self.unit == "days" else 3600.0)

    def clock_seconds(self) -> float | None:
        """The limit in seconds of clock time, None for a working-time limit."""
        if self.working:
            return None
        return self.amount * (86_400.0 if self.unit == "days" else 3600.0)


_UNITS = {
    "min": ("hours", 1 / 60), "mins": ("hours", 1 / 60), "minute": ("hours", 1 / 60),
    "minutes": ("hours", 1 / 60), "分钟": ("hours", 1 / 60), "分": ("hours", 1 / 60),
    "h": ("hours", 1), "hr": ("hours", 1), "hrs": ("hours", 1), "hour": ("hours", 1),
    "hours": ("hours", 1), "小时": ("hours", 1), "时": ("hours", 1),
    "d": ("days", 1), "day": ("days", 1), "days": ("days", 1), "天": ("days", 1),
    "日": ("days", 1),
    "w": ("weeks", 1), "week": ("weeks", 1), "weeks": ("weeks", 1), "周": ("weeks", 1),
    "星期": ("weeks", 1),
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*个?\s*(working|work|business|工作)?\s*([a-z\u4e00-\u9fff]+)\s*$",
                       re.IGNORECASE)


def parse_duration(text: str) -> tuple[float, Literal["hours", "days"], bool]:
    """``(amount, unit, working)`` of a duration such as ``'4h'``, ``'2 working hours'``,
    ``'5d'``, ``'5 working days'``, ``'15 工作日'``, ``'2个工作小时'``, ``'30 min'``.

    Without ``working``/``工作`` the duration counts clock time. Minutes become
    hours; weeks become 7 days, or 5 working days.

    >>> parse_duration("15 工作日"), parse_duration("4h"), parse_duration("30 min")
    ((15.0, 'days', True), (4.0, 'hours', False), (0.5, 'hours', False))
    >>> parse_duration("5 weeks of fun")
    Traceback (most recent call last):
    ...
    procmine.errors.SpecError: bad duration '5 weeks of fun' (write e.g. 4h, 2 working hours, 5d, 5 working days, 15 工作日)
    """
    hint = "write e.g. 4h, 2 working hours, 5d, 5 working days, 15 工作日"
    raw = str(text)
    m = _DURATION.match(raw)
    unit_word = m.group(3).lower() if m else ""
    working = bool(m and m.group(2))
    if m and not working and unit_word in ("工作日", "工作天"):
        working, unit_word = True, "日"
    if m and not working and unit_word in ("工作小时", "工时"):
        working, unit_word = True, "小时"
    if not m or unit_word not in _UNITS:
        raise SpecError(f"bad duration {raw!r}", hint=hint)
    amount = float(m.group(1))
    if amount <= 0:
        raise SpecError(f"bad duration {raw!r}: must be more than zero", hint=hint)
    unit, factor = _UNITS[unit_word]
    if unit == "weeks":
        amount, unit, factor = amount * (5 if working else 7), "days", 1
    days = amount * factor / (24 if unit == "hours" else 1)
    if days > MAX_DEADLINE_DAYS:
        raise SpecError(f"bad duration {raw!r}: longer than {MAX_DEADLINE_DAYS:,} days (10 years)",
                        hint=hint)
    return amount * factor, unit, working  # type: ignore[return-value]


_ARROWS = (re.compile(r"->|→|=>"), re.compile(r"到|至"))
_SEPARATOR = re.compile(r"\b(?:within|in)\b|:|：|不超过|以内|内|限", re.IGNORECASE)
_HINT = "write it as '派遣 -> 结案 within 5 working days'"


def parse_deadline(text: str, *, category: str | None = None, line: int | None = None,
                   steps: Collection[str] | None = None) -> Deadline:
    """A deadline written as ``'派遣 -> 结案 within 5 working days'``.

    Step names may contain the words of the form (``in``, ``within``, ``:``, 到):
    the duration is the text after the last separator that reads as a duration,
    and with ``steps`` given, a split whose both ends are steps is preferred.

    >>> parse_deadline("派遣 -> 结案 within 4h").working
    False
    >>> d = parse_deadline("Confirmation of receipt -> T10 Determine necessity to stop "
    ...                    "indication within 5 working days")
    >>> d.end, d.amount
    ('T10 Determine necessity to stop indication', 5.0)
    """
    raw = str(text).strip()
    found = [c for c in _splits(raw) if c[0] != c[1]]
    if steps is not None:
        known = [c for c in found if c[0] in steps and c[1] in steps]
        found = known or found
    if not found:
        same = next(iter(_splits(raw)), None)
        if same is not None:
            raise SpecError(f"deadline {text!r}: from and to are the same step")
        # say what is wrong with the duration of the plainest reading, if there is one
        arrow = _ARROWS[0].search(raw) or _ARROWS[1].search(raw)
        seps = list(_SEPARATOR.finditer(raw, arrow.end())) if arrow else []
        if seps and raw[seps[-1].end():].strip():
            parse_duration(raw[seps[-1].end():].strip())
        raise SpecError(f"cannot read deadline {text!r}", hint=_HINT)
    start, end, within = found[0]
    return make_deadline(start, end, within, category=category, text=raw, line=line)


def make_deadline(start: str, end: str, within: str, *, category: str | None = None,
                  text: str = "", line: int | None = None) -> Deadline:
    """A deadline from its parts (the structured form ``{from, to, within}``).

    >>> make_deadline("a in b", "c", "2 working hours").working_seconds()
    7200.0
    """
    start, end = str(start).strip(), str(end).strip()
    if not start or not end:
        raise SpecError(f"deadline {text or start + ' -> ' + end!r}: a step name is empty")
    if start == end:
        raise SpecError(f"deadline {text or start + ' -> ' + end!r}: from and to are the same step")
    amount, unit, working = parse_duration(within)
    return Deadline(category, start, end, amount, unit, working,
                    text or f"{start} -> {end} within {str(within).strip()}", line)


def _splits(text: str) -> Iterator[tuple[str, str, str]]:
    """Every reading ``(from, to, duration)`` of ``text`` whose duration parses: ASCII
    arrows before 到/至, the first arrow first, the last separator first."""
    for arrows in _ARROWS:
        for arrow in arrows.finditer(text):
            start = text[:arrow.start()].strip()
            rest = text[arrow.end():]
            if not start:
                continue
            for sep in reversed(list(_SEPARATOR.finditer(rest))):
                end, within = rest[:sep.start()].strip(), rest[sep.end():].strip()
                if not end or not within:
                    continue
                try:
                    parse_duration(within)
                except SpecError:
                    continue
                yield start, end, within
