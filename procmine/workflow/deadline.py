"""Deadlines per category: :class:`Deadline` (a time limit from one step to another,
in working time or clock time) and the readers of their text forms,
:func:`parse_duration` (``'4h'``, ``'5 working days'``, ``'15 工作日'``) and
:func:`parse_deadline` (``'派遣 -> 结案 within 5 working days'``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from procmine.errors import SpecError
from procmine.limits import MAX_DEADLINE_DAYS


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


@dataclass(frozen=True)
class DeadlineColumnCheck:
    """Whether a column of a log can be the case deadline: a case-level attribute
    (one value in each case). ``varying_cases`` is the number of cases in which it
    takes more than one value (a missing value counts as a value), ``event_share``
    the share of events that carry it.
    """

    column: str
    cases: int
    varying_cases: int
    event_share: float

    @property
    def case_level(self) -> bool:
        return self.cases > 0 and self.varying_cases == 0

    def message(self) -> str:
        """One line for the load report when the column is not mapped (empty when it is)."""
        if self.case_level:
            return ""
        return (f"column {self.column!r} looks like a deadline but is not one per case: it "
                f"varies within {self.varying_cases:,} of {self.cases:,} cases and is on "
                f"{self.event_share:.1%} of events; not used as the case deadline (give "
                f"--deadline {self.column} if it is the case's due time)")


def check_deadline_column(events: pd.DataFrame, column: str, *,
                          case: str = "case:concept:name") -> DeadlineColumnCheck:
    """Whether ``column`` of ``events`` is constant within each case (``case`` column).

    Reading maps a deadline column automatically only when ``.case_level`` is true;
    otherwise it reports ``.message()``.

    >>> ev = pd.DataFrame({"case": ["a", "a", "b", "b"],
    ...                    "due": ["2024-01-05", "2024-01-05", "2024-01-09", None]})
    >>> check = check_deadline_column(ev, "due", case="case")
    >>> check.case_level, check.varying_cases, check.event_share
    (False, 1, 0.75)
    """
    if len(events) == 0:
        return DeadlineColumnCheck(column, 0, 0, 0.0)
    values = events[column]
    case_codes, n_cases = _codes(events[case])
    if pd.api.types.is_datetime64_dtype(values.dtype):   # naive times: their numbers
        value_codes = values.to_numpy().view(np.int64)   # (a missing time is one number too)
    else:
        value_codes, _ = _codes(values)              # a missing value is a value (-1)
    known = case_codes >= 0
    if not known.all():
        case_codes, value_codes = case_codes[known], value_codes[known]
    return DeadlineColumnCheck(column=column, cases=n_cases,
                               varying_cases=_varying_cases(case_codes, value_codes, n_cases),
                               event_share=float(values.notna().mean()))


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """A code per row (-1: missing) and the number of distinct values present; a
    Categorical's own codes (no pass over the text)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        present = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories))
        return codes, int(np.count_nonzero(present))
    codes, distinct = pd.factorize(values)
    return codes, len(distinct)


def _varying_cases(case_codes: np.ndarray, value_codes: np.ndarray, n_cases: int) -> int:
    """How many cases hold more than one value code (no sort, no groupby)."""
    if not len(case_codes):
        return 0
    new_case = case_codes[1:] != case_codes[:-1]
    if int(np.count_nonzero(new_case)) + 1 == n_cases:
        # each case is one run of rows (most files): a case varies where its value changes
        # from one row to the next
        changed = (value_codes[1:] != value_codes[:-1]) & ~new_case
        return len(np.unique(case_codes[1:][changed]))
    # cases interleaved: a case varies when one of its values differs from its first;
    # numbered in order of appearance, a case's first row is where the codes reach a new high
    case_codes, cases = pd.factorize(case_codes)
    new_high = case_codes > np.maximum.accumulate(np.append(-1, case_codes[:-1]))
    first = value_codes[new_high]
    varying = np.zeros(len(cases), dtype=bool)
    varying[case_codes[value_codes != first[case_codes]]] = True
    return int(varying.sum())
