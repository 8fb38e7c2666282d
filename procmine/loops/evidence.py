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
import pyarrow as pa
import pyarrow.compute as pc

from procmine.loops.context import _NS, _Ctx, _names, _working
from procmine.loops.patterns import _Found

_EVIDENCE_COLUMNS = ["case", "pattern", "occurrences", "unit", "level", "category", "source",
                     "month", "cost_s", "cost_work_s", "detail", "events"]
_NAT = np.iinfo(np.int64).min
_CLOCK = pa.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)], type=pa.large_string())
_SEPARATORS = pa.array(["", " → "], type=pa.large_string())
_NONE = pa.scalar("", type=pa.large_string())
#: pandas' text dtype, which a frame gives a column of Python strings
_TEXT = pd.Series(["text"]).dtype


def _no_evidence() -> pd.DataFrame:
    return pd.DataFrame(columns=_EVIDENCE_COLUMNS)


def _local_minutes(ctx: _Ctx, idx: np.ndarray) -> np.ndarray:
    """Local wall-clock times of events as ``datetime64[m]``."""
    local = (pd.DatetimeIndex(ctx.ts[idx].astype("datetime64[ns]"), tz="UTC")
             .tz_convert(ctx.log.timezone or "UTC").tz_localize(None))
    return local.to_numpy().astype("datetime64[m]")


def _event_text(ctx: _Ctx, idx: np.ndarray) -> pa.LargeStringArray:
    """``#pos activity [unit] MM-DD HH:MM`` for each event index (empty for -1).

    Made in Arrow from small tables: the label of each distinct (activity, unit) pair,
    ``#pos`` of each position, ``MM-DD`` of each local day and ``HH:MM`` of each minute
    of the day, taken per event and joined in one call.
    """
    ok = idx >= 0
    i = idx[ok]
    day, minute = np.divmod(_local_minutes(ctx, i).astype(np.int64), 24 * 60)
    days, day_code = np.unique(day, return_inverse=True)
    # 'YYYY-MM-DD' -> 'MM-DD '
    dates = pa.array([d[5:] + " " for d in np.datetime_as_string(days.astype("datetime64[D]"))],
                     type=pa.large_string())
    units = len(ctx.units) + 1
    pair = ctx.act[i] * units + np.where(ctx.res[i] >= 0, ctx.res[i], len(ctx.units))
    inverse, pairs = pd.factorize(pair, sort=True)
    acts = np.append(ctx.act_names, "")[pairs // units]
    named = _names(ctx.units, np.where(pairs % units < len(ctx.units), pairs % units, -1))
    labels = pa.array([f"{a} [{u}] " if u else f"{a} " for a, u in zip(acts, named, strict=True)],
                      type=pa.large_string())
    position = i - ctx.first[i] + 1
    places = pa.array([f"#{p} " for p in range(int(position.max(initial=0)) + 1)],
                      type=pa.large_string())
    text = pc.binary_join_element_wise(places.take(position), labels.take(inverse),
                                       dates.take(day_code.ravel()), _CLOCK.take(minute), _NONE)
    # (a text per index: the one made, or the empty one after them)
    return pa.concat_arrays([text, pa.array([""], type=pa.large_string())]).take(
        np.where(ok, np.cumsum(ok) - 1, len(text)))


def _joined(texts: list[pa.LargeStringArray]) -> pa.LargeStringArray:
    """The texts of the events of each row, the empty ones left out, joined by `` → ``."""
    out = texts[0]
    seen = (pc.not_equal(out, "")).to_numpy(zero_copy_only=False)
    for text in texts[1:]:
        has = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
        out = pc.binary_join_element_wise(out, _SEPARATORS.take((seen & has).astype(np.int8)),
                                          text, _NONE)
        seen |= has
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
    texts = [_event_text(ctx, e[first]) for e in found.events]
    joined = _joined(texts) if texts else pa.array([""] * len(first), type=pa.large_string())
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
        "events": pd.array(joined, dtype=_TEXT),
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
