"""The intended-workflow spec: parsing, validation with line numbers, Petri net, BPMN, PNML."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from procmine.errors import SpecError
from procmine.render import render_workflow, write_graph
from procmine.workflow import (
    check_deadline_column,
    check_workflow,
    parse_deadline,
    parse_duration,
    parse_workflow,
    read_workflow,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORKFLOW = ROOT / "logs" / "workflow.yaml"


def fits(workflow, *traces) -> list[bool]:
    """Whether pm4py's own alignments find each trace in the workflow's language."""
    import pm4py
    from pm4py.objects.log.obj import Event, EventLog, Trace

    m = workflow.petri_net()
    log = EventLog([Trace([Event({"concept:name": a}) for a in t]) for t in traces])
    result = pm4py.conformance_diagnostics_alignments(log, m.net, m.initial, m.final)
    return [r["fitness"] == 1.0 for r in result]


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_workflow(text, source="spec.yaml")
    return str(info.value)


# --------------------------------------------------------------------------- the sample spec


def test_sample_spec_reads_the_closed_loop_in_order():
    wf = read_workflow(WORKFLOW)
    assert wf.main[:6] == ("上报", "受理", "核实", "立案", "派遣", "签收")
    assert wf.main[-4:] == ("处置", "反馈", "核查", "结案")
    assert "核实" in wf.optional and "核查" not in wf.optional
    assert {"退单", "改派", "提级", "下派", "核查不通过"} <= set(wf.steps)
    assert wf.levels == ("网格", "居村", "街镇", "区", "市")


def test_sample_spec_deadlines_are_the_simulators_categories():
    from procmine.simulate import CATEGORIES

    wf = read_workflow(WORKFLOW)
    assert {d.category for d in wf.deadlines} == {c.zh for c in CATEGORIES.values()}
    for c in CATEGORIES.values():
        d = wf.deadline_for(c.zh)
        assert (d.start, d.end, d.amount, d.unit, d.working) == ("派遣", "结案", c.deadline,
                                                                 c.deadline_unit, True)
        assert d.working_seconds() == c.deadline_seconds()


def test_sample_spec_accepts_the_simulators_ordinary_paths_and_rejects_a_skipped_check():
    wf = read_workflow(WORKFLOW)
    loop = ["上报", "受理", "立案", "派遣", "签收", "处置", "反馈", "核查", "结案"]
    two_returns = loop[:4] + ["退单", "改派", "退单", "改派"] + loop[4:]
    escalated = loop[:5] + ["提级", "签收", "下派", "签收"] + loop[5:]
    rework = loop[:7] + ["核查不通过", "处置", "反馈"] + loop[7:]
    callback = loop + ["回访", "不满意"]
    no_check = [s for s in loop if s != "核查"]
    reopened = loop + ["重办", "签收", "处置", "反馈", "核查", "结案"]
    assert fits(wf, loop, two_returns, escalated, rework, callback, no_check, reopened) == [
        True, True, True, True, True, False, False]


def test_sample_spec_maps_aliases_and_roles():
    wf = read_workflow(WORKFLOW)
    assert wf.step_of("dispatch") == "派遣" and wf.step_of("派单") == "派遣"
    assert wf.step_of("check failed") == "核查不通过"
    assert wf.aliases["派遣"] == "dispatch" and wf.aliases["派单"] == "dispatch"
    assert wf.aliases["核查不通过"] == "check_failed" and wf.aliases["下派"] == "assign_down"
    from procmine.vocabulary import role_of

    assert role_of("my dispatch", {"my dispatch": "dispatch"}) == "dispatch"  # the form loops uses
    assert all(role_of(name, wf.aliases) == role for name, role in wf.aliases.items())


def test_check_reports_a_sound_net():
    result = check_workflow(WORKFLOW)
    assert result.markings and result.transitions > len(result.workflow.steps)
    assert result.silent > 0


# --------------------------------------------------------------------------- constructs


def test_alternatives_parallel_optional_and_repeat():
    wf = parse_workflow("""
steps:
  - 派遣
  - one_of: [签收, [退单, 改派]]
  - parallel: [处置, 拍照]
  - step: 催办
    optional: true
    repeat: true
  - 结案
