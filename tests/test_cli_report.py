"""procmine report on the command line, and its numbers against the other commands'.

The report runs each analysis through the library call of the command that
prints it, with that command's defaults; these tests read the numbers back from
the page (``data-key``/``data-value`` of the cards, ``data-value`` of the table
cells) and compare them with the ``--json`` output of ``procmine info``,
``map``, ``variants``, ``discover``, ``conform``, ``bottlenecks`` and ``loops``
on the same log.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from procmine.cli import cli

pytestmark = pytest.mark.slow   # one report and six commands on the sample log: ~40 s


def run(*args: str):
    # English messages also in the module's fixture (conftest pins them per test only)
    return CliRunner(env={"PROCMINE_LANG": "en"}).invoke(cli, [str(a) for a in args],
                                                         catch_exceptions=False)


def command_json(*args) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    root = Path(__file__).resolve().parents[1] / "logs"
    log, workflow = root / "sample.csv", root / "workflow.yaml"
    if not (log.exists() and workflow.exists()):
        pytest.skip("logs/sample.csv or logs/workflow.yaml is missing")
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = run("report", log, "--workflow", workflow, "-o", out)
    assert result.exit_code == 0, result.output
    return log, workflow, result, lxml_html.document_fromstring(out.read_text(encoding="utf-8"))


def card(doc, key: str) -> str:
    (el,) = doc.xpath(f"//*[@data-key='{key}']")
    return el.get("data-value")


def table(doc, name: str) -> list[dict[str, str]]:
    (tab,) = doc.xpath(f"//table[@data-table='{name}']")
    cols = [th.get("data-col") for th in tab.xpath("./thead/tr/th")]
    return [dict(zip(cols, [td.get("data-value") for td in tr.xpath("./td")], strict=True))
            for tr in tab.xpath("./tbody/tr")]


def same(shown: str, expected) -> bool:
    """A value of the page equals a value of a command's JSON (exactly, for numbers)."""
    if expected is None:
        return shown == ""
    if isinstance(expected, bool):
        return shown == ("true" if expected else "false")
    if isinstance(expected, (int, float)):
        return shown != "" and float(shown) == float(expected)
    return shown == str(expected)


def assert_rows(doc, name: str, expected: list[dict], columns: list[str], *, key=None):
    rows = table(doc, name)
    assert rows, f"table {name} is empty"
    assert len(rows) <= len(expected)
    for got, want in zip(rows, expected, strict=False):
        for column in columns:
            value = want[column] if key is None else key(want, column)
            assert same(got[column], value), f"{name}.{column}: {got[column]!r} != {value!r}"


def test_writes_the_file_and_keeps_stdout_empty(sample_report):
    _, _, result, doc = sample_report
    assert result.stdout == ""
    assert "Wrote" in result.stderr
    names = [el.get("data-section") for el in doc.xpath("//details[@data-section]")]
    assert names == ["summary", "quality", "map", "model", "conformance", "bottlenecks",
                     "patterns", "audit", "variants"]


def test_summary_and_quality_equal_info(sample_report):
    log, _, _, doc = sample_report
    info = command_json("info", log)
    for key in ("cases", "events", "activities", "variants", "units", "first", "last"):
        assert same(card(doc, f"summary.{key}"), info[key]), key
    for key in ("categories", "sources", "top_activities"):
        assert_rows(doc, f"summary.{key}", info[key], ["name", "count", "share"])
        assert len(table(doc, f"summary.{key}")) == len(info[key])
    for key in ("rows_read", "rows_kept", "rows_dropped", "duplicates"):
        assert same(card(doc, f"quality.{key}"), info["load"][key]), key


def test_map_equals_map(sample_report):
    log, _, _, doc = sample_report
    edges = command_json("map", log)["edges"]
    by_pair = {(e["source"], e["target"]): e for e in edges}
    rows = table(doc, "map.edges")
    assert rows
    for row in rows:
        edge = by_pair[(row["source"], row["target"])]
        for column in ("count", "cases", "median"):
            assert same(row[column], edge[column]), (row, column)


def test_model_equals_discover(sample_report):
    log, _, _, doc = sample_report
    quality = command_json("discover", log)["quality"]
    for key in ("fitness", "precision", "generalization", "simplicity", "fitting_cases"):
        assert same(card(doc, f"model.{key}"), quality[key]), key


