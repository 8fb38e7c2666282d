"""Grassroots overload: section ``overload`` of the audit.

A unit *holds* an order from its acceptance to its first handling step (处置);
its *load* when it accepts an order is the number of other orders it holds at that
moment. Per unit:

- work in progress per day: the orders held, averaged over the working time of
  each working day (``wip_daily``);
- by load band (the unit's quintiles of load): the on-time rate (first closure by
  the log's due time 时限), the median response (acceptance to handling, working
  time) and the redo rate (返工 or 重办);
- the regression slope of each on the load (per order held), with its 95%
  confidence interval (ordinary least squares, t distribution);
- the breaking point: a step regression of the response, relative to the median
  of its category, on the load, ``log y = a + b*load + c*[load > L]``, ``L`` chosen
  among the unit's loads between its 20th and 90th percentile (and at least
  :data:`MIN_LEVEL`) by least squares; the
  linear term takes the smooth growth of queueing, the step a breakdown. Performance
  *breaks down above L* when ``exp(c)``, the jump, is at least :data:`BREAK_RATIO`
  and its 95% interval lies above :data:`BREAK_LOW`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from procmine.audit.cases import working_positions

#: How much slower (median, relative to the category) the orders above the level must be.
BREAK_RATIO = 2.0
#: ... and the lower end of its 95% interval at least this (a few hundred orders of a
#: small unit, searched over many levels, make jumps of 1.2 by chance).
BREAK_LOW = 1.5
#: The lowest level a breakdown is named at: below it, any order held means a queue for a
#: unit with one or two people on it, and queueing alone makes a step.
MIN_LEVEL = 3
#: Orders needed on each side of a level.
MIN_SIDE = 20
#: The columns of the per-unit table (slopes and the breaking point need MIN_ORDERS orders).
UNIT_TABLE = ("unit", "orders", "mean_load", "max_daily_wip", "on_time_rate",
              *(f"{m}_{k}" for m in ("hours", "on_time", "redo") for k in ("slope", "low", "high")),
              "break_level", "break_ratio", "break_low")
#: Orders a unit needs before its slopes and its breaking point are estimated.
MIN_ORDERS = 40
#: The columns of the orders :func:`held`, :func:`wip_daily` and :func:`overload` read.
HELD_COLUMNS = ("unit", "accept", "handle")
WIP_COLUMNS = HELD_COLUMNS
OVERLOAD_COLUMNS = ("case", "unit", "category", "deadline", "first_close", "reworked",
                    "reopened", "handle_s")


def held(orders: pd.DataFrame) -> np.ndarray:
    """Per order, the other orders its unit held when it accepted it (NaN when unknown)."""
    start = pd.DatetimeIndex(orders["accept"]).asi8
    end = pd.DatetimeIndex(orders["handle"]).asi8
    ok = orders["unit"].notna().to_numpy() & ~pd.isna(orders["accept"]).to_numpy() \
        & ~pd.isna(orders["handle"]).to_numpy()
    out = np.full(len(orders), np.nan)
    units = pd.factorize(orders["unit"])[0]     # codes, not a string per order
    for unit in np.unique(units[ok]):
        idx = np.flatnonzero(ok & (units == unit))
        s, e = np.sort(start[idx]), np.sort(end[idx])
        t = start[idx]
        out[idx] = (np.searchsorted(s, t, side="right") - np.searchsorted(e, t, side="right")
                    - 1).clip(min=0)
    return out


def wip_daily(orders: pd.DataFrame, calendar: Any) -> pd.DataFrame:
    """``unit``, ``day``, ``wip``: orders held, averaged over each working day's working time."""
    ok = orders["unit"].notna() & orders["accept"].notna() & orders["handle"].notna()
    sub = orders.loc[ok, ["unit", "accept", "handle"]]      # not a copy of every column
    if sub.empty:
        return pd.DataFrame(columns=["unit", "day", "wip"])
    accept, handle = pd.DatetimeIndex(sub["accept"]), pd.DatetimeIndex(sub["handle"])
    origin = accept.min().normalize()
    days = pd.date_range(origin, handle.max().normalize() + pd.Timedelta(days=1), freq="D")

    s = working_positions(calendar, origin, accept)
    e = working_positions(calendar, origin, handle)
    bounds = working_positions(calendar, origin, days)
    length = np.diff(bounds)
    working = length > 0
    frames = []
    units = sub["unit"].to_numpy(dtype=object)
    for unit in pd.unique(units):
        sel = units == unit
        integral = _held_time(s[sel], np.maximum(e[sel], s[sel]), bounds)
        wip = np.diff(integral)[working] / length[working]
        frames.append(pd.DataFrame({"unit": unit, "day": days[:-1][working].date, "wip": wip}))
    return pd.concat(frames, ignore_index=True)


