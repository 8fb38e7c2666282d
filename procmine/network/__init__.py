"""The collaboration network between units: who hands orders to whom, who works together.

Three networks of one log (``kind``):

- ``handover``: unit A's step directly followed by unit B's step in the same case
  (A != B), counted per occurrence, with the time of each hand-over (A's
  completion to B's start, or to B's completion where the log has no start time)
  in working time. Consecutive steps of one unit are not hand-overs; they are
  counted apart (``self`` per unit). Events without a unit are skipped.
- ``together``: two units that act in the same case, counted once per case
  (undirected).
- ``escalation``: the level-to-level flows: consecutive events of a case (with a
  level) at different levels, levels as nodes, up and down as edges.

Per unit (per level for ``escalation``) and for the whole network the result
gives cases, hand-overs in and out, the share of hand-overs that cross the
条/块 boundary (``org:kind`` line/block) and that cross levels, the median
time lost at a crossing against hand-overs within one kind, degree,
betweenness (networkx, unweighted, normalised) and density.

The hand-over counts are pm4py's ``discover_handover_of_work_network`` (beta 0)
times the number of consecutive event pairs; the working-together counts are
pm4py's ``discover_working_together_network`` times the number of events of the
DataFrame (pm4py divides by ``len(df)``). docs/network.md says more.

Everything is vectorised with numpy and pandas (no Python loop per case). The
log may be an ``EventLog`` or an open engine (``procmine.engines``): the network
reads the events through the engine's parts of whole cases, asked for as one part
(unit codes and each unit's level and kind are counted over the whole log, so
the events are held in memory once; a log already in memory is used as it is).

>>> from procmine.simulate import simulate_log
>>> net = discover_network(simulate_log(cases=300, seed=5).to_event_log(), calendar="none")
>>> net.kind, net.nodes.columns[:3].tolist()
('handover', ['unit', 'level', 'kind'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from procmine.abstractions import column_codes
from procmine.calendar import describe_calendar, fallback_years
from procmine.choices import NETWORK_KINDS, NetworkKind
from procmine.engines import Engine, as_engine
from procmine.errors import ColumnError, check_choice
from procmine.grouping import distinct
from procmine.log import ACTIVITY, CASE, KIND, LEVEL, RESOURCE, TIMESTAMP, EventLog
from procmine.network.handovers import (
    KIND_CODES,
    Handovers,
    events_of,
    handover_pairs,
)
from procmine.network.handovers import handovers as handovers
from procmine.network.handovers import nanoseconds as nanoseconds
from procmine.network.handovers import resolve_calendar as resolve_calendar
from procmine.network.handovers import spans as spans
from procmine.vocabulary import is_followup

KINDS: tuple[str, ...] = NETWORK_KINDS


@dataclass(frozen=True)
class Network:
    """A collaboration network of units (levels for ``kind="escalation"``).

    ``nodes``: one row per unit: ``unit``, ``level``, ``kind`` (line/block, its
    most frequent values), ``cases`` (cases in which it acts), ``events``,
    ``out``/``in`` (hand-overs it gave and took), ``self`` (consecutive own
    steps), ``cross_kind`` and ``cross_level`` (its hand-overs in or out that
    cross 条/块 or levels), ``median_in_s`` (median time from a hand-over to it
    until it acted), ``in_degree``, ``out_degree``, ``degree``, ``betweenness``.
    For ``together``: ``partners`` (degree) and ``together`` (cases summed over
    partners) instead of the hand-over columns. For ``escalation`` the node is a
    ``level``, with ``units``, ``cases``, ``events``, ``up``/``down`` (moves
    leaving it), ``in``/``out``, degree and betweenness.

    ``edges``: ``source``, ``target``, ``count`` (hand-overs; cases for
    ``together``), ``cases`` (distinct cases), ``median_s``, ``mean_s``,
    ``p90_s`` (hand-over time; NaN for ``together``), ``cross_kind``,
    ``cross_level`` (and ``direction`` up/down for ``escalation``).

    ``measures``: the whole network (see docs/network.md). ``by_kind`` and
    ``by_level``: hand-overs by (from kind, to kind) and (from level, to level),
    with count and median time (``handover`` only; empty otherwise).
    """

    kind: str
    nodes: pd.DataFrame
    edges: pd.DataFrame
    measures: dict[str, Any]
    by_kind: pd.DataFrame
    by_level: pd.DataFrame
    time_basis: Literal["working", "clock"]
    calendar: str
    levels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "time_basis": self.time_basis, "calendar": self.calendar,
                "measures": self.measures, "nodes": self.nodes, "edges": self.edges,
                "by_kind": self.by_kind, "by_level": self.by_level, "notes": list(self.notes)}


# --------------------------------------------------------------------------- helpers


def _centrality(nodes: list[Any], edges: Iterable[tuple[Any, Any]], *, directed: bool
                ) -> tuple[dict[Any, int], dict[Any, int], dict[Any, float], float]:
    """In-degree, out-degree, betweenness (normalised, unweighted) and density, via networkx."""
    import networkx as nx

    graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a, b in edges if a != b)
    between = nx.betweenness_centrality(graph, normalized=True) if len(graph) > 2 else {
        n: 0.0 for n in graph}
    density = float(nx.density(graph)) if len(graph) > 1 else 0.0
    if directed:
        return dict(graph.in_degree()), dict(graph.out_degree()), between, density
    degree = dict(graph.degree())
    return degree, degree, between, density


def _median(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(np.median(values)) if len(values) else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --------------------------------------------------------------------------- the networks


def discover_network(
    log: EventLog | Engine,
    *,
    kind: NetworkKind = "handover",
    calendar: Any = "cn",
    include_followup: bool = False,
    aliases: Mapping[str, str] | None = None,
) -> Network:
    """The collaboration network of the units in ``log``.

    ``kind``: ``handover`` (A's step directly followed by B's), ``together`` (A
    and B act in the same case) or ``escalation`` (level-to-level flows).
    Times are working seconds of ``calendar`` (``"cn"``, ``"none"``, a calendar
    file or a WorkingCalendar), clock seconds with ``calendar=None``.

    >>> from procmine.simulate import simulate_log
    >>> log = simulate_log(cases=300, seed=5).to_event_log()
    >>> net = discover_network(log, kind="together", calendar="none")
    >>> int(net.edges["count"].max()) <= 300
    True
    >>> sorted(discover_network(log, kind="escalation").nodes["level"])[:2]
    ['区', '居村']

    Follow-up steps (回访, 督办, 催办: :data:`procmine.vocabulary.FOLLOWUP_ROLES`, known
    by role through ``aliases`` as a workflow's) are not hand-overs or escalation
    moves: the hotline that calls the citizen back after closure did not take the
    order up a level. They are left out of ``handover`` and ``escalation`` unless
    ``include_followup``.
    """
    check_choice("kind", kind, KINDS)
    cal, basis, described = resolve_calendar(calendar)
    timed = not as_engine(log).time_from_order    # else the order of events: no times to show
    with fallback_years() as fallback:      # the years of this log the calendar lacks
        net = _discover(events_of(log), kind, cal if timed else None, basis, described,
                        include_followup, aliases, timed=timed)
    return replace(net, calendar=net.calendar if cal is None else describe_calendar(cal, fallback))


def _discover(log: EventLog, kind: NetworkKind, cal: Any, basis: Any, described: str,
              include_followup: bool, aliases: Mapping[str, str] | None, *,
              timed: bool) -> Network:
    """The network of ``log`` (:func:`discover_network`), its calendar said without years;
    without times (``timed`` False) every time in it is empty."""
    if kind != "together" and not include_followup:
        log = _without_followup(log, aliases)
    if kind == "escalation" and not log.has(LEVEL):
        raise ColumnError("kind='escalation' needs the level of each unit (org:level), and this "
                          "log has none", hint="name the column that holds it when reading the "
                                               "log: level=")
    if kind == "escalation":
        return _escalation(log, cal, basis, described, timed=timed)
    h = handover_pairs(log, cal, timed=timed)
    notes = []
    if not log.has(KIND):
        notes.append("no org:kind column: 条/块 crossings are not known (map it with --kind)")
    if not log.has(LEVEL):
        notes.append("no org:level column: level crossings are not known (map it with --level)")
    missing = int(log.events[RESOURCE].isna().sum())
    if missing:
        notes.append(f"{missing:,} events without a unit are skipped")
    if kind == "handover":
        return _handover_network(log, h, basis, described, notes)
    return _together_network(log, h, basis, described, notes)


def _without_followup(log: EventLog, aliases: Mapping[str, str] | None) -> EventLog:
    """The log without its follow-up steps (the same log when it has none)."""
    import dataclasses

    act, names = column_codes(log, ACTIVITY)
    followup = is_followup(names, aliases)
    drop = np.array([followup[a] for a in names] + [False], dtype=bool)[act]
    if not drop.any():
        return log
    return dataclasses.replace(log, events=log.events[~drop].reset_index(drop=True))


def _handover_network(log: EventLog, h: Handovers, basis: Any, described: str,
                      notes: list[str]) -> Network:
    p = h.pairs
    moves = p[~p["self"]]
    edges, codes_src, codes_dst = _handover_edges(moves, h)
    nodes, density = _handover_nodes(p, moves, h, codes_src, codes_dst, log.levels)
    measures = _handover_measures(p, moves, h, edges, nodes, codes_src, codes_dst, density)
    by_kind = _crosstab(moves, "kind", h, log.levels)
    by_level = _crosstab(moves, "level", h, log.levels)
    return Network(kind="handover", nodes=nodes, edges=edges, measures=measures, by_kind=by_kind,
                   by_level=by_level, time_basis=basis, calendar=described,
                   levels=tuple(log.levels), notes=tuple(notes))


def _handover_edges(moves: pd.DataFrame, h: Handovers) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """One row per (source, target) unit pair, and the unit codes of both ends."""
    grouped = moves.groupby(["source", "target"], sort=True)
    edges = grouped.agg(count=("seconds", "size"), cases=("case", "nunique"),
                        median_s=("seconds", "median"), mean_s=("seconds", "mean"),
                        p90_s=("seconds", lambda s: s.quantile(0.9)),
                        cross_kind=("cross_kind", "first"),
                        cross_level=("cross_level", "first")).reset_index()
    edges = edges.sort_values(["count", "source", "target"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)
    codes_src = edges["source"].to_numpy(dtype=np.int64)
    codes_dst = edges["target"].to_numpy(dtype=np.int64)
    edges["source"] = h.units[codes_src]
    edges["target"] = h.units[codes_dst]
    return edges, codes_src, codes_dst


def _handover_nodes(p: pd.DataFrame, moves: pd.DataFrame, h: Handovers, codes_src: np.ndarray,
                    codes_dst: np.ndarray, levels: tuple[str, ...]) -> tuple[pd.DataFrame, float]:
    """One row per unit (hand-overs in and out, crossings, centrality), and the density."""
    n_units = len(h.units)
    out_count = np.bincount(moves["source"], minlength=n_units)
    in_count = np.bincount(moves["target"], minlength=n_units)
    self_count = np.bincount(p.loc[p["self"], "source"], minlength=n_units)
    ck = moves[moves["cross_kind"]]
    cl = moves[moves["cross_level"]]
    cross_kind = np.bincount(ck["source"], minlength=n_units) + np.bincount(ck["target"],
                                                                           minlength=n_units)
    cross_level = np.bincount(cl["source"], minlength=n_units) + np.bincount(cl["target"],
                                                                            minlength=n_units)
    median_in = moves.groupby("target")["seconds"].median().reindex(range(n_units)).to_numpy()
    names = list(h.units)
    in_deg, out_deg, between, density = _centrality(
        names, zip(h.units[codes_src], h.units[codes_dst], strict=True), directed=True)
    nodes = pd.DataFrame({
        "unit": h.units, "level": h.unit_level, "kind": h.unit_kind, "cases": h.unit_cases,
        "events": h.unit_events, "out": out_count, "in": in_count, "self": self_count,
        "cross_kind": cross_kind, "cross_level": cross_level, "median_in_s": median_in,
        "in_degree": [in_deg[u] for u in names], "out_degree": [out_deg[u] for u in names],
    })
    nodes["degree"] = nodes["in_degree"] + nodes["out_degree"]
    nodes["betweenness"] = [between[u] for u in names]
    return _order_nodes(nodes, levels), density


def _handover_measures(p: pd.DataFrame, moves: pd.DataFrame, h: Handovers, edges: pd.DataFrame,
                       nodes: pd.DataFrame, codes_src: np.ndarray, codes_dst: np.ndarray,
                       density: float) -> dict[str, Any]:
    """The measures of the whole hand-over network (docs/network.md)."""
    n_units = len(h.units)
    seconds = moves["seconds"].to_numpy()
    crossing = moves["cross_kind"].to_numpy()
    within = moves["known_kind"].to_numpy() & ~crossing
    level_cross = moves["cross_level"].to_numpy()
    same_level = moves["known_level"].to_numpy() & ~level_cross
    n_moves = len(moves)
    known_kind = int(moves["known_kind"].sum())
    known_level = int(moves["known_level"].sum())
    m_cross, m_within = _median(seconds[crossing]), _median(seconds[within])
    l_cross, l_same = _median(seconds[level_cross]), _median(seconds[same_level])
    pairs = {(a, b) for a, b in zip(codes_src, codes_dst, strict=True)}
    reciprocal = sum(1 for a, b in pairs if (b, a) in pairs)
    measures = {
        "cases": h.n_cases,
        "units": n_units,
        "edges": len(edges),
        "handovers": n_moves,
        "self_handovers": int(p["self"].sum()),
        "pairs": len(p),
        "density": density,
        "reciprocity": _share(reciprocal, len(pairs)),
        "cross_kind_share": _share(int(crossing.sum()), known_kind),
        "cross_level_share": _share(int(level_cross.sum()), known_level),
        "median_s": _median(seconds),
        "median_cross_kind_s": m_cross,
        "median_within_kind_s": m_within,
        "lost_at_kind_crossing_s": (m_cross - m_within) if m_cross is not None and m_within is not None
        else None,
        "median_cross_level_s": l_cross,
        "median_same_level_s": l_same,
        "lost_at_level_crossing_s": (l_cross - l_same) if l_cross is not None and l_same is not None
        else None,
        "mean_degree": float(nodes["degree"].mean()) if len(nodes) else 0.0,
        "max_betweenness_unit": (str(nodes.loc[nodes["betweenness"].idxmax(), "unit"])
                                 if len(nodes) else None),
    }
    return measures


def _crosstab(moves: pd.DataFrame, what: str, h: Handovers, levels: tuple[str, ...]) -> pd.DataFrame:
    """Hand-overs by (from, to) kind or level: count, share, median time."""
    if what == "kind":
        names = np.append(h.unit_kind, "")
        src, dst = names[moves["source"].to_numpy()], names[moves["target"].to_numpy()]
        ok = (src != "") & (dst != "")
    else:
        names = np.append(h.unit_level, "")
        src, dst = names[moves["source"].to_numpy()], names[moves["target"].to_numpy()]
        ok = (src != "") & (dst != "")
    frame = pd.DataFrame({"from": src[ok], "to": dst[ok], "seconds": moves["seconds"].to_numpy()[ok]})
    if frame.empty:
        return pd.DataFrame(columns=[f"from_{what}", f"to_{what}", "count", "share", "median_s"])
    table = frame.groupby(["from", "to"]).agg(count=("seconds", "size"),
                                              median_s=("seconds", "median")).reset_index()
    table.insert(3, "share", table["count"] / table["count"].sum())
    if what == "level":
        order = {name: i for i, name in enumerate(levels)}
        table = table.assign(_a=table["from"].map(order), _b=table["to"].map(order))
        table = table.sort_values(["_a", "_b"], kind="stable").drop(columns=["_a", "_b"])
    return table.rename(columns={"from": f"from_{what}", "to": f"to_{what}"}).reset_index(drop=True)


def _order_nodes(nodes: pd.DataFrame, levels: tuple[str, ...]) -> pd.DataFrame:
    """Units from the top level down, then by kind, then by cases."""
    order = {name: i for i, name in enumerate(levels)}
    rank = nodes["level"].map(order).fillna(-1)
    nodes = nodes.assign(_r=-rank).sort_values(["_r", "kind", "cases", "unit"],
                                               ascending=[True, True, False, True], kind="stable")
    return nodes.drop(columns="_r").reset_index(drop=True)


def _together_network(log: EventLog, h: Handovers, basis: Any, described: str,
                      notes: list[str]) -> Network:
    case_codes = log.case_codes().codes
    res, _ = column_codes(log, RESOURCE)
    ok = res >= 0
    n_units = len(h.units)
    key = distinct(case_codes[ok] * n_units + res[ok])
    pairs = pd.DataFrame({"case": key // n_units, "unit": key % n_units})
    joined = pairs.merge(pairs, on="case", suffixes=("_a", "_b"))
    joined = joined[joined["unit_a"] < joined["unit_b"]]
    edges = joined.groupby(["unit_a", "unit_b"]).size().rename("count").reset_index()
    edges = edges.sort_values(["count", "unit_a", "unit_b"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)
    a = edges["unit_a"].to_numpy(dtype=np.int64)
    b = edges["unit_b"].to_numpy(dtype=np.int64)
    rank = {name: i for i, name in enumerate(log.levels)}
    lvl = np.array([rank.get(x, -1) for x in h.unit_level], dtype=np.int64)
    kc = np.array([KIND_CODES.get(k, 0) for k in h.unit_kind], dtype=np.int64)
    count = edges["count"].to_numpy(dtype=np.int64)
    cross_kind = (kc[a] > 0) & (kc[b] > 0) & (kc[a] != kc[b])
    cross_level = (lvl[a] >= 0) & (lvl[b] >= 0) & (lvl[a] != lvl[b])
    table = pd.DataFrame({"source": h.units[a], "target": h.units[b], "count": count,
                          "cases": count, "median_s": np.nan, "mean_s": np.nan, "p90_s": np.nan,
                          "cross_kind": cross_kind, "cross_level": cross_level})
    names = list(h.units)
    degree, _, between, density = _centrality(names, zip(h.units[a], h.units[b], strict=True),
                                              directed=False)
    together = np.bincount(a, weights=count, minlength=n_units) + np.bincount(b, weights=count,
                                                                             minlength=n_units)
    ck = np.bincount(a[cross_kind], weights=count[cross_kind], minlength=n_units) + np.bincount(
        b[cross_kind], weights=count[cross_kind], minlength=n_units)
    cl = np.bincount(a[cross_level], weights=count[cross_level], minlength=n_units) + np.bincount(
        b[cross_level], weights=count[cross_level], minlength=n_units)
    nodes = pd.DataFrame({"unit": h.units, "level": h.unit_level, "kind": h.unit_kind,
                          "cases": h.unit_cases, "events": h.unit_events,
                          "partners": [degree[u] for u in names],
                          "together": together.astype(np.int64), "cross_kind": ck.astype(np.int64),
                          "cross_level": cl.astype(np.int64)})
    nodes["degree"] = nodes["partners"]
    nodes["betweenness"] = [between[u] for u in names]
    nodes = _order_nodes(nodes, log.levels)
    known_kind = count[(kc[a] > 0) & (kc[b] > 0)]
    known_level = count[(lvl[a] >= 0) & (lvl[b] >= 0)]
    per_case = np.bincount(pairs["case"], minlength=h.n_cases)
    measures = _together_measures(h, table, nodes, per_case, density, count[cross_kind],
                                  count[cross_level], known_kind, known_level)
    empty = pd.DataFrame()
    return Network(kind="together", nodes=nodes, edges=table, measures=measures, by_kind=empty,
                   by_level=empty, time_basis=basis, calendar=described,
                   levels=tuple(log.levels), notes=tuple(notes))


def _together_measures(h: Handovers, table: pd.DataFrame, nodes: pd.DataFrame,
                       per_case: np.ndarray, density: float, cross_kind: np.ndarray,
                       cross_level: np.ndarray, known_kind: np.ndarray,
                       known_level: np.ndarray) -> dict[str, Any]:
    """The measures of the whole working-together network; the counts are cases per pair."""
    return {
        "cases": h.n_cases,
        "units": len(h.units),
        "edges": len(table),
        "pairs_in_cases": int(table["count"].sum()),
        "density": density,
        "median_units_per_case": float(np.median(per_case)) if len(per_case) else None,
        "cross_kind_share": _share(int(cross_kind.sum()), int(known_kind.sum())),
        "cross_level_share": _share(int(cross_level.sum()), int(known_level.sum())),
        "mean_degree": float(nodes["degree"].mean()) if len(nodes) else 0.0,
        "max_betweenness_unit": (str(nodes.loc[nodes["betweenness"].idxmax(), "unit"])
                                 if len(nodes) else None),
    }


def _escalation_edges(frame: pd.DataFrame, levels: np.ndarray) -> pd.DataFrame:
    """One row per (from level, to level) move, with its direction and times."""
    edges = frame.groupby(["from", "to"]).agg(
        count=("seconds", "size"), cases=("case", "nunique"), median_s=("seconds", "median"),
        mean_s=("seconds", "mean"), p90_s=("seconds", lambda s: s.quantile(0.9))).reset_index()
    edges.insert(2, "direction", np.where(edges["to"] > edges["from"], "up", "down"))
    src = edges["from"].to_numpy(dtype=np.int64)
    dst = edges["to"].to_numpy(dtype=np.int64)
    edges = edges.rename(columns={"from": "source", "to": "target"})
    edges["source"] = levels[src]
    edges["target"] = levels[dst]
    edges["cross_kind"] = False
    edges["cross_level"] = True
    return edges.sort_values(["count", "source", "target"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


def _escalation(log: EventLog, cal: Any, basis: Any, described: str, *, timed: bool) -> Network:
    events = log.events
    rank = log.level_rank().to_numpy()
    case_codes, case_ids = pd.factorize(events[CASE], sort=False)
    keep = np.flatnonzero(rank >= 0)
    case = case_codes[keep].astype(np.int64)
    lvl = rank[keep]
    ts = nanoseconds(events[TIMESTAMP])[keep]
    levels = np.asarray(log.levels, dtype=object)
    n_levels = len(levels)
    if len(keep) > 1:
        a = np.flatnonzero((case[1:] == case[:-1]) & (lvl[1:] != lvl[:-1]))
        b = a + 1
    else:
        a = b = np.zeros(0, dtype=np.int64)
    seconds = spans(ts[a], ts[b], cal, log.timezone) if timed else np.full(len(a), np.nan)
    frame = pd.DataFrame({"from": lvl[a], "to": lvl[b], "case": case[a], "seconds": seconds})
    edges = _escalation_edges(frame, levels)
    present = np.unique(lvl)
    names = [levels[i] for i in present]
    in_deg, out_deg, between, density = _centrality(
        names, zip(edges["source"], edges["target"], strict=True), directed=True)
    res_codes = (column_codes(log, RESOURCE)[0][keep] if RESOURCE in events.columns
                 else np.full(len(keep), -1))
    units_per_level = pd.Series(res_codes[res_codes >= 0]).groupby(lvl[res_codes >= 0]).nunique()
    cases_per_level = np.bincount(distinct(case * n_levels + lvl) % n_levels, minlength=n_levels)
    up = frame[frame["to"] > frame["from"]]
    down = frame[frame["to"] < frame["from"]]
    nodes = pd.DataFrame({
        "level": [levels[i] for i in present[::-1]],
        "units": [int(units_per_level.get(i, 0)) for i in present[::-1]],
        "cases": cases_per_level[present[::-1]],
        "events": np.bincount(lvl, minlength=n_levels)[present[::-1]],
        "up": np.bincount(up["from"], minlength=n_levels)[present[::-1]],
        "down": np.bincount(down["from"], minlength=n_levels)[present[::-1]],
        "in": np.bincount(frame["to"], minlength=n_levels)[present[::-1]],
        "out": np.bincount(frame["from"], minlength=n_levels)[present[::-1]],
    })
    nodes["in_degree"] = [in_deg[levels[i]] for i in present[::-1]]
    nodes["out_degree"] = [out_deg[levels[i]] for i in present[::-1]]
    nodes["degree"] = nodes["in_degree"] + nodes["out_degree"]
    nodes["betweenness"] = [between[levels[i]] for i in present[::-1]]
    measures = {
        "cases": len(case_ids),
        "levels": len(present),
        "edges": len(edges),
        "moves": len(frame),
        "up": len(up),
        "down": len(down),
        "cases_moving_up": int(up["case"].nunique()),
        "median_up_s": _median(up["seconds"].to_numpy()),
        "median_down_s": _median(down["seconds"].to_numpy()),
        "density": density,
    }
    empty = pd.DataFrame()
    return Network(kind="escalation", nodes=nodes, edges=edges, measures=measures, by_kind=empty,
                   by_level=empty, time_basis=basis, calendar=described, levels=tuple(log.levels))
