"""Process discovery on the variant table, the quality of the model found, and process maps.

Every algorithm sees each distinct trace once, with its number of cases; nothing
runs per case. The numbers are those pm4py gives on the full log:

- inductive miner (IM, IMf with ``noise``): pm4py itself reduces a log to the
  same counted variants before mining; we hand it that table directly.
- heuristics and alpha miners: pm4py mines from counts (directly-follows,
  window-2 and triple counts, start and end activities); we compute them once
  per variant, times its count.
- token replay (fitness, generalization), ETConformance precision and
  alignments: replay each variant once and weight its result by its count,
  the sums pm4py forms over cases.

>>> from procmine.io import read_log
>>> found = discover_model(read_log("logs/sample.csv"), noise=0.2)   # doctest: +SKIP
>>> round(found.quality.fitness, 3)                                   # doctest: +SKIP
0.981
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from procmine.abstractions import (
    END_NODE,
    START_NODE,
    Follows,
    Variants,
    cases,
    follows,
    variants,
)
from procmine.errors import OutputError, ProcmineError, SpecError
from procmine.log import ACTIVITY, CASE, LEVEL, RESOURCE, EventLog

if TYPE_CHECKING:
    from collections.abc import Iterable

    from procmine.engines import Engine

Algorithm = Literal["inductive", "heuristics", "alpha", "dfg"]
Method = Literal["token-replay", "alignments"]
Metric = Literal["frequency", "cases", "mean-wait", "median-wait", "p90-wait", "total-wait"]
GroupBy = Literal["unit", "level"]

ALGORITHMS: tuple[str, ...] = ("inductive", "heuristics", "alpha", "dfg")
METRICS: tuple[str, ...] = ("frequency", "cases", "mean-wait", "median-wait", "p90-wait",
                            "total-wait")
MODEL_SUFFIXES = (".pnml", ".bpmn", ".ptml")

# pm4py's replayers show a tqdm progress bar unless told not to.
_QUIET = {"show_progress_bar": False}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Quality:
    """How well a model and a log agree, each measure as pm4py computes it.

    ``fitness`` is pm4py's ``log_fitness`` (token replay: produced, consumed,
    missing and remaining tokens; alignments: 1 - cost / worst cost);
    ``precision`` is ETConformance (token replay) or Align-ETConformance;
    ``generalization`` is pm4py's token-replay generalization; ``simplicity``
    pm4py's arc-degree simplicity. ``fitting_cases`` is the share of cases that
    replay without a problem, ``mean_case_fitness`` the mean fitness per case.
    """

    fitness: float
    precision: float
    generalization: float
    simplicity: float
    fitting_cases: float
    mean_case_fitness: float
    method: Method


@dataclass(frozen=True)
class Model:
    """A discovered model. Always a Petri net (``net``, ``initial_marking``,
    ``final_marking``); also the process ``tree`` (inductive), the ``heuristics_net``
    (heuristics) or the directly-follows ``dfg`` (``{(a, b): count}``) it came from."""

    algorithm: Algorithm
    net: Any
    initial_marking: Any
    final_marking: Any
    tree: Any = None
    heuristics_net: Any = None
    dfg: dict[tuple[str, str], int] | None = None

    @property
    def n_transitions(self) -> int:
        return len(self.net.transitions)

    @property
    def n_places(self) -> int:
        return len(self.net.places)


@dataclass(frozen=True)
class Discovery:
    """The result of :func:`discover_model`: the model, its quality and what it was mined from."""

    model: Model
    quality: Quality | None
    noise: float
    cases: int
    variants: int

    def to_dict(self) -> dict[str, Any]:
        net = self.model.net
        return {
            "algorithm": self.model.algorithm,
            "noise": self.noise,
            "cases": self.cases,
            "variants": self.variants,
            "activities": sorted({t.label for t in net.transitions if t.label is not None}),
            "places": len(net.places),
            "transitions": len(net.transitions),
            "silent_transitions": sum(1 for t in net.transitions if t.label is None),
            "arcs": len(net.arcs),
            "tree": str(self.model.tree) if self.model.tree is not None else None,
            "quality": None if self.quality is None else {
                "method": self.quality.method,
                "fitness": self.quality.fitness,
                "precision": self.quality.precision,
                "generalization": self.quality.generalization,
                "simplicity": self.quality.simplicity,
                "fitting_cases": self.quality.fitting_cases,
                "mean_case_fitness": self.quality.mean_case_fitness,
            },
        }


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class _Traces:
    """The variants as pm4py meets them in a DataFrame sorted by case id.

    ``counts`` keeps each variant where its first case (in case-id order) comes;
    ``of_case`` is the position in ``counts`` of every case, in case-id order.
    pm4py sums per-case results in that order, so we do too (equal to the last bit).
    """

    counts: Counter
    of_case: np.ndarray

    @property
    def weights(self) -> list[int]:
        return list(self.counts.values())


def _traces(log: EventLog | Variants | Engine) -> _Traces:
    from procmine.engines import is_engine

    if is_engine(log):
        table = log.variants()
    else:
        table = log if isinstance(log, Variants) else variants(log)
    if len(table) == 0:
        return _Traces(Counter(), np.zeros(0, dtype=np.int64))
    by_case = table.of_case.sort_index(kind="stable").to_numpy()
    order = pd.unique(by_case)
    position = np.empty(len(table), dtype=np.int64)
    position[order] = np.arange(len(order))
    sequences = table.table["activities"].to_numpy()
    counts = table.table["cases"].to_numpy()
    # variant ids are row positions in the table (variant 0 is row 0)
    return _Traces(Counter({tuple(sequences[i]): int(counts[i]) for i in order}),
                   position[by_case])


def trace_counts(log: EventLog | Variants) -> Counter:
    """``Counter({activity tuple: cases})`` in the order pm4py builds it from a DataFrame.

    pm4py's inductive miner sorts the events by case id, then keeps each variant
    where its first case (in that order) appears; we give it the same order so
    that even ties inside the miner break the same way.

    >>> from procmine.io import read_log
    >>> trace_counts(read_log("logs/sample.csv")).most_common(1)   # doctest: +SKIP
    [(('上报', '立案', '派遣', '处置', '核查', '结案'), 1523)]
    """
    return _traces(log).counts


def _variant_log(counts: Counter):
    """A pm4py EventLog with one trace per variant (the order of ``counts``)."""
    from pm4py.objects.log.obj import Event, EventLog, Trace

    return EventLog([Trace([Event({ACTIVITY: a}) for a in seq]) for seq in counts])


# --------------------------------------------------------------------------- discovery


def discover_model(log: EventLog | Variants | Engine, *, algorithm: Algorithm = "inductive",
                   noise: float = 0.0, dependency: float = 0.5, quality: bool = True,
                   alignments: bool = False) -> Discovery:
    """Discover a process model from the variants of ``log`` and measure its quality.

    ``algorithm``: ``inductive`` (pm4py's IM; IMf when ``noise`` > 0), ``heuristics``
    (``dependency`` threshold), ``alpha``, or ``dfg`` (the directly-follows graph as a
    Petri net). ``quality=False`` skips the replay; ``alignments=True`` measures
    fitness and precision with alignments instead of token replay (slower).
    ``log`` may be a variant table or an open engine: the miners see only variants.

    >>> from procmine.io import read_log
    >>> found = discover_model(read_log("logs/sample.csv"), noise=0.2)   # doctest: +SKIP
    >>> found.model.n_transitions, round(found.quality.precision, 2)     # doctest: +SKIP
    (14, 0.87)
    """
    if algorithm not in ALGORITHMS:
        raise SpecError(f"unknown algorithm {algorithm!r}",
                        hint="choose one of " + ", ".join(ALGORITHMS))
    if not 0.0 <= noise <= 1.0:
        raise SpecError(f"noise threshold {noise} is outside 0..1", hint="e.g. --noise 0.2")
    if noise and algorithm != "inductive":
        raise SpecError(f"--noise applies to the inductive miner, not to {algorithm}",
                        hint="drop --noise or use --algorithm inductive")
    traces = _traces(log)
    counts = traces.counts
    if not counts:
        raise ProcmineError("the log has no events: nothing to discover")
    model = _MINERS[algorithm](counts, noise=noise, dependency=dependency)
    measured = _quality(traces, model, alignments=alignments) if quality else None
    return Discovery(model=model, quality=measured, noise=noise,
                     cases=int(sum(counts.values())), variants=len(counts))


def _inductive(counts: Counter, *, noise: float, dependency: float) -> Model:
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.convert import convert_to_petri_net
    from pm4py.objects.process_tree.utils import generic as tree_util

    # the parameters pm4py.discover_process_tree_inductive passes
    parameters = {"noise_threshold": noise, "multiprocessing": False,
                  "disable_fallthroughs": False}
    miner = IMFUVCL(parameters) if noise > 0 else IMUVCL(parameters)
    tree = miner.apply(IMDataStructureUVCL(counts), parameters)
    tree = tree_util.fold(tree)
    tree_util.tree_sort(tree)
    net, im, fm = convert_to_petri_net(tree)
    return Model("inductive", net, im, fm, tree=tree)


def _weighted_relations(counts: Counter) -> dict[str, Counter]:
    """Directly-follows, window-2, triples, activity, start and end counts of the variants."""
    dfg, window2, triples, acts, starts, ends = (Counter() for _ in range(6))
    for seq, n in counts.items():
        if not seq:
            continue
        starts[seq[0]] += n
        ends[seq[-1]] += n
        for a in seq:
            acts[a] += n
        for a, b in zip(seq, seq[1:], strict=False):
            dfg[(a, b)] += n
        for a, c in zip(seq, seq[2:], strict=False):
            window2[(a, c)] += n
        for t in zip(seq, seq[1:], seq[2:], strict=False):
            triples[t] += n
    return {"dfg": dfg, "window2": window2, "triples": triples, "activities": acts,
            "starts": starts, "ends": ends}


def _heuristics(counts: Counter, *, noise: float, dependency: float) -> Model:
    from pm4py.algo.discovery.heuristics.variants import classic as heuristics
    from pm4py.convert import convert_to_petri_net

    rel = _weighted_relations(counts)
    p = heuristics.Parameters
    # the defaults pm4py.discover_petri_net_heuristics uses, dependency aside
    parameters = {p.DEPENDENCY_THRESH: dependency, p.AND_MEASURE_THRESH: 0.65,
                  p.LOOP_LENGTH_TWO_THRESH: 0.5, p.MIN_ACT_COUNT: 1, p.MIN_DFG_OCCURRENCES: 1}
    activities = dict(sorted(rel["activities"].items()))
    heu = heuristics.apply_heu_dfg(
        dict(rel["dfg"]), activities=list(activities), activities_occurrences=activities,
        start_activities=dict(rel["starts"]), end_activities=dict(rel["ends"]),
        dfg_window_2=dict(rel["window2"]), freq_triples=dict(rel["triples"]),
        parameters=parameters)
    net, im, fm = convert_to_petri_net(heu)
    return Model("heuristics", net, im, fm, heuristics_net=heu, dfg=dict(rel["dfg"]))


def _alpha(counts: Counter, *, noise: float, dependency: float) -> Model:
    from pm4py.algo.discovery.alpha.variants import classic as alpha

    rel = _weighted_relations(counts)
    net, im, fm = alpha.apply_dfg_sa_ea(dict(rel["dfg"]), dict(rel["starts"]), dict(rel["ends"]))
    return Model("alpha", net, im, fm, dfg=dict(rel["dfg"]))


def _dfg(counts: Counter, *, noise: float, dependency: float) -> Model:
    from pm4py.convert import convert_to_petri_net

    rel = _weighted_relations(counts)
    net, im, fm = convert_to_petri_net(dict(rel["dfg"]), dict(rel["starts"]), dict(rel["ends"]))
    return Model("dfg", net, im, fm, dfg=dict(rel["dfg"]))


_MINERS = {"inductive": _inductive, "heuristics": _heuristics, "alpha": _alpha, "dfg": _dfg}


# --------------------------------------------------------------------------- quality


def measure_quality(log: EventLog | Variants, model: Model, *,
                    alignments: bool = False) -> Quality:
    """Fitness, precision, generalization and simplicity of ``model`` on ``log``.

    Each variant is replayed once and weighted by its number of cases, which gives
    pm4py's numbers for the full log (``fitness_token_based_replay``,
    ``precision_token_based_replay``, ``generalization_tbr``,
    ``simplicity_petri_net``; with ``alignments=True`` ``fitness_alignments`` and
    ``precision_alignments``).

    >>> from procmine.io import read_log
    >>> log = read_log("logs/sample.csv")                          # doctest: +SKIP
    >>> found = discover_model(log, quality=False)                  # doctest: +SKIP
    >>> measure_quality(log, found.model).fitness                   # doctest: +SKIP
    1.0
    """
    return _quality(_traces(log), model, alignments=alignments)


def _quality(traces: _Traces, model: Model, *, alignments: bool) -> Quality:
    import pm4py

    counts = traces.counts
    net, im, fm = model.net, model.initial_marking, model.final_marking
    replay = _token_replay(counts, net, im, fm)
    generalization = _generalization(traces, net, replay)
    if alignments:
        _require_easy_sound(net, im, fm)
        fit = _alignment_fitness(traces, net, im, fm)
        precision = _precision(counts, net, im, fm, alignments=True)
    else:
        fit = _token_fitness(traces, replay)
        precision = _precision(counts, net, im, fm, alignments=False)
    return Quality(
        fitness=fit["log_fitness"],
        precision=precision,
        generalization=generalization,
        simplicity=float(pm4py.simplicity_petri_net(net, im, fm)),
        fitting_cases=fit["perc_fit_traces"] / 100.0,
        mean_case_fitness=fit["average_trace_fitness"],
        method="alignments" if alignments else "token-replay",
    )


def _token_replay(counts: Counter, net, im, fm) -> list[dict]:
    """pm4py's token replay of each variant once, with the parameters its fitness uses."""
    from pm4py.algo.conformance.tokenreplay.variants import token_replay

    p = token_replay.Parameters
    parameters = {p.ACTIVITY_KEY: ACTIVITY, p.CONSIDER_REMAINING_IN_FITNESS: True,
                  p.CLEANING_TOKEN_FLOOD: False, p.SHOW_PROGRESS_BAR: False}
    return token_replay.apply(_variant_log(counts), net, im, fm, parameters=parameters)


