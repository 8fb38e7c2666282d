"""The evidence rows of :func:`procmine.loops.find_loops`: one per flagged case.

``_per_case`` turns a detector's occurrences (a ``_Found``) into one row per case: the
first occurrence (its unit, level and detail), the number of occurrences, the time
lost (the union of the cost intervals, in clock and working time) and the key events
as text (``_event_text``). It runs on every pattern of every part of the log, so it is
written in numpy over the occurrences, sorted once: pandas' sort, group-by, shift and
cumulative maximum cost a few milliseconds a call whatever the size, and a log of 200
parts made 1,600 of these calls (benchmarks/RESULTS.md, session 8). Its figures are
those pandas' group-by gives, to the last bit (see :func:`_sums`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from procmine.loops.context import _NS, _Ctx, _names, _working
from procmine.loops.patterns import _Found

_EVIDENCE_COLUMNS = ["case", "pattern", "occurrences", "unit", "level", "category", "source",
                     "month", "cost_s", "cost_work_s", "detail", "events"]
_NAT = np.iinfo(np.int64).min


def _no_evidence() -> pd.DataFrame:
    return pd.DataFrame(columns=_EVIDENCE_COLUMNS)


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
    inverse, pairs = pd.factorize(pair, sort=True)
    acts = np.append(ctx.act_names, "")[pairs // (len(ctx.units) + 1)]
    units = _names(ctx.units, np.where(pairs % (len(ctx.units) + 1) < len(ctx.units),
                                       pairs % (len(ctx.units) + 1), -1))
    labels = np.array([f"{a} [{u}] " if u else f"{a} " for a, u in zip(acts, units, strict=True)])
    position = (i - ctx.first[i] + 1).astype(str)
    text = np.char.add(np.char.add(np.char.add("#", position), " "),
                       np.char.add(labels[inverse.ravel()], when))
    out[ok] = text.astype(object)
    return out


def _per_case(ctx: _Ctx, pattern: str, found: _Found, attrs: dict[str, np.ndarray]) -> pd.DataFrame:
    """One evidence row per flagged case: the first occurrence, the union of the cost
    intervals; and ``_code``, the case's code in the part."""
    if len(found.case) == 0:
        return pd.DataFrame(columns=[*_EVIDENCE_COLUMNS, "_code"])
    # the occurrences by case, start and place (a stable sort keeps the place among ties)
    k = np.lexsort((found.t0, found.case))
    c, lo, hi = found.case[k], found.t0[k], np.maximum(found.t1, found.t0)[k]
    head = np.ones(len(c), dtype=bool)
    head[1:] = c[1:] != c[:-1]
    starts = np.flatnonzero(head)
    group = np.cumsum(head) - 1
    # the union of the intervals of a case: clip each by the furthest end before it
    before = np.full(len(c), _NAT, dtype=np.int64)
    if not head.all():
        # (pandas' shift made the ends float, then int again: the same rounding here)
        ends = _running_max(hi, group)[:-1][~head[1:]]
        before[np.flatnonzero(~head)] = ends.astype(np.float64).astype(np.int64)
    lo = np.maximum(lo, before)
    cost = np.where(hi > lo, hi - lo, 0) / _NS
    if found.cost is not None:
        cost = found.cost[k]
        work = found.cost_work[k] if found.cost_work is not None else np.full(len(k), np.nan)
    else:
        work = np.zeros(len(k))
        pos = hi > lo
        if ctx.calendar is None:
            work[:] = np.nan
        elif pos.any():
            work[pos] = _working(ctx, lo[pos], hi[pos])
    first, case = k[starts], c[starts]
    joined = np.full(len(first), "", dtype=object)
    for e in found.events:
        part = _event_text(ctx, e[first])
        joined = np.where(joined == "", part, np.where(part == "", joined, joined + " → " + part))
    levels = np.append(np.asarray(ctx.log.levels, dtype=object), "")
    lv = found.level[first]
    quality = pattern in ("hugging", "desk")   # no time is lost by the pattern itself
    return pd.DataFrame({
        "case": ctx.case_ids[case],
        "pattern": pattern,
        "occurrences": np.diff(np.append(starts, len(k))),
        "unit": _names(ctx.units, found.unit[first]),
        "level": levels[np.where(lv >= 0, lv, len(levels) - 1)],
        "category": attrs["category"][case],
        "source": attrs["source"][case],
        "month": attrs["month"][case],
        "cost_s": np.nan if quality else _sums(cost, group, starts),
        "cost_work_s": np.nan if quality else _sums(work, group, starts),
        "detail": found.detail[first] if found.detail is not None else "",
        "events": joined,
        "_code": case,
    })


def _running_max(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The cumulative maximum of ``values`` within each run of equal ``group`` (sorted):
    one ``maximum.accumulate`` over the group number above the rank of the value."""
    distinct, rank = np.unique(values, return_inverse=True)
    keyed = group.astype(np.int64) * (len(distinct) + 1) + rank.ravel()
    return distinct[np.maximum.accumulate(keyed) - group * (len(distinct) + 1)]


def _sums(values: np.ndarray, group: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (runs of ``group``, starting at ``starts``): the sum of the values that
    are not NaN, NaN when there are none: ``groupby().sum(min_count=1)`` to the bit.

    pandas adds with Kahan's compensation, which gives the plain sum for one or two
    values; the groups of three or more are left to pandas."""
    ok = ~np.isnan(values)
    n = np.bincount(group[ok], minlength=len(starts))
    out = np.bincount(group[ok], weights=values[ok], minlength=len(starts)).astype(np.float64)
    out[n == 0] = np.nan
    many = n > 2
    if many.any():
        rows = many[group]
        summed = pd.Series(values[rows]).groupby(group[rows], sort=True).sum(min_count=1)
        out[np.flatnonzero(many)] = summed.to_numpy(dtype=float)
    return out
