"""procmine workflow check | draw."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from procmine.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORKFLOW = str(ROOT / "logs" / "workflow.yaml")


def run(*args: str):
    return CliRunner().invoke(cli, ["workflow", *args])


def test_check_describes_the_sample_workflow():
    result = run("check", WORKFLOW)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "main line        上报 → 受理 → 核实? → 立案 → 派遣 → 签收" in out
    assert "派遣 -> 退单 -> 改派 -> 签收 (detour, may repeat, a new unit each time)" in out
    assert "暴露垃圾: 派遣 → 结案 within 4 working hours" in out
    assert "占道经营: 派遣 → 结案 within 1 working day" in out
    assert "levels           网格 < 居村 < 街镇 < 区 < 市" in out
    assert out.rstrip().endswith("OK: every step can happen and the end is always reachable.")


def test_check_json():
    result = run("check", WORKFLOW, "--json")
    data = json.loads(result.stdout)
    assert data["main"][0] == "上报" and data["roles"]["派单"] == "dispatch"
    assert data["petri_net"]["reachable_markings"] > 0


def test_check_reports_the_line_of_an_error(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("steps: [派遣, 结案]\nexceptions: [退单]\npaths:\n  - 派遣 -> 退当 -> 结案\n",
                    encoding="utf-8")
    result = run("check", str(spec))
    assert result.exit_code == 2
    assert f"Error: {spec}, line 4: unknown step '退当' in path" in result.output


def test_check_a_bpmn_and_a_bomb():
    ok = run("check", str(FIXTURES / "workflow_gateway.bpmn"))
    assert ok.exit_code == 0 and "5: 处置, 派遣, 签收, 结案, 退单" in ok.stdout
    bomb = run("check", str(FIXTURES / "workflow_bomb.bpmn"))
    assert bomb.exit_code == 2 and "declares a DTD or entities" in bomb.output


def test_draw(tmp_path):
    out = tmp_path / "wf.svg"
    result = run("draw", WORKFLOW, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "核查不通过" in out.read_text(encoding="utf-8")
    petri = tmp_path / "wf.dot"
    assert run("draw", WORKFLOW, "-o", str(petri), "--notation", "petri").exit_code == 0
    assert "digraph" in petri.read_text(encoding="utf-8")


def test_draw_refuses_an_unknown_format(tmp_path):
    result = run("draw", WORKFLOW, "-o", str(tmp_path / "wf.jpeg2000"))
    assert result.exit_code == 2 and "unknown drawing format" in result.output  # a usage error


def _pnml_line(n: int) -> str:
    """A PNML net: one line of ``n`` transitions, a token in the first place."""
    places = "".join(f'<place id="p{i}">' + ("<initialMarking><text>1</text></initialMarking>"
                                            if i == 0 else "") + "</place>" for i in range(n + 1))
    transitions = "".join(f'<transition id="t{i}"><name><text>a{i}</text></name></transition>'
                          for i in range(n))
    arcs = "".join(f'<arc id="x{i}" source="p{i}" target="t{i}"/>'
                   f'<arc id="y{i}" source="t{i}" target="p{i + 1}"/>' for i in range(n))
    return ('<?xml version="1.0"?><pnml><net id="n" type="http://www.pnml.org/version-2009/'
            f'grammar/pnmlcoremodel"><page id="g">{places}{transitions}{arcs}</page></net></pnml>')


def test_huge_workflows_are_refused_before_the_search(tmp_path):
    """Issue 21, item 6: these ran for more than two minutes; now the size is refused
    before the state search, and a search past its budget says so."""
    steps = tmp_path / "steps.yaml"
    steps.write_text("steps:\n" + "".join(f"  - s{i}\n" for i in range(20_000)))
    net = tmp_path / "net.pnml"
    net.write_text(_pnml_line(10_000))
    for path, message in ((steps, "line 502: more than 500 steps"),
                          (net, "the model has 10,000 transitions, more than the 1,000")):
        result = run("check", str(path))
        assert result.exit_code == 2, result.output
        assert message in result.stderr
    parallel = tmp_path / "parallel.yaml"  # 2^40 states: explored within a budget, not proven
    parallel.write_text("steps:\n  - parallel:\n" + "".join(f"    - s{i}\n" for i in range(40)))
    result = run("check", str(parallel))
    assert result.exit_code == 0 and "soundness not proven" in result.stdout


def test_nested_self_referencing_yaml_and_endless_deadlines_are_input_errors(tmp_path):
    """Issue 21, item 7: these ended in 'internal error' (exit 70) or overflowed later."""
    cases = {
        "deep.yaml": ("steps: " + "[" * 5000 + "a" + "]" * 5000,
                      "line 1: the YAML nests more than 50 lists or mappings deep"),
        "loop.yaml": ("steps: &a [x, *a]", "the alias *a refers to a list or mapping that contains it"),
        "deadline.yaml": ("steps: [上报, 结案]\ndeadlines:\n  default: 上报 -> 结案 within 99999999999 days",
                          "line 3: deadline of 'default': bad duration '99999999999 days': longer "
                          "than 3,653 days (10 years)"),
        "hours.yaml": ("steps: [上报, 结案]\ndeadlines:\n  default: 上报 -> 结案 within 100000 hours",
                       "longer than 3,653 days"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = run("check", str(path))
        assert result.exit_code == 2, (name, result.output)
        assert message in result.stderr, name
        assert "internal error" not in result.stderr
    ten_years = tmp_path / "ten.yaml"
    ten_years.write_text("steps: [上报, 结案]\ndeadlines:\n  default: 上报 -> 结案 within 3650 days",
                         encoding="utf-8")
    assert run("check", str(ten_years)).exit_code == 0


def test_nested_yaml_in_a_calendar_is_an_input_error(tmp_path):
    import pytest

    from procmine.calendar import read_calendar
    from procmine.errors import SpecError

    path = tmp_path / "cal.yaml"
    path.write_text("holidays: &h [2024-01-01, *h]\n")
    with pytest.raises(SpecError, match="refers to a list or mapping that contains it"):
        read_calendar(path)


def _pnml(body: str, after: str = "") -> str:
    return f'<?xml version="1.0"?><pnml><net id="n"><page id="g">{body}</page></net>{after}</pnml>'


_START = '<place id="p1"><initialMarking><text>1</text></initialMarking></place><place id="p2"/>'
_STEP = '<transition id="t1"><name><text>上报</text></name></transition>'
_LINE = '<arc id="a1" source="p1" target="t1"/><arc id="a2" source="t1" target="p2"/>'


def test_pnml_arcs_pm4py_would_drop_and_endless_markings_are_refused_by_check_and_conform(
        tmp_path, orders16):
    """A place-to-place arc was ignored ('OK'), an arc to an unknown id said 'no initial
    marking', and 99999999999 tokens passed `workflow check` while `conform` refused them:
    both commands now read the net through one check."""
    cases = {
        "placeplace.pnml": (_pnml(_START + _STEP + _LINE + '<arc id="a4" source="p1" target="p2"/>'),
                            "arc 'a4' joins two places, 'p1' and 'p2'"),
        "transtrans.pnml": (_pnml(_START + _STEP + '<transition id="t2"><name><text>受理</text>'
                                  '</name></transition>' + _LINE
                                  + '<arc id="a5" source="t1" target="t2"/>'),
                            "arc 'a5' joins two transitions, 't1' and 't2'"),
        "dangling.pnml": (_pnml(_START + _STEP + _LINE + '<arc id="a3" source="t1" target="nowhere"/>'),
                          "arc 'a3' from 't1' to 'nowhere': 'nowhere' is the id of no place or "
                          "transition of the net"),
        "outside.pnml": (_pnml(_START + _STEP + _LINE, '<finalmarkings><marking><place idref="p2">'
                               '<text>1</text></place></marking></finalmarkings>'),
                         "<pnml> holds <net>, <finalmarkings>, but procmine reads one <net>"),
        "bigmark.pnml": (_pnml(_START.replace(">1<", ">99999999999<") + _STEP + _LINE),
                         "place 'p1': the initial marking 99,999,999,999 is more than the 1,000 "
                         "tokens procmine takes"),
        "weight0.pnml": (_pnml(_START + _STEP + _LINE.replace(
                             '"t1"/>', '"t1"><inscription><text>0</text></inscription></arc>', 1)),
                         "arc 'a1': the weight '0' is not a whole number of tokens from 1 to 1,000"),
    }
    for name, (text, message) in cases.items():
        net = tmp_path / name
        net.write_text(text)
        for args in (["workflow", "check", str(net)], ["conform", str(orders16), "--workflow", str(net)]):
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 2, (name, args[0], result.output)
            assert f"Error: {net}: {message}" in result.stderr, (name, args[0])
    good = tmp_path / "good.pnml"
    good.write_text(_pnml(_START + _STEP + _LINE))
    result = run("check", str(good))
    assert result.exit_code == 0 and "OK: every step can happen" in result.stdout
