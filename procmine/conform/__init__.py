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

>>> from procmine.read import read_log
>>> from procmine.workflow import read_workflow
>>> log = read_log("logs/sample.csv")
>>> result = check_conformance(log, read_workflow("logs/workflow.yaml"))
>>> round(result.fitness, 4), result.deviations[0].text
(0.9861, '签收 back at a unit that had returned the order (ping-pong) in 127 cases (4.2%)')

The parts live in the modules of this package: ``alignments`` (the aligners),
``precision`` (Align-ETConformance over the state space), ``replay`` (token replay
and precision), ``deviations`` (the deviations in plain words, grouped per kind,
and the per-case table), ``events`` (the units, read from the events),
``parallel`` (the worker processes), ``result`` (``ConformanceResult``,
``Deviation``), ``audit_files`` (the case and deviation tables as CSV or .xlsx for
people) and ``overlay`` (the deviations counted per step, to draw over the workflow).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.choices import CONFORM_METHODS, ConformMethod
from procmine.conform.alignments import MAX_MARKINGS as MAX_MARKINGS
from procmine.conform.alignments import MOVE_COST as MOVE_COST
from procmine.conform.alignments import TAU_COST as TAU_COST
from procmine.conform.alignments import Move as Move
from procmine.conform.alignments import _alignment_table
from procmine.conform.alignments import align_variants as align_variants
from procmine.conform.deviations import (
    _CASE_FACTS,
    _case_table,
    _deviations,
    _find_deviations,
    _same_unit,
    _with_case_facts,
    collapse,
)
from procmine.conform.events import _EventFacts, _scan_events
from procmine.conform.overlay import Overlay as Overlay
from procmine.conform.overlay import deviation_overlay as deviation_overlay
from procmine.conform.replay import _replay_table
from procmine.conform.replay import replay_variants as replay_variants
from procmine.conform.replay import replay_with_firings as replay_with_firings
from procmine.conform.replay import token_precision as token_precision
from procmine.conform.result import ConformanceResult as ConformanceResult
from procmine.conform.result import Deviation as Deviation
from procmine.engines.collector import log_parts
from procmine.errors import InputError, check_choice
from procmine.log import RESOURCE, EventLog

if TYPE_CHECKING:
    from procmine.abstractions import Variants
    from procmine.engines import Engine


# --------------------------------------------------------------------------- entry point