def _per_case_sum(traces: _Traces, values: list[float]) -> float:
    """Sum one value per case in case-id order, as pm4py's ``sum`` over its traces does."""
    return sum([values[i] for i in traces.of_case.tolist()])


def _token_fitness(traces: _Traces, replay: list[dict]) -> dict[str, float]:
    """pm4py's replay_fitness token-based ``evaluate``, each variant weighted by its cases."""
    pairs = list(zip(traces.weights, replay, strict=True))
    n = len(traces.of_case)
    fit = sum(w for w, r in pairs if r["trace_is_fit"])
    m = sum(w * r["missing_tokens"] for w, r in pairs)
    c = sum(w * r["consumed_tokens"] for w, r in pairs)
    rem = sum(w * r["remaining_tokens"] for w, r in pairs)
    p = sum(w * r["produced_tokens"] for w, r in pairs)
    result = {"perc_fit_traces": 0.0, "average_trace_fitness": 0.0, "log_fitness": 0.0}
    if n > 0 and c > 0 and p > 0:
        result["perc_fit_traces"] = float(100.0 * fit) / float(n)
        result["average_trace_fitness"] = float(
            _per_case_sum(traces, [r["trace_fitness"] for r in replay])) / float(n)
        result["log_fitness"] = 0.5 * (1 - m / c) + 0.5 * (1 - rem / p)
    return result


