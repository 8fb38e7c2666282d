"""procmine map: files in every format, the path table, and a missing Graphviz."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from procmine.cli import cli

HERE = Path(__file__).resolve().parent
SMALL = HERE / "fixtures" / "map_small.csv"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_map_dot_file_matches_golden(tmp_path):
    out = tmp_path / "map.dot"
    result = run("map", SMALL, "-o", out, "--title", "map_small.csv")
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == (HERE / "golden" / "map_small_frequency.dot").read_text(
        encoding="utf-8")
    assert result.stdout == ""
    assert "Wrote the map to" in result.stderr and "5 of 5 activities" in result.stderr


@needs_dot
@pytest.mark.parametrize("suffix,head", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_map_images(tmp_path, suffix, head):
    out = tmp_path / f"map.{suffix}"
    result = run("map", SMALL, "-o", out, "--metric", "median-wait", "--by", "level")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(head)
    if suffix == "svg":
        text = out.read_text(encoding="utf-8")
        assert ">11.9 h</text>" in text and ">网格</text>" in text


def test_map_without_graphviz(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run("map", SMALL, "-o", tmp_path / "map.png", env={"PATH": str(empty)})
    assert result.exit_code == 3
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "apt-get install graphviz" in lines[0]
    assert not (tmp_path / "map.png").exists()
    ok = run("map", SMALL, "-o", tmp_path / "map.dot", env={"PATH": str(empty)})
    assert ok.exit_code == 0 and (tmp_path / "map.dot").exists()


def test_map_lists_paths_without_output():
    result = run("map", SMALL, "--metric", "median-wait")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "5 paths between 5 activities (median-wait)"
    row = next(line for line in lines if line.startswith("处置") and "结案" in line)
    assert row.split() == ["处置", "结案", "11.9", "h", "4"]


def test_map_of_one_step_cases(tmp_path):
    """Cases of a single event: no paths, only start and end arrows; filters cope."""
    log = tmp_path / "one.csv"
    log.write_text("工单编号,环节,时间\nA,上报,2024-01-01 09:00\nB,上报,2024-01-01 10:00\n",
                   encoding="utf-8")
    result = run("map", log, "--paths", "10", "--activities", "10", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["activities"] == {"shown": 1, "total": 1}
    assert data["paths"] == {"shown": 0, "total": 0}
    assert [(e["source"], e["target"], e["count"]) for e in data["edges"]] == [
        ("▶", "上报", 2), ("上报", "■", 2)]


def test_map_json_and_csv():
    data = json.loads(run("map", SMALL, "--json", "--metric", "total-wait").stdout)
    assert data["activities"] == {"shown": 5, "total": 5}
    pair = next(e for e in data["edges"] if e["source"] == "派遣" and e["target"] == "处置")
    assert pair["value"] == 9.75 * 3600 and pair["count"] == 4
    rows = list(csv.DictReader(io.StringIO(run("map", SMALL, "--csv").stdout)))
    assert {(r["source"], r["target"]) for r in rows} >= {("上报", "派遣"), ("退单", "派遣")}


def test_map_filters_and_errors(tmp_path):
    # --paths alone keeps every activity, so the rare loop 派遣 -> 退单 -> 派遣 stays
    data = json.loads(run("map", SMALL, "--paths", "0", "--json").stdout)
    assert data["paths"] == {"shown": 5, "total": 5}
    # dropping the rarest activity (退单) leaves the one path through the others
    data = json.loads(run("map", SMALL, "--activities", "0", "--paths", "0", "--json").stdout)
    assert data["activities"] == {"shown": 4, "total": 5}
    assert data["paths"] == {"shown": 3, "total": 5}
    assert "退单" not in {n["activity"] for n in data["nodes"]}
    assert run("map", SMALL, "--paths", "101").exit_code == 2
    bad = run("map", SMALL, "-o", tmp_path / "map.jpg")
    assert bad.exit_code != 0 and ".svg, .png, .pdf or .dot" in bad.output
    refuse = run("map", SMALL, "-o", SMALL)
    assert refuse.exit_code != 0


def test_working_time_map_shows_the_bottleneck_numbers(sample):
    """procmine map --metric p90-wait --working-time gives the p90 of procmine bottlenecks."""
    import json

    from click.testing import CliRunner

    from procmine.cli import cli

    runner = CliRunner()
    pmap = json.loads(runner.invoke(cli, ["map", str(sample), "--metric", "p90-wait",
                                          "--working-time", "--json"]).stdout)
    ranked = json.loads(runner.invoke(cli, ["bottlenecks", str(sample), "--json"]).stdout)
    on_map = {(e["source"], e["target"]): e["value"] for e in pmap["edges"]
              if e["source"] != "▶" and e["target"] != "■"}  # start and end arrows: no wait
    in_table = {(r["source"], r["target"]): r["p90"] for r in ranked["table"]}
    assert on_map.keys() == in_table.keys()
    for pair, value in in_table.items():
        assert on_map[pair] == pytest.approx(value, rel=1e-12), pair


SAMPLE_LOG = Path(__file__).resolve().parents[1] / "logs" / "sample.csv"


@pytest.mark.parametrize("metric", ["frequency", "median-wait"])
def test_map_through_duckdb_is_the_same_map(metric):
    args = ("map", SAMPLE_LOG, "--metric", metric, "--working-time", "--by", "unit", "--json")
    pandas_run = run(*args, "--engine", "pandas")
    duckdb_run = run(*args, "--engine", "duckdb", "--memory-limit", "40MB")
    assert duckdb_run.exit_code == 0, duckdb_run.output
    assert "Engine: duckdb (chosen with --engine)" in duckdb_run.stderr
    ours, theirs = json.loads(duckdb_run.stdout), json.loads(pandas_run.stdout)
    assert ours["nodes"] == theirs["nodes"] and ours["paths"] == theirs["paths"]
    for a, b in zip(ours["edges"], theirs["edges"], strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float):
                assert a[key] == pytest.approx(b[key], abs=0.5), key
            else:
                assert a[key] == b[key], key
