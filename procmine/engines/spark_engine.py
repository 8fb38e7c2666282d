"""The cluster engine: Apache Spark SQL over Parquet, CSV or a table of the data platform.

Install with ``pip install 'procmine[spark]'`` (and Java 17). The events are
read with procmine's column mapping and timestamp rules and kept as a cached
Spark DataFrame; each abstraction is one Spark SQL query (the same SQL as the
DuckDB engine, :mod:`procmine.engines.sql`). Only the small results travel to
Python, as Arrow record batches (``spark.sql.execution.arrow.pyspark.enabled``,
with the silent fallback to row-by-row conversion switched off).

pyspark 4.x warns that pandas 3 is "not fully supported" and pandas 3 warns
about a ``copy`` keyword pyspark still passes; both warnings are raised inside
``toPandas`` and are silenced there, by message, and nowhere else. Results
never contain Spark timestamps (times travel as integer microseconds), the part
of that conversion the warning is about.
"""

from __future__ import annotations

import itertools
import os
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from procmine.engines import (
    SEPARATOR,
    Source,
    TimeBasis,
    finish_follows,
    rank_variants,
    resolve_calendar,
    working_days,
)
from procmine.engines import sql as q
from procmine.engines.sql_engine import SqlEngine
from procmine.errors import DependencyError, InputError
from procmine.read import (
    ARROW_NULLS,
    SAMPLED_BYTES,
    SPARK,
    detect_encoding,
    file_kind,
    load_events,
    open_bytes,
    sniff_delimiter,
)
from procmine.read.readers import count_fields, ragged_said
from procmine.read.transcode import count_bad_runs, mended_note, sample_text

_COUNTER = itertools.count()

#: Warnings raised inside pyspark's toPandas under pandas 3 (see the module docstring).
QUIET = (r"PySpark does not yet fully support pandas", r"The copy keyword is deprecated")


def spark_session(master: str = "local[2]") -> Any:
    """The active SparkSession, or a new local one set up for procmine (Arrow on, UI off).

    It needs Java and starts a JVM (15-20 s), so the example is not run as a doctest::

        spark = spark_session()
        engine = get_engine("spark", "logs/sample.csv", spark=spark)
    """
    with warnings.catch_warnings():
        for message in QUIET:
            warnings.filterwarnings("ignore", message=message)
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise DependencyError("the Spark engine needs pyspark",
                                  hint="pip install 'procmine[spark]' (and Java 17)") from None
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        # the JVM's own messages: errors only (its default prints warnings on the console)
        logging = os.path.join(os.path.dirname(__file__), "spark-log4j2.properties")
        # few shuffle partitions: procmine's tables are small after the first group-by
        return (SparkSession.builder.master(master).appName("procmine")
                .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={logging}")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
                .getOrCreate())


def to_pandas(frame: Any) -> pd.DataFrame:
    """A Spark DataFrame as pandas through Arrow, with pyspark's pandas-3 warnings silenced."""
    with warnings.catch_warnings():
        for message in QUIET:
            warnings.filterwarnings("ignore", message=message)
        return frame.toPandas()


def from_pandas(spark: Any, frame: pd.DataFrame) -> Any:
    """A small pandas table (variant ids, working days, levels) as a Spark DataFrame, via Arrow."""
    with warnings.catch_warnings():
        for message in QUIET:
            warnings.filterwarnings("ignore", message=message)
        return spark.createDataFrame(frame)


#: Spark's column for rows with a wrong number of fields (counted, then left out)
_RAGGED = "__ragged"


def _csv_schema(sample: bytes, encoding: str, delimiter: str) -> Any:
    """Text columns named by the CSV header, and the column of malformed rows."""
    import csv
    import io as _io

    from pyspark.sql.types import StringType, StructField, StructType

    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")   # (a BOM in any encoding)
    header = next(csv.reader(_io.StringIO(text), delimiter=delimiter), [])
    return StructType([StructField(name, StringType()) for name in header]
                      + [StructField(_RAGGED, StringType())])


def _read_parquet(spark: Any, path: str) -> Any:
    """The Parquet file as a Spark frame; times in nanoseconds, which Spark does not read,
    are the clear error they are."""
    from pyspark.errors import AnalysisException

    try:
        return spark.read.parquet(path)
    except AnalysisException as e:
        if "NANOS" not in str(e):
            raise
        raise InputError(f"{path}: Spark cannot read times in nanoseconds (Parquet "
                         "TIMESTAMP(NANOS))", hint="use --engine duckdb or pandas, or write the "
                         "file with microsecond times (pandas: to_parquet(..., "
                         "coerce_timestamps='us'))") from None