def _generalization(traces: _Traces, net, replay: list[dict]) -> float:
    """pm4py's token-based generalization: 1 - mean of 1/sqrt(firings) over transitions.

    Variants come in the order of their first case, so transitions enter the
    count in the order pm4py meets them and the float sum is the same.
    """
    fired: Counter = Counter()
    for w, r in zip(traces.weights, replay, strict=True):
        for t in r["activated_transitions"]:
            fired[t] += w
    total = 0.0
    for n in fired.values():
        total = total + 1.0 / math.sqrt(n)
    for t in net.transitions:
        if t not in fired:
            total = total + 1
    if not net.transitions:
        return 1.0
    return 1.0 - total / float(len(net.transitions))


def _alignment_fitness(traces: _Traces, net, im, fm) -> dict[str, float]:
    """pm4py's alignment-based fitness ``evaluate``, each variant aligned once and weighted."""
    from pm4py.algo.conformance.alignments.petri_net import algorithm as align

    aligned = align.apply(_variant_log(traces.counts), net, im, fm, parameters=dict(_QUIET))
    pairs = [(w, a) for w, a in zip(traces.weights, aligned, strict=True) if a is not None]
    n = sum(traces.weights[i] for i in range(len(aligned)) if aligned[i] is not None)
    if n == 0:
        return {"perc_fit_traces": 0.0, "average_trace_fitness": 0.0, "log_fitness": 0.0}
    fit = sum(w for w, a in pairs if a["fitness"] == 1.0)
    cost = sum(w * a["cost"] for w, a in pairs)
    bwc = sum(w * a["bwc"] for w, a in pairs)
    fitness_sum = _per_case_sum(traces, [0.0 if a is None else a["fitness"] for a in aligned])
    return {"perc_fit_traces": (100.0 * float(fit)) / float(n),
            "average_trace_fitness": float(fitness_sum) / float(n),
            "log_fitness": 1.0 - (float(cost) / float(bwc) if bwc > 0 else 0.0)}


