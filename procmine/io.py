"""Read event logs from CSV, Excel, XES and Parquet into one canonical ``EventLog``.

Every source goes through the same steps: detect the format and encoding, map
the user's column names to canonical ones, parse timestamps into one timezone,
drop (and count) rows that cannot be events, sort each case by time keeping file
order for ties. The :class:`~procmine.log.LoadReport` says what was done.

>>> from procmine.io import read_log
>>> log = read_log("logs/sample.csv")
>>> log.report.mapping["case:concept:name"]
'工单编号'
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from procmine.errors import ColumnError, InputError
from procmine.log import (
    ACTIVITY,
    ADDRESS,
    CASE,
    CATEGORY,
    CITIZEN,
    DEADLINE,
    DEFAULT_LEVELS,
    KIND,
    KIND_ALIASES,
    LEVEL,
    LEVEL_ALIASES,
    RESOURCE,
    SOURCE,
    START,
    TIMESTAMP,
    EventLog,
    LoadReport,
)

#: Option name (keyword of read_log's ``columns``) -> canonical column.
#: The reason given for CSV rows with the wrong number of fields (every engine uses it)
RAGGED = "ragged row (wrong number of fields)"

FIELDS: dict[str, str] = {
    "case_id": CASE,
    "activity": ACTIVITY,
    "timestamp": TIMESTAMP,
    "start_timestamp": START,
    "resource": RESOURCE,
    "level": LEVEL,
    "kind": KIND,
    "category": CATEGORY,
    "source": SOURCE,
    "deadline": DEADLINE,
    "citizen": CITIZEN,
    "address": ADDRESS,
}

#: Headers recognised without options, per canonical column, in order of preference
#: (compared case-insensitively, spaces and underscores ignored).
HEADERS: dict[str, tuple[str, ...]] = {
    CASE: (CASE, "工单编号", "案件编号", "工单号", "案件号", "工单id", "案卷号", "单号", "caseid",
           "case", "caseno", "casenumber", "orderid", "ticketid", "ticket", "workorder"),
    ACTIVITY: (ACTIVITY, "环节", "节点", "活动名称", "活动", "环节名称", "节点名称", "操作", "步骤",
               "activity", "activityname", "event", "eventname", "step", "task", "action"),
    TIMESTAMP: (TIMESTAMP, "时间", "操作时间", "处理时间", "发生时间", "完成时间", "环节时间",
                "timestamp", "time", "datetime", "completetimestamp", "endtime", "eventtime",
                "date"),
    START: (START, "开始时间", "starttimestamp", "starttime", "start"),
    RESOURCE: (RESOURCE, "承办单位", "处置部门", "处置单位", "责任单位", "部门", "单位", "办理单位",
               "resource", "unit", "department", "org", "orgunit"),
    LEVEL: (LEVEL, "层级", "级别", "单位层级", "level", "orglevel"),
    KIND: (KIND, "单位类型", "条块", "kind", "unitkind", "orgkind"),
    CATEGORY: (CATEGORY, "类别", "案件类别", "问题类别", "工单类型", "事项类别", "category", "type",
               "casecategory"),
    SOURCE: (SOURCE, "来源", "案件来源", "工单来源", "渠道", "source", "casesource"),
    DEADLINE: (DEADLINE, "时限", "截止时间", "处置时限", "办理时限", "办结时限", "应办结时间", "deadline", "due", "duedate",
               "casedeadline"),
    CITIZEN: (CITIZEN, "诉求人", "市民", "来电人号码哈希", "来电号码哈希", "诉求人哈希", "citizen",
              "citizenhash", "callerhash"),
    ADDRESS: (ADDRESS, "地址", "事发地址", "网格", "所属网格", "address", "gridcell",
              "casegrid", "caseaddress"),
}

_EXT_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".csv.gz": "csv", ".tsv.gz": "csv",
    ".txt.gz": "csv", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".xes": "xes",
    ".xes.gz": "xes", ".parquet": "parquet", ".pq": "parquet",
}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


# --------------------------------------------------------------------------- format


def detect_format(path: str | os.PathLike) -> str:
    """The format of a log file: 'csv', 'excel', 'xes' or 'parquet'.

    By extension first, then by the first bytes of the file.

    >>> detect_format("orders.csv.gz"), detect_format("log.xes")
    ('csv', 'xes')
    """
    name = str(path).lower()
    for ext in sorted(_EXT_FORMATS, key=len, reverse=True):
        if name.endswith(ext):
            return _EXT_FORMATS[ext]
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return "unknown"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as f:
                head = f.read(4096)
        except (OSError, EOFError, zlib.error):
            return "unknown"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return "xes"
    if b"\x00" not in head and head:
        return "csv"
    return "unknown"


def _open_bytes(path: str, n: int) -> bytes:
    """The first ``n`` bytes of a file, decompressed when it is gzip."""
    with open(path, "rb") as f:
        head = f.read(2)
    try:
        if head == b"\x1f\x8b":
            with gzip.open(path, "rb") as f:
                return f.read(n)
        with open(path, "rb") as f:
            return f.read(n)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: not a readable gzip file ({e})",
                         hint="check that the download is complete") from None


def detect_encoding(sample: bytes) -> str:
    """Guess the text encoding of a CSV sample: UTF-8 (with or without BOM), GB18030 or Latin-1.

    GB18030 accepts almost any byte string, so it is chosen only when the decoded
    non-ASCII text is mostly Chinese; otherwise Latin-1 (which never fails).

    >>> detect_encoding("工单编号,环节".encode("gb18030"))
    'gb18030'
    >>> detect_encoding("Café,Zürich".encode("latin-1"))
    'latin-1'
    >>> detect_encoding("Sécurité sociale".encode("latin-1"))
    'latin-1'
    """
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for cut in range(4):  # the sample may end inside a multi-byte character
        try:
            sample[: len(sample) - cut].decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as e:
            if e.start < len(sample) - cut - 4:
                break
    # GB2312/GBK Chinese text is pairs of bytes >= 0xA1; Latin-1 accents are single
    # high bytes, mostly followed by ASCII letters.
    pairs = re.findall(rb"[\x81-\xfe][\x40-\xfe]", sample)
    if pairs:
        chinese = sum(1 for p in pairs if p[1] >= 0xA1)
        try:
            sample.decode("gb18030")
            strict_ok = True
        except UnicodeDecodeError as e:
            strict_ok = e.start >= len(sample) - 4
        if strict_ok and chinese / len(pairs) > 0.9:
            return "gb18030"
    return "latin-1"


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines]
        if counts[0] == 0:
            continue
        consistent = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = counts[0] * consistent
        if score > best_score:
            best, best_score = delim, score
    return best


# --------------------------------------------------------------------------- readers


def _read_csv(path: str, report: LoadReport, encoding: str | None,
              given: Mapping[str, str]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sample = _open_bytes(path, 1 << 20)
    if not sample.strip():
        raise InputError(f"{path}: the file is empty", hint="export the log again")
    if encoding is None:
        encoding = detect_encoding(sample)
    try:
        text = sample.decode(encoding, errors="replace" if len(sample) == 1 << 20 else "strict")
    except (UnicodeDecodeError, LookupError) as e:
        raise InputError(f"{path}: cannot decode the file as {encoding} ({e})",
                         hint="try --encoding gb18030, utf-8 or latin-1") from None
    report.encoding = encoding
    delimiter = _sniff_delimiter(text)
    report.delimiter = delimiter
    header_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    import csv

    header = next(csv.reader([header_line], delimiter=delimiter))
    if any(not h.strip() for h in header):
        header = [h if h.strip() else f"column_{i + 1}" for i, h in enumerate(header)]
    if len(set(header)) != len(header):
        seen: dict[str, int] = {}
        fixed = []
        for h in header:
            seen[h] = seen.get(h, 0) + 1
            fixed.append(h if seen[h] == 1 else f"{h}.{seen[h] - 1}")
        report.notes.append("duplicate column names were numbered")
        header = fixed
    bad_rows: list[Any] = []

    def on_invalid(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    # Only the timestamp-like columns may be typed by Arrow (fast C++ parsing);
    # everything else stays text so ids like 00123 keep their zeros.
    try:
        mapping = detect_columns(header, given)
    except ColumnError:
        mapping = {}
    typed = {mapping.get(TIMESTAMP), mapping.get(START), mapping.get(DEADLINE)}
    column_types = {h: pa.string() for h in header if h not in typed}

    def read(threads: bool) -> Any:
        bad_rows.clear()
        arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=arrow_encoding, column_names=header,
                                           skip_rows=1, use_threads=threads,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid,
                                             newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=column_types,
                                                 strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True),
        )

    try:
        try:
            table = read(True)
        except pa.ArrowInvalid as e:
            if "conversion error" not in str(e).lower() or len(column_types) == len(header):
                raise
            column_types = {h: pa.string() for h in header}
            table = read(True)
        if bad_rows and any(r.number is None for r in bad_rows):
            table = read(False)  # single-threaded reading knows the row numbers
    except (pa.ArrowInvalid, OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot parse the CSV: {_short(e)}",
                         hint=f"check the quoting and the delimiter {delimiter!r}"
                              + ("" if report.encoding else ", or set --encoding")) from None
    if bad_rows:
        report.drop(
            RAGGED,
            len(bad_rows),
            [(int(r.number) if r.number is not None else 0, "*",
              f"{r.actual_columns} fields, expected {r.expected_columns}: {r.text[:60]}")
             for r in bad_rows[:5]],
        )
    frame = table.to_pandas()
    # File rows (header = row 1) of the records kept, for error messages.
    rows = np.arange(len(frame), dtype=np.int64) + 2
    if bad_rows:
        skipped = np.sort(np.array([r.number for r in bad_rows if r.number is not None],
                                   dtype=np.int64))
        if len(skipped):
            # shift each kept row past the skipped rows before it
            for s in skipped:
                rows[rows >= s] += 1
    frame["__row"] = rows
    report.rows_read = len(frame) + len(bad_rows)
    return frame


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


def _read_excel(path: str, report: LoadReport, sheet: str | int | None) -> pd.DataFrame:
    target: str | int = 0
    if sheet is not None:
        target = int(sheet) if str(sheet).isdigit() else sheet
    try:
        book = pd.ExcelFile(path)
    except Exception as e:  # openpyxl raises many types on broken files
        raise InputError(f"{path}: not a readable Excel file ({_short(e)})",
                         hint="save it again as .xlsx, or export CSV") from None
    names = book.sheet_names
    if isinstance(target, str) and target not in names:
        raise InputError(f"{path}: no sheet named {target!r}",
                         hint=f"sheets: {', '.join(map(str, names))}; use --sheet")
    if isinstance(target, int) and not 0 <= target < len(names):
        raise InputError(f"{path}: no sheet number {target}",
                         hint=f"the file has {len(names)} sheet(s), numbered from 0")
    frame = pd.read_excel(book, sheet_name=target, dtype=object)
    report.notes.append(f"sheet {names[target] if isinstance(target, int) else target!r}")
    frame.columns = [str(c) for c in frame.columns]
    for column in frame.columns:
        values = frame[column]
        if values.map(lambda v: isinstance(v, pd.Timestamp)).all():
            continue
        frame[column] = values.map(_excel_cell, na_action="ignore")
    frame["__row"] = np.arange(len(frame), dtype=np.int64) + 2
    report.rows_read = len(frame)
    return frame


def _excel_cell(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_parquet(path: str, report: LoadReport) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowInvalid, OSError) as e:
        raise InputError(f"{path}: not a readable Parquet file ({_short(e)})") from None
    frame["__row"] = np.arange(len(frame), dtype=np.int64) + 1
    report.rows_read = len(frame)
    return frame


def _unfill_globals(frame: pd.DataFrame, meta: str, report: LoadReport) -> None:
    """Undo the XES global defaults that the reader filled into missing names.

    An event without ``concept:name`` gets the global default (often 'UNKNOWN');
    procmine treats it as an event without an activity, to be dropped and named.
    """
    import json

    try:
        info = json.loads(meta)
    except (TypeError, ValueError):
        return
    for scope, key, column in (("global_event_attrs", "concept:name", ACTIVITY),
                               ("global_trace_attrs", "concept:name", CASE)):
        default = next((g.get("value", {}).get("content") for g in info.get(scope) or []
                        if g.get("key") == key), None)
        if default is None or column not in frame.columns:
            continue
        filled = frame[column] == default
        if filled.any():
            frame.loc[filled, column] = None
            report.notes.append(f"{int(filled.sum()):,} events had no {key} (the XES global "
                                f"default {default!r} stood in)")


def _read_xes(path: str, report: LoadReport) -> pd.DataFrame:
    from procmine import xmlsafe

    xmlsafe.check_xml_file(path)
    try:
        import rustxes

        frame, meta = rustxes.import_xes(path)
        frame = frame.to_pandas()
        _unfill_globals(frame, meta, report)
    except ImportError:  # pragma: no cover - rustxes is a dependency
        frame = None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # rustxes raises a pyo3 PanicException on some files
        raise InputError(f"{path}: not a readable XES file ({_short(e)})",
                         hint="check that the file is complete XES (gzip if .xes.gz)") from None
    if frame is None:  # pragma: no cover
        import pm4py

        frame = pm4py.read_xes(path, return_legacy_log_object=False)
    if TIMESTAMP in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[TIMESTAMP]):
        if frame[TIMESTAMP].dt.tz is None:
            # rustxes converts every offset to UTC and drops the zone
            frame[TIMESTAMP] = frame[TIMESTAMP].dt.tz_localize("UTC")
    if CASE in frame.columns:
        position = frame.groupby(CASE, sort=False, dropna=False).cumcount() + 1
        frame["__row"] = position.to_numpy()
    else:
        frame["__row"] = np.arange(len(frame), dtype=np.int64) + 1
    report.rows_read = len(frame)
    return frame


# --------------------------------------------------------------------------- mapping


def detect_columns(columns: Sequence[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Choose the source column for each canonical column.

    ``given`` maps option names (``case_id``, ``activity``, ...) to column names
    and wins over detection. Returns ``{canonical: source column}``.

    >>> detect_columns(["工单编号", "环节", "时间", "承办单位"])
    {'case:concept:name': '工单编号', 'concept:name': '环节', 'time:timestamp': '时间', 'org:resource': '承办单位'}
    """
    given = dict(given or {})
    unknown = set(given) - set(FIELDS)
    if unknown:
        raise ColumnError(f"unknown column option(s): {', '.join(sorted(unknown))}")
    mapping: dict[str, str] = {}
    for option, column in given.items():
        if column is None:
            continue
        if column not in columns:
            listed = ", ".join(map(str, columns))
            raise ColumnError(f"no column {column!r} (given with --{option.replace('_', '-')})",
                              hint=f"the file has: {listed}")
        mapping[FIELDS[option]] = column
    used = set(mapping.values())
    normalised = {_norm(c): c for c in reversed(list(columns))}
    for canonical, candidates in HEADERS.items():
        if canonical in mapping:
            continue
        for candidate in candidates:
            column = normalised.get(_norm(candidate))
            if column is not None and column not in used:
                mapping[canonical] = column
                used.add(column)
                break
    return mapping


