"""The governance patterns of :func:`procmine.loops.find_loops`, one detector each.

``PATTERNS`` and ``DESCRIPTIONS`` name them; each detector (``_escalation``,
``_pingpong``, ``_dumping``, ``_rework``, ``_reopen``, ``_hugging``, ``_desk``,
``_supervision``, and ``_rework_by_activity`` on logs without dispatch steps) reads
a ``_Ctx`` and returns its occurrences as a ``_Found``: per occurrence the case,
the unit and level it is charged to, the cost interval and the key events. Some
also return per-case measures (``_presign``, the window used by ``_hugging``) or
the rows the supervision gap is measured on. Turning occurrences into tables is
:mod:`procmine.loops.aggregates`'s work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from procmine.grouping import distinct
from procmine.log import DEADLINE
from procmine.loops.context import _NS, _UNIT_STEPS, _Ctx, _cumsum0, _names, _working
from procmine.vocabulary import LOOP_PATTERNS, LoopPattern

Pattern = LoopPattern
PATTERNS: tuple[str, ...] = LOOP_PATTERNS

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
    # the events of the cases escalated only (a few in a hundred): each level below asks
    # for the next event at or below it, a pass over every event it is given
    sub, events, cases = ctx.only(ctx.case[esc])
    found = _escalation_in(sub)
    return replace(found, case=cases[found.case], events=[events[e] for e in found.events])


def _escalation_in(ctx: _Ctx) -> _Found:
    esc = np.flatnonzero(ctx.is_("escalate") & (ctx.lvl >= 0) & (ctx.res >= 0))
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
    key = distinct(ctx.case[take] * (len(ctx.units) + 1) + ctx.res[take])
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
    if len(key) == 0:
        return {}, _Found.empty()
    first, last = _repeated(key, ev)
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


def _repeated(key: np.ndarray, ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per ``key`` that more than one event has (in the order of the keys): its first and
    last event. Counted per key when there are not many more keys than events, else
    from the events sorted by key."""
    if int(key.max()) < 4 * len(key) + 1024:
        size = np.bincount(key)
        at = np.flatnonzero(size > 1)
        firsts = np.empty(len(size), dtype=np.int64)
        lasts = np.empty(len(size), dtype=np.int64)
        firsts[key[::-1]] = ev[::-1]            # the earliest event of a key is written last
        lasts[key] = ev
        return firsts[at], lasts[at]
    order = np.argsort(key, kind="stable")      # stable: each group's events stay in order
    key, ev = key[order], ev[order]
    head = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    size = np.diff(np.append(head, len(key)))
    rep = size > 1
    return ev[head[rep]], ev[(head + size - 1)[rep]]


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
    col = ctx.log.column(DEADLINE, rows=ctx.starts)
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
