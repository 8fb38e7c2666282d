"""procmine network on the command line."""

from __future__ import annotations

import json
from io import StringIO

import pandas as pd
from click.testing import CliRunner

from procmine.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_table_shows_the_measures_and_the_units(sample):
    r = run("network", str(sample), "--top", "5")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith("Hand-over network (working time)")
    assert "cross_kind_share" in out and "Per unit" in out
    assert "街道城运中心" in out and "房管办" in out
    assert "Edges (top 5 of" in out
    assert "Hand-overs by 条/块 (line/block)" in out


def test_json_has_nodes_edges_and_measures(sample):
    r = run("network", str(sample), "--type", "together", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["kind"] == "together"
    assert data["measures"]["cases"] == 3000
    centre = next(n for n in data["nodes"] if n["unit"] == "街道城运中心")
    assert centre["cases"] == 3000              # the centre acts in every order


def test_csv_of_units_and_of_edges(sample):
    units = pd.read_csv(StringIO(run("network", str(sample), "--csv").stdout))
    assert {"unit", "level", "kind", "out", "in", "betweenness"} <= set(units.columns)
    edges = pd.read_csv(StringIO(run("network", str(sample), "--csv", "--table", "edges").stdout))
    assert {"source", "target", "count", "median_s"} <= set(edges.columns)
    assert edges["count"].sum() == units["out"].sum() == units["in"].sum()


def test_escalation_drawing_and_dot(tmp_path, sample):
    svg = tmp_path / "levels.svg"
    r = run("network", str(sample), "--type", "escalation", "-o", str(svg))
    assert r.exit_code == 0, r.output
    assert svg.read_text(encoding="utf-8").count("<svg") == 1
    assert "up" in r.stdout and "down" in r.stdout
    dot = tmp_path / "net.dot"
    assert run("network", str(sample), "-o", str(dot), "--json").exit_code == 0
    text = dot.read_text(encoding="utf-8")
    assert "rank=same" in text and "房管办" in text


def test_errors_are_one_line(tmp_path, orders16):
    r = run("network", str(orders16), "-o", str(tmp_path / "net.gif"))
    assert r.exit_code != 0
    assert "Error:" in r.output and ".svg" in r.output
    assert "Traceback" not in r.output
    bad = run("network", str(orders16), "--type", "ring")
    assert bad.exit_code == 2


def test_help_lists_every_option():
    r = run("network", "--help")
    for option in ("--type", "--output", "--top", "--table", "--calendar", "--json", "--csv"):
        assert option in r.output


def test_a_log_without_times_shows_no_hand_over_times_and_no_calendar(tmp_path, sample):
    """With --order-as-time the hand-over times were 0.0 (the file's order, a second apart)
    and a calendar note spoke of 1999-2000; now they are empty and no calendar is said."""
    frame = pd.read_csv(sample, dtype=str).head(300)
    untimed = tmp_path / "untimed.csv"
    frame.drop(columns=["时间"]).to_csv(untimed, index=False)
    r = CliRunner().invoke(cli, ["network", str(untimed), "--order-as-time", "--csv"])
    assert r.exit_code == 0, r.output
    units = pd.read_csv(StringIO(r.stdout))
    assert units["median_in_s"].isna().all()
    assert units["cases"].max() > 0                 # the counts are there
    assert "1999" not in r.stderr and "Calendar" not in r.stderr
    r = CliRunner().invoke(cli, ["network", str(untimed), "--order-as-time", "--json"])
    data = json.loads(r.stdout)
    assert data["measures"]["median_s"] is None and data["measures"]["handovers"] > 0
    assert {e["median_s"] for e in data["edges"]} == {None}
    r = CliRunner().invoke(cli, ["network", str(untimed), "--order-as-time", "--type",
                                 "escalation", "--json"])
    assert json.loads(r.stdout)["measures"]["median_up_s"] is None
    assert "1999" not in r.stderr
