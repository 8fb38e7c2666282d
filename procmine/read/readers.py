"""The file readers: CSV (through Arrow, or DuckDB for a few columns of a large plain UTF-8
file: :mod:`~procmine.read.fastcsv`), Excel, Parquet and XES, each to a raw frame with
the file row of every record in ``__row``, and the facts of reading in the LoadReport
(Excel and Parquet: :mod:`~procmine.read.tables`).

>>> from procmine.log import LoadReport
>>> frame = read_frame("tests/fixtures/orders16.csv", LoadReport(format="csv"))
>>> len(frame), int(frame["__row"].iloc[0])
(16, 2)
"""

from __future__ import annotations

import csv
import io
import os
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from procmine.errors import ColumnError, InputError, ProcmineError
from procmine.hands import each
from procmine.limits import (
    MAX_COLUMNS,
    check_field_sizes,
)
from procmine.log import DEADLINE, START, TIMESTAMP, LoadReport
from procmine.read import fastcsv
from procmine.read.canonical import TEXT_COLUMNS, distinct_categorical
from procmine.read.columns import detect_columns, numbered
from procmine.read.fastcsv import read_csv_fast
from procmine.read.projection import columns_to_read
from procmine.read.sniff import (
    SAMPLED_BYTES,
    check_gzip_expansion,
    detect_encoding,
    has_quotes,
    is_gzip,
    mostly_text,
    open_bytes,
    quotes_later,
    sniff_delimiter,
)
from procmine.read.times import offset_note, text_offsets
from procmine.read.transcode import undecodable

#: The reason given for CSV rows with the wrong number of fields (every engine uses it)
RAGGED = "ragged row (wrong number of fields)"

#: The formats :func:`read_frame` reads.
FORMATS = ("csv", "excel", "xes", "parquet")

#: The first bytes of a CSV file read to choose its encoding, delimiter and time types.
SAMPLE_BYTES = SAMPLED_BYTES

#: The bytes of a CSV file Arrow's reader parses at a time (its ``block_size``): 4 MiB
#: blocks keep its buffers within the memory its allocator already holds; 16 MiB ones
#: took fresh pages for each block (Arrow's read of the 1M-event CSV alone: 0.05-0.6 s
#: more system time, about 100 MB more peak; benchmarks/RESULTS.md, session 9).
BLOCK_BYTES = 1 << 22


def read_frame(path: str, report: LoadReport, *, encoding: str | None = None,
               sheet: str | int | None = None, given: Mapping[str, str] | None = None,
               timezone: str = "Asia/Shanghai", order_as_time: bool = False,
               needs: Collection[str] | None = None) -> pd.DataFrame:
    """The records of a log file in the format ``report.format``, with ``__row``.

    ``given`` are the user's column options (the CSV reader types the time columns);
    ``timezone`` is the zone of naive times (the XES reader needs it for its notes);
    ``order_as_time``: an XES without times is read (not refused); ``needs``: the CSV and
    Parquet readers read only the columns :func:`~procmine.read.projection.columns_to_read`
    chooses (the others read every column), and put the file's columns in ``report.columns``.
    """
    fmt = report.format
    if fmt == "csv":
        try:
            return _read_csv(path, report, encoding, dict(given or {}), timezone, needs)
        except BadBytes as bad:
            return _read_mended(path, report, bad.encoding, dict(given or {}), timezone, needs)
    if fmt == "excel":
        from procmine.read.tables import read_excel

        return read_excel(path, report, sheet)
    if fmt == "xes":
        from procmine.read.xes import read_xes

        return read_xes(path, report, timezone=timezone, times_needed=not order_as_time)
    if fmt == "parquet":
        from procmine.read.tables import read_parquet

        return read_parquet(path, report, dict(given or {}), needs)
    raise InputError(f"{path}: unknown log format",
                     hint="procmine reads .csv, .tsv, .txt, .csv.gz, .xlsx, .xes, .xes.gz "
                          "and .parquet")


def short_error(e: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters)."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


# --------------------------------------------------------------------------- CSV