""")
    assert fits(wf, ["派遣", "签收", "处置", "拍照", "结案"], ["派遣", "退单", "改派", "拍照", "处置", "结案"],
                ["派遣", "签收", "处置", "拍照", "催办", "催办", "结案"],
                ["派遣", "签收", "退单", "处置", "拍照", "结案"]) == [True, True, True, False]
    assert wf.outline == "派遣 → (签收 | (退单 → 改派)) → (处置 ∥ 拍照) → 催办+? → 结案"


def test_extra_paths_loop_back_and_detour_ahead():
    wf = parse_workflow("""
steps: [派遣, 签收, 处置, 核查, 结案]
exceptions: [退单, 改派, 核查不通过, 不予立案]
paths:
  - 核查 -> 核查不通过 -> 处置
  - 派遣 -> 退单 -> 改派 -> 签收
  - 派遣 -> 不予立案 -> end
""")
    assert [p.kind for p in wf.paths] == ["back", "ahead", "ahead"]
    base = ["派遣", "签收", "处置", "核查", "结案"]
    assert fits(wf, base, base[:4] + ["核查不通过", "处置", "核查", "核查不通过", "处置", "核查", "结案"],
                ["派遣", "退单", "改派", "签收", "处置", "核查", "结案"], ["派遣", "不予立案"],
                ["派遣", "退单", "改派", "退单", "改派", "签收", "处置", "核查", "结案"]) == [
        True, True, True, True, False]


def test_repeatable_detour():
    wf = parse_workflow("""
steps: [派遣, 签收]
exceptions: [退单, 改派]
paths: [{path: 派遣 -> 退单 -> 改派 -> 签收, repeat: true, distinct_units: true}]
""")
    assert wf.paths[0].repeat and wf.paths[0].distinct_units
    assert fits(wf, ["派遣", "退单", "改派", "退单", "改派", "签收"]) == [True]


def test_a_spec_in_english_with_roles():
    wf = parse_workflow("""
