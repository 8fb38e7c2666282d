"""The out-of-core engine: DuckDB SQL over the CSV or Parquet file, spilling to disk.

The file is read once into a DuckDB database in a temporary folder (only the
mapped columns, with procmine's parsing rules: trimmed text, empty as missing,
naive times read in the log's timezone, offsets converted); every abstraction is
then one SQL query over that table (window functions order each case by time
and file row). ``memory_limit`` bounds DuckDB's memory; above it DuckDB spills
to ``temp_directory``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import numpy as np
import pandas as pd

from procmine.engines import (
    OFFSET_PATTERN,
    RAGGED,
    SEPARATOR,
    Source,
    SqlEngine,
    TimeBasis,
    check_mapping,
    choose_time_format,
    file_kind,
    finish_follows,
    kind_table,
    level_table,
    parse_memory_limit,
    rank_variants,
    resolve_calendar,
    working_days,
)
from procmine.engines import sql as q
from procmine.errors import DependencyError, InputError
from procmine.log import (
    ACTIVITY,
    CASE,
    CATEGORY,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    SOURCE,
    START,
    TIMESTAMP,
)

_QUANTILE = "quantile_cont({x}, {q})"
_LOCAL = "epoch_us(timezone({tz}, timezone('UTC', make_timestamp({us})))) / 1e6"
#: canonical column -> name in the staging table
_SHORT = {CASE: "c", ACTIVITY: "a", TIMESTAMP: "t", START: "st", RESOURCE: "res", LEVEL: "lvl",
          KIND: "knd", CATEGORY: "cat", SOURCE: "src", DEADLINE: "due"}


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


#: DuckDB's share of ``memory_limit``: the limit bounds the process, and the rest is
#: for the parts of the log held in pandas (a quarter, see ``part_events``), the
#: Python objects of the results and allocations DuckDB makes outside its buffers.
DUCKDB_SHARE = 0.6


class DuckDBEngine(SqlEngine):
    """Computes the abstractions with DuckDB, out of core.

    >>> from procmine.engines import get_engine
    >>> with get_engine("duckdb", "big.parquet", memory_limit="4GiB") as engine:   # doctest: +SKIP
    ...     engine.follows().table.head()
    """

    quantile = _QUANTILE

    name = "duckdb"

    def __init__(self, source: Source, *, memory_limit: str | None = None,
                 temp_directory: str | None = None):
        super().__init__(source)
        if source.path is None:
            raise InputError("the DuckDB engine reads CSV or Parquet files",
                             hint="give a file path, or use --engine pandas for a log in memory")
        try:
            import duckdb
        except ImportError:  # pragma: no cover - duckdb is a dependency
            raise DependencyError("the DuckDB engine needs the duckdb package",
                                  hint="pip install duckdb") from None
        self.kind = file_kind(source.path) if os.path.exists(source.path) else None
        if not os.path.exists(source.path):
            raise InputError(f"{source.path}: no such file")
        if self.kind is None:
            raise InputError(f"{source.path}: DuckDB reads CSV and Parquet, not this format",
                             hint="use --engine pandas (Excel, XES)")
        self._folder = tempfile.mkdtemp(prefix="procmine-duckdb-", dir=temp_directory)
        config = {"temp_directory": os.path.join(self._folder, "spill")}
        if memory_limit:
            config["memory_limit"] = f"{int(parse_memory_limit(memory_limit) * DUCKDB_SHARE)}B"
        self.con = duckdb.connect(os.path.join(self._folder, "events.duckdb"), config=config)
        # DuckDB may draw a progress bar on stdout, which carries our data (ours is on stderr)
        self.con.execute("SET enable_progress_bar = false")
        self.memory_limit = memory_limit
        self.temp_directory = temp_directory
        self._loaded = False
        self._rows_read = 0
        self._dropped: dict[str, int] = {}
        self._levels: tuple[str, ...] = ()
        self._due_is_time = False
        self._chosen: set[str] = set()
        self._naive: set[str] = set()  # columns with times read in the log's timezone
        self._of_case: pd.DataFrame | None = None
        self._variants: Any = None

    def collector(self) -> Any:
        """A DuckDBCollector in this engine's own database, within its memory limit."""
        from procmine.engines.collector import DuckDBCollector

        self._load()
        return DuckDBCollector(con=self.con)

    def close(self) -> None:
        con = getattr(self, "con", None)
        if con is not None:
            con.close()
            self.con = None
        folder = getattr(self, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
            self._folder = None

    def __del__(self) -> None:  # a forgotten engine still removes its spill folder
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ loading

    def _scan(self) -> tuple[str, dict[str, str]]:
        """The table function reading the file, and its columns with their DuckDB types."""
        path = _literal(self.source.path)
        if self.kind == "parquet":
            scan = f"read_parquet({path})"
            self._facts = {"format": "parquet"}
        else:
            from procmine import io

            sample = io._open_bytes(self.source.path, 1 << 20)
            encoding = self.source.encoding or io.detect_encoding(sample)
            text = sample.decode(encoding, errors="replace")
            delimiter = io._sniff_delimiter(text)
            self._facts = {"format": "csv", "encoding": encoding, "delimiter": delimiter}
            duck_encoding = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf8": "utf-8",
                             "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
                             "utf-16": "utf-16"}.get(encoding.lower())
            if duck_encoding is None:
                raise InputError(f"{self.source.path}: DuckDB cannot read {encoding} text",
                                 hint="use --engine pandas, or convert the file to UTF-8")
            scan = (f"read_csv({path}, header = true, all_varchar = true, "
                    f"delim = {_literal(delimiter)}, quote = '\"', escape = '\"', "
                    f"encoding = {_literal(duck_encoding)}, store_rejects = true, "
                    "rejects_scan = 'rejected_scans', rejects_table = 'rejected_rows')")
        described = self.con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        return scan, {row[0]: str(row[1]) for row in described}

    def _time_sql(self, column: str, kind: str, sample_of: str, scan: str) -> str:
        """SQL turning a source column into TIMESTAMPTZ with read_log's rules (NULL if unparsable)."""
        tz = _literal(self.source.timezone)
        if "WITH TIME ZONE" in kind:
            return column
        if kind.startswith("TIMESTAMP") or kind == "DATE":
            self._naive.add(sample_of)
            return f"timezone({tz}, CAST({column} AS TIMESTAMP))"
        if kind != "VARCHAR":
            raise InputError(f"{self.source.path}: column {sample_of!r} holds {kind} values, "
                             "not times DuckDB can read", hint="use --engine pandas")
        values = self.con.execute(
            f"SELECT trim({column}) FROM {scan} WHERE {column} IS NOT NULL AND trim({column}) <> '' "
            f"LIMIT 2000").fetchall()
        sample = pd.Series([v[0] for v in values], dtype=object)
        naive = sample[~sample.str.contains(OFFSET_PATTERN, regex=True)] if len(sample) else sample
        fmt = choose_time_format(naive, timezone=self.source.timezone,
                                 what=f"{self.source.path}: column {sample_of!r}")
        if len(naive):
            self._naive.add(sample_of)
        text = f"trim({column})"
        if naive.str.contains("年", regex=False).any():
            text = (f"rtrim(trim(replace(replace(replace(regexp_replace(regexp_replace("
                    f"regexp_replace({text}, '\\s*年\\s*', '-', 'g'), '\\s*月\\s*', '-', 'g'), "
                    f"'\\s*[日号]\\s*', ' ', 'g'), '时', ':'), '分', ':'), '秒', '')), ':')")
        parse = (f"try_cast({text} AS TIMESTAMP)" if fmt == "ISO8601"
                 else f"try_strptime({text}, {_literal(fmt)})")
        return (f"CASE WHEN regexp_matches(trim({column}), {_literal(OFFSET_PATTERN)}) "
                f"THEN try_cast(trim({column}) AS TIMESTAMPTZ) ELSE timezone({tz}, {parse}) END")

    def _rejected(self) -> int:
        """Rows of the last CSV scan DuckDB rejected (wrong number of fields, bad quoting)."""
        if self.kind == "parquet":
            return 0
        found = self.con.execute(
            "SELECT count(DISTINCT line) FROM rejected_rows WHERE scan_id = "
            "(SELECT max(scan_id) FROM rejected_scans)").fetchall()
        return int(found[0][0]) if found else 0

    def _load(self) -> None:
        if self._loaded:
            return
        scan, types = self._scan()
        mapping = check_mapping(list(types), self.source)
        self._header, self._mapping = list(types), dict(mapping)
        chosen = {canonical: column for canonical, column in mapping.items() if canonical in _SHORT}
        self._chosen = set(chosen)
        con = self.con
        shorts = {_SHORT[c]: _quote(column) for c, column in chosen.items()}

        def text(short: str) -> str:
            if short not in shorts:
                return "CAST(NULL AS VARCHAR)"
            return f"nullif(trim(CAST({shorts[short]} AS VARCHAR)), '')"

        time_sql = self._time_sql(shorts["t"], types[chosen[TIMESTAMP]], chosen[TIMESTAMP], scan)
        start = "CAST(NULL AS TIMESTAMPTZ)"
        if START in chosen:
            start = self._time_sql(shorts["st"], types[chosen[START]], chosen[START], scan)
        due = "CAST(NULL AS BIGINT)"
        if DEADLINE in chosen:
            try:
                due_time = self._time_sql(shorts["due"], types[chosen[DEADLINE]], chosen[DEADLINE],
                                          scan)
                due = f"epoch_us({due_time})"
                self._due_is_time = True
            except InputError:  # read_log keeps a deadline column of no times as text
                due = text("due")
        # One pass over the file: text trimmed, times parsed (once: timezone() is costly).
        # Insertion order is file order, so rowid is the row in the file.
        con.execute(
            f"CREATE TABLE staged AS SELECT {text('c')} AS c, {text('a')} AS a, "
            f"{text('t')} IS NULL AS no_time, {time_sql} AS ts, epoch_us({start}) AS st, "
            f"{text('res')} AS res, {text('lvl')} AS lvl, {text('knd')} AS knd, "
            f"{text('cat')} AS cat, {text('src')} AS src, {due} AS due FROM {scan}")
        counts = con.execute(
            "SELECT count(*), sum(CASE WHEN c IS NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN c IS NOT NULL AND a IS NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN c IS NOT NULL AND a IS NOT NULL AND no_time THEN 1 ELSE 0 END), "
            "sum(CASE WHEN c IS NOT NULL AND a IS NOT NULL AND NOT no_time AND ts IS NULL "
            "THEN 1 ELSE 0 END) FROM staged").fetchall()[0]
        rejected = self._rejected()
        self._rows_read = int(counts[0]) + rejected
        reasons = (RAGGED, "no case id", "no activity", "no time", "unparsable time")
        self._dropped = {k: int(v) for k, v in zip(reasons, (rejected, *counts[1:]), strict=True)
                         if v}
        table, self._levels = level_table(self.source.levels)
        con.register("level_names", table)
        con.execute("CREATE TABLE levels AS SELECT * FROM level_names")
        con.unregister("level_names")
        con.register("kind_names", kind_table())
        con.execute("CREATE TABLE kinds AS SELECT * FROM kind_names")
        con.unregister("kind_names")
        level_key = "s.lvl" if self.source.levels else "lower(s.lvl)"
        level_join = f"LEFT JOIN levels lv ON lv.raw = {level_key}" if LEVEL in chosen else ""
        level_rank = "coalesce(lv.rank, -1)" if LEVEL in chosen else "-1"
        level_name = ("CASE WHEN lv.exact OR lv.raw IS NULL THEN s.lvl ELSE lv.name END"
                      if LEVEL in chosen else "CAST(NULL AS VARCHAR)")
        kind_join = "LEFT JOIN kinds kd ON kd.raw = lower(s.knd)" if KIND in chosen else ""
        kind_name = "kd.name" if KIND in chosen else "CAST(NULL AS VARCHAR)"
        # f, the first row of the case, orders cases as read_log does (first appearance);
        # the table is stored in case order so that a part of the log is a range scan
        con.execute(
            f"CREATE TABLE ev AS SELECT s.c, s.rowid AS r, min(s.rowid) OVER (PARTITION BY s.c) AS f, "
            f"s.a, epoch_us(s.ts) AS t, s.st, s.res, "
            f"CAST({level_rank} AS INTEGER) AS lvl, {level_name} AS lvn, {kind_name} AS knd, "
            f"s.cat, s.src, s.due, "
            f"lag(s.a) OVER w AS pa, lag(epoch_us(s.ts)) OVER w AS pt, "
            f"lead(s.rowid) OVER w IS NULL AS is_last FROM staged s {level_join} {kind_join} "
            f"WHERE s.c IS NOT NULL AND s.a IS NOT NULL AND s.ts IS NOT NULL "
            f"WINDOW w AS (PARTITION BY s.c ORDER BY s.ts, s.rowid) ORDER BY f, t, r")
        con.execute("DROP TABLE staged")
        if con.execute("SELECT count(*) FROM ev").fetchall()[0][0] == 0:
            raise InputError(f"{self.source.path}: no usable events ({self._rows_read} rows read, "
                             "all dropped)", hint="check the column mapping and the timestamp format")
        self._loaded = True

    def _df(self, query: str) -> pd.DataFrame:
        self._load()
        return self.con.execute(query).df()

    # ------------------------------------------------------------------ abstractions

    def variants(self) -> Any:
        if self._variants is not None:
            return self._variants
        self._load()
        sep = _literal(SEPARATOR)
        self.con.execute(
            f"CREATE OR REPLACE TABLE case_seq AS SELECT c, min(r) AS first_row, "
            f"string_agg(a, {sep} ORDER BY t, r) AS seq FROM ev GROUP BY c")
        counts = self.con.execute("SELECT seq, count(*) AS cases FROM case_seq GROUP BY seq").df()
        table, ids = rank_variants(counts, SEPARATOR)
        self.con.register("variant_ids", pd.DataFrame({"seq": ids.index.to_numpy(dtype=object),
                                                       "variant": ids.to_numpy(dtype=np.int64)}))
        # the variant of each case stays in the database until a caller asks for it
        self.con.execute(
            "CREATE OR REPLACE TABLE case_variant AS SELECT s.c, s.first_row, v.variant "
            "FROM case_seq s JOIN variant_ids v ON v.seq = s.seq")
        self.con.unregister("variant_ids")
        self.con.execute("DROP TABLE case_seq")

        def pairs() -> pd.DataFrame | None:
            if self.con is None:
                return None
            return self.con.execute("SELECT c, variant FROM case_variant ORDER BY first_row").df()

        self._variants = self._make_variants(table, pairs)
        return self._variants

    def follows(self, *, time: TimeBasis = "clock", calendar: Any = "cn") -> Any:
        self._load()
        cal = None
        if time == "working":
            cal = resolve_calendar(calendar)
            lo, hi = self.con.execute(q.span(_LOCAL, cal)).fetchall()[0]
            self.con.register("day_table", working_days(cal, lo, hi))
            self.con.execute("CREATE OR REPLACE TABLE days AS SELECT * FROM day_table")
            self.con.unregister("day_table")
        table = self._df(q.follows(_QUANTILE, calendar=cal, local=_LOCAL))
        return finish_follows(table, self._df(q.STARTS), self._df(q.ENDS))
