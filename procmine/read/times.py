"""Timestamp rules: the formats procmine reads, trailing UTC offsets, Chinese dates, numbers
(Excel serial days, epoch seconds or milliseconds), and the time zone of naive times.

The SQL engines use the same rules through :mod:`procmine.read.dialect`: the same
formats (:func:`choose_time_format` picks one per column), the same offset pattern and
the same table of Chinese-date replacements (:data:`CHINESE_DATE`).

>>> s, assumed = parse_timestamps(pd.Series(["2024-03-05T09:07:00Z"]), timezone="Asia/Shanghai")
>>> str(s[0]), assumed
('2024-03-05 17:07:00+08:00', False)
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from procmine.errors import InputError

#: A trailing UTC offset (``+08:00``, ``+0800``, ``Z``); the same pattern in Python and SQL.
OFFSET_PATTERN = r"(?:[+-][0-9]{2}:?[0-9]{2}|Z)$"
_OFFSET = re.compile(OFFSET_PATTERN)

#: The formats of naive times, tried in order on a sample of each column.
TIME_FORMATS = (
    "ISO8601",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%Y%m%d%H%M%S", "%Y%m%d",
)

#: The character that marks a Chinese date (the year).
CHINESE_YEAR = "年"

#: The Chinese-date rule, as (pattern, replacement, is a regular expression) in order;
#: afterwards the text is trimmed and trailing colons removed. ``2024年3月5日 9时7分``
#: becomes ``2024-3-5 9:7``.
CHINESE_DATE: tuple[tuple[str, str, bool], ...] = (
    (rf"\s*{CHINESE_YEAR}\s*", "-", True),
    (r"\s*月\s*", "-", True),
    (r"\s*[日号]\s*", " ", True),
    ("时", ":", False),
    ("分", ":", False),
    ("秒", "", False),
)


def has_chinese_dates(text: pd.Series) -> bool:
    """True when any value of a text column is a Chinese date."""
    return bool(text.str.contains(CHINESE_YEAR, regex=False).any())


def chinese_to_iso(text: pd.Series) -> pd.Series:
    """Chinese dates as the digits-and-dashes form the formats read (:data:`CHINESE_DATE`).

    >>> chinese_to_iso(pd.Series(["2024年3月5日 9时7分"])).tolist()
    ['2024-3-5 9:7']
    """
    for pattern, replacement, regex in CHINESE_DATE:
        text = text.str.replace(pattern, replacement, regex=regex)
    return text.str.strip().str.rstrip(":")


def parse_timestamps(values: pd.Series, *, timezone: str) -> tuple[pd.Series, bool]:
    """Parse a column of timestamps into tz-aware values in ``timezone``.

    Accepts datetimes, ISO 8601 with or without offset, ``2024/3/5 9:07``,
    Chinese dates (:data:`CHINESE_DATE`), date-only, Excel serial numbers and epoch
    seconds or milliseconds. Unparsable values become NaT. Returns the parsed series
    and whether any value had no offset (and so was read in ``timezone``).

    >>> s, assumed = parse_timestamps(pd.Series(["2024-03-05 09:07:00", "2024/3/5 9:08"]),
    ...                               timezone="Asia/Shanghai")
    >>> [str(t) for t in s], assumed
    (['2024-03-05 09:07:00+08:00', '2024-03-05 09:08:00+08:00'], True)
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _in_range(values).dt.tz_convert(timezone), False
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localize(values, timezone), True
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return _from_numbers(values.astype("float64"), timezone)
    text = values.astype("string").str.strip()
    text = text.mask(text == "", pd.NA)
    present = text.notna()
    if not present.any():
        return pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {timezone}]"), False
    sample = _spread(text[present], 1000)
    if pd.to_numeric(sample, errors="coerce").notna().mean() > 0.5:
        numbers = pd.to_numeric(text, errors="coerce")
        counted = numbers[present].notna()
        looks_compact = text[present][counted].str.fullmatch(r"\d{8}(\d{6})?").all()
        if counted.mean() > 0.5 and not looks_compact:
            return _from_numbers(numbers, timezone)
    if has_chinese_dates(text[present]):
        naive = _in_range(_chinese_dates(text))
        if naive[present].notna().all():      # every value a plain Chinese date: done
            return _localize(naive, timezone), True
        text = chinese_to_iso(text)
    return _parse_text(text, present, timezone)


