"""The three analyses over the per-case table: dispatch, the two clocks, repeat demands.

Each takes the whole case table (``procmine.audit.cases.case_table`` over every
part, laid end to end) and returns plain tables; the definitions are in
docs/audit.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from procmine.vocabulary import BOUNDARIES, MISDISPATCH, REPEAT, REPEAT_OF, REPEATED

DAY_S = 86400.0


def _rate(num: Any, den: Any) -> float | None:
    return float(num) / float(den) if den else None


def boundary(bounces: pd.DataFrame, levels: tuple[str, ...]) -> np.ndarray:
    """The boundary each bounce crosses (:data:`procmine.vocabulary.BOUNDARIES`):
    a change of kind first (条→块, 块→条), then of level (up, down), else the same kind."""
    rank = {name: i for i, name in enumerate(levels)}
    fk, tk = bounces["from_kind"].to_numpy(), bounces["to_kind"].to_numpy()
    fl = np.array([rank.get(v, -1) for v in bounces["from_level"]], dtype=np.int64)
    tl = np.array([rank.get(v, -1) for v in bounces["to_level"]], dtype=np.int64)
    known = (fl >= 0) & (tl >= 0)
    out = np.where(known & (tl > fl), "level_up",
                   np.where(known & (tl < fl), "level_down", "same_kind")).astype(object)
    out[(fk == "line") & (tk == "block")] = "line_to_block"
    out[(fk == "block") & (tk == "line")] = "block_to_line"
    # without the kinds and the levels of both units the boundary is not known
    unknown = (pd.isna(bounces["from_kind"]) | pd.isna(bounces["to_kind"])).to_numpy() & ~known
    out[unknown | pd.isna(bounces["to_unit"]).to_numpy()] = None
    return out


def dispatch_accuracy(cases: pd.DataFrame, bounces: pd.DataFrame, rules: Any,
                      levels: tuple[str, ...]) -> dict[str, Any]:
    """First-dispatch accuracy against the list, bounces by boundary, transit before acceptance."""
    listed = cases["category"].isin([r.category for r in rules.rules]).to_numpy()
    known = listed & cases["first_unit"].notna().to_numpy()
    correct = _on_list(cases["category"], cases["first_unit"], rules)
    table = cases[["case", "category", "first_unit", "bounces", "transit_s"]].assign(
        **{MISDISPATCH: known & ~correct, "correct": known & correct, "dispatched": known})
    bounces = bounces.assign(boundary=boundary(bounces, levels))
    bounces["to_listed"] = _on_list(bounces["category"], bounces["to_unit"], rules)
    summary = {"dispatched": int(known.sum()), "correct_first": int((known & correct).sum()),
               "first_dispatch_accuracy": _rate((known & correct).sum(), known.sum()),
               "unlisted_category_cases": int((~listed).sum()),
               "cases_with_bounces": int((cases["bounces"] > 0).sum()),
               "bounces": int(len(bounces)),
               "median_transit_s": _median(cases.loc[cases["bounces"] > 0, "transit_s"])}
    by_boundary = {name: int((bounces["boundary"] == name).sum()) for name in BOUNDARIES}
    return {"summary": summary, "by_boundary": by_boundary,
            "by_unit": _dispatch_by(table, bounces, "first_unit", "from_unit"),
            "by_category": _dispatch_by(table, bounces, "category", "category", rules),
            "bounces": bounces, "cases": table[["case", "category", "first_unit", MISDISPATCH,
                                                "bounces", "transit_s"]]}


def _on_list(categories: pd.Series, units: pd.Series, rules: Any) -> np.ndarray:
    """Whether each (category, unit) pair is on the list: each distinct pair looked up
    once (no tuple per row)."""
    listed = {(r.category, u.unit) for r in rules.rules for u in r.units}
    cat, cat_names = pd.factorize(categories)
    unit, unit_names = pd.factorize(units)
    width = max(len(unit_names), 1)
    pair = np.where((cat >= 0) & (unit >= 0), cat * width + unit, -1)
    codes, distinct = pd.factorize(pair)
    on = np.array([p >= 0 and (cat_names[p // width], unit_names[p % width]) in listed
                   for p in distinct], dtype=bool)
    return on[codes] if len(codes) else np.zeros(0, dtype=bool)


def _dispatch_by(table: pd.DataFrame, bounces: pd.DataFrame, key: str, bounce_key: str,
                 rules: Any = None) -> pd.DataFrame:
    sub = table.loc[table["dispatched"], [key, "case", "correct", "transit_s"]]   # not a copy of all
    out = sub.groupby(key, sort=True).agg(dispatched=("case", "size"), correct=("correct", "sum"),
                                          transit_median_s=("transit_s", "median"))
    out["accuracy"] = out["correct"] / out["dispatched"]
    out["bounces"] = bounces.groupby(bounce_key).size().reindex(out.index).fillna(0).astype(int)
    out = out.reset_index().rename(columns={key: "unit" if key == "first_unit" else key})
    if rules is not None:
        out["responsible"] = ["、".join(u.unit for u in rules.rule(c).units) for c in out["category"]]
    out["correct"] = out["correct"].astype(int)
    return out.sort_values(["accuracy", out.columns[0]], kind="stable").reset_index(drop=True)


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.median()) if len(values) else None


#: The per-case (or per-order) columns :func:`link_repeats` reads.
LINK_COLUMNS = ("case", "citizen", "address", "category", "report", "last_close")


def link_repeats(cases: pd.DataFrame, *, repeat_days: float) -> pd.DataFrame:
    """``case``, ``repeat_of`` and ``days_after_close`` of every order that is the same demand
    again: the order before it of the same citizen, address and category (by report time)
    closed at most ``repeat_days`` days before it was reported."""
    keys = ("citizen", "address", "category")
    known = np.ones(len(cases), dtype=bool)
    for k in keys:
        known &= cases[k].notna().to_numpy()
    rows = np.flatnonzero(known)
    # each key as the rank of its value (codes of its values sorted): compared and sorted
    # as the values are, without a copy of the table or a Python string per case
    ranks = [pd.factorize(cases[k].iloc[rows], sort=True)[0] for k in keys]
    report, close, per_second = _ticks(cases["report"], cases["last_close"])
    report = report[rows]
    order = np.lexsort((rows, report, *ranks[::-1]))
    same = np.ones(len(order), dtype=bool)
    same[:1] = False
    for rank in ranks:
        ranked = rank[order]
        same[1:] &= ranked[1:] == ranked[:-1]
        del ranked
    del ranks
    close = close[rows][order]
    gap = np.full(len(order), np.nan)
    gap[1:] = (report[order][1:] - close[:-1]) / per_second / DAY_S
    gap[1:][(close[:-1] == _NAT) | (report[order][1:] == _NAT)] = np.nan
    link = np.flatnonzero(same & (gap >= 0) & (gap <= repeat_days))
    ids = cases["case"]
    return pd.DataFrame({"case": ids.iloc[rows[order[link]]].to_numpy(),
                         REPEAT_OF: ids.iloc[rows[order[link - 1]]].to_numpy(),
                         "days_after_close": np.round(gap[link], 3)})


#: numpy's not-a-time as an int64
_NAT = np.iinfo(np.int64).min
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _ticks(*times: pd.Series) -> tuple[Any, ...]:
    """Timezone-aware times as int64 ticks of their finest unit (NaT as :data:`_NAT`), and
    the ticks in a second: their differences are those pandas takes (``a - b``), in the
    same unit, and divided alike give its ``total_seconds``."""
    index = [pd.DatetimeIndex(t) for t in times]
    unit = max((i.unit for i in index), key=_PER_SECOND.__getitem__)
    return (*(i.as_unit(unit).asi8 for i in index), _PER_SECOND[unit])


def chain_end(cases: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """Per case, the last closure of its demand: its own, or that of its last repeat."""
    # the positions of the linked orders only: no Python string per case
    linked = np.flatnonzero(cases["case"].isin(pd.unique(
        np.concatenate([links["case"].to_numpy(), links[REPEAT_OF].to_numpy()]))).to_numpy())
    position = pd.Series(linked, index=cases["case"].iloc[linked].to_numpy())
    nxt = np.arange(len(cases))
    nxt[position[links[REPEAT_OF]].to_numpy()] = position[links["case"]].to_numpy()
    for _ in range(64):                     # pointer jumping: chains of up to 2**64 orders
        jumped = nxt[nxt]
        if np.array_equal(jumped, nxt):
            break
        nxt = jumped
    return pd.Series(pd.DatetimeIndex(cases["last_close"])[nxt], index=cases.index)


def clocks(cases: pd.DataFrame, links: pd.DataFrame, rules: Any, calendar: Any) -> dict[str, Any]:
    """The official clock and the citizen's clock per order, their on-time rates per unit."""
    deadlines = {r.category: r.deadline_hours * 3600.0 for r in rules.rules if r.deadline_hours}
    allowed = cases["category"].map(deadlines).to_numpy(dtype=float, na_value=np.nan)
    official_allowed = allowed * (1 + cases["extensions"].to_numpy())
    end = chain_end(cases, links)
    citizen_s = calendar.working_seconds(cases["report"], end).to_numpy()
    table = cases[["case", "category", "handler", "bounces", "official_s", "presign_s"]].assign(
        citizen_s=citizen_s, allowed_s=allowed,
        official_on_time=cases["official_s"].to_numpy() <= official_allowed,
        citizen_on_time=citizen_s <= allowed,
        citizen_days=(end - cases["report"]).dt.total_seconds().to_numpy() / DAY_S)
    timed = table[np.isfinite(allowed) & table["official_s"].notna()]
    summary = {"cases_timed": len(timed),
               "official_on_time_rate": _rate(timed["official_on_time"].sum(), len(timed)),
               "citizen_on_time_rate": _rate(timed["citizen_on_time"].sum(), len(timed)),
               "clock_restarts": int(cases["bounces"].sum()),
               "cases_restarted": int((cases["bounces"] > 0).sum()),
               "extensions": int(cases["extensions"].sum()),
               "late_extensions": int(cases["late_extensions"].sum()),
               "suspended_cases": int((cases["suspended_s"] > 0).sum()),
               "median_presign_s": _median(cases["presign_s"]),
               "median_official_s": _median(timed["official_s"]),
               "median_citizen_s": _median(timed["citizen_s"]),
               "median_citizen_days": _median(timed["citizen_days"])}
    by = timed.groupby("handler", sort=True).agg(
        cases=("case", "size"), official_on_time_rate=("official_on_time", "mean"),
        citizen_on_time_rate=("citizen_on_time", "mean"), restarts=("bounces", "sum"))
    by["gap"] = by["official_on_time_rate"] - by["citizen_on_time_rate"]
    by = by.reset_index().rename(columns={"handler": "unit"})
    by = by.sort_values(["gap", "unit"], ascending=[False, True], kind="stable")
    return {"summary": summary, "by_unit": by.reset_index(drop=True), "cases": table}


