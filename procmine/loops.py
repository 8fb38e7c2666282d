"""Upward-accountability loops and governance patterns, found per case and aggregated.

Each pattern of ``docs/loops.md`` becomes a per-case flag with its evidence (the
events that make it) and a time cost, then a summary per pattern and, on demand,
a table by unit, level, category, month or source:

- ``escalation``: 提级 by unit U, the order sits at a higher level with no
  handling there, then 下派 back to the SAME unit U (向上负责).
- ``pingpong``: 退单 by A, 退单 by B, the order back at A (推诿); with the number
  of distinct units before one signs and the pre-sign dwell. On logs without
  return steps: A -> B -> A handovers of ``org:resource``.
- ``dumping``: a line unit (条) returns, a block unit (块) finally handles (漏斗效应).
- ``rework``: 核查不通过 then handled again, or the same unit handles twice within
  one closure; on logs without roles, the same activity repeated in a case.
- ``reopen``: 结案, then 不满意/重办, then handled again.
- ``hugging``: the final 结案 in the last 10% of the allowed working window.
- ``desk``: 核查 within minutes of 反馈, or a closure with no field step at all.
- ``supervision``: supervised (督办/催办) orders against ordinary ones of the same
  category.

Everything is computed with numpy over the event table (shifts, cumulative sums
and group-bys), never with a Python loop per case. One pass (``_analyse``) finds
everything per case; ``_finish`` decides which patterns the log allows and makes the
tables. Given an engine, the pass runs on each part of whole cases of a log larger
than memory and ``procmine.loops_parts`` merges the parts before ``_finish``: the
same result as on the log in memory, to the last bit.

>>> from procmine.simulate import simulate_log
>>> log = simulate_log(cases=300, seed=5).to_event_log()
>>> result = find_loops(log, patterns=("escalation", "pingpong"))
>>> result.summary["pattern"].tolist()
['escalation', 'pingpong']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from procmine.errors import InputError
from procmine.log import (
    ACTIVITY,
    CASE,
    CATEGORY,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    SOURCE,
    TIMESTAMP,
    EventLog,
)
from procmine.vocabulary import roles_of

if TYPE_CHECKING:
    from procmine.engines import Engine

Pattern = Literal["escalation", "pingpong", "dumping", "rework", "reopen", "hugging", "desk",
                  "supervision"]
By = Literal["unit", "level", "category", "month", "source"]

PATTERNS: tuple[str, ...] = ("escalation", "pingpong", "dumping", "rework", "reopen", "hugging",
                             "desk", "supervision")
BY_CHOICES: tuple[str, ...] = ("unit", "level", "category", "month", "source")

#: One line per pattern, for tables and the CLI help.
DESCRIPTIONS: dict[str, str] = {
    "escalation": "escalated up and sent back down to the same unit, no handling above",
    "pingpong": "returned by A, returned by B, back to A",
    "dumping": "a line unit (条) returned it, a block unit (块) handled it",
    "rework": "check failed then handled again, or handled twice by one unit",
    "reopen": "closed, then dissatisfied/reopened and handled again",
    "hugging": "closed in the last 10% of the allowed working window",
    "desk": "checked within minutes of the feedback, or closed with no field step",
    "supervision": "supervised or urged (督办/催办)",
}

_NS = 1_000_000_000


@dataclass(frozen=True)
class LoopsResult:
    """What :func:`find_loops` found.

    - ``cases``: one row per case: ``case``, one boolean column per pattern that
      ran, and per-case measures: ``units_before_sign`` and ``presign_dwell_s``
      (first dispatch to the 签收 that accepts the order for good, clock;
      ``presign_dwell_work_s`` in working time), ``window_used`` (share of the allowed window used at the final
      closure), ``late_extension``.
    - ``evidence``: one row per flagged (case, pattern): ``case``, ``pattern``,
      ``occurrences``, ``unit``, ``level``, ``category``, ``source``, ``month``,
      ``cost_s`` and ``cost_work_s`` (time lost, clock and working), ``detail``
      and ``events`` (the events that make the pattern, as text).
    - ``summary``: one row per pattern that ran: ``pattern``, ``cases``,
      ``share`` (of all cases), ``cost_s``/``cost_work_s`` (total),
      ``mean_cost_s``, ``top_units``, ``top_levels``.
    - ``by``: with ``by=...``, one row per (group, pattern): ``cases`` in the
      group, ``flagged``, ``share``, ``cost_s``, ``cost_work_s``.
    - ``flows``: level x level moves (``from_level``, ``to_level``,
      ``direction`` up/down, ``via`` escalation/dispatch/other, ``count``,
      ``cases``, ``median_s``, ``total_s``: the exact sum of the waits, rounded once),
      drawn by :func:`render_loops`.
    - ``handovers``: ping-pong pairs (``source`` = A who returned first,
      ``target`` = B who returned it back, ``count``).
    - ``rework_by_activity``: ``{activity: cases in which it repeats}``, the
      measure of pm4py's ``get_rework_cases_per_activity``.
    - ``details``: per pattern, the extra figures (e.g. the hugging share
      against the 10% a smooth distribution gives; the supervision gap per
      category).
    - ``skipped``: ``{pattern: why it could not run}``; ``notes``: how patterns
      were computed on this log.
    """

    cases: pd.DataFrame
    evidence: pd.DataFrame
    summary: pd.DataFrame
    by: pd.DataFrame | None
    flows: pd.DataFrame
    handovers: pd.DataFrame
    rework_by_activity: dict[str, int]
    details: dict[str, Any]
    skipped: dict[str, str]
    notes: tuple[str, ...]
    n_cases: int
    levels: tuple[str, ...] = ()

    def flagged(self, pattern: str) -> set:
        """The ids of the cases flagged with ``pattern``.

        >>> from procmine.simulate import simulate_log
        >>> sim = simulate_log(cases=300, seed=5)
        >>> found = find_loops(sim.to_event_log(), patterns="reopen").flagged("reopen")
        >>> found == set(sim.truth.loc[sim.truth["reopen"] == 1, "case_id"])
        True
        """
        if pattern not in self.cases.columns:
            return set()
        return set(self.cases.loc[self.cases[pattern].to_numpy(dtype=bool), "case"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.n_cases,
            "summary": self.summary,
            "by": self.by,
            "details": self.details,
            "flows": self.flows,
            "handovers": self.handovers,
            "rework_by_activity": self.rework_by_activity,
            "skipped": self.skipped,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- context


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


def _cumsum0(mask: np.ndarray) -> np.ndarray:
    """Prefix sums with a leading 0: count in [i, j) is ``cs[j] - cs[i]``."""
    return np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))


def _context(log: EventLog, calendar: Any, aliases: Mapping[str, str] | None) -> _Ctx:
    events = log.events
    for column in (CASE, ACTIVITY, TIMESTAMP):
        if column not in events.columns:
            raise InputError(f"the log has no column {column!r}; loops need case, activity and time",
                             hint="map it with --case-id/--activity/--timestamp")
    n = len(events)
    codes, case_ids = pd.factorize(events[CASE], sort=False)
    codes = codes.astype(np.int64)
    if n and (np.diff(codes) < 0).any():
        # events must be grouped by case (EventLog's promise); re-group if not
        order = np.lexsort((events[TIMESTAMP].to_numpy(dtype="datetime64[ns]"), codes))
        events = events.iloc[order].reset_index(drop=True)
        log = EventLog(events=events, report=log.report, levels=log.levels, timezone=log.timezone)
        codes = codes[order]
    change = np.flatnonzero(np.diff(codes) != 0) + 1 if n else np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], change)).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    lengths = np.diff(np.concatenate((starts, [n]))).astype(np.int64)
    first = np.repeat(starts, lengths)
    end = np.repeat(starts + lengths, lengths)
    ts = events[TIMESTAMP].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    act_codes, act_names = pd.factorize(events[ACTIVITY], sort=False)
    act_names = np.asarray(act_names, dtype=object)
    mapping = roles_of([str(a) for a in act_names], aliases)
    act_roles = np.array([mapping[str(a)] for a in act_names], dtype=object)
    if RESOURCE in events.columns:
        res, units = pd.factorize(events[RESOURCE], sort=False)
        res = res.astype(np.int64)
        units = np.asarray(units, dtype=object)
    else:
        res, units = np.full(n, -1, dtype=np.int64), np.zeros(0, dtype=object)
    # levels and kinds: a handful of distinct values, so map the distinct values only
    rank = {name: i for i, name in enumerate(log.levels)}
    lvl = _coded(events, LEVEL, lambda v: rank.get(v, -1), n)
    kinds = {"line": 1, "条": 1, "block": 2, "块": 2}
    kind = _coded(events, KIND, lambda v: kinds.get(str(v).strip().lower(), 0), n)
    return _Ctx(log=log, n=n, case=codes, case_ids=np.asarray(case_ids, dtype=object), first=first,
                end=end, starts=starts, lengths=lengths, ts=ts, act=act_codes.astype(np.int64),
                act_names=act_names, act_roles=act_roles, res=res, units=units, lvl=lvl, kind=kind, calendar=calendar)


def _coded(events: pd.DataFrame, column: str, value: Any, n: int) -> np.ndarray:
    """Per event, ``value(x)`` of the column's value, computed once per distinct value (0/-1 if absent)."""
    missing = -1 if column == LEVEL else 0
    if column not in events.columns:
        return np.full(n, missing, dtype=np.int64)
    values = events[column]
    arrow = getattr(values.array, "_pa_array", None)
    if arrow is not None:
        # Arrow strings: look the few distinct values up instead of hashing every row
        import pyarrow.compute as pc

        distinct = pc.unique(arrow).to_pylist()
        table = np.array([value(u) if u is not None else missing for u in distinct] + [missing],
                         dtype=np.int64)
        codes = pc.index_in(arrow, value_set=pc.unique(arrow)).fill_null(len(distinct))
        return table[codes.to_numpy()]
    codes, uniques = pd.factorize(values, sort=False)
    table = np.array([value(u) for u in uniques] + [missing], dtype=np.int64)
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
    fn = getattr(ctx.calendar, "working_seconds", None)
    if fn is None:
        from procmine import calendar as calmod  # the module-level form

        values = calmod.working_seconds(start, stop, calendar=ctx.calendar)
    else:
        values = fn(start, stop)
    out[ok] = np.asarray(values, dtype=float)
    return out


