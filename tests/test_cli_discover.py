"""procmine discover: the quality table, --json, saved models and diagrams."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from procmine.cli import cli
from procmine.discover import discover_model
from procmine.read import read_log

warnings.filterwarnings("ignore", module="pm4py")
SMALL = Path(__file__).resolve().parent / "fixtures" / "map_small.csv"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_discover_prints_quality_equal_to_the_api(real):
    path = real("running-example.xes")
    result = run("discover", path, "--algorithm", "heuristics")
    assert result.exit_code == 0, result.output
    q = discover_model(read_log(path), algorithm="heuristics").quality
    pairs = dict(line.split(None, 1) for line in result.stdout.splitlines() if " " in line)
    assert pairs["algorithm"].strip() == "heuristics"
    assert pairs["cases"].strip() == "6"
    assert pairs["fitness"].strip() == f"{q.fitness:.4f}"
    assert pairs["precision"].strip() == f"{q.precision:.4f}"
    assert "Read 42 rows" in result.stderr


def test_discover_json():
    result = run("discover", SMALL, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["algorithm"] == "inductive" and data["variants"] == 2
    assert data["quality"]["fitness"] == 1.0 and data["quality"]["method"] == "token-replay"
    assert "->" in data["tree"]
    assert result.stderr == ""  # --json is quiet


def test_discover_saves_model_and_diagram(tmp_path):
    model, diagram = tmp_path / "m.pnml", tmp_path / "m.dot"
    result = run("discover", SMALL, "--model", model, "--diagram", diagram, "--notation", "bpmn")
    assert result.exit_code == 0, result.output
    assert "<pnml" in model.read_text(encoding="utf-8")
    assert "上报" in diagram.read_text(encoding="utf-8")
    assert "Wrote the model" in result.stderr and "bpmn diagram" in result.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_discover_png_diagram(tmp_path):
    out = tmp_path / "tree.png"
    result = run("discover", SMALL, "--diagram", out, "--notation", "tree", "--no-quality")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")
    assert "fitness" not in result.stdout


def test_discover_errors_are_one_line(tmp_path):
    result = run("discover", SMALL, "--algorithm", "alpha", "--notation", "tree",
                 "--diagram", tmp_path / "t.svg")
    assert result.exit_code == 2
    assert result.output.count("Error:") == 1 and "process tree" in result.output
    noise = run("discover", SMALL, "--algorithm", "heuristics", "--noise", "0.2")
    assert noise.exit_code == 2 and "inductive" in noise.output
    assert run("discover", SMALL, "--algorithm", "genetic").exit_code == 2


SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "sample.csv"


def test_discover_through_duckdb_mines_the_same_model(tmp_path):
    pandas_run = run("discover", SAMPLE, "--noise", "0.2", "--engine", "pandas", "--json")
    duckdb_run = run("discover", SAMPLE, "--noise", "0.2", "--engine", "duckdb", "--json",
                     "--model", tmp_path / "model.pnml")
    assert duckdb_run.exit_code == 0, duckdb_run.output
    ours, theirs = json.loads(duckdb_run.stdout), json.loads(pandas_run.stdout)
    assert ours == theirs and ours["cases"] == 3000
    assert (tmp_path / "model.pnml").read_text(encoding="utf-8").count("<transition ") == \
        ours["transitions"]
