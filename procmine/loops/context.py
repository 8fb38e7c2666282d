"""The per-case context of :func:`procmine.loops.find_loops`: the event table as numpy arrays.

``_context`` reads an ``EventLog`` once into a ``_Ctx``: per event the case,
activity, unit, level and kind as integer codes and the time in nanoseconds, per
case its first event and length, and the activity roles of the vocabulary. The
``_Ctx`` answers the questions every pattern asks (the next or previous event of
the same case where a mask holds, the first or last of a case) with numpy over the
whole array, never a loop per case; ``_working`` turns intervals into working
seconds with the calendar, ``_names`` codes into names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from procmine.errors import InputError
from procmine.log import ACTIVITY, CASE, KIND, LEVEL, RESOURCE, TIMESTAMP, EventLog
from procmine.vocabulary import roles_of

_NS = 1_000_000_000


#: steps taken by the unit that holds the order (not by the centre or the inspector)
_UNIT_STEPS = ("sign", "return", "handle", "feedback")


@dataclass
class _Ctx:
    """The event table as numpy arrays, built once."""

    log: EventLog
    n: int
    case: np.ndarray          # case code per event (0..n_cases-1, in order)
    case_ids: np.ndarray      # case id per case code
    first: np.ndarray         # index of the first event of the event's case
    end: np.ndarray           # index one past the last event of the event's case
    starts: np.ndarray        # per case: first event index
    lengths: np.ndarray       # per case: number of events
    ts: np.ndarray            # int64 ns (UTC)
    act: np.ndarray           # activity code per event, -1 when missing
    act_names: np.ndarray     # activity name per code
    act_roles: np.ndarray     # role per activity code (object, None when unknown)
    res: np.ndarray           # unit code per event, -1 when missing
    units: np.ndarray         # unit names per code
    lvl: np.ndarray           # level rank per event, -1 when unknown
    kind: np.ndarray          # 1 line, 2 block, 0 unknown
    calendar: Any
    _masks: dict[str, np.ndarray] = field(default_factory=dict)

    def is_(self, *roles: str) -> np.ndarray:
        key = "|".join(roles)
        if key not in self._masks:
            table = np.append(np.isin(self.act_roles, list(roles)), False)   # code -1 -> False
            self._masks[key] = table[self.act]
        return self._masks[key]

    def activity(self, idx: np.ndarray) -> np.ndarray:
        """Activity names of events."""
        return np.append(self.act_names, "")[self.act[idx]]

    @property
    def dispatch_log(self) -> bool:
        """True when steps of the dispatch loop are recognised (else: unit/activity patterns only)."""
        return self.has_role(*_UNIT_STEPS, "dispatch", "redispatch", "check", "close")

    def has_role(self, *roles: str) -> bool:
        return bool(self.is_(*roles).any())

    def next_where(self, mask: np.ndarray) -> np.ndarray:
        """Index of the next event strictly after each event, same case, where ``mask``; -1 if none."""
        idx = np.where(mask, np.arange(self.n), self.n)
        nxt = np.minimum.accumulate(idx[::-1])[::-1]
        out = np.full(self.n, -1, dtype=np.int64)
        if self.n > 1:
            cand = nxt[1:]
            ok = cand < self.end[:-1]
            out[:-1][ok] = cand[ok]
        return out

    def prev_where(self, mask: np.ndarray) -> np.ndarray:
        """Index of the last event strictly before each event, same case, where ``mask``; -1 if none."""
        idx = np.where(mask, np.arange(self.n), -1)
        prv = np.maximum.accumulate(idx)
        out = np.full(self.n, -1, dtype=np.int64)
        if self.n > 1:
            cand = prv[:-1]
            ok = cand >= self.first[1:]
            out[1:][ok] = cand[ok]
        return out

    def last_in_case(self, mask: np.ndarray) -> np.ndarray:
        """Per case: index of the last event where ``mask``, -1 if none."""
        out = np.full(len(self.starts), -1, dtype=np.int64)
        idx = np.flatnonzero(mask)
        out[self.case[idx]] = idx          # later indices overwrite earlier ones
        return out

    def first_in_case(self, mask: np.ndarray) -> np.ndarray:
        """Per case: index of the first event where ``mask``, -1 if none."""
        out = np.full(len(self.starts), -1, dtype=np.int64)
        idx = np.flatnonzero(mask)[::-1]
        out[self.case[idx]] = idx
        return out

    def any_in_case(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.case[mask], minlength=len(self.starts)) > 0

    def only(self, cases: np.ndarray) -> tuple[_Ctx, np.ndarray, np.ndarray]:
        """The events of ``cases`` (case codes) as a context of their own, with the
        indices of those events here and the codes of those cases here (sorted): a
        detector of a pattern that few cases can have reads their events only. ``log``
        stays this context's (its levels; not its rows)."""
        cases = np.unique(cases)
        keep = np.zeros(len(self.starts), dtype=bool)
        keep[cases] = True
        events = np.flatnonzero(keep[self.case])
        code = np.full(len(self.starts), -1, dtype=np.int64)
        code[cases] = np.arange(len(cases))
        lengths = self.lengths[cases]
        starts = np.cumsum(lengths) - lengths
        first = np.repeat(starts, lengths)
        sub = replace(self, n=len(events), case=code[self.case[events]],
                      case_ids=self.case_ids[cases], first=first,
                      end=first + np.repeat(lengths, lengths), starts=starts, lengths=lengths,
                      ts=self.ts[events], act=self.act[events], res=self.res[events],
                      lvl=self.lvl[events], kind=self.kind[events], _masks={})
        return sub, events, cases