steps: [report, {step: intake, role: accept}, dispatch, close]
roles: {close: close}
""")
    assert wf.aliases == {"report": "report", "intake": "accept", "dispatch": "dispatch", "close": "close"}


# --------------------------------------------------------------------------- errors


def test_unknown_step_in_a_path_names_its_line():
    message = error_of("steps: [派遣, 签收]\nexceptions: [退单]\npaths:\n  - 派遣 -> 退当 -> 签收\n")
    assert "spec.yaml, line 4" in message and "unknown step '退当'" in message


def test_path_that_does_not_start_on_the_main_line():
    message = error_of("steps: [派遣, 签收]\nexceptions: [退单]\npaths: [退单 -> 签收]\n")
    assert "line 3" in message and "'退单' is not on the main line" in message


def test_bad_duration_names_its_line():
    message = error_of("steps: [派遣, 结案]\ndeadlines:\n  噪声扰民: 派遣 -> 结案 within 5 fortnights\n")
    assert "line 3" in message and "bad duration '5 fortnights'" in message


def test_deadline_with_an_unknown_step():
    message = error_of("steps: [派遣, 结案]\ndeadlines:\n  '*': {from: 派单, to: 结案, within: 5d}\n")
    assert "line 3" in message and "unknown step '派单'" in message


def test_unreachable_exception_step():
    message = error_of("steps: [派遣, 结案]\nexceptions:\n  - 退单\n")
    assert "line 3" in message and "'退单' is unreachable" in message


def test_crossing_paths_are_refused():
    message = error_of("steps: [a, b, c, d]\npaths:\n  - c -> a\n  - d -> b\n")
    assert "crosses" in message and "line 4" in message


def test_yaml_syntax_error_names_its_line():
    message = error_of("steps: [a, b\nname: x\n")
    assert "spec.yaml, line" in message and "not valid YAML" in message


@pytest.mark.parametrize("text, expected", [
    ("", "the spec is empty"),
    ("name: x\n", "has no 'steps:'"),
    ("steps: [a, a]\n", "'a' is on the main line twice"),
    ("steps: [a]\nstepz: [b]\n", "unknown section 'stepz'"),
    ("steps: [a, {one_of: [b]}]\n", "at least two branches"),
    ("steps: [a, {step: b, optional: maybe}]\n", "expected true or false"),
    ("steps: [a, b]\naliases: {a: [b]}\n", "already the name or an alias of 'b'"),
    ("steps: [a, b]\nlevels: [街道]\n", "at least two levels"),
])
def test_invalid_specs(text, expected):
    assert expected in error_of(text)


def test_yaml_alias_bomb_is_refused():
    names = "abcdefghi"
    lines = ["steps:", "  - &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip(names, names[1:], strict=False):
        lines.append(f"  - &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    assert "expands too many YAML aliases" in error_of("\n".join(lines))


def test_yaml_tags_are_not_executed():
    assert "unsupported YAML tag" in error_of("steps: !!python/object/apply:os.system ['true']\n")


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize("text, expected", [
    ("4h", (4.0, "hours", False)),
    ("2 working hours", (2.0, "hours", True)),
    ("5d", (5.0, "days", False)),
    ("5 working days", (5.0, "days", True)),
    ("15 工作日", (15.0, "days", True)),
    ("2个工作小时", (2.0, "hours", True)),
    ("90 min", (1.5, "hours", False)),
    ("1 working week", (5.0, "days", True)),
])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "five days", "0h", "-3d", "3 lightyears", "3"])
def test_bad_durations(text):
    with pytest.raises(SpecError, match="bad duration"):
        parse_duration(text)


def test_deadline_text_forms():
    assert parse_deadline("派遣 -> 结案 within 4 working hours").working_seconds() == 4 * 3600
    assert parse_deadline("派遣 到 结案 内 3 工作日").working_seconds(day_seconds=8 * 3600) == 3 * 8 * 3600
    assert parse_deadline("派遣 -> 结案 within 2d").clock_seconds() == 2 * 86400


# --------------------------------------------------------------------------- BPMN and PNML


def test_bpmn_from_a_modeller_with_an_exclusive_gateway():
    wf = read_workflow(FIXTURES / "workflow_gateway.bpmn")
    assert wf.format == "bpmn" and set(wf.steps) == {"派遣", "签收", "退单", "处置", "结案"}
    assert fits(wf, ["派遣", "签收", "处置", "结案"], ["派遣", "退单", "结案"],
                ["派遣", "签收", "退单", "结案"]) == [True, True, False]
    assert wf.aliases["退单"] == "return"


def test_pnml_with_a_loop():
    wf = read_workflow(FIXTURES / "workflow_loop.pnml")
    assert wf.format == "pnml"
    assert fits(wf, ["派遣", "处置", "核查不通过", "处置", "核查"], ["派遣", "核查"]) == [True, False]


def test_pnml_whose_end_cannot_be_reached():
    with pytest.raises(SpecError, match="unreachable end"):
        read_workflow(FIXTURES / "workflow_stuck.pnml")


def test_billion_laughs_fails_fast_with_a_clear_error():
    with pytest.raises(SpecError, match="declares a DTD or entities"):
        read_workflow(FIXTURES / "workflow_bomb.bpmn")


def test_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    bad = tmp_path / "xxe.bpmn"
    bad.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>\n'
                   '<definitions><process><task name="&x;"/></process></definitions>')
    with pytest.raises(SpecError) as info:
        read_workflow(bad)
    assert "password" not in str(info.value)


def test_a_malformed_bpmn_file(tmp_path):
    bad = tmp_path / "broken.bpmn"
    bad.write_text("<definitions><process><task name='a'></process>")
    with pytest.raises(SpecError, match="not well-formed XML"):
        read_workflow(bad)


def test_missing_file():
    with pytest.raises(SpecError, match="no such file"):
        read_workflow("does/not/exist.yaml")


# --------------------------------------------------------------------------- drawing


def test_draw_svg_with_chinese_labels(tmp_path):
    out = tmp_path / "wf.svg"
    write_graph(render_workflow(read_workflow(WORKFLOW)), out)
    svg = out.read_text(encoding="utf-8")
    assert "<svg" in svg and "核查不通过" in svg and "CJK" in svg


def test_draw_a_petri_net_as_dot(tmp_path):
    out = tmp_path / "wf.dot"
    write_graph(render_workflow(read_workflow(FIXTURES / "workflow_loop.pnml"), notation="petri"), out)
    assert "核查不通过" in out.read_text(encoding="utf-8")


def test_the_documented_example_is_valid():
    import re

    text = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    wf = parse_workflow(re.search(r"```yaml\n(.*?)```", text, re.S).group(1), source="docs/workflow.md")
    assert wf.deadline_for("违法搭建").amount == 15 and wf.deadline_for("other").working is False
    assert wf.paths[-1].target == "end" and wf.aliases["不予立案"] == "close"


# --------------------------------------------------------------------------- deadlines with any step name


def test_deadline_step_names_may_contain_in_within_and_colons():
    wf = parse_workflow("""
