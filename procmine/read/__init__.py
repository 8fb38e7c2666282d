"""Read event logs from CSV, Excel, XES and Parquet into one canonical ``EventLog``.

Every source goes through the same steps: detect the format and encoding
(:mod:`~procmine.read.sniff`), map the user's column names to canonical ones
(:mod:`~procmine.read.columns`), parse timestamps into one timezone
(:mod:`~procmine.read.times`), drop (and count) rows that cannot be events, sort
each case by time keeping file order for ties (:mod:`~procmine.read.canonical`).
The :class:`~procmine.log.LoadReport` says what was done. The SQL engines read with
the same rules through :mod:`~procmine.read.dialect`.

This package imports no analysis.

>>> from procmine.read import read_log
>>> log = read_log("logs/sample.csv")
>>> log.report.mapping["case:concept:name"]
'工单编号'
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd

from procmine.errors import InputError
from procmine.hands import each
from procmine.log import ACTIVITY, CASE, DEADLINE, RESOURCE, EventLog, LoadReport
from procmine.read.canonical import (
    TEXT_COLUMNS,
    as_text,
    canonical_events,
    kind_table,
    level_table,
    map_values,
    name_levels,
    no_events_error,
    sorted_codes,
)
from procmine.read.columns import (
    FIELDS,
    HEADERS,
    REQUIRED,
    detect_columns,
    map_columns,
    require_columns,
)
from procmine.read.dialect import (
    DROP_REASONS,
    DUCKDB,
    EV_COLUMNS,
    SPARK,
    LoadedEvents,
    SqlDialect,
    SqlSession,
    load_events,
    spark_pattern,
)
from procmine.read.fastcsv import ARROW_NULLS
from procmine.read.order import ORDER_COLUMN, order_as_times
from procmine.read.projection import ALWAYS_READ, columns_to_read, wanted_columns
from procmine.read.readers import FORMATS, RAGGED, read_frame, short_error
from procmine.read.sniff import (
    EXT_FORMATS,
    SAMPLED_BYTES,
    detect_encoding,
    detect_format,
    file_kind,
    open_bytes,
    sniff_delimiter,
)
from procmine.read.sorting import appearance_codes, count_duplicates
from procmine.read.times import (
    CHINESE_DATE,
    CHINESE_YEAR,
    OFFSET_PATTERN,
    TIME_FORMATS,
    check_timezone,
    chinese_to_iso,
    choose_time_format,
    has_chinese_dates,
    parse_timestamps,
)
from procmine.read.writing import write_log

__all__ = [
    "ALWAYS_READ", "ARROW_NULLS", "CHINESE_DATE", "CHINESE_YEAR", "DROP_REASONS", "DUCKDB", "EV_COLUMNS", "EXT_FORMATS",
    "FIELDS", "FORMATS", "HEADERS", "OFFSET_PATTERN", "RAGGED", "REQUIRED", "SAMPLED_BYTES", "SPARK",
    "ORDER_COLUMN", "TEXT_COLUMNS", "TIME_FORMATS", "LoadedEvents", "SqlDialect", "SqlSession",
    "appearance_codes", "as_text", "canonical_events",
    "check_timezone", "chinese_to_iso", "choose_time_format", "columns_to_read",
    "count_duplicates",
    "detect_columns", "detect_encoding", "detect_format", "file_kind", "has_chinese_dates",
    "kind_table", "level_table", "load_events", "map_columns", "map_values", "name_levels",
    "open_bytes", "parse_timestamps", "read_frame", "read_log", "require_columns",
    "short_error", "sniff_delimiter", "spark_pattern", "write_log",
]


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
    order_as_time: bool = False,
    needs: Collection[str] | None = None,
) -> EventLog:
    """Read an event log file (CSV, TSV, .csv.gz, Excel, XES, .xes.gz, Parquet).

    ``columns`` maps the options ``case_id``, ``activity``, ``timestamp``,
    ``start_timestamp``, ``resource``, ``level``, ``kind``, ``category``,
    ``source`` and ``deadline`` to column names; unnamed ones are detected from
    the usual Chinese and English headers. Naive times are read in ``timezone``.
    Rows without a case id, an activity or a parsable time are dropped and
    counted in ``log.report`` (``strict=True`` raises on the first instead).
    ``order_as_time=True`` reads a log that has no times at all: the order of the
    events in the file stands for time (``log.report.time_from_order``), so the
    control flow can be analysed while durations cannot (see docs/reading.md).

    ``needs`` (default: every column) reads only the columns a caller uses: the
    required ones, those the load report counts from
    (:data:`~procmine.read.projection.ALWAYS_READ`), and the canonical columns or file
    columns named; the others are not parsed (``log.report.not_read``), and keep their
    place in ``log.report.mapping`` and ``log.attributes``.

    >>> log = read_log("logs/sample.csv")
    >>> log.n_cases, log.report.encoding
    (3000, 'utf-8-sig')
    >>> read_log("logs/sample.csv", needs=[]).report.not_read
    ['类别', '来源', '诉求人', '地址']
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
    check_timezone(timezone)
    given = {k: v for k, v in (columns or {}).items() if v}
    frame = read_frame(path, report, encoding=encoding, sheet=sheet, given=given,
                       timezone=timezone, order_as_time=order_as_time, needs=needs)
    if strict and report.dropped.get(RAGGED):   # (the CSV reader skips them, counted)
        row, column, said = report.examples[RAGGED][0]
        raise InputError(f"{path}: row {row}, column {column!r}: {RAGGED} (value {said!r})",
                         hint="fix the row, or read with strict=False to skip bad rows")
    if order_as_time:
        given = order_as_times(frame, given, report)
    frame, mapping = _mapped(frame, given, report, needs, path)
    events = canonical_events(frame, mapping, report, timezone=timezone, strict=strict, path=path)
    level_names = name_levels(events, levels, report)
    # the case codes (quick on the Categorical's codes), and the codes of the activities
    # (every analysis takes them) and of the units (the totals count them), from the
    # Categoricals canonical_events made: no pass over the text; on two hands
    coded = [CASE, *(c for c in (ACTIVITY, RESOURCE) if c in events.columns)]
    case_codes, *codes = each(_codes, [(c, events[c]) for c in coded])
    known = dict(zip(coded[1:], codes, strict=True))
    report.rows_kept = len(events)
    if report.rows_kept == 0:
        raise no_events_error(path, report.rows_read)
    log = EventLog(events=events, report=report, levels=level_names, timezone=timezone)
    log.keep_coded(TEXT_COLUMNS)    # made text on first use: many commands never need it
    log.know_case_codes(case_codes)
    for column, (codes, names) in known.items():
        log.know_column_codes(column, codes, names)
    return log


