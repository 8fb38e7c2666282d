"""Filters written as text: the command-line options and the entries of a filter set file.

One table, :data:`FILTER_NAMES`, names every filter the same way on the command
line (``--top-variants 10``) and in a YAML filter set (``- top-variants: 10``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from procmine.errors import SpecError
from procmine.filters.definitions import (
    TIME_MODES,
    Activities,
    ActivityCoverage,
    CaseAttribute,
    CaseIds,
    Duration,
    Endpoint,
    EventCount,
    Follows,
    TimeFrame,
    TopVariants,
    VariantCoverage,
    VariantIds,
    VariantMinShare,
    WithEvent,
)

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800,
          "秒": 1, "分": 60, "分钟": 60, "时": 3600, "小时": 3600, "天": 86400, "日": 86400,
          "周": 604800}
_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z\u4e00-\u9fff]*)\s*$", re.IGNORECASE)
_ARROW = re.compile(r"\s*(?:->|→|>)\s*")


def parse_seconds(text: str) -> float:
    """Seconds in ``'30d'``, ``'12h'``, ``'45min'``, ``'90'`` (seconds), ``'2w'``, ``'3天'``.

    >>> parse_seconds("1d"), parse_seconds("1.5h"), parse_seconds("90")
    (86400.0, 5400.0, 90.0)
    """
    m = _AMOUNT.match(str(text))
    unit = (m.group(2).lower() or "s") if m else ""
    if not m or unit not in _UNITS:
        raise SpecError(f"bad duration {text!r}", hint="write e.g. 90s, 45min, 12h, 30d or 2w")
    return float(m.group(1)) * _UNITS[unit]


def parse_range(text: str, parse: Callable[[str], Any]) -> tuple[Any, Any]:
    """``(low, high)`` of ``'LOW..HIGH'``, either side may be empty (open).

    >>> parse_range("3..50", int), parse_range("..30d", parse_seconds)
    ((3, 50), (None, 2592000.0))
    """
    if ".." not in str(text):
        raise SpecError(f"bad range {text!r}", hint="write LOW..HIGH, e.g. 1d..30d or 3..50; "
                                                    "leave a side empty for no bound: ..30d")
    low, high = (part.strip() for part in str(text).split("..", 1))
    try:
        return (parse(low) if low else None, parse(high) if high else None)
    except ValueError:
        raise SpecError(f"bad range {text!r}", hint="write LOW..HIGH, e.g. 3..50") from None


def format_seconds(value: float | None) -> str:
    """A bound of a duration for people (``…`` when open)."""
    if value is None:
        return "…"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if value >= size and value % size == 0:
            return f"{value / size:g}{unit}"
    return f"{value:g}s"


def parse_time(text: Any, timezone: str, *, end: bool = False) -> pd.Timestamp:
    """An aware time from ``'2024-03-01'``, ``'2024-03-01 08:30'`` or ISO 8601 with offset;
    times without an offset are in ``timezone``. A bare date as the ``end`` of a period means
    the end of that day."""
    raw = str(text).strip()
    try:
        stamp = pd.Timestamp(raw)
    except (ValueError, TypeError):
        raise SpecError(f"bad time {raw!r}", hint="write e.g. 2024-03-01 or "
                                                  "2024-03-01T08:30:00+08:00") from None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone)
    if end and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", raw):
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return stamp


def parse_pair(text: str) -> tuple[str, str]:
    """``('A', 'B')`` of ``'A>B'`` (also ``A->B``, ``A→B``)."""
    parts = _ARROW.split(str(text).strip(), maxsplit=1)
    if len(parts) != 2 or not all(parts):
        raise SpecError(f"bad relation {text!r}", hint="write two activities as A>B, e.g. "
                                                       "派遣>签收")
    return parts[0], parts[1]


def parse_condition(text: str) -> tuple[str, tuple[str, ...], bool]:
    """``(column, values, keep)`` of ``'类别=占道经营,违章搭建'`` or ``'来源!=12345热线'``."""
    m = re.fullmatch(r"\s*([^=!]+?)\s*(!=|=)\s*(.+?)\s*", str(text))
    if not m:
        raise SpecError(f"bad condition {text!r}", hint="write COLUMN=VALUE[,VALUE...] or "
                                                        "COLUMN!=VALUE[,VALUE...]")
    return m.group(1), split_list(m.group(3)), m.group(2) == "="


def split_list(value: Any) -> tuple[str, ...]:
    """A list from YAML, or comma-separated text, as a tuple of trimmed texts. Names are
    text or whole numbers (``5`` is the name 5, as on the command line); true, null, 1.5,
    .nan or a mapping are not names (ValueError).

    >>> split_list("派遣, 签收"), split_list([5, "结案"])
    (('派遣', '签收'), ('5', '结案'))
    """
    listed = isinstance(value, list | tuple)
    items = value if listed else [value]
    if any(isinstance(v, bool) or not isinstance(v, str | int) for v in items):
        raise ValueError(value)
    texts = [str(v) for v in items] if listed else str(value).split(",")
    return tuple(t.strip() for t in texts if t.strip())


def read_case_ids(path: str) -> list[str]:
    """Case ids from a file: one a line, or the first column of a CSV (a header line that
    is not an id of the log simply matches nothing)."""
    from procmine.errors import InputError

    try:
        with open(path, encoding="utf-8-sig") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise InputError(f"{path}: {e.strerror or e}", hint="give a file of case ids, "
                                                             "one a line") from None
    return [line.split(",")[0].strip().strip('"') for line in lines if line.strip()]


def _time(value: Any, timezone: str) -> TimeFrame:
    if not isinstance(value, dict):
        raise SpecError("a time filter is a mapping: {from: ..., to: ..., mode: ...}")
    mode = str(value.get("mode", "intersecting"))
    if mode not in TIME_MODES:
        raise SpecError(f"unknown time mode {mode!r}", hint=f"choose {', '.join(TIME_MODES)}")
    first, last = value.get("from"), value.get("to")
    if first is None and last is None:
        raise SpecError("a time filter needs from, to or both")
    return TimeFrame(parse_time(first, timezone) if first is not None else None,
                     parse_time(last, timezone, end=True) if last is not None else None,
                     mode)  # type: ignore[arg-type]


def _duration(value: Any, timezone: str, *, working: bool = False) -> Duration:
    if isinstance(value, dict):
        low, high = parse_range(value.get("range", ".."), parse_seconds)
        return Duration(low, high, time=value.get("time", "working" if working else "clock"),
                        calendar=value.get("calendar", "cn"))
    low, high = parse_range(value, parse_seconds)
    return Duration(low, high, time="working" if working else "clock")


def _condition(kind: type, value: Any) -> Any:
    column, values, keep = parse_condition(value)
    return kind(column, values, keep)


#: name (as on the command line without ``--`` and in a filter set) -> builder(value, timezone)
FILTER_NAMES: dict[str, Callable[[Any, str], Any]] = {
    "case-ids": lambda v, tz: CaseIds.from_file(str(v)),
    "time": _time,
    "where": lambda v, tz: _condition(CaseAttribute, v),
    "with-event": lambda v, tz: _condition(WithEvent, v),
    "starts-with": lambda v, tz: Endpoint(split_list(v)),
    "ends-with": lambda v, tz: Endpoint(split_list(v), end=True),
    "follows": lambda v, tz: Follows(*parse_pair(v)),
    "eventually": lambda v, tz: Follows(*parse_pair(v), directly=False),
    "never": lambda v, tz: Follows(*parse_pair(v), directly=False, keep=False),
    "duration": _duration,
    "working-duration": lambda v, tz: _duration(v, tz, working=True),
    "events": lambda v, tz: EventCount(*parse_range(v, int)),
    "top-variants": lambda v, tz: TopVariants(v),
    "variant-coverage": lambda v, tz: VariantCoverage(v),
    "variant-min-share": lambda v, tz: VariantMinShare(v),
    "variant-ids": lambda v, tz: VariantIds(tuple(int(x) for x in split_list(v))),
    "keep-activities": lambda v, tz: Activities(split_list(v)),
    "drop-activities": lambda v, tz: Activities(split_list(v), keep=False),
    "activity-coverage": lambda v, tz: ActivityCoverage(v),
}


def build_filter(name: str, value: Any, *, timezone: str = "Asia/Shanghai") -> Any:
    """The filter of one entry (``name`` as in :data:`FILTER_NAMES`).

    >>> build_filter("top-variants", 10)
    TopVariants(k=10)
    """
    if name not in FILTER_NAMES:
        raise SpecError(f"unknown filter {name!r}",
                        hint=f"choose among {', '.join(FILTER_NAMES)}")
    try:
        return FILTER_NAMES[name](value, timezone)
    except (TypeError, ValueError):
        raise SpecError(f"bad value for the filter {name}: {value!r}") from None


def entries(items: Sequence[tuple[str, Any]], *, timezone: str) -> list[Any]:
    """Filters of ``(name, value)`` pairs, in order."""
    return [build_filter(name, value, timezone=timezone) for name, value in items]