#: A Chinese date as a whole value (``2024年3月5日``, ``2024年03月05日 09时07分30秒``,
#: ``2024年3月5号 9:07``): the common case :data:`CHINESE_DATE` reads, in one pass.
_CHINESE_WHOLE = (r"^\s*(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]"
                  r"(?:\s*(?P<hour>\d{1,2})\s*[时:]\s*(?P<minute>\d{1,2})"
                  r"(?:\s*[分:](?:\s*(?P<second>\d{1,2})\s*秒?)?)?)?\s*$")


def _chinese_dates(text: pd.Series) -> pd.Series:
    """Naive times of the values that are a whole Chinese date with a valid day and time,
    NaT for the others (which then go through :data:`CHINESE_DATE` with the column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = pc.extract_regex(pa.array(text.astype("str").array), _CHINESE_WHOLE)
    fields = {}
    for name, top in (("year", 9999), ("month", 99), ("day", 99), ("hour", 23),
                      ("minute", 59), ("second", 59)):
        digits = pc.struct_field(parts, name)
        number = pc.cast(pc.if_else(pc.equal(digits, ""), "0", digits), pa.int64())
        fields[name] = pd.Series(number.to_numpy(zero_copy_only=False), index=text.index,
                                 dtype="float64").where(lambda v, top=top: v <= top)
    # the calendar (30 February, 2023-02-29) is checked by pandas; out of range is NaT
    return pd.to_datetime(pd.DataFrame(fields), errors="coerce")


def _parse_text(text: pd.Series, present: pd.Series, timezone: str) -> tuple[pd.Series, bool]:
    """Values with an offset converted to ``timezone``, the others read in it."""
    has_offset = text.str.contains(_OFFSET, na=False)
    out = pd.Series(pd.NaT, index=text.index, dtype=f"datetime64[ns, {timezone}]")
    assumed = False
    if has_offset.any():
        aware = pd.to_datetime(text[has_offset].astype(object), format="ISO8601", utc=True,
                               errors="coerce", cache=False)
        out.loc[has_offset] = _in_range(aware).dt.tz_convert(timezone)
    naive_mask = present & ~has_offset
    if naive_mask.any():
        naive = _parse_naive(text[naive_mask].astype(object))
        out.loc[naive_mask] = _localize(naive, timezone)
        assumed = True
    return out, assumed


def _best_format(sample: pd.Series) -> tuple[str | None, int]:
    """The first of :data:`TIME_FORMATS` that parses the most of ``sample``, and how many."""
    best_format, best_ok = None, -1
    for fmt in TIME_FORMATS:
        ok = int(pd.to_datetime(sample, format=fmt, errors="coerce", cache=False).notna().sum())
        if ok > best_ok:
            best_format, best_ok = fmt, ok
        if ok == len(sample):
            break
    return best_format, best_ok


def _spread(values: pd.Series, n: int) -> pd.Series:
    """The first ``n`` values and ``n`` more spread over the rest: a sample of the whole."""
    if len(values) <= 2 * n:
        return values
    rest = np.linspace(n, len(values) - 1, n).astype(np.int64)
    return values.iloc[np.concatenate([np.arange(n), rest])]


def _parse_naive(text: pd.Series) -> pd.Series:
    """Naive times in the one format that reads most of a sample spread over the column;
    the values it does not read are read one by one (never changing the others)."""
    best_format, _ = _best_format(_spread(text, 1000))
    parsed = _in_range(pd.to_datetime(text, format=best_format, errors="coerce", cache=False))
    rest = parsed.isna()
    if rest.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # utc=True keeps odd values with an offset from breaking the column's dtype;
            # naive values keep their wall time
            extra = pd.to_datetime(text[rest], format="mixed", errors="coerce", utc=True)
        parsed.loc[rest] = _in_range(extra).dt.tz_convert(None)
    return _in_range(parsed)


_LOW, _HIGH = pd.Timestamp("1678-01-02"), pd.Timestamp("2262-04-10")

#: The times procmine holds, in microseconds since the epoch (UTC): the SQL engines' range.
LOWEST_US, HIGHEST_US = _LOW.value // 1000, _HIGH.value // 1000


def _in_range(values: pd.Series) -> pd.Series:
    """Times outside what nanosecond timestamps hold (1678-2262) become NaT (unparsable)."""
    tz = values.dt.tz
    low, high = (_LOW, _HIGH) if tz is None else (_LOW.tz_localize("UTC"), _HIGH.tz_localize("UTC"))
    first, last = values.min(), values.max()      # (NaT when there is no time)
    if pd.isna(first) or first < low or last > high:   # (else: no copy of every time)
        values = values.where((values >= low) & (values <= high))
    return values.astype("datetime64[ns]" if tz is None else f"datetime64[ns, {tz}]")


def _localize(values: pd.Series, timezone: str) -> pd.Series:
    """Naive times read in ``timezone`` (across a clock change, as :func:`_across_changes`
    reads them). Where the zone's offset does not change over the times' range
    (most logs: Asia/Shanghai has had no clock change since 1991), the offset is taken
    off every time at once, which gives the same times as pandas' search of each time
    among the zone's changes: one new array of nanoseconds, made zoned as it is."""
    values = pd.to_datetime(values, errors="coerce")
    first, last = values.min(), values.max()      # (NaT when there is no time)
    if pd.isna(first) or first < _LOW or last > _HIGH:
        values = _in_range(values)
        first, last = values.min(), values.max()
    offset = _offset_between(first, last, timezone)
    if offset is None:
        return _across_changes(_in_range(values), timezone)
    utc = values.to_numpy().astype("datetime64[ns]", copy=True)
    utc -= np.timedelta64(offset.value, "ns")     # (NaT stays NaT)
    # integers become zoned times as instants (UTC): no localizing, no copy (the Series
    # takes the array as it is)
    return pd.Series(utc.view(np.int64), index=values.index, name=values.name,
                     copy=False).astype(pd.DatetimeTZDtype("ns", timezone))


