"""Statistics per group of integer codes, with numpy: the arithmetic the tables share.

Events coded as integers (cases, activities, units, pairs) are grouped by sorting
and counting, not by hashing every value: :func:`distinct` values, the cases per
value (:func:`cases_with`), the values of each group in order
(:func:`sorted_within_groups`) and a quantile between the two nearest of them
(:func:`interpolate`, the one quantile rule of the in-memory tables and of
:mod:`procmine.engines.collector`); the codes of an Arrow dictionary column as
``pd.factorize(sort=True)`` gives them (:func:`dictionary_codes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array (as ``np.unique`` gives them).

    Keys built case by case (``case * width + code``) come in runs of one case,
    sorted already between cases: a stable (merge) sort runs through them, where
    ``np.unique`` hashes every value, many times slower on millions of events.

    >>> distinct(np.array([3, 1, 3, 2, 1])).tolist()
    [1, 2, 3]
    """
    s = np.sort(values, kind="stable")
    if len(s) < 2:
        return s
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


def cases_with(case: np.ndarray, values: np.ndarray, n_values: int) -> np.ndarray:
    """Per value code (0 .. n_values - 1, -1 for none), the number of cases that have it.

    >>> cases_with(np.array([0, 0, 1, 1]), np.array([2, 2, 2, 0]), 3).tolist()
    [1, 0, 2]

    A table of flags (case x value) when it is not much larger than the log, else
    the distinct (case, value) pairs; both far faster than ``np.unique`` over every event.
    """
    known = values >= 0
    if not known.all():
        case, values = case[known], values[known]
    n_cases = int(case.max()) + 1 if len(case) else 0
    if len(case) == 0 or n_values == 0:
        return np.zeros(n_values, dtype=np.int64)
    key = case.astype(np.int64) * n_values + values
    if n_cases * n_values <= max(8 * len(key), 1 << 20):
        seen = np.zeros(n_cases * n_values, dtype=bool)
        seen[key] = True
        return seen.reshape(n_cases, n_values).sum(axis=0, dtype=np.int64)
    key.sort()
    first = np.concatenate(([True], key[1:] != key[:-1]))
    return np.bincount(key[first] % n_values, minlength=n_values).astype(np.int64)


def interpolate(n: np.ndarray, q: float, value_at: Callable[[np.ndarray, np.ndarray], np.ndarray],
                *, midpoint: bool = False) -> np.ndarray:
    """The ``q`` quantile of groups of ``n`` sorted values each (every ``n`` at least 1).

    ``value_at(group, rank)`` gives the value of 0-based ``rank`` in each ``group``
    (an index into ``n``). Between the two nearest ranks ``a`` and ``b`` it is numpy's
    linear interpolation ``a + (b - a) * t``, or with ``midpoint`` (for the median as
    pandas' groupby takes it) ``(a + b) / 2``, which differs in the last bit when
    ``b > 2a``.

    >>> sorted_values = np.array([1.0, 2.0, 3.0, 10.0])
    >>> at = lambda group, rank: sorted_values[rank]
    >>> interpolate(np.array([4]), 0.5, at), interpolate(np.array([4]), 0.9, at)
    (array([2.5]), array([7.9]))
    """
    n = np.asarray(n, dtype=np.int64)
    pos = (n - 1) * q
    lo = np.floor(pos).astype(np.int64)
    hi = np.ceil(pos).astype(np.int64)
    group = np.arange(len(n))
    a = np.asarray(value_at(group, lo), dtype=np.float64)
    b = np.asarray(value_at(group, hi), dtype=np.float64)
    if midpoint:
        return np.where(lo == hi, a, (b + a) / 2)
    return a + (b - a) * (pos - lo)


#: Up to this many groups, the values are sorted group by group (numpy's sort of the
#: values alone is several times faster than a stable argsort of all of them)
_SORT_EACH_GROUP = 4096


