"""procmine.discover: discovery and quality on the variant table equal pm4py on the full log."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from procmine.abstractions import END_NODE, START_NODE
from procmine.discover import (
    Discovery,
    discover_map,
    discover_model,
    measure_quality,
    save_model,
    trace_counts,
    variant_summary,
)
from procmine.errors import ChoiceError, OutputError, ProcmineError, SpecError
from procmine.log import ACTIVITY, CASE
from procmine.read import read_log

pm4py = pytest.importorskip("pm4py")
warnings.filterwarnings("ignore", module="pm4py")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL = FIXTURES / "map_small.csv"


@pytest.fixture(scope="module")
def small():
    return read_log(SMALL)


@pytest.fixture(scope="module")
def receipt():
    from conftest import real_path

    return read_log(real_path("receipt.csv"))


@pytest.fixture(scope="module")
def running_example():
    from conftest import real_path

    return read_log(real_path("running-example.xes"))


def _pm4py_quality(df, net, im, fm, *, alignments=False):
    if alignments:
        fit = pm4py.fitness_alignments(df, net, im, fm, multi_processing=False)
        prec = pm4py.precision_alignments(df, net, im, fm, multi_processing=False)
    else:
        fit = pm4py.fitness_token_based_replay(df, net, im, fm)
        prec = pm4py.precision_token_based_replay(df, net, im, fm)
    return fit, prec


# --------------------------------------------------------------------------- inductive


def test_inductive_on_receipt_equals_pm4py(receipt):
    """The acceptance check: same IMf model, same fitness, precision, generalization."""
    df = receipt.events
    found = discover_model(receipt, noise=0.2)
    tree = pm4py.discover_process_tree_inductive(df, noise_threshold=0.2)
    assert str(found.model.tree) == str(tree)
    net, im, fm = pm4py.discover_petri_net_inductive(df, noise_threshold=0.2)
    assert found.model.n_transitions == len(net.transitions)
    assert found.model.n_places == len(net.places)
    # quality of our net, measured by pm4py on all 8,577 events
    m = found.model
    fit, prec = _pm4py_quality(df, m.net, m.initial_marking, m.final_marking)
    q = found.quality
    assert q.method == "token-replay"
    assert q.fitness == fit["log_fitness"]
    assert q.precision == prec
    assert q.mean_case_fitness == fit["average_trace_fitness"]
    assert q.fitting_cases == pytest.approx(fit["perc_fit_traces"] / 100, abs=1e-12)
    assert q.generalization == pm4py.generalization_tbr(df, m.net, m.initial_marking,
                                                        m.final_marking)
    assert q.simplicity == pm4py.simplicity_petri_net(m.net, m.initial_marking, m.final_marking)
    # and the numbers are not trivial: IMf 0.2 lets some cases deviate
    assert 0.9 < q.fitness < 1.0 and 0.0 < q.precision < 0.5


@pytest.mark.parametrize("algorithm, noise", [("inductive", 0.2), ("heuristics", 0.0)])
def test_token_replay_quality_on_the_sample_log_equals_pm4py(algorithm, noise):
    """procmine's memoised replay of the variants gives pm4py's token-replay fitness,
    per-case fitness and generalization (which counts every firing, silent ones too)."""
    log = read_log(Path(__file__).resolve().parent.parent / "logs" / "sample.csv")
    found = discover_model(log, algorithm=algorithm, noise=noise)
    m, q = found.model, found.quality
    df = log.events
    fit = pm4py.fitness_token_based_replay(df, m.net, m.initial_marking, m.final_marking)
    assert q.fitness == fit["log_fitness"]
    assert q.mean_case_fitness == fit["average_trace_fitness"]
    assert q.fitting_cases == pytest.approx(fit["perc_fit_traces"] / 100, abs=1e-12)
    assert q.generalization == pm4py.generalization_tbr(df, m.net, m.initial_marking,
                                                        m.final_marking)
    assert q.fitness < 1.0     # some cases deviate: missing and remaining tokens count


def test_inductive_sees_each_variant_once_with_its_count(receipt):
    counts = trace_counts(receipt)
    assert sum(counts.values()) == receipt.n_cases == 1434
    assert counts == pm4py.get_variants(receipt.events)
    assert len(counts) == len(pm4py.get_variants(receipt.events))


def test_bpic15_variant_table_is_what_pm4py_mines(real):
    """pm4py's inductive miner reduces a DataFrame to counted variants (in case-id order)
    before mining; ours hands it the same table, in the same order, so the model is the same."""
    from pm4py.util.compression import util as comut

    log = read_log(real("BPIC15_1.xes.gz"))
    ours = trace_counts(log)
    theirs = comut.get_variants(comut.project_univariate(
        log.events, key=ACTIVITY, df_glue=CASE, df_sorting_criterion_key="time:timestamp"))
    assert list(ours.items()) == list(theirs.items())
    assert len(ours) == 1170 and sum(ours.values()) == 1199


@pytest.mark.slow
def test_bpic15_filtered_inductive_equals_pm4py(real):
    """The acceptance check on BPI Challenge 2015 (municipality 1, the 70-activity
    benchmark filter BPIC15_1f: 902 cases, 21,656 events), about 45 s.

    On the unfiltered BPIC15_1 (398 activities) pm4py's own inductive miner, and
    its replay of heuristics, alpha and DFG nets, each run for more than ten
    minutes; there the test above checks that the miner's input is identical.
    """
    log = read_log(real("BPIC15_1f.xes.gz"))
    df = log.events
    found = discover_model(log, noise=0.2)
    assert str(found.model.tree) == str(pm4py.discover_process_tree_inductive(
        df, noise_threshold=0.2))
    m = found.model
    fit, prec = _pm4py_quality(df, m.net, m.initial_marking, m.final_marking)
    assert found.quality.fitness == fit["log_fitness"]
    assert found.quality.precision == prec
    assert found.quality.generalization == pm4py.generalization_tbr(
        df, m.net, m.initial_marking, m.final_marking)


# --------------------------------------------------------------------------- other miners


@pytest.mark.parametrize("algorithm", ["heuristics", "alpha", "dfg"])
def test_other_miners_equal_pm4py(running_example, algorithm):
    df = running_example.events
    found = discover_model(running_example, algorithm=algorithm)
    if algorithm == "heuristics":
        net, im, fm = pm4py.discover_petri_net_heuristics(df)
    elif algorithm == "alpha":
        net, im, fm = pm4py.discover_petri_net_alpha(df)
    else:
        net, im, fm = pm4py.convert_to_petri_net(*pm4py.discover_dfg(df))
    model = found.model
    labels = sorted(t.label for t in net.transitions if t.label)
    assert sorted(t.label for t in model.net.transitions if t.label) == labels
    assert (len(model.net.places), len(model.net.arcs)) == (len(net.places), len(net.arcs))
    fit, prec = _pm4py_quality(df, model.net, model.initial_marking, model.final_marking)
    assert found.quality.fitness == fit["log_fitness"]
    assert found.quality.precision == prec


def test_heuristics_on_receipt_equals_pm4py(receipt):
    df = receipt.events
    found = discover_model(receipt, algorithm="heuristics", dependency=0.5)
    net, im, fm = pm4py.discover_petri_net_heuristics(df, dependency_threshold=0.5)
    assert (len(net.places), len(net.transitions), len(net.arcs)) == (
        found.model.n_places, found.model.n_transitions, len(found.model.net.arcs))
    m = found.model
    fit, prec = _pm4py_quality(df, m.net, m.initial_marking, m.final_marking)
    assert (found.quality.fitness, found.quality.precision) == (fit["log_fitness"], prec)


def test_alignments_equal_pm4py(real):
    log = read_log(real("roadtraffic100traces.csv"))
    found = discover_model(log, noise=0.2, alignments=True)
    m = found.model
    fit, prec = _pm4py_quality(log.events, m.net, m.initial_marking, m.final_marking,
                               alignments=True)
    assert found.quality.method == "alignments"
    assert found.quality.fitness == fit["log_fitness"]
    assert found.quality.mean_case_fitness == fit["average_trace_fitness"]
    assert found.quality.precision == prec


def test_quality_of_a_model_on_another_log(small, running_example):
    """measure_quality replays any log on a given model; a log of other activities fits badly."""
    model = discover_model(small, quality=False).model
    assert discover_model(small, quality=False).quality is None
    own = measure_quality(small, model)
    other = measure_quality(running_example, model)
    assert own.fitness == 1.0 and own.fitting_cases == 1.0
    assert other.fitness < 0.5 and other.fitting_cases == 0.0


def test_discovery_result_is_frozen_and_summarised(small):
    found = discover_model(small)
    assert isinstance(found, Discovery)
    with pytest.raises(AttributeError):
        found.noise = 0.5  # type: ignore[misc]
    d = found.to_dict()
    assert d["activities"] == sorted(["上报", "派遣", "处置", "结案", "退单"])
    assert d["cases"] == 4 and d["variants"] == 2
    assert d["quality"]["fitness"] == 1.0


# --------------------------------------------------------------------------- errors and saving


def test_bad_choices_say_what_to_do(small):
    with pytest.raises(SpecError, match="noise.*inductive"):
        discover_model(small, algorithm="heuristics", noise=0.2)
    with pytest.raises(SpecError, match="outside 0..1"):
        discover_model(small, noise=1.5)
    with pytest.raises(ChoiceError, match="algorithm='genetic': not a choice"):
        discover_model(small, algorithm="genetic")  # type: ignore[arg-type]


def test_alignments_refuse_a_net_that_cannot_finish(small):
    """A net whose final marking cannot be reached: alignments make no sense, say so."""
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    from procmine.discover import Model

    net = PetriNet("stuck")
    start, middle, unreachable = (PetriNet.Place(n) for n in ("start", "middle", "unreachable"))
    report = PetriNet.Transition("t1", "上报")
    for x in (start, middle, unreachable):
        net.places.add(x)
    net.transitions.add(report)
    petri_utils.add_arc_from_to(start, report, net)
    petri_utils.add_arc_from_to(report, middle, net)
    model = Model("alpha", net, Marking({start: 1}), Marking({unreachable: 1}))
    with pytest.raises(ProcmineError, match="easy-sound.*token replay"):
        measure_quality(small, model, alignments=True)
    # token replay still measures it: nothing fits
    assert measure_quality(small, model).fitting_cases == 0.0


def test_save_model_formats(small, tmp_path):
    found = discover_model(small)
    save_model(found.model, tmp_path / "m.pnml")
    net, im, fm = pm4py.read_pnml(str(tmp_path / "m.pnml"))
    assert sorted(t.label for t in net.transitions if t.label) == sorted(
        t.label for t in found.model.net.transitions if t.label)
    save_model(found.model, tmp_path / "m.ptml")
    assert str(pm4py.read_ptml(str(tmp_path / "m.ptml"))) == str(found.model.tree)
    save_model(found.model, tmp_path / "m.bpmn")
    bpmn = pm4py.read_bpmn(str(tmp_path / "m.bpmn"))
    assert {"上报", "退单"} <= {n.get_name() for n in bpmn.get_nodes()}
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".m*"))


def test_save_model_refuses_what_it_cannot_write(small, tmp_path):
    heuristic = discover_model(small, algorithm="heuristics", quality=False).model
    with pytest.raises(OutputError, match="process tree"):
        save_model(heuristic, tmp_path / "m.ptml")
    with pytest.raises(OutputError, match=r"\.pnml, \.bpmn or \.ptml"):
        save_model(heuristic, tmp_path / "m.xml")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- variants


def test_variant_summary_by_hand(small):
    s = variant_summary(small)
    assert (s.cases, s.variants) == (4, 2)
    t = s.table
    assert t["activities"].tolist() == ["上报 → 派遣 → 处置 → 结案",
                                        "上报 → 派遣 → 退单 → 派遣 → 处置 → 结案"]
    assert t["cases"].tolist() == [3, 1]
    assert t["share"].tolist() == [0.75, 0.25]
    assert t["cumulative"].tolist() == [0.75, 1.0]
    # GD1 2 d 6 h 24 min, GD3 3 h, GD4 9 h -> median 9 h; GD2 23 h
    assert t["median_duration"].tolist() == [9 * 3600.0, 23 * 3600.0]
    assert variant_summary(small, top=1).table["variant"].tolist() == [0]
    with pytest.raises(SpecError):
        variant_summary(small, top=0)


def test_variant_counts_equal_pm4py_on_receipt(receipt):
    s = variant_summary(receipt)
    theirs = pm4py.get_variants(receipt.events)
    assert s.variants == len(theirs)
    ours = dict(zip(s.table["activities"], s.table["cases"], strict=True))
    assert ours == {" → ".join(k): v for k, v in theirs.items()}
    assert s.table["cumulative"].iloc[-1] == pytest.approx(1.0)
    assert s.table["cases"].is_monotonic_decreasing


# --------------------------------------------------------------------------- process map


def _edge(pmap, a, b):
    e = pmap.edges
    row = e[(e["source"] == a) & (e["target"] == b)]
    assert len(row) == 1, (a, b)
    return row.iloc[0]


def test_map_counts_and_waits_by_hand(small):
    m = discover_map(small, metric="median-wait")
    nodes = m.nodes.set_index("activity")
    assert nodes.loc["派遣", "count"] == 5 and nodes.loc["派遣", "cases"] == 4
    assert nodes.loc["退单", "count"] == 1
    # 上报 -> 派遣 waits 45, 30, 60, 45 min
    e = _edge(m, "上报", "派遣")
    assert (e["count"], e["median"], e["mean"], e["total"]) == (4, 2700.0, 2700.0, 10800.0)
    # 处置 -> 结案: 2 d 2 h 24 min, 18 h, 1 h, 5 h 45 min -> median 11.875 h
    assert _edge(m, "处置", "结案")["value"] == 11.875 * 3600
    assert _edge(m, START_NODE, "上报")["count"] == 4
    assert _edge(m, "结案", END_NODE)["count"] == 4
    assert (m.cases, m.events, m.activities_total, m.paths_total) == (4, 18, 5, 5)


def test_map_dfg_equals_pm4py_on_receipt(receipt):
    m = discover_map(receipt, metric="mean-wait")
    dfg, starts, ends = pm4py.discover_dfg(receipt.events)
    e = m.edges
    inner = e[(e["source"] != START_NODE) & (e["target"] != END_NODE)]
    assert {(s, t): int(c) for s, t, c in inner[["source", "target", "count"]].itertuples(
        index=False)} == dict(dfg)
    assert dict(zip(e[e["source"] == START_NODE]["target"], e[e["source"] == START_NODE]["count"],
                    strict=True)) == dict(starts)
    assert dict(zip(e[e["target"] == END_NODE]["source"], e[e["target"] == END_NODE]["count"],
                    strict=True)) == dict(ends)
    perf, _, _ = pm4py.discover_performance_dfg(receipt.events)
    ours = inner.set_index(["source", "target"])
    for pair, stats in perf.items():
        assert ours.loc[pair, "mean"] == pytest.approx(stats["mean"], rel=1e-9, abs=1e-6)
        assert ours.loc[pair, "median"] == pytest.approx(stats["median"], rel=1e-9, abs=1e-6)


def test_map_waits_are_the_same_whichever_way_they_are_sorted(receipt):
    """Clock waits are sorted as integer nanoseconds, other waits (working time) as
    seconds: on the same waits both give the same table, to the last bit."""
    from procmine.abstractions import follows, gaps

    clock = follows(receipt)
    given = follows(receipt, durations=gaps(receipt))
    pd.testing.assert_frame_equal(clock.table, given.table, check_exact=True)
    assert list(clock.starts.items()) == list(given.starts.items())
    # start and end counts in the order pandas' value_counts gives them
    first = receipt.events.groupby(CASE, sort=False)[ACTIVITY].first()
    assert list(clock.starts.items()) == [(str(k), int(v)) for k, v in first.value_counts().items()]


def _connected(pmap) -> bool:
    """Every activity on the map lies on a path from the start node to the end node."""
    succ: dict[str, set] = {}
    pred: dict[str, set] = {}
    for s, t in pmap.edges[["source", "target"]].itertuples(index=False):
        succ.setdefault(s, set()).add(t)
        pred.setdefault(t, set()).add(s)

    def reach(first, nxt):
        seen, todo = {first}, [first]
        while todo:
            for n in nxt.get(todo.pop(), ()):
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return seen

    acts = set(pmap.nodes["activity"])
    return acts <= reach(START_NODE, succ) and acts <= reach(END_NODE, pred)


@pytest.mark.parametrize("activities,paths", [(100, 0), (50, 100), (30, 10), (0, 0)])
def test_map_filters_keep_the_map_connected(receipt, activities, paths):
    full = discover_map(receipt)
    m = discover_map(receipt, activities=activities, paths=paths)
    assert _connected(m)
    assert len(m.nodes) <= len(full.nodes) and m.paths_shown <= full.paths_shown
    if activities < 100:
        assert len(m.nodes) < len(full.nodes)
        # the most frequent activity is always kept
        assert full.nodes["activity"].iloc[0] in set(m.nodes["activity"])
    if paths < 100:
        assert m.paths_shown < full.paths_shown
    # every edge joins nodes that are on the map
    shown = set(m.nodes["activity"]) | {START_NODE, END_NODE}
    assert set(m.edges["source"]) <= shown and set(m.edges["target"]) <= shown


def test_map_metric_values(small):
    for metric, column in [("frequency", "count"), ("cases", "cases"), ("mean-wait", "mean"),
                           ("p90-wait", "p90"), ("total-wait", "total")]:
        m = discover_map(small, metric=metric)
        e = _edge(m, "派遣", "处置")
        assert e["value"] == e[column]
    # waits 3 h 15 min, 3 h, 1 h, 2 h 30 min
    assert _edge(discover_map(small, metric="total-wait"), "派遣", "处置")["value"] == 9.75 * 3600


def test_map_by_level_and_unit(small):
    m = discover_map(small, by="level")
    groups = dict(zip(m.nodes["activity"], m.nodes["group"], strict=True))
    # 派遣 is done 4 times at 街镇 and once at 区
    assert groups == {"上报": "网格", "派遣": "街镇", "处置": "街镇", "结案": "街镇", "退单": "街镇"}
    assert m.groups == ("网格", "街镇")  # bottom up, as the levels are ordered
    u = discover_map(small, by="unit")
    units = dict(zip(u.nodes["activity"], u.nodes["group"], strict=True))
    assert units["处置"] == "市容所" and units["结案"] == "城运中心"
    assert u.groups[0] == "城运中心"  # most events first


def test_map_errors(small):
    with pytest.raises(SpecError, match="between 0 and 100"):
        discover_map(small, paths=150)
    with pytest.raises(ChoiceError, match="metric='speed': not a choice"):
        discover_map(small, metric="speed")  # type: ignore[arg-type]
    events = small.events.drop(columns=["org:level"])
    with pytest.raises(SpecError, match="no org:level column"):
        discover_map(type(small)(events=events), by="level")
    empty = type(small)(events=small.events.iloc[:0])
    with pytest.raises(ProcmineError, match="no events"):
        discover_map(empty)


def test_map_is_the_same_for_a_reordered_file(small, tmp_path):
    """Rows in another order (cases interleaved) give the same map: the reader sorts."""
    rows = pd.read_csv(SMALL).sample(frac=1.0, random_state=3)
    path = tmp_path / "shuffled.csv"
    rows.to_csv(path, index=False)
    a = discover_map(small).edges
    b = discover_map(read_log(path)).edges
    pd.testing.assert_frame_equal(a, b)
