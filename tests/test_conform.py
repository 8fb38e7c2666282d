"""Conformance: fitness and precision equal pm4py's; deviations in plain words with counts."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from procmine.conform import align_variants, check_conformance
from procmine.errors import ChoiceError, InputError
from procmine.log import ACTIVITY, CASE, EventLog
from procmine.workflow import PetriNetModel, parse_workflow, read_workflow

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "logs" / "workflow.yaml"
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.fixture(autouse=True)
def _quiet_pm4py(monkeypatch):
    from pm4py.util import constants

    monkeypatch.setattr(constants, "SHOW_PROGRESS_BAR", False)


@pytest.fixture(scope="module")
def simulated():
    from procmine.simulate import simulate_log

    return simulate_log(cases=400, seed=11)


def real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real log {name} not found in {REAL} (see shared/data/real/SOURCES.md)")
    return path


def pm4py_figures(events: pd.DataFrame, model: PetriNetModel, *, alignments: bool = True) -> dict:
    import pm4py

    out = {
        "tokens": pm4py.fitness_token_based_replay(events, model.net, model.initial, model.final),
        "precision": pm4py.precision_token_based_replay(events, model.net, model.initial, model.final),
    }
    if alignments:
        out["alignments"] = pm4py.fitness_alignments(events, model.net, model.initial, model.final)
    return out


def assert_equal_to_pm4py(log: EventLog, workflow, model: PetriNetModel, *, alignments: bool = True):
    ref = pm4py_figures(log.events, model, alignments=alignments)
    tokens = check_conformance(log, workflow, method="tokens")
    assert tokens.fitness == ref["tokens"]["log_fitness"]
    assert tokens.average_case_fitness == ref["tokens"]["average_trace_fitness"]
    assert 100 * tokens.fitting_cases / tokens.cases == pytest.approx(ref["tokens"]["percentage_of_fitting_traces"])
    assert tokens.precision == ref["precision"]
    if alignments:
        aligned = check_conformance(log, workflow, method="alignments", precision=False)
        assert aligned.fitness == ref["alignments"]["log_fitness"]
        assert aligned.average_case_fitness == ref["alignments"]["average_trace_fitness"]
        assert 100 * aligned.fitting_cases / aligned.cases == pytest.approx(
            ref["alignments"]["percentage_of_fitting_traces"])


def discovered_pnml(events: pd.DataFrame, tmp_path: Path, **kwargs) -> Path:
    import pm4py

    net, im, fm = pm4py.discover_petri_net_inductive(events, **kwargs)
    path = tmp_path / "discovered.pnml"
    pm4py.write_pnml(net, im, fm, str(path))
    return path


# --------------------------------------------------------------------------- equal to pm4py


def test_equal_to_pm4py_on_a_simulated_log_with_the_sample_workflow(simulated):
    wf = read_workflow(WORKFLOW)
    assert_equal_to_pm4py(simulated.to_event_log(), wf, wf.petri_net())


@pytest.mark.slow
def test_equal_to_pm4py_on_the_sample_log(sample):
    from procmine.read import read_log

    wf = read_workflow(WORKFLOW)
    assert_equal_to_pm4py(read_log(sample), wf, wf.petri_net())


@pytest.mark.slow
def test_equal_to_pm4py_on_the_receipt_log_with_a_discovered_pnml(tmp_path):
    from procmine.read import read_log

    log = read_log(str(real("Receipt_phase_of_an_environmental_permit_application_process_WABO_CoSeLoG_project.xes.gz")))
    wf = read_workflow(discovered_pnml(log.events, tmp_path, noise_threshold=0.2))
    assert wf.format == "pnml"
    assert_equal_to_pm4py(log, wf, wf.petri_net())


@pytest.mark.slow
def test_equal_to_pm4py_on_bpic15_1_with_a_discovered_pnml(tmp_path):
    from procmine.read import read_log

    log = read_log(str(real("BPIC15_1.xes.gz")))
    events = log.events
    frequent = events[ACTIVITY].value_counts().index[:20]
    wf = read_workflow(discovered_pnml(events[events[ACTIVITY].isin(frequent)], tmp_path,
                                       noise_threshold=0.2))
    # token replay and precision on all 1,199 cases; pm4py's A* needs minutes for all of
    # them, so alignments are compared on the first 40 cases (398 activities, most of
    # them log moves against this 20-activity model)
    assert_equal_to_pm4py(log, wf, wf.petri_net(), alignments=False)
    first = events[events[CASE].isin(events[CASE].unique()[:40])]
    ref = pm4py_figures(first, wf.petri_net())["alignments"]
    ours = check_conformance(EventLog(events=first), wf, precision=False)
    assert ours.fitness == ref["log_fitness"]
    assert ours.average_case_fitness == ref["average_trace_fitness"]


def test_alignment_costs_equal_pm4py_trace_by_trace():
    """Random traces over the sample workflow's steps (and a stranger): pm4py's A* cost."""
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.objects.log.obj import Event, Trace

    wf = read_workflow(WORKFLOW)
    model = wf.petri_net()
    rng = random.Random(5)
    alphabet = list(wf.steps) + ["重办"]
    loop = ["上报", "受理", "立案", "派遣", "签收", "处置", "反馈", "核查", "结案"]
    traces = []
    for _ in range(25):
        t = list(loop)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            i = rng.randrange(len(t) + 1)
            if op < 0.4:
                t.insert(i, rng.choice(alphabet))
            elif op < 0.7 and t:
                del t[min(i, len(t) - 1)]
            elif len(t) > 1:
                j = min(i, len(t) - 2)
                t[j], t[j + 1] = t[j + 1], t[j]
        traces.append(tuple(t))
    ours, _ = align_variants(model, traces)
    for trace, (cost, bwc, moves) in zip(traces, ours, strict=True):
        ref = alignments.apply_trace(Trace([Event({"concept:name": a}) for a in trace]), model.net,
                                     model.initial, model.final)
        assert (cost, bwc) == (ref["cost"], ref["bwc"]), trace
        assert [a for kind, a, _ in moves if kind in ("sync", "log")] == list(trace)


def test_the_fallback_to_pm4py_astar_gives_the_same_numbers(simulated):
    wf = read_workflow(WORKFLOW)
    log = simulated.to_event_log()
    fast = check_conformance(log, wf, precision=False)
    slow = check_conformance(log, wf, precision=False, max_markings=1, jobs=1)
    assert any("pm4py's A*" in n for n in slow.notes)
    assert slow.fitness == fast.fitness and slow.fitting_cases == fast.fitting_cases


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_pathological_trace_is_reported_not_waited_for(jobs):
    # eight parallel branches and a noisy trace: pm4py's A* needs minutes for it
    branches = [[f"{x}{i}" for x in "abc"] for i in range(8)]
    wf = parse_workflow("steps:\n  - parallel: [" + ", ".join("[" + ", ".join(b) + "]" for b in branches)
                        + "]\n  - z\n")
    rng = random.Random(1)
    noisy = [rng.choice([a for b in branches for a in b]) for _ in range(60)]
    fine = [a for b in branches for a in b] + ["z"]
    rows = [("bad", a, i) for i, a in enumerate(noisy)] + [("ok", a, i) for i, a in enumerate(fine)]
    result = check_conformance(_log(rows), wf, precision=False, max_markings=1, time_budget=1.0, jobs=jobs)
    assert result.not_aligned == 1
    assert any("did not align within 1 s" in n for n in result.notes)
    table = result.cases_table.set_index("case")
    assert "not aligned" in table.loc["bad", "deviations"]
    assert table.loc["ok", "conforming"] and result.fitting_cases == 1 and result.cases == 2


def test_parallel_workers_give_the_same_result(simulated, monkeypatch):
    import procmine.conform.parallel as conform_parallel

    wf = read_workflow(WORKFLOW)
    log = simulated.to_event_log()
    serial = check_conformance(log, wf, jobs=1, precision=False)
    monkeypatch.setattr(conform_parallel, "_MIN_PARALLEL_EVENTS", 0)
    parallel = check_conformance(log, wf, jobs=2, precision=False)
    assert parallel.fitness == serial.fitness
    assert [d.text for d in parallel.deviations] == [d.text for d in serial.deviations]


# --------------------------------------------------------------------------- deviations


def _log(rows, units=None) -> EventLog:
    frame = pd.DataFrame(rows, columns=[CASE, ACTIVITY, "i"])
    frame["time:timestamp"] = pd.Timestamp("2024-03-01", tz="Asia/Shanghai") + pd.to_timedelta(frame["i"], "min")
    if units is not None:
        frame["org:resource"] = units
    return EventLog(events=frame.drop(columns="i"))


def _cases_of(log: EventLog) -> dict[str, list[str]]:
    return {c: list(g[ACTIVITY]) for c, g in log.events.groupby(CASE, sort=False)}


def test_the_simulators_injected_deviations_have_the_right_counts():
    from procmine.simulate import simulate_log

    sim = simulate_log(cases=1500, seed=3)
    result = check_conformance(sim.to_event_log(), read_workflow(WORKFLOW), precision=False)
    by_text = {d.label: d for d in result.deviations}
    reopen = by_text["重办 (not in the workflow)"]
    assert reopen.cases == int(sim.truth["reopen"].sum())
    assert reopen.detail.startswith("then 签收 → 处置 → 反馈 → 核查 → 结案")
    pingpong = [d for d in result.deviations if d.kind == "same_unit"]
    assert pingpong[0].cases == int(sim.truth["pingpong"].sum())
    # the ordinary exception paths (returns, escalations, rework, callbacks) conform
    assert not any(d.kind == "skipped" for d in result.deviations)
    flagged = set(sim.truth.loc[sim.truth["reopen"].astype(bool) | sim.truth["pingpong"].astype(bool),
                                "case_id"].astype(str))
    table = result.cases_table.set_index("case")
    assert set(table.index[~table["conforming"].astype(bool)]) == flagged


def test_skipped_swapped_and_repeated_steps(simulated):
    log = simulated.to_event_log()
    traces = _cases_of(log)
    plain = [c for c, t in traces.items() if t.count("核查") == 1 and t.count("派遣") == 1
             and "重办" not in t]
    skip, swap, repeat = plain[:7], plain[7:12], plain[12:20]
    rows = []
    for case, trace in traces.items():
        trace = list(trace)
        if case in skip:
            trace.remove("核查")
        elif case in swap:
            i = trace.index("核查")
            trace[i], trace[i + 1] = trace[i + 1], trace[i]      # 结案 before 核查
        elif case in repeat:
            extra = 3 if case in repeat[:3] else 1
            i = trace.index("派遣")
            trace[i:i] = ["派遣"] * extra
        rows.extend((case, a, i) for i, a in enumerate(trace))
    changed = _log(rows)
    result = check_conformance(changed, read_workflow(WORKFLOW), precision=False)
    texts = [d.text for d in result.deviations]
    n = changed.n_cases
    assert f"核查 skipped in 7 cases ({7 / n:.1%})" in texts
    assert f"结案 before 核查 in 5 cases ({5 / n:.1%})" in texts
    assert f"派遣 repeated in 8 cases ({8 / n:.1%}), 3+ times in 3 cases, up to ×4" in texts
    table = result.cases_table.set_index("case")
    # per case, the loop collapsed with its length
    assert all("派遣 repeated ×4" in table.loc[c, "deviations"] for c in repeat[:3])
    assert all("派遣 repeated ×2" in table.loc[c, "deviations"] for c in repeat[3:])
    assert all("核查 skipped" in table.loc[c, "deviations"] for c in skip)
    assert all(not table.loc[c, "conforming"] for c in skip + swap + repeat)


def test_deviation_units_are_where_it_happened():
    rows = [("a", "派遣", 0), ("a", "结案", 1), ("b", "派遣", 0), ("b", "结案", 1),
            ("c", "派遣", 0), ("c", "处置", 1), ("c", "结案", 2)]
    units = ["中心", "城管中队", "中心", "城管中队", "中心", "房管办", "房管办"]
    result = check_conformance(_log(rows, units), parse_workflow("steps: [派遣, 处置, 结案]"))
    [dev] = result.deviations
    assert dev.text == "处置 skipped in 2 cases (66.7%)"
    assert dev.units == (("城管中队", 2),)      # the unit that closed without handling


def test_aliases_of_the_spec_read_an_english_log():
    from procmine.simulate import simulate_log

    wf = read_workflow(WORKFLOW)
    zh = check_conformance(simulate_log(cases=200, seed=4).to_event_log(), wf, precision=False)
    en = check_conformance(simulate_log(cases=200, seed=4, lang="en").to_event_log(), wf, precision=False)
    assert en.fitness == zh.fitness and en.fitting_cases == zh.fitting_cases


def test_per_variant_and_per_case_tables(simulated):
    log = simulated.to_event_log()
    result = check_conformance(log, read_workflow(WORKFLOW), precision=False)
    assert len(result.cases_table) == log.n_cases
    assert result.variants["cases"].sum() == log.n_cases
    assert set(result.cases_table.columns) >= {"case", "variant", "fitness", "conforming", "deviations"}
    worst = result.variants.sort_values("fitness").iloc[0]
    assert worst["fitness"] < 1 and worst["deviations"]
    fitting = result.cases_table["fitness"].eq(1.0)
    assert int(fitting.sum()) == result.fitting_cases


def test_bad_inputs():
    wf = parse_workflow("steps: [a, b]")
    with pytest.raises(ChoiceError, match="method='magic': not a choice"):
        check_conformance(_log([("x", "a", 0)]), wf, method="magic")  # type: ignore[arg-type]
    empty = EventLog(events=pd.DataFrame({CASE: [], ACTIVITY: [],
                                          "time:timestamp": pd.Series([], dtype="datetime64[ns, UTC]")}))
    with pytest.raises(InputError, match="no events"):
        check_conformance(empty, wf)


def test_overlay_counts(simulated, tmp_path):
    from procmine.conform import deviation_overlay
    from procmine.render import render_conformance, write_graph

    result = check_conformance(simulated.to_event_log(), read_workflow(WORKFLOW), precision=False)
    overlay = deviation_overlay(result)
    assert overlay.unexpected[0][0] == "重办" and overlay.unexpected[0][2] == int(simulated.truth["reopen"].sum())
    assert "back at a returner" in overlay.notes["签收"]
    out = tmp_path / "dev.svg"
    write_graph(render_conformance(result, read_workflow(WORKFLOW)), out)
    svg = Path(out).read_text(encoding="utf-8")
    assert "unexpected" in svg and "重办" in svg


def test_numbers_are_weighted_by_cases():
    rows = []
    for c in range(9):
        rows += [(f"ok{c}", "a", 0), (f"ok{c}", "b", 1)]
    rows += [("bad", "b", 0)]
    result = check_conformance(_log(rows), parse_workflow("steps: [a, b]"))
    assert result.fitting_cases == 9 and result.cases == 10
    # 9 cases cost 0 of 30,000; one costs 10,000 of 20,000 (bwc = model 20,000 + 1 event)
    assert result.fitness == pytest.approx(1 - 10_000 / (9 * 40_000 + 30_000))
    assert result.average_case_fitness == pytest.approx((9 + 2 / 3) / 10)


def test_the_sample_logs_deviations_match_its_truth_file(sample):
    from procmine.read import read_log

    truth = pd.read_csv(sample.with_name("sample.truth.csv"))
    result = check_conformance(read_log(sample), read_workflow(WORKFLOW), precision=False)
    by_label = {d.label: d.cases for d in result.deviations}
    assert by_label["重办 (not in the workflow)"] == int(truth["reopen"].sum())
    assert by_label["签收 back at a unit that had returned the order (ping-pong)"] == int(truth["pingpong"].sum())
    assert result.conforming_cases == int((~(truth["reopen"].astype(bool) | truth["pingpong"].astype(bool))).sum())


# --------------------------------------------------------------------------- through an engine

ALIASES = Path(__file__).resolve().parent / "fixtures" / "conform_aliases.csv"


def assert_same_result(got, expected) -> None:
    """Everything a user reads: summary, deviations with their units and order, notes, tables."""
    assert got.summary() == expected.summary()
    assert got.deviations == expected.deviations
    assert got.notes == expected.notes
    pd.testing.assert_frame_equal(got.variants, expected.variants)
    pd.testing.assert_frame_equal(got.cases_table, expected.cases_table)


def in_parts(name: str, path, workflow, *, part_events: int, spark=None, **options):
    """check_conformance through the engine ``name``, and the parts it read."""
    from procmine.engines import get_engine

    parts: list[int] = []
    with get_engine(name, path, spark=spark) as engine:
        engine.progress = lambda done, total: parts.append(done)
        result = check_conformance(engine, workflow, part_events=part_events, **options)
    return result, parts


@pytest.mark.parametrize("method", ["tokens", "alignments"])
@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_an_engine_in_parts_equals_the_event_log_on_the_sample_log(sample, engine, method):
    from procmine.read import read_log

    wf = read_workflow(WORKFLOW)
    expected = check_conformance(read_log(sample), wf, method=method)
    got, parts = in_parts(engine, sample, wf, part_events=5000, method=method)
    assert len(parts) == 7 and parts[-1] == 34_609     # 5,000 events a part, whole cases
    assert_same_result(got, expected)
    pingpong = next(d for d in got.deviations if d.kind == "same_unit")
    assert pingpong.cases == 127 and pingpong.units[0] == ("城管中队", 23)


@pytest.mark.parametrize("method", ["tokens", "alignments"])
def test_aliases_under_duckdb_equal_reading_the_events_through_them_first(method):
    """The fixture spells a third of its cases with the spec's Chinese aliases (派单, 办理,
    回退 ...) and a third in English: under an engine the variant table is renamed and
    merged, and the result is that of a log whose events were renamed first."""
    from procmine.read import read_log

    wf = read_workflow(WORKFLOW)
    log = read_log(ALIASES)
    renamed = log.events.assign(**{ACTIVITY: [wf.step_of(a) or a for a in log.events[ACTIVITY]]})
    expected = check_conformance(EventLog(events=renamed, report=log.report, levels=log.levels,
                                          timezone=log.timezone), wf, method=method)
    got, parts = in_parts("duckdb", ALIASES, wf, part_events=300, method=method)
    assert len(parts) == 6
    assert_same_result(got, expected)
    assert_same_result(check_conformance(log, wf, method=method), expected)
    assert (got.cases, len(got.variants)) == (160, 42)           # 63 variants as spelled
    assert "派遣" in got.variants["activities"].iloc[0] and not got.variants["activities"].str.contains(
        "派单|dispatch").any()
    pingpong = next(d for d in got.deviations if d.kind == "same_unit")
    assert pingpong.cases == 9                 # 回退 / return by a unit, then 签收 / sign by it again


@pytest.mark.real
def test_duckdb_equals_pandas_on_the_receipt_log_with_a_discovered_pnml(tmp_path):
    from conftest import real_path

    from procmine.read import read_log

    path = real_path("receipt.csv")
    log = read_log(path)
    wf = read_workflow(discovered_pnml(log.events, tmp_path, noise_threshold=0.2))
    expected = check_conformance(log, wf, method="tokens")
    got, parts = in_parts("duckdb", path, wf, part_events=3000, method="tokens")
    assert len(parts) == 3
    assert_same_result(got, expected)
    assert got.cases == 1434 and got.deviations[0].units[0] == ("admin1", 249)


@pytest.mark.slow
def test_spark_in_parts_equals_the_event_log_on_the_sample_log(sample, spark):
    from procmine.read import read_log

    wf = read_workflow(WORKFLOW)
    expected = check_conformance(read_log(sample), wf, method="tokens")
    got, parts = in_parts("spark", sample, wf, part_events=5000, spark=spark, method="tokens")
    assert len(parts) == 7
    assert_same_result(got, expected)
