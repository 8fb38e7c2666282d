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
import re
import warnings
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
    rank_variants,
    resolve_calendar,
    working_days,
)
from procmine.engines import sql as q
from procmine.errors import DependencyError, InputError
from procmine.log import (
    ACTIVITY,
    ADDRESS,
    CASE,
    CATEGORY,
    CITIZEN,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    SOURCE,
    START,
    TIMESTAMP,
)

_QUANTILE = "percentile({x}, {q})"
_LOCAL = "unix_micros(from_utc_timestamp(timestamp_micros({us}), {tz})) / 1e6"
_SHORT = {CASE: "c", ACTIVITY: "a", TIMESTAMP: "t", START: "st", RESOURCE: "res", LEVEL: "lvl",
          KIND: "knd", CATEGORY: "cat", SOURCE: "src", DEADLINE: "due", CITIZEN: "ctz",
          ADDRESS: "adr"}
_COUNTER = itertools.count()

#: Warnings raised inside pyspark's toPandas under pandas 3 (see the module docstring).
QUIET = (r"PySpark does not yet fully support pandas", r"The copy keyword is deprecated")


def spark_session(master: str = "local[2]") -> Any:
    """The active SparkSession, or a new local one set up for procmine (Arrow on, UI off).

    >>> spark = spark_session()             # doctest: +SKIP
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
        # few shuffle partitions: procmine's tables are small after the first group-by
        return (SparkSession.builder.master(master).appName("procmine")
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

    text = sample.decode(encoding, errors="replace")
    header = next(csv.reader(_io.StringIO(text), delimiter=delimiter), [])
    return StructType([StructField(name, StringType()) for name in header]
                      + [StructField(_RAGGED, StringType())])


def _literal(text: str) -> str:
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quote(name: str) -> str:
    return "`" + str(name).replace("`", "``") + "`"


def _spark_pattern(fmt: str) -> str:
    """A ``procmine.io`` strptime format as a Spark datetime pattern (lenient widths)."""
    compact = not re.search(r"[^%A-Za-z]", fmt.replace("%", ""))
    table = ({"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss"} if compact
             else {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%M": "m", "%S": "s"})
    out = re.sub(r"%[YmdHMS]", lambda m: table[m.group(0)], fmt)
    return re.sub(r"([^A-Za-z]+)", lambda m: m.group(1).replace("'", "''"), out)


class SparkEngine(SqlEngine):
    """Computes the abstractions with Spark SQL (local mode or an existing cluster session).

    >>> from procmine.engines import get_engine
    >>> engine = get_engine("spark", "lake.orders_2024")             # doctest: +SKIP
    >>> engine.variants().table.head()                               # doctest: +SKIP
    """

    quantile = _QUANTILE

    name = "spark"

    def __init__(self, source: Source, *, spark: Any = None):
        super().__init__(source)
        if source.log is not None:
            raise InputError("the Spark engine reads files or tables, not a log in memory",
                             hint="use --engine pandas")
        self.spark = spark if spark is not None else spark_session()
        self.spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        self.spark.conf.set("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
        self._id = next(_COUNTER)
        self._views: list[str] = []
        self._ev: Any = None
        self._rows_read = 0
        self._dropped: dict[str, int] = {}
        self._levels: tuple[str, ...] = ()
        self._chosen: set[str] = set()
        self._naive: set[str] = set()  # columns with times read in the log's timezone
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
        query = re.sub(r"\bev\b", f"procmine_ev_{self._id}", query)
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
                frame = self.spark.read.parquet(src.path)
                self._facts = {"format": "parquet"}
            elif kind is not None:
                from procmine import io

                sample = io._open_bytes(src.path, 1 << 20)
                encoding = src.encoding or io.detect_encoding(sample)
                delimiter = io._sniff_delimiter(sample.decode(encoding, errors="replace"))
                self._facts = {"format": "csv", "encoding": encoding, "delimiter": delimiter}
                frame = (self.spark.read.schema(_csv_schema(sample, encoding, delimiter))
                         .option("header", True).option("enforceSchema", True)
                         .option("sep", delimiter).option("quote", '"').option("escape", '"')
                         .option("encoding", "UTF-8" if encoding == "utf-8-sig" else encoding)
                         .option("multiLine", True).option("mode", "PERMISSIVE")
                         .option("columnNameOfCorruptRecord", _RAGGED).csv(src.path))
            else:
                raise InputError(f"{src.path}: Spark reads CSV, Parquet or a table name",
                                 hint="use --engine pandas (Excel, XES)")
        # increasing in file order: orders ties of time within a case as read_log does
        return frame.withColumn("__row", F.monotonically_increasing_id())

    def _time_sql(self, name: str, kind: str, view: str) -> str:
        """SQL turning column ``name`` of ``view`` (aliased ``s``) into a UTC instant."""
        tz = _literal(self.source.timezone)
        column = f"s.{_quote(name)}"
        if kind == "timestamp":          # an instant already
            return column
        if kind in ("timestamp_ntz", "date"):
            self._naive.add(name)
            return f"to_utc_timestamp(CAST({column} AS TIMESTAMP), {tz})"
        if kind != "string":
            raise InputError(f"{self.source.name}: column {name!r} holds {kind} values, not "
                             "times Spark can read here", hint="use --engine pandas")
        rows = self.spark.sql(f"SELECT trim({column}) AS v FROM {view} s WHERE {column} IS NOT NULL "
                              f"AND trim({column}) <> '' LIMIT 2000").collect()
        sample = pd.Series([row["v"] for row in rows], dtype=object)
        naive = sample[~sample.str.contains(OFFSET_PATTERN, regex=True)] if len(sample) else sample
        fmt = choose_time_format(naive, timezone=self.source.timezone,
                                 what=f"{self.source.name}: column {name!r}")
        if len(naive):
            self._naive.add(name)
        text = f"trim({column})"
        if naive.str.contains("年", regex=False).any():
            text = (f"regexp_replace(trim(replace(replace(replace(regexp_replace(regexp_replace("
                    f"regexp_replace({text}, '\\\\s*年\\\\s*', '-'), '\\\\s*月\\\\s*', '-'), "
                    f"'\\\\s*[日号]\\\\s*', ' '), '时', ':'), '分', ':'), '秒', '')), ':+$', '')")
        parse = (f"try_cast({text} AS TIMESTAMP)" if fmt == "ISO8601"
                 else f"try_to_timestamp({text}, {_literal(_spark_pattern(fmt))})")
        return (f"CASE WHEN trim({column}) RLIKE {_literal(OFFSET_PATTERN)} "
                f"THEN try_cast(trim({column}) AS TIMESTAMP) ELSE to_utc_timestamp({parse}, {tz}) END")

    def _load(self) -> None:
        if self._ev is not None:
            return
        # every time is an instant in UTC; the log's zone is applied explicitly
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        frame = self._read()
        columns = [c for c in frame.columns if c not in ("__row", _RAGGED)]
        mapping = check_mapping(columns, self.source)
        self._header, self._mapping = list(columns), dict(mapping)
        chosen = {canonical: column for canonical, column in mapping.items() if canonical in _SHORT}
        self._chosen = set(chosen)
        types = dict(frame.dtypes)
        raw = self._view("raw", frame)

        def text(canonical: str) -> str:
            if canonical not in chosen:
                return "CAST(NULL AS STRING)"
            return f"nullif(trim(CAST(s.{_quote(chosen[canonical])} AS STRING)), '')"

        column = f"s.{_quote(chosen[TIMESTAMP])}"
        time_sql = self._time_sql(chosen[TIMESTAMP], types[chosen[TIMESTAMP]], raw)
        due = "CAST(NULL AS BIGINT)"
        if DEADLINE in chosen:
            try:
                due_sql = self._time_sql(chosen[DEADLINE], types[chosen[DEADLINE]], raw)
                due = f"unix_micros({due_sql})"
                self._due_is_time = True
            except InputError:
                due = text(DEADLINE)
        start = "CAST(NULL AS BIGINT)"
        if START in chosen:
            start = f"unix_micros({self._time_sql(chosen[START], types[chosen[START]], raw)})"
        table, self._levels = level_table(self.source.levels)
        levels = self._view("levels", from_pandas(self.spark, table))
        kinds = self._view("kinds", from_pandas(self.spark, kind_table()))
        exact = bool(self.source.levels)
        level_value = f"trim(CAST(s.{_quote(chosen[LEVEL])} AS STRING))" if LEVEL in chosen else ""
        level_key = level_value if exact else f"lower({level_value})"
        join = f"LEFT JOIN {levels} lv ON lv.raw = {level_key}" if LEVEL in chosen else ""
        rank = "coalesce(lv.rank, -1)" if LEVEL in chosen else "-1"
        level_name = (f"CASE WHEN lv.exact OR lv.raw IS NULL THEN {text(LEVEL)} ELSE lv.name END"
                      if LEVEL in chosen else "CAST(NULL AS STRING)")
        kind_join = (f"LEFT JOIN {kinds} kd ON kd.raw = lower({text(KIND)})" if KIND in chosen
                     else "")
        kind_name = "kd.name" if KIND in chosen else "CAST(NULL AS STRING)"
        parsed = self.spark.sql(
            f"SELECT s.__row AS r, {text(CASE)} AS c, {text(ACTIVITY)} AS a, "
            f"nullif(trim(CAST({column} AS STRING)), '') IS NULL AS no_time, {time_sql} AS ts, "
            f"{start} AS st, {text(RESOURCE)} AS res, CAST({rank} AS INT) AS lvl, "
            f"{level_name} AS lvn, {kind_name} AS knd, {text(CATEGORY)} AS cat, "
            f"{text(SOURCE)} AS src, {due} AS due, {text(CITIZEN)} AS ctz, {text(ADDRESS)} AS adr, "
            f"{'s.' + _RAGGED + ' IS NOT NULL' if _RAGGED in frame.columns else 'false'} AS bad "
            f"FROM {raw} s {join} {kind_join}")
        parsed = parsed.cache()
        view = self._view("parsed", parsed)
        counts = self.spark.sql(
            f"SELECT sum(CASE WHEN bad THEN 1 ELSE 0 END) AS g, "
            f"sum(CASE WHEN NOT bad AND c IS NULL THEN 1 ELSE 0 END) AS a, "
            f"sum(CASE WHEN NOT bad AND c IS NOT NULL AND a IS NULL THEN 1 ELSE 0 END) AS b, "
            f"sum(CASE WHEN NOT bad AND c IS NOT NULL AND a IS NOT NULL AND no_time THEN 1 "
            f"ELSE 0 END) AS d, "
            f"sum(CASE WHEN NOT bad AND c IS NOT NULL AND a IS NOT NULL AND NOT no_time AND "
            f"ts IS NULL THEN 1 ELSE 0 END) AS e, count(*) AS n FROM {view}").collect()[0]
        self._rows_read = int(counts["n"])
        counts = [counts["g"], counts["a"], counts["b"], counts["d"], counts["e"]]
        reasons = (RAGGED, "no case id", "no activity", "no time", "unparsable time")
        self._dropped = {k: int(v) for k, v in zip(reasons, counts, strict=True) if v}
        ev = self.spark.sql(
            f"SELECT c, r, min(r) OVER (PARTITION BY c) AS f, a, unix_micros(ts) AS t, st, res, "
            f"lvl, lvn, knd, cat, src, due, ctz, adr, "
            f"lag(a) OVER w AS pa, lag(unix_micros(ts)) OVER w AS pt, "
            f"lead(r) OVER w IS NULL AS is_last FROM {view} "
            f"WHERE NOT bad AND c IS NOT NULL AND a IS NOT NULL AND ts IS NOT NULL "
            f"WINDOW w AS (PARTITION BY c ORDER BY ts, r)").cache()
        if ev.count() == 0:
            raise InputError(f"{self.source.name}: no usable events ({self._rows_read} rows read, "
                             "all dropped)", hint="check the column mapping and the timestamp format")
        parsed.unpersist()
        self._ev = ev
        self._view("ev", ev)

    # ------------------------------------------------------------------ abstractions

    def variants(self) -> Any:
        if self._variants is not None:
            return self._variants
        seqs = self._sql(
            f"SELECT c, min(r) AS first_row, concat_ws({_literal(SEPARATOR)}, transform("
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
            cal = resolve_calendar(calendar)
            span = self._df(q.span(_LOCAL, cal)).iloc[0]
            self._view("days", from_pandas(
                self.spark, working_days(cal, float(span["lo"]), float(span["hi"]))))
        table = self._df(q.follows(_QUANTILE, calendar=cal, local=_LOCAL))
        return finish_follows(table, self._df(q.STARTS), self._df(q.ENDS))
