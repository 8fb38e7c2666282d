"""What the SQL engines (DuckDB, Spark) share: the load of ``ev`` through their
:class:`~procmine.read.SqlDialect`, and every abstraction from SQL results
(:mod:`procmine.engines.sql`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.engines import CASE_COLUMNS, Engine, Totals, case_columns, checked_case_columns
from procmine.errors import ProcmineError
from procmine.log import CATEGORY, DEADLINE, SOURCE
from procmine.read import EV_COLUMNS, LoadedEvents, SqlDialect

if TYPE_CHECKING:
    from procmine.abstractions import Variants
    from procmine.log import EventLog

#: Missing microseconds while converting (never a real time: year -292,000)
_NAT_US = np.iinfo(np.int64).min // 1000


class SqlEngine(Engine):
    """What the SQL engines (DuckDB, Spark) share: the load of ``ev`` through their
    :class:`~procmine.read.SqlDialect`, and totals, variants, cases, ... from their SQL results.

    Subclasses provide ``_df(query)`` and ``_load()``, which calls :meth:`_take` with
    what :func:`procmine.read.load_events` found.
    """

    dialect: SqlDialect

    @property
    def quantile(self) -> str:
        """The dialect's quantile template (``{x}``, ``{q}``)."""
        return self.dialect.quantile

    def _take(self, loaded: LoadedEvents) -> None:
        """Keep what loading found: mapping, levels, rows read and dropped, time facts."""
        self._loaded_events = loaded
        self._header, self._mapping = list(loaded.header), dict(loaded.mapping)
        self._chosen = {c for c in loaded.mapping if c in EV_COLUMNS}
        self._naive = set(loaded.naive)
        self._due_is_time = loaded.due_is_time
        self._levels = loaded.levels
        self._rows_read = loaded.rows_read
        self._dropped = dict(loaded.dropped)

    def narrowed(self, selection: Any) -> SqlEngine:
        from procmine.engines import sql as q

        self._load()
        conditions = []
        if selection.cases is not None:
            kept = self._put_cases(pd.DataFrame({"c": pd.Series(
                selection.cases.to_numpy(dtype=object), dtype=object).astype(str)}))
            conditions.append(f"c IN (SELECT c FROM {kept})")
        if selection.events is not None:
            conditions.append(selection.events.where(self.dialect.literal))
        if conditions:
            self._replace_ev(q.narrowed(" AND ".join(conditions), self.dialect.ev_order))
            self._variants = None
            self._cases = None
            self._totals = None
            self._present = None
        return self

    def _batches(self, query: str) -> Iterator[pd.DataFrame]:
        """The rows of ``query`` as DataFrames of about :data:`CASE_BATCH` rows, as ``_df``
        gives them (at least one, empty when there are no rows). Here: the whole result
        at once (Spark; DuckDB streams it)."""
        yield self._df(query)

    def _put_cases(self, frame: pd.DataFrame) -> str:
        """Put the kept case ids (column ``c``) where SQL can read them; the table's name."""
        raise NotImplementedError

    def _replace_ev(self, query: str) -> None:
        """Make the events of ``query`` (over ``ev``) the engine's ``ev``."""
        raise NotImplementedError

    def totals(self) -> Totals:
        """The totals (one pass over the events, kept until the events are narrowed)."""
        if getattr(self, "_totals", None) is None:
            self._totals = self._count_totals()
        return self._totals

    def _count_totals(self) -> Totals:
        from procmine.engines import sql as q
        from procmine.log import RESOURCE

        row = self._df(q.TOTALS).iloc[0]
        return Totals(events=int(row["events"]), cases=int(row["cases"]),
                      activities=int(row["activities"]),
                      units=int(row["units"]) if RESOURCE in self._chosen else None,
                      first=self._stamp(row["first"]), last=self._stamp(row["last"]),
                      rows_read=int(self._rows_read), dropped=dict(self._dropped),
                      examples=dict(self._loaded_events.examples),
                      format=getattr(self, "_facts", {}).get("format"))

    def _stamp(self, us: Any) -> pd.Timestamp | None:
        """A microsecond epoch from SQL as a timestamp in the log's zone."""
        if us is None or pd.isna(us):
            return None
        return pd.Timestamp(int(us), unit="us", tz="UTC").tz_convert(self.source.timezone)

    def cases(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        if getattr(self, "_cases", None) is not None:
            # copy on write: the caller's changes stay its own
            return case_columns(self._cases.copy(deep=False), columns)
        if columns is not None:
            return self._case_table(checked_case_columns(columns))   # the caller's, not kept
        self._cases = self._case_table(set(CASE_COLUMNS))
        return self._cases.copy(deep=False)

    def _case_table(self, wanted: set[str]) -> pd.DataFrame:
        """The case table with the columns ``wanted`` that the log has, read in batches of
        :data:`CASE_BATCH` cases (:meth:`_case_rows`) and laid end to end column by column:
        making it holds the table, one batch of the rows and one column's pieces (the rows
        read whole, their text as Python strings, held about twice the table's 104 bytes a
        case more)."""
        self._load()
        wanted = {name for name in wanted if name not in _FIRST or _FIRST[name] in self._chosen}
        short = {_SHORT[name] for name in wanted if name in _SHORT}
        short |= {"start", "stop"} if "duration" in wanted else set()
        short |= {"variant"} & wanted
        pieces: dict[str, list[Any]] = {}
        for batch in self._case_rows(short):
            for name, values in self._case_piece(batch, wanted).items():
                pieces.setdefault(name, []).append(values)
        columns = {name: _laid_end_to_end(pieces.pop(name)) for name in CASE_COLUMNS
                   if name in pieces}
        variant = columns.get("variant")
        if "variant" in wanted and (variant is None or variant.dtype != np.int64):
            columns["variant"] = self._variant_of_cases(columns["case"])   # or a case not seen
        out = pd.DataFrame(index=pd.RangeIndex(len(columns["case"])))
        for name in CASE_COLUMNS:
            if name in wanted:
                out[name] = (_text(columns.pop(name)) if name in _TEXT or (
                    name == "deadline" and not self._due_is_time) else columns.pop(name))
        return out

    def _case_rows(self, short: set[str]) -> Iterator[pd.DataFrame]:
        """One row per case in case order, in batches (:meth:`_batches`): the case id ``c``
        and the columns ``short`` of :func:`procmine.engines.sql.cases`; ``variant`` too
        when asked and the engine has each case's variant at hand (DuckDB; here it has not)."""
        from procmine.engines import sql as q

        return self._batches(q.cases(short))

    def _case_piece(self, frame: pd.DataFrame, wanted: set[str]) -> dict[str, Any]:
        """The columns of the case table from one batch of :meth:`_case_rows` (text as
        the engine gives it: :func:`_text` is for the whole column)."""
        tz = self.source.timezone

        def stamps(values: pd.Series) -> Any:
            """The times (microseconds) in the log's zone, as an array of them (not a
            Timestamp object per case, as ``to_numpy`` of aware times gives)."""
            return pd.to_datetime(values.astype("Float64").astype("float64"), unit="us",
                                  utc=True).dt.tz_convert(tz).array

        piece: dict[str, Any] = {"case": frame["c"].astype(str)}
        if "variant" in wanted and "variant" in frame:
            piece["variant"] = frame["variant"].to_numpy()
        if "events" in wanted:
            piece["events"] = frame["events"].to_numpy(dtype=np.int64)
        if "start" in wanted or "duration" in wanted:
            start = stamps(frame["start"])
            piece["start"] = start
        if "end" in wanted or "duration" in wanted:
            end = stamps(frame["stop"])
            piece["end"] = end
        if "duration" in wanted:
            piece["duration"] = (pd.Series(end - start).dt.total_seconds().to_numpy(dtype=float)
                                 if len(frame) else np.empty(0, dtype=float))
        for name in ("category", "source", "deadline"):
            if name in wanted:
                values = frame[_SHORT[name]]
                piece[name] = stamps(values) if name == "deadline" and self._due_is_time else values
        return piece

    def _variant_of_cases(self, ids: pd.Series) -> np.ndarray:
        """The variant of each case of the case table (``ids``, in its order)."""
        return self.variants().of_case.reindex(ids).to_numpy()

    def release_cases(self) -> None:
        self._cases = None

    def activities(self) -> pd.DataFrame:
        from procmine.engines import sql as q

        frame = self._df(q.ACTIVITIES).sort_values("activity", kind="stable")
        return pd.DataFrame({"activity": frame["activity"].astype(str).to_numpy(dtype=object),
                             "count": frame["count"].to_numpy(dtype=np.int64),
                             "cases": frame["cases"].to_numpy(dtype=np.int64)})

    def group_counts(self, column: str) -> pd.DataFrame:
        from procmine.engines import sql as q

        short = EV_COLUMNS[column]
        self._load()
        if column not in self._chosen:
            return pd.DataFrame({"activity": [], "value": [], "n": []})
        frame = self._df(q.group_counts(short))
        frame = frame.assign(activity=frame["activity"].astype(str),
                             value=frame["value"].astype(str), n=frame["n"].astype(np.int64))
        return frame.sort_values(["activity", "value"], kind="stable").reset_index(drop=True)

    @property
    def levels(self) -> tuple[str, ...]:
        self._load()
        return self._levels

    def events_per_case(self) -> dict[str, float]:
        from procmine.engines import sql as q

        row = self._df(q.SPREAD.format(median=self.quantile.format(x="n", q=0.5))).iloc[0]
        return {"min": int(row["lo"]), "median": float(row["mid"]), "max": int(row["hi"])}

    def cases_by(self, column: str) -> pd.Series:
        from procmine.engines import sql as q

        self._load()
        if column not in self._chosen:
            return pd.Series(dtype="int64")
        frame = self._df(q.cases_by(EV_COLUMNS[column]))
        return pd.Series(frame["n"].to_numpy(dtype=np.int64),
                         index=frame["value"].astype(str).to_numpy(dtype=object))

    @property
    def mapping(self) -> dict[str, str]:
        self._load()
        return dict(self._mapping)

    def load_report(self) -> Any:
        from procmine.engines import sql as q
        from procmine.log import TIMESTAMP, LoadReport

        totals = self.totals()
        facts = getattr(self, "_facts", {})
        return LoadReport(
            path=self.source.name, format=facts.get("format"), encoding=facts.get("encoding"),
            delimiter=facts.get("delimiter"), timezone=self.source.timezone,
            timezone_assumed=self._mapping.get(TIMESTAMP) in self._naive,
            mapping=dict(self._mapping), rows_read=totals.rows_read, rows_kept=totals.events,
            dropped=dict(totals.dropped),
            examples=dict(totals.examples),
            duplicates=int(self._df(q.DUPLICATES)["duplicates"].iloc[0]),
            cases_lost=self._loaded_events.cases_lost,
            notes=([f"the {self.name} engine reads the mapped columns only: "
                    f"{', '.join(self.attributes[:5])}{' ...' if len(self.attributes) > 5 else ''}"
                    " not read"] if self.attributes else []) + self.read_notes())

    def read_notes(self) -> list[str]:
        self._load()
        loaded = getattr(self, "_loaded_events", None)
        return list(loaded.notes if loaded else ()) + list(getattr(self, "_read_notes", ()))

    @property
    def attributes(self) -> list[str]:
        self._load()
        used = set(self._mapping.values())
        return [c for c in self._header if c not in used]

    def has(self, column: str) -> bool:
        self._load()
        if column not in self._chosen:
            return False
        if getattr(self, "_present", None) is None:  # every mapped column in one pass
            shorts = [EV_COLUMNS[c] for c in sorted(self._chosen)]
            found = self._df("SELECT " + ", ".join(f"count({s}) AS {s}" for s in shorts)
                             + " FROM ev").iloc[0]
            self._present = {s for s in shorts if int(found[s])}
        return EV_COLUMNS[column] in self._present

    def event_logs(self, *, max_events: int = 1_000_000) -> Iterator[EventLog]:
        from procmine.engines import sql as q

        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, not {max_events}")
        bounds = self._df(q.part_bounds(max_events))
        total, done = int(bounds["events"].sum()), 0
        for lo, hi, n in zip(bounds["lo"].astype(np.int64), bounds["hi"].astype(np.int64),
                             bounds["events"].astype(np.int64), strict=True):
            yield self._event_log(self._df(q.part(lo, hi)))
            done += int(n)
            self._report(done, total)

    def _event_log(self, frame: pd.DataFrame) -> EventLog:
        """An EventLog from rows of :func:`procmine.engines.sql.part`, typed as read_log types."""
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
            EventLog,
            LoadReport,
        )

        tz = self.source.timezone

        def stamps(values: pd.Series) -> pd.Series:
            # whole microseconds are exact in float64 (< 2**53); nanoseconds are not
            us = values.astype("Int64").to_numpy(dtype=np.int64, na_value=_NAT_US)
            ns = np.where(us == _NAT_US, np.iinfo(np.int64).min, us * 1000)
            return pd.Series(pd.DatetimeIndex(ns.astype("datetime64[ns]"), tz="UTC")
                             .tz_convert(tz))

        events = pd.DataFrame({CASE: frame["c"].astype("string"),
                               ACTIVITY: frame["a"].astype("string"),
                               TIMESTAMP: stamps(frame["t"])})
        for canonical in (START, RESOURCE, LEVEL, KIND, CATEGORY, SOURCE, DEADLINE, CITIZEN,
                          ADDRESS):
            if canonical not in self._chosen:
                continue
            column = EV_COLUMNS[canonical]
            timed = canonical == START or (canonical == DEADLINE and self._due_is_time)
            events[canonical] = stamps(frame[column]) if timed else frame[column].astype("string")
        report = LoadReport(path=self.source.name, timezone=tz, rows_read=len(events),
                            rows_kept=len(events))
        return EventLog(events, report=report, levels=self._levels, timezone=tz)

    @staticmethod
    def _make_variants(table: pd.DataFrame,
                       fetch_pairs: Callable[[], pd.DataFrame | None]) -> Variants:
        """The Variants of a ranked table; ``of_case`` is fetched when first used.

        ``fetch_pairs`` returns the (case ``c``, ``variant``) pairs in case order, or
        None once the engine is closed (the pairs stay in the engine until asked for).
        """
        from procmine.abstractions import Variants
        from procmine.log import CASE

        def of_case() -> pd.Series:
            pairs = fetch_pairs()
            if pairs is None:
                raise ProcmineError("the engine was closed before the variant of each case was read",
                                    hint="read Variants.of_case while the engine is open")
            return pd.Series(pairs["variant"].to_numpy(dtype=np.int64),
                             index=pd.Index(pairs["c"].to_numpy(dtype=object), name=CASE),
                             name="variant")

        return Variants(table, of_case)


#: the case table's columns read from :func:`procmine.engines.sql.cases`, by their names there
_SHORT = {"events": "events", "start": "start", "end": "stop", "category": "cat",
          "source": "src", "deadline": "due"}
#: the case table's columns of the first event's values, by the canonical column they need
_FIRST = {"category": CATEGORY, "source": SOURCE, "deadline": DEADLINE}
#: the text columns of the case table
_TEXT = ("case", "category", "source")
#: cases per batch of the case table read from the engine (:meth:`SqlEngine._batches`)
CASE_BATCH = 1 << 16


def _laid_end_to_end(pieces: list[Any]) -> Any:
    """The pieces of one column of the case table as one: an array of numbers, else a Series."""
    if isinstance(pieces[0], np.ndarray):
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
    return pd.concat([pd.Series(p, copy=False) for p in pieces], ignore_index=True)


def _text(values: pd.Series) -> Any:
    """A text column of the case table as pandas infers it from Python strings (``str``,
    missing as NaN), kept in Arrow when it is so already: no Python string per case. A
    column of other values, or of none at all, as Python objects (None where missing)."""
    if values.dtype == "str" and values.notna().any():
        return values.array
    return values.astype(object).where(values.notna(), None).to_numpy()
