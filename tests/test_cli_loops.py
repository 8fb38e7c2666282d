"""procmine loops on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from procmine.cli import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MAP = ["--resource", "unit"]


def run(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_summary_table_names_the_round_trips():
    r = run("loops", str(FIXTURES / "loops_escalation.csv"), *MAP, "--level", "level",
            "--pattern", "escalation")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "Governance patterns in 4 cases"
    row = next(line for line in lines if line.startswith("escalation"))
    assert row.split()[1:3] == ["2", "50.0%"]
    assert "街道A (2)" in row


def test_json_has_summary_details_and_skips(tmp_path):
    r = run("loops", str(FIXTURES / "loops_hugging.csv"), *MAP, "--deadline", "deadline",
            "--calendar", "none", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    summary = {row["pattern"]: row for row in data["summary"]}
    assert summary["hugging"]["cases"] == 1
    assert data["details"]["hugging"]["late_extensions"] == 1
    assert "escalation" in data["skipped"]
    assert data["cases"] == 4


def test_cases_csv_lists_the_evidence(tmp_path):
    out = tmp_path / "flagged.csv"
    r = run("loops", str(FIXTURES / "loops_pingpong.csv"), *MAP, "--pattern", "pingpong",
            "--cases", str(out))
    assert r.exit_code == 0, r.output
    flagged = pd.read_csv(out, encoding="utf-8-sig")
    assert flagged["case"].tolist() == ["P1"]
    assert "退单 [街道A]" in flagged.loc[0, "events"]
    assert "退单 [城管中队B]" in flagged.loc[0, "events"]


def test_by_level_csv(tmp_path):
    r = run("loops", str(FIXTURES / "loops_escalation.csv"), *MAP, "--level", "level",
            "--pattern", "escalation", "--by", "level", "--csv")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "pattern,level,cases,flagged,share,cost_s,cost_work_s"
    assert lines[1].startswith("escalation,街镇,4,2,0.5,")


def test_diagram_svg(tmp_path):
    out = tmp_path / "loops.svg"
    r = run("loops", str(FIXTURES / "loops_escalation.csv"), *MAP, "--level", "level",
            "--diagram", str(out))
    assert r.exit_code == 0, r.output
    svg = out.read_text(encoding="utf-8")
    assert "<svg" in svg and "街镇" in svg
    # escalations up from the streets (4) and dispatches down to them (8)
    assert "↑ 4" in svg and "↓ 8" in svg


def test_alias_option_names_a_role():
    path = str(FIXTURES / "loops_reopen.csv")
    r = run("loops", path, *MAP, "--pattern", "reopen")
    assert next(line for line in r.stdout.splitlines() if line.startswith("reopen")).split()[1] == "1"
    # read 结案 as a callback: no closure is left, so reopen cannot run
    r = run("loops", path, *MAP, "--pattern", "reopen", "--alias", "结案=callback")
    assert r.exit_code == 0
    assert "Skipped reopen: no activity maps to the role close" in r.stdout
    r = run("loops", path, *MAP, "--pattern", "reopen", "--alias", "bad")
    assert r.exit_code == 2 and "NAME=ROLE" in r.output


def test_an_unknown_role_or_window_is_a_one_line_error():
    path = str(FIXTURES / "loops_reopen.csv")
    r = run("loops", path, *MAP, "--pattern", "reopen", "--alias", "结案=nonsense")
    assert r.exit_code == 2, r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("Error: alias 结案=nonsense: unknown role 'nonsense' (known roles: report,")
    assert "callback" in last
    for option, value, error in (("--desk-minutes", "-5", "desk_minutes -5.0"),
                                 ("--desk-minutes", "nan", "desk_minutes nan"),
                                 ("--desk-minutes", "inf", "desk_minutes inf"),
                                 ("--extension-hours", "-1", "extension_hours -1.0")):
        r = run("loops", str(FIXTURES / "loops_desk.csv"), option, value)
        assert r.exit_code == 2, (option, value, r.output)
        assert f"Error: {error}: expected" in r.output


def test_unknown_pattern_is_a_usage_error():
    r = run("loops", str(FIXTURES / "loops_desk.csv"), "--pattern", "gaming")
    assert r.exit_code == 2
    assert "'gaming' is not one of" in r.output


def test_real_log_without_levels_runs_the_unit_patterns():
    import pytest

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "receipt.csv"
    if not path.exists():
        pytest.skip(f"real log {path} is absent")
    import pm4py

    r = run("loops", str(path))
    assert r.exit_code == 0, r.output
    rows = {line.split()[0] for line in r.stdout.splitlines()[3:] if line and not line[0].isupper()}
    assert {"pingpong", "rework"} <= rows
    assert "Skipped escalation: the log has no org:level column" in r.stdout
    df = pd.read_csv(path)
    df["time:timestamp"] = pd.to_datetime(df["time:timestamp"], utc=True, format="ISO8601")
    name, cases = max(pm4py.get_rework_cases_per_activity(df).items(), key=lambda kv: kv[1])
    assert f"repeated within a case (cases): {name} ({cases:,})" in r.stdout


def test_workflow_aliases_name_the_roles(tmp_path):
    log = tmp_path / "reopen.csv"
    text = (FIXTURES / "loops_reopen.csv").read_text(encoding="utf-8")
    log.write_text(text.replace("不满意", "市民差评").replace("重办", "二次派发"), encoding="utf-8")
    spec = tmp_path / "workflow.yaml"
    spec.write_text("steps:\n  - 处置\n  - 结案\n  - step: 不满意\n    optional: true\n"
                    "aliases:\n  不满意: [市民差评]\n", encoding="utf-8")
    plain = run("loops", str(log), *MAP, "--pattern", "reopen")
    assert "Skipped reopen: no activity maps to the role dissatisfied/reopen" in plain.stdout
    r = run("loops", str(log), *MAP, "--pattern", "reopen", "--workflow", str(spec), "--json")
    assert r.exit_code == 0, r.output
    assert {row["pattern"]: row["cases"] for row in json.loads(r.stdout)["summary"]} == {"reopen": 1}


def test_duckdb_engine_gives_the_json_of_pandas():
    sample = str(Path(__file__).resolve().parents[1] / "logs" / "sample.csv")
    duck = run("loops", sample, "--engine", "duckdb", "--memory-limit", "1GiB", "--by", "unit",
               "--json")
    assert duck.exit_code == 0, duck.output
    assert duck.stderr.splitlines()[0] == "Engine: duckdb (chosen with --engine)"
    plain = run("loops", sample, "--engine", "pandas", "--by", "unit", "--json")
    assert plain.exit_code == 0, plain.output
    assert duck.stdout == plain.stdout
    assert json.loads(duck.stdout)["cases"] == 3000


def test_duckdb_engine_writes_the_cases_csv_of_pandas(tmp_path):
    # the evidence is read from the engine's database, while the engine is open
    sample = str(Path(__file__).resolve().parents[1] / "logs" / "sample.csv")
    duck, plain = tmp_path / "duck.csv", tmp_path / "plain.csv"
    r = run("loops", sample, "--engine", "duckdb", "--memory-limit", "1GiB", "--cases", str(duck))
    assert r.exit_code == 0, r.output
    assert "Wrote 1,511 flagged cases to" in r.stderr
    assert run("loops", sample, "--engine", "pandas", "--cases", str(plain)).exit_code == 0
    assert duck.read_bytes() == plain.read_bytes()


def test_engine_says_what_it_read_as_pandas_does():
    sample = str(Path(__file__).resolve().parents[1] / "logs" / "sample.csv")
    r = run("loops", sample, "--engine", "duckdb", "--pattern", "reopen")
    assert r.exit_code == 0, r.output
    assert ("Read 34,609 rows from " + sample + " (duckdb engine): kept 34,609, dropped 0."
            in r.stderr.splitlines())
    assert r.stdout.splitlines()[3].split()[:2] == ["reopen", "122"]


def test_strict_needs_the_pandas_engine():
    r = run("loops", str(FIXTURES / "loops_desk.csv"), "--engine", "duckdb", "--strict")
    assert r.exit_code != 0
    assert "--strict needs --engine pandas" in r.output


def test_working_cost_is_in_working_days_of_the_calendar():
    # 79,200 working seconds = 22 working hours: 3.1 seven-hour working days under cn
    r = run("loops", str(FIXTURES / "loops_escalation.csv"), "--pattern", "escalation",
            "--calendar", "cn")
    row = next(line for line in r.stdout.splitlines() if line.startswith("escalation"))
    assert "3.0 d" in row and "3.1 working days" in row
    r = run("loops", str(FIXTURES / "loops_escalation.csv"), "--pattern", "escalation",
            "--calendar", "weekdays", "--timezone", "Asia/Shanghai")
    assert "Calendar: weekdays (--calendar)" in r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith("escalation"))
    assert "working days" in row or "working h" in row
