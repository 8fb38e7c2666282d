"""procmine compare on the command line, and the acceptance test of the reform."""

from __future__ import annotations

import json
from io import StringIO

import pandas as pd
import pytest
from click.testing import CliRunner

from procmine.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_split_table_shows_both_sides_the_change_and_the_test(sample):
    r = run("compare", str(sample), "--split", "2024-01-25")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("before 2024-01-25 (") and "alpha 0.05 after Holm" in lines[0]
    header = lines[1].split()
    assert header[:3] == ["indicator", "before", "2024-01-25"]
    cases = next(line for line in lines if line.startswith("cases"))
    before, after = (int(x.replace(",", "")) for x in cases.split()[1:3])
    assert before + after == 3000
    assert any(line.startswith("ping-pong") and "two-proportion z" in line for line in lines)
    assert "Difference map:" in r.stdout


def test_two_logs_json_and_csv(tmp_path, sample):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path, seed in ((a, 1), (b, 2)):
        assert run("simulate", "--cases", "600", "--seed", str(seed), "-o", str(path)).exit_code == 0
    r = run("compare", str(a), str(b), "--json", "--calendar", "none")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["labels"] == ["a", "b"] and data["cases"] == [600, 600]
    assert data["correction"] == "holm"
    rows = {row["indicator"]: row for row in data["indicators"]}
    assert rows["cycle_median_s"]["test"] == "Mann-Whitney U"
    assert rows["cycle_median_s"]["n_a"] == 600
    table = pd.read_csv(StringIO(run("compare", str(a), str(b), "--csv", "--labels", "甲,乙").stdout))
    assert {"indicator", "a", "b", "p_value", "p_adjusted", "significant"} <= set(table.columns)


def test_difference_map_file(tmp_path, sample):
    out = tmp_path / "diff.svg"
    r = run("compare", str(sample), "--split", "2024-01-25", "-o", str(out), "--top", "20")
    assert r.exit_code == 0, r.output
    svg = out.read_text(encoding="utf-8")
    assert svg.count("<svg") == 1 and "派遣" in svg and " pp" in svg


def test_usage_errors(sample):
    assert run("compare", str(sample)).exit_code == 2
    assert run("compare", str(sample), str(sample), "--split", "2024-01-25").exit_code == 2
    r = run("compare", str(sample), "--split", "2031-01-01")
    assert r.exit_code != 0 and "Error:" in r.output and "inside the log's period" in r.output
    assert run("compare", str(sample), "--split", "2024-01-25", "--labels", "x").exit_code == 2


# -- acceptance: a reform that halves ping-pong and cuts one unit's service time --------------
SPLIT = "2024-06-03"


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reform")
    reform = folder / "reform.yaml"
    reform.write_text("rates:\n  pingpong: 0.02     # half the default 0.04\n"
                      "service:\n  房管办: 0.5\n", encoding="utf-8")
    out = {}
    for name, extra in (("reformed", ["--reform-date", SPLIT, "--reform-rates", str(reform)]),
                        ("plain", [])):
        path = folder / f"{name}.csv"
        r = run("simulate", "--cases", "12000", "--seed", "1", "--start", "2024-03-01",
                "-o", str(path), *extra)
        assert r.exit_code == 0, r.output
        out[name] = path
    return out


def compare_json(path) -> dict:
    r = run("compare", str(path), "--split", SPLIT, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.slow
def test_compare_finds_the_reform_and_nothing_else(logs):
    data = compare_json(logs["reformed"])
    rows = {row["indicator"]: row for row in data["indicators"]}
    pingpong = rows["pattern:pingpong"]
    assert pingpong["significant"] and pingpong["b"] < 0.6 * pingpong["a"]
    assert pingpong["n_a"] + pingpong["n_b"] == 12000
    housing = next(u for u in data["units"] if u["unit"] == "房管办")
    assert housing["significant"] and housing["median_b"] < housing["median_a"]
    # indicators the reform did not touch
    for untouched in ("pattern:reopen", "pattern:escalation", "pattern:dumping", "pattern:rework",
                      "pattern:desk"):
        assert rows[untouched]["significant"] is False, untouched


@pytest.mark.slow
def test_compare_finds_no_change_where_there_was_none(logs):
    data = compare_json(logs["plain"])
    flagged = [row["indicator"] for row in data["indicators"] if row["significant"]]
    assert flagged == []
    assert [u["unit"] for u in data["units"] if u["significant"]] == []
    assert not any(e["significant_share"] or e["significant_wait"] for e in data["edges"])


def _head(sample, tmp_path, rows: int = 454):
    small = tmp_path / "small.csv"
    pd.read_csv(sample, dtype=str, encoding="utf-8-sig").head(rows).to_csv(small, index=False)
    return small


def test_a_workflow_without_deadlines_leaves_them_to_the_logs_deadline_column(tmp_path, sample):
    """A BPMN/PNML model or a spec without deadlines failed with 'the workflow sets no
    deadlines' although the log has a deadline column (时限)."""
    small = _head(sample, tmp_path)
    spec = tmp_path / "steps.yaml"
    spec.write_text("steps: [上报, 受理, 立案, 派遣, 签收, 处置, 反馈, 核查, 结案]\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["compare", str(small), "--split", "2024-01-01T12:00",
                                 "--workflow", str(spec), "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["indicator"]: row for row in json.loads(r.stdout)["indicators"]}
    assert rows["on_time_rate"]["n_a"] + rows["on_time_rate"]["n_b"] == 40   # every case has 时限
    assert "fitness" in rows
    r = CliRunner().invoke(cli, ["bottlenecks", str(small), "--workflow", str(spec)])
    assert r.exit_code == 0, r.output
    assert "the workflow sets no deadlines: the log's deadline column is used" in r.stdout


def test_labels_must_name_two_different_sides(tmp_path, sample):
    small = _head(sample, tmp_path)
    for labels in (",", "A,A", "甲,"):
        r = CliRunner().invoke(cli, ["compare", str(small), "--split", "2024-01-01T12:00",
                                     "--labels", labels])
        assert r.exit_code == 2, (labels, r.output)
        assert f"Error: --labels {labels}: the two sides need two different names" in r.stderr


def test_a_log_without_times_is_refused_by_name_with_a_split_or_two_logs(tmp_path, sample):
    """It said 'loops measures time' (another command), or that the log ran from 2000-01-01
    to 2000-01-01 (the file's order read as times)."""
    untimed = tmp_path / "untimed.csv"
    pd.read_csv(sample, dtype=str, encoding="utf-8-sig").head(200).drop(columns=["时间"]).to_csv(
        untimed, index=False)
    for args in (["--split", "2024-01-25"], [str(untimed)]):
        r = CliRunner().invoke(cli, ["compare", str(untimed), *args, "--order-as-time"])
        assert r.exit_code == 2, (args, r.output)
        assert "Error: compare measures time, and this log has none" in r.stderr
        assert "loops" not in r.stderr and "2000-01-01" not in r.stderr