def _require_easy_sound(net, im, fm) -> None:
    from pm4py.objects.petri_net.utils import check_soundness as soundness

    if not soundness.check_easy_soundness_net_in_fin_marking(net, im, fm):
        raise ProcmineError("alignments need a model that can reach its final marking "
                            "(an easy-sound net); this one cannot",
                            hint="use token replay (drop --alignments) or --algorithm inductive")


def _prefixes(counts: Counter) -> tuple[dict[str, set[str]], Counter]:
    """pm4py's log prefixes (precision utils), each variant counted by its cases."""
    from pm4py.util import constants

    sep = constants.DEFAULT_VARIANT_SEP
    prefixes: dict[str, set[str]] = {}
    prefix_count: Counter = Counter()
    for seq, n in counts.items():
        for i in range(1, len(seq)):
            prefix = sep.join(seq[:i])
            prefixes.setdefault(prefix, set()).add(seq[i])
            prefix_count[prefix] += n
    return prefixes, prefix_count


def _precision(counts: Counter, net, im, fm, *, alignments: bool) -> float:
    """ETConformance (token replay) or Align-ETConformance precision, as pm4py computes it,
    with each prefix counted by the cases of the variants that share it."""
    from pm4py.algo.evaluation.precision import utils as precision_utils
    from pm4py.objects.petri_net.utils.align_utils import (
        get_visible_transitions_eventually_enabled_by_marking as eventually_enabled,
    )

    prefixes, prefix_count = _prefixes(counts)
    keys = list(prefixes)
    fake_log = precision_utils.form_fake_log(keys, activity_key=ACTIVITY)
    sum_at = 0
    sum_ee = 0
    if alignments:
        from pm4py.algo.evaluation.precision.variants import align_etconformance as aetc

        stops = aetc.align_fake_log_stop_marking(fake_log, net, im, fm, parameters=dict(_QUIET))
        markings = aetc.transform_markings_from_sync_to_original_net(stops, net)
        for key, marks in zip(keys, markings, strict=True):
            if marks is None:
                continue
            enabled: set[str] = set()
            for m in marks:
                enabled |= {t.label for t in eventually_enabled(net, m) if t.label is not None}
            sum_at += len(enabled) * prefix_count[key]
            sum_ee += len(enabled - prefixes[key]) * prefix_count[key]
    else:
        from pm4py.algo.conformance.tokenreplay.variants import token_replay

        p = token_replay.Parameters
        parameters = {p.SHOW_PROGRESS_BAR: False, p.CONSIDER_REMAINING_IN_FITNESS: False,
                      p.TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN: False,
                      p.STOP_IMMEDIATELY_UNFIT: True, p.WALK_THROUGH_HIDDEN_TRANS: True,
                      p.CLEANING_TOKEN_FLOOD: False, p.ACTIVITY_KEY: ACTIVITY}
        replayed = token_replay.apply(fake_log, net, im, fm, parameters=parameters)
        for key, r in zip(keys, replayed, strict=True):
            if r["trace_is_fit"]:
                enabled = {t.label for t in r["enabled_transitions_in_marking"]
                           if t.label is not None}
                sum_at += len(enabled) * prefix_count[key]
                sum_ee += len(enabled - prefixes[key]) * prefix_count[key]
    # the empty prefix, counted once per case (pm4py's "fix")
    starts = {seq[0] for seq in counts if seq}
    at_start = {t.label for t in eventually_enabled(net, im)}
    n_cases = sum(counts.values())
    sum_at += n_cases * len(at_start)
    sum_ee += n_cases * len(at_start - starts)
    return 1 - float(sum_ee) / float(sum_at) if sum_at > 0 else 1.0


