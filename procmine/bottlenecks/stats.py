"""Group statistics over the per-event arrays, with numpy.

Per group of integer codes: distinct cases (:func:`_distinct_cases`); the
stays of a case at a group (:func:`_stays`), the month of an instant
(:func:`_month_codes`), the ranking of a table (:func:`_rank`) and of the transitions
(:func:`_transitions`), and the quantiles a collector found laid out by table row
(:func:`_quantile_rows`). Quantiles and peaks are the collector's
(:mod:`procmine.engines.collector`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from procmine.bottlenecks.events import _NAT, _Events
from procmine.grouping import distinct


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array (:func:`procmine.grouping.distinct`)."""
    return distinct(values)


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


def _quantile_rows(values: Any, name: str, row: Any, k: int,
                   qs: tuple[float, ...]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per table row: the total and the quantiles ``qs`` of the values ``name`` collected.

    ``row`` maps shared codes to rows (an array, or a function of the code array).
    """
    q = values.quantiles(name, "key", "value", qs)
    keys = q["key"].to_numpy(dtype=np.int64)
    at = row(keys) if callable(row) else row[keys]
    out = []
    for column in ("total", *(f"q{i}" for i in range(len(qs)))):
        data = np.full(k, np.nan)
        data[at] = q[column].to_numpy(dtype=np.float64)
        out.append(data)
    return out[0], out[1:]


def _transitions(table: pd.DataFrame, total_wait: float) -> pd.DataFrame:
    table = table[["source", "target", "count", "cases", "mean", "median", "p90", "total"]].copy()
    table["share"] = table["total"] / total_wait if total_wait > 0 else np.nan
    table = table.sort_values(["total", "count", "source", "target"],
                              ascending=[False, False, True, True], kind="stable")
    return table.reset_index(drop=True)