def _across_changes(values: pd.Series, timezone: str) -> pd.Series:
    """Naive times in a zone whose offset changes, read as ICU (and so the DuckDB engine)
    reads them: a time the clocks repeat is the later of the two (standard time), a time
    they skip is read with the offset before the change (02:30 where the clocks went from
    02:00 to 03:00 is 03:30). Before, pandas' rules made the first NaT (an "unparsable
    time", dropped) and moved the second to 03:00, where DuckDB kept both."""
    later = np.zeros(len(values), dtype=bool)
    out = values.dt.tz_localize(timezone, ambiguous=later, nonexistent="NaT")
    skipped = (out.isna() & values.notna()).to_numpy()
    if skipped.any():
        naive = values[skipped]
        day_before = (naive - pd.Timedelta(days=1)).dt.tz_localize(
            timezone, ambiguous=later[:len(naive)], nonexistent="shift_forward")
        offset = day_before.dt.tz_localize(None) - day_before.dt.tz_convert("UTC").dt.tz_localize(None)
        out[skipped] = (naive - offset).dt.tz_localize("UTC").dt.tz_convert(timezone)
    return out


#: The step at which :func:`_one_offset` looks at a zone's offset: a clock change and its
#: undoing are never closer than this (tzdata's are months or years apart).
_OFFSET_STEP = pd.Timedelta(minutes=10)

#: Over a longer range of times the zone is searched time by time, as pandas does.
_OFFSET_SPAN = pd.Timedelta(days=366 * 20)


def _one_offset(values: pd.Series, timezone: str) -> pd.Timedelta | None:
    """The one UTC offset of ``timezone`` from two days before the first of the naive
    ``values`` to two days after the last, or None (it changes; no times; a range over
    :data:`_OFFSET_SPAN` or near the ends of what nanosecond times hold)."""
    return _offset_between(values.min(), values.max(), timezone)


def _offset_between(first: pd.Timestamp, last: pd.Timestamp,
                    timezone: str) -> pd.Timedelta | None:
    """:func:`_one_offset` of the naive times from ``first`` to ``last``."""
    day = pd.Timedelta(days=1)
    if (pd.isna(first) or first - 2 * day < _LOW or last + 2 * day > _HIGH
            or last - first > _OFFSET_SPAN):
        return None
    grid = pd.date_range(first - 2 * day, last + 2 * day, freq=_OFFSET_STEP, tz="UTC")
    local = grid.tz_convert(timezone).tz_localize(None)
    offsets = local.asi8 - grid.asi8      # (wall clock minus UTC, in the grid's unit)
    low, high = offsets.min(), offsets.max()
    return pd.Timedelta(int(low), unit=grid.unit) if low == high else None


#: Excel serial days procmine reads (1900 system): 1 = 1900-01-01, 200,000 = year 2447.
_EXCEL_DAYS = (1, 200_000)