def repeats(cases: pd.DataFrame, links: pd.DataFrame, on_time: pd.Series) -> dict[str, Any]:
    """Closed but not resolved: repeat rates per unit and category, with dissatisfaction and redo."""
    table = cases[["case", "category", "handler", "dissatisfied", "reopened"]].copy()
    table[REPEATED] = table["case"].isin(set(links[REPEAT_OF]))
    table[REPEAT] = table["case"].isin(set(links["case"]))
    table["closed"] = cases["first_close"].notna().to_numpy()
    table["on_time_repeated"] = table[REPEATED] & on_time.to_numpy(dtype=bool)
    table["unresolved"] = table[REPEATED] | (table["dissatisfied"] > 0) | (table["reopened"] > 0)
    closed = table[table["closed"]]
    with_citizen = int(cases["citizen"].notna().sum())
    summary = {"closed": len(closed), "with_citizen": with_citizen,
               "repeats": int(table[REPEAT].sum()), "repeated": int(closed[REPEATED].sum()),
               "repeat_rate": _rate(closed[REPEATED].sum(), len(closed)),
               "closed_on_time_but_repeated": int(closed["on_time_repeated"].sum()),
               "dissatisfied": int((closed["dissatisfied"] > 0).sum()),
               "reopened": int((closed["reopened"] > 0).sum()),
               "true_resolution_rate": _rate((~closed["unresolved"]).sum(), len(closed))}
    return {"summary": summary, "by_unit": _repeats_by(closed, "handler"),
            "by_category": _repeats_by(closed, "category"), "links": links}


def _repeats_by(closed: pd.DataFrame, key: str) -> pd.DataFrame:
    out = closed.groupby(key, sort=True).agg(
        closed=("case", "size"), repeated=(REPEATED, "sum"),
        on_time_but_repeated=("on_time_repeated", "sum"),
        dissatisfied=("dissatisfied", lambda s: int((s > 0).sum())),
        reopened=("reopened", lambda s: int((s > 0).sum())))
    out["repeat_rate"] = out["repeated"] / out["closed"]
    out = out.reset_index().rename(columns={"handler": "unit"})
    for column in ("repeated", "on_time_but_repeated"):
        out[column] = out[column].astype(int)
    return out.sort_values(["repeat_rate", out.columns[0]], ascending=[False, True],
                           kind="stable").reset_index(drop=True)
