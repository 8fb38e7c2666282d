"""Conformance of a log to the intended workflow: fitness, precision, deviations.

Everything runs once per variant (distinct activity sequence) and is weighted by
the number of cases, so the numbers are pm4py's own:

- **alignments**: an optimal alignment per variant with pm4py's standard costs
  (log and model moves 10,000, silent steps 1, synchronous moves 0).
  ``fitness`` = 1 - Σ cost / Σ best-worst cost over all cases, as
  ``pm4py.fitness_alignments(...)["log_fitness"]``; a case's fitness is
  1 - ⌊cost/10⁴⌋ / ⌊bwc/10⁴⌋. When the model's state space is small (a workflow
  spec, most discovered models) the alignment is a shortest path over the
  reachability graph, computed for all variants at once along their shared
  prefixes; otherwise pm4py's A* aligns each variant, with a time budget.
- **tokens**: pm4py's token-based replay, step by step with a memo per marking;
  ``fitness`` = ½(1 - missing/consumed) + ½(1 - remaining/produced) over all
  cases, as ``pm4py.fitness_token_based_replay(...)["log_fitness"]``.
- **precision**: ETConformance on token replay of every prefix, as
  ``pm4py.precision_token_based_replay``, walking the prefix tree of the variants.

Deviations are read from the alignments (log moves and model moves) and said in
plain words, with the number of cases and the units where they happen most.

The log may be an open engine (``procmine.engines``) instead of an EventLog:
everything above runs on its variant table, and the units are read from the
log in parts of whole cases, never all events at once; the result is the same.

>>> from procmine.workflow import read_workflow
>>> result = check_conformance(log, read_workflow("logs/workflow.yaml"))   # doctest: +SKIP
>>> result.fitness, result.deviations[0].text                            # doctest: +SKIP
(0.9871, '重办 (not in the workflow) in 120 cases (4.0%)')
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from procmine.errors import InputError, ProcmineError, SpecError
from procmine.log import ACTIVITY, CASE, RESOURCE, EventLog

if TYPE_CHECKING:
    from procmine.abstractions import Variants
    from procmine.engines import Engine

MOVE_COST = 10_000   # pm4py's standard cost of a log move or a visible model move
TAU_COST = 1          # ... of a silent model move
_INF = math.inf
#: above this many reachable markings, alignments fall back to pm4py's A* per variant
MAX_MARKINGS = 2_500


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Deviation:
    """One kind of deviation, with the cases in which it happened.

    ``kind``: ``skipped`` (a step the workflow requires did not happen), ``order``
    (``step`` happened before ``other`` although the workflow puts it after),
    ``repeated`` (a step happened again where the workflow does not allow it),
    ``unexpected`` (a step the workflow does not have, or not at that point),
    ``same_unit`` (an extra path marked ``distinct_units`` went back to a unit that
    had returned the order: ping-pong). ``units``: the units where it happened most,
    with their number of cases.
    """

    kind: Literal["skipped", "order", "repeated", "unexpected", "same_unit"]
    step: str
    other: str | None
    cases: int
    share: float
    text: str
    units: tuple[tuple[str, int], ...] = ()
    detail: str | None = None
    label: str = ""


@dataclass(frozen=True)
class ConformanceResult:
    """How far a log follows the intended workflow.

    ``fitness``: log fitness as pm4py computes it for ``method``;
    ``average_case_fitness``: the mean of the case fitness values; ``precision``:
    ETConformance token-replay precision (None when not asked for);
    ``fitting_cases``: cases with fitness 1 (a perfect alignment, or a replay
    without missing or remaining tokens: pm4py's fitting traces);
    ``conforming_cases``: fitting cases that also break no unit rule of the
    workflow (``distinct_units``); ``variants``: one row per variant;
    ``cases_table``: one row per case; ``not_aligned``: variants that did not
    align within the time budget (left out of fitness, as pm4py leaves them out).
    """

    method: Literal["alignments", "tokens"]
    fitness: float
    average_case_fitness: float
    precision: float | None
    cases: int
    fitting_cases: int
    conforming_cases: int
    deviations: tuple[Deviation, ...]
    variants: pd.DataFrame
    cases_table: pd.DataFrame
    workflow: str
    not_aligned: int = 0
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def conforming_share(self) -> float:
        return self.conforming_cases / self.cases if self.cases else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow, "method": self.method, "cases": self.cases,
            "variants": len(self.variants), "fitness": self.fitness,
            "average_case_fitness": self.average_case_fitness, "precision": self.precision,
            "fitting_cases": self.fitting_cases,
            "conforming_cases": self.conforming_cases, "conforming_share": self.conforming_share,
            "not_aligned_variants": self.not_aligned,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "deviations": [{"kind": d.kind, "step": d.step, "other": d.other, "cases": d.cases,
                            "share": d.share, "text": d.text, "label": d.label, "detail": d.detail,
                            "units": [{"unit": u, "cases": n} for u, n in d.units]}
                           for d in self.deviations],
            "notes": list(self.notes),
            # the tables by their own names: "cases" and "variants" are the summary's counts
            "variant_table": self.variants,
            "case_table": self.cases_table,
        }


# --------------------------------------------------------------------------- entry point


def check_conformance(
    log: EventLog | Engine,
    workflow: Any,
    *,
    method: Literal["alignments", "tokens"] = "alignments",
    precision: bool = True,
    jobs: int | None = None,
    time_budget: float = 10.0,
    max_markings: int = MAX_MARKINGS,
    part_events: int | None = None,
) -> ConformanceResult:
    """Check ``log`` (an EventLog or an open engine) against ``workflow`` (a Workflow,
    a path, or a PetriNetModel).

    ``jobs``: processes to use (default: every core); ``time_budget``: seconds
    allowed per variant when pm4py's A* aligns it (a variant over budget is
    reported and left out of fitness, never waited for).

    Under an engine (``procmine.engines``) the numbers come from its variant
    table, and the units of each deviation and the ``distinct_units`` rule from
    the log in parts of whole cases, ``part_events`` events each (default: from
    the engine's memory limit, ``procmine.engines.parts.part_events``): the
    result equals the EventLog's, and the events are never all in memory.

    >>> from procmine.engines import get_engine
    >>> with get_engine("duckdb", "logs/sample.csv") as engine:
    ...     r = check_conformance(engine, "logs/workflow.yaml", method="tokens", precision=False)
    >>> round(r.fitness, 4), r.conforming_cases
    (0.9982, 2756)
    >>> r.deviations[0].units
    (('城管中队', 23), ('绿化市容所', 18), ('街道管理办', 13))
    """
    from procmine.abstractions import variants as variant_table
    from procmine.engines import is_engine
    from procmine.workflow import PetriNetModel, Workflow, read_workflow

    started = time.perf_counter()
    if method not in ("alignments", "tokens"):
        raise InputError(f"unknown method {method!r}", hint="choose alignments or tokens")
    if isinstance(workflow, (str, os.PathLike)):
        workflow = read_workflow(workflow)
    if isinstance(workflow, Workflow):
        model, spec, name = workflow.petri_net(), workflow, workflow.name
    elif isinstance(workflow, PetriNetModel):
        model, spec, name = workflow, None, "Petri net"
    else:
        raise InputError("workflow: expected a Workflow, a PetriNetModel or a path")
    vt = log.variants() if is_engine(log) else variant_table(log)
    if vt.of_case.empty:
        raise InputError("the log has no events")
    if spec is not None and spec.names:
        vt = _read_through_aliases(vt, spec)
    traces = list(vt.table["activities"])
    counts = vt.table["cases"].to_numpy(dtype=np.int64)
    total = int(counts.sum())
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    notes: list[str] = []

    if method == "alignments":
        per_variant, info = align_variants(model, traces, jobs=jobs, time_budget=time_budget,
                                           max_markings=max_markings)
        notes.extend(info)
        table = _alignment_table(traces, counts, per_variant)
        aligned = table["cost"].notna().to_numpy()
        cost = table["cost"].to_numpy(dtype=float)
        bwc = table["bwc"].to_numpy(dtype=float)
        w = counts[aligned]
        sum_bwc = float((bwc[aligned] * w).sum())
        fitness = 1.0 - float((cost[aligned] * w).sum()) / sum_bwc if sum_bwc > 0 else 0.0
    else:
        per_variant = replay_variants(model, traces, jobs=jobs)
        table = _replay_table(traces, counts, per_variant)
        aligned = np.ones(len(table), dtype=bool)
        tm, tc, tr, tp = ((table[c].to_numpy(dtype=np.int64) * counts).sum()
                          for c in ("missing", "consumed", "remaining", "produced"))
        fitness = (0.5 * (1 - tm / tc) + 0.5 * (1 - tr / tp)) if tc > 0 and tp > 0 else 0.0
        fitness = float(fitness)
    n_aligned = int(counts[aligned].sum())
    avg = float((table["fitness"].to_numpy()[aligned] * counts[aligned]).sum() / n_aligned) if n_aligned else 0.0
    fitting = int(counts[aligned & table["conforming"].to_numpy(dtype=bool)].sum())
    prec = token_precision(model, traces, counts) if precision else None

    found, details, case_devs = _find_deviations(model, traces, counts, per_variant, method)
    rules = [p for p in spec.paths if p.distinct_units and p.steps] if spec is not None else []
    seen = _EventFacts({}, [[] for _ in rules])
    if (found or rules) and log.has(RESOURCE):   # the units: from the events, part by part
        seen = _scan_events(_log_parts(log, part_events), vt.of_case, found, rules, spec)
    devs = _deviations(found, details, seen.units, counts, total)
    same_unit = _same_unit(rules, seen, total)
    devs.extend(dev for dev, _ in same_unit)
    devs.sort(key=lambda d: (-d.cases, d.kind, d.step, d.other or ""))
    table["deviations"] = ["; ".join(x) for x in case_devs]
    table.loc[~aligned, "deviations"] = "not aligned within the time budget"
    cases_table = _case_table(vt.of_case, table, same_unit, total)
    not_aligned = int((~aligned).sum())
    if not_aligned:
        notes.append(f"{not_aligned} variants ({int(counts[~aligned].sum())} cases) did not align within "
                     f"{time_budget:g} s each and are left out of fitness")
    return ConformanceResult(
        method=method, fitness=float(fitness), average_case_fitness=avg, precision=prec,
        cases=total, fitting_cases=fitting,
        conforming_cases=int(cases_table["conforming"].astype(bool).sum()), deviations=tuple(devs),
        variants=table, cases_table=cases_table, workflow=name, not_aligned=not_aligned,
        notes=tuple(notes), seconds=time.perf_counter() - started)


def _read_through_aliases(vt: Variants, spec: Any) -> Variants:
    """The variant table as if the events had been read through the spec's aliases:
    activities renamed, variants that became equal merged and ranked again.

    Ids follow the rule of ``procmine.abstractions.variants`` (most cases first,
    then the activities joined with spaces, then the first case), so they are
    the ids of the renamed events' own variant table.
    """
    from procmine.abstractions import Variants
    from procmine.engines import SEPARATOR, rank_variants

    old = list(vt.table["activities"])
    names = {a for trace in old for a in trace}
    step_of = {a: spec.step_of(a) or a for a in names}
    if all(a == b for a, b in step_of.items()):
        return vt
    of_case = vt.of_case.to_numpy(dtype=np.int64)
    first = np.full(len(old), len(of_case), dtype=np.int64)
    first[of_case[::-1]] = np.arange(len(of_case))[::-1]   # reversed: the first case wins
    by_first = np.argsort(first, kind="stable")
    seq = [SEPARATOR.join(step_of[a] for a in old[i]) for i in by_first]
    group, merged = pd.factorize(np.asarray(seq, dtype=object), sort=False)
    cases = np.bincount(group, weights=vt.table["cases"].to_numpy(dtype=np.int64)[by_first])
    table, ids = rank_variants(pd.DataFrame({"seq": merged, "cases": cases.astype(np.int64)}),
                               SEPARATOR)
    new_id = np.empty(len(old), dtype=np.int64)
    new_id[by_first] = ids.reindex(merged).to_numpy(dtype=np.int64)[group]
    return Variants(table, pd.Series(new_id[of_case], index=vt.of_case.index, name="variant"))


def _apply_aliases(activities: pd.Series, spec: Any) -> pd.Series | None:
    codes, uniques = pd.factorize(activities, sort=False)
    mapped = [spec.step_of(u) or u for u in uniques]
    if all(a == b for a, b in zip(mapped, uniques, strict=True)):
        return None
    return pd.Series(np.asarray(mapped, dtype=object)[codes], index=activities.index)


def _case_starts(events: pd.DataFrame) -> np.ndarray:
    codes, _ = pd.factorize(events[CASE], sort=False)
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(([0], np.flatnonzero(np.diff(codes) != 0) + 1)).astype(np.int64)


# --------------------------------------------------------------------------- parallel chunks


def _chunks(traces: Sequence[tuple], parts: int) -> list[list[int]]:
    """Variant indices sorted by trace (shared prefixes together), cut into ``parts``
    runs of about equal total length."""
    order = sorted(range(len(traces)), key=lambda i: traces[i])
    if parts <= 1:
        return [order]
    total = sum(len(traces[i]) + 1 for i in order)
    out, cur, size = [], [], 0
    for i in order:
        cur.append(i)
        size += len(traces[i]) + 1
        if size >= total / parts and len(out) < parts - 1:
            out.append(cur)
            cur, size = [], 0
    if cur:
        out.append(cur)
    return out


_WORKER_STATE: dict[str, Any] = {}
#: below this many events over all variants, worker processes cost more than they save
_MIN_PARALLEL_EVENTS = 20_000


def _run_chunks(func: Callable[[Any, list[tuple]], list], state: Any, traces: Sequence[tuple],
                jobs: int, *, weight: int = 1) -> list:
    """``func(state, chunk_traces)`` over chunks of variants, in worker processes when
    the work is large enough to pay for them (forked, so ``state`` is not copied)."""
    events = sum(len(t) for t in traces) * weight
    if jobs <= 1 or events < _MIN_PARALLEL_EVENTS or len(traces) < 2 or not _can_fork():
        return func(state, list(traces))
    import multiprocessing

    chunks = _chunks(traces, jobs * 2)
    _WORKER_STATE["state"], _WORKER_STATE["func"] = state, func
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(jobs, len(chunks))) as pool:
            parts = pool.map(_chunk_worker, [[traces[i] for i in c] for c in chunks])
    finally:
        _WORKER_STATE.clear()
    out: list = [None] * len(traces)
    for chunk, part in zip(chunks, parts, strict=True):
        for i, value in zip(chunk, part, strict=True):
            out[i] = value
    return out


def _chunk_worker(chunk: list[tuple]) -> list:
    return _WORKER_STATE["func"](_WORKER_STATE["state"], chunk)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


# --------------------------------------------------------------------------- alignments


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


# --------------------------------------------------------------------------- token replay


class _Replayer:
    """pm4py's token-based replay, one event at a time, memoised per (marking, activity).

    Each step does what pm4py's ``apply_trace`` does for one event (fire the
    transition, enabling it through silent transitions first, else add the missing
    tokens); the end of a trace is pm4py's own code run on an empty trace from the
    reached marking. So every variant gets exactly pm4py's counts.
    """

    def __init__(self, model: Any):
        from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr
        from pm4py.objects.petri_net.utils.align_utils import (
            get_visible_transitions_eventually_enabled_by_marking,
        )

        self.tr = tr
        self.model = model
        self.net = model.net
        self.trans_map = {}
        for t in sorted(self.net.transitions, key=lambda x: x.name):
            self.trans_map[t.label] = t
        self.paths = tr.get_places_shortest_path_by_hidden(self.net, tr.TechnicalParameters.MAX_REC_DEPTH.value)
        self.visible = get_visible_transitions_eventually_enabled_by_marking
        self.steps: dict[Any, Any] = {}
        self.ends: dict[Any, Any] = {}
        self.enabled: dict[Any, frozenset[str]] = {}

    @staticmethod
    def key(marking: Any) -> frozenset:
        return frozenset(marking.items())

    def step(self, marking: Any, activity: str) -> tuple[Any, int, int, int, bool]:
        """(next marking, consumed, produced, missing, enabled without missing tokens)."""
        memo_key = (self.key(marking), activity)
        hit = self.steps.get(memo_key)
        if hit is not None:
            return hit
        from pm4py.objects.petri_net import semantics

        tr, net = self.tr, self.net
        if activity not in self.trans_map:
            out = (marking, 0, 0, 0, True)
            self.steps[memo_key] = out
            return out
        candidates = [x for x in semantics.enabled_transitions(net, marking) if x.label == activity]
        t = candidates[0] if candidates else self.trans_map[activity]
        consumed = produced = missing = 0
        if not semantics.is_enabled(t, net, marking):
            _, marking, fired, _ = tr.apply_hidden_trans(t, net, copy(marking), self.paths, [], 0,
                                                         set(), [], False)
            for hidden in fired:
                consumed += tr.get_consumed_tokens(hidden)[0]
                produced += tr.get_produced_tokens(hidden)[0]
        fit = True
        if not semantics.is_enabled(t, net, marking):
            fit = False
            marking = copy(marking)
            missing += tr.add_missing_tokens(t, marking)[0]
        consumed += tr.get_consumed_tokens(t)[0]
        produced += tr.get_produced_tokens(t)[0]
        marking = semantics.execute(t, net, marking)
        out = (marking, consumed, produced, missing, fit)
        self.steps[memo_key] = out
        return out

    def end(self, marking: Any) -> tuple[int, int, int, int]:
        """(consumed, produced, missing, remaining) of reaching the end from ``marking``."""
        memo_key = self.key(marking)
        hit = self.ends.get(memo_key)
        if hit is not None:
            return hit
        from pm4py.objects.log.obj import Trace

        tr = self.tr
        r = tr.apply_trace(Trace(), self.net, marking, self.model.final, self.trans_map, False, {}, {},
                           {}, self.paths, True, try_to_reach_final_marking_through_hidden=True,
                           stop_immediately_unfit=False, walk_through_hidden_trans=True,
                           post_fix_caching=tr.PostFixCaching(),
                           marking_to_activity_caching=tr.MarkingToActivityCaching())
        missing, consumed, remaining, produced = r[6], r[7], r[8], r[9]
        out = (consumed, produced - sum(marking.values()), missing, remaining)
        self.ends[memo_key] = out
        return out

    def visible_enabled(self, marking: Any) -> frozenset[str]:
        memo_key = self.key(marking)
        hit = self.enabled.get(memo_key)
        if hit is None:
            hit = frozenset(t.label for t in self.visible(self.net, marking) if t.label is not None)
            self.enabled[memo_key] = hit
        return hit

    def replay(self, trace: tuple) -> dict[str, Any]:
        """pm4py's token replay of one trace (the memo makes shared prefixes cheap)."""
        marking = self.model.initial
        consumed = missing = 0
        produced = sum(marking.values())
        problems: list[tuple[str, int]] = []
        for i, activity in enumerate(trace):
            marking, c, p, m, fit = self.step(marking, activity)
            consumed += c
            produced += p
            missing += m
            if not fit:
                problems.append((activity, i))
        c, p, m_end, remaining = self.end(marking)
        is_fit = missing == 0 and remaining == 0
        consumed += c
        produced += p
        missing += m_end
        if consumed > 0 and produced > 0:
            fitness = 0.5 * (1 - missing / consumed) + 0.5 * (1 - remaining / produced)
        else:
            fitness = 1.0
        return {"fit": is_fit, "fitness": fitness, "missing": missing, "consumed": consumed,
                "remaining": remaining, "produced": produced, "problems": problems,
                "not_in_model": [(a, i) for i, a in enumerate(trace) if a not in self.trans_map]}


