"""The online burden of the grassroots: section ``burden`` of the audit.

Each step is field work (处置, 核实, 核查), platform work (上报, 立案, 签收, 填报, 审核,
上传, 退单, 延期申请 …), waiting (挂账) or other (回访, 不满意, 重办), by
``procmine.audit.governance``. Per handling unit (the unit of an order's first
handling step) and per level:

- platform steps per order: the unit's own platform steps in the orders it handled;
- the working time before its platform steps against before its field steps, per
  order, and the platform share of that time;
- the share of its orders that never had a field step (by anyone);
- how these change with load (``procmine.audit.overload.held``): a table by load
  band and the slope of platform steps per order on the load, with its interval.

A unit is *burdened* when its platform steps per order exceed the median unit's by
at least :data:`BURDEN_EXCESS` steps (units with at least :data:`MIN_ORDERS` orders).
``steps`` has every unit's steps by kind (the operations centre's included).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from procmine.audit.overload import slope

#: Platform steps per order above the median unit from which a unit counts as burdened.
BURDEN_EXCESS = 1.0
MIN_ORDERS = 20
LOAD_BANDS = (0, 1, 3, 6, 11, 21)
#: The columns of the orders the burden reads (no copy of the others).
_KEPT = ("case", "unit", "level", "unit_platform", "unit_field", "unit_platform_s",
         "unit_field_s")
#: The columns of the orders :func:`burden` reads.
BURDEN_COLUMNS = (*_KEPT, "field_steps")


def burden(orders: pd.DataFrame, steps: pd.DataFrame, load: np.ndarray) -> dict[str, Any]:
    """Per unit and level: platform steps and time per order, orders without field work."""
    keep = orders["unit"].notna().to_numpy()       # the rows kept only, not a copy of all
    frame = orders.loc[keep, list(_KEPT)].assign(no_field=(orders["field_steps"] == 0)[keep],
                                                 load=load[keep])
    by_unit = _by(frame, "unit")
    level = frame.groupby("unit")["level"].first()
    by_unit.insert(1, "level", by_unit["unit"].map(level))
    sized = by_unit[by_unit["orders"] >= MIN_ORDERS]
    median = float(sized["platform_per_order"].median()) if len(sized) else np.nan
    by_unit["excess"] = by_unit["platform_per_order"] - median
    burdened = sized.loc[sized["platform_per_order"] - median >= BURDEN_EXCESS, "unit"]
    by_unit = by_unit.sort_values(["platform_per_order", "unit"], ascending=[False, True],
                                  kind="stable").reset_index(drop=True)
    x = frame["load"].to_numpy(dtype=float)
    summary = {"orders": len(frame),
               "platform_per_order": _mean(frame["unit_platform"]),
               "field_per_order": _mean(frame["unit_field"]),
               "no_field_share": _mean(frame["no_field"]),
               "median_unit_platform_per_order": None if np.isnan(median) else median,
               "burdened_units": sorted(burdened.tolist()),
               "platform_load_slope": slope(x, frame["unit_platform"].to_numpy(dtype=float))}
    return {"summary": summary, "by_unit": by_unit, "by_level": _by(frame, "level"),
            "by_load": _by_load(frame), "steps": _steps(steps)}


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def _by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    out = frame.groupby(key, sort=True).agg(
        orders=("case", "size"), platform_per_order=("unit_platform", "mean"),
        field_per_order=("unit_field", "mean"), platform_s_per_order=("unit_platform_s", "mean"),
        field_s_per_order=("unit_field_s", "mean"), no_field_share=("no_field", "mean"))
    time = out["platform_s_per_order"] + out["field_s_per_order"]
    out["platform_time_share"] = out["platform_s_per_order"] / time.where(time > 0)
    return out.reset_index()


def _by_load(frame: pd.DataFrame) -> pd.DataFrame:
    """Orders by the load their unit held at acceptance: platform steps, no field work."""
    known = frame[frame["load"].notna()]
    edges = np.array(LOAD_BANDS)
    band = np.searchsorted(edges, known["load"].to_numpy(), side="right") - 1
    labels = [f"{a}–{b - 1}" if b - 1 > a else f"{a}" for a, b in zip(edges[:-1], edges[1:],
                                                                       strict=True)]
    labels.append(f"{edges[-1]}+")
    out = known.assign(band=[labels[b] for b in band]).groupby("band", sort=False).agg(
        orders=("case", "size"), platform_per_order=("unit_platform", "mean"),
        no_field_share=("no_field", "mean"), load_low=("load", "min"))
    return out.sort_values("load_low").drop(columns="load_low").reset_index()


def _steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Every unit's steps and working time by kind, summed over the parts of the log."""
    if steps.empty:
        return steps
    out = steps.groupby("unit", sort=True).agg(
        {c: ("first" if c == "level" else "sum") for c in steps.columns if c != "unit"})
    total = out[[c for c in out.columns if c.endswith("_steps")]].sum(axis=1)
    out["platform_share"] = out["platform_steps"] / total.where(total > 0)
    return out.reset_index()
