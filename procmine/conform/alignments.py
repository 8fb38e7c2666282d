"""Optimal alignments of the variants to the model, with pm4py's standard costs.

When the model's reachability graph is small (``MAX_MARKINGS``), ``_Aligner``
aligns every variant by dynamic programming over the graph's shortest paths,
sharing the work along common prefixes; otherwise each variant goes to pm4py's
A* within a time budget. ``align_variants`` returns ``(cost, best-worst cost,
moves)`` per variant and ``_alignment_table`` the per-variant fitness table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procmine.conform.parallel import _WORKER_STATE, _can_fork, _chunk_worker, _run_chunks
from procmine.errors import SpecError
from procmine.log import ACTIVITY

MOVE_COST = 10_000   # pm4py's standard cost of a log move or a visible model move
TAU_COST = 1          # ... of a silent model move
_INF = math.inf
#: above this many reachable markings, alignments fall back to pm4py's A* per variant
MAX_MARKINGS = 2_500


@dataclass
class _Aligner:
    """The reachability graph of a net, ready for alignments by dynamic programming.

    ``dist[i, j]``: cheapest run of model moves from marking i to j (visible
    transitions 10,000, silent 1); ``pred``: the predecessors of those runs;
    ``labels``: per activity, the edges of its transitions (source, target, transition).
    """

    transitions: list[Any]
    dist: np.ndarray
    pred: np.ndarray
    step: dict[tuple[int, int], int]
    labels: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    start: int
    end: int

    @property
    def empty_cost(self) -> float:
        return float(self.dist[self.start, self.end])


def _aligner(model: Any, max_markings: int) -> _Aligner | None:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    from procmine.workflow import reachability

    graph = reachability(model.net, model.initial, limit=max_markings)
    if graph is None:
        return None
    end = graph.final_index(model.final)
    if end is None:
        raise SpecError("the end of the workflow cannot be reached from its start, so no case "
                        "can be aligned", hint="check the model with: procmine workflow check")
    n = len(graph.markings)
    best: dict[tuple[int, int], tuple[int, int]] = {}
    by_label: dict[str, list[tuple[int, int, int]]] = {}
    for s, t, d in graph.edges:
        label = graph.transitions[t].label
        if label is not None:
            by_label.setdefault(label, []).append((s, d, t))
        if s == d:
            continue
        cost = TAU_COST if label is None else MOVE_COST
        if (s, d) not in best or cost < best[(s, d)][0]:
            best[(s, d)] = (cost, t)
    if best:
        keys = np.array(list(best), dtype=np.int64)
        weights = np.array([best[k][0] for k in best], dtype=float)
        matrix = csr_matrix((weights, (keys[:, 0], keys[:, 1])), shape=(n, n))
    else:
        matrix = csr_matrix((n, n))
    dist, pred = shortest_path(matrix, method="D", directed=True, return_predecessors=True)
    labels = {}
    for label, edges in by_label.items():
        arr = np.array(sorted(edges, key=lambda e: (e[1], e[0])), dtype=np.int64)
        dst = arr[:, 1]
        heads = np.concatenate(([0], np.flatnonzero(np.diff(dst)) + 1))
        labels[label] = (arr[:, 0], dst, arr[:, 2], heads, dst[heads])
    return _Aligner(graph.transitions, dist, pred, {k: v[1] for k, v in best.items()}, labels,
                    0, end)


def _advance(al: _Aligner, closed: np.ndarray, activity: str) -> np.ndarray:
    """Costs per marking after one more event, closed under model moves."""
    nxt = closed + MOVE_COST
    edges = al.labels.get(activity)
    if edges is not None:
        src, _, _, heads, targets = edges
        reach = np.minimum.reduceat(closed[src], heads)
        ok = reach < _INF
        if ok.any():
            via = (reach[ok][:, None] + al.dist[targets[ok]]).min(axis=0)
            nxt = np.minimum(nxt, via)
    return nxt


def _model_path(al: _Aligner, a: int, b: int) -> list[int]:
    """Transitions of the cheapest model-move run from marking a to b."""
    out = []
    while b != a:
        p = int(al.pred[a, b])
        out.append(al.step[(p, b)])
        b = p
    out.reverse()
    return out


# A move: (kind, activity, position in the trace or -1); kinds: sync, log, model, tau.
Move = tuple[str, str | None, int]


def _backtrack(al: _Aligner, stack: list[np.ndarray], trace: tuple) -> list[Move]:
    moves: list[Move] = []
    m = al.end

    def model_moves(a: int, b: int) -> None:
        for t in reversed(_model_path(al, a, b)):
            label = al.transitions[t].label
            moves.append(("tau", None, -1) if label is None else ("model", label, -1))

    for i in range(len(trace), 0, -1):
        activity = trace[i - 1]
        here = stack[i][m]
        prev = stack[i - 1]
        edges = al.labels.get(activity)
        done = False
        if prev[m] + MOVE_COST == here:
            # on a tie, the later event is the extra one: "it was done again", not "before"
            edges = None
        if edges is not None:
            src, dst, _, heads, targets = edges
            reach = np.minimum.reduceat(prev[src], heads)
            total = reach + al.dist[targets, m]
            j = int(np.argmin(total))
            if total[j] == here:
                d = int(targets[j])
                model_moves(d, m)
                seg_end = heads[j + 1] if j + 1 < len(heads) else len(src)
                k = heads[j] + int(np.argmin(prev[src[heads[j]:seg_end]]))
                moves.append(("sync", activity, i - 1))
                m = int(src[k])
                done = True
        if not done:
            moves.append(("log", activity, i - 1))
    model_moves(al.start, m)
    moves.reverse()
    return moves


def _align_chunk(al: _Aligner, traces: list[tuple]) -> list[tuple[float, float, list[Move]]]:
    out: list[Any] = [None] * len(traces)
    order = sorted(range(len(traces)), key=lambda i: traces[i])
    stack = [al.dist[al.start].copy()]
    prev: tuple = ()
    for i in order:
        trace = traces[i]
        common = 0
        for x, y in zip(prev, trace, strict=False):
            if x != y:
                break
            common += 1
        del stack[common + 1:]
        for k in range(common, len(trace)):
            stack.append(_advance(al, stack[-1], trace[k]))
        cost = float(stack[len(trace)][al.end])
        bwc = float(al.empty_cost + MOVE_COST * len(trace))
        out[i] = (cost, bwc, _backtrack(al, stack, trace))
        prev = trace
    return out


def _pm4py_align_chunk(state: tuple[Any, float, float], traces: list[tuple]) -> list:
    """pm4py's A* for each variant, within the time budget (None when over it)."""
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.objects.log.obj import Event, Trace

    model, bwc, budget = state
    params = {alignments.Parameters.BEST_WORST_COST_INTERNAL: bwc,
              alignments.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: budget}
    out = []
    for trace in traces:
        t = Trace([Event({ACTIVITY: a}) for a in trace])
        ali = alignments.apply_trace(t, model.net, model.initial, model.final, parameters=dict(params))
        if ali is None:
            out.append(None)
            continue
        moves: list[Move] = []
        pos = 0
        for log_label, model_label in ali["alignment"]:
            if log_label == ">>":
                moves.append(("tau", None, -1) if model_label is None else ("model", model_label, -1))
            elif model_label == ">>":
                moves.append(("log", log_label, pos))
                pos += 1
            else:
                moves.append(("sync", log_label, pos))
                pos += 1
        out.append((float(ali["cost"]), float(ali["bwc"]), moves))
    return out


