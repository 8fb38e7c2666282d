"""The tables of :func:`procmine.loops.find_loops`, assembled from what the detectors found.

``_per_case`` makes one evidence row per flagged case (the first occurrence, the
union of the cost intervals, the key events as text); ``_summary`` and ``_by_table``
aggregate the evidence per pattern and per group; ``_level_moves`` and
``_flows_table`` count the moves between levels, ``_handovers`` and
``_handover_table`` the ping-pong pairs, and ``_supervision_table`` sets supervised
cases against ordinary ones. What needs a median takes it from a ``Medians``, so
that a log in memory and the parts of a larger one give the same tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from procmine.log import CATEGORY, SOURCE
from procmine.loops.context import _NS, _Ctx, _names, _working
from procmine.loops.patterns import PATTERNS, _Found

#: ``medians(name, keys, value)``: per group of ``keys`` of the rows ``name`` (sorted by the
#: keys), ``rows`` and the ``median`` of ``value`` without missing values, as pandas'
#: groupby median computes it (the mean of the two middle values).
Medians = Callable[[str, list[str], str], pd.DataFrame]


def _local_minutes(ctx: _Ctx, idx: np.ndarray) -> np.ndarray:
    """Local wall-clock times of events as ``datetime64[m]``."""
    local = (pd.DatetimeIndex(ctx.ts[idx].astype("datetime64[ns]"), tz="UTC")
             .tz_convert(ctx.log.timezone or "UTC").tz_localize(None))
    return local.to_numpy().astype("datetime64[m]")


def _event_text(ctx: _Ctx, idx: np.ndarray) -> np.ndarray:
    """``#pos activity [unit] MM-DD HH:MM`` for each event index (empty for -1).

    Built with numpy's fixed-width strings: the label of each distinct (activity,
    unit) pair once, the times in one ``datetime_as_string`` call.
    """
    out = np.full(len(idx), "", dtype=object)
    ok = idx >= 0
    if not ok.any():
        return out
    i = idx[ok]
    # 'YYYY-MM-DDTHH:MM' -> 'MM-DD HH:MM' by slicing the characters of the fixed-width array
    chars = np.datetime_as_string(_local_minutes(ctx, i)).astype("<U16").view("<U1").reshape(-1, 16)
    chars = np.ascontiguousarray(chars[:, 5:])
    chars[:, 5] = " "
    when = chars.view("<U11").ravel()
    pair = ctx.act[i] * (len(ctx.units) + 1) + np.where(ctx.res[i] >= 0, ctx.res[i], len(ctx.units))
    pairs, inverse = np.unique(pair, return_inverse=True)
    acts = np.append(ctx.act_names, "")[pairs // (len(ctx.units) + 1)]
    units = _names(ctx.units, np.where(pairs % (len(ctx.units) + 1) < len(ctx.units),
                                       pairs % (len(ctx.units) + 1), -1))
    labels = np.array([f"{a} [{u}] " if u else f"{a} " for a, u in zip(acts, units, strict=True)])
    position = (i - ctx.first[i] + 1).astype(str)
    text = np.char.add(np.char.add(np.char.add("#", position), " "),
                       np.char.add(labels[inverse.ravel()], when))
    out[ok] = text.astype(object)
    return out


_EVIDENCE_COLUMNS = ["case", "pattern", "occurrences", "unit", "level", "category", "source",
                     "month", "cost_s", "cost_work_s", "detail", "events"]


def _no_evidence() -> pd.DataFrame:
    return pd.DataFrame(columns=_EVIDENCE_COLUMNS)


def _per_case(ctx: _Ctx, pattern: str, found: _Found, attrs: dict[str, np.ndarray]) -> pd.DataFrame:
    """One evidence row per flagged case: the first occurrence, the union of the cost intervals."""
    if len(found.case) == 0:
        return pd.DataFrame(columns=[*_EVIDENCE_COLUMNS, "_code"])
    frame = pd.DataFrame({"c": found.case, "t0": found.t0, "t1": np.maximum(found.t1, found.t0),
                          "k": np.arange(len(found.case))})
    frame = frame.sort_values(["c", "t0", "k"], kind="stable")
    # union of the intervals of a case: clip each by the furthest end so far
    run = frame.groupby("c")["t1"].cummax()
    prev = run.groupby(frame["c"]).shift(1).fillna(np.iinfo(np.int64).min).astype(np.int64)
    lo = np.maximum(frame["t0"].to_numpy(), prev.to_numpy())
    hi = frame["t1"].to_numpy()
    add = np.where(hi > lo, hi - lo, 0) / _NS
    frame["cost"] = add
    if found.cost is not None:
        frame["cost"] = found.cost[frame["k"].to_numpy()]
        frame["work"] = (found.cost_work[frame["k"].to_numpy()] if found.cost_work is not None
                         else np.nan)
    else:
        work = np.zeros(len(frame))
        pos = hi > lo
        if ctx.calendar is None:
            work[:] = np.nan
        elif pos.any():
            work[pos] = _working(ctx, lo[pos], hi[pos])
        frame["work"] = work
    grouped = frame.groupby("c", sort=False)
    totals = pd.DataFrame({"occurrences": grouped.size(),
                           "cost": grouped["cost"].sum(min_count=1),
                           "work": grouped["work"].sum(min_count=1)})
    firsts = frame.drop_duplicates("c")
    k = firsts["k"].to_numpy()
    c = firsts["c"].to_numpy()
    levels = np.append(np.asarray(ctx.log.levels, dtype=object), "")
    joined = np.full(len(k), "", dtype=object)
    for e in found.events:
        part = _event_text(ctx, e[k])
        joined = np.where(joined == "", part, np.where(part == "", joined, joined + " → " + part))
    lv = found.level[k]
    out = pd.DataFrame({
        "case": ctx.case_ids[c],
        "pattern": pattern,
        "occurrences": totals.loc[c, "occurrences"].to_numpy(),
        "unit": _names(ctx.units, found.unit[k]),
        "level": levels[np.where(lv >= 0, lv, len(levels) - 1)],
        "category": attrs["category"][c],
        "source": attrs["source"][c],
        "month": attrs["month"][c],
        "cost_s": totals.loc[c, "cost"].to_numpy(dtype=float),
        "cost_work_s": totals.loc[c, "work"].to_numpy(dtype=float),
        "detail": found.detail[k] if found.detail is not None else "",
        "events": joined,
    })
    if pattern in ("hugging", "desk"):   # quality patterns: no time is lost by the pattern itself
        out["cost_s"] = np.nan
        out["cost_work_s"] = np.nan
    out["_code"] = c
    return out


def _attrs(ctx: _Ctx) -> dict[str, np.ndarray]:
    """Per case: category, source and month of the first event (object arrays, '' if absent)."""
    events = ctx.log.events
    first = ctx.starts

    def col(name: str) -> np.ndarray:
        if name in events.columns:
            return events[name].iloc[first].astype("string").fillna("").to_numpy(dtype=object)
        return np.full(len(first), "", dtype=object)

    month = np.datetime_as_string(_local_minutes(ctx, first).astype("datetime64[M]"))
    return {"category": col(CATEGORY), "source": col(SOURCE), "month": month.astype(object)}


def _top(values: pd.Series, k: int = 3) -> str:
    counts = values[values != ""].value_counts()
    return ", ".join(f"{name} ({n})" for name, n in counts.head(k).items())


def _summary(evidence: pd.DataFrame, ran: list[str], n_cases: int) -> pd.DataFrame:
    rows = []
    for pattern in ran:
        ev = evidence[evidence["pattern"] == pattern]
        flagged = len(ev)
        cost = ev["cost_s"].sum(min_count=1)
        work = ev["cost_work_s"].sum(min_count=1)
        rows.append({
            "pattern": pattern,
            "cases": flagged,
            "share": flagged / n_cases if n_cases else 0.0,
            "cost_s": float(cost) if pd.notna(cost) else None,
            "cost_work_s": float(work) if pd.notna(work) else None,
            "mean_cost_s": float(ev["cost_s"].mean()) if flagged and ev["cost_s"].notna().any() else None,
            "top_units": _top(ev["unit"]),
            "top_levels": _top(ev["level"]),
        })
    return pd.DataFrame(rows, columns=["pattern", "cases", "share", "cost_s", "cost_work_s",
                                       "mean_cost_s", "top_units", "top_levels"])


def _by_base(ctx: _Ctx, by: str, attrs: dict[str, np.ndarray]) -> pd.Series:
    """Cases per group: those in which the unit (level) acts, or of the category, source, month."""
    if by in ("unit", "level"):
        if by == "unit":
            ok = ctx.res >= 0
            names = _names(ctx.units, ctx.res[ok])
        else:
            ok = ctx.lvl >= 0
            names = np.asarray(ctx.log.levels, dtype=object)[ctx.lvl[ok]]
        touched = pd.DataFrame({"g": names, "c": ctx.case[ok]}).drop_duplicates()
        base = touched.groupby("g").size()
    else:
        base = pd.Series(attrs[by], dtype="str").value_counts()
    return base[base.index != ""]


def _by_table(evidence: pd.DataFrame, ran: list[str], by: str, base: pd.Series) -> pd.DataFrame:
    """Flagged cases per group and pattern, against the cases of the group."""
    ev = evidence[evidence["pattern"].isin(ran)]
    groups = ev.groupby([by, "pattern"])
    grouped = pd.DataFrame({"flagged": groups.size(),
                            "cost_s": groups["cost_s"].sum(min_count=1),
                            "cost_work_s": groups["cost_work_s"].sum(min_count=1)}).reset_index()
    grid = pd.MultiIndex.from_product([base.index, ran], names=[by, "pattern"]).to_frame(index=False)
    table = grid.merge(grouped, on=[by, "pattern"], how="left")
    table["flagged"] = table["flagged"].fillna(0).astype(int)
    table.insert(2, "cases", table[by].map(base).astype(int))
    table["share"] = table["flagged"] / table["cases"]
    table = table[["pattern", by, "cases", "flagged", "share", "cost_s", "cost_work_s"]]
    return table.sort_values(["pattern", "flagged", by], ascending=[True, False, True],
                             key=lambda s: s.map(PATTERNS.index) if s.name == "pattern" else s,
                             kind="stable").reset_index(drop=True)


_FLOW_COLUMNS = ["from_level", "to_level", "direction", "via", "count", "cases", "median_s",
                 "total_s"]
_FLOW_KEYS = ["from", "to", "via"]


def _level_moves(ctx: _Ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Moves between levels: consecutive events of a case (with a level) at different levels.

    ``via`` names the step that moved the order: ``escalation`` (提级), ``dispatch``
    (派遣, 改派, 下派) or ``other`` (e.g. a hotline report taken by a street centre).
    Returns per (``from``, ``to``, ``via``) level ranks the ``count``, the ``cases`` and
    the total wait in whole seconds ``s`` and nanoseconds ``ns`` (integers: they add up
    exactly, in any order); and the ``wait`` of each move in seconds, for the medians.
    """
    idx = np.flatnonzero(ctx.lvl >= 0)
    a, b = idx[:-1], idx[1:]
    move = (ctx.case[a] == ctx.case[b]) & (ctx.lvl[a] != ctx.lvl[b])
    a, b = a[move], b[move]
    via = np.where(ctx.is_("escalate")[a], "escalation",
                   np.where(ctx.is_("dispatch", "redispatch", "assign_down")[a], "dispatch", "other"))
    wait = ctx.ts[b] - ctx.ts[a]
    moves = pd.DataFrame({"from": ctx.lvl[a], "to": ctx.lvl[b], "via": via, "case": ctx.case[a],
                          "wait": wait / _NS, "s": wait // _NS, "ns": wait % _NS})
    counts = moves.groupby(_FLOW_KEYS).agg(
        count=("wait", "size"), cases=("case", "nunique"), s=("s", "sum"),
        ns=("ns", "sum")).reset_index()
    return counts, moves[[*_FLOW_KEYS, "wait"]]


def _flows_table(counts: pd.DataFrame, medians: Medians, levels: Sequence[str]) -> pd.DataFrame:
    """``flows``: per move between levels, its count, cases, median and total wait (seconds)."""
    if counts.empty:
        return _flows_empty()
    median = medians("waits", _FLOW_KEYS, "wait")[[*_FLOW_KEYS, "median"]]
    table = counts.merge(median, on=_FLOW_KEYS, how="left")
    table = table.sort_values(_FLOW_KEYS, kind="stable").reset_index(drop=True)
    table = table.rename(columns={"median": "median_s"})
    # the exact sum, rounded once: a sum of floats would depend on the order of the parts
    table["total_s"] = [(int(s) * _NS + int(ns)) / _NS
                        for s, ns in zip(table["s"], table["ns"], strict=True)]
    names = np.asarray(levels, dtype=object)
    table.insert(2, "direction", np.where(table["to"] > table["from"], "up", "down"))
    table["from"] = names[table["from"].to_numpy()]
    table["to"] = names[table["to"].to_numpy()]
    table = table.rename(columns={"from": "from_level", "to": "to_level"})[_FLOW_COLUMNS]
    return table.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def _flows_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=_FLOW_COLUMNS)


def _handovers(ctx: _Ctx, found: _Found) -> pd.DataFrame:
    """Ping-pong pairs: ``source`` returned the order, ``target`` returned it back; ``count``."""
    if len(found.case) == 0:
        return _no_handovers()
    first_ret, second_ret, back = found.events
    frame = pd.DataFrame({"source": _names(ctx.units, ctx.res[first_ret]),
                          "target": _names(ctx.units, ctx.res[second_ret])})
    return frame.groupby(["source", "target"]).size().rename("count").reset_index()


def _handover_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """``handovers``: the ping-pong pairs, most frequent first."""
    if pairs.empty:
        return _no_handovers()
    return (pairs.sort_values(["count", "source", "target"], ascending=[False, True, True])
            .reset_index(drop=True))


def _no_handovers() -> pd.DataFrame:
    return pd.DataFrame(columns=["source", "target", "count"])


def _supervision_table(medians: Medians, *, by_category: bool) -> pd.DataFrame:
    """Per category: supervised and ordinary cases, their median cycle times, and the gap."""
    keys = ["category", "supervised"]
    cycle = medians("cycles", keys, "cycle").set_index(keys)
    work = medians("cycles", keys, "cycle_work").set_index(keys)
    if not by_category:         # no category anywhere: one group of every case
        cycle = cycle.rename(index={"": "(all)"}, level="category")
        work = work.rename(index={"": "(all)"}, level="category")
    med = pd.DataFrame({"cycle": cycle["median"], "cycle_work": work["median"]}).unstack("supervised")
    count = cycle["rows"].unstack("supervised", fill_value=0)
    table = pd.DataFrame(index=med.index if len(med) else pd.Index([], name="category"))
    for flag, name in ((True, "supervised"), (False, "ordinary")):
        table[f"{name}_cases"] = count[flag] if flag in count.columns else 0
        table[f"{name}_median_s"] = med[("cycle", flag)] if ("cycle", flag) in med.columns else np.nan
        table[f"{name}_median_work_s"] = (med[("cycle_work", flag)] if ("cycle_work", flag) in med.columns
                                          else np.nan)
    table["gap_s"] = table["supervised_median_s"] - table["ordinary_median_s"]
    table["gap_work_s"] = table["supervised_median_work_s"] - table["ordinary_median_work_s"]
    return table.reset_index()
