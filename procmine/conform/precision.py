"""Align-ETConformance precision over the reachability graph, as pm4py computes it.

pm4py's ``precision_alignments`` aligns every prefix of the log to the model with
synchronous moves and silent steps only (a Dijkstra search on the synchronous
product, silent steps costing 1), keeps every marking in which a cheapest such
alignment stops, and counts the visible steps eventually enabled there against
the steps the log takes next. On a bounded net with a small state space the same
markings come out of one walk over the prefix tree of the variants: per prefix,
the cheapest number of silent steps to each marking, advanced one event at a
time. ``alignment_precision`` returns None when the state space is too large;
the caller then asks pm4py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from procmine.conform.alignments import MAX_MARKINGS

_INF = np.inf


def alignment_precision(model: Any, traces: Sequence[tuple], counts: Sequence[int], *,
                        max_markings: int = MAX_MARKINGS) -> float | None:
    """Align-ETConformance precision of ``model`` (``net``, ``initial``, ``final``) on the
    variants ``traces`` with ``counts`` cases, equal to
    ``pm4py.precision_alignments``; None when the model has more than ``max_markings``
    reachable markings.

    >>> from procmine.workflow import parse_workflow
    >>> model = parse_workflow("steps: [a, {one_of: [b, c]}]").petri_net()
    >>> alignment_precision(model, [("a", "b")], [3])
    0.6666666666666667
    """
    walker = _PrefixWalker.build(model, max_markings)
    if walker is None:
        return None
    root = np.full(walker.n, _INF)
    root[walker.start] = 0.0

    def enabled(reached: np.ndarray) -> set[str]:
        """pm4py's enabled steps after a prefix: those of its cheapest markings."""
        found: set[str] = set()
        for m in np.flatnonzero(reached == reached.min()):
            found |= walker.enabled_at(int(m))
        return found

    # no alignment of sync and silent moves (advance gives None): pm4py's "unfit" prefix
    return walk_precision(traces, counts, root, walker.enabled_at(walker.start),
                          walker.advance, enabled)


def walk_precision(traces: Sequence[tuple], counts: Sequence[int], start: Any,
                   initial: set[str], step: Any, enabled: Any) -> float:
    """Escaping-edges precision over the variants' prefix tree (both precisions walk it):
    ``step(state, activity)`` is the state after a prefix (None: the prefix does not fit
    and its subtree is left out), ``enabled(state)`` the visible steps the model allows
    there, ``initial`` those at ``start``. 1 - escaping / allowed, weighted by the cases
    that go on after each prefix."""
    children, onward = prefix_tree(traces, counts)
    n_cases = int(sum(int(c) for c in counts))
    starts = {t[0] for t in traces if t}
    sum_at = n_cases * len(initial)
    sum_ee = n_cases * len(initial - starts)
    todo = [(child, start, activity) for activity, child in children[0].items()]
    while todo:
        node, state, activity = todo.pop()
        state = step(state, activity)
        if state is None:
            continue
        if onward[node]:
            allowed = enabled(state)
            sum_at += len(allowed) * onward[node]
            sum_ee += len(allowed - set(children[node])) * onward[node]
        todo.extend((child, state, a) for a, child in children[node].items())
    return 1 - float(sum_ee) / float(sum_at) if sum_at > 0 else 1.0


def prefix_tree(traces: Sequence[tuple], counts: Sequence[int]) -> tuple[list[dict[str, int]], list[int]]:
    """The prefix tree of the variants (the two precisions walk it): children per node,
    and how many cases go on after each node's prefix."""
    children: list[dict[str, int]] = [{}]
    onward: list[int] = [0]
    for trace, n in zip(traces, counts, strict=True):
        node = 0
        for i, activity in enumerate(trace):
            nxt = children[node].get(activity)
            if nxt is None:
                nxt = children[node][activity] = len(children)
                children.append({})
                onward.append(0)
            if i < len(trace) - 1:
                onward[nxt] += int(n)
            node = nxt
    return children, onward


class _PrefixWalker:
    """The reachability graph with silent-step distances, and pm4py's eventually-enabled
    visible steps per marking (memoised)."""

    def __init__(self, model: Any, graph: Any, silent: np.ndarray):
        self.model = model
        self.graph = graph
        self.silent = silent
        self.n = len(graph.markings)
        self.start = 0
        self.by_label: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        edges: dict[str, list[tuple[int, int]]] = {}
        for s, t, d in graph.edges:
            label = graph.transitions[t].label
            if label is not None:
                edges.setdefault(label, []).append((s, d))
        for label, pairs in edges.items():
            arr = np.array(pairs, dtype=np.int64)
            self.by_label[label] = (arr[:, 0], arr[:, 1])
        self._enabled: dict[int, frozenset[str]] = {}

    @classmethod
    def build(cls, model: Any, max_markings: int) -> _PrefixWalker | None:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import shortest_path

        from procmine.workflow import reachability

        graph = reachability(model.net, model.initial, limit=max_markings)
        if graph is None:
            return None
        n = len(graph.markings)
        pairs = sorted({(s, d) for s, t, d in graph.edges
                        if graph.transitions[t].label is None and s != d})
        if pairs:
            keys = np.array(pairs, dtype=np.int64)
            matrix = csr_matrix((np.ones(len(keys)), (keys[:, 0], keys[:, 1])), shape=(n, n))
            silent = shortest_path(matrix, method="D", directed=True)
        else:
            silent = np.full((n, n), _INF)
            np.fill_diagonal(silent, 0.0)
        return cls(model, graph, silent)

    def advance(self, costs: np.ndarray, activity: str) -> np.ndarray | None:
        """Cheapest silent steps to each marking after one more synchronous move on
        ``activity`` (None when no marking can be reached)."""
        edges = self.by_label.get(activity)
        if edges is None:
            return None
        live = np.flatnonzero(costs < _INF)
        closed = (costs[live][:, None] + self.silent[live]).min(axis=0)
        src, dst = edges
        out = np.full(self.n, _INF)
        np.minimum.at(out, dst, closed[src])
        return out if (out < _INF).any() else None

    def enabled_at(self, m: int) -> frozenset[str]:
        hit = self._enabled.get(m)
        if hit is None:
            from pm4py.objects.petri_net.obj import Marking
            from pm4py.objects.petri_net.utils.align_utils import (
                get_visible_transitions_eventually_enabled_by_marking as eventually_enabled,
            )

            marking = Marking({p: k for p, k in zip(self.graph.places, self.graph.markings[m],
                                                     strict=True) if k})
            hit = frozenset(t.label for t in eventually_enabled(self.model.net, marking)
                            if t.label is not None)
            self._enabled[m] = hit
        return hit
