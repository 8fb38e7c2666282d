"""The three small tables that carry almost every analysis (see docs/architecture.md).

- :func:`variants`: each distinct activity sequence, its case count, and which
  variant each case follows.
- :func:`follows`: each directly-follows pair (a -> b) with its count and the
  distribution of the time between the two events.
- :func:`cases`: one row per case: start, end, duration, events, variant and
  the case attributes.

All three are computed with vectorised numpy/pandas over the event table (no
Python loop per case), so they stay fast on logs of millions of events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from procmine.grouping import cases_with, integers_within_groups, interpolate, values_within_groups
from procmine.hands import each
from procmine.log import ACTIVITY, CASE, CATEGORY, DEADLINE, SOURCE, TIMESTAMP, EventLog

if TYPE_CHECKING:
    from collections.abc import Callable

START_NODE = "▶"
END_NODE = "■"


@dataclass(frozen=True)
class Variants:
    """The distinct traces of a log.

    ``table`` has one row per variant, most frequent first: ``variant`` (its id,
    0 = most frequent), ``activities`` (a tuple), ``cases`` (count), ``share``,
    ``length``. ``of_case`` maps each case id to its variant id; an engine may
    give a function that fetches it instead, called on first use (a log of ten
    million cases need not hold their ids to count its variants).
    """

    table: pd.DataFrame
    _of_case: pd.Series | Callable[[], pd.Series]
    #: the variant of each case by case code (a log in memory), for :func:`cases`: the
    #: case ids of ``of_case`` need not be made for it
    _of_code: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def of_case(self) -> pd.Series:
        if callable(self._of_case):
            object.__setattr__(self, "_of_case", self._of_case())
        return self._of_case

    def __len__(self) -> int:
        return len(self.table)

    def counts(self) -> dict[tuple[str, ...], int]:
        """``{activity tuple: number of cases}``, as pm4py's ``get_variants`` counts them."""
        return dict(zip(self.table["activities"], self.table["cases"].astype(int), strict=True))


@dataclass(frozen=True)
class Follows:
    """Directly-follows pairs with counts and waiting-time statistics (seconds).

    ``table`` columns: ``source``, ``target``, ``count``, ``cases`` (distinct cases
    with the pair), ``mean``, ``median``, ``p90``, ``total``, ``min``, ``max``.
    ``starts`` and ``ends`` count the first and last activities of the cases.
    """

    table: pd.DataFrame
    starts: dict[str, int]
    ends: dict[str, int]

    def counts(self) -> dict[tuple[str, str], int]:
        """``{(a, b): count}`` as pm4py's ``discover_dfg`` returns it."""
        return {(s, t): int(c) for s, t, c in self.table[["source", "target", "count"]].itertuples(index=False)}