# --------------------------------------------------------------------------- saving


def save_model(model: Model, path: str | Path, *, inputs: Iterable[str] = ()) -> None:
    """Write ``model`` as PNML, BPMN 2.0 or PTML (process tree), chosen by the suffix.

    >>> save_model(discover_model(log).model, "model.bpmn")       # doctest: +SKIP
    """
    import pm4py

    from procmine.files import atomic_path

    suffix = Path(path).suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise OutputError(f"{path}: cannot tell the model format from the suffix {suffix!r}",
                          hint="use .pnml, .bpmn or .ptml")
    if suffix == ".ptml" and model.tree is None:
        raise OutputError(f"{path}: only the inductive miner gives a process tree",
                          hint="use .pnml or .bpmn, or --algorithm inductive")
    with atomic_path(path, inputs=inputs) as tmp:
        if suffix == ".pnml":
            pm4py.write_pnml(model.net, model.initial_marking, model.final_marking, tmp)
        elif suffix == ".ptml":
            pm4py.write_ptml(model.tree, tmp)
        else:
            pm4py.write_bpmn(to_bpmn(model), tmp)


def to_bpmn(model: Model):
    """The model as a pm4py BPMN graph (from the process tree where there is one)."""
    import pm4py

    if model.tree is not None:
        return pm4py.convert_to_bpmn(model.tree)
    return pm4py.convert_to_bpmn(model.net, model.initial_marking, model.final_marking)