def _cumsum0(mask: np.ndarray) -> np.ndarray:
    """Prefix sums with a leading 0: count in [i, j) is ``cs[j] - cs[i]``."""
    return np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))


def _context(log: EventLog, calendar: Any, aliases: Mapping[str, str] | None) -> _Ctx:
    # columns one by one: the text of the columns a reader left coded is not made
    columns = log.column_names
    for column in (CASE, ACTIVITY, TIMESTAMP):
        if column not in columns:
            raise InputError(f"the log has no column {column!r}; loops need case, activity and time",
                             hint="name it when reading the log: case_id=, activity=, timestamp=")
    n = log.n_events
    codes = log.case_codes().codes
    if n and (np.diff(codes) < 0).any():
        # events must be grouped by case (EventLog's promise); re-group if not
        order = np.lexsort((log.column(TIMESTAMP).to_numpy(dtype="datetime64[ns]"), codes))
        events = log.events.iloc[order].reset_index(drop=True)
        log = EventLog(events=events, report=log.report, levels=log.levels, timezone=log.timezone)
    codes, starts, lengths = log.case_codes()      # grouped: one run of rows per case
    case_ids = log.column(CASE, rows=starts).to_numpy()
    first = np.repeat(starts, lengths)
    end = np.repeat(starts + lengths, lengths)
    ts = log.column(TIMESTAMP).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    act_codes, act_names = _appearance_codes(log, ACTIVITY)
    mapping = roles_of([str(a) for a in act_names], aliases)
    act_roles = np.array([mapping[str(a)] for a in act_names], dtype=object)
    if RESOURCE in columns:
        res, units = _appearance_codes(log, RESOURCE)
    else:
        res, units = np.full(n, -1, dtype=np.int64), np.zeros(0, dtype=object)
    # levels and kinds: a handful of distinct values, so map the distinct values only
    rank = {name: i for i, name in enumerate(log.levels)}
    lvl = _coded(log, LEVEL, lambda v: rank.get(v, -1), n)
    kinds = {"line": 1, "条": 1, "block": 2, "块": 2}
    kind = _coded(log, KIND, lambda v: kinds.get(str(v).strip().lower(), 0), n)
    return _Ctx(log=log, n=n, case=codes, case_ids=np.asarray(case_ids, dtype=object), first=first,
                end=end, starts=starts, lengths=lengths, ts=ts, act=act_codes.astype(np.int64),
                act_names=act_names, act_roles=act_roles, res=res, units=units, lvl=lvl, kind=kind, calendar=calendar)


def _appearance_codes(log: EventLog, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(column, sort=False)`` (codes in order of first appearance, -1 where
    missing), from the log's shared sorted codes (``abstractions.column_codes``): the
    other analyses of a report have factorised the column already."""
    from procmine.abstractions import column_codes
    from procmine.grouping import first_appearance

    return first_appearance(*column_codes(log, column))


def _coded(log: EventLog, column: str, value: Any, n: int) -> np.ndarray:
    """Per event, ``value(x)`` of the column's value, computed once per distinct value (0/-1 if
    absent), from the log's shared codes of the column (:func:`procmine.abstractions.column_codes`)."""
    from procmine.abstractions import column_codes

    missing = -1 if column == LEVEL else 0
    if column not in log.column_names:
        return np.full(n, missing, dtype=np.int64)
    codes, names = column_codes(log, column)
    table = np.array([value(u) for u in names] + [missing], dtype=np.int64)
    return table[codes]


def _working(ctx: _Ctx, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Working seconds between two ns arrays with the calendar; NaN without one."""
    t0 = np.asarray(t0, dtype=np.int64)
    t1 = np.asarray(t1, dtype=np.int64)
    out = np.full(len(t0), np.nan)
    if ctx.calendar is None or len(t0) == 0:
        return out
    ok = (t0 > np.iinfo(np.int64).min) & (t1 > np.iinfo(np.int64).min)
    if not ok.any():
        return out
    tz = ctx.log.timezone or "UTC"
    start = pd.DatetimeIndex(t0[ok].astype("datetime64[ns]"), tz="UTC").tz_convert(tz)
    stop = pd.DatetimeIndex(t1[ok].astype("datetime64[ns]"), tz="UTC").tz_convert(tz)
    cal = ctx.calendar.in_zone(tz) if hasattr(ctx.calendar, "in_zone") else ctx.calendar
    fn = getattr(cal, "working_seconds", None)  # in the log's office zone
    if fn is None:
        from procmine import calendar as calmod  # the module-level form

        values = calmod.working_seconds(start, stop, calendar=ctx.calendar)
    else:
        values = fn(start, stop)
    out[ok] = np.asarray(values, dtype=float)
    return out


def _names(names: np.ndarray, codes: np.ndarray) -> np.ndarray:
    table = np.append(np.asarray(names, dtype=object), "")
    return table[np.where(codes >= 0, codes, len(names))]
