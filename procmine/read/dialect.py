"""The reading rules in SQL: one load of the ``ev`` view and one time-parsing rule set,
shared by the DuckDB and Spark engines through a :class:`SqlDialect`.

The two SQL dialects differ only in a few function names and literals, which are the
fields of :data:`DUCKDB` and :data:`SPARK`; everything else (which column is which,
trimming, the time formats, the offset pattern, the Chinese-date replacements, levels
and unit kinds, the drop reasons, the order of events) is written once here and follows
:func:`procmine.read.read_log`.

The ``ev`` view has one row per kept event, with the short names of :data:`EV_COLUMNS`
and ``r`` (file row), ``f`` (first row of the case), ``lvl`` (level rank, -1 unknown),
``pa``, ``pt`` (activity and time of the previous event) and ``is_last``.

>>> DUCKDB.chinese_sql("x").count("regexp_replace") == SPARK.chinese_sql("x").count("regexp_replace") - 1
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from procmine.errors import InputError
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
from procmine.read.canonical import (
    kind_table,
    late_starts_note,
    level_table,
    lost_cases_note,
    no_events_error,
    shown_value,
)
from procmine.read.columns import map_columns
from procmine.read.ev_table import ev_sql, in_range, kept, sorted_ev
from procmine.read.readers import RAGGED
from procmine.read.times import (
    CHINESE_DATE,
    OFFSET_PATTERN,
    choose_time_format,
    has_chinese_dates,
    offset_note,
    text_offsets,
)

#: canonical column -> its column in the SQL engines' ``ev`` view
EV_COLUMNS: dict[str, str] = {CASE: "c", ACTIVITY: "a", TIMESTAMP: "t", START: "st",
                              RESOURCE: "res", LEVEL: "lvn", KIND: "knd", CATEGORY: "cat",
                              SOURCE: "src", DEADLINE: "due", CITIZEN: "ctz",
                              ADDRESS: "adr"}

#: The reasons rows are dropped, in the order read_log reports them.
DROP_REASONS = (RAGGED, "no case id", "no activity", "no time", "unparsable time")


def spark_pattern(fmt: str) -> str:
    """A strptime format of :data:`~procmine.read.times.TIME_FORMATS` as a Spark datetime
    pattern (lenient widths).

    >>> spark_pattern("%Y/%m/%d %H:%M"), spark_pattern("%Y%m%d")
    ('yyyy/M/d H:m', 'yyyyMMdd')
    """
    compact = not re.search(r"[^%A-Za-z]", fmt.replace("%", ""))
    table = ({"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss"} if compact
             else {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%M": "m", "%S": "s"})
    out = re.sub(r"%[YmdHMS]", lambda m: table[m.group(0)], fmt)
    return re.sub(r"([^A-Za-z]+)", lambda m: m.group(1).replace("'", "''"), out)


@dataclass(frozen=True)
class SqlDialect:
    """What differs between the SQL engines' reading (templates take ``{x}``, ``{tz}``,
    ``{p}``, ``{r}``, ``{f}``, ``{q}``, ``{us}``)."""

    name: str                      #: the engine, in messages
    text_type: str                 #: the type of text
    instant_type: str              #: the type of an instant (a UTC time)
    instant_kinds: tuple[str, ...]  #: column types that hold instants already
    naive_kinds: tuple[str, ...]   #: prefixes of column types of naive times
    epoch_us: str                  #: microseconds since the epoch of an instant ``{x}``
    local_to_instant: str          #: the instant of naive time ``{x}`` in zone ``{tz}``
    matches: str                   #: ``{x}`` matches the regular expression ``{p}``
    replace_all: str               #: every match of ``{p}`` in ``{x}`` replaced by ``{r}``
    strip_colons: str              #: ``{x}`` without trailing colons
    strptime: str                  #: ``{x}`` parsed with the pattern ``{f}`` (NULL if not)
    quantile: str                  #: the quantile ``{q}`` of ``{x}``
    local: str                     #: local wall-clock seconds of UTC microseconds ``{us}``
    quote_char: str                #: quotes identifiers
    backslash_escapes: bool        #: string literals treat backslash as an escape
    time_pattern: Callable[[str], str]  #: a strptime format in the dialect's pattern language
    row_in_scan: str | None        #: the file row in the source relation ``s``, if it has one
    row_in_parsed: str             #: the file row of the parsed table ``s``
    ev_order: str                  #: how ``ev`` is stored
    #: ``ev`` is built with the case's first row as the sort's key and the text of
    #: few values as ENUM types, stored in case order (DuckDB; see :func:`_sorted_ev`)
    one_sort: bool = False

    def literal(self, text: str) -> str:
        """A string literal."""
        text = str(text)
        if self.backslash_escapes:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def quote(self, name: str) -> str:
        """A quoted identifier."""
        q = self.quote_char
        return q + str(name).replace(q, q + q) + q

    def text(self, column: str | None) -> str:
        """Trimmed text of ``column`` (an SQL expression), empty as NULL."""
        if column is None:
            return f"CAST(NULL AS {self.text_type})"
        return f"nullif(trim(CAST({column} AS {self.text_type})), '')"

    def time_kind(self, sql_type: str) -> str | None:
        """'instant', 'naive' or 'text' for a column type; None for others."""
        if sql_type in self.instant_kinds:
            return "instant"
        if sql_type.startswith(self.naive_kinds):
            return "naive"
        return "text" if sql_type == self.text_type or sql_type == self.text_type.lower() else None

    def chinese_sql(self, text: str) -> str:
        """The Chinese-date rule (:data:`~procmine.read.times.CHINESE_DATE`) on ``text``."""
        for pattern, replacement, regex in CHINESE_DATE:
            p, r = self.literal(pattern), self.literal(replacement)
            text = (self.replace_all.format(x=text, p=p, r=r) if regex
                    else f"replace({text}, {p}, {r})")
        return self.strip_colons.format(x=f"trim({text})")

    def parse_sql(self, column: str, fmt: str, *, timezone: str, chinese: bool) -> str:
        """SQL for the instant of text ``column``: values with an offset as they say, the
        others read in ``timezone`` with ``fmt``; NULL when unparsable."""
        tz = self.literal(timezone)
        text = f"trim({column})"
        if chinese:
            text = self.chinese_sql(text)
        parse = (f"try_cast({text} AS TIMESTAMP)" if fmt == "ISO8601"
                 else self.strptime.format(x=text, f=self.literal(self.time_pattern(fmt))))
        offset = self.matches.format(x=f"trim({column})", p=self.literal(OFFSET_PATTERN))
        return (f"CASE WHEN {offset} THEN try_cast(trim({column}) AS {self.instant_type}) "
                f"ELSE {self.local_to_instant.format(x=parse, tz=tz)} END")


DUCKDB = SqlDialect(
    name="DuckDB", text_type="VARCHAR", instant_type="TIMESTAMPTZ",
    instant_kinds=("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ_NS"), naive_kinds=("TIMESTAMP", "DATE"),
    epoch_us="epoch_us({x})", local_to_instant="timezone({tz}, {x})",
    matches="regexp_matches({x}, {p})", replace_all="regexp_replace({x}, {p}, {r}, 'g')",
    strip_colons="rtrim({x}, ':')", strptime="try_strptime({x}, {f})",
    quantile="quantile_cont({x}, {q})",
    local="epoch_us(timezone({tz}, timezone('UTC', make_timestamp({us})))) / 1e6",
    quote_char='"', backslash_escapes=False, time_pattern=str,
    row_in_scan=None, row_in_parsed="s.rowid", ev_order=" ORDER BY f, t, r", one_sort=True)

SPARK = SqlDialect(
    name="Spark", text_type="STRING", instant_type="TIMESTAMP",
    instant_kinds=("timestamp",), naive_kinds=("timestamp_ntz", "date"),
    epoch_us="unix_micros({x})",
    # Java reads a time the clocks repeat as the earlier one; the later (standard time), as
    # ICU and pandas read it, is the time less the offset of a day after, where that is
    # a reading of it
    local_to_instant=("CASE WHEN from_utc_timestamp({x} - make_interval(0, 0, 0, 0, 0, 0, "
                      "unix_seconds({x} + INTERVAL 1 DAY) - unix_seconds(to_utc_timestamp("
                      "{x} + INTERVAL 1 DAY, {tz}))), {tz}) = {x} THEN {x} - make_interval("
                      "0, 0, 0, 0, 0, 0, unix_seconds({x} + INTERVAL 1 DAY) - unix_seconds("
                      "to_utc_timestamp({x} + INTERVAL 1 DAY, {tz}))) "
                      "ELSE to_utc_timestamp({x}, {tz}) END"),
    matches="{x} RLIKE {p}", replace_all="regexp_replace({x}, {p}, {r})",
    strip_colons="regexp_replace({x}, ':+$', '')", strptime="try_to_timestamp({x}, {f})",
    quantile="percentile({x}, {q})",
    local="unix_micros(from_utc_timestamp(timestamp_micros({us}), {tz})) / 1e6",
    quote_char="`", backslash_escapes=True, time_pattern=spark_pattern,
    row_in_scan="s.__row", row_in_parsed="s.r", ev_order="")


# --------------------------------------------------------------------------- the load


class SqlSession(Protocol):
    """What :func:`load_events` needs of an engine's database."""

    def rows(self, query: str) -> list[Any]:
        """All rows of a query (each indexable by position)."""

    def create(self, name: str, query: str) -> str:
        """Keep the result of ``query`` as a table; returns the name to query it by."""

    def put(self, name: str, frame: pd.DataFrame) -> str:
        """Keep a small pandas table; returns the name to query it by."""

    def drop(self, name: str) -> None:
        """Free a table made by :meth:`create`."""

    def rejected(self) -> int:
        """Rows the reader left out of the source relation (wrong number of fields)."""

    def ragged_examples(self, parsed: str, fields: int) -> list[tuple[int, str, str]]:
        """The first five rows of a wrong number of fields (those of :meth:`rejected`, or
        the parsed table's ``bad`` ones, their text in ``shown``) as read_log quotes
        them (file row, ``*``, :func:`~procmine.read.readers.ragged_said`); ``fields``:
        the header's."""

    def file_rows(self, parsed: str, rows: list[int]) -> list[int]:
        """The file rows, as read_log numbers them, of rows of the parsed table given
        by their ``row_in_parsed``."""


