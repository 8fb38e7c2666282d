"""The tables of :func:`procmine.loops.find_loops`, assembled from what the detectors found.

``_summary`` and ``_by_table`` aggregate the evidence rows (one per flagged case,
:mod:`procmine.loops.evidence`) per pattern and per group; ``_level_moves`` and
``_flows_table`` count the moves between levels, ``_handovers`` and
``_handover_table`` the ping-pong pairs, and ``_supervision_table`` sets supervised
cases against ordinary ones. What needs a median takes it from a ``Medians``, so
that a log in memory and the parts of a larger one give the same tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procmine.abstractions import column_codes
from procmine.log import CATEGORY, SOURCE
from procmine.loops.context import _NS, _Ctx, _names
from procmine.loops.evidence import _local_minutes
from procmine.loops.patterns import PATTERNS, _Found

#: ``medians(name, keys, value)``: per group of ``keys`` of the rows ``name`` (sorted by the
#: keys), ``rows`` and the ``median`` of ``value`` without missing values, as pandas'
#: groupby median computes it (the mean of the two middle values).
Medians = Callable[[str, list[str], str], pd.DataFrame]


def _attrs(ctx: _Ctx) -> dict[str, np.ndarray]:
    """Per case: category, source and month of the first event (object arrays, '' if absent)."""
    first = ctx.starts

    def col(name: str) -> np.ndarray:
        if name not in ctx.log.column_names:
            return np.full(len(first), "", dtype=object)
        if ctx.log.is_text(name):
            # text: the log's shared codes of the column, its names once each
            codes, names = column_codes(ctx.log, name)
            return np.append(names, "")[codes[first]]
        return ctx.log.column(name, rows=first).astype("string").fillna("").to_numpy(dtype=object)

    month = np.datetime_as_string(_local_minutes(ctx, first).astype("datetime64[M]"))
    return {"category": col(CATEGORY), "source": col(SOURCE), "month": month.astype(object)}


# --------------------------------------------------------------------------- the tally

#: Exact sums: every float64 is a whole multiple of 2**-1126 (m * 2**e with an integer
#: m below 2**53 and e >= -1126), so a sum of them is a Python int at that scale, which
#: adds up over parts in any order and is rounded once, at the end.
_SCALE = 1126
_COUNT_KEYS = ["pattern", "group", "category"]
_SUM_KEYS = [*_COUNT_KEYS, "column", "exp"]
_TOP_KEYS = ["pattern", "column", "name"]
_COSTS = ("cost_s", "cost_work_s")


@dataclass(frozen=True)
class _Tally:
    """What the summary and the ``by`` table need of the evidence rows, in counts that
    add up over parts (:func:`_tallies_added`), so that the rows need not be kept.

    - ``counts``: flagged cases per ``pattern``, ``group`` (the value of ``by`` in the
      row, '' without ``by``) and ``category`` (supervision's rows only, '' otherwise:
      their cost has the ordinary median of the category taken off);
    - ``sums``: per those keys, ``column`` (``cost_s``, ``cost_work_s``) and binary
      exponent ``exp``: ``n`` costs (not NaN) and the sum of their 53-bit mantissas,
      split in ``hi`` and ``lo`` (int64 that cannot overflow), exactly;
    - ``tops``: per ``pattern``, ``column`` (unit, level) and non-empty ``name``: the
      ``count`` of rows and the ``first`` row it is in (value_counts' order among ties);
    - ``rows``: evidence rows per pattern.
    """

    counts: pd.DataFrame
    sums: pd.DataFrame
    tops: pd.DataFrame
    rows: dict[str, int]

    def without(self, patterns: Sequence[str]) -> _Tally:
        def kept(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[~frame["pattern"].isin(list(patterns))].reset_index(drop=True)

        return _Tally(kept(self.counts), kept(self.sums), kept(self.tops),
                      {p: n for p, n in self.rows.items() if p not in patterns})


def _no_tally() -> _Tally:
    def empty(keys: list[str], values: dict[str, str]) -> pd.DataFrame:
        return pd.DataFrame({**{k: pd.Series([], dtype=object) for k in keys},
                             **{k: pd.Series([], dtype=t) for k, t in values.items()}})

    return _Tally(empty(_COUNT_KEYS, {"flagged": "int64"}),
                  empty(_SUM_KEYS[:-1], {"exp": "int64", "n": "int64", "hi": "int64",
                                         "lo": "int64"}),
                  empty(_TOP_KEYS, {"count": "int64", "first": "int64"}), {})


def _tally(evidence: dict[str, pd.DataFrame], by: str | None) -> _Tally:
    """The tally of the evidence rows of one pass (per pattern, before :func:`_finish`).

    The columns of each table are gathered over the patterns and made a frame once (a
    frame per pattern and table cost more than the counting, on parts of a few thousand
    cases); the text columns are coded by pandas' factorize of their Arrow strings."""
    counts: list[dict[str, np.ndarray]] = []
    sums: list[dict[str, np.ndarray]] = []
    tops: list[dict[str, np.ndarray]] = []
    rows = {}
    for pattern, ev in evidence.items():
        n = len(ev)
        rows[pattern] = n
        if not n:
            continue
        group, groups = pd.factorize(ev[by]) if by else (np.zeros(n, dtype=np.int64), [""])
        if pattern == "supervision":
            category, categories = pd.factorize(ev["category"])
        else:
            category, categories = np.zeros(n, dtype=np.int64), [""]
        groups = np.asarray(groups, dtype=object)
        categories = np.asarray(categories, dtype=object)
        key = group.astype(np.int64) * len(categories) + category
        names = (pattern, groups, categories)
        flagged = np.bincount(key)
        at = np.flatnonzero(flagged)
        counts.append(_keyed(names, at, flagged=flagged[at]))
        for column in _COSTS:
            values = ev[column].to_numpy(dtype=float)
            ok = ~np.isnan(values)
            mantissa, exp = np.frexp(values[ok])
            m = np.ldexp(mantissa, 53).astype(np.int64)      # exact: values = m * 2**(exp - 53)
            hi = m >> 26
            # one bin per key and binary exponent (exp - 53 + _SCALE is in 0 .. 2**11)
            code = key[ok] * 4096 + (exp.astype(np.int64) - 53 + _SCALE)
            bins, (n_, hi_, lo_) = _summed_by(code, np.ones(len(m), dtype=np.int64), hi,
                                              m - (hi << 26))
            sums.append(_keyed(names, bins // 4096, column=np.full(len(bins), column, dtype=object),
                               exp=bins % 4096 - _SCALE, n=n_, hi=hi_, lo=lo_))
        for column in ("unit", "level"):
            at = np.flatnonzero((ev[column] != "").to_numpy(dtype=bool))
            codes, uniques = pd.factorize(ev[column].iloc[at])
            first = np.zeros(len(uniques), dtype=np.int64)
            first[codes[::-1]] = at[::-1]                      # the earliest row wins
            tops.append({"pattern": np.full(len(uniques), pattern, dtype=object),
                         "column": np.full(len(uniques), column, dtype=object),
                         "name": np.asarray(uniques, dtype=object),
                         "count": np.bincount(codes, minlength=len(uniques)), "first": first})
    empty = _no_tally()
    return _Tally(_framed(counts, empty.counts), _framed(sums, empty.sums),
                  _framed(tops, empty.tops), rows)


def _keyed(names: tuple[str, np.ndarray, np.ndarray], key: np.ndarray, **columns: Any
           ) -> dict[str, np.ndarray]:
    """Rows of ``columns`` with the pattern, group and category of their ``key``."""
    pattern, groups, categories = names
    return {"pattern": np.full(len(key), pattern, dtype=object),
            "group": groups[key // len(categories)],
            "category": categories[key % len(categories)], **columns}


def _framed(parts: list[dict[str, np.ndarray]], empty: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``parts`` (columns each) end to end, as one frame; ``empty`` if none."""
    full = [p for p in parts if len(next(iter(p.values())))]
    if not full:
        return empty
    return pd.DataFrame({c: np.concatenate([p[c] for p in full]) for c in full[0]})


def _summed_by(code: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct ``code`` (sorted) and the int64 sums of each column per code (exact)."""
    if not len(code):
        return code, [c[:0] for c in columns]
    order = np.argsort(code, kind="stable")
    code = code[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    return code[starts], [np.add.reduceat(c[order], starts) for c in columns]


def _tallies_added(tallies: Sequence[_Tally]) -> _Tally:
    """The tally of parts laid end to end (in case order)."""
    offset: dict[str, int] = {}
    tops = []
    for t in tallies:
        shift = t.tops["pattern"].map(offset).fillna(0).to_numpy(dtype=np.int64)
        tops.append(t.tops.assign(first=t.tops["first"].to_numpy(dtype=np.int64) + shift))
        for pattern, n in t.rows.items():
            offset[pattern] = offset.get(pattern, 0) + n
    empty = _no_tally()
    counts = _joined([t.counts for t in tallies], empty.counts)
    sums = _joined([t.sums for t in tallies], empty.sums)
    top = _joined(tops, empty.tops)
    return _Tally(
        counts.groupby(_COUNT_KEYS, sort=False).sum().reset_index() if len(counts) else counts,
        sums.groupby(_SUM_KEYS, sort=False).sum().reset_index() if len(sums) else sums,
        top.groupby(_TOP_KEYS, sort=False).agg(count=("count", "sum"), first=("first", "min"))
        .reset_index() if len(top) else top,
        offset)


def _joined(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    full = [f for f in frames if len(f)]
    return pd.concat(full, ignore_index=True) if full else empty


#: ``less(column, category)``: the ordinary median taken off a supervised case's cost
Less = Callable[[str, str], float]


def _costs(tally: _Tally, keys: Sequence[str], less: Less | None) -> dict[tuple, tuple[int, int]]:
    """Per ``keys`` (of pattern, group) and cost column: (costs that are not NaN, their
    exact sum at ``2**-_SCALE``). Supervised cases' costs less ``less(column, category)``:
    the sum of (cost - median) is the sum of the costs less their count times the median
    (a NaN median makes every such cost NaN)."""
    exact: dict[tuple, list[int]] = {}
    for r in tally.sums.itertuples(index=False):
        at = exact.setdefault((r.pattern, r.group, r.category, r.column), [0, 0])
        at[0] += int(r.n)
        at[1] += ((int(r.hi) << 26) + int(r.lo)) << (int(r.exp) + _SCALE)
    out: dict[tuple, tuple[int, int]] = {}
    for (pattern, group, category, column), (n, total) in exact.items():
        if pattern == "supervision" and less is not None:
            median = less(column, category)
            if np.isnan(median):
                continue
            p, q = float(median).as_integer_ratio()
            total -= n * p * ((1 << _SCALE) // q)
        key = tuple(pattern if k == "pattern" else group for k in keys) + (column,)
        n0, t0 = out.get(key, (0, 0))
        out[key] = (n0 + n, t0 + total)
    return out


def _rounded(n: int, total: int, *, mean: bool = False) -> float:
    """An exact sum (or mean) of :func:`_costs`, rounded once; NaN of no cost."""
    if not n:
        return float("nan")
    return total / ((n if mean else 1) << _SCALE)          # int / int rounds correctly


def _top(tally: _Tally, pattern: str, column: str, k: int = 3) -> str:
    """The ``k`` most frequent non-empty values, in value_counts' order (ties: first seen)."""
    t = tally.tops
    t = t[(t["pattern"] == pattern) & (t["column"] == column)]
    t = t.sort_values(["count", "first"], ascending=[False, True], kind="stable").head(k)
    return ", ".join(f"{name} ({n})" for name, n in zip(t["name"], t["count"], strict=True))


def _summary(tally: _Tally, ran: list[str], n_cases: int, less: Less | None) -> pd.DataFrame:
    flagged = tally.counts.groupby("pattern")["flagged"].sum()
    costs = _costs(tally, ["pattern"], less)
    rows = []
    for pattern in ran:
        n = int(flagged.get(pattern, 0))
        cost = costs.get((pattern, "cost_s"), (0, 0))
        work = costs.get((pattern, "cost_work_s"), (0, 0))
        rows.append({
            "pattern": pattern,
            "cases": n,
            "share": n / n_cases if n_cases else 0.0,
            "cost_s": _rounded(*cost) if cost[0] else None,
            "cost_work_s": _rounded(*work) if work[0] else None,
            "mean_cost_s": _rounded(*cost, mean=True) if n and cost[0] else None,
            "top_units": _top(tally, pattern, "unit"),
            "top_levels": _top(tally, pattern, "level"),
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


def _by_table(tally: _Tally, ran: list[str], by: str, base: pd.Series,
              less: Less | None) -> pd.DataFrame:
    """Flagged cases per group and pattern, against the cases of the group."""
    counts = tally.counts[tally.counts["pattern"].isin(ran)]
    flagged = counts.groupby(["group", "pattern"])["flagged"].sum().to_dict()
    costs = _costs(tally, ["group", "pattern"], less)
    table = pd.MultiIndex.from_product([base.index, ran], names=[by, "pattern"]).to_frame(index=False)
    keys = list(zip(table[by], table["pattern"], strict=True))
    table["flagged"] = np.array([flagged.get(key, 0) for key in keys], dtype=np.int64)
    for column in _COSTS:
        table[column] = np.array([_rounded(*costs.get((*key, column), (0, 0))) for key in keys],
                                 dtype=float)
    table.insert(2, "cases", table[by].map(base).astype(int))
    table["share"] = table["flagged"] / table["cases"]
    table = table[["pattern", by, "cases", "flagged", "share", "cost_s", "cost_work_s"]]
    return table.sort_values(["pattern", "flagged", by], ascending=[True, False, True],
                             key=lambda s: s.map(PATTERNS.index) if s.name == "pattern" else s,
                             kind="stable").reset_index(drop=True)


_FLOW_COLUMNS = ["from_level", "to_level", "direction", "via", "count", "cases", "median_s",
                 "total_s"]
_FLOW_KEYS = ["from", "to", "via"]
#: The steps that move an order between levels, coded by their place here (sorted: the
#: codes sort as the names do) until the flows table names them.
_VIA = ("dispatch", "escalation", "other")


def _level_moves(ctx: _Ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Moves between levels: consecutive events of a case (with a level) at different levels.

    ``via`` names the step that moved the order: ``escalation`` (提级), ``dispatch``
    (派遣, 改派, 下派) or ``other`` (e.g. a hotline report taken by a street centre),
    coded by its place in :data:`_VIA` (named in :func:`_flows_table`).
    Returns per (``from``, ``to``, ``via``) level ranks the ``count``, the ``cases`` and
    the total wait in whole seconds ``s`` and nanoseconds ``ns`` (integers: they add up
    exactly, in any order); and the ``wait`` of each move in seconds, for the medians.
    """
    idx = np.flatnonzero(ctx.lvl >= 0)
    a, b = idx[:-1], idx[1:]
    move = (ctx.case[a] == ctx.case[b]) & (ctx.lvl[a] != ctx.lvl[b])
    a, b = a[move], b[move]
    via = np.where(ctx.is_("escalate")[a], _VIA.index("escalation"),
                   np.where(ctx.is_("dispatch", "redispatch", "assign_down")[a],
                            _VIA.index("dispatch"), _VIA.index("other")))
    wait = ctx.ts[b] - ctx.ts[a]
    moves = pd.DataFrame({"from": ctx.lvl[a], "to": ctx.lvl[b], "via": via, "wait": wait / _NS})
    return _moves_counted(ctx.lvl[a], ctx.lvl[b], via, ctx.case[a], wait), moves


def _moves_counted(frm: np.ndarray, to: np.ndarray, via: np.ndarray, case: np.ndarray,
                   wait: np.ndarray) -> pd.DataFrame:
    """Per (``from``, ``to``, ``via``), in the order a group-by sorts them: the ``count`` of
    moves, the ``cases`` they are in and the sum of their waits (ns) in whole seconds ``s``
    and nanoseconds ``ns``: numpy over the moves sorted once."""
    size = max(int(frm.max(initial=0)), int(to.max(initial=0))) + 1
    order = np.lexsort((case, (frm * size + to) * len(_VIA) + via))
    key = ((frm * size + to) * len(_VIA) + via)[order]
    new_key = np.ones(len(key), dtype=bool)
    new_key[1:] = key[1:] != key[:-1]
    new_case = new_key.copy()
    new_case[1:] |= case[order][1:] != case[order][:-1]
    head = np.flatnonzero(new_key)
    first, wait = order[head], wait[order]

    def summed(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, head) if len(head) else values[:0]

    return pd.DataFrame({"from": frm[first], "to": to[first], "via": via[first],
                         "count": np.diff(np.append(head, len(key))),
                         "cases": summed(new_case.astype(np.int64)),
                         "s": summed(wait // _NS), "ns": summed(wait % _NS)})


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
    table["via"] = np.asarray(_VIA, dtype=object)[table["via"].to_numpy(dtype=np.int64)]
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