def column_codes(log: EventLog, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Per event, the integer code of ``column`` (-1 where missing), and the names the
    codes stand for, sorted (``pd.factorize(..., sort=True)``). Computed once per log,
    and kept with it until ``events`` is replaced: the analyses of one log share them.

    >>> from procmine.read import read_log
    >>> codes, names = column_codes(read_log("tests/fixtures/orders16.csv"), ACTIVITY)
    >>> len(codes), names[codes[0]]
    (16, '上报')
    """
    kept = log.kept_column_codes()
    if column not in kept:
        log.know_column_codes(column, *log.factorized(column, sort=True))
    return kept[column]


def variants(log: EventLog) -> Variants:
    """Group the cases of ``log`` by their activity sequence.

    Sequences are hashed per case with two independent polynomial hashes
    computed by ``np.add.reduceat``, then decoded from one representative case.

    >>> from procmine.read import read_log
    >>> v = variants(read_log("logs/sample.csv"))
    >>> int(v.table.iloc[0]["cases"])
    865
    """
    if log.n_events == 0:
        table = pd.DataFrame({"variant": [], "activities": [], "cases": [], "share": [], "length": []})
        return Variants(table, pd.Series(dtype="int64"))
    act_codes, act_names = column_codes(log, ACTIVITY)
    act = act_codes.astype(np.uint64) + np.uint64(1)
    _, starts, lengths = log.case_codes()
    position = np.arange(len(act)) - np.repeat(starts, lengths)
    max_len = int(lengths.max())
    with np.errstate(over="ignore"):
        p1 = np.cumprod(np.full(max_len, 1_000_003, dtype=np.uint64), dtype=np.uint64)
        p2 = np.cumprod(np.full(max_len, 998_244_353, dtype=np.uint64), dtype=np.uint64)
        h1 = np.add.reduceat(act * p1[position], starts)
        h2 = np.add.reduceat((act ^ np.uint64(0x9E3779B97F4A7C15)) * p2[position], starts)
    with np.errstate(over="ignore"):
        key = h1 ^ (h2 >> np.uint64(17)) ^ (lengths.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9))
    variant_of_case, _ = pd.factorize(key, sort=False)
    check = np.zeros(variant_of_case.max() + 1 if len(key) else 0, dtype=np.uint64)
    check[variant_of_case] = h2
    if not np.array_equal(check[variant_of_case], h2):  # a 64-bit collision: use both hashes
        keys = pd.DataFrame({"h1": h1, "h2": h2, "n": lengths})
        variant_of_case, _ = pd.factorize(pd.MultiIndex.from_frame(keys), sort=False)
    counts = np.bincount(variant_of_case)
    first_case = np.full(len(counts), -1, dtype=np.int64)
    # first case index of each variant (reverse assignment keeps the first)
    first_case[variant_of_case[::-1]] = np.arange(len(variant_of_case))[::-1]
    sequences = _sequences(np.asarray(act_names, dtype=object), act_codes, starts[first_case],
                           lengths[first_case])
    order = np.lexsort((np.array([" ".join(map(str, s)) for s in sequences]), -counts))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    total = counts.sum()
    table = pd.DataFrame({
        "variant": np.arange(len(order)),
        "activities": [sequences[i] for i in order],
        "cases": counts[order],
        "share": counts[order] / total,
        "length": lengths[first_case[order]],
    })
    of_code = rank[variant_of_case]

    def of_case() -> pd.Series:
        case_ids = log.column(CASE, rows=starts).to_numpy()
        return pd.Series(of_code, index=pd.Index(case_ids, name=CASE), name="variant")

    return Variants(table, of_case, of_code)


def _sequences(names: np.ndarray, codes: np.ndarray, starts: np.ndarray,
               lengths: np.ndarray) -> list[tuple[str, ...]]:
    """The activity tuple of each run ``codes[start : start + length]``: one gather of
    every run's codes and one list of names, then a slice per run (a numpy lookup per
    run costs more than the slice on a log of thousands of variants)."""
    ends = np.cumsum(lengths)
    within = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - lengths, lengths)
    flat = names[codes[np.repeat(starts, lengths) + within]].tolist()
    return [tuple(flat[a:b]) for a, b in zip((ends - lengths).tolist(), ends.tolist(), strict=True)]


def follows(log: EventLog, *, durations: np.ndarray | None = None) -> Follows:
    """The directly-follows table of ``log``, with time statistics per pair.

    ``durations`` (seconds, one per event, the time from the previous event of the
    same case) replaces clock time, e.g. with working time from ``procmine.calendar``.

    >>> from procmine.read import read_log
    >>> f = follows(read_log("logs/sample.csv"))
    >>> f.table.columns.tolist()[:3]
    ['source', 'target', 'count']
    """
    codes, starts, lengths = log.case_codes()
    act_codes, names = column_codes(log, ACTIVITY)
    n_act = max(len(names), 1)
    same = codes[1:] == codes[:-1] if log.n_events > 1 else np.zeros(0, dtype=bool)
    # (few arrays of the log's length: each new one costs its page faults at 5M events)
    nanoseconds = None
    if durations is None:
        ts = _nanoseconds(log)
        nanoseconds = np.subtract(ts[1:], ts[:-1])[same]
        wait = nanoseconds / 1e9
    else:
        wait = np.asarray(durations[1:], dtype="float64")[same]
    # one integer key per pair; grouping on integers is much faster than on string pairs
    pair = act_codes[:-1] * n_act
    pair += act_codes[1:]
    local, keys = _small_codes(pair[same], n_act * n_act)
    del pair
    # the sums, the sort of the waits and the cases of each pair, on two hands
    steps = [(_sums, wait), (_sorted_waits, nanoseconds), (_cases_of_pairs, codes[1:][same])]
    total, ordered, cases = each(lambda step: step[0](local, step[1], len(keys)), steps)
    del steps
    stats = _pair_stats(local, wait, len(keys), total=total, ordered=ordered)
    del wait, nanoseconds, ordered
    stats.insert(1, "cases", cases)
    stats.insert(0, "target", names[keys % n_act])
    stats.insert(0, "source", names[keys // n_act])
    table = stats.reset_index(drop=True)
    table = table.sort_values(["count", "source", "target"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)
    return Follows(table, _counted(act_codes[starts], names),
                   _counted(act_codes[starts + lengths - 1], names))


def _counted(codes: np.ndarray, names: np.ndarray) -> dict[str, int]:
    """``{name: count}`` of the codes (-1: none), in the order of ``value_counts`` of
    their names (most first; ties in order of first appearance), counted on the codes."""
    known = codes[codes >= 0]
    counts = np.bincount(known, minlength=len(names))
    first_at = np.full(len(names), len(known), dtype=np.int64)
    first_at[known[::-1]] = np.arange(len(known))[::-1]
    seen = np.flatnonzero(counts)
    seen = seen[np.lexsort((first_at[seen], -counts[seen]))]
    return dict(zip(map(str, names[seen]), counts[seen].tolist(), strict=True))


def _small_codes(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)`` of integers in ``0 .. bound - 1``, by counting."""
    if len(values) and (values.min() < 0 or bound > 4 * len(values) + 1024):
        codes, keys = pd.factorize(values, sort=True)
        return codes, np.asarray(keys, dtype=np.int64)
    keys = np.flatnonzero(np.bincount(values, minlength=bound))
    lookup = np.zeros(bound, dtype=np.int64)
    lookup[keys] = np.arange(len(keys))
    return lookup[values], keys


