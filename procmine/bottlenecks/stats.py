"""Group statistics over the per-event arrays, with numpy.

Per group of integer codes: counts, sums and linear-interpolated quantiles
(:func:`_quantiles`), the peak of a running count (:func:`_peaks`, work in
progress), distinct cases (:func:`_distinct_cases`); the stays of a case at a
group (:func:`_stays`), the month of an instant (:func:`_month_codes`) and the
ranking of a table (:func:`_rank`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from procmine.bottlenecks.events import _NAT, _Events


def _quantiles(group: np.ndarray, values: np.ndarray, n_groups: int, qs: tuple[float, ...],
               order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per group: count and sum of the non-missing values, and linear-interpolated quantiles.

    ``order`` is ``np.argsort(values, kind="stable")`` when the caller has it. A
    stable sort by group of the value-sorted events keeps each group's values in
    order; group codes fit 16 bits, so that sort is a radix sort. The quantile is
    the 'linear' one of pandas and numpy.
    """
    if order is None:
        order = np.argsort(values, kind="stable")
    g, v = group[order], values[order]
    ok = (g >= 0) & ~np.isnan(v)
    g, v = g[ok], v[ok]
    by_group = np.argsort(g.astype(np.uint16) if n_groups < 2**16 else g, kind="stable")
    g, v = g[by_group], v[by_group]
    sizes = np.bincount(g, minlength=n_groups)
    total = np.bincount(g, weights=v, minlength=n_groups).astype(float)
    total[sizes == 0] = np.nan
    starts = np.cumsum(sizes) - sizes
    out = []
    has = sizes > 0
    for q in qs:
        result = np.full(n_groups, np.nan)
        pos = (sizes[has] - 1) * q
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        a, b = v[starts[has] + lo], v[starts[has] + hi]
        result[has] = a + (b - a) * (pos - lo)
        out.append(result)
    return sizes, total, out


def _peaks(group: np.ndarray, time: np.ndarray, delta: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the highest running sum of ``delta`` in order of ``time``: +1/-1, sort, cumsum."""
    peak = np.zeros(n_groups, dtype=np.int64)
    if not len(group):
        return peak
    # pack the sign into the lowest bit so that -1 sorts before +1 at the same instant:
    # a hand-over is not two orders at once
    packed = (time - time.min()) * 2 + (delta > 0)
    order = np.argsort(packed, kind="stable")
    keys = group[order]
    by_group = np.argsort(keys.astype(np.uint16) if n_groups < 2**16 else keys, kind="stable")
    order = order[by_group]
    keys = keys[by_group]
    level = np.cumsum(delta[order])
    sizes = np.bincount(keys, minlength=n_groups)
    offsets = np.cumsum(sizes) - sizes
    has = sizes > 0
    # the running count restarts for each group: subtract the level reached before it
    before = np.zeros(n_groups, dtype=np.int64)
    before[has] = np.where(offsets[has] > 0, level[np.maximum(offsets[has] - 1, 0)], 0)
    level = level - np.repeat(before, sizes)
    peak[has] = np.maximum.reduceat(level, offsets[has])
    return peak


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array.

    Keys built case-major are sorted already in runs of one case, which a stable
    (merge) sort exploits; numpy's hashing unique is far slower here.
    """
    s = np.sort(values, kind="stable")
    if len(s) < 2:
        return s
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


def _distinct_cases(group: np.ndarray, case: np.ndarray, n_groups: int,
                    among: np.ndarray | None = None) -> np.ndarray:
    """Distinct cases per group (only cases where ``among[case]`` when given)."""
    ok = group >= 0
    if among is not None:
        ok &= among[case]
    pairs = _distinct(case[ok] * max(n_groups, 1) + group[ok])
    return np.bincount(pairs % max(n_groups, 1), minlength=n_groups)


def _rank(table: pd.DataFrame, column: str, key: str) -> pd.DataFrame:
    return table.sort_values([column, key], ascending=[False, True], kind="stable",
                             na_position="last").reset_index(drop=True)


def _stays(group: np.ndarray, ev: _Events) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive runs of a case's events in the same group: (group, begin ns, end ns)."""
    n = len(group)
    new_run = ev.first.copy()
    if n > 1:
        new_run[1:] |= group[1:] != group[:-1]
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:] - 1, n - 1) if n else starts
    # a stay begins at the hand-over; a case's first stay at its first start or completion
    begin = np.where(ev.prev_ts[starts] != _NAT, ev.prev_ts[starts],
                     np.where(ev.start[starts] != _NAT, ev.start[starts], ev.ts[starts]))
    end = np.maximum(ev.ts[ends], begin)
    known = group[starts] >= 0
    return group[starts][known], begin[known], end[known]


def _month_codes(ns: np.ndarray, timezone: str) -> np.ndarray:
    """Months since 1970-01 of instants, in the log's time zone."""
    local = pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(timezone)
    return local.tz_localize(None).to_numpy().astype("datetime64[M]").astype(np.int64)
