"""The in-memory engine: ``read_log`` and the numpy/pandas code of ``procmine.abstractions``.

It is the reference the other engines are tested against.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from procmine import abstractions
from procmine.engines import (
    Engine,
    Source,
    TimeBasis,
    Totals,
    case_columns,
    resolve_calendar,
)
from procmine.grouping import cases_with
from procmine.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP, CaseCodes, EventLog


class PandasEngine(Engine):
    """Reads the whole log into memory with :func:`procmine.read.read_log`.

    >>> from procmine.engines import get_engine
    >>> get_engine("pandas", "tests/fixtures/orders16.csv").totals().events
    16
    """

    name = "pandas"

    def __init__(self, source: Source):
        super().__init__(source)
        self._log: EventLog | None = source.log
        # (the case codes of the events they were computed from, the variants): a log
        # whose events are replaced gets its variants anew (and new case codes)
        self._variants: tuple[CaseCodes, abstractions.Variants] | None = None
        self._totals: tuple[CaseCodes, Totals] | None = None

    @property
    def log(self) -> EventLog:
        """The EventLog (read on first use)."""
        if self._log is None:
            from procmine.read import read_log

            self._log = read_log(self.source.path, columns=self.source.columns,
                                 encoding=self.source.encoding, timezone=self.source.timezone,
                                 levels=self.source.levels)
        return self._log

    def close(self) -> None:
        self._log = None
        self._variants = None
        self._totals = None

    def narrowed(self, selection: Any) -> PandasEngine:
        log = self.log
        events = log.events
        keep = np.ones(len(events), dtype=bool)
        if selection.cases is not None:
            # per case, then spread over its events: far faster than per event on text ids
            codes, starts, _ = log.case_codes()
            ids = pd.Index(events[CASE].iloc[starts].to_numpy(dtype=object), dtype=object)
            keep &= ids.isin(pd.Index(selection.cases, dtype=object))[codes]
        if selection.events is not None:
            keep &= selection.events.mask(events)
        if keep.all():
            return self
        narrow = EventLog(events[keep].reset_index(drop=True), report=log.report,
                          levels=log.levels, timezone=log.timezone)
        engine = PandasEngine(Source(log=narrow, timezone=log.timezone, levels=log.levels))
        narrow.__dict__["_engine"] = engine  # as_engine(narrow) is this engine
        return engine

    def totals(self) -> Totals:
        cases = self.log.case_codes()
        if self._totals is None or self._totals[0] is not cases:
            self._totals = (cases, self._count_totals())
        return self._totals[1]

    def _count_totals(self) -> Totals:
        log = self.log
        cases = log.case_codes()
        # a log grouped by case (as read_log gives it) has one run of rows per case
        grouped = len(cases.starts) == (int(cases.codes.max()) + 1 if len(cases.codes) else 0)
        n, times = log.n_events, log.column(TIMESTAMP)
        return Totals(
            events=n, cases=len(cases.starts) if grouped else log.n_cases,
            activities=len(abstractions.column_codes(log, ACTIVITY)[1]),
            units=(len(abstractions.column_codes(log, RESOURCE)[1])
                   if RESOURCE in log.column_names else None),
            # a log whose order stands for time has no first or last time
            first=times.min() if n and not self.time_from_order else None,
            last=times.max() if n and not self.time_from_order else None,
            rows_read=log.report.rows_read or n, dropped=dict(log.report.dropped),
            examples=dict(log.report.examples), format=log.report.format)

    def variants(self) -> abstractions.Variants:
        cases = self.log.case_codes()
        if self._variants is None or self._variants[0] is not cases:
            self._variants = (cases, abstractions.variants(self.log))
        return self._variants[1]

    def follows(self, *, time: TimeBasis = "clock", calendar: Any = "cn") -> abstractions.Follows:
        if self.time_from_order:    # counts only: the times are the order of the events
            return abstractions.follows(self.log, durations=np.full(self.log.n_events, np.nan))
        if time == "clock":
            return abstractions.follows(self.log)
        cal = resolve_calendar(calendar, timezone=self.source.timezone)
        ts = self.log.column(TIMESTAMP)
        prev = ts.shift(1)
        durations = np.asarray(cal.working_seconds(prev, ts), dtype=np.float64)
        return abstractions.follows(self.log, durations=durations)

    def cases(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        cases = abstractions.cases(self.log, variants_of=self.variants())
        if self.time_from_order:    # no duration: the times are the order of the events
            cases["duration"] = np.nan
        return case_columns(cases, columns)     # the log is in memory: made whole, then taken

    def activities(self) -> pd.DataFrame:
        act_codes, names = abstractions.column_codes(self.log, ACTIVITY)
        n_act = len(names)
        count = np.bincount(act_codes, minlength=n_act)
        counted = cases_with(self.log.case_codes().codes, act_codes, n_act)
        return pd.DataFrame({"activity": np.asarray(names, dtype=object), "count": count,
                             "cases": counted})

    def group_counts(self, column: str) -> pd.DataFrame:
        if column not in self.log.column_names:
            return pd.DataFrame({"activity": [], "value": [], "n": []})
        act, act_names = abstractions.column_codes(self.log, ACTIVITY)
        value, value_names = abstractions.column_codes(self.log, column)
        known = (act >= 0) & (value >= 0)
        width = max(len(value_names), 1)
        key = act[known] * width + value[known]       # sorted codes: by activity, then value
        if len(act_names) * width <= 4 * len(key) + 1024:
            counts = np.bincount(key, minlength=len(act_names) * width)
            key = np.flatnonzero(counts)
            counts = counts[key]
        else:
            sizes = pd.Series(key).value_counts().sort_index()
            key, counts = sizes.index.to_numpy(dtype=np.int64), sizes.to_numpy()
        return pd.DataFrame({"activity": act_names[key // width].astype(str),
                             "value": value_names[key % width].astype(str),
                             "n": counts.astype(np.int64)})

    def events_per_case(self) -> dict[str, float]:
        per_case = pd.Series(self.log.case_codes().lengths)
        return {"min": int(per_case.min()), "median": float(per_case.median()),
                "max": int(per_case.max())}

    def cases_by(self, column: str) -> pd.Series:
        if column not in self.log.column_names:
            return pd.Series(dtype="int64")
        return self.log.column(column, rows=self.log.case_codes().starts).value_counts(dropna=True)

    @property
    def levels(self) -> tuple[str, ...]:
        return self.log.levels

    def load_report(self) -> Any:
        return self.log.report

    @property
    def time_from_order(self) -> bool:
        return bool(self.log.report.time_from_order)

    @property
    def attributes(self) -> list[str]:
        return self.log.attributes

    def has(self, column: str) -> bool:
        return self.log.has(column)

    def event_logs(self, *, max_events: int = 1_000_000) -> Iterator[EventLog]:
        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, not {max_events}")
        log = self.log
        if 0 < log.n_events <= max_events:    # the whole log is one part: no copy
            yield log
            self._report(log.n_events, log.n_events)
            return
        starts = log.case_codes().starts
        if len(starts) == 0:
            return
        # a case joins the part of the events before it, as the SQL engines count
        part = starts // max_events
        firsts = starts[np.concatenate(([True], part[1:] != part[:-1]))] if len(starts) else starts
        ends = np.append(firsts[1:], log.n_events)[:len(firsts)]   # no part of a log without events
        for a, b in zip(firsts, ends, strict=True):
            events = log.events.iloc[int(a):int(b)].reset_index(drop=True)
            yield EventLog(events, report=log.report, levels=log.levels, timezone=log.timezone)
            self._report(int(b), log.n_events)

    def collector(self) -> Any:
        """A ``MemoryCollector``: the log is in memory, and so are the rows of its parts."""
        from procmine.engines.collector import MemoryCollector

        return MemoryCollector()

    def part_events(self, part_events: int | None = None) -> int:
        """``part_events`` when given, else the whole log: it is in memory already."""
        return part_events or max(self.log.n_events, 1)


def _distinct_per_case(case: np.ndarray, values: np.ndarray, n_cases: int) -> np.ndarray:
    """Distinct ``values`` per case code."""
    if len(case) == 0:
        return np.zeros(n_cases, dtype=np.int64)
    width = int(values.max()) + 2
    key = np.sort(case * width + values)   # np.unique hashes every event: slower
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return np.bincount(key // width, minlength=n_cases).astype(np.int64)