def _read_csv(path: str, report: LoadReport, encoding: str | None,
              given: Mapping[str, str], timezone: str,
              needs: Collection[str] | None) -> pd.DataFrame:
    sample = open_bytes(path, SAMPLE_BYTES)
    if not sample.strip():
        raise InputError(f"{path}: the file is empty", hint="export the log again")
    if encoding is None:
        encoding = detect_encoding(sample)
    whole = len(sample) < SAMPLE_BYTES         # (else a character may be cut at its end)
    try:
        text = sample.decode(encoding, errors="strict" if whole else "replace")
    except UnicodeDecodeError as e:
        raise _bad_bytes(path, sample, encoding, e) from None
    except (LookupError, UnicodeError) as e:  # (UTF-32 without its mark: UnicodeError)
        raise undecodable(path, encoding, e) from None
    if not whole and not mostly_text(sample, encoding):     # an encoding given wrong
        raise undecodable(path, encoding, f"bytes that are not {encoding}")
    report.encoding = encoding
    # the quote scan reads the whole file: in a thread while the sample is looked at, for
    # the files only Arrow reads (the fast reader, which needs no answer, reads no smaller)
    quotes = quotes_later(path) if os.path.getsize(path) < fastcsv.MIN_BYTES else None
    delimiter = sniff_delimiter(text)
    report.delimiter = delimiter
    header = _csv_header(text, delimiter, report)
    if is_gzip(path):
        check_gzip_expansion(path)
    _note_offsets(text, header, delimiter, given, report, timezone)
    report.columns = header
    include = columns_to_read(header, given=given, needs=needs)
    typed, coded = _column_kinds(header, given)
    # a few columns of a large plain UTF-8 file are read by DuckDB when it gives Arrow's
    # very table (and so has no bad rows); any other file, or a sign of trouble: Arrow
    table, bad_rows = read_csv_fast(path, header, include=include, delimiter=delimiter,
                                    encoding=encoding, typed=typed, coded=coded), []
    if table is None:
        times = sampled_time_types(sample, header, encoding, delimiter, typed)
        try:
            table, bad_rows = _arrow_csv(path, header, encoding, delimiter, typed, coded,
                                         report, include, times, quotes)
        except BadBytes:
            raise _bad_bytes(path, sample, encoding, f"bytes that are not {encoding}") from None
    if bad_rows:
        report.drop(
            RAGGED,
            len(bad_rows),
            [(int(r.number) if r.number is not None else 0, "*",
              ragged_said(r.actual_columns, r.expected_columns, r.text))
             for r in bad_rows[:5]],
        )
    _check_fields(path, table)
    frame = table_frame(table)
    del table
    # (a Series taken as it is: an array would be copied into the frame)
    frame["__row"] = pd.Series(_file_rows(len(frame), bad_rows), index=frame.index, copy=False)
    report.rows_read = len(frame) + len(bad_rows)
    return frame


class BadBytes(Exception):
    """The file has bytes that are not of its ``encoding``: :func:`_read_mended` reads it."""

    def __init__(self, encoding: str):
        super().__init__(encoding)
        self.encoding = encoding


def _bad_bytes(path: str, sample: bytes, encoding: str, why: Any) -> Exception:
    """:class:`BadBytes` (read again, mended) when the file's start is text of ``encoding``
    but for a few damaged values (:func:`~procmine.read.sniff.mostly_text`); else the
    error that the file is not ``encoding`` (an ``--encoding`` given wrong)."""
    return BadBytes(encoding) if mostly_text(sample, encoding) else undecodable(path, encoding, why)


def _read_mended(path: str, report: LoadReport, encoding: str, given: Mapping[str, str],
                 timezone: str, needs: Collection[str] | None) -> pd.DataFrame:
    """A CSV with a few bytes that are not of its ``encoding``: read from a UTF-8 copy in
    which each run of such bytes is U+FFFD (``procmine.read.transcode``), so that a damaged
    value changes no other; the values so read are counted per column in ``report``."""
    from procmine.files import ScratchFolder
    from procmine.read.transcode import say_mended, to_utf8

    folder = ScratchFolder("procmine-read-")
    copy = os.path.join(folder.path, "utf8.csv")
    try:
        runs = to_utf8(path, encoding, copy)    # a known encoding: it decoded the sample
        try:
            frame = _read_csv(copy, report, "utf-8", given, timezone, needs)
        except ProcmineError as e:          # said of the user's file, not of the copy
            raise type(e)(e.message.replace(copy, path),
                          hint=e.hint and e.hint.replace(copy, path)) from None
    finally:
        folder.remove()
    report.encoding = encoding
    say_mended(frame, report, encoding, runs)
    return frame


def _note_offsets(text: str, header: list[str], delimiter: str, given: Mapping[str, str],
                  report: LoadReport, timezone: str) -> None:
    """Say once when the time column's first rows carry offsets ``timezone`` never has
    (Arrow turns them into UTC, so they are looked at in the sample)."""
    try:
        column = header.index(detect_columns(header, given).get(TIMESTAMP, ""))
    except (ColumnError, ValueError):
        return
    rows = csv.reader(text.lstrip("\ufeff").splitlines()[1:1001], delimiter=delimiter)
    try:
        values = pd.Series([row[column] for row in rows if len(row) > column], dtype=object)
    except csv.Error:  # a huge field: the reader's limits speak about it
        return
    note = offset_note(text_offsets(values), timezone)
    if note:
        report.notes.append(note)