class _Session:
    """The Spark session as :func:`procmine.read.load_events` uses it (cached views)."""

    def __init__(self, engine: SparkEngine):
        self.engine = engine
        self.frames: dict[str, Any] = {}  # view -> cached frame

    def rows(self, query: str) -> list[Any]:
        return self.engine.spark.sql(query).collect()

    def create(self, name: str, query: str) -> str:
        frame = self.engine.spark.sql(query).cache()
        view = self.engine._view(name, frame)
        self.frames[view] = frame
        return view

    def put(self, name: str, frame: pd.DataFrame) -> str:
        return self.engine._view(name, from_pandas(self.engine.spark, frame))

    def drop(self, name: str) -> None:
        self.frames.pop(name).unpersist()

    def rejected(self) -> int:
        return 0  # Spark keeps malformed rows, marked in the ragged column

    def ragged_examples(self, parsed: str, fields: int) -> list[tuple[int, str, str]]:
        """The first five rows marked in the ragged column (kept in the parsed table,
        their text in ``shown``), as read_log quotes them."""
        found = self.rows(f"SELECT r, shown FROM {parsed} WHERE bad ORDER BY r LIMIT 5")
        delimiter = self.engine._facts.get("delimiter") or ","
        rows = self.file_rows(parsed, [int(row[0]) for row in found])
        return [(row, "*", ragged_said(count_fields(text.rstrip("\r\n"), delimiter), fields,
                                       text.rstrip("\r\n")))
                for row, (_, text) in zip(rows, found, strict=True)]

    def file_rows(self, parsed: str, rows: list[int]) -> list[int]:
        """Rows counted in the parsed table, which holds every row of the source (its
        ``r`` increases in file order, with gaps between Spark's partitions): a CSV's
        data starts at row 2, other sources' at record 1."""
        if not rows:
            return []
        counted = self.rows("SELECT " + ", ".join(
            f"sum(CASE WHEN r <= {int(r)} THEN 1 ELSE 0 END)" for r in rows)
            + f" FROM {parsed}")[0]
        first = 1 if self.engine._facts.get("format") == "csv" else 0
        return [int(n) + first for n in counted]