def test_conformance_equals_conform(sample_report):
    log, workflow, _, doc = sample_report
    conform = command_json("conform", log, "--workflow", workflow)
    for key in ("fitness", "precision", "conforming_cases", "conforming_share"):
        assert same(card(doc, f"conformance.{key}"), conform[key]), key
    assert_rows(doc, "conformance.deviations", conform["deviations"], ["kind", "cases", "share"])


def test_bottlenecks_equal_bottlenecks(sample_report):
    log, workflow, _, doc = sample_report
    result = command_json("bottlenecks", log, "--workflow", workflow)
    assert same(card(doc, "bottlenecks.total_wait"), result["total_wait"])
    assert_rows(doc, "bottlenecks.transitions", result["table"],
                ["source", "target", "count", "median", "p90", "total", "share"])
    deadlines = result["deadlines"]
    assert same(card(doc, "bottlenecks.on_time_rate"), deadlines["on_time_rate"])
    assert same(card(doc, "bottlenecks.overdue"), deadlines["overdue"])
    assert same(card(doc, "bottlenecks.overdue_median"), deadlines["overdue_median"])
    assert_rows(doc, "bottlenecks.deadlines_by_category", deadlines["by_category"],
                ["category", "deadline_cases", "overdue_cases", "on_time_rate"])
    units = command_json("bottlenecks", log, "--workflow", workflow, "--by", "unit")["table"]
    assert_rows(doc, "bottlenecks.units", units,
                ["unit", "cases", "wip_peak", "wait_median", "wait_total", "overdue_cases"])


def test_patterns_equal_loops(sample_report):
    log, workflow, _, doc = sample_report
    summary = command_json("loops", log, "--workflow", workflow)["summary"]
    rows = table(doc, "patterns.summary")
    assert len(rows) == len(summary) == 8
    for got, want in zip(rows, summary, strict=True):
        for column in ("cases", "share", "cost_s", "cost_work_s", "mean_cost_s", "top_units"):
            assert same(got[column], want[column]), (want["pattern"], column)
    for want in summary:
        assert same(card(doc, f"patterns.{want['pattern']}"), want["share"])


def test_variants_equal_variants(sample_report):
    log, _, _, doc = sample_report
    result = command_json("variants", log)
    assert same(card(doc, "variants.count"), result["variants"])
    assert_rows(doc, "variants.table", result["table"],
                ["variant", "cases", "share", "cumulative", "median_duration", "length",
                 "activities"],
                key=lambda row, column: row[column] + 1 if column == "variant" else row[column])
    assert len(table(doc, "variants.table")) == 30


def test_quiet_lang_and_title(tmp_path, orders16):
    out = tmp_path / "r.html"
    result = run("report", orders16, "-o", out, "--quiet", "--lang", "en", "--title", "Street A")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    doc = lxml_html.document_fromstring(out.read_text(encoding="utf-8"))
    assert doc.xpath("//title")[0].text == "Street A"
    assert doc.xpath("//details[@data-section='summary']//h2")[0].text_content() == "1 Summary"


def test_progress_names_the_stages(tmp_path, orders16):
    result = run("report", orders16, "-o", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    assert "report" in result.stderr and "Wrote" in result.stderr
    assert result.stdout == ""


def test_refuses_to_overwrite_the_log(tmp_path, orders16):
    log = tmp_path / "orders.csv"
    log.write_bytes(orders16.read_bytes())
    result = run("report", log, "-o", log)
    assert result.exit_code == 2  # a usage error, as docs/cli.md says
    assert "overwrite the input" in result.output
    assert log.read_bytes() == orders16.read_bytes()


def test_unknown_language_is_a_usage_error(tmp_path, orders16):
    result = run("report", orders16, "-o", tmp_path / "r.html", "--lang", "fr")
    assert result.exit_code == 2
    assert not (tmp_path / "r.html").exists()


def test_bad_workflow_fails_before_reading_the_log(tmp_path, orders16):
    spec = tmp_path / "wf.yaml"
    spec.write_text("name: x\nsteps: [上报, \n", encoding="utf-8")
    result = run("report", orders16, "--workflow", spec, "-o", tmp_path / "r.html")
    assert result.exit_code == 2
    assert "wf.yaml" in result.output and "Read" not in result.stderr
    assert not (tmp_path / "r.html").exists()