def _sums(pair: np.ndarray, wait: np.ndarray, n_pairs: int) -> np.ndarray:
    """The sum of the waits of each pair code as pandas adds (compensated, in log order),
    so that the mean is its own."""
    groups = pd.Categorical.from_codes(pair, categories=np.arange(n_pairs))
    return pd.Series(wait).groupby(groups, observed=False).sum().to_numpy(dtype=np.float64)


def _sorted_waits(pair: np.ndarray, nanoseconds: np.ndarray | None,
                  n_pairs: int) -> np.ndarray | None:
    """The waits as integer nanoseconds sorted within each pair, or None (none given, or
    they do not fit: :func:`~procmine.grouping.integers_within_groups`)."""
    return None if nanoseconds is None else integers_within_groups(pair, nanoseconds, n_pairs)


def _cases_of_pairs(pair: np.ndarray, case: np.ndarray, n_pairs: int) -> np.ndarray:
    """The number of cases with each pair code (``case``: the case of each transition)."""
    return cases_with(case, pair, n_pairs)


def _pair_stats(pair: np.ndarray, wait: np.ndarray, n_pairs: int, *, total: np.ndarray,
                ordered: np.ndarray | None = None) -> pd.DataFrame:
    """Per pair code (``0 .. n_pairs - 1``): count (every transition), then the mean,
    median, p90, total, min and max of the waits that are known, as pandas' groupby
    takes them: one sort of the waits within each pair serves every quantile. ``total``:
    :func:`_sums`; ``ordered``: the waits as integer nanoseconds (``wait`` is them / 1e9),
    sorted within each pair (:func:`~procmine.grouping.integers_within_groups`), or None."""
    counts = np.bincount(pair, minlength=n_pairs)
    known = ~np.isnan(wait) if ordered is None else None
    if ordered is not None:
        v, sizes = np.divide(ordered, 1e9, out=ordered.view(np.float64)), counts
    elif known.all():   # (no copies of every transition when every wait is known)
        v, sizes = values_within_groups(pair, wait, n_pairs), counts
    else:
        v = values_within_groups(pair[known], wait[known], n_pairs)
        sizes = np.bincount(pair[known], minlength=n_pairs)
    has = sizes > 0
    first = (np.cumsum(sizes) - sizes)[has]

    def at(j: np.ndarray, rank: np.ndarray) -> np.ndarray:
        return v[first[j] + rank]

    def spread(values: np.ndarray) -> np.ndarray:
        out = np.full(n_pairs, np.nan)
        out[has] = values
        return out

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(has, total / sizes, np.nan)
    return pd.DataFrame({
        "count": counts,
        "mean": mean,
        "median": spread(interpolate(sizes[has], 0.5, at, midpoint=True)),
        "p90": spread(interpolate(sizes[has], 0.9, at)),
        "total": total,
        "min": spread(v[first]),
        "max": spread(v[first + sizes[has] - 1]),
    })