def _replay_chunk(model: Any, traces: list[tuple]) -> list[dict[str, Any]]:
    replayer = _Replayer(model)
    return [replayer.replay(t) for t in traces]


def replay_variants(model: Any, traces: Sequence[tuple], *, jobs: int = 1) -> list[dict[str, Any]]:
    """pm4py's token-based replay of each trace: fit, fitness, missing, consumed, remaining,
    produced, and the events that fired without being enabled (``problems``).

    >>> from procmine.workflow import parse_workflow
    >>> r = replay_variants(parse_workflow("steps: [a, b]").petri_net(), [("b",)])[0]
    >>> r["fit"], r["missing"], r["remaining"]
    (False, 1, 1)
    """
    # one replay step is cheap once memoised: only very many variants pay for workers
    return _run_chunks(_replay_chunk, model, traces, jobs, weight=1 if len(traces) > 20_000 else 0)


def _replay_table(traces: Sequence[tuple], counts: np.ndarray, per_variant: list) -> pd.DataFrame:
    return pd.DataFrame({
        "variant": np.arange(len(traces)), "cases": counts,
        "activities": [" → ".join(map(str, t)) for t in traces],
        "fitness": [r["fitness"] for r in per_variant],
        "conforming": [bool(r["fit"]) for r in per_variant],
        **{k: [r[k] for r in per_variant] for k in ("missing", "consumed", "remaining", "produced")},
    })


