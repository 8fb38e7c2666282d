"""Conformance to the last bit and the same every run: pm4py's own numbers on real logs
with discovered models, alignment precision over the state space, and token replay on a
workflow whose step sits on two transitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from procmine.conform import align_variants, check_conformance, replay_variants
from procmine.workflow import PetriNetModel, parse_workflow, read_workflow

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
RECEIPT = "Receipt_phase_of_an_environmental_permit_application_process_WABO_CoSeLoG_project.xes.gz"
#: two extra paths leave after 签收 through the same step 提级: one back to 签收, one on to 处置
DUPLICATE = (ROOT / "logs" / "workflow.yaml").read_text(encoding="utf-8").replace(
    "  - 签收 -> 提级 -> 签收\n", "  - 签收 -> 提级 -> 签收\n  - 签收 -> 提级 -> 处置\n")


@pytest.fixture(autouse=True)
def _quiet_pm4py(monkeypatch):
    from pm4py.util import constants

    monkeypatch.setattr(constants, "SHOW_PROGRESS_BAR", False)


def real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real log {name} not found in {REAL} (see shared/data/real/SOURCES.md)")
    return path


def discovered(path: Path, tmp_path: Path):
    """The log, and procmine's IMf 0.2 model of it as a PNML workflow."""
    import pm4py

    from procmine.discover import discover_model
    from procmine.read import read_log

    log = read_log(str(path))
    m = discover_model(log, noise=0.2, quality=False).model
    out = tmp_path / "imf.pnml"
    pm4py.write_pnml(m.net, m.initial_marking, m.final_marking, str(out))
    return log, read_workflow(out)


@pytest.mark.real
@pytest.mark.parametrize("name", [RECEIPT, "BPIC15_1f.xes.gz"])
def test_alignment_figures_equal_pm4py_to_the_last_bit(name, tmp_path):
    import pm4py

    from procmine.conform.precision import alignment_precision
    from procmine.engines import as_engine

    log, wf = discovered(real(name), tmp_path)
    m = wf.petri_net()
    ref = pm4py.fitness_alignments(log.events, m.net, m.initial, m.final)
    ours = check_conformance(log, wf, precision=False)
    assert ours.fitness == ref["log_fitness"]
    assert ours.average_case_fitness == ref["average_trace_fitness"]   # not approx: the same float
    assert 100 * ours.fitting_cases / ours.cases == ref["percentage_of_fitting_traces"]
    v = as_engine(log).variants()
    precision = alignment_precision(m, list(v.table["activities"]), v.table["cases"].tolist())
    assert precision == pm4py.precision_alignments(log.events, m.net, m.initial, m.final)


@pytest.mark.real
def test_discover_quality_with_alignments_equals_pm4py(tmp_path):
    import pm4py

    from procmine.discover import discover_model

    log, wf = discovered(real(RECEIPT), tmp_path)
    found = discover_model(log, noise=0.2, alignments=True)
    m = found.model
    ref = pm4py.fitness_alignments(log.events, m.net, m.initial_marking, m.final_marking)
    assert found.quality.fitness == ref["log_fitness"]
    assert found.quality.mean_case_fitness == ref["average_trace_fitness"]
    assert found.quality.precision == pm4py.precision_alignments(log.events, m.net, m.initial_marking,
                                                                 m.final_marking)


def test_alignment_precision_equals_pm4py_on_the_sample_workflow():
    import pm4py

    from procmine.conform.precision import alignment_precision
    from procmine.engines import as_engine
    from procmine.read import read_log

    log = read_log(ROOT / "logs" / "sample.csv")
    m = read_workflow(ROOT / "logs" / "workflow.yaml").petri_net()
    v = as_engine(log).variants()
    ours = alignment_precision(m, list(v.table["activities"]), v.table["cases"].tolist())
    assert ours == pm4py.precision_alignments(log.events, m.net, m.initial, m.final)
    assert 0.5 < ours < 1


# --------------------------------------------------------------------------- the same every run


def test_token_replay_on_a_duplicated_step_gives_one_answer_in_20_runs():
    from procmine.read import read_log

    log = read_log(ROOT / "logs" / "sample.csv")
    answers = set()
    keep = []   # keep every net alive, so no two runs share the objects' addresses
    for _ in range(20):
        wf = parse_workflow(DUPLICATE)
        keep.append(wf)
        r = check_conformance(log, wf, method="tokens", precision=False, jobs=1)
        answers.add((r.fitness, r.fitting_cases, tuple(r.cases_table["deviations"]),
                     tuple(d.text for d in r.deviations)))
    assert len(answers) == 1
    assert any("提级 on more than one transition" in n for n in r.notes)


def test_token_replay_takes_the_copy_of_a_duplicated_step_that_lets_the_case_go_on():
    # x leaves a on two paths, one back to b and one on to c; the names of the transitions
    # are random, so before, which x fired (and whether the case fitted) changed per run
    spec = "steps: [a, b, c, d]\nexceptions: [x]\npaths:\n  - a -> x -> b\n  - a -> x -> c\n"
    for _ in range(10):
        m = parse_workflow(spec).petri_net()
        fits = [r["fit"] for r in replay_variants(m, [("a", "x", "b", "c", "d"), ("a", "x", "c", "d")])]
        assert fits == [True, True]


def test_token_replay_never_blames_a_case_that_aligns_perfectly():
    import pandas as pd

    from procmine.log import ACTIVITY, CASE, TIMESTAMP, EventLog

    # x → y leaves a on two paths, back to b or on to c; at x the next event (y) does not
    # tell which, so token replay takes one copy and one of the two cases misses a token
    spec = "steps: [a, b, c, d]\nexceptions: [x, y]\npaths:\n  - a -> x -> y -> b\n  - a -> x -> y -> c\n"
    rows = [("1", s) for s in ("a", "x", "y", "b", "c", "d")] + [("2", s) for s in ("a", "x", "y", "c", "d")]
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY])
    events[TIMESTAMP] = pd.date_range("2025-01-01", periods=len(events), freq="h", tz="UTC")
    log = EventLog(events=events)
    answers = set()
    for _ in range(5):
        wf = parse_workflow(spec)
        tokens = check_conformance(log, wf, method="tokens", precision=False, jobs=1)
        answers.add(tuple(tokens.cases_table["conforming"]))
        assert tokens.fitting_cases == 1                       # token replay's own figure
        assert tokens.deviations == ()                        # ... but nobody is blamed
        assert any("align perfectly" in n for n in tokens.notes)
    assert len(answers) == 1
    assert check_conformance(log, parse_workflow(spec), precision=False).fitting_cases == 2


def test_alignments_of_a_duplicated_step_cost_nothing_when_a_copy_fits():
    m = parse_workflow("steps: [a, b, c, d]\nexceptions: [x]\npaths:\n  - a -> x -> b\n"
                       "  - a -> x -> c\n").petri_net()
    costs = [r[0] for r in align_variants(PetriNetModel(m.net, m.initial, m.final),
                                          [("a", "x", "c", "d"), ("a", "x", "b", "c", "d")])[0]]
    assert costs == [0.0, 0.0]