def gaps(log: EventLog) -> np.ndarray:
    """Seconds from the previous event of the same case, per event (NaN for a case's first)."""
    return _gaps(log, log.case_codes().codes)


def _nanoseconds(log: EventLog) -> np.ndarray:
    """The completion times as int64 nanoseconds since the epoch (UTC)."""
    return log.column(TIMESTAMP).to_numpy(dtype="datetime64[ns]").view(np.int64)


def _gaps(log: EventLog, codes: np.ndarray) -> np.ndarray:
    ts = _nanoseconds(log)
    out = np.full(len(ts), np.nan)
    if len(ts) > 1:
        diff = (ts[1:] - ts[:-1]) / 1e9
        same = codes[1:] == codes[:-1]
        out[1:][same] = diff[same]
    return out


def cases(log: EventLog, *, variants_of: Variants | None = None) -> pd.DataFrame:
    """One row per case: ``case``, ``events``, ``start``, ``end``, ``duration`` (s),
    ``variant``, and ``category``, ``source``, ``deadline`` where the log has them.
    Pass ``variants_of`` when the variants are already computed.

    >>> from procmine.read import read_log
    >>> cases(read_log("logs/sample.csv")).columns[:3].tolist()
    ['case', 'events', 'start']
    """
    _, starts, lengths = log.case_codes()
    ts = log.column(TIMESTAMP)
    ends = starts + lengths - 1
    start = ts.iloc[starts].reset_index(drop=True) if len(starts) else ts.iloc[:0]
    end = ts.iloc[ends].reset_index(drop=True) if len(starts) else ts.iloc[:0]
    table = pd.DataFrame({
        "case": _values(log.column(CASE, rows=starts)),
        "events": lengths,
        "start": start,
        "end": end,
    })
    table["duration"] = (table["end"] - table["start"]).dt.total_seconds()
    v = variants_of if variants_of is not None else variants(log)
    of_case = v._of_code if v._of_code is not None else v.of_case.to_numpy()
    table["variant"] = of_case if len(of_case) == len(table) else np.nan
    for column, name in ((CATEGORY, "category"), (SOURCE, "source"), (DEADLINE, "deadline")):
        if column in log.column_names:
            table[name] = _values(log.column(column, rows=starts))
    return table


def _values(column: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The values of a column for a new table: text and zoned times stay in their own
    arrays (``to_numpy`` would make one Python object per value, converted back)."""
    if isinstance(column.dtype, (pd.StringDtype, pd.DatetimeTZDtype)):
        return column.array
    return column.to_numpy()
