"""Citizens' orders against internal orders (政民互动实效): section ``citizens`` of the audit.

Orders are grouped by source (``procmine.audit.governance``: citizen, internal,
other; other takes part in no comparison). For each group: the median time to the
first response, to the acceptance and to the first closure (working time), and the
rates of returns (退单), bounce-backs after handling (核查不通过/返工), closures on
paper only (no field step in the order), dissatisfaction (不满意), redo (重办) and
repeat demands (the audit's linking). Each difference is tested as ``procmine
compare`` tests it (Mann-Whitney U for times, the two-proportion test for rates,
Holm within the family), with the same functions.

``close_ratio_within_category`` is the median time to closure relative to the median
of its category, citizens' over internal orders: the gap that the mix of categories
(citizens report matters with longer deadlines) does not explain.

Per unit, street and category the *answer ratio* compares how fast units answered:
the time from the step that brought the order to the accepting unit to its
acceptance (签收), divided by the median of its category over all orders (so categories with longer deadlines weigh alike), median
of citizens' orders over median of internal ones. A unit answers citizens slower
(*upward-oriented*, 向上负责) when the ratio is at least :data:`UPWARD_RATIO` and
the Holm-corrected Mann-Whitney test of the ratios is significant.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from procmine.compare import ALPHA, holm, mann_whitney, proportion_test
from procmine.vocabulary import REPEAT_OF

#: The answer ratio from which a unit counts as answering citizens slower.
UPWARD_RATIO = 1.5
#: Orders each group needs in a row before it is tested.
MIN_ORDERS = 10
TIMES = ("response_s", "accept_s", "close_s")
RATES = ("returned", "bounced_back", "paper_only", "dissatisfied", "reopened", "repeated")


#: The columns of the orders that :func:`citizens` reads besides the flags.
KEPT = ("group", "unit", "street", "category", *TIMES, "answer_s")
#: The columns of the orders that :func:`order_flags` reads.
FLAG_COLUMNS = (*KEPT, "case", "first_close", "returned", "reworked", "field_steps",
                "dissatisfied", "reopened")


def order_flags(orders: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """The orders' columns :data:`KEPT` with the 0/1 outcomes of :data:`RATES`, ``closed``
    and ``answer_rel`` (no copy of the other columns: the table is as long as the log)."""
    closed = orders["first_close"].notna().to_numpy()
    out = orders[list(KEPT)].assign(
        closed=closed, returned=orders["returned"] > 0, bounced_back=orders["reworked"] > 0,
        paper_only=closed & (orders["field_steps"] == 0).to_numpy(),
        dissatisfied=orders["dissatisfied"] > 0, reopened=orders["reopened"] > 0,
        repeated=orders["case"].isin(set(links[REPEAT_OF])))
    median = out.groupby("category", dropna=False)["answer_s"].transform("median")
    out["answer_rel"] = out["answer_s"] / median.where(median > 0)
    return out


def citizens(flags: pd.DataFrame) -> dict[str, Any]:
    """Summary by group with tests, tables per unit, street and category, upward units."""
    # each group's rows of one column at a time: no copy of the table per group
    c, i = ((flags["group"] == g).to_numpy() for g in ("citizen", "internal"))
    nc, ni = int(c.sum()), int(i.sum())
    rows = []
    for key in TIMES:
        kc, ki = flags[key][c], flags[key][i]
        test = mann_whitney(ki.to_numpy(float), kc.to_numpy(float))
        rows.append(_row(key, _median(kc), _median(ki), test))
    for key in RATES:
        kc, ki = int(flags[key][c].sum()), int(flags[key][i].sum())
        test = proportion_test(ki, ni, kc, nc)
        rows.append(_row(key, kc / nc if nc else None, ki / ni if ni else None, test))
    table = _with_holm(pd.DataFrame(rows))
    by_unit = _by(flags, "unit")
    upward = by_unit[(by_unit["answer_ratio"] >= UPWARD_RATIO) & (by_unit["significant"] == True)]  # noqa: E712
    median = flags.groupby("category", dropna=False)["close_s"].transform("median")
    relative = flags["close_s"] / median.where(median > 0)
    rc, ri = relative[flags["group"] == "citizen"].median(), relative[flags["group"] == "internal"].median()
    summary = {"citizen_orders": nc, "internal_orders": ni,
               "close_ratio_within_category": float(rc / ri) if ri and ri == ri else None,
               "other_orders": int((flags["group"] == "other").sum()),
               "upward_units": upward["unit"].tolist()}
    return {"summary": summary, "indicators": table, "by_unit": by_unit,
            "by_street": _by(flags, "street"), "by_category": _by(flags, "category")}


def _row(key: str, citizen: float | None, internal: float | None, test: Any) -> dict[str, Any]:
    return {"indicator": key, "citizen": citizen, "internal": internal,
            "test": test.test, "p_value": _num(test.p_value), "effect": _num(test.effect)}


def _num(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.median()) if len(values) else None


def _with_holm(table: pd.DataFrame) -> pd.DataFrame:
    adjusted = holm(table["p_value"].astype(float).to_numpy()) if len(table) else np.zeros(0)
    table["p_adjusted"] = [None if np.isnan(p) else float(p) for p in adjusted]
    table["significant"] = [None if np.isnan(p) else bool(p < ALPHA) for p in adjusted]
    return table


def _by(flags: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per value of ``key``: orders, medians and rates of both groups, the answer ratio, its test."""
    rows = []
    used = flags[[key, "group", "answer_rel", "accept_s", "close_s", "dissatisfied"]]
    for value, sub in used[used[key].notna()].groupby(key, sort=True):
        c, i = sub[sub["group"] == "citizen"], sub[sub["group"] == "internal"]
        if len(c) == 0 and len(i) == 0:
            continue
        rc, ri = c["answer_rel"].dropna(), i["answer_rel"].dropna()
        tested = len(rc) >= MIN_ORDERS and len(ri) >= MIN_ORDERS
        test = mann_whitney(ri.to_numpy(), rc.to_numpy()) if tested else None
        rows.append({
            key: value, "citizen": len(c), "internal": len(i),
            "citizen_accept_s": _median(c["accept_s"]), "internal_accept_s": _median(i["accept_s"]),
            "citizen_close_s": _median(c["close_s"]), "internal_close_s": _median(i["close_s"]),
            "answer_ratio": (float(rc.median() / ri.median())
                             if len(rc) and len(ri) and ri.median() > 0 else None),
            "citizen_dissatisfied_rate": float(c["dissatisfied"].mean()) if len(c) else None,
            "internal_dissatisfied_rate": float(i["dissatisfied"].mean()) if len(i) else None,
            "p_value": _num(test.p_value) if test else None})
    out = pd.DataFrame(rows, columns=[key, "citizen", "internal", "citizen_accept_s",
                                      "internal_accept_s", "citizen_close_s", "internal_close_s",
                                      "answer_ratio", "citizen_dissatisfied_rate",
                                      "internal_dissatisfied_rate", "p_value"])
    out = _with_holm(out)
    order = out["answer_ratio"].astype(float).fillna(-np.inf)
    return out.iloc[np.lexsort((out[key].astype(str).to_numpy(), -order.to_numpy()))
                    ].reset_index(drop=True)
