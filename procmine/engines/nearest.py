"""Exact quantiles in DuckDB without sorting every value.

DuckDB's ``quantile_cont`` is exact, but it interpolates ``a * (1 - t) + b * t``
between the two nearest values, which may differ in the last bit from numpy's
``a + (b - a) * t`` (:func:`procmine.grouping.interpolate`) and from the engines'
SQL. What it gives is a value between the two nearest values; one more aggregate
pass counts the values below and at it and takes the nearest value on either side,
which are the values of the two ranks. From those, each caller interpolates as it
always did, so the numbers stay the same to the last bit:

- :func:`near_values` for ``DuckDBCollector`` (then :func:`procmine.grouping.interpolate`);
- :func:`nearest_quantiles`, the SQL of :func:`procmine.engines.sql.ranked_quantiles`.

``quantile_cont`` holds the values in memory and raises at the memory limit (it does
not spill): :func:`quantiles_fit` says when it may be used; otherwise the values are
ranked by sorting, which spills.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from procmine.engines.sql import interpolation


def quantiles_fit(con: Any, values: int) -> bool:
    """True when DuckDB's ``quantile_cont`` over ``values`` values fits the memory limit of
    the connection ``con``: it holds every value (about 8.6 bytes each, measured), and
    is given a third of the limit. Above that, quantiles are taken by sorting, which
    spills to disk."""
    from procmine.engines import parse_memory_limit
    from procmine.errors import SpecError

    text = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    try:
        limit = parse_memory_limit(str(text).replace(" ", ""))
    except SpecError:  # a form we do not read: as if there were no room
        return False
    return values * 9 <= limit // 3


def near_values(con: Any, kept: str, keys: list[str], qs: Sequence[float]) -> pd.DataFrame | None:
    """Per group of the columns ``keys`` of ``kept`` (a query of them and the values
    ``v``): the values of ranks ``floor`` and ``ceil`` of ``(n - 1) * q`` for each of ``qs``,
    as rows of the keys, ``i`` (the rank), ``v`` and ``n``, found without sorting; or None.

    DuckDB's ``quantile_cont`` (it interpolates ``a * (1 - t) + b * t``, which may
    differ from :func:`interpolate` in the last bit) gives a value ``x`` between the
    two nearest values; one more pass counts the values below and at ``x`` and takes
    the nearest value on either side, which are the values of the ranks around ``x``.
    None when a rank is not among those found, or DuckDB ran out of memory: the
    caller then ranks every value by sorting, which spills.
    """
    import duckdb

    quoted = ['"' + str(key).replace('"', '""') + '"' for key in keys]
    k = ", ".join(quoted)
    wanted = ", ".join(repr(float(q)) for q in qs)
    same = " AND ".join(f"x.{key} IS NOT DISTINCT FROM a.{key}" for key in quoted)
    measures = ", ".join(
        f"count(*) FILTER (WHERE x.v < a.x[{j + 1}]) AS lt{j}, "
        f"count(*) FILTER (WHERE x.v <= a.x[{j + 1}]) AS le{j}, "
        f"max(x.v) FILTER (WHERE x.v < a.x[{j + 1}]) AS below{j}, "
        f"min(x.v) FILTER (WHERE x.v > a.x[{j + 1}]) AS above{j}, a.x[{j + 1}] AS x{j}"
        for j in range(len(qs)))
    group = ", ".join(f"a.{key}" for key in quoted)
    approx = (f"SELECT {k}, count(*) AS n, quantile_cont(v, [{wanted}]) AS x "
              f"FROM ({kept}) x GROUP BY {k}")
    try:
        found = con.execute(
            f"SELECT {group}, a.n, {measures} FROM ({kept}) x JOIN ({approx}) a ON {same} "
            f"GROUP BY {group}, a.n, a.x").df()
    except duckdb.OutOfMemoryException:
        return None
    n = found["n"].to_numpy(dtype=np.int64)
    out = []
    for j, q in enumerate(qs):
        lt, le = (found[f"{c}{j}"].to_numpy(dtype=np.int64) for c in ("lt", "le"))
        x, below, above = (found[f"{c}{j}"].to_numpy(dtype=np.float64)
                           for c in ("x", "below", "above"))
        pos = (n - 1) * q   # the ranks interpolate() reads
        for rank in (np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)):
            # ranks lt - 1 (below x), lt .. le - 1 (equal to x) and le (above x) are known
            value = np.where(rank == lt - 1, below,
                             np.where(rank == le, above, np.where(rank < le, x, np.nan)))
            if not ((rank >= lt - 1) & (rank <= le)).all() or np.isnan(value).any():
                return None
            out.append(found[keys].assign(i=rank, v=value, n=n))
    return pd.concat(out, ignore_index=True).drop_duplicates([*keys, "i"])


def nearest_quantiles(rows: str, keys: tuple[str, ...], quantiles: dict[str, float]) -> str:
    """:func:`procmine.engines.sql.ranked_quantiles`' numbers to the last bit, without
    sorting every value: DuckDB's ``quantile_cont`` gives a value ``x`` between the two
    nearest values of each quantile; one more pass counts the values below and at ``x``
    and takes the nearest value on either side, which are the values of the ranks
    around ``x``; they are interpolated as ``ranked_quantiles`` does. A quantile is
    NULL where its ranks are not among those found (then sort). ``quantile_cont`` holds
    the values of the groups in memory: see :func:`quantiles_fit`."""
    k = ", ".join(keys)
    wanted = ", ".join(str(q) for q in quantiles.values())
    same = " AND ".join(f"x.{key} IS NOT DISTINCT FROM a.{key}" for key in keys)
    group = ", ".join(f"a.{key}" for key in keys)
    approx = (f"SELECT {k}, count(*) AS n, quantile_cont(w, [{wanted}]) AS qx "
              f"FROM ({rows}) x GROUP BY {k}")
    measures = ", ".join(
        f"count(*) FILTER (WHERE x.w < a.qx[{j}]) AS lt{j}, "
        f"count(*) FILTER (WHERE x.w <= a.qx[{j}]) AS le{j}, "
        f"max(x.w) FILTER (WHERE x.w < a.qx[{j}]) AS below{j}, "
        f"min(x.w) FILTER (WHERE x.w > a.qx[{j}]) AS above{j}"
        for j in range(1, len(quantiles) + 1))
    near = (f"SELECT {group}, a.n, a.qx, {measures} FROM ({rows}) x JOIN ({approx}) a "
            f"ON {same} GROUP BY {group}, a.n, a.qx")

    def at(rank: str, j: int) -> str:
        return (f"CASE WHEN {rank} = lt{j} - 1 THEN below{j} WHEN {rank} = le{j} THEN above{j} "
                f"WHEN {rank} >= lt{j} AND {rank} < le{j} THEN qx[{j}] END")

    parts = []
    for j, (name, share) in enumerate(quantiles.items(), start=1):
        lo, frac = interpolation(share)
        parts.append(f"CASE WHEN {frac} = 0 THEN {at(lo, j)} * (1 - {frac}) ELSE "
                     f"{at(lo, j)} * (1 - {frac}) + {at(f'{lo} + 1', j)} * {frac} END AS {name}")
    return f"SELECT {k}, {', '.join(parts)} FROM ({near}) r"