# --------------------------------------------------------------------------- precision


def token_precision(model: Any, traces: Sequence[tuple], counts: Sequence[int]) -> float:
    """ETConformance precision by token replay of every prefix, as
    ``pm4py.precision_token_based_replay`` computes it, over the prefix tree of the traces.

    >>> from procmine.workflow import parse_workflow
    >>> model = parse_workflow("steps: [a, {one_of: [b, c]}]").petri_net()
    >>> token_precision(model, [("a", "b")], [3])
    0.6666666666666667
    """
    replayer = _Replayer(model)
    # the prefix tree: children per node, and how many cases go on from each node
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
    n_cases = int(sum(int(c) for c in counts))
    starts = {t[0] for t in traces if t}
    initial = replayer.visible_enabled(model.initial)
    sum_at = n_cases * len(initial)
    sum_ee = n_cases * len(initial - starts)
    # walk the tree; a prefix that cannot fire without missing tokens stops its subtree
    todo = [(child, model.initial, activity) for activity, child in children[0].items()]
    while todo:
        node, marking, activity = todo.pop()
        marking, _, _, _, fit = replayer.step(marking, activity)
        if not fit:
            continue
        if onward[node]:
            enabled = replayer.visible_enabled(marking)
            sum_at += len(enabled) * onward[node]
            sum_ee += len(enabled - set(children[node])) * onward[node]
        todo.extend((child, marking, a) for a, child in children[node].items())
    return 1 - sum_ee / sum_at if sum_at > 0 else 1.0