# --------------------------------------------------------------------------- variants table


@dataclass(frozen=True)
class VariantSummary:
    """The variants of a log with their counts and case durations.

    ``table`` columns: ``variant`` (0 = most frequent), ``cases``, ``share``,
    ``cumulative`` (share of cases in this and all more frequent variants),
    ``median_duration`` (seconds, first to last event), ``length`` (events) and
    ``activities`` (the sequence joined by `` → ``).
    """

    table: pd.DataFrame
    cases: int
    variants: int


def variant_summary(log: EventLog | Engine, *, top: int | None = None) -> VariantSummary:
    """Each variant of ``log`` with count, share, cumulative share and median case duration.

    ``log`` may be an open engine (:mod:`procmine.engines`).

    >>> from procmine.io import read_log
    >>> s = variant_summary(read_log("logs/sample.csv"), top=3)    # doctest: +SKIP
    >>> s.table.columns.tolist()[:4]                                # doctest: +SKIP
    ['variant', 'cases', 'share', 'cumulative']
    """
    if top is not None and top < 1:
        raise SpecError(f"--top {top}: give a positive number of variants")
    from procmine.engines import is_engine

    if is_engine(log):
        v, per_case = log.variants(), log.cases()
    else:
        v = variants(log)
        per_case = cases(log, variants_of=v)
    median = per_case.groupby("variant")["duration"].median()
    table = v.table
    total = int(table["cases"].sum()) if len(table) else 0
    out = pd.DataFrame({
        "variant": table["variant"].astype(int),
        "cases": table["cases"].astype(int),
        "share": table["share"].astype(float),
        "cumulative": table["cases"].cumsum() / total if total else table["share"],
        "median_duration": table["variant"].map(median).astype(float),
        "length": table["length"].astype(int),
        "activities": [" → ".join(map(str, a)) for a in table["activities"]],
    })
    if top is not None:
        out = out.head(top)
    return VariantSummary(out.reset_index(drop=True), total, len(table))