def check_conformance(
    log: EventLog | Engine,
    workflow: Any,
    *,
    method: ConformMethod = "alignments",
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

    The numbers come from the engine's variant table (an EventLog is read through
    the pandas engine, ``procmine.engines.as_engine``), and the units of each
    deviation and the ``distinct_units`` rule from the log in parts of whole cases,
    ``part_events`` events each (default: from the engine's memory limit,
    ``procmine.engines.collector.part_events``): every engine gives the same result,
    and the events are never all in memory.

    >>> from procmine.engines import get_engine
    >>> with get_engine("duckdb", "logs/sample.csv") as engine:
    ...     r = check_conformance(engine, "logs/workflow.yaml", method="tokens", precision=False)
    >>> round(r.fitness, 4), r.conforming_cases
    (0.9982, 2756)
    >>> r.deviations[0].units
    (('城管中队', 23), ('绿化市容所', 18), ('街道管理办', 13))
    """
    from procmine.engines import as_engine

    started = time.perf_counter()
    check_choice("method", method, CONFORM_METHODS)
    model, spec, name = _model_of(workflow)
    engine = as_engine(log)
    vt = engine.variants()
    if vt.of_case.empty:
        raise InputError("the log has no events")
    if spec is not None and spec.names:
        vt = _read_through_aliases(vt, spec)
    traces = list(vt.table["activities"])
    counts = vt.table["cases"].to_numpy(dtype=np.int64)
    total = int(counts.sum())
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    notes: list[str] = []

    per_variant, table, aligned, fitness = _score(
        method, model, traces, counts, jobs=jobs, time_budget=time_budget,
        max_markings=max_markings, notes=notes)
    n_aligned = int(counts[aligned].sum())
    avg = _average_case_fitness(vt.of_case, table["fitness"].to_numpy(), aligned, n_aligned)
    fitting = int(counts[aligned & table["conforming"].to_numpy(dtype=bool)].sum())
    prec = token_precision(model, traces, counts) if precision else None

    found, details, case_devs = _find_deviations(model, traces, counts, per_variant, method)
    rules = [p for p in spec.paths if p.distinct_units and p.steps] if spec is not None else []
    seen = _EventFacts({}, [[] for _ in rules])
    if engine.has(RESOURCE):   # the units: from the events, part by part
        seen = _scan_events(log_parts(engine, part_events), vt.of_case, found, rules, spec)
    devs = _deviations(found, details, seen.units, counts, total, _first_cases(vt.of_case, len(traces)))
    same_unit = _same_unit(rules, seen, total)
    devs.extend(dev for dev, _ in same_unit)
    devs.sort(key=lambda d: (-d.cases, d.kind, d.step, d.other or ""))
    table["deviations"] = ["; ".join(x) for x in case_devs]
    table.loc[~aligned, "deviations"] = "not aligned within the time budget"
    cases_table = _with_case_facts(_case_table(vt.of_case, table, same_unit, total),
                                   engine.cases(columns=("case", *_CASE_FACTS)),
                                   seen.case_units, [collapse(list(t), limit=40) for t in traces])
    not_aligned = int((~aligned).sum())
    aligner = _report_aligner(method, aligned, counts, time_budget, notes)
    return ConformanceResult(
        method=method, fitness=float(fitness), average_case_fitness=avg, precision=prec,
        cases=total, fitting_cases=fitting,
        conforming_cases=int(cases_table["conforming"].astype(bool).sum()), deviations=tuple(devs),
        variants=table, cases_table=cases_table, workflow=name, not_aligned=not_aligned, aligner=aligner,
        notes=tuple(notes), seconds=time.perf_counter() - started)


def _report_aligner(method: str, aligned: np.ndarray, counts: np.ndarray, time_budget: float,
                    notes: list[str]) -> str | None:
    """How the variants were aligned (None for token replay), said in the notes: how many
    exactly, by which aligner, and how many went over the budget."""
    if method != "alignments":
        return None
    not_aligned = int((~aligned).sum())
    aligner = "pm4py A*" if any("pm4py's A*" in n for n in notes) else "state space"
    how = f"pm4py A*, {time_budget:g} s each" if aligner == "pm4py A*" else "over the reachable markings"
    notes.append(f"{int(aligned.sum()):,} of {len(aligned):,} variants aligned exactly ({how})"
                 + (f"; {not_aligned:,} over the budget" if not_aligned else ""))
    if not_aligned:
        notes.append(f"{not_aligned} variants ({int(counts[~aligned].sum())} cases) did not align within "
                     f"{time_budget:g} s each and are left out of fitness")
    return aligner


def _first_cases(of_case: pd.Series, n_variants: int) -> list[str]:
    """The first case of each variant (in the log's case order)."""
    first = pd.Series(of_case.index, index=of_case.to_numpy()).groupby(level=0, sort=False).first()
    return [str(c) for c in first.reindex(range(n_variants)).tolist()]


def _average_case_fitness(of_case: pd.Series, fitness: np.ndarray, aligned: np.ndarray,
                          n_aligned: int) -> float:
    """The mean fitness per case, added up case by case in case-id order, as pm4py's
    ``average_trace_fitness`` adds its traces (so the float sum is pm4py's to the last bit)."""
    if not n_aligned:
        return 0.0
    by_case = of_case.sort_index(kind="stable").to_numpy()
    total = 0.0
    for f in fitness[by_case[aligned[by_case]]].tolist():
        total += f
    return float(total) / float(n_aligned)


def _model_of(workflow: Any) -> tuple[Any, Any, str]:
    """The Petri net to check against, the workflow spec (None for a bare net) and its name."""
    from procmine.workflow import PetriNetModel, Workflow, read_workflow

    if isinstance(workflow, (str, os.PathLike)):
        workflow = read_workflow(workflow)
    if isinstance(workflow, Workflow):
        return workflow.petri_net(), workflow, workflow.name
    if isinstance(workflow, PetriNetModel):
        return workflow, None, "Petri net"
    raise InputError("workflow: expected a Workflow, a PetriNetModel or a path")


def _score(method: str, model: Any, traces: list, counts: np.ndarray, *, jobs: int,
           time_budget: float, max_markings: int, notes: list[str]):
    """Align or replay each variant once: the per-variant results, their table, which
    variants were aligned (within the time budget), and the log's fitness."""
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
        notes.extend(_check_duplicate_labels(model, traces, per_variant, jobs=jobs,
                                             time_budget=time_budget, max_markings=max_markings))
        table = _replay_table(traces, counts, per_variant)
        aligned = np.ones(len(table), dtype=bool)
        tm, tc, tr, tp = ((table[c].to_numpy(dtype=np.int64) * counts).sum()
                          for c in ("missing", "consumed", "remaining", "produced"))
        fitness = (0.5 * (1 - tm / tc) + 0.5 * (1 - tr / tp)) if tc > 0 and tp > 0 else 0.0
        fitness = float(fitness)
    return per_variant, table, aligned, fitness


def _check_duplicate_labels(model: Any, traces: list, per_variant: list, *, jobs: int,
                            time_budget: float, max_markings: int) -> list[str]:
    """With a step on more than one transition, token replay has to guess which one fired
    (pm4py guesses differently from run to run; procmine looks one event ahead, the same
    way every run) and may count a fitting case as deviating. The variants it finds
    unfit are aligned: one that aligns perfectly is blamed for no deviation."""
    labels = [t.label for t in model.net.transitions if t.label is not None]
    twice = sorted({a for a in labels if labels.count(a) > 1})
    if not twice:
        return []
    unfit = [i for i, r in enumerate(per_variant) if not r["fit"]]
    cleared = 0
    if unfit:
        aligned, _ = align_variants(model, [traces[i] for i in unfit], jobs=jobs,
                                    time_budget=time_budget, max_markings=max_markings)
        for i, a in zip(unfit, aligned, strict=True):
            if a is not None and a[0] < MOVE_COST:
                per_variant[i]["fits_by_alignment"] = True
                cleared += 1
    note = (f"the workflow has {', '.join(twice)} on more than one transition: token replay cannot "
            f"tell which one a case took (the fitness numbers are token replay's); "
            f"--method alignments decides it exactly")
    if cleared:
        note += f"; {cleared} variants that token replay counts as unfit align perfectly and are blamed for no deviation"
    return [note]


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