# --------------------------------------------------------------------------- deviations


def _occurrences(trace: tuple, moves: list[Move], model_steps: set[str] | None = None
                 ) -> list[tuple[tuple, int, str | None]]:
    """Deviations of one variant from its alignment: (key, event position, detail).

    A model move and a log move of the same step are one step out of order; the
    other model moves are skipped steps; the other log moves are read in runs (one
    after another): a run that repeats steps done before is one repetition ("退单 →
    改派 repeated"), a run that starts with a step the model lacks is one unexpected
    step followed by the rest of the run.
    """
    out: list[tuple[tuple, int, str | None]] = []
    n = len(trace)
    next_pos = [n - 1] * len(moves)   # the next event at or after each move
    pos = n - 1
    for k in range(len(moves) - 1, -1, -1):
        if moves[k][2] >= 0:
            pos = moves[k][2]
        next_pos[k] = max(0, min(pos, n - 1))
    model_at: dict[str, list[int]] = {}
    log_at: dict[str, list[int]] = {}
    for k, (kind, label, _) in enumerate(moves):
        if kind == "model":
            model_at.setdefault(label, []).append(k)
        elif kind == "log":
            log_at.setdefault(label, []).append(k)
    if model_steps is None:
        model_steps = {m[1] for m in moves if m[0] in ("sync", "model")}

    def sync_near(k: int, step: int) -> str | None:
        j = k + step
        while 0 <= j < len(moves):
            if moves[j][0] == "sync":
                return moves[j][1]
            j += step
        return None

    paired: set[int] = set()
    for label in sorted(set(model_at) & set(log_at)):
        for a, b in zip(model_at[label], log_at[label], strict=False):
            paired.add(b)
            if b > a:      # expected at a, happened later at b: another step came first
                other = sync_near(a, +1)
                key = ("order", other, label) if other else ("unexpected", label, None)
            else:          # happened at b, before the point a where it belongs
                other = sync_near(a, -1)
                key = ("order", label, other) if other else ("unexpected", label, None)
            out.append((key, moves[b][2], None))
    for label, at in model_at.items():
        for a in at[len(log_at.get(label, [])):]:
            out.append((("skipped", label, None), next_pos[a], None))
    # runs of the remaining log moves (silent model moves do not break a run)
    runs: list[list[int]] = []
    current: list[int] = []
    for k, (kind, _, _) in enumerate(moves):
        if kind == "log" and k not in paired:
            current.append(k)
        elif kind != "tau" and current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    for run in runs:
        steps = [moves[k][1] for k in run]
        first_pos = moves[run[0]][2]
        done_before = set(trace[:first_pos])
        if steps[0] not in model_steps:
            rest = " → ".join(steps[1:])
            out.append((("unexpected", steps[0], None), first_pos, f"then {rest}" if rest else None))
        elif all(s in done_before or s in steps[:i] for i, s in enumerate(steps)):
            unit = _period(steps)
            times = len(steps) // len(unit) + 1
            out.append((("repeated", " → ".join(unit), None), first_pos, str(times)))
        else:
            rest = " → ".join(steps[1:])
            out.append((("unexpected", steps[0], "in_model"), first_pos, f"then {rest}" if rest else None))
    return out