def _require(mapping: Mapping[str, str], columns: Sequence[str], path: str) -> None:
    missing = [c for c in (CASE, ACTIVITY, TIMESTAMP) if c not in mapping]
    if missing:
        option = {CASE: "--case-id", ACTIVITY: "--activity", TIMESTAMP: "--timestamp"}
        names = ", ".join(f"{m} ({option[m]})" for m in missing)
        listed = ", ".join(map(str, columns))
        raise ColumnError(f"{path}: no column found for {names}",
                          hint=f"the file has: {listed}; name the column with the option")


# --------------------------------------------------------------------------- timestamps

_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z)$")
_FORMATS = (
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


def parse_timestamps(values: pd.Series, *, timezone: str) -> tuple[pd.Series, bool]:
    """Parse a column of timestamps into tz-aware values in ``timezone``.

    Accepts datetimes, ISO 8601 with or without offset, ``2024/3/5 9:07``,
    ``2024年3月5日 09:07:00``, date-only, Excel serial numbers and epoch seconds
    or milliseconds. Unparsable values become NaT. Returns the parsed series and
    whether any value had no offset (and so was read in ``timezone``).

    >>> s, assumed = parse_timestamps(pd.Series(["2024年3月5日 09:07:00", "2024/3/5 9:08"]),
    ...                               timezone="Asia/Shanghai")
    >>> [str(t) for t in s], assumed
    (['2024-03-05 09:07:00+08:00', '2024-03-05 09:08:00+08:00'], True)
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(timezone), False
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localize(values, timezone), True
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return _from_numbers(values.astype("float64"), timezone)
    text = values.astype("string").str.strip()
    text = text.mask(text == "", pd.NA)
    present = text.notna()
    if not present.any():
        return pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {timezone}]"), False
    head = text[present].iloc[:1000]
    if pd.to_numeric(head, errors="coerce").notna().all():
        numbers = pd.to_numeric(text, errors="coerce")
        looks_compact = text[present].str.fullmatch(r"\d{8}(\d{6})?").all()
        if numbers[present].notna().all() and not looks_compact:
            return _from_numbers(numbers, timezone)
    if text[present].str.contains("年", regex=False).any():
        text = (text.str.replace(r"\s*年\s*", "-", regex=True)
                .str.replace(r"\s*月\s*", "-", regex=True)
                .str.replace(r"\s*[日号]\s*", " ", regex=True)
                .str.replace("时", ":", regex=False).str.replace("分", ":", regex=False)
                .str.replace("秒", "", regex=False).str.strip().str.rstrip(":"))
    has_offset = text.str.contains(_OFFSET, na=False)
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {timezone}]")
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


def _parse_naive(text: pd.Series) -> pd.Series:
    sample = text.iloc[: 2000]
    best_format, best_ok = None, -1
    for fmt in _FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce", cache=False)
        ok = int(parsed.notna().sum())
        if ok > best_ok:
            best_format, best_ok = fmt, ok
        if ok == len(sample):
            break
    parsed = _in_range(pd.to_datetime(text, format=best_format, errors="coerce", cache=False))
    rest = parsed.isna()
    if rest.any():
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # utc=True keeps odd values with an offset from breaking the column's dtype;
            # naive values keep their wall time
            extra = pd.to_datetime(text[rest], format="mixed", errors="coerce", utc=True)
        parsed.loc[rest] = _in_range(extra).dt.tz_convert(None)
    return _in_range(parsed)


_LOW, _HIGH = pd.Timestamp("1678-01-02"), pd.Timestamp("2262-04-10")


def _in_range(values: pd.Series) -> pd.Series:
    """Times outside what nanosecond timestamps hold (1678-2262) become NaT (unparsable)."""
    tz = values.dt.tz
    low, high = (_LOW, _HIGH) if tz is None else (_LOW.tz_localize("UTC"), _HIGH.tz_localize("UTC"))
    values = values.where((values >= low) & (values <= high))
    return values.astype("datetime64[ns]" if tz is None else f"datetime64[ns, {tz}]")


def _localize(values: pd.Series, timezone: str) -> pd.Series:
    values = _in_range(pd.to_datetime(values, errors="coerce"))
    return values.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")


def _from_numbers(numbers: pd.Series, timezone: str) -> tuple[pd.Series, bool]:
    """Excel serial days (1900 system), epoch seconds or epoch milliseconds."""
    present = numbers.dropna()
    if present.empty:
        return pd.Series(pd.NaT, index=numbers.index, dtype=f"datetime64[ns, {timezone}]"), False
    low, high = present.min(), present.max()
    if 1 <= low and high < 2_958_466 and high < 200_000:  # Excel serial days
        naive = pd.Timestamp("1899-12-30") + pd.to_timedelta(numbers.round(9) * 86400, unit="s")
        naive = naive.dt.round("ms")
        return _localize(naive, timezone), True
    unit = "ms" if high > 1e11 else "s"
    plausible = numbers.where(numbers.abs() < (9.2e15 if unit == "ms" else 9.2e12))
    aware = pd.to_datetime(plausible, unit=unit, utc=True, errors="coerce")
    return _in_range(aware).dt.tz_convert(timezone), False


# --------------------------------------------------------------------------- read_log


def read_log(
    path: str | os.PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    timezone: str = "Asia/Shanghai",
    levels: Sequence[str] | None = None,
    strict: bool = False,
    format: str | None = None,
) -> EventLog:
    """Read an event log file (CSV, TSV, .csv.gz, Excel, XES, .xes.gz, Parquet).

    ``columns`` maps the options ``case_id``, ``activity``, ``timestamp``,
    ``start_timestamp``, ``resource``, ``level``, ``kind``, ``category``,
    ``source`` and ``deadline`` to column names; unnamed ones are detected from
    the usual Chinese and English headers. Naive times are read in ``timezone``.
    Rows without a case id, an activity or a parsable time are dropped and
    counted in ``log.report`` (``strict=True`` raises on the first instead).

    >>> log = read_log("logs/sample.csv")
    >>> log.n_cases, log.report.encoding
    (3000, 'utf-8-sig')
    """
    path = str(path)
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder, not a log file")
    if os.path.getsize(path) == 0:
        raise InputError(f"{path}: the file is empty", hint="export the log again")
    fmt = format or detect_format(path)
    report = LoadReport(path=path, format=fmt, timezone=timezone)
    _check_timezone(timezone)
    given = {k: v for k, v in (columns or {}).items() if v}
    if fmt == "csv":
        frame = _read_csv(path, report, encoding, given)
    elif fmt == "excel":
        frame = _read_excel(path, report, sheet)
    elif fmt == "xes":
        frame = _read_xes(path, report)
    elif fmt == "parquet":
        frame = _read_parquet(path, report)
    else:
        raise InputError(f"{path}: unknown log format",
                         hint="procmine reads .csv, .tsv, .txt, .csv.gz, .xlsx, .xes, .xes.gz "
                              "and .parquet")
    data_columns = [c for c in frame.columns if c != "__row"]
    mapping = detect_columns(data_columns, given)
    _require(mapping, data_columns, path)
    report.mapping = dict(mapping)
    report.mapping_detected = {k: (k not in {FIELDS[o] for o in given}) for k in mapping}
    events = _canonical(frame, mapping, report, timezone=timezone, strict=strict, path=path)
    level_names = _levels(events, levels, report)
    report.rows_kept = len(events)
    if report.rows_kept == 0:
        raise InputError(f"{path}: no usable events ({report.rows_read} rows read, all dropped)",
                         hint="check the column mapping and the timestamp format")
    return EventLog(events=events, report=report, levels=level_names, timezone=timezone)


def _check_timezone(timezone: str) -> None:
    try:
        pd.Timestamp("2024-01-01").tz_localize(timezone)
    except Exception:
        raise InputError(f"unknown timezone {timezone!r}",
                         hint="use an IANA name such as Asia/Shanghai or Europe/Amsterdam") from None


def _canonical(frame: pd.DataFrame, mapping: Mapping[str, str], report: LoadReport, *,
               timezone: str, strict: bool, path: str) -> pd.DataFrame:
    rename = {source: canonical for canonical, source in mapping.items()}
    # A canonical name already used by another column keeps that column under a new name.
    clashes = {c: f"{c} (original)" for c in frame.columns
               if c in set(mapping) and c not in rename and c != "__row"}
    frame = frame.rename(columns={**clashes, **rename})
    rows = frame.pop("__row").to_numpy()
    keep = np.ones(len(frame), dtype=bool)

    def drop(mask: np.ndarray, reason: str, column: str) -> None:
        nonlocal keep
        new = mask & keep
        count = int(new.sum())
        if not count:
            return
        index = np.flatnonzero(new)
        source = mapping.get(column, column)
        where = _where(report.format)
        if strict:
            i = index[0]
            raise InputError(f"{path}: {where} {rows[i]}, column {source!r}: {reason} "
                             f"(value {_show(frame[column].iloc[i])})",
                             hint="fix the row, or drop --strict to skip bad rows")
        examples = [(int(rows[i]), str(source), _show(frame[column].iloc[i])
                     + (f" in trace {frame[CASE].iloc[i]}" if report.format == "xes" else ""))
                    for i in index[:5]]
        report.drop(reason, count, examples)
        keep &= ~mask

    for column, reason in ((CASE, "no case id"), (ACTIVITY, "no activity")):
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.astype("string").str.strip()
        else:
            text = values.astype("string")
        frame[column] = text
        drop((text.isna() | (text == "")).to_numpy(dtype=bool), reason, column)
    raw_time = frame[TIMESTAMP]
    parsed, assumed = parse_timestamps(raw_time, timezone=timezone)
    report.timezone_assumed = assumed
    frame[TIMESTAMP] = parsed
    missing_time = raw_time.isna().to_numpy(dtype=bool)
    drop(missing_time, "no time", TIMESTAMP)
    frame[TIMESTAMP] = parsed
    bad_time = parsed.isna().to_numpy(dtype=bool) & ~missing_time
    if bad_time.any():
        frame_show = frame.copy(deep=False)
        frame_show[TIMESTAMP] = raw_time
        saved = frame
        frame = frame_show
        drop(bad_time, "unparsable time", TIMESTAMP)
        frame = saved
    for column in (START, DEADLINE):
        if column in frame.columns:
            values, _ = parse_timestamps(frame[column], timezone=timezone)
            unparsed = int((values.isna() & frame[column].notna()).sum())
            if unparsed and column == DEADLINE and unparsed == int(frame[column].notna().sum()):
                report.notes.append(f"deadline column {mapping[column]!r} holds no timestamps; "
                                    "kept as text")
                continue
            if unparsed:
                report.repaired[f"{mapping[column]}: {unparsed:,} unparsable values set empty"] = unparsed
            frame[column] = values
    for column in (RESOURCE, LEVEL, KIND, CATEGORY, SOURCE, CITIZEN, ADDRESS):
        if column in frame.columns:
            text = frame[column].astype("string").str.strip()
            frame[column] = text.mask(text == "", pd.NA)
    if KIND in frame.columns:
        kinds = _map_values(frame[KIND].str.lower(), KIND_ALIASES)
        unknown = frame[KIND].notna() & kinds.isna()
        if unknown.any():
            report.notes.append(f"{int(unknown.sum()):,} unit kinds not line/block (条/块) set empty: "
                                f"{', '.join(map(str, frame.loc[unknown, KIND].unique()[:5]))}")
        frame[KIND] = kinds.astype("string")
    events = frame[keep]
    events_rows = rows[keep]
    # Sort each case by time, keeping file order for ties; cases in order of appearance.
    case_codes, _ = pd.factorize(events[CASE], sort=False)
    ts = events[TIMESTAMP].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((np.arange(len(events)), ts, case_codes))
    if not np.array_equal(order, np.arange(len(order))):
        events = events.iloc[order]
        events_rows = events_rows[order]
    events = events.reset_index(drop=True)
    report.duplicates = _count_duplicates(events, case_codes[order])
    return events


def _count_duplicates(events: pd.DataFrame, case: np.ndarray) -> int:
    """Exact duplicate events (same case, activity, time and unit).

    Duplicates share case and time, so only events whose time repeats within
    their case (adjacent after sorting) need the full comparison.
    """
    if len(events) < 2:
        return 0
    ts = events[TIMESTAMP].to_numpy(dtype="datetime64[ns]")
    tie = (ts[1:] == ts[:-1]) & (case[1:] == case[:-1])
    suspects = np.zeros(len(events), dtype=bool)
    suspects[1:] |= tie
    suspects[:-1] |= tie
    if not suspects.any():
        return 0
    key = [c for c in (CASE, ACTIVITY, TIMESTAMP, RESOURCE) if c in events.columns]
    return int(events.loc[suspects, key].duplicated().sum())


def _map_values(values: pd.Series, table: Mapping[str, str]) -> pd.Series:
    """Map a text column through ``table`` (unknown values become NA), once per distinct value."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([table.get(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype="string")


def _where(fmt: str | None) -> str:
    return {"xes": "event", "parquet": "record"}.get(fmt or "", "row")


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(empty)"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _levels(events: pd.DataFrame, levels: Sequence[str] | None, report: LoadReport) -> tuple[str, ...]:
    """Normalise level names; returns the ordered level list of the log."""
    if levels:
        names = tuple(levels)
        if LEVEL in events.columns:
            present = set(events[LEVEL].dropna().unique())
            unknown = present - set(names)
            if unknown:
                report.notes.append(f"levels not in --levels (treated as unknown): "
                                    f"{', '.join(sorted(map(str, unknown))[:5])}")
        return names
    if LEVEL not in events.columns:
        return DEFAULT_LEVELS
    values = events[LEVEL]
    mapped = _map_values(values.str.lower(), LEVEL_ALIASES)
    unknown = values.notna() & mapped.isna()
    if unknown.any():
        report.notes.append(
            f"{int(unknown.sum()):,} level values not in 网格<居村<街镇<区<市 "
            f"({', '.join(map(str, values[unknown].unique()[:5]))}); give --levels bottom up")
        events[LEVEL] = values.where(unknown, mapped).astype("string")
        return DEFAULT_LEVELS
    events[LEVEL] = mapped.astype("string")
    return DEFAULT_LEVELS


# --------------------------------------------------------------------------- writing


def write_log(events: pd.DataFrame, path: str | os.PathLike, *, inputs: Sequence[str] = ()) -> None:
    """Write an event table as CSV (UTF-8 with BOM), Parquet or XES, by extension, atomically.

    Timestamps are written as ISO 8601 with their offset. Refuses to overwrite
    any path in ``inputs``.

    >>> write_log(read_log("logs/sample.csv").events, "/tmp/copy.parquet")
    """
    from procmine.output import atomic_path, neutralise

    name = str(path).lower()
    if name.endswith((".parquet", ".pq")):
        kind = "parquet"
    elif name.endswith((".xes", ".xes.gz")):
        kind = "xes"
    elif name.endswith((".csv", ".txt", ".tsv", ".csv.gz")):
        kind = "csv"
    else:
        raise InputError(f"{path}: unknown output format", hint="use .csv, .parquet or .xes")
    with atomic_path(path, inputs=inputs) as tmp:
        if kind == "parquet":
            events.to_parquet(tmp, index=False)
        elif kind == "xes":
            import warnings

            import pm4py

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pm4py.write_xes(events, tmp)
        else:
            out = events.copy()
            for column in out.columns:
                if isinstance(out[column].dtype, pd.DatetimeTZDtype):
                    out[column] = out[column].map(lambda t: t.isoformat(), na_action="ignore")
                elif out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
                    out[column] = out[column].map(neutralise, na_action="ignore")
            sep = "\t" if name.endswith(".tsv") else ","
            out.to_csv(tmp, index=False, sep=sep, encoding="utf-8-sig",
                       compression="gzip" if name.endswith(".gz") else None)
