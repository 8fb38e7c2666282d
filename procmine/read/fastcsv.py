"""The fast way to read a few columns of a large plain UTF-8 CSV: DuckDB's reader, which
parses only the columns read (Arrow's splits every field of every row), into the very
table the Arrow reader
(:mod:`procmine.read.readers`) gives: the same column names, text columns as Arrow's
strings or dictionaries, the time columns typed as Arrow types them, nulls where Arrow
has them.

It is taken only when it can give exactly that table. DuckDB reads strictly (a row with
too many or too few fields, a quote in the wrong place, a bare carriage return, bytes
that are not UTF-8: an error), and the time columns are typed only when every value is
one Arrow types ``timestamp[s]``; on any doubt :func:`read_csv_fast` returns None and the
Arrow reader reads the file, so bad rows are counted, with their file rows, as always.

>>> header = "工单编号,环节,时间,承办单位,层级,单位类型,类别,来源".split(",")
>>> table = read_csv_fast("tests/fixtures/orders16.csv", header, include=header[:3],
...                       delimiter=",", encoding="utf-8", typed={"时间"},
...                       coded={"工单编号", "环节"}, min_bytes=0)
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

#: Files smaller than this are read by Arrow: below it, DuckDB's import and start and the
#: dictionaries made afterwards cost as much as the reading saves (benchmarks/RESULTS.md).
MIN_BYTES = 256 << 20

#: The fast reader is taken when it reads at most this share of the file's columns: its
#: gain is the columns it does not parse. Measured on 2 cores (benchmarks/RESULTS.md):
#: 7 of 23 columns, 1.6x less CPU and half the memory; 7 of 11 (map, variants) and 9 of
#: 11 (info) on the 5M-event CSV, no gain or a loss, so Arrow reads those.
MAX_SHARE = 0.5

#: DuckDB's longest line, in bytes (its default): a longer one is an error, and so a file
#: with a field past MAX_FIELD_BYTES is refused by the Arrow reader as it always was.
_MAX_LINE_BYTES = 2_000_000


def read_csv_fast(path: str, header: Sequence[str], *, include: Sequence[str] | None,
                  delimiter: str, encoding: str, typed: Collection[str],
                  coded: Collection[str], min_bytes: int | None = None) -> Any | None:
    """The columns ``include`` (None: all) of a CSV with ``header`` as the Arrow reader
    reads them (``typed``: the time columns it may type, ``coded``: the text columns it
    reads as dictionaries), or None when this reader cannot promise the same table, or
    would not gain: the file is smaller than ``min_bytes`` (default :data:`MIN_BYTES`),
    or more than :data:`MAX_SHARE` of its columns are read."""
    min_bytes = MIN_BYTES if min_bytes is None else min_bytes
    names = list(include or header)
    if (len(names) > MAX_SHARE * len(header) or encoding not in ENCODINGS
            or os.path.getsize(path) < min_bytes or is_gzip(path) or not _header_plain(path)):
        return None
    try:
        import duckdb
    except ImportError:
        return None
    try:
        columns = _duckdb_columns(duckdb, path, header, names, delimiter)
    except (duckdb.Error, OSError, MemoryError):
        return None
    return _as_arrow_reads(columns, names, typed, coded)


def _header_plain(path: str) -> bool:
    """Whether the first line of the file holds no quote: procmine takes the header from
    the first line as it is; a quoted name (which may hold a line break) is left to Arrow."""
    with open(path, "rb") as f:
        return b'"' not in f.readline(1 << 20)


def _duckdb_columns(duckdb: Any, path: str, header: Sequence[str], names: Sequence[str],
                    delimiter: str) -> list[Any]:
    """The columns ``names`` as DuckDB reads them, text as read (an empty field missing)."""
    position = {h: i for i, h in enumerate(header)}
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    select = ", ".join(f"c{position[n]}" for n in names)
    sql = (f"select {select} from read_csv($path, delim = $delim, quote = '\"', "
           f"escape = '\"', header = true, columns = {columns}, auto_detect = false, "
           f"strict_mode = true, null_padding = false, ignore_errors = false, "
           f"allow_quoted_nulls = true, max_line_size = {_MAX_LINE_BYTES})")
    with duckdb.connect(config={"threads": os.cpu_count() or 1}) as con:
        # no progress bar: DuckDB prints it on stdout, into a command's output
        con.execute("set enable_progress_bar = false")
        con.execute("set enable_progress_bar_print = false")
        return con.sql(sql, params={"path": path, "delim": delimiter}).to_arrow_table().columns


def _as_arrow_reads(columns: list[Any], names: Sequence[str], typed: Collection[str],
                    coded: Collection[str]) -> Any | None:
    """The table of the text ``columns`` named ``names`` as the Arrow reader has it, or
    None when a time column is not one Arrow surely types ``timestamp[s]``. The columns
    are made in threads (Arrow's kernels release the GIL), and each text column is let
    go once made, so the text and the table are not held whole at once."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa

    def column_as_read(i: int) -> Any | None:
        name, column = names[i], columns[i]
        columns[i] = None
        if name in typed:
            return _as_time(column)
        return _as_dictionary(column) if name in coded else _with_nulls(column)

    with ThreadPoolExecutor(max_workers=max(1, min(len(names), os.cpu_count() or 1))) as pool:
        made = list(pool.map(column_as_read, range(len(names))))
    if any(column is None for column in made):
        return None
    return pa.table(made, names=list(names))


def _null_text(values: Any) -> Any:
    """Where text ``values`` hold one of :data:`ARROW_NULLS` (DuckDB reads only an empty
    field as missing: its ``nullstr`` list costs more than looking afterwards)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.is_in(values, value_set=pa.array(ARROW_NULLS))


def _with_nulls(column: Any) -> Any:
    """A text column with :data:`ARROW_NULLS` missing, as Arrow reads it."""
    import pyarrow.compute as pc

    null = _null_text(column)
    return pc.if_else(null, None, column) if pc.any(null).as_py() else column


def _as_dictionary(column: Any) -> Any:
    """A text column as Arrow's dictionary of it (int32 codes), :data:`ARROW_NULLS`
    missing; one chunk, so its dictionary is looked at (and made a Categorical) once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    coded = pc.dictionary_encode(column)
    coded = coded.combine_chunks() if coded.num_chunks else pa.array([], type=coded.type)
    null = _null_text(coded.dictionary)
    if pc.any(null).as_py():   # rare: the codes of "NA", "null"... become missing
        missing = pc.take(null, coded.indices)
        coded = pa.DictionaryArray.from_arrays(pc.if_else(missing, None, coded.indices),
                                               coded.dictionary)
    return pa.chunked_array([coded])


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
        column = _with_nulls(column)          # "NA", "null"... are missing to Arrow
        try:
            times = pc.cast(column, pa.timestamp("s"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    shortest = pc.min(pc.binary_length(column)).as_py()
    return times if times[0].is_valid and shortest > len("2024-01-01") else None