def _period(steps: list[str]) -> list[str]:
    """The shortest pattern that ``steps`` repeats (``[a, b, a, b]`` -> ``[a, b]``)."""
    n = len(steps)
    for size in range(1, n + 1):
        if n % size == 0 and steps == steps[:size] * (n // size):
            return steps[:size]
    return steps


def _token_occurrences(trace: tuple, r: dict[str, Any]) -> list[tuple[tuple, int, str | None]]:
    out: list[tuple[tuple, int, str | None]] = []
    for activity, i in r["problems"]:
        out.append((("unexpected", activity, "early"), i, None))
    for activity, i in r["not_in_model"]:
        out.append((("unexpected", activity, None), i, None))
    if r["remaining"] and trace:
        out.append((("skipped", "end", None), len(trace) - 1, None))
    return out


def _phrase(key: tuple, cases: int | None, total: int, detail: str | None = None) -> str:
    """A deviation in plain words; without ``cases``, the short form used per case."""
    kind, step, other = key
    noun = "case" if cases == 1 else "cases"
    where = f" in {cases:,} {noun} ({cases / total:.1%})" if cases is not None else ""
    if kind == "skipped" and step == "end":
        text = f"ended before the end of the workflow (tokens left){where}"
    elif kind == "skipped":
        text = f"{step} skipped{where}"
    elif kind == "order":
        text = f"{step} before {other}{where}"
    elif kind == "repeated":
        text = f"{step} repeated{where}"
    elif kind == "same_unit":
        text = f"{step} back at a unit that had returned the order (ping-pong){where}"
    elif other == "early":
        text = f"{step} without its preconditions (out of order, or after a skipped step){where}"
    elif other == "in_model":
        text = f"{step} not expected at that point{where}"
    else:
        text = f"{step} (not in the workflow){where}"
    return text + (f", {detail}" if detail and cases is not None else "")


def _find_deviations(model: Any, traces: list[tuple], counts: np.ndarray, per_variant: list,
                     method: str) -> tuple[dict[tuple, list[tuple[int, int]]],
                                           dict[tuple, dict[str, int]], list[list[str]]]:
    """Per kind of deviation the variants where it happens, each with the event position
    of its first occurrence; the cases per detail; the short forms per variant."""
    total = int(counts.sum())
    model_steps = {t.label for t in model.net.transitions if t.label is not None}
    found: dict[tuple, list[tuple[int, int]]] = {}     # key -> [(variant, event position)]
    details: dict[tuple, dict[str, int]] = {}          # key -> detail -> cases
    per_variant_text: list[list[str]] = [[] for _ in traces]
    for v, (trace, r) in enumerate(zip(traces, per_variant, strict=True)):
        if r is None:
            continue
        if method == "alignments":
            occ = _occurrences(trace, r[2], model_steps)
        else:
            occ = _token_occurrences(trace, r)
        for key, pos, detail in occ:
            if detail is not None:
                table = details.setdefault(key, {})
                table[detail] = table.get(detail, 0) + int(counts[v])
            if any(w[0] == v for w in found.get(key, ())):
                continue
            found.setdefault(key, []).append((v, pos))
            per_variant_text[v].append(_phrase(key, None, total))
    return found, details, per_variant_text


def _deviations(found: dict[tuple, list[tuple[int, int]]], details: dict[tuple, dict[str, int]],
                units: dict[tuple, dict[str, int]], counts: np.ndarray, total: int) -> list[Deviation]:
    devs: list[Deviation] = []
    for key, where in found.items():
        n = int(counts[[v for v, _ in where]].sum())
        detail = _detail(key, details.get(key, {}))
        kind, step, other = key
        devs.append(Deviation(kind, step, other if kind == "order" else None, n, n / total,
                              _phrase(key, n, total, detail), _most(units.get(key, {})), detail,
                              _phrase(key, None, total)))
    return devs


def _detail(key: tuple, details: dict[str, int]) -> str | None:
    if not details:
        return None
    if key[0] == "repeated":
        many = sum(n for times, n in details.items() if int(times) >= 3)
        return f"3+ times in {many:,} cases" if many else None
    text, n = max(details.items(), key=lambda kv: (kv[1], kv[0]))
    return f"mostly {text}" if len(details) > 1 else text


# --------------------------------------------------------------------------- the events


@dataclass(frozen=True)
class _EventFacts:
    """What the deviations need from the events, added up over the parts of the log.

    ``units``: per deviation, cases per unit where it happened (units in order of
    first appearance, as ``value_counts`` breaks ties); ``returned``: per
    ``distinct_units`` path, per part, the cases back at a unit that returned the
    order (case -> that unit).
    """

    units: dict[tuple, dict[str, int]]
    returned: list[list[pd.Series]]


def _log_parts(log: EventLog | Engine, part_events: int | None) -> Iterator[EventLog]:
    """The log in parts of whole cases, in case order: an EventLog is its own one part."""
    from procmine.engines import is_engine
    from procmine.engines.parts import part_events as events_per_part

    if not is_engine(log):
        yield log
        return
    yield from log.event_logs(max_events=part_events or events_per_part(log.memory_limit))


def _scan_events(parts: Iterable[EventLog], of_case: pd.Series, found: dict[tuple, list[tuple[int, int]]],
                 rules: list[Any], spec: Any) -> _EventFacts:
    """One pass over the parts: the unit at each deviation's position in each case, and
    the cases breaking a ``distinct_units`` rule. Parts hold whole cases, so each
    case's answer is exact and the counts add up."""
    variant_of_case = of_case.to_numpy(dtype=np.int64)
    at: dict[tuple, np.ndarray] = {}
    for key, where in found.items():      # per variant, the position of the deviation (or -1)
        at[key] = np.full(int(variant_of_case.max()) + 1, -1, dtype=np.int64)
        at[key][[v for v, _ in where]] = [p for _, p in where]
    facts = _EventFacts({key: {} for key in found}, [[] for _ in rules])
    done = 0
    for part in parts:
        events = part.events
        starts = _case_starts(events)
        if len(starts) == 0:
            continue
        if done + len(starts) > len(of_case) or str(events[CASE].iat[0]) != str(of_case.index[done]):
            raise ProcmineError("the parts of the log do not follow the variant table's cases",
                                hint="report this as a bug of the engine")
        variant = variant_of_case[done:done + len(starts)]
        done += len(starts)
        if RESOURCE not in events.columns:
            continue
        units = events[RESOURCE]
        for key, positions in at.items():
            p = positions[variant]
            hit = p >= 0
            _tally(facts.units[key], units.iloc[starts[hit] + p[hit]])
        if not rules:
            continue
        activity = _apply_aliases(events[ACTIVITY], spec)   # the rules name the spec's steps
        activity = events[ACTIVITY] if activity is None else activity
        for returned, rule in zip(facts.returned, rules, strict=True):
            back = _back_at_returner(events, activity, rule)
            if len(back):
                returned.append(back)
    return facts


def _tally(counts: dict[str, int], units: pd.Series) -> None:
    """Add the known ``units`` to ``counts`` (new units after the known ones)."""
    codes, names = pd.factorize(units.dropna(), sort=False)
    for name, n in zip(names, np.bincount(codes, minlength=len(names)), strict=True):
        counts[name] = counts.get(name, 0) + int(n)


def _most(counts: dict[str, int], k: int = 3) -> tuple[tuple[str, int], ...]:
    """The ``k`` units with most cases; among equals, the first seen."""
    return tuple((str(u), n) for u, n in sorted(counts.items(), key=lambda kv: -kv[1])[:k])


def _back_at_returner(events: pd.DataFrame, activity: pd.Series, path: Any) -> pd.Series:
    """Cases where a unit that returned the order (the path's first step) acts on it
    again (the path's first step, or the step where the path rejoins the main line),
    with that unit: the order went back to a unit that refused it."""
    first, rejoin = path.steps[0], path.target
    sel = np.flatnonzero(activity.isin([first, rejoin]).to_numpy(dtype=bool))
    if len(sel) == 0:
        return pd.Series([], dtype=object)
    frame = pd.DataFrame({"case": events[CASE].to_numpy()[sel],
                          "unit": events[RESOURCE].to_numpy()[sel], "pos": sel,
                          "is_first": (activity.iloc[sel] == first).to_numpy(dtype=bool)}
                         ).dropna(subset=["unit"])
    frame["first_at"] = np.where(frame["is_first"], frame["pos"], np.iinfo(np.int64).max)
    frame["earliest"] = frame.groupby(["case", "unit"], sort=False)["first_at"].transform("min")
    hits = frame[frame["pos"] > frame["earliest"]]
    return hits.groupby("case", sort=False)["unit"].first()


def _same_unit(rules: list[Any], facts: _EventFacts, total: int) -> list[tuple[Deviation, pd.Index]]:
    """The ping-pong deviation of each ``distinct_units`` path, with the cases."""
    out = []
    for path, returned in zip(rules, facts.returned, strict=True):
        if not returned:
            continue
        per_case = pd.concat(returned)
        units: dict[str, int] = {}
        _tally(units, per_case)
        n = len(per_case)
        key = ("same_unit", path.target, None)
        out.append((Deviation("same_unit", path.target, None, n, n / total, _phrase(key, n, total),
                              _most(units), f"path {path}", _phrase(key, None, total)), per_case.index))
    return out


def _case_table(of_case: pd.Series, table: pd.DataFrame, same_unit: list[tuple[Deviation, pd.Index]],
                total: int) -> pd.DataFrame:
    v = of_case.to_numpy()
    out = pd.DataFrame({
        "case": of_case.index.to_numpy(),
        "variant": v,
        "fitness": table["fitness"].to_numpy()[v],
        "conforming": table["conforming"].to_numpy()[v],
        "deviations": table["deviations"].to_numpy(dtype=object)[v],
    })
    for dev, cases in same_unit:
        mask = out["case"].isin(cases).to_numpy()
        if mask.any():
            extra = _phrase(("same_unit", dev.step, None), None, total)
            out.loc[mask, "deviations"] = [f"{d}; {extra}" if d else extra
                                           for d in out.loc[mask, "deviations"]]
            out.loc[mask, "conforming"] = False
    return out


# --------------------------------------------------------------------------- overlay


def deviation_overlay(result: ConformanceResult, *, top: int = 8) -> Any:
    """The counts to draw over the intended model (procmine.workflow.Overlay)."""
    from procmine.workflow import Overlay

    skipped: dict[str, int] = {}
    repeated: dict[str, int] = {}
    misplaced: dict[str, int] = {}
    unexpected = []
    notes: dict[str, str] = {}
    for d in result.deviations:
        if d.kind == "skipped" and d.step != "end":
            skipped[d.step] = skipped.get(d.step, 0) + d.cases
        elif d.kind == "repeated":
            repeated[d.step] = repeated.get(d.step, 0) + d.cases
        elif d.kind == "order":
            misplaced[d.other or d.step] = misplaced.get(d.other or d.step, 0) + d.cases
        elif d.kind == "unexpected" and len(unexpected) < top:
            unexpected.append((d.step, _usual_predecessor(result, d.step), d.cases))
        elif d.kind == "same_unit":
            notes[d.step] = f"back at a returner {d.cases:,}"
    title = (f"{result.workflow}: fitness {result.fitness:.3f}, "
             f"{result.conforming_share:.1%} of {result.cases:,} cases conform")
    return Overlay(skipped, repeated, misplaced, tuple(unexpected), title, notes)


def _usual_predecessor(result: ConformanceResult, step: str) -> str | None:
    before: dict[str, int] = {}
    for acts, n in zip(result.variants["activities"], result.variants["cases"], strict=True):
        seq = acts.split(" → ")
        for i, a in enumerate(seq):
            if a == step and i > 0:
                before[seq[i - 1]] = before.get(seq[i - 1], 0) + int(n)
                break
    return max(before, key=before.get) if before else None


def overlay_on_workflow(result: ConformanceResult, workflow: Any, output: str, *,
                        inputs: Sequence[str] = ()) -> Any:
    """Draw the intended workflow with the deviations of ``result`` over it."""
    from procmine.workflow import draw_workflow

    return draw_workflow(workflow, output, overlay=deviation_overlay(result), inputs=inputs)