steps: [Confirmation of receipt, T02 Check confirmation of receipt,
        T10 Determine necessity to stop indication, "Within: sign in"]
deadlines:
  "*": Confirmation of receipt -> T10 Determine necessity to stop indication within 5 working days
  urgent: {from: "Within: sign in", to: T10 Determine necessity to stop indication, within: 4h}
  later: "Within: sign in -> T02 Check confirmation of receipt in 2 working hours"
""")
    default, urgent, later = wf.deadlines
    assert (default.start, default.end, default.amount, default.unit, default.working) == (
        "Confirmation of receipt", "T10 Determine necessity to stop indication", 5.0, "days", True)
    assert (urgent.start, urgent.end, urgent.amount, urgent.working) == (
        "Within: sign in", "T10 Determine necessity to stop indication", 4.0, False)
    assert (later.start, later.end, later.amount) == (
        "Within: sign in", "T02 Check confirmation of receipt", 2.0)


def test_deadline_with_a_bad_duration_names_the_duration():
    with pytest.raises(SpecError, match="bad duration '5 fortnights'"):
        parse_deadline("Confirmation of receipt -> T10 Determine necessity within 5 fortnights")
    assert parse_deadline("派遣到场 -> 结案 within 4h").start == "派遣到场"


def test_deadline_column_must_be_constant_within_each_case():
    events = pd.DataFrame({
        "case:concept:name": ["a", "a", "a", "b", "b", "c"],
        "dueDate": ["2015-01-05", None, "2015-02-01", None, None, "2015-03-01"],
        "case:deadline": ["2015-01-09"] * 3 + ["2015-01-20"] * 2 + ["2015-03-01"],
    })
    per_event = check_deadline_column(events, "dueDate")
    assert not per_event.case_level
    assert (per_event.cases, per_event.varying_cases) == (3, 1)
    assert per_event.event_share == pytest.approx(0.5)
    assert "varies within 1 of 3 cases and is on 50.0% of events" in per_event.message()
    per_case = check_deadline_column(events, "case:deadline")
    assert per_case.case_level and per_case.message() == ""


@pytest.mark.parametrize("seed", range(40))
def test_deadline_column_check_counts_what_a_groupby_counts(seed):
    """On scrambled logs (cases in runs or interleaved, missing ids and values, text,
    Categorical or times), the varying cases are those a groupby finds."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    case = rng.integers(0, max(1, n // int(rng.integers(1, 6))), n)
    if seed % 2:
        case = np.sort(case)                       # each case one run of rows
    if seed % 3 == 0:
        rng.shuffle(case[: n // 2])                # runs broken in the first half
    ids = pd.Series([f"GD{c:03d}" for c in case], dtype=object)
    ids[rng.random(n) < 0.05] = None
    due = pd.Series(rng.integers(0, 3 if seed % 4 else 1, n))
    if seed % 5 == 0:                              # a deadline set on a case's events alike
        due = pd.Series(case % 3)
    times = pd.Timestamp("2024-03-01") + pd.to_timedelta(due, unit="D")
    times[rng.random(n) < 0.1] = pd.NaT
    text = times.dt.strftime("%Y-%m-%d").astype(object)
    for name, values in {"times": times, "text": text, "coded": text.astype("category")}.items():
        for ids_as in (ids, ids.astype("category"), ids.astype("string")):
            events = pd.DataFrame({"case": ids_as, "due": values})
            check = check_deadline_column(events, "due", case="case")
            known = events[events["case"].notna()]
            distinct = known.groupby("case", observed=True)["due"].nunique(dropna=False)
            assert check.cases == known["case"].nunique(), name
            assert check.varying_cases == int((distinct > 1).sum()), name
            assert check.event_share == pytest.approx(values.notna().mean())
