"""The process map of ``procmine map``: activities, directly-follows paths and their numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.abstractions import END_NODE, START_NODE
from procmine.choices import MAP_BY, METRICS, GroupBy, Metric
from procmine.errors import ProcmineError, SpecError, check_choice
from procmine.log import LEVEL, RESOURCE

if TYPE_CHECKING:
    from procmine.abstractions import Follows
    from procmine.engines import Engine
    from procmine.log import EventLog


#: The default map shows at most this many activities and paths (a person can read it);
#: a larger log keeps its most frequent ones, connected, and the map says so.
READABLE_ACTIVITIES = 50
READABLE_PATHS = 100
SEE_ALL = "--activities 100 --paths 100"


@dataclass(frozen=True)
class ProcessMap:
    """A Disco-style map: activities as nodes, directly-follows pairs as edges.

    ``nodes``: ``activity``, ``count`` (events), ``cases`` (cases with the activity),
    ``group`` (most frequent unit or level of the activity's events, with ``by``).
    ``edges``: ``source``, ``target``, ``count``, ``cases``, ``mean``, ``median``,
    ``p90``, ``total`` (waiting time in seconds from the completion of ``source``
    to the completion of ``target``); edges from :data:`START_NODE` and to
    :data:`END_NODE` count the cases that start and end there (no waiting time).
    ``value`` on both holds the number shown for ``metric``. ``groups`` lists the
    units (most events first) or levels (bottom up) that colour the nodes.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    metric: Metric
    by: GroupBy | None
    cases: int
    events: int
    activities_total: int
    paths_total: int
    groups: tuple[str, ...] = field(default=())
    #: What the default map hid on a large log and how to see it (None: nothing hidden)
    note: str | None = None

    @property
    def paths_shown(self) -> int:
        """Paths between two activities on the map (start and end arrows aside)."""
        return int(((self.edges["source"] != START_NODE) & (self.edges["target"] != END_NODE)).sum())

    def to_dict(self) -> dict[str, Any]:
        out = {"metric": self.metric, "by": self.by, "cases": self.cases, "events": self.events,
               "activities": {"shown": len(self.nodes), "total": self.activities_total},
               "paths": {"shown": self.paths_shown, "total": self.paths_total},
               "nodes": self.nodes, "edges": self.edges}
        return out if self.note is None else {**out, "note": self.note}


_METRIC_COLUMN = {"frequency": "count", "cases": "cases", "mean-wait": "mean",
                  "median-wait": "median", "p90-wait": "p90", "total-wait": "total"}


def discover_map(log: EventLog | Engine, *, metric: Metric = "frequency",
                 activities: float | None = None, paths: float | None = None,
                 by: GroupBy | None = None, flows: Follows | None = None) -> ProcessMap:
    """The process map of ``log``: nodes, edges and the numbers to draw on them.

    ``activities`` and ``paths`` (percent) keep the most frequent activities and
    paths while every kept activity stays on a path from start to end (pm4py's
    DFG filters). None (the default) is 100 on a log a person can read, and on a
    larger one (over :data:`READABLE_ACTIVITIES` activities or :data:`READABLE_PATHS`
    paths) keeps about that many, the most frequent, and says so in ``note``. ``by`` colours nodes by their most frequent ``unit``
    (org:resource) or ``level`` (org:level). The edges carry clock time, or give
    ``flows``, the directly-follows table to draw (e.g. working time from
    :func:`procmine.bottlenecks.transition_waits`, or
    ``procmine.abstractions.follows(log, durations=...)``). ``log`` is an EventLog
    or an open engine (:mod:`procmine.engines`): the map is drawn from its tables.

    >>> from procmine.read import read_log
    >>> m = discover_map(read_log("logs/sample.csv"), metric="median-wait")
    >>> m.edges.columns.tolist()[:3], m.cases
    (['source', 'target', 'count'], 3000)
    """
    from procmine.engines import as_engine

    column = _group_column(metric, 100.0 if activities is None else activities,
                           100.0 if paths is None else paths, by)
    engine = as_engine(log)
    if metric.endswith("-wait"):
        engine.require_times(f"metric={metric!r}")
    if column is not None and not engine.has(column):
        raise SpecError(f"by={by!r}: the log has no {column} column",
                        hint="name it when reading the log: resource=, level=")
    totals = engine.totals()
    if totals.events == 0:
        raise ProcmineError("the log has no events: nothing to map")
    nodes = engine.activities()
    flows = flows if flows is not None else engine.follows()
    all_edges = flows.table
    starts, ends = dict(flows.starts), dict(flows.ends)
    activities_total, paths_total = len(nodes), len(all_edges)
    auto = activities is None and paths is None
    if activities is None:
        activities = _readable(activities_total, READABLE_ACTIVITIES)
    if activities < 100:
        nodes, all_edges, starts, ends = _kept(nodes, all_edges, *_filter(
            nodes, all_edges, starts, ends, activities / 100.0, 1.0))
    if paths is None:
        paths = _readable(len(all_edges), READABLE_PATHS)
    if paths < 100:
        nodes, all_edges, starts, ends = _kept(nodes, all_edges, *_filter(
            nodes, all_edges, starts, ends, 1.0, paths / 100.0))
    note = None
    if auto and (len(nodes) < activities_total or len(all_edges) < paths_total):
        note = (f"a large log: the {len(nodes)} most frequent of {activities_total} activities "
                f"and {len(all_edges)} of {paths_total} paths are shown, kept connected; "
                f"see more with {SEE_ALL}")
    counts = engine.group_counts(column) if column is not None else None
    nodes, groups = _grouped(nodes, counts, by, engine.levels)
    nodes = nodes.sort_values(["count", "activity"], ascending=[False, True], kind="stable")
    node_value = "cases" if metric == "cases" else "count"
    nodes = nodes.assign(value=nodes[node_value]).reset_index(drop=True)
    return ProcessMap(nodes=nodes, edges=_edges(all_edges, starts, ends, metric), metric=metric,
                      by=by, cases=totals.cases, events=totals.events,
                      activities_total=activities_total, paths_total=paths_total,
                      groups=groups, note=note)


def _readable(total: int, readable: int) -> float:
    """The percentage of pm4py's DFG filters that keeps ``readable`` of ``total`` items
    (it keeps ``ceil((total - 1) * pct) + 1``, and more where needed to stay connected)."""
    return 100.0 if total <= readable else 100.0 * (readable - 1) / (total - 1)


def _kept(nodes: pd.DataFrame, edges: pd.DataFrame, kept_nodes: set, kept_pairs: set,
          starts: dict[str, int], ends: dict[str, int]):
    """The nodes and edges a DFG filter kept, with its start and end counts."""
    pairs = zip(edges["source"], edges["target"], strict=True)
    edges = edges[np.array([p in kept_pairs for p in pairs], dtype=bool)]
    return nodes[nodes["activity"].isin(kept_nodes)], edges, starts, ends


def _group_column(metric: str, activities: float, paths: float, by: str | None) -> str | None:
    """Check the options of :func:`discover_map`; the column ``by`` groups on (or None)."""
    check_choice("metric", metric, METRICS)
    for name, pct in (("activities", activities), ("paths", paths)):
        if not 0 <= pct <= 100:
            raise SpecError(f"{name}={pct}: give a percentage between 0 and 100")
    if by is not None:
        check_choice("by", by, MAP_BY)
    return {"unit": RESOURCE, "level": LEVEL}.get(by) if by else None


def _grouped(nodes: pd.DataFrame, counts: pd.DataFrame | None, by: str | None,
             levels: tuple[str, ...]) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The nodes with their ``group`` (main unit or level), and the groups in legend order:
    levels bottom up, units by events (most first)."""
    if counts is None:
        return nodes.assign(group=None), ()
    nodes = nodes.assign(group=nodes["activity"].map(_main_group(counts)))
    present = set(nodes["group"].dropna().astype(str))
    if by == "level":
        ranked = [lv for lv in levels if lv in present]
        return nodes, tuple(ranked + sorted(present - set(ranked)))
    sizes = counts.groupby("value")["n"].sum()
    return nodes, tuple(sorted(present, key=lambda u: (-int(sizes.get(u, 0)), u)))


def _edges(pairs: pd.DataFrame, starts: dict[str, int], ends: dict[str, int],
           metric: str) -> pd.DataFrame:
    """The map's edges: start arrows, the directly-follows pairs, end arrows, with ``value``."""
    edges = pd.concat([
        pd.DataFrame({"source": START_NODE, "target": list(starts),
                      "count": list(starts.values()), "cases": list(starts.values())}),
        pairs[["source", "target", "count", "cases", "mean", "median", "p90", "total"]],
        pd.DataFrame({"source": list(ends), "target": END_NODE,
                      "count": list(ends.values()), "cases": list(ends.values())}),
    ], ignore_index=True)
    edges = edges.sort_values(["source", "target"], kind="stable").reset_index(drop=True)
    edges["value"] = edges[_METRIC_COLUMN[metric]]
    return edges


def _main_group(counts: pd.DataFrame) -> dict[str, str]:
    """The most frequent value per activity (ties: the first by name) of ``Engine.group_counts``."""
    ranked = counts.sort_values(["activity", "n", "value"], ascending=[True, False, True],
                                kind="stable")
    first = ranked.drop_duplicates("activity")
    return {str(a): str(g) for a, g in zip(first["activity"], first["value"], strict=True)}


def _filter(nodes: pd.DataFrame, edges: pd.DataFrame, starts: dict[str, int],
            ends: dict[str, int], activities: float, paths: float):
    """Keep activities, then paths, with pm4py's connectivity-preserving DFG filters."""
    from pm4py.algo.filtering.dfg import dfg_filtering

    dfg = {(s, t): int(c) for s, t, c in edges[["source", "target", "count"]].itertuples(index=False)}
    counts = dict(zip(nodes["activity"], nodes["count"].astype(int), strict=True))
    if activities < 1.0:
        dfg, starts, ends, counts = dfg_filtering.filter_dfg_on_activities_percentage(
            dfg, starts, ends, counts, activities)
    if paths < 1.0:
        dfg, starts, ends, counts = dfg_filtering.filter_dfg_on_paths_percentage(
            dfg, starts, ends, counts, paths, keep_all_activities=True)
    return set(counts), set(dfg), dict(starts), dict(ends)
