"""procmine variants: the table, --top, --json and --csv."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from procmine.cli import cli

SMALL = Path(__file__).resolve().parent / "fixtures" / "map_small.csv"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_variants_table():
    result = run("variants", SMALL)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "2 variants of 4 cases"
    assert lines[1].split() == ["variant", "cases", "share", "cumulative", "median", "duration",
                                "length", "activities"]
    first = lines[3].split()
    assert first[:5] == ["0", "3", "75.0%", "75.0%", "9.0"]
    assert lines[3].endswith("上报 → 派遣 → 处置 → 结案")
    assert lines[4].split()[:5] == ["1", "1", "25.0%", "100.0%", "23.0"]
    assert "Read 18 rows" in result.stderr


def test_variants_table_in_chinese_names_the_sequence():
    """The last column holds each variant's steps: 环节序列 (环节数 is a count elsewhere)."""
    from procmine import i18n

    try:
        result = run("--lang", "zh", "variants", SMALL)
    finally:
        i18n.set_language(None)
    assert result.stdout.splitlines()[1].split() == ["路径", "工单数", "占比", "累计占比", "时长中位数",
                                                     "环节个数", "环节序列"]


def test_variants_top():
    result = run("variants", SMALL, "--top", "1")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "2 variants of 4 cases (the 1 most frequent shown)"
    assert "退单" not in result.stdout
    assert run("variants", SMALL, "--top", "0").exit_code == 2


def test_variants_json_and_csv():
    data = json.loads(run("variants", SMALL, "--json").stdout)
    assert data["cases"] == 4 and data["variants"] == 2
    assert data["table"][1]["activities"] == "上报 → 派遣 → 退单 → 派遣 → 处置 → 结案"
    assert data["table"][0]["median_duration"] == 9 * 3600
    rows = list(csv.DictReader(io.StringIO(run("variants", SMALL, "--csv").stdout)))
    assert [r["cases"] for r in rows] == ["3", "1"]
    assert rows[1]["cumulative"] == "1.0"
    assert run("variants", SMALL, "--csv", "--json").exit_code != 0


def test_variants_missing_file(tmp_path):
    result = run("variants", tmp_path / "nope.csv")
    assert result.exit_code != 0
    assert "Error:" in result.output and "Traceback" not in result.output


SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "sample.csv"


def test_variants_through_duckdb_are_the_same_table():
    pandas_run = run("variants", SAMPLE, "--engine", "pandas", "--csv")
    duckdb_run = run("variants", SAMPLE, "--engine", "duckdb", "--csv")
    assert duckdb_run.exit_code == 0, duckdb_run.output
    assert "Engine: duckdb (chosen with --engine)" in duckdb_run.stderr
    assert duckdb_run.stdout == pandas_run.stdout
    assert len(duckdb_run.stdout.splitlines()) == 229  # header and the sample's 228 variants


def test_pandas_only_reading_options_are_refused_by_other_engines():
    result = run("variants", SAMPLE, "--engine", "duckdb", "--strict")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: --strict needs --engine pandas (drop the option, or "
                                     "read the log with --engine pandas)")