def align_variants(model: Any, traces: Sequence[tuple], *, jobs: int = 1, time_budget: float = 10.0,
                   max_markings: int = MAX_MARKINGS) -> tuple[list, list[str]]:
    """An optimal alignment per trace: ``(cost, best-worst cost, moves)`` or None.

    >>> from procmine.workflow import parse_workflow
    >>> model = parse_workflow("steps: [a, b, c]").petri_net()
    >>> [(c, moves) for c, _, moves in align_variants(model, [("a", "c")])[0]]
    [(10000.0, [('sync', 'a', 0), ('model', 'b', -1), ('sync', 'c', 1)])]
    """
    al = _aligner(model, max_markings)
    if al is not None:
        return _run_chunks(_align_chunk, al, traces, jobs), []
    return _pm4py_align(model, traces, jobs, time_budget)


def _pm4py_align(model: Any, traces: Sequence[tuple], jobs: int, budget: float) -> tuple[list, list[str]]:
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.objects.log.obj import Trace
    from pm4py.objects.petri_net.utils.check_soundness import (
        check_easy_soundness_net_in_fin_marking,
    )

    if not check_easy_soundness_net_in_fin_marking(model.net, model.initial, model.final):
        raise SpecError("the end of the model cannot be reached from its start, so no case can be "
                        "aligned", hint="check the model with: procmine workflow check")
    empty = alignments.apply_trace(Trace(), model.net, model.initial, model.final,
                                   parameters={alignments.Parameters.ENABLE_BEST_WORST_COST: False})
    bwc = empty["cost"]
    notes = ["the model has too many states for the fast aligner: pm4py's A* aligned each variant"]
    state = (model, bwc, budget)
    if jobs <= 1 or len(traces) < 2 or not _can_fork():
        return _pm4py_align_chunk(state, list(traces)), notes
    import multiprocessing

    _WORKER_STATE["state"], _WORKER_STATE["func"] = state, _pm4py_align_chunk
    out: list = [None] * len(traces)
    pool = multiprocessing.get_context("fork").Pool(jobs)
    try:
        pending = {i: pool.apply_async(_chunk_worker, ([traces[i]],)) for i in range(len(traces))}
        # pm4py checks the budget between search states; should a worker hang inside one
        # step (an LP solve), the run gives up on what is left after this deadline
        rounds = math.ceil(len(traces) / jobs)
        deadline = time.monotonic() + rounds * (budget + 1) + 2 * budget + 10
        while pending and time.monotonic() < deadline:
            for i in [i for i, r in pending.items() if r.ready()]:
                out[i] = pending.pop(i).get()[0]
            time.sleep(0.01)
    finally:
        pool.terminate()
        _WORKER_STATE.clear()
    return out, notes


def _alignment_table(traces: Sequence[tuple], counts: np.ndarray, per_variant: list) -> pd.DataFrame:
    cost = [r[0] if r is not None else np.nan for r in per_variant]
    bwc = [r[1] if r is not None else np.nan for r in per_variant]
    fitness = []
    for r in per_variant:
        if r is None:
            fitness.append(np.nan)
            continue
        num, den = r[0] // MOVE_COST, r[1] // MOVE_COST
        fitness.append(1 - num / den if den > 0 else 0.0)
    return pd.DataFrame({
        "variant": np.arange(len(traces)), "cases": counts,
        "activities": [" → ".join(map(str, t)) for t in traces],
        "fitness": fitness, "conforming": [f == 1.0 for f in fitness], "cost": cost, "bwc": bwc,
    })
