"""The fast way to read a plain UTF-8 CSV: DuckDB's reader, which parses only the columns
read (Arrow's splits every field of every row), into the very table the Arrow reader
(:mod:`procmine.read.readers`) gives: the same column names, text columns as Arrow's
strings or dictionaries, the time columns typed as Arrow types them, nulls where Arrow
has them.

It is taken only when it can give exactly that table. DuckDB reads strictly (a row with
too many or too few fields, a quote in the wrong place, a bare carriage return, bytes
that are not UTF-8: an error), and the time columns are typed only when every value is
one Arrow types ``timestamp[s]``; on any doubt :func:`read_csv_fast` returns None and the
Arrow reader reads the file, so bad rows are counted, with their file rows, as always.

>>> from procmine.read.readers import RAGGED
>>> table = read_csv_fast("tests/fixtures/orders16.csv", ["工单编号", "环节", "时间"],
...                       include=None, delimiter=",", encoding="utf-8",
...                       typed={"时间"}, coded={"工单编号", "环节"})
>>> table.num_rows, str(table.schema.field("时间").type)
(16, 'timestamp[s]')
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from typing import Any

from procmine.read.sniff import is_gzip

#: The text Arrow's CSV reader reads as missing (its default ``null_values``, for strings
#: too since procmine reads with ``strings_can_be_null``), quoted or not.
ARROW_NULLS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
               "1.#IND", "1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null")

#: The encodings the fast reader reads (DuckDB reads UTF-8 only, without an extension).
ENCODINGS = ("utf-8", "utf-8-sig")

#: DuckDB's longest line, in bytes (its default): a longer one is an error, and so a file
#: with a field past MAX_FIELD_BYTES is refused by the Arrow reader as it always was.
_MAX_LINE_BYTES = 2_000_000


def read_csv_fast(path: str, header: Sequence[str], *, include: Sequence[str] | None,
                  delimiter: str, encoding: str, typed: Collection[str],
                  coded: Collection[str]) -> Any | None:
    """The columns ``include`` (None: all) of a CSV with ``header`` as the Arrow reader
    reads them (``typed``: the time columns it may type, ``coded``: the text columns it
    reads as dictionaries), or None when this reader cannot promise the same table."""
    if encoding not in ENCODINGS or is_gzip(path) or not _header_plain(path):
        return None
    try:
        import duckdb
    except ImportError:
        return None
    names = list(include or header)
    try:
        table = _duckdb_table(duckdb, path, header, names, delimiter)
    except (duckdb.Error, OSError, MemoryError):
        return None
    return _as_arrow_reads(table, names, typed, coded)


def _header_plain(path: str) -> bool:
    """Whether the first line of the file holds no quote: procmine takes the header from
    the first line as it is; a quoted name (which may hold a line break) is left to Arrow."""
    with open(path, "rb") as f:
        return b'"' not in f.readline(1 << 20)


def _duckdb_table(duckdb: Any, path: str, header: Sequence[str], names: Sequence[str],
                  delimiter: str) -> Any:
    """The columns ``names`` as DuckDB reads them, text as read (an empty field missing)."""
    position = {h: i for i, h in enumerate(header)}
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    select = ", ".join(f"c{position[n]}" for n in names)
    sql = (f"select {select} from read_csv($path, delim = $delim, quote = '\"', "
           f"escape = '\"', header = true, columns = {columns}, auto_detect = false, "
           f"strict_mode = true, null_padding = false, ignore_errors = false, "
           f"allow_quoted_nulls = true, max_line_size = {_MAX_LINE_BYTES})")
    with duckdb.connect(config={"threads": os.cpu_count() or 1}) as con:
        table = con.sql(sql, params={"path": path, "delim": delimiter}).to_arrow_table()
    return table.rename_columns(list(names))


def _as_arrow_reads(table: Any, names: Sequence[str], typed: Collection[str],
                    coded: Collection[str]) -> Any | None:
    """``table`` (text) with each column as the Arrow reader has it, or None when a time
    column is not one Arrow surely types ``timestamp[s]``."""
    import pyarrow as pa

    for i, name in enumerate(names):
        column = table.column(i)
        if name in typed:
            column = _as_time(column)
            if column is None:
                return None
        elif name in coded:
            column = _as_dictionary(column)
        else:
            continue
        table = table.set_column(i, pa.field(name, column.type), column)
    return table


def _as_dictionary(column: Any) -> Any:
    """A text column as Arrow's dictionary of it (int32 codes; one dictionary for all)."""
    import pyarrow.compute as pc

    return pc.dictionary_encode(column)


def _as_time(column: Any) -> Any | None:
    """A time column as Arrow types it: ``timestamp[s]`` when every value is a date with a
    time Arrow reads (Arrow's own parser decides) and the first row has one; null when it
    is all missing; None (do not promise) otherwise: a date without a time (a column of
    those is ``date32``), fractions of seconds (``timestamp[ns]``), offsets (UTC), text.
    The first row matters as Arrow chooses the type on its first block of rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = column.length() - column.null_count
    if present == 0:
        return pa.chunked_array([pa.nulls(len(c)) for c in column.chunks], type=pa.null())
    try:
        times = pc.cast(column, pa.timestamp("s"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    shortest = pc.min(pc.binary_length(column)).as_py()
    return times if times[0].is_valid and shortest > len("2024-01-01") else None
