"""What a filter hands the engine: the cases it keeps and a rule for the events in them.

A filter never touches an engine's storage. It reads the engine's tables
(``cases()``, ``variants()``, the parts of ``event_logs()``) and returns a
:class:`Selection`; each engine narrows itself to a selection in its own way
(``Engine.narrowed``: a new EventLog for pandas, a narrower ``ev`` table for
DuckDB and Spark). An event rule therefore exists in two forms, one per kind of
engine: :meth:`EventRule.mask` over an event table in memory, and
:meth:`EventRule.where` as SQL over ``ev`` (the short names of
``procmine.read.EV_COLUMNS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procmine.errors import SpecError
from procmine.log import ACTIVITY, CASE, CATEGORY, KIND, LEVEL, RESOURCE, SOURCE, TIMESTAMP
from procmine.read import EV_COLUMNS


class EventRule:
    """Which events of the kept cases stay (the same rule in memory and in SQL)."""

    def mask(self, events: pd.DataFrame) -> np.ndarray:
        """True for the events that stay, over canonical columns."""
        raise NotImplementedError

    def where(self, literal: Callable[[str], str]) -> str:
        """The same rule as a SQL condition over ``ev``; ``literal`` quotes a text."""
        raise NotImplementedError


@dataclass(frozen=True)
class ValuesIn(EventRule):
    """Events whose ``column`` (canonical) is among ``values`` (``keep``), or not among them."""

    column: str
    values: tuple[str, ...]
    keep: bool = True

    def mask(self, events: pd.DataFrame) -> np.ndarray:
        require_column(events, self.column)
        found = events[self.column].astype("string").isin(list(self.values))
        found = found.fillna(False).to_numpy(dtype=bool)
        return found if self.keep else ~found

    def where(self, literal: Callable[[str], str]) -> str:
        if self.column not in EV_COLUMNS:
            raise _missing(self.column)
        column = EV_COLUMNS[self.column]
        listed = ", ".join(literal(v) for v in self.values) or "NULL"
        if self.keep:
            return f"{column} IN ({listed})"
        return f"({column} IS NULL OR {column} NOT IN ({listed}))"


@dataclass(frozen=True)
class TimeWithin(EventRule):
    """Events completed from ``first`` to ``last``, both included (pm4py's ``apply_events``)."""

    first: pd.Timestamp
    last: pd.Timestamp

    def mask(self, events: pd.DataFrame) -> np.ndarray:
        ts = events[TIMESTAMP]
        return ((ts >= self.first) & (ts <= self.last)).to_numpy(dtype=bool)

    def where(self, literal: Callable[[str], str]) -> str:
        return f"t BETWEEN {_micros(self.first)} AND {_micros(self.last)}"


def _micros(stamp: pd.Timestamp) -> int:
    """Microseconds since the epoch (UTC) of an aware timestamp, as ``ev.t`` holds them."""
    return int(stamp.tz_convert("UTC").value // 1000)


@dataclass(frozen=True)
class Selection:
    """What one filter keeps: the case ids in ``cases`` (None: every case), and of their
    events those ``events`` accepts (None: all). A case left without events is gone."""

    cases: pd.Index | None = None
    events: EventRule | None = None


def parts(engine: Any) -> Iterator[pd.DataFrame]:
    """The event tables of the engine, whole cases at a time (``event_logs``)."""
    for log in engine.event_logs():
        yield log.events


def cases_where(engine: Any, test: Callable[[pd.DataFrame, np.ndarray], np.ndarray]) -> pd.Index:
    """Ids of the cases for which ``test(events, case codes)`` is True, over every part.

    ``test`` gets a part's events (sorted by case, time, file row) and each event's case
    code within the part (0, 1, ... in order), and returns one bool per case of the part.
    """
    kept: list[np.ndarray] = []
    for events in parts(engine):
        codes, ids = pd.factorize(events[CASE], sort=False)
        if len(ids) == 0:
            continue
        keep = np.asarray(test(events, codes.astype(np.int64)), dtype=bool)
        kept.append(np.asarray(ids, dtype=object)[keep])
    return pd.Index(np.concatenate(kept) if kept else np.array([], dtype=object), dtype=object)


def case_edges(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the first and of the last event of each case (codes run in order)."""
    n = len(codes)
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if n else np.array([], int)
    last = np.r_[first[1:] - 1, n - 1] if n else first
    return first, last


#: Short names a filter may use for the canonical columns.
ALIASES = {"activity": ACTIVITY, "case": CASE, "unit": RESOURCE, "resource": RESOURCE,
           "level": LEVEL, "kind": KIND, "category": CATEGORY, "source": SOURCE}


def resolve_column(engine: Any, name: str) -> str:
    """The canonical column a filter's ``name`` means: a canonical name, an alias
    (``unit``, ``category`` ...), or the log's own header of a mapped column (``类别``);
    any other name is an attribute column, as it is."""
    if name in EV_COLUMNS:
        return name
    if name.lower() in ALIASES:
        return ALIASES[name.lower()]
    return engine.load_report().column_named(name)


def activity_column(events: pd.DataFrame) -> np.ndarray:
    return events[ACTIVITY].astype("string").to_numpy(dtype=object)


def require_column(events: pd.DataFrame, column: str) -> None:
    """Refuse a filter on a column the events do not have."""
    if column not in events.columns:
        raise _missing(column)


def _missing(column: str) -> SpecError:
    return SpecError(f"the log has no column {column!r} to filter on",
                     hint="name a column of the log (as in its header) or a canonical column; "
                          "the DuckDB and Spark engines read the mapped columns only "
                          "(--engine pandas reads them all)")
