"""Discovering a model from the variant table (pm4py's miners), and saving it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procmine.choices import ALGORITHMS, Algorithm
from procmine.discover.quality import Quality, _quality
from procmine.discover.traces import _traces
from procmine.errors import OutputError, ProcmineError, SpecError, check_choice
from procmine.files import OUTPUT_SUFFIXES

if TYPE_CHECKING:
    from collections.abc import Iterable

    from procmine.abstractions import Variants
    from procmine.engines import Engine
    from procmine.log import EventLog

MODEL_SUFFIXES = OUTPUT_SUFFIXES["model"]


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
    #: The choice made on a log of many activities (mined on the most frequent), or None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = self._fields()
        return out if self.note is None else {**out, "note": self.note}

    def _fields(self) -> dict[str, Any]:
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


#: A log of more activities than this is by default mined on its DISCOVERY_ACTIVITIES
#: most frequent: on the 398 activities of BPIC15_1 pm4py's inductive miner ran over
#: 5 minutes; on its 50 most frequent the model took 10 s and its precision 6 minutes,
#: on its 30 most frequent 2.5 minutes, on its 20 most frequent 20 s. The 70 activities
#: of BPIC15_1f take about 45 s in all, and are mined as they are.
MANY_ACTIVITIES = 100
DISCOVERY_ACTIVITIES = 20


def discover_model(log: EventLog | Variants | Engine, *, algorithm: Algorithm = "inductive",
                   noise: float = 0.0, dependency: float = 0.5, quality: bool = True,
                   alignments: bool = False, activities: int | None = None) -> Discovery:
    """Discover a process model from the variants of ``log`` and measure its quality.

    ``algorithm``: ``inductive`` (pm4py's IM; IMf when ``noise`` > 0), ``heuristics``
    (``dependency`` threshold), ``alpha``, or ``dfg`` (the directly-follows graph as a
    Petri net). ``quality=False`` skips the replay; ``alignments=True`` measures
    fitness and precision with alignments instead of token replay (slower).
    ``log`` may be a variant table or an open engine: the miners see only variants.
    ``activities``: mine on the traces of the most frequent ``activities`` only (0:
    all); None (the default) is all of them up to :data:`MANY_ACTIVITIES`, and the
    :data:`DISCOVERY_ACTIVITIES` most frequent on a larger log, said in ``note``. Quality is then
    measured on the same traces.

    >>> from procmine.read import read_log
    >>> found = discover_model(read_log("logs/sample.csv"), noise=0.2)
    >>> found.model.n_transitions, round(found.quality.precision, 2)
    (37, 0.85)
    """
    check_choice("algorithm", algorithm, ALGORITHMS)
    if not 0.0 <= noise <= 1.0:
        raise SpecError(f"noise threshold {noise} is outside 0..1", hint="e.g. noise=0.2")
    if noise and algorithm != "inductive":
        raise SpecError(f"noise={noise} applies to the inductive miner, not to {algorithm}",
                        hint="drop noise= or use algorithm='inductive'")
    traces = _traces(log)
    if not traces.counts:
        raise ProcmineError("the log has no events: nothing to discover")
    traces, note = _limited(traces, activities)
    counts = traces.counts
    model = _MINERS[algorithm](counts, noise=noise, dependency=dependency)
    measured = _quality(traces, model, alignments=alignments) if quality else None
    return Discovery(model=model, quality=measured, noise=noise,
                     cases=int(sum(counts.values())), variants=len(counts), note=note)


def _limited(traces: Any, activities: int | None) -> tuple[Any, str | None]:
    """The traces on the most frequent activities, and the note saying so (or None)."""
    from procmine.discover.traces import frequent_activities, project_traces

    if activities is not None and activities < 0:
        raise SpecError(f"--top-activities {activities}: give a number of activities, or 0 "
                        "for all")
    total = len({a for seq in traces.counts for a in seq})
    if activities is None:
        limit = DISCOVERY_ACTIVITIES if total > MANY_ACTIVITIES else 0
    else:
        limit = activities
    if limit == 0 or total <= limit:
        return traces, None
    kept = frequent_activities(traces, limit)
    note = (f"mined on the {limit} most frequent of {total} activities (the others are left "
            f"out of every trace){'' if activities else ' to finish in time'}; choose with "
            "--top-activities N, or 0 for all (slow: minutes on hundreds of activities)")
    return project_traces(traces, set(kept)), note


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


def save_model(model: Model, path: str | Path, *, inputs: Iterable[str] = ()) -> None:
    """Write ``model`` as PNML, BPMN 2.0 or PTML (process tree), chosen by the suffix.

    >>> import os, tempfile
    >>> from procmine.read import read_log
    >>> path = os.path.join(tempfile.mkdtemp(), "model.bpmn")
    >>> save_model(discover_model(read_log("tests/fixtures/orders16.csv")).model, path)
    >>> "definitions" in open(path, encoding="utf-8").read()
    True
    """
    import pm4py

    from procmine.files import atomic_path, output_format

    suffix = output_format(path, "model")
    if suffix == ".ptml" and model.tree is None:
        raise OutputError(f"{path}: only the inductive miner gives a process tree",
                          hint="use .pnml or .bpmn, or algorithm='inductive'")
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
