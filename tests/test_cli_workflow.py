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
    assert result.exit_code == 1 and "unknown drawing format" in result.output
