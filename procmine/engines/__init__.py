"""Engines: the same abstractions computed in memory (pandas), out of core (DuckDB) or on Spark.

Every engine reads a *source* (a CSV or Parquet file, an ``EventLog`` already in
memory, or for Spark a table name) with procmine's column mapping and timestamp
rules, and answers the same questions with the same result objects:

- :meth:`Engine.totals`: events, cases, activities, units, first and last time;
- :meth:`Engine.variants`: a :class:`~procmine.abstractions.Variants`;
- :meth:`Engine.follows`: a :class:`~procmine.abstractions.Follows`, the time
  between the two events in clock time or in working time (a calendar);
- :meth:`Engine.cases`: the case table of :func:`procmine.abstractions.cases`;
- :meth:`Engine.event_logs`: the events in parts of whole cases, for the per-event
  passes of the analyses (loops, bottlenecks, conformance), collected part by part
  through :mod:`procmine.engines.collector`.

Discovery and conformance then run in process on the variant table, whatever
the engine. :func:`get_engine` opens one; :func:`choose_engine` is ``--engine
auto``: pandas when the input fits comfortably in memory, DuckDB otherwise.

>>> from procmine.engines import get_engine
>>> with get_engine("duckdb", "logs/sample.csv", memory_limit="1GiB") as engine:
...     engine.totals().cases, int(engine.variants().table["cases"].iloc[0])
(3000, 865)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from procmine.choices import ENGINES, EngineName
from procmine.engines.shared import CASE_COLUMNS as CASE_COLUMNS
from procmine.engines.shared import FOLLOW_COLUMNS as FOLLOW_COLUMNS
from procmine.engines.shared import SEPARATOR as SEPARATOR
from procmine.engines.shared import case_columns as case_columns
from procmine.engines.shared import checked_case_columns as checked_case_columns
from procmine.engines.shared import finish_follows as finish_follows
from procmine.engines.shared import position_sql as position_sql
from procmine.engines.shared import rank_variants as rank_variants
from procmine.engines.shared import resolve_calendar as resolve_calendar
from procmine.engines.shared import working_days as working_days
from procmine.engines.sizes import _available_memory
from procmine.engines.sizes import human_size as human_size
from procmine.engines.sizes import memory_limit_bytes as memory_limit_bytes
from procmine.engines.sizes import parse_memory_limit as parse_memory_limit
from procmine.engines.sizes import peak_memory as peak_memory
from procmine.errors import ProcmineError, SpecError, check_choice
from procmine.read import file_kind

if TYPE_CHECKING:
    from procmine.abstractions import Follows, Variants
    from procmine.log import EventLog

TimeBasis = Literal["clock", "working"]

@dataclass(frozen=True)
class Source:
    """Where the events come from and how to read them (the options of ``read_log``).

    ``path`` is a CSV (also .tsv, .csv.gz) or Parquet file; ``table`` a table
    name (Spark only); ``log`` an ``EventLog`` already read (pandas only).
    ``columns`` maps ``case_id``, ``activity``, ``timestamp``, ... to column
    names as in :func:`procmine.read.read_log`; naive times are read in ``timezone``.
    """

    path: str | None = None
    table: str | None = None
    log: Any = None
    columns: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None
    timezone: str = "Asia/Shanghai"
    levels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        from procmine.read import check_timezone
        from procmine.read.canonical import check_levels

        check_timezone(self.timezone)   # before an engine reads a time in an unknown zone
        if self.levels:
            object.__setattr__(self, "levels", check_levels(self.levels))

    @property
    def name(self) -> str:
        return self.path or self.table or "(log in memory)"


def as_engine(log: Any) -> Engine:
    """The engine an analysis works on: an open :class:`Engine` as it is, and a log
    in memory (an ``EventLog``) wrapped in the pandas engine.

    This is the one place in procmine that asks which kind of log it was given;
    every analysis starts with ``engine = as_engine(log)`` and then uses the
    engine's tables only. The pandas engine of a log is made once and kept with
    the log, so the analyses of one log share its variant table.

    >>> from procmine.read import read_log
    >>> log = read_log("tests/fixtures/orders16.csv")
    >>> as_engine(log).name, as_engine(log) is as_engine(log)
    ('pandas', True)
    """
    if isinstance(log, Engine):
        return log
    from procmine.log import EventLog

    if not isinstance(log, EventLog):
        raise ProcmineError(f"expected an EventLog or an open engine, not {type(log).__name__}",
                            hint="read the log with procmine.read_log or open an engine "
                                 "with procmine.engines.get_engine")
    engine = log.__dict__.get("_engine")
    if engine is None or engine._log is not log:
        from procmine.engines.pandas_engine import PandasEngine

        engine = PandasEngine(Source(log=log, timezone=log.timezone, levels=log.levels))
        log.__dict__["_engine"] = engine
    return engine


@dataclass(frozen=True)
class Totals:
    """Headline counts of a log as an engine read it.

    ``dropped`` counts the rows left out per reason (the reasons of ``read_log``);
    ``examples`` are the first of them per reason, as ``LoadReport.examples`` holds
    them, and ``format`` the source's (``csv``, ``parquet``, ...), which names its rows
    (not compared: the same log read from another format has the same totals).
    """

    events: int
    cases: int
    activities: int
    units: int | None
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    rows_read: int
    dropped: dict[str, int]
    examples: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    format: str | None = field(default=None, compare=False)   # (the same log, any source)


@dataclass(frozen=True)
class Choice:
    """The engine ``--engine auto`` picked, and why (one line for stderr)."""

    name: str
    reason: str


class Engine:
    """The interface every engine implements. Use :func:`get_engine` to open one.

    An engine is a context manager; :meth:`close` frees its resources (DuckDB's
    temporary tables and spill files; Spark's cached frames).
    """

    name: str = "engine"
    #: DuckDB's memory limit, also the budget of the analyses that run part by part
    memory_limit: str | None = None
    #: Where temporary files go (None: the system's temporary folder)
    temp_directory: str | None = None
    #: Called as ``progress(events done, events in all)`` after each part of ``event_logs``
    progress: Any = None
    #: Bytes the caller holds outside the engine (:meth:`hold_outside`; DuckDB's only)
    _held_outside: int = 0

    def __init__(self, source: Source):
        self.source = source

    def collector(self) -> Any:
        """The :class:`procmine.engines.collector.Collector` of part-by-part work: a
        ``DuckDBCollector`` on disk, within this engine's budget."""
        from procmine.engines.collector import DuckDBCollector

        return DuckDBCollector(memory_limit=self.memory_limit, temp_directory=self.temp_directory)

    def part_events(self, part_events: int | None = None) -> int:
        """Events per part of :meth:`event_logs` for part-by-part work: ``part_events``
        when given, else as many as this engine's ``memory_limit`` allows, less what the
        caller holds outside the engine (:meth:`hold_outside`; the parts are sized from
        at least ``collector.MIN_PART_SHARE`` of the limit)."""
        from procmine.engines.collector import part_events as events_per_part

        budget = self.memory_limit
        if budget and self._held_outside:   # what the caller holds shrinks the parts too
            from procmine.engines.collector import MIN_PART_SHARE

            limit = parse_memory_limit(budget)
            budget = f"{max(limit - self._held_outside, int(limit * MIN_PART_SHARE))}B"
        return part_events or events_per_part(budget)

    def hold_outside(self, nbytes: int) -> None:
        """Count ``nbytes`` the caller keeps in Python (results it holds across analyses)
        against :attr:`memory_limit`: the engine's own share shrinks by them (DuckDB:
        down to a floor, see ``duckdb_engine.MIN_SHARE``); 0 gives the share back. The
        pandas and Spark engines keep nothing of the budget for themselves: no-op."""

    @property
    def time_from_order(self) -> bool:
        """True when the log has no times and the order of its events stands for them
        (``read_log(..., order_as_time=True)``; the pandas engine only)."""
        return False

    def require_times(self, what: str) -> None:
        """Raise InputError when :attr:`time_from_order`: ``what`` measures time.

        >>> from procmine.read import read_log
        >>> as_engine(read_log("tests/fixtures/orders16.csv")).require_times("bottlenecks")
        """
        if self.time_from_order:
            from procmine.errors import InputError

            raise InputError(f"{what} measures time, and this log has none: the order of its "
                             "events stands for time (order_as_time=True)",
                             hint="use a log with timestamps; variants, map, discover and "
                                  "conform need none")

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Free the engine's resources (the engine cannot be used afterwards)."""

    def narrowed(self, selection: Any) -> Engine:
        """An engine over the events a filter keeps (a ``procmine.filters.Selection``:
        kept case ids and an event rule). The pandas engine returns a new engine on a
        new log; DuckDB and Spark narrow their own event table and return themselves.
        Used by :func:`procmine.filters.apply_filters`."""
        raise NotImplementedError

    def totals(self) -> Totals:
        """Events, cases, activities, units, first and last time, rows read and dropped."""
        raise NotImplementedError

    def variants(self) -> Variants:
        """The variant table, as :func:`procmine.abstractions.variants` computes it."""
        raise NotImplementedError

    def follows(self, *, time: TimeBasis = "clock", calendar: Any = "cn") -> Follows:
        """The directly-follows table with time statistics (seconds) per pair.

        The time of a pair is from the completion of the first event to the
        completion of the second, in clock time or (``time="working"``) in the
        working time of ``calendar`` (a ``WorkingCalendar``, or an option of
        ``procmine.calendar.calendar_from_option``: ``"cn"``, ``"none"``).
        """
        raise NotImplementedError

    def cases(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """One row per case, as :func:`procmine.abstractions.cases` computes it.

        ``columns`` (names of :data:`CASE_COLUMNS`): only these, in the table's order
        (those the log lacks left out), made without the others; an engine that keeps
        its case table (DuckDB, Spark) takes them from it when it has one, else makes
        them for the caller and keeps nothing (the report reads the case starts, the
        variants' durations and the page's columns so, never holding the whole table)."""
        raise NotImplementedError

    def release_cases(self) -> None:
        """Forget the table :meth:`cases` keeps (an engine that keeps one makes it again
        when next asked): for a caller that has taken what it needs of it (the report's
        page, under a memory limit). The pandas engine keeps none: no-op."""

    def release_buffers(self) -> None:
        """Give back what the engine keeps cached of its tables (DuckDB's buffer pool, which
        fills up to the engine's share of the memory limit as the log is read), for a caller
        about to work on what it has read: the audit after its parts, each stage of the
        report. The next query reads the database file again. Other engines: no-op."""

    def activities(self) -> pd.DataFrame:
        """Per activity (sorted by name): ``activity``, ``count`` (events), ``cases``."""
        raise NotImplementedError

    def group_counts(self, column: str) -> pd.DataFrame:
        """Events per activity and unit (``org:resource``) or level (``org:level``):
        ``activity``, ``value``, ``n``; only known values, sorted by activity and value.
        An empty table when the log has no such column."""
        raise NotImplementedError

    def events_per_case(self) -> dict[str, float]:
        """``min``, ``median`` and ``max`` events per case."""
        per_case = self.cases()["events"]
        return {"min": int(per_case.min()), "median": float(per_case.median()),
                "max": int(per_case.max())}

    def cases_by(self, column: str) -> pd.Series:
        """Cases per value of a case attribute (``case:category``, ``case:source``), as
        the first event of each case has it; no row for missing values."""
        from procmine.log import CATEGORY, SOURCE

        name = {CATEGORY: "category", SOURCE: "source"}[column]
        table = self.cases()
        return table[name].value_counts() if name in table else pd.Series(dtype="int64")

    @property
    def mapping(self) -> dict[str, str]:
        """The source's column read as each canonical column (``load_report().mapping``,
        without counting anything)."""
        return dict(self.load_report().mapping)

    def load_report(self) -> Any:
        """What reading the source did, as a :class:`procmine.log.LoadReport` (rows read,
        kept and dropped per reason, the column mapping, duplicates)."""
        raise NotImplementedError

    def read_notes(self) -> list[str]:
        """What reading the source changed or lost (cases, mended bytes), as notes: the
        load report's notes (an engine that notes more there says which are these)."""
        return list(self.load_report().notes)

    @property
    def attributes(self) -> list[str]:
        """Columns of the source beyond the mapped ones (as ``EventLog.attributes``)."""
        raise NotImplementedError

    @property
    def levels(self) -> tuple[str, ...]:
        """The administrative levels of the log, bottom up (as ``EventLog.levels``)."""
        raise NotImplementedError

    def has(self, column: str) -> bool:
        """True when the log maps the canonical ``column`` (as ``EventLog.has``)."""
        raise NotImplementedError

    def event_logs(self, *, max_events: int = 1_000_000) -> Iterator[EventLog]:
        """The log in parts of whole cases, about ``max_events`` events each, in case order.

        Each part is an ``EventLog`` as ``read_log`` gives it: the canonical
        columns that are mapped (other attributes are not carried), events sorted by
        case (first appearance), time and file row. The parts laid end to end are
        the events of ``read_log`` in its order. Per-case analyses (the loop
        patterns, deadlines) run part by part on logs larger than memory.
        """
        raise NotImplementedError


# --------------------------------------------------------------------------- choosing


def get_engine(name: EngineName | str, source: Source | str | os.PathLike | EventLog, *,
               memory_limit: str | None = None, temp_directory: str | None = None,
               spark: Any = None, **read_options: Any) -> Engine:
    """Open the engine ``name`` on ``source`` (a path, an EventLog, or a :class:`Source`).

    ``read_options`` are those of :class:`Source` (``columns``, ``encoding``,
    ``timezone``, ``levels``). ``memory_limit`` (e.g. ``"4GiB"``) and
    ``temp_directory`` (where DuckDB spills) apply to DuckDB; ``spark`` is an
    existing ``SparkSession`` (by default one is got or created, local mode).
    ``"auto"`` picks with :func:`choose_engine`.

    >>> engine = get_engine("pandas", "tests/fixtures/orders16.csv")
    >>> engine.totals().cases
    3
    """
    src = _as_source(source, read_options)
    if name == "auto":
        name = choose_engine(src, memory_limit=memory_limit).name
    if name == "pandas":
        from procmine.engines.pandas_engine import PandasEngine

        return PandasEngine(src)
    if name == "duckdb":
        from procmine.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine(src, memory_limit=memory_limit, temp_directory=temp_directory)
    if name == "spark":
        from procmine.engines.spark_engine import SparkEngine

        return SparkEngine(src, spark=spark)
    check_choice("engine", name, ENGINES)
    raise AssertionError(name)  # every choice is handled above


def _as_source(source: Any, options: Mapping[str, Any]) -> Source:
    from procmine.log import EventLog

    if isinstance(source, Source):
        if options:
            raise SpecError("give the reading options in the Source, not beside it")
        return source
    levels = options.get("levels")
    common = {
        "columns": {k: v for k, v in (options.get("columns") or {}).items() if v},
        "encoding": options.get("encoding"),
        "timezone": "Asia/Shanghai" if options.get("timezone") is None else options["timezone"],
        "levels": tuple(levels) if levels else None,
    }
    unknown = set(options) - {"columns", "encoding", "timezone", "levels"}
    if unknown:
        raise SpecError(f"unknown reading option(s): {', '.join(sorted(unknown))}")
    if isinstance(source, EventLog):
        return Source(log=source, **{**common, "timezone": source.timezone})
    return Source(path=str(source), **common)


#: Bytes in memory (pandas, object strings) per byte of file, measured on the simulated logs.
_GROWTH = {"csv": 6.0, "csv.gz": 30.0, "parquet": 15.0}


def choose_engine(source: Source | str | os.PathLike, *, memory_limit: str | None = None,
                  available: int | None = None) -> Choice:
    """``--engine auto``: pandas when the log fits in memory with room to spare, else DuckDB.

    The in-memory size is estimated from the file size (about 6 bytes per byte
    of CSV, 15 per byte of Parquet, 30 per byte of gzipped CSV); pandas is chosen
    when that is under a third of ``memory_limit`` (or of the available memory).
    Formats DuckDB does not read (Excel, XES) and logs already in memory stay with
    pandas; a table name goes to Spark.

    >>> choose_engine("tests/fixtures/orders16.csv").name
    'pandas'
    """
    src = source if isinstance(source, Source) else Source(path=str(source))
    if src.log is not None:
        return Choice("pandas", "the log is already in memory")
    if src.path is None:
        return Choice("spark", f"{src.table} is a table name")
    kind = file_kind(src.path)
    if kind is None:
        return Choice("pandas", "DuckDB reads CSV and Parquet only")
    budget = parse_memory_limit(memory_limit) if memory_limit else (available or _available_memory())
    size = os.path.getsize(src.path) if os.path.exists(src.path) else 0
    estimate = size * _GROWTH[kind]
    if estimate < budget / 3:
        return Choice("pandas", f"{human_size(size)} {kind} ≈ {human_size(estimate)} in memory, "
                                f"under a third of {human_size(budget)}")
    return Choice("duckdb", f"{human_size(size)} {kind} ≈ {human_size(estimate)} in memory, "
                            f"over a third of {human_size(budget)}: out of core with DuckDB")


def engine_from_options(path: str, options: Mapping[str, Any], *, engine: str = "auto",
                        memory_limit: str | None = None) -> tuple[Engine, Choice]:
    # (reading options the engines do not have, --sheet and --strict, are the CLI's to refuse)
    """Open an engine with the CLI's reading options (``pop_log_options``); for the commands.

    Returns the engine and the choice to report on stderr.

    >>> engine, choice = engine_from_options("tests/fixtures/orders16.csv", {}, engine="auto")
    >>> engine.name, choice.reason.startswith("1.3 KiB csv ≈ 7.8 KiB in memory, under a third of")
    ('pandas', True)
    """
    columns = {k: options.get(k) for k in ("case_id", "activity", "timestamp", "start_timestamp",
                                           "resource", "level", "kind", "category", "source",
                                           "deadline", "citizen", "address")}
    levels = options.get("levels")
    source = Source(path=path, columns={k: v for k, v in columns.items() if v},
                    encoding=options.get("encoding"),
                    timezone="Asia/Shanghai" if options.get("timezone") is None else options["timezone"],
                    levels=tuple(x.strip() for x in levels.split(",")) if levels else None)
    if engine == "auto":
        choice = choose_engine(source, memory_limit=memory_limit)
    else:
        choice = Choice(engine, "chosen with --engine")
    return get_engine(choice.name, source, memory_limit=memory_limit), choice