@dataclass(frozen=True)
class LoadedEvents:
    """What loading a source into ``ev`` found (the SQL form of a LoadReport)."""

    ev: str                       #: the name of the ``ev`` table
    header: list[str]             #: the columns of the source
    mapping: dict[str, str]       #: canonical -> source column
    naive: frozenset[str]         #: source columns whose times were read in the log's zone
    due_is_time: bool             #: the deadline column holds times (else text)
    levels: tuple[str, ...]       #: the level names, bottom up
    rows_read: int
    dropped: dict[str, int]       #: rows dropped per reason (of :data:`DROP_REASONS`)
    #: the first five rows dropped per reason, as :attr:`LoadReport.examples` holds them
    examples: Mapping[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()   #: lines for the load report
    cases_lost: int = 0           #: cases all of whose events were dropped


def load_events(dialect: SqlDialect, session: SqlSession, relation: str,
                types: Mapping[str, str], *, columns: Mapping[str, str], timezone: str,
                levels: Sequence[str] | None, where: str,
                ragged_column: str | None = None) -> LoadedEvents:
    """Read ``relation`` (source columns with their SQL ``types``) into the ``ev`` table with
    read_log's rules: column mapping, trimmed text, times, drops, levels and unit kinds.

    ``where`` names the source in messages; ``ragged_column`` is a column of the
    relation set on rows with a wrong number of fields.
    """
    header = list(types)
    mapping = map_columns(header, columns, path=where)
    notes: list[str] = []
    # read_log's rule for a deadline column found by its header: checked on the source,
    # or (one_sort) on the parsed table, which then carries the deadline's text
    check = DEADLINE in mapping and "deadline" not in columns
    if check and not dialect.one_sort:
        note = _event_deadline(dialect, session, relation, mapping)
        if note:
            del mapping[DEADLINE]
            notes.append(note)
    chosen = {canonical: column for canonical, column in mapping.items() if canonical in EV_COLUMNS}
    times = _TimeColumns(dialect, session, relation, types, chosen, timezone=timezone,
                         where=where)
    bad = f"s.{dialect.quote(ragged_column)} IS NOT NULL" if ragged_column else "false"
    parsed = session.create("parsed", _parsed_sql(dialect, relation, chosen, times, bad,
                                                  deadline_text=check, ragged=ragged_column))
    if check and dialect.one_sort:
        note = _event_deadline(dialect, session, parsed, mapping, parsed=True)
        if note:
            del mapping[DEADLINE], chosen[DEADLINE]
            times.due_is_time = False
            notes.append(note)
    note = offset_note(times.offsets, timezone)
    if note:
        notes.append(note)
    counts = session.rows(_COUNTS.format(parsed=parsed, ok=in_range(dialect, "ts")))[0]
    rejected = session.rejected()
    examples = _drop_examples(dialect, session, parsed, chosen) if any(counts[1:5]) else {}
    if rejected or counts[0]:
        examples = {RAGGED: session.ragged_examples(parsed, len(header)), **examples}
    if START in chosen:
        late = session.rows(f"SELECT count(*) FROM {parsed} s WHERE {kept(dialect)} AND "
                            f"s.st > {dialect.epoch_us.format(x='s.ts')}")[0][0]
        if late:
            notes.append(late_starts_note(int(late), chosen[START]))
    level_rows, level_names = level_table(levels)
    build = sorted_ev if dialect.one_sort else ev_sql
    ev = build(dialect, session, parsed, chosen, exact=bool(levels),
               levels=session.put("levels", level_rows), kinds=session.put("kinds", kind_table()))
    rows_read = int(counts[5]) + rejected
    if session.rows(f"SELECT count(*) FROM {ev}")[0][0] == 0:
        raise no_events_error(where, rows_read)
    lost = _lost_cases(dialect, session, parsed) if any(counts[1:5]) else None
    if lost:
        notes.append(lost_cases_note(*lost))
    session.drop(parsed)
    found = ((counts[0] or 0) + rejected, *counts[1:5])
    return LoadedEvents(ev=ev, header=header, mapping=dict(mapping), naive=frozenset(times.naive),
                        due_is_time=times.due_is_time, levels=level_names, rows_read=rows_read,
                        dropped={k: int(v) for k, v in zip(DROP_REASONS, found, strict=True) if v},
                        examples=examples, notes=tuple(notes), cases_lost=lost[0] if lost else 0)


def _drop_examples(d: SqlDialect, session: SqlSession, parsed: str,
                   chosen: Mapping[str, str]) -> dict[str, list[tuple[int, str, str]]]:
    """read_log's examples of the rows dropped for each reason of the parsed table: the
    first five in file order, with the file row, the column and the value it quotes (a
    case or activity missing as ``(empty)``, blank as ``''``; a time that is no time as
    it was read), from one scan of the parsed table and a sort of its dropped rows."""
    reason = ("CASE WHEN s.c IS NULL THEN 1 WHEN s.a IS NULL THEN 2 WHEN s.no_time THEN 3 "
              f"WHEN NOT {in_range(d, 's.ts')} THEN 4 END")
    found = session.rows(
        f"SELECT k, r, shown FROM (SELECT k, r, shown, row_number() OVER (PARTITION BY k "
        f"ORDER BY r) AS n FROM (SELECT {reason} AS k, {d.row_in_parsed} AS r, s.shown "
        f"FROM {parsed} s WHERE NOT s.bad) x WHERE k IS NOT NULL) y WHERE n <= 5 ORDER BY k, r")
    rows = session.file_rows(parsed, [int(row[1]) for row in found])
    columns = {1: chosen[CASE], 2: chosen[ACTIVITY], 3: chosen[TIMESTAMP], 4: chosen[TIMESTAMP]}
    examples: dict[str, list[tuple[int, str, str]]] = {}
    for (k, _, shown), row in zip(found, rows, strict=True):
        examples.setdefault(DROP_REASONS[k], []).append((row, columns[k], shown_value(shown)))
    return examples


def _lost_cases(d: SqlDialect, session: SqlSession, parsed: str) -> tuple[int, Any] | None:
    """read_log's count of cases none of whose events is kept, and the first of them in
    file order (None when no case is lost). Ragged rows belong to no case, as in read_log."""
    kept = f"s.a IS NOT NULL AND {in_range(d, 's.ts')}"
    row = session.rows(
        f"SELECT count(*), min_by(c, fr) FROM (SELECT s.c AS c, min({d.row_in_parsed}) AS fr, "
        f"max(CASE WHEN {kept} THEN 1 ELSE 0 END) AS k FROM {parsed} s "
        f"WHERE NOT s.bad AND s.c IS NOT NULL GROUP BY s.c) g WHERE k = 0")[0]
    return (int(row[0]), row[1]) if row[0] else None


def _event_deadline(d: SqlDialect, session: SqlSession, relation: str,
                    mapping: Mapping[str, str], *, parsed: bool = False) -> str:
    """read_log's rule: a deadline column found by its header is the case deadline only
    when constant within each case; else the load report's line (empty when it is).

    ``relation`` is the source, or with ``parsed`` the parsed table (its ``c`` and the
    deadline's text ``dv``)."""
    from procmine.read.deadline import DeadlineColumnCheck

    case, due = (("s.c", "s.dv") if parsed
                 else (d.text(f"s.{d.quote(mapping[k])}") for k in (CASE, DEADLINE)))
    row = session.rows(
        f"SELECT count(*), sum(CASE WHEN n > 1 THEN 1 ELSE 0 END), sum(k), sum(e) FROM "
        f"(SELECT count(DISTINCT v) + max(CASE WHEN v IS NULL THEN 1 ELSE 0 END) AS n, "
        f"count(v) AS k, count(*) AS e FROM (SELECT {case} AS c, {due} AS v FROM {relation} s) "
        f"t WHERE c IS NOT NULL GROUP BY c) g")[0]
    cases, varying, carried, events = (int(x or 0) for x in row)
    check = DeadlineColumnCheck(mapping[DEADLINE], cases, varying, carried / max(events, 1))
    return check.message()


class _TimeColumns:
    """The SQL of the time, start and deadline columns (a deadline of no times is text)."""

    def __init__(self, dialect: SqlDialect, session: SqlSession, relation: str,
                 types: Mapping[str, str], chosen: Mapping[str, str], *, timezone: str,
                 where: str):
        self.dialect, self.session, self.relation = dialect, session, relation
        self.types, self.timezone, self.where = types, timezone, where
        self.naive: set[str] = set()
        #: the UTC offsets of a sample of the time column's text (read_log's note on them)
        self.offsets: set[str] = set()
        self.time = self.instant(chosen[TIMESTAMP], offsets=True)
        self.start = "CAST(NULL AS BIGINT)"
        if START in chosen:
            self.start = dialect.epoch_us.format(x=self.instant(chosen[START]))
        self.due = "CAST(NULL AS BIGINT)"
        self.due_is_time = False
        if DEADLINE in chosen:
            try:
                self.due = dialect.epoch_us.format(x=self.instant(chosen[DEADLINE]))
                self.due_is_time = True
            except InputError:  # read_log keeps a deadline column of no times as text
                self.due = dialect.text(f"s.{dialect.quote(chosen[DEADLINE])}")

    def instant(self, name: str, *, offsets: bool = False) -> str:
        """SQL turning source column ``name`` into an instant (NULL if unparsable); with
        ``offsets``, the offsets of its text's sample kept in :attr:`offsets`."""
        d = self.dialect
        column = f"s.{d.quote(name)}"
        sql_type = self.types[name]
        kind = d.time_kind(sql_type)
        if kind == "instant":     # (a cast: nanoseconds, TIMESTAMPTZ_NS, become microseconds)
            return f"CAST({column} AS {d.instant_type})"
        if kind == "naive":
            self.naive.add(name)
            return d.local_to_instant.format(x=f"CAST({column} AS TIMESTAMP)",
                                             tz=d.literal(self.timezone))
        if kind is None:
            raise InputError(f"{self.where}: column {name!r} holds {sql_type} values, not "
                             f"times {d.name} can read", hint="use engine='pandas'")
        rows = self.session.rows(f"SELECT trim({column}) AS v FROM {self.relation} s WHERE "
                                 f"{column} IS NOT NULL AND trim({column}) <> '' LIMIT 2000")
        sample = pd.Series([row[0] for row in rows], dtype=object)
        if offsets:
            self.offsets = text_offsets(sample)
        naive = sample[~sample.str.contains(OFFSET_PATTERN, regex=True)] if len(sample) else sample
        fmt = choose_time_format(naive, timezone=self.timezone,
                                 what=f"{self.where}: column {name!r}")
        if len(naive):
            self.naive.add(name)
        return d.parse_sql(column, fmt, timezone=self.timezone,
                           chinese=has_chinese_dates(naive))


def _parsed_sql(d: SqlDialect, relation: str, chosen: Mapping[str, str], times: _TimeColumns,
                bad: str, *, deadline_text: bool = False, ragged: str | None = None) -> str:
    """One pass over the source: text trimmed, times parsed (once: time zones are costly);
    with ``deadline_text``, the deadline's text too (``dv``, for :func:`_event_deadline`).

    ``shown`` is the value a dropped row's example quotes (:func:`_drop_examples`), NULL
    on the other rows: a blank case id or activity as ``''`` (missing ones stay NULL),
    a time that is no time as it was read (the raw text of the other rows is not kept),
    a row of the ``ragged`` column its text.
    """

    def text(canonical: str) -> str:
        return d.text(f"s.{d.quote(chosen[canonical])}" if canonical in chosen else None)

    def given(canonical: str) -> str:   # '' when the column holds a value, NULL when not
        return f"CASE WHEN s.{d.quote(chosen[canonical])} IS NOT NULL THEN '' END"

    if deadline_text and d.one_sort:
        bad = f"{bad} AS bad, {text(DEADLINE)} AS dv"
    else:
        bad = f"{bad} AS bad"

    row = f"{d.row_in_scan} AS r, " if d.row_in_scan else ""
    columns = (f"{'r, ' if row else ''}c, a, no_time, ts, st, res, lvn, knd, cat, src, due, ctz, adr, bad"
               + (", dv" if deadline_text and d.one_sort else ""))
    shown = (f"CASE WHEN bad THEN g_read WHEN c IS NULL THEN c_given WHEN a IS NULL THEN a_given "
             f"WHEN no_time THEN NULL WHEN NOT {in_range(d, 'ts')} THEN CAST(t_read AS {d.text_type}) END AS shown")
    return (f"SELECT {columns}, {shown} FROM ("
            f"SELECT {row}{text(CASE)} AS c, {text(ACTIVITY)} AS a, "
            f"{text(TIMESTAMP)} IS NULL AS no_time, {times.time} AS ts, {times.start} AS st, "
            f"{text(RESOURCE)} AS res, {text(LEVEL)} AS lvn, {text(KIND)} AS knd, "
            f"{text(CATEGORY)} AS cat, {text(SOURCE)} AS src, {times.due} AS due, "
            f"{text(CITIZEN)} AS ctz, {text(ADDRESS)} AS adr, {bad}, "
            f"{given(CASE)} AS c_given, {given(ACTIVITY)} AS a_given, "
            f"s.{d.quote(chosen[TIMESTAMP])} AS t_read, "   # (made text where it is shown)
            f"{d.text(None) if ragged is None else f's.{d.quote(ragged)}'} AS g_read "
            f"FROM {relation} s) s")


#: Rows of the parsed table: ragged, then dropped per reason in order, then all.
_COUNTS = (
    "SELECT sum(CASE WHEN bad THEN 1 ELSE 0 END) AS g, "
    "sum(CASE WHEN NOT bad AND c IS NULL THEN 1 ELSE 0 END) AS a, "
    "sum(CASE WHEN NOT bad AND c IS NOT NULL AND a IS NULL THEN 1 ELSE 0 END) AS b, "
    "sum(CASE WHEN NOT bad AND c IS NOT NULL AND a IS NOT NULL AND no_time THEN 1 ELSE 0 END) AS d, "
    "sum(CASE WHEN NOT bad AND c IS NOT NULL AND a IS NOT NULL AND NOT no_time AND NOT {ok} "
    "THEN 1 ELSE 0 END) AS e, count(*) AS n FROM {parsed}")