class SparkEngine(SqlEngine):
    """Computes the abstractions with Spark SQL (local mode or an existing cluster session).

    A table of the session's catalog is read by its name (the example needs a Spark
    session with that table, so it is not run as a doctest; tests/test_engines_spark.py
    runs the engine on the sample log)::

        from procmine.engines import get_engine
        engine = get_engine("spark", "lake.orders_2024")
        engine.variants().table.head()
    """

    dialect = SPARK

    name = "spark"

    def __init__(self, source: Source, *, spark: Any = None):
        super().__init__(source)
        if source.log is not None:
            raise InputError("the Spark engine reads files or tables, not a log in memory",
                             hint="use engine='pandas'")
        self.spark = spark if spark is not None else spark_session()
        self.spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        self.spark.conf.set("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
        # Spark 4 reads CSV only in a few charsets unless told to take any of Java's (GB18030)
        self.spark.conf.set("spark.sql.legacy.javaCharsets", "true")
        self._id = next(_COUNTER)
        self._views: list[str] = []
        self._ev: Any = None
        self._ev_view = f"procmine_ev_{self._id}"  # a narrowed log gets a view of its own
        self._narrowings = 0
        self._rows_read = 0
        self._dropped: dict[str, int] = {}
        self._levels: tuple[str, ...] = ()
        self._chosen: set[str] = set()
        self._naive: set[str] = set()  # columns with times read in the log's timezone
        self._read_notes: list[str] = []    # what reading the file mended (load_report)
        self._due_is_time = False
        self._variants: Any = None
        self._cached: list[Any] = []  # data frames held in Spark's memory until close

    def _view(self, name: str, frame: Any) -> str:
        view = f"procmine_{name}_{self._id}"
        frame.createOrReplaceTempView(view)
        if view not in self._views:
            self._views.append(view)
        return view

    def _sql(self, query: str) -> Any:
        self._load()
        query = re.sub(r"\bev\b", self._ev_view, query)
        query = re.sub(r"\bdays\b", f"procmine_days_{self._id}", query)
        return self.spark.sql(query)

    def _df(self, query: str) -> pd.DataFrame:
        return to_pandas(self._sql(query))

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached = []
        if self._ev is not None:
            self._ev.unpersist()
            self._ev = None
        for view in self._views:
            self.spark.catalog.dropTempView(view)
        self._views = []

    # ------------------------------------------------------------------ loading

    def _read(self) -> Any:
        from pyspark.sql import functions as F

        src = self.source
        if src.path is None:
            frame = self.spark.table(src.table)
            self._facts = {"format": "table"}
        else:
            kind = file_kind(src.path)
            if kind == "parquet":
                frame = _read_parquet(self.spark, src.path)
                self._facts = {"format": "parquet"}
            elif kind is not None:
                sample = open_bytes(src.path, SAMPLED_BYTES)
                encoding = src.encoding or detect_encoding(sample)
                delimiter = sniff_delimiter(sample_text(src.path, sample, encoding))
                # Spark reads bytes that are not the encoding as U+FFFD without a word
                runs = count_bad_runs(src.path, encoding) if os.path.isfile(src.path) else 0
                if runs:
                    self._read_notes.append(mended_note(runs, encoding))
                self._facts = {"format": "csv", "encoding": encoding, "delimiter": delimiter}
                frame = (self.spark.read.schema(_csv_schema(sample, encoding, delimiter))
                         .option("header", True).option("enforceSchema", True)
                         .option("sep", delimiter).option("quote", '"').option("escape", '"')
                         .option("encoding", "UTF-8" if encoding == "utf-8-sig" else encoding)
                         .option("multiLine", True).option("mode", "PERMISSIVE")
                         .option("columnNameOfCorruptRecord", _RAGGED).csv(src.path))
                # the words Arrow's reader (read_log) takes for missing, quoted or not
                frame = frame.select(*[F.when(frame[f"`{c}`"].isin(*ARROW_NULLS), None)
                                       .otherwise(frame[f"`{c}`"]).alias(c)
                                       if c != _RAGGED else frame[f"`{c}`"]
                                       for c in frame.columns])
            else:
                raise InputError(f"{src.path}: Spark reads CSV, Parquet or a table name",
                                 hint="use engine='pandas' (Excel, XES)")
        # increasing in file order: orders ties of time within a case as read_log does
        return frame.withColumn("__row", F.monotonically_increasing_id())

    def _load(self) -> None:
        if self._ev is not None:
            return
        # every time is an instant in UTC; the log's zone is applied explicitly
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        frame = self._read()
        columns = [c for c in frame.columns if c not in ("__row", _RAGGED)]
        types = {name: kind for name, kind in frame.dtypes if name in columns}
        session = _Session(self)
        src = self.source
        self._take(load_events(SPARK, session, self._view("raw", frame), types,
                               columns=src.columns, timezone=src.timezone, levels=src.levels,
                               where=src.name,
                               ragged_column=_RAGGED if _RAGGED in frame.columns else None))
        self._ev = session.frames.pop(self._loaded_events.ev)
        self._cached.extend(session.frames.values())

    def _put_cases(self, frame: pd.DataFrame) -> str:
        self._narrowings += 1
        return self._view(f"kept{self._narrowings}", from_pandas(self.spark, frame))

    def _replace_ev(self, query: str) -> None:
        # a checkpoint cuts the plan: a chain of filters would otherwise stack every
        # earlier narrowing (and its list of kept cases) into each query's plan
        frame = self._sql(query).localCheckpoint(eager=True)
        self._ev.unpersist()
        self._ev = frame
        self._ev_view = self._view(f"ev{self._narrowings}x", frame)
        self._narrowings += 1

    # ------------------------------------------------------------------ abstractions

    def variants(self) -> Any:
        if self._variants is not None:
            return self._variants
        seqs = self._sql(
            f"SELECT c, min(r) AS first_row, concat_ws({SPARK.literal(SEPARATOR)}, transform("
            f"array_sort(collect_list(struct(t, r, a))), x -> x.a)) AS seq FROM ev GROUP BY c"
        ).cache()
        seq_view = self._view("seq", seqs)
        counts = to_pandas(self.spark.sql(
            f"SELECT seq, count(*) AS cases FROM {seq_view} GROUP BY seq"))
        table, ids = rank_variants(counts, SEPARATOR)
        id_frame = from_pandas(self.spark, pd.DataFrame({
            "seq": ids.index.to_numpy(dtype=object), "variant": ids.to_numpy(dtype=np.int64)}))
        id_view = self._view("variant_ids", id_frame)
        # the variant of each case stays in Spark until a caller asks for it
        pairs = self.spark.sql(
            f"SELECT s.c, s.first_row, v.variant FROM {seq_view} s "
            f"JOIN {id_view} v ON v.seq = s.seq").cache()
        pairs.count()
        seqs.unpersist()
        self._cached.append(pairs)

        def fetch() -> pd.DataFrame | None:
            if self._ev is None:
                return None
            return to_pandas(pairs.orderBy("first_row").select("c", "variant"))

        self._variants = self._make_variants(table, fetch)
        return self._variants

    def follows(self, *, time: TimeBasis = "clock", calendar: Any = "cn") -> Any:
        self._load()
        cal = None
        if time == "working":
            cal = resolve_calendar(calendar, timezone=self.source.timezone)
            span = self._df(q.span(SPARK.local, cal)).iloc[0]
            self._view("days", from_pandas(
                self.spark, working_days(cal, float(span["lo"]), float(span["hi"]))))
        table = self._df(q.follows(SPARK.quantile, calendar=cal, local=SPARK.local))
        return finish_follows(table, self._df(q.STARTS), self._df(q.ENDS))