# --------------------------------------------------------------------------- process map


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

    @property
    def paths_shown(self) -> int:
        """Paths between two activities on the map (start and end arrows aside)."""
        return int(((self.edges["source"] != START_NODE) & (self.edges["target"] != END_NODE)).sum())

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "by": self.by, "cases": self.cases, "events": self.events,
                "activities": {"shown": len(self.nodes), "total": self.activities_total},
                "paths": {"shown": self.paths_shown, "total": self.paths_total},
                "nodes": self.nodes, "edges": self.edges}


_METRIC_COLUMN = {"frequency": "count", "cases": "cases", "mean-wait": "mean",
                  "median-wait": "median", "p90-wait": "p90", "total-wait": "total"}


def discover_map(log: EventLog | Engine, *, metric: Metric = "frequency",
                 activities: float = 100.0, paths: float = 100.0, by: GroupBy | None = None,
                 durations: np.ndarray | None = None, flows: Follows | None = None) -> ProcessMap:
    """The process map of ``log``: nodes, edges and the numbers to draw on them.

    ``activities`` and ``paths`` (percent) keep the most frequent activities and
    paths while every kept activity stays on a path from start to end (pm4py's
    DFG filters). ``by`` colours nodes by their most frequent ``unit``
    (org:resource) or ``level`` (org:level). ``durations`` (seconds per event
    since the previous one, e.g. working time) replaces clock time; or give
    ``flows``, the directly-follows table to draw (e.g.
    :func:`procmine.bottlenecks.transition_waits`). ``log`` may be an open
    engine (:mod:`procmine.engines`): the map is then drawn from its tables.

    >>> from procmine.io import read_log
    >>> m = discover_map(read_log("logs/sample.csv"), metric="median-wait")   # doctest: +SKIP
    >>> m.edges.columns.tolist()[:3]                                          # doctest: +SKIP
    ['source', 'target', 'count']
    """
    from procmine.engines import is_engine

    if metric not in METRICS:
        raise SpecError(f"unknown metric {metric!r}", hint="choose one of " + ", ".join(METRICS))
    for name, pct in (("--activities", activities), ("--paths", paths)):
        if not 0 <= pct <= 100:
            raise SpecError(f"{name} {pct}: give a percentage between 0 and 100")
    column = {"unit": RESOURCE, "level": LEVEL}.get(by) if by else None
    if by is not None and column is None:
        raise SpecError(f"--by {by!r}: choose unit or level")
    if column is not None and not log.has(column):
        raise SpecError(f"--by {by}: the log has no {column} column",
                        hint="map it with --resource/--level when reading the log")
    if is_engine(log):
        if durations is not None:
            raise SpecError("durations per event need a log in memory; give flows instead")
        totals = log.totals()
        n_cases, n_events = totals.cases, totals.events
        nodes = log.activities()
        flows = flows if flows is not None else log.follows()
        counts = log.group_counts(column) if column is not None else None
        levels = log.levels
    else:
        n_cases, n_events = log.n_cases, log.n_events
        if n_events == 0:
            raise ProcmineError("the log has no events: nothing to map")
        nodes = _node_table(log)
        flows = flows if flows is not None else follows(log, durations=durations)
        counts = _group_counts(log.events, column) if column is not None else None
        levels = log.levels
    all_edges = flows.table
    starts, ends = dict(flows.starts), dict(flows.ends)
    activities_total, paths_total = len(nodes), len(all_edges)
    if activities < 100 or paths < 100:
        kept_nodes, kept_pairs, starts, ends = _filter(nodes, all_edges, starts, ends,
                                                       activities / 100.0, paths / 100.0)
        nodes = nodes[nodes["activity"].isin(kept_nodes)]
        pairs = zip(all_edges["source"], all_edges["target"], strict=True)
        all_edges = all_edges[np.array([p in kept_pairs for p in pairs], dtype=bool)]
    groups: tuple[str, ...] = ()
    if counts is not None:
        nodes = nodes.assign(group=nodes["activity"].map(_main_group(counts)))
        present = set(nodes["group"].dropna().astype(str))
        if by == "level":
            ranked = [lv for lv in levels if lv in present]
            groups = tuple(ranked + sorted(present - set(ranked)))
        else:
            sizes = counts.groupby("value")["n"].sum()
            groups = tuple(sorted(present, key=lambda u: (-int(sizes.get(u, 0)), u)))
    else:
        nodes = nodes.assign(group=None)
    edges = pd.concat([
        pd.DataFrame({"source": START_NODE, "target": list(starts),
                      "count": list(starts.values()), "cases": list(starts.values())}),
        all_edges[["source", "target", "count", "cases", "mean", "median", "p90", "total"]],
        pd.DataFrame({"source": list(ends), "target": END_NODE,
                      "count": list(ends.values()), "cases": list(ends.values())}),
    ], ignore_index=True)
    edges = edges.sort_values(["source", "target"], kind="stable").reset_index(drop=True)
    edges["value"] = edges[_METRIC_COLUMN[metric]]
    nodes = nodes.sort_values(["count", "activity"], ascending=[False, True], kind="stable")
    node_value = "cases" if metric == "cases" else "count"
    nodes = nodes.assign(value=nodes[node_value]).reset_index(drop=True)
    return ProcessMap(nodes=nodes, edges=edges, metric=metric, by=by,
                      cases=n_cases, events=n_events,
                      activities_total=activities_total, paths_total=paths_total,
                      groups=groups)


