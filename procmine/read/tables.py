"""The Excel and Parquet readers: a sheet or a Parquet file to a raw frame with the file row
of every record in ``__row``, refused before the expensive step when over the limits
(:mod:`procmine.limits`: the zip's and the row groups' expanded sizes, columns, rows)."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from procmine.errors import InputError
from procmine.limits import MAX_COLUMNS, MAX_ROWS, check_expansion, check_frame_fields
from procmine.log import LoadReport
from procmine.read.columns import numbered
from procmine.read.projection import columns_to_read
from procmine.read.readers import _check_fields, short_error


def read_excel(path: str, report: LoadReport, sheet: str | int | None) -> pd.DataFrame:
    target: str | int = 0
    if sheet is not None:
        target = int(sheet) if str(sheet).isdigit() else sheet
    _check_zip_sizes(path)
    try:
        book = pd.ExcelFile(path)
    except Exception as e:  # openpyxl raises many types on broken files
        raise InputError(f"{path}: not a readable Excel file ({short_error(e)})",
                         hint="save it again as .xlsx, or export CSV") from None
    names = book.sheet_names
    if isinstance(target, str) and target not in names:
        raise InputError(f"{path}: no sheet named {target!r}",
                         hint=f"sheets: {', '.join(map(str, names))}; choose one with sheet=")
    if isinstance(target, int) and not 0 <= target < len(names):
        raise InputError(f"{path}: no sheet number {target}",
                         hint=f"the file has {len(names)} sheet(s), numbered from 0")
    frame = pd.read_excel(book, sheet_name=target, dtype=object)
    name = names[target] if isinstance(target, int) else target
    if frame.columns.empty:     # (not even a header: the log is on another sheet, or none)
        raise InputError(f"{path}: sheet {name!r} is empty",
                         hint=f"sheets: {', '.join(map(str, names))}; choose one with sheet=")
    check_frame_fields(path, frame)
    report.notes.append(f"sheet {name!r}")
    frame.columns = [str(c) for c in frame.columns]
    for column in frame.columns:
        values = frame[column]
        if values.map(lambda v: isinstance(v, pd.Timestamp)).all():
            continue
        frame[column] = values.map(_excel_cell, na_action="ignore")
    frame["__row"] = np.arange(len(frame), dtype=np.int64) + 2
    report.rows_read = len(frame)
    return frame


def _check_zip_sizes(path: str) -> None:
    """Refuse an xlsx whose parts expand past the decompression limits, from the sizes in
    its zip directory, before any part is decompressed."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            expanded = sum(info.file_size for info in book.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # not a zip (an old .xls): the Excel reader says what it is
    check_expansion(path, expanded, os.path.getsize(path))


def _excel_cell(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_parquet(path: str, report: LoadReport, given: Mapping[str, str],
                  needs: Collection[str] | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        check_parquet_size(path, meta)
        names = _parquet_columns(meta.schema.to_arrow_schema())
        report.columns = numbered(names, report)
        if report.columns == names:
            table = pq.read_table(path, columns=columns_to_read(names, given=given, needs=needs))
        else:       # (a name twice: Arrow cannot choose by name; all read, then numbered)
            table = pq.ParquetFile(path).read()
            table = table.rename_columns([*report.columns, *table.column_names[len(names):]])
    except (pa.ArrowInvalid, OSError) as e:
        raise InputError(f"{path}: not a readable Parquet file ({short_error(e)})") from None
    _check_fields(path, table)
    frame = table.to_pandas()
    for field in table.schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            frame[field.name] = _bytes_as_text(frame[field.name], field.name, report)
    frame["__row"] = np.arange(len(frame), dtype=np.int64) + 1
    report.rows_read = len(frame)
    return frame


def _parquet_columns(schema: Any) -> list[str]:
    """The columns of a Parquet file as pandas reads them (an index pandas stored is none)."""
    index = {i for i in (schema.pandas_metadata or {}).get("index_columns", [])
             if isinstance(i, str)}
    return [name for name in schema.names if name not in index]


def check_parquet_size(path: str, meta: Any) -> None:
    """Refuse a Parquet file over the limits on columns, rows and decompressed bytes, from
    its metadata (``pyarrow.parquet.FileMetaData``), before any column is read."""
    hint = "a limit (procmine.limits.{}), checked before reading; {}"
    if meta.num_columns > MAX_COLUMNS:
        raise InputError(f"{path}: the file has {meta.num_columns:,} columns, more than "
                         f"{MAX_COLUMNS:,}", hint=hint.format("MAX_COLUMNS", "keep the columns "
                                                              "of the log only"))
    if meta.num_rows > MAX_ROWS:
        raise InputError(f"{path}: the file has {meta.num_rows:,} rows, more than {MAX_ROWS:,} "
                         "for reading into memory",
                         hint=hint.format("MAX_ROWS", "read it out of core with --engine duckdb "
                                                      "or --engine spark"))
    expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    check_expansion(path, expanded, os.path.getsize(path))


def _bytes_as_text(values: pd.Series, name: str, report: LoadReport) -> pd.Series:
    """A Parquet column of bytes as text: UTF-8 where it is, ``\\xff`` escapes where not."""
    bad = 0

    def text(value: bytes) -> str:
        nonlocal bad
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
            return bytes(value).decode("utf-8", errors="backslashreplace")

    out = values.map(text, na_action="ignore").astype("string")
    if bad:
        report.notes.append(f"column {name!r}: {bad:,} values are bytes that are not UTF-8 "
                            "text, read with \\x escapes")
    return out