def _csv_header(text: str, delimiter: str, report: LoadReport) -> list[str]:
    """The header row, empty names as ``column_N`` and repeated names numbered."""
    header_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    if header_line.count(delimiter) >= MAX_COLUMNS:
        raise InputError(f"{report.path}: the header has more than {MAX_COLUMNS:,} columns",
                         hint="a limit (procmine.limits.MAX_COLUMNS), checked before reading; "
                              "no option raises it")
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as e:      # (a name longer than the csv module's field limit)
        raise InputError(f"{report.path}: the header cannot be read as CSV ({e})",
                         hint="check the encoding and that the first line names the "
                              "columns") from None
    if any(not h.strip() for h in header):
        header = [h if h.strip() else f"column_{i + 1}" for i, h in enumerate(header)]
    return numbered(header, report)


def _column_kinds(header: list[str], given: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """The columns a CSV reader may type (the time columns: fast C++ parsing) and those
    it reads as dictionaries (the text columns reading trims: each distinct value once,
    then codes); every other column stays text, so ids like 00123 keep their zeros."""
    try:
        mapping = detect_columns(header, given)
    except ColumnError:
        mapping = {}
    typed = {mapping[c] for c in (TIMESTAMP, START, DEADLINE) if c in mapping}
    coded = {mapping[c] for c in TEXT_COLUMNS if c in mapping}
    return typed, coded


def _arrow_csv(path: str, header: list[str], encoding: str, delimiter: str,
               typed: set[str], coded: set[str], report: LoadReport,
               include: list[str] | None = None,
               times: Mapping[str, Any] | None = None,
               quotes: Callable[[], bool] | None = None) -> tuple[Any, list[Any]]:
    """The CSV as an Arrow table (text columns, ``typed`` columns typed where Arrow can,
    ``coded`` ones as dictionaries), and the rows skipped for a wrong number of fields;
    ``include``: only those columns (every row is still split into all its fields, so
    ragged rows are found as before); ``times``: the Arrow types of typed columns known
    beforehand (:func:`sampled_time_types`), the others Arrow infers. A value a type
    does not hold (inferred or given) is a conversion error: the file is then read
    again with every column as text, which reading parses as it parses typed times."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad_rows: list[Any] = []

    def on_invalid(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    text = {h: pa.dictionary(pa.int32(), pa.string()) if h in coded else pa.string()
            for h in header}
    column_types = {h: t for h, t in text.items() if h not in typed} | dict(times or {})

    quoted = quotes() if quotes is not None else has_quotes(path)

    def read(threads: bool) -> Any:
        bad_rows.clear()
        arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=arrow_encoding, column_names=header,
                                           skip_rows=1, use_threads=threads,
                                           block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid,
                                             newlines_in_values=quoted),
            convert_options=pacsv.ConvertOptions(column_types=column_types,
                                                 include_columns=include or (),
                                                 strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True),
        )

    try:
        try:
            table = read(True)
        except pa.ArrowInvalid as e:
            if "conversion error" not in str(e).lower() or column_types == text:
                raise
            column_types = text
            table = read(True)
        if bad_rows and any(r.number is None for r in bad_rows):
            table = read(False)  # single-threaded reading knows the row numbers
    except UnicodeDecodeError:
        raise BadBytes(encoding) from None
    except (pa.ArrowInvalid, OSError, EOFError, zlib.error) as e:
        if "invalid utf8" in str(e).lower():
            raise BadBytes(encoding) from None
        raise InputError(f"{path}: cannot parse the CSV: {short_error(e)}",
                         hint=f"check the quoting and the delimiter {delimiter!r}"
                              + ("" if report.encoding else ", or set encoding=")) from None
    return table, bad_rows


def sampled_time_types(sample: bytes, header: list[str], encoding: str, delimiter: str,
                       typed: Collection[str]) -> dict[str, Any]:
    """The Arrow timestamp types of the ``typed`` columns as Arrow infers them on the
    first rows of the file (``sample``, its first bytes), for the reader to take as
    given: Arrow's own inference holds a column's text until a whole block is typed, which
    cost 0.7 GB more memory and 1.4 s of system time on a 5M-event CSV (benchmarks/RESULTS.md).
    A column whose first rows are not all timestamps (dates only, text, empty) is left
    to Arrow's inference as before. Either way the table is the same: where the sample's
    type would not be the file's, a later value does not fit it and the reader reads
    the file as text (:func:`_arrow_csv`)."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = [h for h in header if h in typed]
    if not columns or not sample:
        return {}
    whole = len(sample) < SAMPLE_BYTES
    rows = sample if whole else sample[:sample.rfind(b"\n") + 1]
    try:
        table = pacsv.read_csv(
            io.BytesIO(rows),
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
                column_names=header, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                             invalid_row_handler=lambda row: "skip"),
            convert_options=pacsv.ConvertOptions(include_columns=columns,
                                                 strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, LookupError):
        return {}
    return {f.name: f.type for f in table.schema if pa.types.is_timestamp(f.type)}


def table_frame(table: Any) -> pd.DataFrame:
    """An Arrow table as ``table.to_pandas()`` makes it, its dictionary columns
    Categoricals with the dictionary's values in its order: made here from the dictionaries
    unified and the codes, in half the time of ``to_pandas`` for the 430,000 case ids of
    a 5M-event CSV. The table is let go column by column as it is converted (less memory
    at once, fewer fresh pages); it cannot be used afterwards.

    >>> import pyarrow as pa
    >>> table = pa.table({"a": pa.array(["x", None, "y", "x"]).dictionary_encode(), "b": [1, 2, 3, 4]})
    >>> frame = table_frame(table)
    >>> frame["a"].tolist(), list(frame["a"].cat.categories), frame["b"].tolist()
    (['x', nan, 'y', 'x'], ['x', 'y'], [1, 2, 3, 4])
    """
    import pyarrow as pa

    names = table.column_names
    dictionaries = [name for name, kind in zip(names, table.schema.types, strict=True)
                    if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type)]
    if not dictionaries:
        return table.to_pandas(split_blocks=True, self_destruct=True)
    # the other columns by Arrow, the dictionary columns one by one, on two hands
    rest_table = table.drop_columns(dictionaries)
    made = each(lambda name: (rest_table.to_pandas(split_blocks=True, self_destruct=True)
                              if name is None else _categorical(table.column(name))),
                [None, *dictionaries])
    rest, coded = made[0], dict(zip(dictionaries, made[1:], strict=True))
    index = rest.index if len(rest.columns) else pd.RangeIndex(table.num_rows)
    return pd.DataFrame({name: pd.Series(coded[name], index=index, copy=False) if name in coded
                         else rest[name] for name in names}, index=index, copy=False)


