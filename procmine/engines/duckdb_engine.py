"""The out-of-core engine: DuckDB SQL over the CSV or Parquet file, spilling to disk.

The file is read once into a DuckDB database (in memory, spilling to a temporary folder; only the
mapped columns, with procmine's parsing rules: trimmed text, empty as missing,
naive times read in the log's timezone, offsets converted); every abstraction is
then one SQL query over that table (window functions order each case by time
and file row). ``memory_limit`` bounds DuckDB's memory; above it DuckDB spills
to ``temp_directory``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from procmine.engines import (
    SEPARATOR,
    Source,
    TimeBasis,
    finish_follows,
    memory_limit_bytes,
    parse_memory_limit,
    rank_variants,
    resolve_calendar,
    working_days,
)
from procmine.engines import sql as q
from procmine.engines.duckdb_session import LAST_SCAN, DuckDBSession
from procmine.engines.readahead import one_ahead, taking_turns
from procmine.engines.sql_engine import SqlEngine
from procmine.errors import DependencyError, InputError
from procmine.files import ScratchFolder
from procmine.grouping import dictionary_codes
from procmine.read import (
    ARROW_NULLS,
    DUCKDB,
    EV_COLUMNS,
    SAMPLED_BYTES,
    detect_encoding,
    file_kind,
    load_events,
    open_bytes,
    sniff_delimiter,
)
from procmine.read.transcode import sample_text

#: DuckDB's share of ``memory_limit``: the limit bounds the process, and the rest is
#: for the parts of the log held in pandas (a quarter, see ``part_events``), the
#: Python objects of the results and allocations DuckDB makes outside its buffers.
DUCKDB_SHARE = 0.6
#: The least of ``memory_limit`` DuckDB keeps when a caller holds memory outside it
#: (:meth:`DuckDBEngine.hold_outside`): below it DuckDB would spill all it reads.
MIN_SHARE = 0.2
#: The memory limit DuckDB is set to for a moment to drop its cached pages (release_buffers):
#: on 5M events at 512MiB, 78 MiB of the process's memory after the audit's pass.
EVICT_LIMIT = "16MiB"


class DuckDBEngine(SqlEngine):
    """Computes the abstractions with DuckDB, out of core.

    >>> from procmine.engines import get_engine
    >>> with get_engine("duckdb", "tests/fixtures/orders16.csv", memory_limit="1GiB") as engine:
    ...     first = engine.follows().table.iloc[0]
    >>> first["source"], first["target"], int(first["count"])
    ('签收', '处置', 2)
    """

    dialect = DUCKDB

    name = "duckdb"

    def __init__(self, source: Source, *, memory_limit: str | None = None,
                 temp_directory: str | None = None):
        super().__init__(source)
        if source.path is None:
            raise InputError("the DuckDB engine reads CSV or Parquet files",
                             hint="give a file path, or use engine='pandas' for a log in memory")
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
                             hint="use engine='pandas' (Excel, XES)")
        self._scratch = ScratchFolder("procmine-duckdb-", temp_directory)
        self._folder = self._scratch.path
        config = {"temp_directory": os.path.join(self._folder, "spill")}
        if memory_limit:
            config["memory_limit"] = f"{int(memory_limit_bytes(memory_limit) * DUCKDB_SHARE)}B"
        # a database file, not ":memory:": in memory the tables escaped --memory-limit
        # (bottlenecks on 2M events at 512MiB peaked at 696 MiB, against 553 MiB with a file)
        self.con = duckdb.connect(os.path.join(self._folder, "events.duckdb"), config=config)
        # DuckDB may draw a progress bar on stdout, which carries our data (ours is on stderr)
        self.con.execute("SET enable_progress_bar = false")
        self.memory_limit = memory_limit
        self.temp_directory = temp_directory
        self._loaded = False
        self._read_notes: list[str] = []      # what reading the file mended (load_report)
        self._rows_read = 0
        self._dropped: dict[str, int] = {}
        self._levels: tuple[str, ...] = ()
        self._due_is_time = False
        self._chosen: set[str] = set()
        self._naive: set[str] = set()  # columns with times read in the log's timezone
        self._of_case: pd.DataFrame | None = None
        self._case_rows_made = False            # the table of one row per case (_case_rows)
        self._variants: Any = None
        # the parts' read-ahead thread (event_logs) and a release of the cache take
        # turns: never a scan while the limit is down at EVICT_LIMIT
        self._scanning = threading.Lock()

    def hold_outside(self, nbytes: int) -> None:
        self._held_outside = max(nbytes, 0)
        if not self.memory_limit or self.con is None:
            return
        limit = parse_memory_limit(self.memory_limit)
        share = max(int(limit * DUCKDB_SHARE) - max(nbytes, 0), int(limit * MIN_SHARE))
        self.con.execute(f"SET memory_limit = '{share}B'")

    def release_buffers(self) -> None:
        if not self.memory_limit or self.con is None:
            return
        import duckdb

        with self._scanning:
            try:    # a limit under what DuckDB holds cached makes it drop its pages, then its share
                self.con.execute(f"SET memory_limit = '{EVICT_LIMIT}'")
            except duckdb.Error:        # more pinned than that: as much as could be dropped
                pass
            self.hold_outside(self._held_outside)

    def part_events(self, part_events: int | None = None) -> int:
        """As :meth:`Engine.part_events`, halved under a memory limit: :meth:`event_logs`
        holds two parts at once (it reads the next while the caller works on one)."""
        if part_events:
            return part_events
        events = super().part_events()
        return max(1, events // 2) if self.memory_limit else events

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
        if getattr(self, "_folder", None):
            self._scratch.remove()
            self._folder = None

    def __del__(self) -> None:  # a forgotten engine still removes its spill folder
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ loading

    def _scan(self, mend: bool = False) -> tuple[str, dict[str, str]]:
        """The table function reading the file, and its columns with their DuckDB types;
        ``mend``: read a UTF-8 copy whatever the encoding (:meth:`_in_utf8`)."""
        path = DUCKDB.literal(self.source.path)
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            scan = f"read_parquet({path})"
            self._facts = {"format": "parquet"}
            names = pq.read_schema(self.source.path).names
            if len(set(names)) != len(names) and not mend:  # (DuckDB numbers them its way)
                self._read_notes.append("duplicate column names were numbered")
            if not names:   # (DuckDB cannot describe it): read_log's error on no columns
                return scan, {}
        else:
            sample = open_bytes(self.source.path, SAMPLED_BYTES)
            encoding = self.source.encoding or detect_encoding(sample)
            text = sample_text(self.source.path, sample, encoding)
            delimiter = sniff_delimiter(text)
            self._facts = {"format": "csv", "encoding": encoding, "delimiter": delimiter}
            duck_encoding = {"utf-8": "utf-8", "utf-8-sig": "utf-8",
                             "utf8": "utf-8"}.get(encoding.lower())
            # any other (GB18030, Latin-1, UTF-16 ...): read as UTF-8, as Python decodes it
            # (DuckDB's own Latin-1 refused some files: "File is not latin-1 encoded")
            if duck_encoding is None or mend:
                path, duck_encoding = DUCKDB.literal(self._in_utf8(encoding)), "utf-8"
            scan = (f"read_csv({path}, header = true, all_varchar = true, "
                    f"delim = {DUCKDB.literal(delimiter)}, quote = '\"', escape = '\"', "
                    f"encoding = {DUCKDB.literal(duck_encoding)}, store_rejects = true, "
                    f"nullstr = [{', '.join(DUCKDB.literal(w) for w in ARROW_NULLS)}], "
                    "rejects_scan = 'rejected_scans', rejects_table = 'rejected_rows')")
        described = self.con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        return scan, {row[0]: str(row[1]) for row in described}

    def _in_utf8(self, encoding: str) -> str:
        """The CSV in UTF-8, in the engine's scratch folder: DuckDB reads UTF-8, Latin-1
        and UTF-16 only (its encodings extension cannot be installed offline). Streamed
        a few MiB at a time; bytes that are not ``encoding`` are read as U+FFFD, as the
        pandas reader reads them, and said in the load report."""
        from procmine.read.transcode import mended_note, to_utf8

        out = os.path.join(self._folder, "utf8.csv")
        runs = to_utf8(self.source.path, encoding, out)     # a known encoding: _scan decoded
        if runs:
            self._read_notes.append(mended_note(runs, encoding))
        return out

    def _load(self) -> None:
        if self._loaded:
            return
        import duckdb

        try:
            loaded = self._load_scan(*self._scan())
            if self._bad_encoding():    # DuckDB rejected rows for a few bytes: mend them
                self._drop_tables()
                loaded = self._load_scan(*self._scan(mend=True))
        except duckdb.ConversionException as e:   # (a Parquet time past DuckDB's range)
            said = str(e).splitlines()[0].removeprefix("Conversion Error: ")
            raise InputError(f"{self.source.path}: DuckDB cannot read a value of the file: "
                             f"{said}", hint="use --engine pandas: it reads the file and "
                                             "reports each value it drops") from None
        self._take(loaded)
        self._loaded = True

    def _load_scan(self, scan: str, types: dict[str, str]) -> Any:
        src = self.source
        session = DuckDBSession(self.con, self.kind, self._facts.get("delimiter") or ",")
        return load_events(DUCKDB, session, scan, types,
                           columns=src.columns, timezone=src.timezone, levels=src.levels,
                           where=src.name)

    def _bad_encoding(self) -> bool:
        """Whether the last CSV scan rejected rows for bytes that are not its encoding."""
        if self.kind == "parquet":
            return False
        return bool(self.con.execute(
            f"SELECT count(*) FROM rejected_rows WHERE error_type = 'INVALID ENCODING' AND "
            f"{LAST_SCAN}").fetchall()[0][0])

    def _drop_tables(self) -> None:
        """Forget what a scan loaded (its views, tables and types), to load the file again."""
        for (name,) in self.con.execute("SELECT view_name FROM duckdb_views() "
                                        "WHERE NOT internal AND NOT temporary").fetchall():
            self.con.execute(f"DROP VIEW {DUCKDB.quote(name)}")
        for (name,) in self.con.execute("SELECT table_name FROM duckdb_tables() "
                                        "WHERE NOT temporary").fetchall():
            self.con.execute(f"DROP TABLE {DUCKDB.quote(name)}")
        for name in ("rejected_rows", "rejected_scans"):     # the scan's rejects, said no more
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
        for (name,) in self.con.execute("SELECT type_name FROM duckdb_types() "
                                        "WHERE NOT internal AND logical_type = 'ENUM'").fetchall():
            self.con.execute(f"DROP TYPE {DUCKDB.quote(name)}")

    def _df(self, query: str) -> pd.DataFrame:
        self._load()
        return _enums_as_text(self.con.execute(query).df())

    def _batches(self, query: str) -> Iterator[pd.DataFrame]:
        """The rows of ``query`` in Arrow batches of :data:`sql_engine.CASE_BATCH` rows, each
        a DataFrame as ``_df`` gives (text in Arrow, not a Python string per row)."""
        from procmine.engines import sql_engine

        self._load()
        reader = self.con.cursor().sql(query).to_arrow_reader(sql_engine.CASE_BATCH)
        empty = True
        for batch in reader:
            empty = False
            yield _enums_as_text(batch.to_pandas())
        if empty:
            yield _enums_as_text(reader.schema.empty_table().to_pandas())

    def _put_cases(self, frame: pd.DataFrame) -> str:
        self.con.register("kept_frame", frame)
        self.con.execute("CREATE OR REPLACE TABLE kept_cases AS SELECT c FROM kept_frame")
        self.con.unregister("kept_frame")
        return "kept_cases"

    def _replace_ev(self, query: str) -> None:
        self.con.execute("DROP TABLE IF EXISTS case_rows")       # the cases of the events before
        self._case_rows_made = False
        self.con.execute(f"CREATE OR REPLACE TABLE ev_narrow AS {query}")
        # after loading, ev is a view over ev_sorted (procmine.read.ev_table.sorted_ev)
        kind = self.con.execute("SELECT table_type FROM information_schema.tables "
                                "WHERE table_name = 'ev'").fetchall()[0][0]
        if kind == "VIEW":
            self.con.execute("DROP VIEW ev")
            self.con.execute("DROP TABLE ev_sorted")
        else:
            self.con.execute("DROP TABLE ev")
        self.con.execute("ALTER TABLE ev_narrow RENAME TO ev")
        self._totals = None

    # ------------------------------------------------------------------ abstractions

    def variants(self) -> Any:
        if self._variants is not None:
            return self._variants
        self._load()
        sep = DUCKDB.literal(SEPARATOR)
        # a list of ENUM values per case (half the work of a string), text per variant only
        self.con.execute("CREATE OR REPLACE TABLE case_seq AS SELECT f, "
                         "list(a ORDER BY t, r) AS seq FROM ev GROUP BY f")
        self.con.execute(f"CREATE OR REPLACE TABLE seqs AS SELECT seq, array_to_string(seq, {sep}) "
                         f"AS text, count(*) AS cases FROM case_seq GROUP BY seq")
        counts = self.con.execute("SELECT text AS seq, cases FROM seqs").df()
        table, ids = rank_variants(counts, SEPARATOR)
        self.con.register("variant_ids", pd.DataFrame({"seq": ids.index.to_numpy(dtype=object),
                                                       "variant": ids.to_numpy(dtype=np.int64)}))
        # the variant of each case stays in the database until a caller asks for it
        self.con.execute(
            "CREATE OR REPLACE TABLE case_variant AS SELECT s.f, v.variant FROM case_seq s "
            "JOIN seqs q ON q.seq = s.seq JOIN variant_ids v ON v.seq = q.text")
        self.con.unregister("variant_ids")
        self.con.execute("DROP TABLE case_seq")
        self.con.execute("DROP TABLE seqs")

        def pairs() -> pd.DataFrame | None:
            if self.con is None:
                return None
            return self.con.execute("SELECT e.c, v.variant FROM ev e JOIN case_variant v "
                                    "ON v.f = e.f WHERE e.is_last ORDER BY e.f").df()

        self._variants = self._make_variants(table, pairs)
        return self._variants

    def _case_rows(self, short: set[str]) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`SqlEngine._case_rows` from a table of one row per case kept in
        the database (``case_rows``, every column of ``sql.cases`` and each case's variant
        from ``case_variant``, in case order), made when first asked: counting over the
        events of the log (a scan of the whole log, its groups and DuckDB's buffers for
        them) happens once, and a caller asking for a few columns later reads them alone
        from a table of one row per case. ``Variants.of_case``, a Series indexed by the case
        ids as Python strings (about 100 bytes a case), is not made for the variants."""
        from procmine.engines import sql as q

        if not self._case_rows_made:
            self.variants()                         # makes case_variant
            self.con.execute(
                f"CREATE OR REPLACE TABLE case_rows AS SELECT x.*, v.variant FROM "
                f"({q.cases(set(_CASE_ROW_COLUMNS), first_row=True)}) x "
                "LEFT JOIN case_variant v ON v.f = x.f ORDER BY x.f")
            self._case_rows_made = True
        # stored in case order (as ev is, and read so by event_logs)
        return self._batches(f"SELECT {', '.join(['c', *sorted(short)])} FROM case_rows")

    def event_logs(self, *, max_events: int = 1_000_000) -> Iterator[Any]:
        """The parts of :meth:`SqlEngine.event_logs` from one scan of ``ev`` (stored in
        case, time and row order): a case goes to part ``floor(events before it /
        max_events)``, as :func:`procmine.engines.sql.part_bounds` cuts. Each part is
        read and made an EventLog in a thread of its own while the caller works on
        the part before (one part ahead, no more)."""
        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, not {max_events}")
        total, done = self.totals().events, 0
        for log in one_ahead(self._part_logs(max_events)):
            yield log
            done += len(log.events)
            self._report(done, total)

    def _part_logs(self, max_events: int) -> Iterator[Any]:
        import pyarrow as pa

        columns = ", ".join(EV_COLUMNS.values())
        # a cursor of its own: the collector uses the connection while the parts stream
        reader = self.con.cursor().sql(f"SELECT f, {columns} FROM ev").to_arrow_reader(
            min(max_events, 1 << 20))
        held: list[Any] = []  # the rows of the part being gathered
        pool = pa.default_memory_pool()
        seen, last_f, start, part = 0, None, -1, None
        for batch in taking_turns(reader, self._scanning):
            f = batch.column(0).to_numpy()
            new = np.empty(len(f), dtype=bool)
            new[:1] = f[:1] != last_f
            new[1:] = f[1:] != f[:-1]
            # each row's part: the events before the first row of its case, over max_events
            starts = np.where(new, np.arange(seen, seen + len(f)), -1)
            starts = np.maximum(np.maximum.accumulate(starts), start)
            parts = starts // max_events
            cuts = np.flatnonzero(np.diff(parts)) + 1
            for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(f)], strict=True):
                if held and part != parts[lo]:
                    yield self._part_log(pa.Table.from_batches(held))
                    held = []
                    pool.release_unused()  # Arrow keeps freed pages otherwise: parts pile up
                part = parts[lo]
                held.append(batch.slice(lo, hi - lo))
            seen += len(f)
            last_f, start = f[-1], starts[-1]
        if held:
            yield self._part_log(pa.Table.from_batches(held))

    def _part_log(self, table: Any) -> Any:
        """An EventLog of rows of ``ev`` in Arrow (text as pandas' Arrow strings), with its
        case codes (from the case numbers ``f``) and the codes of its ENUM columns (from
        their dictionaries) known: the analyses need not hash the text of every event."""
        import pyarrow as pa

        codes = {}
        for i, field in enumerate(table.schema):
            if pa.types.is_dictionary(field.type):  # the ENUM columns
                codes[field.name] = dictionary_codes(table.column(i))
                table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
        text = pd.StringDtype("pyarrow")
        frame = table.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)
        log = self._event_log(frame)
        f = frame["f"].to_numpy()
        new_case = np.ones(len(f), dtype=bool)
        new_case[1:] = f[1:] != f[:-1]     # ev is stored in case order: a case is one run
        log.know_case_codes(np.cumsum(new_case) - 1)
        for canonical, short in EV_COLUMNS.items():
            if short in codes and canonical in log.events.columns:
                log.know_column_codes(canonical, *codes[short])
        return log

    def follows(self, *, time: TimeBasis = "clock", calendar: Any = "cn") -> Any:
        self._load()
        cal = None
        if time == "working":
            cal = resolve_calendar(calendar, timezone=self.source.timezone)
            lo, hi = self.con.execute(q.span(DUCKDB.local, cal)).fetchall()[0]
            self.con.register("day_table", working_days(cal, lo, hi))
            self.con.execute("CREATE OR REPLACE TABLE days AS SELECT * FROM day_table")
            self.con.unregister("day_table")
        return finish_follows(self._follows_table(cal), self._df(q.STARTS), self._df(q.ENDS))

    def _follows_table(self, cal: Any) -> pd.DataFrame:
        """The directly-follows table of :func:`procmine.engines.sql.follows`, its quantiles
        from :func:`procmine.engines.nearest.nearest_quantiles` when the waits fit in
        memory (else, or when a
        rank was not found, by sorting them all)."""
        import duckdb

        from procmine.engines import nearest

        if nearest.quantiles_fit(self.con, self.totals().events):
            try:
                table = self._df(q.follows(DUCKDB.quantile, calendar=cal, local=DUCKDB.local,
                                           ranked=nearest.nearest_quantiles))
                if not table[["median", "p90"]].isna().any().any():
                    return table
            except duckdb.OutOfMemoryException:
                pass
        return self._df(q.follows(DUCKDB.quantile, calendar=cal, local=DUCKDB.local))


_CASE_ROW_COLUMNS = ("events", "start", "stop", "cat", "src", "due")


def _enums_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its ENUM columns (see procmine.read.dialect), which come as
    categories, as text."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype("str")
    return frame