def _codes(column: tuple[str, pd.Series]) -> Any:
    """The case codes in order of appearance; another column's sorted codes and names."""
    name, values = column
    return appearance_codes(values) if name == CASE else sorted_codes(values)


def _mapped(frame: pd.DataFrame, given: Mapping[str, str], report: LoadReport,
            needs: Collection[str] | None, path: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The canonical mapping, chosen on every column of the file (read or not), in the
    report; ``frame`` without the columns ``needs`` leaves out."""
    read = [c for c in frame.columns if c != "__row"]
    report.columns = report.columns or read
    mapping = map_columns(report.columns + [c for c in read if c not in report.columns], given,
                          path=path)
    if DEADLINE in mapping and "deadline" not in given:
        _unmap_event_deadline(frame, mapping, report)
    if needs is not None:
        frame = _leave_out(frame, wanted_columns(mapping, needs), report)
    report.mapping = dict(mapping)
    report.mapping_detected = {k: (k not in {FIELDS[o] for o in given}) for k in mapping}
    return frame, mapping


def _leave_out(frame: pd.DataFrame, wanted: set[str], report: LoadReport) -> pd.DataFrame:
    """``frame`` without the columns not ``wanted`` (those a reader read all the same, and
    a deadline that turned out an attribute); ``report.not_read`` names every one left out."""
    report.not_read = [c for c in report.columns if c not in wanted]
    extra = [c for c in frame.columns if c in report.not_read]
    return frame.drop(columns=extra) if extra else frame


def _unmap_event_deadline(frame, mapping: dict[str, str], report: LoadReport) -> None:
    """A deadline column found by its header is the case deadline only when it is constant
    within each case; otherwise it stays an attribute, and the report says why."""
    from procmine.read.deadline import check_deadline_column

    check = check_deadline_column(frame, mapping[DEADLINE], case=mapping[CASE])
    if not check.case_level:
        del mapping[DEADLINE]
        report.notes.append(check.message())