def _from_numbers(numbers: pd.Series, timezone: str) -> tuple[pd.Series, bool]:
    """Excel serial days (1900 system), epoch seconds or epoch milliseconds.

    The kind is decided from the column as a whole (its median), so a few odd values
    are dropped (NaT) and never change how the others are read.
    """
    present = numbers.dropna()
    if present.empty:
        return pd.Series(pd.NaT, index=numbers.index, dtype=f"datetime64[ns, {timezone}]"), False
    middle = present.median()
    low, high = _EXCEL_DAYS
    if low <= middle < high:
        days = numbers.where((numbers >= low) & (numbers < high))
        naive = pd.Timestamp("1899-12-30") + pd.to_timedelta(days.round(9) * 86400, unit="s")
        naive = naive.dt.round("ms")
        return _localize(naive, timezone), True
    unit = "ms" if middle > 1e11 else "s"
    plausible = numbers.where(numbers.abs() < (9.2e15 if unit == "ms" else 9.2e12))
    aware = pd.to_datetime(plausible, unit=unit, utc=True, errors="coerce")
    return _in_range(aware).dt.tz_convert(timezone), False


def offset_note(offsets: set[str], timezone: str) -> str | None:
    """The load report's line when times carry UTC offsets ``timezone`` never has (in
    January or July), else None.

    >>> offset_note({"+08:00"}, "Asia/Shanghai") is None, offset_note({"Z"}, "Asia/Shanghai")[:30]
    (True, 'the times carry UTC offsets (Z')
    """
    zone = {_zone_minutes(timezone, month) for month in (1, 7)}
    others = sorted(o for o in offsets if _offset_minutes(o) not in zone)
    if not others:
        return None
    return (f"the times carry UTC offsets ({', '.join(others[:3])}) other than {timezone}'s; "
            f"they are shown in {timezone} (--timezone names the log's office zone)")


def text_offsets(values: pd.Series) -> set[str]:
    """The distinct trailing UTC offsets of a sample of a text column of times."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return set()
    sample = _spread(values.dropna().astype("string"), 1000)
    found = sample.str.strip().str.extract(f"({OFFSET_PATTERN})", expand=False).dropna()
    return {str(o) for o in found.unique()}


def _zone_minutes(timezone: str, month: int) -> int:
    stamp = pd.Timestamp(2024, month, 1).tz_localize(timezone)
    return int(stamp.utcoffset().total_seconds() // 60)


def _offset_minutes(offset: str) -> int:
    if offset == "Z":
        return 0
    digits = offset.replace(":", "")
    sign = -1 if digits[0] == "-" else 1
    return sign * (int(digits[1:3]) * 60 + int(digits[3:5]))


def check_timezone(timezone: str) -> None:
    """Raise InputError unless ``timezone`` is an IANA time zone name.

    >>> check_timezone("Asia/Shanghai")
    """
    try:
        pd.Timestamp("2024-01-01").tz_localize(timezone)
    except Exception:
        raise InputError(f"unknown timezone {timezone!r}",
                         hint="use an IANA name such as Asia/Shanghai or Europe/Amsterdam") from None


def choose_time_format(sample: pd.Series, *, timezone: str, what: str) -> str:
    """The format (one of :data:`TIME_FORMATS`) that parses a sample of naive times.

    Raises InputError when the sample is numbers (epoch or Excel serials) or no
    single format parses it: those logs need ``--engine pandas``.

    >>> choose_time_format(pd.Series(["05.03.2024 09:07"]), timezone="UTC", what="x")
    '%d.%m.%Y %H:%M'
    """
    text = sample.astype("string").str.strip().dropna()
    text = text[text != ""]
    if text.empty:
        return "ISO8601"
    if pd.to_numeric(text, errors="coerce").notna().all() and not text.str.fullmatch(
            r"\d{8}(\d{6})?").all():
        raise InputError(f"{what}: times are numbers (epoch or Excel serial days)",
                         hint="read this log with engine='pandas'")
    if has_chinese_dates(text):
        text = chinese_to_iso(text)
    best, best_ok = _best_format(text)
    if best_ok < len(text):
        reference, _ = parse_timestamps(sample, timezone=timezone)
        if reference.notna().sum() > best_ok:
            raise InputError(f"{what}: the times mix formats ({best_ok} of {len(text)} sampled "
                             f"values parse as {best})", hint="read this log with engine='pandas'")
    return str(best)
