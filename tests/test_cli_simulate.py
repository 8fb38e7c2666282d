"""procmine simulate from the command line, and procmine info on what it writes."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from procmine.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_writes_the_log_and_its_truth_and_shows_the_counts(tmp_path):
    out = tmp_path / "city.csv"
    result = run("simulate", "--cases", "400", "--seed", "5", "-o", str(out))
    assert result.exit_code == 0, result.output
    truth = pd.read_csv(tmp_path / "city.truth.csv")
    assert len(truth) == 400
    log = pd.read_csv(out, encoding="utf-8-sig")
    assert log.columns.tolist() == ["工单编号", "环节", "时间", "承办单位", "层级", "单位类型", "类别",
                                    "来源", "时限", "诉求人", "地址"]
    assert log["工单编号"].nunique() == 400
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith("escalation"))
    assert row.split()[2] == str(truth["escalation"].sum())
    assert "bottleneck (房管办)" in result.stdout
    assert f"Wrote {len(log):,} events of 400 cases" in result.stderr


def test_info_reads_the_generated_file_without_mapping_options(tmp_path):
    out = tmp_path / "sim.csv"
    assert run("simulate", "--cases", "250", "--seed", "2", "-o", str(out)).exit_code == 0
    result = run("info", str(out), "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["cases"] == 250
    mapped = set(info["mapping"])
    assert {"case:concept:name", "concept:name", "time:timestamp", "org:resource", "org:level",
            "org:kind", "case:category", "case:source", "case:deadline"} <= mapped


def test_english_parquet_and_xes_read_back(tmp_path):
    for name in ("en.parquet", "en.xes"):
        out = tmp_path / name
        result = run("simulate", "--cases", "120", "--seed", "8", "--lang", "en", "-o", str(out))
        assert result.exit_code == 0, result.output
        info = run("info", str(out), "--json")
        assert info.exit_code == 0, info.output
        assert json.loads(info.stdout)["cases"] == 120
    assert (tmp_path / "en.truth.csv").exists()


def test_rates_file_and_json_summary(tmp_path):
    rates = tmp_path / "rates.yaml"
    rates.write_text("escalation: 0.3\nping_pong: 0\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    result = run("simulate", "--cases", "600", "--seed", "1", "-o", str(out), "--rates", str(rates),
                 "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rates"]["escalation"] == 0.3
    assert summary["flagged"]["pingpong"] == 0
    assert 0.24 < summary["flagged"]["escalation"] / 600 < 0.36
    assert summary["truth"].endswith("r.truth.csv")


def test_same_seed_same_file(tmp_path):
    for name in ("a.csv", "b.csv"):
        assert run("simulate", "--cases", "200", "--seed", "9", "-o", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_errors_are_one_line_with_an_exit_code(tmp_path):
    result = run("simulate", "--cases", "10", "-o", str(tmp_path / "log.txt"))
    assert result.exit_code == 2    # a usage error, found before simulating
    assert "Error:" in result.output and "unknown log format .txt" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("round_trips: 0.1\n", encoding="utf-8")
    result = run("simulate", "--cases", "10", "-o", str(tmp_path / "x.csv"), "--rates", str(bad))
    assert result.exit_code == 2
    assert "unknown rate 'round_trips'" in result.output
    result = run("simulate", "--cases", "10", "-o", str(tmp_path / "missing" / "x.csv"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_start_or_seed_out_of_range_is_a_one_line_error(tmp_path):
    out = str(tmp_path / "c.csv")
    early = run("simulate", "--cases", "5", "-o", out, "--start", "1600-01-01", "--lang", "en")
    assert early.exit_code == 2, early.output
    assert early.output.strip().splitlines()[-1].startswith(
        "Error: start '1600-01-01': before 1678-01-01, the first day a log's times can hold")
    late = run("simulate", "--cases", "5", "-o", out, "--start", "2300-01-01", "--lang", "zh")
    assert late.exit_code == 2, late.output
    assert "日志时间最晚只能到这一天" in late.output.strip().splitlines()[-1]
    seed = run("simulate", "--cases", "3", "-o", out, "--seed", "-1")
    assert seed.exit_code == 2, seed.output
    assert "'--seed'" in seed.output and "-1" in seed.output
    assert not (tmp_path / "c.csv").exists()


def test_a_year_without_holiday_data_is_a_note(tmp_path):
    result = run("simulate", "--cases", "50", "--seed", "1", "--start", "2027-06-01",
                 "-o", str(tmp_path / "y.csv"))
    assert result.exit_code == 0, result.output
    assert "Note: 2027" in result.stderr


def test_help_lists_every_option():
    result = run("simulate", "--help")
    assert result.exit_code == 0
    for option in ("--cases", "--seed", "--output", "--start", "--lang", "--rates", "--per-day",
                   "--calendar", "--json"):
        assert option in result.output


def test_the_documented_command_makes_the_sample_log(tmp_path, sample):
    """logs/README.md says how logs/sample.csv was made; regenerate it after changing the model."""
    out = tmp_path / "sample.csv"
    rules = tmp_path / "responsibility.yaml"
    assert run("simulate", "--cases", "3000", "--seed", "42", "-o", str(out),
               "--responsibility", str(rules)).exit_code == 0
    assert out.read_bytes() == sample.read_bytes()
    assert (tmp_path / "sample.truth.csv").read_bytes() == sample.with_name("sample.truth.csv").read_bytes()
    assert rules.read_bytes() == sample.with_name("responsibility.yaml").read_bytes()