# --------------------------------------------------------------------------- occurrences


@dataclass
class _Found:
    """Occurrences of one pattern: one entry per occurrence (several per case possible)."""

    case: np.ndarray
    unit: np.ndarray
    level: np.ndarray
    t0: np.ndarray            # cost interval, ns; equal t0 == t1 means no time cost
    t1: np.ndarray
    events: list[np.ndarray]  # indices of the key events, -1 where absent
    detail: np.ndarray | None = None
    cost: np.ndarray | None = None       # overrides the interval (seconds)
    cost_work: np.ndarray | None = None

    @staticmethod
    def empty() -> _Found:
        z = np.zeros(0, dtype=np.int64)
        return _Found(z, z, z, z, z, [])


def _escalation(ctx: _Ctx) -> _Found:
    esc = np.flatnonzero(ctx.is_("escalate") & (ctx.lvl >= 0) & (ctx.res >= 0))
    if len(esc) == 0:
        return _Found.empty()
    known = ctx.lvl >= 0
    handle = ctx.is_("handle")
    down_idx = np.where(ctx.is_("assign_down"), np.arange(ctx.n), -1)
    last_down = np.maximum.accumulate(down_idx)     # last 下派 at or before each event
    back = np.full(len(esc), -1, dtype=np.int64)
    above = np.zeros(len(esc), dtype=np.int64)
    handled_above = np.zeros(len(esc), dtype=np.int64)
    for level in np.unique(ctx.lvl[esc]):            # a handful of levels, not cases
        sel = ctx.lvl[esc] == level
        i = esc[sel]
        k = ctx.next_where(known & (ctx.lvl <= level))[i]
        back[sel] = k
        cs_above = _cumsum0(ctx.lvl > level)
        cs_handle = _cumsum0(handle & (ctx.lvl > level))
        kk = np.where(k >= 0, k, i + 1)
        above[sel] = cs_above[kk] - cs_above[i + 1]
        handled_above[sel] = cs_handle[kk] - cs_handle[i + 1]
    ok = back >= 0
    i, k = esc[ok], back[ok]
    above, handled_above = above[ok], handled_above[ok]
    # the 下派 that sent it back: the last one while above (logged by the sender), else the
    # return event itself when the export logs 下派 under the receiving unit
    down = last_down[k - 1]
    down = np.where(down > i, down, np.where(ctx.is_("assign_down")[k], k, -1))
    hit = (ctx.res[k] == ctx.res[i]) & (above > 0) & (handled_above == 0) & (down > i)
    i, k, down = i[hit], k[hit], down[hit]
    if len(i) == 0:
        return _Found.empty()
    # the highest level reached between leaving and coming back
    bounds = np.empty(2 * len(i), dtype=np.int64)
    bounds[0::2], bounds[1::2] = i + 1, k
    top = np.maximum.reduceat(ctx.lvl, bounds)[0::2]
    crossed = top - ctx.lvl[i]
    sender = np.where(ctx.lvl[down] > ctx.lvl[i], down, np.maximum(down - 1, i))
    levels = np.asarray(ctx.log.levels, dtype=object)
    detail = (pd.Series(levels[ctx.lvl[i]]) + "→" + pd.Series(levels[top]) + " (" + pd.Series(crossed).astype(str)
              + " level(s)); sent back by " + pd.Series(_names(ctx.units, ctx.res[sender])))
    return _Found(ctx.case[i], ctx.res[i], ctx.lvl[i], ctx.ts[i], ctx.ts[down], [i, down, k],
                  detail=detail.to_numpy(dtype=object))


def _names(names: np.ndarray, codes: np.ndarray) -> np.ndarray:
    table = np.append(np.asarray(names, dtype=object), "")
    return table[np.where(codes >= 0, codes, len(names))]