def _node_table(log: EventLog) -> pd.DataFrame:
    """Events and distinct cases per activity."""
    events = log.events
    act_codes, names = pd.factorize(events[ACTIVITY], sort=True)
    case_codes, _ = pd.factorize(events[CASE], sort=False)
    n_act = len(names)
    count = np.bincount(act_codes, minlength=n_act)
    pair = np.unique(case_codes.astype(np.int64) * n_act + act_codes)
    cases_with = np.bincount(pair % n_act, minlength=n_act)
    return pd.DataFrame({"activity": np.asarray(names, dtype=object), "count": count,
                         "cases": cases_with})


def _group_counts(events: pd.DataFrame, column: str) -> pd.DataFrame:
    """Events per (activity, value of ``column``): ``activity``, ``value``, ``n``."""
    if column not in events.columns:
        return pd.DataFrame({"activity": [], "value": [], "n": []})
    sizes = (events[[ACTIVITY, column]].dropna()
             .groupby([ACTIVITY, column], sort=True, observed=True).size())
    return pd.DataFrame({"activity": sizes.index.get_level_values(0).astype(str),
                         "value": sizes.index.get_level_values(1).astype(str),
                         "n": sizes.to_numpy(dtype=np.int64)})


def _main_group(counts: pd.DataFrame) -> dict[str, str]:
    """The most frequent value per activity (ties: the first by name) of ``_group_counts``."""
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