def sorted_within_groups(g: np.ndarray, v: np.ndarray, n_groups: int
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The rows (group codes ``0 .. n_groups - 1``, values without NaN) ordered by
    group, and by value within each group. Group codes that fit 16 bits are ordered
    by a radix sort.

    >>> g, v = sorted_within_groups(np.array([1, 0, 1]), np.array([5.0, 9.0, 2.0]), 2)
    >>> g.tolist(), v.tolist()
    ([0, 1, 1], [9.0, 2.0, 5.0])
    """
    sizes = np.bincount(g, minlength=n_groups)
    # the group codes in order are each code as many times as it occurs: no gather needed
    return np.repeat(np.arange(n_groups, dtype=g.dtype), sizes), values_within_groups(g, v, n_groups)


def integers_within_groups(g: np.ndarray, v: np.ndarray, n_groups: int) -> np.ndarray | None:
    """The values of :func:`values_within_groups` for non-negative integers ``v`` (int64),
    by one sort of the keys ``group << k | value``, where the group codes fit the high
    bits and the values the rest: None when they do not (a value negative, or too large).

    >>> integers_within_groups(np.array([1, 0, 1]), np.array([5, 9, 2]), 2).tolist()
    [9, 2, 5]
    >>> integers_within_groups(np.array([1, 0]), np.array([5, -1]), 2) is None
    True
    """
    if len(v) == 0:
        return np.asarray(v, dtype=np.int64).copy()
    shift = 63 - max(int(n_groups - 1).bit_length(), 1)
    if v.min() < 0 or v.max() >= 1 << shift:
        return None
    key = np.left_shift(g, shift, dtype=np.int64)
    key |= v
    key.sort()     # one sort of integers: a radix sort of the groups and a gather cost more
    key &= (1 << shift) - 1
    return key


def values_within_groups(g: np.ndarray, v: np.ndarray, n_groups: int) -> np.ndarray:
    """The values of :func:`sorted_within_groups` alone (its group codes are not built).

    >>> values_within_groups(np.array([1, 0, 1]), np.array([5.0, 9.0, 2.0]), 2).tolist()
    [9.0, 2.0, 5.0]
    """
    def by_group(codes: np.ndarray) -> np.ndarray:
        # a radix sort on the narrowest type that holds the codes (one pass for 8 bits)
        narrow = np.uint8 if n_groups <= 2**8 else np.uint16 if n_groups <= 2**16 else None
        return np.argsort(codes.astype(narrow) if narrow else codes, kind="stable")

    if n_groups > _SORT_EACH_GROUP:
        order = np.argsort(v, kind="stable")
        g, v = g[order], v[order]
        return v[by_group(g)]
    v = v[by_group(g)]
    sizes = np.bincount(g, minlength=n_groups)
    ends = np.cumsum(sizes)
    for a, b in zip((ends - sizes).tolist(), ends.tolist(), strict=True):
        if b - a > 1:
            v[a:b].sort()
    return v


def group_quantiles(group: np.ndarray, values: np.ndarray, n_groups: int, qs: Sequence[float], *,
                    midpoint: bool = False) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per group code (values with a negative code or NaN left out): count, sum and
    the quantiles ``qs`` (:func:`interpolate`); NaN for a group without values.

    >>> sizes, total, (median,) = group_quantiles(np.array([1, 0, 1, 1]),
    ...                                           np.array([5.0, 1.0, np.nan, 2.0]), 3, (0.5,))
    >>> sizes.tolist(), total.tolist(), median.tolist()
    ([1, 2, 0], [1.0, 7.0, nan], [1.0, 3.5, nan])
    """
    ok = (group >= 0) & ~np.isnan(values)
    g, v = sorted_within_groups(group[ok], values[ok], n_groups)
    sizes = np.bincount(g, minlength=n_groups)
    total = np.bincount(g, weights=v, minlength=n_groups).astype(float)
    total[sizes == 0] = np.nan
    has = sizes > 0
    starts = (np.cumsum(sizes) - sizes)[has]
    out = []
    for q in qs:
        result = np.full(n_groups, np.nan)
        result[has] = interpolate(sizes[has], q, lambda j, rank: v[starts[j] + rank],
                                  midpoint=midpoint)
        out.append(result)
    return sizes, total, out


def group_peaks(group: np.ndarray, time: np.ndarray, delta: np.ndarray, n_groups: int) -> np.ndarray:
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


def first_appearance(codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` (into ``names``; -1: missing) numbered again 0, 1, ... in order of first
    appearance, and the names in that order: ``pd.factorize(values, sort=False)`` of the
    values they stand for, without a pass over the values.

    >>> codes, names = first_appearance(np.array([2, -1, 0, 2]), np.array(["a", "b", "c"]))
    >>> codes.tolist(), names.tolist()
    ([0, -1, 1, 0], ['c', 'a'])
    """
    import pandas as pd

    order = pd.unique(codes[codes >= 0])
    renumber = np.full(len(names) + 1, -1, dtype=np.int64)   # the last entry: missing
    renumber[order] = np.arange(len(order))
    return renumber[codes], names[order]


def sorted_present(codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` (into ``names``; -1: missing) numbered again in the sorted order of the
    names they use, and those names: ``pd.factorize(values, sort=True)`` of the values
    they stand for, without a pass over the values.

    >>> codes, names = sorted_present(np.array([2, -1, 0, 2]), np.array(["b", "x", "a"]))
    >>> codes.tolist(), names.tolist()
    ([0, -1, 1, 0], ['a', 'b'])
    """
    present = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(names)))
    order = present[np.argsort(names[present], kind="stable")]
    renumber = np.full(len(names) + 1, -1, dtype=np.int64)   # the last entry: missing
    renumber[order] = np.arange(len(order))
    return renumber[codes], names[order]


def dictionary_codes(column: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per row of an Arrow dictionary ``column`` (a ChunkedArray), the code of its value
    among the values that occur, sorted, and those values: what ``pd.factorize(values,
    sort=True)`` gives for the text (-1 for a null), from the small dictionaries.

    >>> import pyarrow as pa
    >>> column = pa.chunked_array([pa.array(["b", None, "c", "b"]).dictionary_encode()])
    >>> codes, names = dictionary_codes(column)
    >>> codes.tolist(), names.tolist()
    ([0, -1, 1, 0], ['b', 'c'])
    """
    import pyarrow as pa

    def indices(chunk: Any) -> np.ndarray:
        if chunk.indices.null_count == 0:   # (Arrow's cast and fill: a millisecond a chunk)
            return chunk.indices.to_numpy().astype(np.int64)
        return chunk.indices.cast(pa.int64()).fill_null(-1).to_numpy()   # (unsigned indices)

    chunks = [(np.asarray(chunk.dictionary.to_pylist(), dtype=object), indices(chunk))
              for chunk in column.chunks]
    present: set[Any] = set()
    for values, index in chunks:
        used = np.bincount(index[index >= 0], minlength=len(values)) > 0
        present.update(v for v in values[used] if v is not None)
    names = np.sort(np.array(list(present), dtype=object))
    code = {name: i for i, name in enumerate(names)}
    out = [np.append(np.array([code.get(v, -1) for v in values], dtype=np.int64), -1)[index]
           for values, index in chunks]
    return (np.concatenate(out) if out else np.zeros(0, dtype=np.int64)), names