def _blocks(ctx: _Ctx, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of consecutive ``mask`` events of one case by one unit: (first idx, last idx, unit)."""
    idx = np.flatnonzero(mask & (ctx.res >= 0))
    if len(idx) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    c, r = ctx.case[idx], ctx.res[idx]
    new = np.ones(len(idx), dtype=bool)
    new[1:] = (c[1:] != c[:-1]) | (r[1:] != r[:-1])
    heads = np.flatnonzero(new)
    tails = np.append(heads[1:] - 1, len(idx) - 1)
    return idx[heads], idx[tails], r[heads]


#: steps taken by the unit that holds the order (not by the centre or the inspector)
_UNIT_STEPS = ("sign", "return", "handle", "feedback")


def _pingpong(ctx: _Ctx) -> _Found:
    # a dispatch log is read through its steps; a log with no dispatch step at all (a
    # European permit log, say) through the handovers of org:resource
    by_returns = ctx.dispatch_log
    if by_returns:
        steps = ctx.is_(*_UNIT_STEPS)
    else:
        steps = np.ones(ctx.n, dtype=bool)
    head, tail, unit = _blocks(ctx, steps)
    if len(head) < 3:
        return _Found.empty()
    c = ctx.case[head]
    a, b, a2 = slice(0, -2), slice(1, -1), slice(2, None)
    hit = (c[a] == c[a2]) & (unit[a] == unit[a2]) & (unit[a] != unit[b])
    if by_returns:
        ret = ctx.is_("return")
        hit &= ret[tail[a]] & ret[tail[b]]
    p = np.flatnonzero(hit)
    if len(p) == 0:
        return _Found.empty()
    first_ret, second_ret, back = tail[p], tail[p + 1], head[p + 2]
    detail = (pd.Series(_names(ctx.units, unit[p])) + "→" + pd.Series(_names(ctx.units, unit[p + 1]))
              + "→" + pd.Series(_names(ctx.units, unit[p])))
    return _Found(ctx.case[first_ret], unit[p], ctx.lvl[first_ret], ctx.ts[first_ret], ctx.ts[back],
                  [first_ret, second_ret, back], detail=detail.to_numpy(dtype=object))


def _presign(ctx: _Ctx) -> dict[str, np.ndarray]:
    """Per case: distinct units before one signs for good, and the dwell from first dispatch to then.

    The accepting 签收 is the first one after the last 退单 before handling begins
    (later 签收 after an escalation or a reopening do not count).
    """
    n_cases = len(ctx.starts)
    ev = np.arange(ctx.n)
    first_handle = ctx.first_in_case(ctx.is_("handle"))
    handling = np.where(first_handle >= 0, first_handle, ctx.starts + ctx.lengths)[ctx.case]
    last_return = ctx.last_in_case(ctx.is_("return") & (ev < handling))
    last_sign = ctx.first_in_case(ctx.is_("sign") & (ev > last_return[ctx.case]))
    first_dispatch = ctx.first_in_case(ctx.is_("dispatch", "redispatch"))
    signed = last_sign >= 0
    limit = np.where(signed, last_sign, -1)[ctx.case]
    take = ((ctx.is_("return") & (ev < limit)) | (ev == limit)) & (ctx.res >= 0)
    key = np.unique(ctx.case[take] * (len(ctx.units) + 1) + ctx.res[take])
    units = np.bincount(key // (len(ctx.units) + 1), minlength=n_cases).astype(float)
    units[~signed] = np.nan
    ok = signed & (first_dispatch >= 0) & (first_dispatch <= last_sign)
    dwell = np.full(n_cases, np.nan)
    dwell[ok] = (ctx.ts[last_sign[ok]] - ctx.ts[first_dispatch[ok]]) / _NS
    work = np.full(n_cases, np.nan)
    work[ok] = _working(ctx, ctx.ts[first_dispatch[ok]], ctx.ts[last_sign[ok]])
    return {"units_before_sign": units, "presign_dwell_s": dwell, "presign_dwell_work_s": work}


def _dumping(ctx: _Ctx) -> _Found:
    line_return = ctx.is_("return") & (ctx.kind == 1)
    first_line_return = ctx.first_in_case(line_return)
    final_handle = ctx.last_in_case(ctx.is_("handle"))
    hit = (first_line_return >= 0) & (final_handle > first_line_return)
    hit[hit] &= ctx.kind[final_handle[hit]] == 2
    cases = np.flatnonzero(hit)
    if len(cases) == 0:
        return _Found.empty()
    r, h = first_line_return[cases], final_handle[cases]
    # the order is owned again when the block unit that handles it first acts after the return
    by_handler = ctx.res[h]
    handler_of_case = np.full(len(ctx.starts), -2, dtype=np.int64)
    handler_of_case[cases] = by_handler
    after = np.full(len(ctx.starts), ctx.n, dtype=np.int64)
    after[cases] = r
    ev = np.arange(ctx.n)
    mark = (ctx.res == handler_of_case[ctx.case]) & (ev > after[ctx.case])
    first_owned = ctx.first_in_case(mark)[cases]
    owner = np.where(first_owned >= 0, first_owned, h)
    detail = (pd.Series(_names(ctx.units, ctx.res[r])) + " (条) returned → "
              + pd.Series(_names(ctx.units, by_handler)) + " (块) handled")
    return _Found(cases, ctx.res[r], ctx.lvl[r], ctx.ts[r], ctx.ts[owner], [r, owner, h],
                  detail=detail.to_numpy(dtype=object))


def _rework(ctx: _Ctx) -> _Found:
    handle = ctx.is_("handle")
    # check failed, then handled again
    failed = np.flatnonzero(ctx.is_("check_failed"))
    again = ctx.next_where(handle)[failed]
    ok = again >= 0
    f1, f2 = failed[ok], again[ok]
    # the same unit handles twice with no closure in between
    h = np.flatnonzero(handle & (ctx.res >= 0))
    order = np.lexsort((h, ctx.res[h], ctx.case[h]))
    h = h[order]
    same = (ctx.case[h[1:]] == ctx.case[h[:-1]]) & (ctx.res[h[1:]] == ctx.res[h[:-1]])
    p1, p2 = h[:-1][same], h[1:][same]
    cs_close = _cumsum0(ctx.is_("close"))
    open_between = (cs_close[p2] - cs_close[p1 + 1]) == 0
    p1, p2 = p1[open_between], p2[open_between]
    start = np.concatenate((f1, p1))
    stop = np.concatenate((f2, p2))
    if len(start) == 0:
        return _Found.empty()
    keep = _dedupe(ctx.case[stop], stop)       # one occurrence per re-handling event
    start, stop = start[keep], stop[keep]
    why = np.where(ctx.is_("check_failed")[start], "check failed → handled again by ",
                   "handled twice by ")
    detail = pd.Series(why, dtype=object) + pd.Series(_names(ctx.units, ctx.res[stop]))
    return _Found(ctx.case[stop], ctx.res[stop], ctx.lvl[stop], ctx.ts[start], ctx.ts[stop],
                  [start, stop], detail=detail.to_numpy(dtype=object))


def _dedupe(*keys: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct key tuple."""
    frame = pd.DataFrame({f"k{i}": k for i, k in enumerate(keys)})
    return np.flatnonzero(~frame.duplicated().to_numpy())


def _rework_by_activity(ctx: _Ctx) -> tuple[dict[str, int], _Found]:
    """pm4py's rework measure: per activity, the cases in which it occurs more than once."""
    n_act = len(ctx.act_names)
    ev = np.flatnonzero(ctx.act >= 0)
    key = ctx.case[ev] * (n_act + 1) + ctx.act[ev]
    order = np.argsort(key, kind="stable")      # stable: each group's events stay in order
    key, ev = key[order], ev[order]
    if len(key) == 0:
        return {}, _Found.empty()
    head = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    size = np.diff(np.append(head, len(key)))
    rep = size > 1
    first, last = ev[head[rep]], ev[(head + size - 1)[rep]]
    acts = ctx.act[first]
    per_act = np.bincount(acts, minlength=n_act)
    counts = {str(ctx.act_names[a]): int(per_act[a]) for a in np.flatnonzero(per_act)}
    if len(first) == 0:
        return counts, _Found.empty()
    # per case: from the first to the last occurrence of any repeated activity
    case = ctx.case[first]
    bounds = np.flatnonzero(np.concatenate(([True], case[1:] != case[:-1])))
    i0 = np.minimum.reduceat(first, bounds)
    i1 = np.maximum.reduceat(last, bounds)
    # the activity named in the detail: the one repeated first
    order_first = np.lexsort((first, case))
    lead = first[order_first][np.flatnonzero(np.concatenate(([True], case[order_first][1:]
                                                              != case[order_first][:-1])))]
    detail = pd.Series(ctx.activity(lead), dtype=object) + " repeated"
    return counts, _Found(ctx.case[i0], ctx.res[i1], ctx.lvl[i1], ctx.ts[i0], ctx.ts[i1],
                          [i0, i1], detail=detail.to_numpy(dtype=object))


def _reopen(ctx: _Ctx) -> _Found:
    first_close = ctx.first_in_case(ctx.is_("close"))
    ev = np.arange(ctx.n)
    after_close = (first_close[ctx.case] >= 0) & (ev > first_close[ctx.case])
    complaint = ctx.first_in_case(ctx.is_("dissatisfied", "reopen") & after_close)
    cases = np.flatnonzero(complaint >= 0)
    redo = ctx.next_where(ctx.is_("handle"))[complaint[cases]]
    ok = redo >= 0
    cases, redo = cases[ok], redo[ok]
    if len(cases) == 0:
        return _Found.empty()
    c0, j = first_close[cases], complaint[cases]
    last_close = ctx.last_in_case(ctx.is_("close"))[cases]
    stop = np.where(last_close > redo, last_close, ctx.starts[cases] + ctx.lengths[cases] - 1)
    detail = pd.Series(ctx.activity(j), dtype=object).astype(str) + " after closure; handled again by " + \
        pd.Series(_names(ctx.units, ctx.res[redo]))
    return _Found(cases, ctx.res[redo], ctx.lvl[redo], ctx.ts[c0], ctx.ts[stop], [c0, j, redo],
                  detail=detail.to_numpy(dtype=object))


def _deadline_ns(ctx: _Ctx) -> np.ndarray:
    """Per case: the deadline in ns, int64 min where absent."""
    col = ctx.log.events[DEADLINE].iloc[ctx.starts]
    if not isinstance(col.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_any_dtype(col):
        col = pd.to_datetime(col, errors="coerce", utc=True)
    return col.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _hugging(ctx: _Ctx, *, last_share: float, window_start: str,
             extension_hours: float) -> tuple[_Found, dict[str, np.ndarray], dict[str, int]]:
    """Cases closed in the last share of their window; per case ``window_used`` and
    ``late_extension``; and the counts of :func:`_hugging_details` (they add up over parts)."""
    n_cases = len(ctx.starts)
    nat = np.iinfo(np.int64).min
    due = _deadline_ns(ctx)
    close = ctx.last_in_case(ctx.is_("close"))
    if window_start == "dispatch":
        begin = ctx.first_in_case(ctx.is_("dispatch", "redispatch"))
        begin = np.where(begin >= 0, begin, ctx.starts)
    else:
        begin = ctx.starts
    ok = (due != nat) & (close >= 0)
    t0, t1 = ctx.ts[begin], ctx.ts[np.where(close >= 0, close, begin)]
    used = np.full(n_cases, np.nan)
    if ctx.calendar is not None:
        allowed = _working(ctx, t0[ok], due[ok])
        spent = _working(ctx, t0[ok], t1[ok])
    else:
        allowed = (due[ok] - t0[ok]) / _NS
        spent = (t1[ok] - t0[ok]) / _NS
    with np.errstate(divide="ignore", invalid="ignore"):
        used[ok] = np.where(allowed > 0, spent / allowed, np.nan)
    in_time = ok & (t1 <= due)
    hug = in_time & (used >= 1 - last_share)
    # extensions filed in the last hours before the deadline
    ext = np.flatnonzero(ctx.is_("extension_request"))
    ext_due = due[ctx.case[ext]]
    has_due = ext_due != nat
    ext, ext_due = ext[has_due], ext_due[has_due]
    if ctx.calendar is not None:
        left = _working(ctx, ctx.ts[ext], ext_due)
    else:
        left = (ext_due - ctx.ts[ext]) / _NS
    late = ext[(ctx.ts[ext] <= ext_due) & (left <= extension_hours * 3600)]
    late_ext = np.zeros(n_cases, dtype=bool)
    late_ext[ctx.case[late]] = True
    cases = np.flatnonzero(hug)
    closer = close[cases]
    handler = ctx.last_in_case(ctx.is_("handle"))[cases]
    who = np.where(handler >= 0, handler, closer)
    detail = pd.Series(np.round(used[cases] * 100, 1)).astype(str) + "% of the window used"
    found = _Found(cases, ctx.res[who], ctx.lvl[who], ctx.ts[closer], ctx.ts[closer], [closer],
                   detail=detail.to_numpy(dtype=object))
    prev = in_time & (used >= 1 - 2 * last_share) & (used < 1 - last_share)
    counts = {
        "closed_with_deadline": int(ok.sum()),
        "closed_in_time": int(in_time.sum()),
        "in_last_share": int(hug.sum()),
        "in_previous_band": int(prev.sum()),
        "overdue": int((ok & (t1 > due)).sum()),
        "late_extensions": int(len(late)),
        "late_extension_cases": int(late_ext.sum()),
    }
    return found, {"window_used": used, "late_extension": late_ext}, counts


def _hugging_details(counts: dict[str, int], *, last_share: float, window_start: str,
                     extension_hours: float, working_time: bool) -> dict[str, Any]:
    """The hugging figures: the share closed in the last band against a smooth spread."""
    n_in_time = counts["closed_in_time"]

    def share(n: int) -> float | None:
        return n / n_in_time if n_in_time else None

    return {
        "closed_with_deadline": counts["closed_with_deadline"],
        "closed_in_time": n_in_time,
        "in_last_share": counts["in_last_share"],
        "last_share": last_share,
        "observed_share": share(counts["in_last_share"]),
        "expected_share_if_smooth": last_share,
        "ratio_to_smooth": (counts["in_last_share"] / n_in_time / last_share) if n_in_time else None,
        "share_in_previous_band": share(counts["in_previous_band"]),
        "overdue": counts["overdue"],
        "late_extensions": counts["late_extensions"],
        "late_extension_cases": counts["late_extension_cases"],
        "extension_hours": extension_hours,
        "window_start": window_start,
        "working_time": working_time,
    }


def _desk(ctx: _Ctx, *, desk_minutes: float) -> _Found:
    check = np.flatnonzero(ctx.is_("check"))
    fb = ctx.prev_where(ctx.is_("feedback"))[check]
    ok = fb >= 0
    check, fb = check[ok], fb[ok]
    fast = (ctx.ts[check] - ctx.ts[fb]) <= desk_minutes * 60 * _NS
    check, fb = check[fast], fb[fast]
    keep = _dedupe(ctx.case[check])
    check, fb = check[keep], fb[keep]
    minutes = (ctx.ts[check] - ctx.ts[fb]) / _NS / 60
    d1 = "checked " + pd.Series(np.round(minutes, 1)).astype(str) + " min after feedback"
    # closures with no field step at all
    closed = ctx.first_in_case(ctx.is_("close"))
    field_step = ctx.any_in_case(ctx.is_("handle", "check"))
    bare = np.flatnonzero((closed >= 0) & ~field_step)
    bare = bare[~np.isin(bare, ctx.case[check])]
    cl = closed[bare]
    case = np.concatenate((ctx.case[check], bare))
    first_ev = np.concatenate((fb, cl))
    second = np.concatenate((check, np.full(len(bare), -1, dtype=np.int64)))
    actor = np.concatenate((check, cl))
    detail = np.concatenate((d1.to_numpy(dtype=object),
                             np.full(len(bare), "closed with no handling or check", dtype=object)))
    t = ctx.ts[actor]
    return _Found(case, ctx.res[actor], ctx.lvl[actor], t, t, [first_ev, second], detail=detail)


def _supervision(ctx: _Ctx, category: np.ndarray) -> tuple[_Found, pd.DataFrame]:
    """Supervised cases, and per case the cycle times the supervision gap is measured on.

    The cost of a supervised case is its cycle time minus the ordinary median of its
    category, a median over every case: the found cost is the cycle time, and
    :func:`_finish` takes the median off. ``category`` is the case's category ('' if none).
    """
    supervised = ctx.any_in_case(ctx.is_("urge", "supervise"))
    last = ctx.starts + ctx.lengths - 1
    cycle = (ctx.ts[last] - ctx.ts[ctx.starts]) / _NS
    cycle_work = _working(ctx, ctx.ts[ctx.starts], ctx.ts[last])
    cycles = pd.DataFrame({"category": category, "supervised": supervised, "cycle": cycle,
                           "cycle_work": cycle_work})
    cases = np.flatnonzero(supervised)
    first_sup = ctx.first_in_case(ctx.is_("urge", "supervise"))[cases]
    handler = ctx.last_in_case(ctx.is_("handle"))[cases]
    who = np.where(handler >= 0, handler, first_sup)
    detail = pd.Series(ctx.activity(first_sup), dtype=object).astype(str) + " at " + \
        pd.Series(_names(ctx.units, ctx.res[first_sup]))
    found = _Found(cases, ctx.res[who], ctx.lvl[who], ctx.ts[first_sup], ctx.ts[first_sup],
                   [first_sup], detail=detail.to_numpy(dtype=object),
                   cost=cycle[cases], cost_work=cycle_work[cases])
    return found, cycles


def _supervision_table(medians: Medians, *, by_category: bool) -> pd.DataFrame:
    """Per category: supervised and ordinary cases, their median cycle times, and the gap."""
    keys = ["category", "supervised"]
    cycle = medians("cycles", keys, "cycle").set_index(keys)
    work = medians("cycles", keys, "cycle_work").set_index(keys)
    if not by_category:         # no category anywhere: one group of every case
        cycle = cycle.rename(index={"": "(all)"}, level="category")
        work = work.rename(index={"": "(all)"}, level="category")
    med = pd.DataFrame({"cycle": cycle["median"], "cycle_work": work["median"]}).unstack("supervised")
    count = cycle["rows"].unstack("supervised", fill_value=0)
    table = pd.DataFrame(index=med.index if len(med) else pd.Index([], name="category"))
    for flag, name in ((True, "supervised"), (False, "ordinary")):
        table[f"{name}_cases"] = count[flag] if flag in count.columns else 0
        table[f"{name}_median_s"] = med[("cycle", flag)] if ("cycle", flag) in med.columns else np.nan
        table[f"{name}_median_work_s"] = (med[("cycle_work", flag)] if ("cycle_work", flag) in med.columns
                                          else np.nan)
    table["gap_s"] = table["supervised_median_s"] - table["ordinary_median_s"]
    table["gap_work_s"] = table["supervised_median_work_s"] - table["ordinary_median_work_s"]
    return table.reset_index()


# --------------------------------------------------------------------------- assembly


def _local_minutes(ctx: _Ctx, idx: np.ndarray) -> np.ndarray:
    """Local wall-clock times of events as ``datetime64[m]``."""
    local = (pd.DatetimeIndex(ctx.ts[idx].astype("datetime64[ns]"), tz="UTC")
             .tz_convert(ctx.log.timezone or "UTC").tz_localize(None))
    return local.to_numpy().astype("datetime64[m]")


def _event_text(ctx: _Ctx, idx: np.ndarray) -> np.ndarray:
    """``#pos activity [unit] MM-DD HH:MM`` for each event index (empty for -1).

    Built with numpy's fixed-width strings: the label of each distinct (activity,
    unit) pair once, the times in one ``datetime_as_string`` call.
    """
    out = np.full(len(idx), "", dtype=object)
    ok = idx >= 0
    if not ok.any():
        return out
    i = idx[ok]
    # 'YYYY-MM-DDTHH:MM' -> 'MM-DD HH:MM' by slicing the characters of the fixed-width array
    chars = np.datetime_as_string(_local_minutes(ctx, i)).astype("<U16").view("<U1").reshape(-1, 16)
    chars = np.ascontiguousarray(chars[:, 5:])
    chars[:, 5] = " "
    when = chars.view("<U11").ravel()
    pair = ctx.act[i] * (len(ctx.units) + 1) + np.where(ctx.res[i] >= 0, ctx.res[i], len(ctx.units))
    pairs, inverse = np.unique(pair, return_inverse=True)
    acts = np.append(ctx.act_names, "")[pairs // (len(ctx.units) + 1)]
    units = _names(ctx.units, np.where(pairs % (len(ctx.units) + 1) < len(ctx.units),
                                       pairs % (len(ctx.units) + 1), -1))
    labels = np.array([f"{a} [{u}] " if u else f"{a} " for a, u in zip(acts, units, strict=True)])
    position = (i - ctx.first[i] + 1).astype(str)
    text = np.char.add(np.char.add(np.char.add("#", position), " "),
                       np.char.add(labels[inverse.ravel()], when))
    out[ok] = text.astype(object)
    return out


_EVIDENCE_COLUMNS = ["case", "pattern", "occurrences", "unit", "level", "category", "source",
                     "month", "cost_s", "cost_work_s", "detail", "events"]


def _no_evidence() -> pd.DataFrame:
    return pd.DataFrame(columns=_EVIDENCE_COLUMNS)


def _per_case(ctx: _Ctx, pattern: str, found: _Found, attrs: dict[str, np.ndarray]) -> pd.DataFrame:
    """One evidence row per flagged case: the first occurrence, the union of the cost intervals."""
    if len(found.case) == 0:
        return pd.DataFrame(columns=[*_EVIDENCE_COLUMNS, "_code"])
    frame = pd.DataFrame({"c": found.case, "t0": found.t0, "t1": np.maximum(found.t1, found.t0),
                          "k": np.arange(len(found.case))})
    frame = frame.sort_values(["c", "t0", "k"], kind="stable")
    # union of the intervals of a case: clip each by the furthest end so far
    run = frame.groupby("c")["t1"].cummax()
    prev = run.groupby(frame["c"]).shift(1).fillna(np.iinfo(np.int64).min).astype(np.int64)
    lo = np.maximum(frame["t0"].to_numpy(), prev.to_numpy())
    hi = frame["t1"].to_numpy()
    add = np.where(hi > lo, hi - lo, 0) / _NS
    frame["cost"] = add
    if found.cost is not None:
        frame["cost"] = found.cost[frame["k"].to_numpy()]
        frame["work"] = (found.cost_work[frame["k"].to_numpy()] if found.cost_work is not None
                         else np.nan)
    else:
        work = np.zeros(len(frame))
        pos = hi > lo
        if ctx.calendar is None:
            work[:] = np.nan
        elif pos.any():
            work[pos] = _working(ctx, lo[pos], hi[pos])
        frame["work"] = work
    grouped = frame.groupby("c", sort=False)
    totals = pd.DataFrame({"occurrences": grouped.size(),
                           "cost": grouped["cost"].sum(min_count=1),
                           "work": grouped["work"].sum(min_count=1)})
    firsts = frame.drop_duplicates("c")
    k = firsts["k"].to_numpy()
    c = firsts["c"].to_numpy()
    levels = np.append(np.asarray(ctx.log.levels, dtype=object), "")
    joined = np.full(len(k), "", dtype=object)
    for e in found.events:
        part = _event_text(ctx, e[k])
        joined = np.where(joined == "", part, np.where(part == "", joined, joined + " → " + part))
    lv = found.level[k]
    out = pd.DataFrame({
        "case": ctx.case_ids[c],
        "pattern": pattern,
        "occurrences": totals.loc[c, "occurrences"].to_numpy(),
        "unit": _names(ctx.units, found.unit[k]),
        "level": levels[np.where(lv >= 0, lv, len(levels) - 1)],
        "category": attrs["category"][c],
        "source": attrs["source"][c],
        "month": attrs["month"][c],
        "cost_s": totals.loc[c, "cost"].to_numpy(dtype=float),
        "cost_work_s": totals.loc[c, "work"].to_numpy(dtype=float),
        "detail": found.detail[k] if found.detail is not None else "",
        "events": joined,
    })
    if pattern in ("hugging", "desk"):   # quality patterns: no time is lost by the pattern itself
        out["cost_s"] = np.nan
        out["cost_work_s"] = np.nan
    out["_code"] = c
    return out


def _attrs(ctx: _Ctx) -> dict[str, np.ndarray]:
    """Per case: category, source and month of the first event (object arrays, '' if absent)."""
    events = ctx.log.events
    first = ctx.starts

    def col(name: str) -> np.ndarray:
        if name in events.columns:
            return events[name].iloc[first].astype("string").fillna("").to_numpy(dtype=object)
        return np.full(len(first), "", dtype=object)

    month = np.datetime_as_string(_local_minutes(ctx, first).astype("datetime64[M]"))
    return {"category": col(CATEGORY), "source": col(SOURCE), "month": month.astype(object)}


def _top(values: pd.Series, k: int = 3) -> str:
    counts = values[values != ""].value_counts()
    return ", ".join(f"{name} ({n})" for name, n in counts.head(k).items())


def _summary(evidence: pd.DataFrame, ran: list[str], n_cases: int) -> pd.DataFrame:
    rows = []
    for pattern in ran:
        ev = evidence[evidence["pattern"] == pattern]
        flagged = len(ev)
        cost = ev["cost_s"].sum(min_count=1)
        work = ev["cost_work_s"].sum(min_count=1)
        rows.append({
            "pattern": pattern,
            "cases": flagged,
            "share": flagged / n_cases if n_cases else 0.0,
            "cost_s": float(cost) if pd.notna(cost) else None,
            "cost_work_s": float(work) if pd.notna(work) else None,
            "mean_cost_s": float(ev["cost_s"].mean()) if flagged and ev["cost_s"].notna().any() else None,
            "top_units": _top(ev["unit"]),
            "top_levels": _top(ev["level"]),
        })
    return pd.DataFrame(rows, columns=["pattern", "cases", "share", "cost_s", "cost_work_s",
                                       "mean_cost_s", "top_units", "top_levels"])


def _by_base(ctx: _Ctx, by: str, attrs: dict[str, np.ndarray]) -> pd.Series:
    """Cases per group: those in which the unit (level) acts, or of the category, source, month."""
    if by in ("unit", "level"):
        if by == "unit":
            ok = ctx.res >= 0
            names = _names(ctx.units, ctx.res[ok])
        else:
            ok = ctx.lvl >= 0
            names = np.asarray(ctx.log.levels, dtype=object)[ctx.lvl[ok]]
        touched = pd.DataFrame({"g": names, "c": ctx.case[ok]}).drop_duplicates()
        base = touched.groupby("g").size()
    else:
        base = pd.Series(attrs[by], dtype="str").value_counts()
    return base[base.index != ""]


def _by_table(evidence: pd.DataFrame, ran: list[str], by: str, base: pd.Series) -> pd.DataFrame:
    """Flagged cases per group and pattern, against the cases of the group."""
    ev = evidence[evidence["pattern"].isin(ran)]
    groups = ev.groupby([by, "pattern"])
    grouped = pd.DataFrame({"flagged": groups.size(),
                            "cost_s": groups["cost_s"].sum(min_count=1),
                            "cost_work_s": groups["cost_work_s"].sum(min_count=1)}).reset_index()
    grid = pd.MultiIndex.from_product([base.index, ran], names=[by, "pattern"]).to_frame(index=False)
    table = grid.merge(grouped, on=[by, "pattern"], how="left")
    table["flagged"] = table["flagged"].fillna(0).astype(int)
    table.insert(2, "cases", table[by].map(base).astype(int))
    table["share"] = table["flagged"] / table["cases"]
    table = table[["pattern", by, "cases", "flagged", "share", "cost_s", "cost_work_s"]]
    return table.sort_values(["pattern", "flagged", by], ascending=[True, False, True],
                             key=lambda s: s.map(PATTERNS.index) if s.name == "pattern" else s,
                             kind="stable").reset_index(drop=True)


_FLOW_COLUMNS = ["from_level", "to_level", "direction", "via", "count", "cases", "median_s",
                 "total_s"]
_FLOW_KEYS = ["from", "to", "via"]


def _level_moves(ctx: _Ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Moves between levels: consecutive events of a case (with a level) at different levels.

    ``via`` names the step that moved the order: ``escalation`` (提级), ``dispatch``
    (派遣, 改派, 下派) or ``other`` (e.g. a hotline report taken by a street centre).
    Returns per (``from``, ``to``, ``via``) level ranks the ``count``, the ``cases`` and
    the total wait in whole seconds ``s`` and nanoseconds ``ns`` (integers: they add up
    exactly, in any order); and the ``wait`` of each move in seconds, for the medians.
    """
    idx = np.flatnonzero(ctx.lvl >= 0)
    a, b = idx[:-1], idx[1:]
    move = (ctx.case[a] == ctx.case[b]) & (ctx.lvl[a] != ctx.lvl[b])
    a, b = a[move], b[move]
    via = np.where(ctx.is_("escalate")[a], "escalation",
                   np.where(ctx.is_("dispatch", "redispatch", "assign_down")[a], "dispatch", "other"))
    wait = ctx.ts[b] - ctx.ts[a]
    moves = pd.DataFrame({"from": ctx.lvl[a], "to": ctx.lvl[b], "via": via, "case": ctx.case[a],
                          "wait": wait / _NS, "s": wait // _NS, "ns": wait % _NS})
    counts = moves.groupby(_FLOW_KEYS).agg(
        count=("wait", "size"), cases=("case", "nunique"), s=("s", "sum"),
        ns=("ns", "sum")).reset_index()
    return counts, moves[[*_FLOW_KEYS, "wait"]]


def _flows_table(counts: pd.DataFrame, medians: Medians, levels: Sequence[str]) -> pd.DataFrame:
    """``flows``: per move between levels, its count, cases, median and total wait (seconds)."""
    if counts.empty:
        return _flows_empty()
    median = medians("waits", _FLOW_KEYS, "wait")[[*_FLOW_KEYS, "median"]]
    table = counts.merge(median, on=_FLOW_KEYS, how="left")
    table = table.sort_values(_FLOW_KEYS, kind="stable").reset_index(drop=True)
    table = table.rename(columns={"median": "median_s"})
    # the exact sum, rounded once: a sum of floats would depend on the order of the parts
    table["total_s"] = [(int(s) * _NS + int(ns)) / _NS
                        for s, ns in zip(table["s"], table["ns"], strict=True)]
    names = np.asarray(levels, dtype=object)
    table.insert(2, "direction", np.where(table["to"] > table["from"], "up", "down"))
    table["from"] = names[table["from"].to_numpy()]
    table["to"] = names[table["to"].to_numpy()]
    table = table.rename(columns={"from": "from_level", "to": "to_level"})[_FLOW_COLUMNS]
    return table.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def _flows_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=_FLOW_COLUMNS)


def _handovers(ctx: _Ctx, found: _Found) -> pd.DataFrame:
    """Ping-pong pairs: ``source`` returned the order, ``target`` returned it back; ``count``."""
    if len(found.case) == 0:
        return _no_handovers()
    first_ret, second_ret, back = found.events
    frame = pd.DataFrame({"source": _names(ctx.units, ctx.res[first_ret]),
                          "target": _names(ctx.units, ctx.res[second_ret])})
    return frame.groupby(["source", "target"]).size().rename("count").reset_index()


def _handover_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """``handovers``: the ping-pong pairs, most frequent first."""
    if pairs.empty:
        return _no_handovers()
    return (pairs.sort_values(["count", "source", "target"], ascending=[False, True, True])
            .reset_index(drop=True))


def _no_handovers() -> pd.DataFrame:
    return pd.DataFrame(columns=["source", "target", "count"])


def _choose(patterns: str | Sequence[str]) -> list[str]:
    chosen = [patterns] if isinstance(patterns, str) else list(patterns)
    if "all" in chosen:
        return list(PATTERNS)
    unknown = [p for p in chosen if p not in PATTERNS]
    if unknown:
        raise InputError(f"unknown pattern {unknown[0]!r}",
                         hint="choose among all, " + ", ".join(PATTERNS))
    return [p for p in PATTERNS if p in chosen]


# --------------------------------------------------------------------------- one pass, then the result

#: ``medians(name, keys, value)``: per group of ``keys`` of the rows ``name`` (sorted by the
#: keys), ``rows`` and the ``median`` of ``value`` without missing values, as pandas'
#: groupby median computes it (the mean of the two middle values).
Medians = Callable[[str, list[str], str], pd.DataFrame]

#: What each pattern needs: columns with a value, then a role of each group.
_NEEDS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "escalation": ((LEVEL, RESOURCE), (("escalate",), ("assign_down",))),
    "pingpong": ((RESOURCE,), ()),
    "dumping": ((KIND,), (("return",), ("handle",))),
    "rework": ((), ()),
    "reopen": ((), (("close",), ("dissatisfied", "reopen"), ("handle",))),
    "hugging": ((DEADLINE,), (("close",),)),
    "desk": ((), (("close", "check"),)),
    "supervision": ((), (("urge", "supervise"),)),
}
_NO_COLUMN = {
    LEVEL: "the log has no org:level column (map it with --level)",
    RESOURCE: "the log has no org:resource column (map it with --resource)",
    KIND: "the log has no org:kind column (条/块; map it with --kind)",
    DEADLINE: "the log has no case:deadline column (map it with --deadline)",
}
_PRESIGN = ("units_before_sign", "presign_dwell_s", "presign_dwell_work_s")


@dataclass(frozen=True)
class _Options:
    """The options of :func:`find_loops`, checked."""

    patterns: tuple[str, ...]
    by: str | None
    calendar: Any
    aliases: Mapping[str, str] | None
    last_share: float
    window_start: str
    extension_hours: float
    desk_minutes: float


@dataclass(frozen=True)
class _Part:
    """What one pass over events found: over a log in memory, or one part of whole cases.

    Per case, everything is final: ``cases`` (measures, and a flag for each pattern
    computed) and ``evidence`` (the cost of a supervised case is still its cycle time;
    :func:`_finish` takes the ordinary median off). ``handovers``, ``flows``,
    ``hugging``, ``by`` and ``rework`` are counts that add up over parts; ``values``
    the rows medians are taken over. Which patterns ran is decided by :func:`_finish`
    from ``has``, ``roles`` and ``dispatch``: a part may lack a role the log has.
    """

    n_cases: int
    levels: tuple[str, ...]
    has: dict[str, bool]               # canonical column -> it holds a value
    roles: frozenset[str]              # roles of the activities that occur
    dispatch: bool                     # steps of the dispatch loop occur (pingpong, rework read them)
    activities: tuple[str, ...]        # in order of first appearance
    rework: dict[str, int]             # activity -> cases in which it repeats
    cases: pd.DataFrame
    evidence: dict[str, pd.DataFrame]  # pattern -> one row per flagged case
    handovers: pd.DataFrame            # source, target, count
    flows: pd.DataFrame                # see _level_moves
    hugging: dict[str, int]            # see _hugging
    by: pd.Series | None               # cases per group of ``by``
    values: dict[str, pd.DataFrame]    # "waits" (between levels), "cycles" (for supervision)

    def without(self, *patterns: str) -> _Part:
        """This part as if ``patterns`` had found nothing in it."""
        cases = self.cases.copy()
        for pattern in patterns:
            if pattern in cases.columns:
                cases[pattern] = False
        evidence = {p: _no_evidence() if p in patterns else rows for p, rows in self.evidence.items()}
        handovers = _no_handovers() if "pingpong" in patterns else self.handovers
        return replace(self, cases=cases, evidence=evidence, handovers=handovers)


def _analyse(log: EventLog, o: _Options) -> _Part:
    """Every chosen pattern on ``log``, whatever its roles (what ran is :func:`_finish`'s call)."""
    ctx = _context(log, o.calendar, o.aliases)
    attrs = _attrs(ctx)
    cases = pd.DataFrame({"case": ctx.case_ids})
    found: dict[str, _Found] = {}
    hugging: dict[str, int] = {}
    values: dict[str, pd.DataFrame] = {}
    rework, generic_rework = _rework_by_activity(ctx)
    for pattern in o.patterns:
        if pattern == "escalation":
            found[pattern] = _escalation(ctx)
        elif pattern == "pingpong":
            found[pattern] = _pingpong(ctx)
            for key, value in _presign(ctx).items():
                cases[key] = value
        elif pattern == "dumping":
            found[pattern] = _dumping(ctx)
        elif pattern == "rework":
            found[pattern] = _rework(ctx) if ctx.dispatch_log else generic_rework
        elif pattern == "reopen":
            found[pattern] = _reopen(ctx)
        elif pattern == "hugging" and DEADLINE in ctx.log.events.columns:
            found[pattern], measures, hugging = _hugging(
                ctx, last_share=o.last_share, window_start=o.window_start,
                extension_hours=o.extension_hours)
            for key, value in measures.items():
                cases[key] = value
        elif pattern == "desk":
            found[pattern] = _desk(ctx, desk_minutes=o.desk_minutes)
        elif pattern == "supervision":
            found[pattern], values["cycles"] = _supervision(ctx, attrs["category"])
    evidence = {}
    for pattern, f in found.items():
        rows = _per_case(ctx, pattern, f, attrs)
        flag = np.zeros(len(ctx.starts), dtype=bool)
        flag[rows["_code"].to_numpy(dtype=np.int64)] = True
        cases[pattern] = flag
        evidence[pattern] = rows.drop(columns="_code")
    flows, values["waits"] = _level_moves(ctx)
    return _Part(
        n_cases=len(ctx.starts), levels=tuple(ctx.log.levels),
        has={c: ctx.log.has(c) for c in (LEVEL, RESOURCE, KIND, DEADLINE, CATEGORY)},
        roles=frozenset(r for r in ctx.act_roles if r is not None), dispatch=ctx.dispatch_log,
        activities=tuple(str(a) for a in ctx.act_names), rework=rework, cases=cases,
        evidence=evidence,
        handovers=_handovers(ctx, found["pingpong"]) if "pingpong" in found else _no_handovers(),
        flows=flows, hugging=hugging, by=_by_base(ctx, o.by, attrs) if o.by else None,
        values=values)


def _skip_reason(pattern: str, part: _Part) -> str | None:
    columns, roles = _NEEDS[pattern]
    for column in columns:
        if not part.has[column]:
            return _NO_COLUMN[column]
    for group in roles:
        if not part.roles & set(group):
            return (f"no activity maps to the role {'/'.join(group)} (name it in the workflow "
                    "spec's aliases)")
    return None


def _finish(part: _Part, o: _Options, medians: Medians) -> LoopsResult:
    """The result of what was found: which patterns ran, their cases and evidence, the
    summary, the ``by`` table, the details and the flows."""
    skipped = {p: why for p in o.patterns if (why := _skip_reason(p, part))}
    ran = [p for p in o.patterns if p not in skipped]
    notes: list[str] = []
    if o.calendar is None:
        notes.append("no working calendar: working-time costs are empty and the hugging window is "
                     "in clock time")
    if "pingpong" in ran and not part.dispatch:
        notes.append("pingpong: no dispatch step in the log, so ping-pong is an A→B→A "
                     "handover of org:resource")
    if "rework" in ran and not part.dispatch:
        notes.append("rework: no dispatch step in the log, so rework is an activity "
                     "repeated within a case (as pm4py's get_rework_cases_per_activity)")
    if not part.roles:
        notes.append("no activity name maps to a dispatch role; only unit- and activity-based "
                     "patterns ran")
    evidence = {p: part.evidence[p] for p in ran}
    details: dict[str, Any] = {}
    measures: list[str] = []
    if "pingpong" in ran and "sign" in part.roles:
        measures += _PRESIGN
        details["pingpong"] = _pingpong_details(part.cases)
    if "hugging" in ran:
        measures += ["window_used", "late_extension"]
        details["hugging"] = _hugging_details(
            part.hugging, last_share=o.last_share, window_start=o.window_start,
            extension_hours=o.extension_hours, working_time=o.calendar is not None)
    if "supervision" in ran:
        table = _supervision_table(medians, by_category=part.has[CATEGORY])
        evidence["supervision"] = _less_ordinary(evidence["supervision"], table,
                                                 by_category=part.has[CATEGORY])
        details["supervision"] = {"by_category": table}
    rows = [evidence[p] for p in ran]
    flagged = pd.concat(rows, ignore_index=True) if rows else _no_evidence()
    return LoopsResult(
        cases=part.cases[["case", *ran, *measures]], evidence=flagged,
        summary=_summary(flagged, ran, part.n_cases),
        by=_by_table(flagged, ran, o.by, part.by) if o.by else None,
        flows=_flows_table(part.flows, medians, part.levels) if part.has[LEVEL] else _flows_empty(),
        handovers=_handover_table(part.handovers) if "pingpong" in ran else _no_handovers(),
        rework_by_activity=dict(part.rework), details=details, skipped=skipped,
        notes=tuple(notes), n_cases=part.n_cases, levels=part.levels)


def _pingpong_details(cases: pd.DataFrame) -> dict[str, Any]:
    units = cases["units_before_sign"].to_numpy(dtype=float)
    known = units[~np.isnan(units)]
    return {
        "cases_by_units_before_sign": {"1": int((known == 1).sum()), "2": int((known == 2).sum()),
                                       "3+": int((known >= 3).sum())},
        "median_units_before_sign": _nanmedian(units),
        "median_presign_dwell_s": _nanmedian(cases["presign_dwell_s"].to_numpy(dtype=float)),
        "median_presign_dwell_work_s": _nanmedian(cases["presign_dwell_work_s"].to_numpy(dtype=float)),
    }


def _less_ordinary(rows: pd.DataFrame, table: pd.DataFrame, *, by_category: bool) -> pd.DataFrame:
    """Supervised cases' cost: their cycle time less the ordinary median of their category."""
    if rows.empty:
        return rows
    group = rows["category"] if by_category else pd.Series("(all)", index=rows.index)
    ordinary = table.set_index("category")
    rows = rows.copy()
    for column, median in (("cost_s", "ordinary_median_s"), ("cost_work_s", "ordinary_median_work_s")):
        rows[column] = (rows[column].to_numpy(dtype=float)
                        - group.map(ordinary[median]).to_numpy(dtype=float))
    return rows


def _medians_in_memory(values: dict[str, pd.DataFrame]) -> Medians:
    def medians(name: str, keys: list[str], value: str) -> pd.DataFrame:
        grouped = values[name].groupby(keys)[value]
        return pd.DataFrame({"rows": grouped.size(), "median": grouped.median()}).reset_index()

    return medians


def find_loops(
    log: EventLog | Engine,
    *,
    patterns: str | Sequence[str] = ("all",),
    by: By | None = None,
    calendar: Any = "cn",
    aliases: Mapping[str, str] | None = None,
    last_share: float = 0.1,
    window_start: Literal["dispatch", "case"] = "dispatch",
    extension_hours: float = 4.0,
    desk_minutes: float = 10.0,
    part_events: int | None = None,
) -> LoopsResult:
    """Find the governance patterns of ``log`` per case, and aggregate them.

    ``log`` is an ``EventLog``, or an open engine (``procmine.engines.get_engine``) for
    a log larger than memory: the engine hands the log out in parts of whole cases,
    ``part_events`` events each (by default from the engine's memory limit), and the
    result is the same, figure for figure, as on the log read into memory.

    ``calendar`` (a ``procmine.calendar.WorkingCalendar``, or ``"cn"``, ``"none"``
    or a calendar file as for ``--calendar``) gives working time; with
    ``calendar=None``, working-time columns are NaN and the hugging window is in
    clock time. ``aliases`` maps further activity names to roles (``{"上报区级": "escalate"}``),
    e.g. from a workflow spec. ``last_share`` is the hugging band (the last 10% of
    the window from the first dispatch (派遣) to ``case:deadline``, or from the
    case's first event with ``window_start="case"``); ``extension_hours`` the working hours before the
    deadline in which an extension request counts as late; ``desk_minutes`` how soon
    after feedback a check counts as done at the desk. Patterns whose columns or
    steps the log lacks are skipped with the reason in ``skipped``.

    >>> from procmine.simulate import simulate_log
    >>> log = simulate_log(cases=300, seed=5).to_event_log()
    >>> r = find_loops(log, patterns=["escalation", "reopen"], by="level")
    >>> r.summary.columns.tolist()[:3]
    ['pattern', 'cases', 'share']
    >>> r.by.columns.tolist()[:4]
    ['pattern', 'level', 'cases', 'flagged']
    >>> from procmine.engines import get_engine
    >>> from procmine.io import read_log
    >>> with get_engine("duckdb", "logs/sample.csv") as engine:
    ...     parts = find_loops(engine, patterns="reopen", part_events=10_000)
    >>> parts.summary.equals(find_loops(read_log("logs/sample.csv"), patterns="reopen").summary)
    True
    """
    if isinstance(calendar, str):
        from procmine.calendar import calendar_from_option

        calendar = calendar_from_option(calendar)
    if by is not None and by not in BY_CHOICES:
        raise InputError(f"unknown grouping {by!r}", hint="choose among " + ", ".join(BY_CHOICES))
    options = _Options(patterns=tuple(_choose(patterns)), by=by, calendar=calendar,
                       aliases=aliases, last_share=last_share, window_start=window_start,
                       extension_hours=extension_hours, desk_minutes=desk_minutes)
    if isinstance(log, EventLog):
        part = _analyse(log, options)
        return _finish(part, options, _medians_in_memory(part.values))
    from procmine.loops_parts import find_loops_in_parts

    return find_loops_in_parts(log, options, part_events=part_events)


def _nanmedian(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if len(values) else None


_MAX_PAIRS = 25


def _node(prefix: str, name: Any) -> str:
    """A node id graphviz takes as it is (a ':' would be read as a port)."""
    return prefix + "_" + str(name).encode("utf-8").hex()


def render_loops(result: LoopsResult, path: str, *, inputs: Sequence[str] = ()) -> None:
    """Draw the level x level flows (escalations up, dispatches down) and the ping-pong units.

    The format follows the extension of ``path`` (svg, png, pdf, dot).

    >>> from procmine.simulate import simulate_log
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "loops.svg")
    >>> render_loops(find_loops(simulate_log(cases=200, seed=5).to_event_log()), path)
    >>> open(path, encoding="utf-8").read().count("<svg")
    1
    """
    import graphviz

    from procmine.output import human_duration
    from procmine.render import FONT, graph_format, write_graph

    graph_format(path)  # an unknown suffix fails before any drawing
    font = FONT
    graph = graphviz.Digraph("loops", graph_attr={"rankdir": "BT", "fontname": font, "label":
                                                  "procmine loops", "labelloc": "t",
                                                  "nodesep": "0.8", "ranksep": "0.9"},
                             node_attr={"fontname": font, "shape": "box", "style": "rounded"},
                             edge_attr={"fontname": font, "fontsize": "10"})
    flows = result.flows
    if (flows["via"] != "other").any():      # escalations up, dispatches down
        flows = flows[flows["via"] != "other"]
    flows = flows.groupby(["from_level", "to_level", "direction"], as_index=False).agg(
        count=("count", "sum"), total_s=("total_s", "sum"))
    with graph.subgraph(name="cluster_levels") as levels:
        levels.attr(label="levels: escalations ↑, dispatches ↓ (count, mean time)", fontname=font)
        present = set(flows["from_level"]) | set(flows["to_level"])
        order = [lv for lv in result.levels if lv in present] + sorted(present - set(result.levels))
        for name in order:
            levels.node(_node("L", name), graphviz.nohtml(str(name)))
        for low, high in zip(order[:-1], order[1:], strict=True):   # keep the levels stacked bottom up
            levels.edge(_node("L", low), _node("L", high), style="invis", weight="10")
        for row in flows.itertuples(index=False):
            colour = "firebrick" if row.direction == "up" else "steelblue"
            levels.edge(_node("L", row.from_level), _node("L", row.to_level), color=colour,
                        label=("↑ " if row.direction == "up" else "↓ ") + f"{row.count:,}\n"
                        f"{human_duration(row.total_s / row.count)}",
                        penwidth=str(1 + min(4.0, np.log10(max(row.count, 1)))),
                        constraint="false")
    pairs = result.handovers.head(_MAX_PAIRS)
    if len(pairs):
        with graph.subgraph(name="cluster_pingpong") as units:
            label = "ping-pong: A returned, B returned, back to A"
            if len(result.handovers) > _MAX_PAIRS:
                label += f" (top {_MAX_PAIRS} of {len(result.handovers):,} pairs)"
            units.attr(label=label, fontname=font)
            for name in pd.unique(pd.concat([pairs["source"], pairs["target"]])):
                units.node(_node("U", name), graphviz.nohtml(str(name)))
            for row in pairs.itertuples(index=False):
                units.edge(_node("U", row.source), _node("U", row.target), label=f"{row.count:,}",
                           color="darkorange", dir="both", arrowtail="dot",
                           penwidth=str(1 + min(3.0, np.log2(max(row.count, 1)))))
    write_graph(graph, path, inputs=inputs)