def _held_time(start: np.ndarray, end: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Sum over orders of the time held before each x: sum clip(x - start, 0, end - start)."""
    s, e = np.sort(start), np.sort(end)
    cs, ce = np.r_[0.0, np.cumsum(s)], np.r_[0.0, np.cumsum(e)]
    ks, ke = np.searchsorted(s, x, side="right"), np.searchsorted(e, x, side="right")
    return (ks * x - cs[ks]) - (ke * x - ce[ke])


def slope(x: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
    """OLS slope of ``y`` on ``x`` with its 95% confidence interval (None when undefined)."""
    from scipy import stats

    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0:
        return {"slope": None, "low": None, "high": None}
    fit = stats.linregress(x, y)
    half = float(stats.t.ppf(0.975, len(x) - 2) * fit.stderr)
    return {"slope": float(fit.slope), "low": float(fit.slope - half),
            "high": float(fit.slope + half)}


def breaking_point(load: np.ndarray, y: np.ndarray) -> dict[str, Any] | None:
    """The load level above which ``y`` (> 0) jumps: ``log y = a + b*load + c*[load > L]``.

    ``L`` is chosen among the loads between the 20th and the 90th percentile by least
    squares; the performance breaks down above ``L`` when ``exp(c)`` is at least
    :data:`BREAK_RATIO` and the 95% interval of ``exp(c)`` is above :data:`BREAK_LOW`.
    """
    from scipy import stats

    ok = ~(np.isnan(load) | np.isnan(y)) & (y > 0)
    load, y = load[ok], np.log(y[ok])
    if len(y) < MIN_ORDERS:
        return None
    lo, hi = np.quantile(load, [0.2, 0.9])
    best = None
    for level in np.unique(load[(load >= max(lo, MIN_LEVEL)) & (load <= hi)]):
        above = load > level
        if above.sum() < MIN_SIDE or (~above).sum() < MIN_SIDE:
            continue
        X = np.column_stack([np.ones(len(load)), load, above])
        coef, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
        sse = float(((y - X @ coef) ** 2).sum())
        if rank == 3 and (best is None or sse < best[0]):
            best = (sse, level, coef, X)
    if best is None:
        return None
    sse, level, coef, X = best
    dof = len(y) - 3
    half = float(stats.t.ppf(0.975, dof)) * float(np.sqrt(sse / dof * np.linalg.inv(X.T @ X)[2, 2]))
    ratio = float(np.exp(coef[2]))
    return {"level": float(level), "ratio": ratio, "low": float(np.exp(coef[2] - half)),
            "high": float(np.exp(coef[2] + half)),
            "breaks": bool(np.exp(coef[2] - half) >= BREAK_LOW and ratio >= BREAK_RATIO)}


def overload(orders: pd.DataFrame, load: np.ndarray, daily: pd.DataFrame) -> dict[str, Any]:
    """Per unit: load, slopes with intervals, the table by load band and the breaking point."""
    frame = _per_order(orders, load)
    rows, bands = [], []
    for unit, sub in frame.groupby("unit", sort=True):
        x = sub["load"].to_numpy()
        row = {"unit": unit, "orders": len(sub), "mean_load": float(x.mean()),
               "max_daily_wip": float(daily.loc[daily["unit"] == unit, "wip"].max())
               if (daily["unit"] == unit).any() else None,
               "on_time_rate": _mean(sub["on_time"])}
        if len(sub) >= MIN_ORDERS:
            for name in ("hours", "on_time", "redo"):
                row |= {f"{name}_{k}": v for k, v in slope(x, sub[name].to_numpy()).items()}
            point = breaking_point(x, sub["relative"].to_numpy())
            row |= {"break_level": point["level"] if point and point["breaks"] else None,
                    "break_ratio": point["ratio"] if point else None,
                    "break_low": point["low"] if point else None}
            bands.append(_bands(unit, sub))
        rows.append(row)
    by_unit = pd.DataFrame(rows).reindex(columns=UNIT_TABLE)
    # the units that break down first, then the busiest
    by_unit = by_unit.sort_values(["break_level", "orders", "unit"], ascending=[True, False, True],
                                  na_position="last", kind="stable").reset_index(drop=True)
    broken = by_unit[by_unit["break_level"].notna()]
    summary = {"units": len(by_unit), "mean_daily_wip": _mean(daily["wip"]),
               "breaking_units": {str(u): float(v) for u, v in
                                  zip(broken["unit"], broken["break_level"], strict=True)}}
    return {"summary": summary, "by_unit": by_unit,
            "by_band": pd.concat(bands, ignore_index=True) if bands else pd.DataFrame(),
            "wip_daily": daily, "load": frame}


def _per_order(orders: pd.DataFrame, load: np.ndarray) -> pd.DataFrame:
    """``case``, ``unit``, ``load``, ``on_time``, ``redo``, ``hours`` and ``relative`` (the
    response over its category's median) of the orders with a unit and a load; each
    measure is taken on those rows only, not made as long as the log and then cut."""
    keep = orders["unit"].notna().to_numpy() & ~np.isnan(load)     # made of these rows only
    median = orders.groupby("category", dropna=False)["handle_s"].transform("median")
    median = median.to_numpy(dtype=float)[keep]
    kept = orders[["deadline", "first_close", "reworked", "reopened", "handle_s"]][keep]
    handle = kept["handle_s"].to_numpy(dtype=float)
    on_time = np.where(kept["deadline"].isna() | kept["first_close"].isna(), np.nan,
                       (kept["first_close"] <= kept["deadline"]).to_numpy(dtype=float))
    return pd.DataFrame({
        "case": orders["case"][keep], "unit": orders["unit"][keep], "load": load[keep],
        "on_time": on_time, "redo": ((kept["reworked"] > 0) | (kept["reopened"] > 0)
                                     ).to_numpy(dtype=float),
        "hours": handle / 3600.0, "relative": handle / np.where(median > 0, median, np.nan)})


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def _bands(unit: Any, sub: pd.DataFrame) -> pd.DataFrame:
    """The unit's orders by quintile of load: orders, on-time rate, median response, redo rate."""
    edges = np.unique(np.quantile(sub["load"], [0, 0.2, 0.4, 0.6, 0.8, 1.0]).round())
    band = np.clip(np.searchsorted(edges, sub["load"].to_numpy(), side="right") - 1,
                   0, max(len(edges) - 2, 0))
    rows = []
    for b in np.unique(band):
        part = sub[band == b]
        lo, hi = int(part["load"].min()), int(part["load"].max())
        rows.append({"unit": unit, "band": f"{lo}–{hi}", "load_low": lo, "load_high": hi,
                     "orders": len(part), "on_time_rate": _mean(part["on_time"]),
                     "median_hours": float(part["hours"].median()),
                     "redo_rate": float(part["redo"].mean())})
    return pd.DataFrame(rows)