def _categorical(column: Any) -> pd.Categorical:
    """A chunked Arrow dictionary column of text as a Categorical, as ``to_pandas`` makes it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.unify_dictionaries()
    if column.num_chunks == 0:
        return column.to_pandas().array
    dictionary = column.chunks[0].dictionary
    # the codes made at once in the type the Categorical keeps (as pandas narrows them)
    small = next(t for t in (np.int8, np.int16, np.int32, np.int64)
                 if len(dictionary) < np.iinfo(t).max)
    codes = np.concatenate([(pc.fill_null(chunk.indices, -1) if chunk.null_count else chunk.indices)
                            .to_numpy() for chunk in column.chunks], dtype=small, casting="same_kind")
    # (to_pandas makes an empty dictionary (every value missing) categories of objects)
    categories = (pd.Index(pd.array(dictionary.cast(pa.string()), dtype="str")) if len(dictionary)
                  else pd.Index([], dtype=object))
    return distinct_categorical(codes, categories)   # (a dictionary's values are distinct)


def _check_fields(path: str, table: Any) -> None:
    """Refuse a field longer than MAX_FIELD_BYTES before the table becomes Python objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    longest = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_dictionary(column.type):      # a text column read with each value once
            chunks = [chunk.dictionary for chunk in column.chunks]
        elif (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
              or pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)):
            chunks = column.chunks
        else:
            continue
        longest[name] = max((pc.max(pc.binary_length(c)).as_py() or 0 for c in chunks if len(c)),
                            default=0)
    check_field_sizes(path, longest)


def ragged_said(fields: int, expected: int, text: str) -> str:
    """How the load report quotes a row of the wrong number of fields (every engine).

    >>> ragged_said(3, 2, "a,b,c")
    '3 fields, expected 2: a,b,c'
    """
    return f"{fields} fields, expected {expected}: {text[:60]}"


def count_fields(text: str, delimiter: str) -> int:
    """The fields of a CSV row's text, as Arrow's reader counts them (``"`` quotes).

    >>> count_fields('a,"b,c",d', ",")
    3
    """
    return len(next(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"'), []))


def past_skipped(row: int, skipped: Sequence[int]) -> int:
    """The file row of the record that would be ``row`` were the rows ``skipped`` (sorted)
    not in the file: moved past each skipped row at or before it.

    >>> past_skipped(3, [2, 4]), past_skipped(3, [5])
    (5, 3)
    """
    for s in skipped:
        if row >= s:
            row += 1
    return row


def _file_rows(n: int, bad_rows: list[Any]) -> np.ndarray:
    """File rows (header = row 1) of the ``n`` records kept, for error messages."""
    rows = np.arange(n, dtype=np.int64) + 2
    if bad_rows:
        skipped = np.sort(np.array([r.number for r in bad_rows if r.number is not None],
                                   dtype=np.int64))
        if len(skipped):
            # shift each kept row past the skipped rows before it
            for s in skipped:
                rows[rows >= s] += 1
    return rows
