"""procmine conform: the command line over check_conformance."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from procmine.cli import cli

ROOT = Path(__file__).resolve().parents[1]
ORDERS = str(Path(__file__).resolve().parent / "fixtures" / "conform_orders.csv")
WORKFLOW = str(ROOT / "logs" / "workflow.yaml")


def run(*args: str):
    return CliRunner().invoke(cli, ["conform", *args])


def test_summary_and_top_deviations():
    result = run(ORDERS, "--workflow", WORKFLOW)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "cases             6" in out
    assert "fitting cases     3 (50.0%)" in out          # GD003/GD004 skip 核查, GD005 reopens
    assert "conforming cases  2 (33.3%)" in out          # GD006 is back at the unit that returned it
    lines = out.splitlines()
    top = lines[lines.index(next(x for x in lines if x.startswith("Top deviations"))) + 3]
    assert top.split() == ["核查", "skipped", "2", "33.3%", "街道城运中心", "2", "GD003"]   # with an example case
    assert "重办 (not in the workflow)" in out and "ping-pong" in out


def test_fitness_and_precision_are_the_librarys(tmp_path):
    from procmine.conform import check_conformance
    from procmine.read import read_log
    from procmine.workflow import read_workflow

    expected = check_conformance(read_log(ORDERS), read_workflow(WORKFLOW), method="tokens")
    result = run(ORDERS, "--workflow", WORKFLOW, "--method", "tokens", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "tokens"
    assert data["fitness"] == expected.fitness and data["precision"] == expected.precision
    assert data["cases"] == 6 and data["variants"] == 4, "the counts the text output shows"
    assert len(data["case_table"]) == 6 and len(data["variant_table"]) == 4
    case = {c["case"]: c for c in data["case_table"]}
    assert case["GD003"]["conforming"] is False and case["GD001"]["conforming"] is True


def test_cases_variants_and_diagram_files(tmp_path):
    cases, variants, diagram = tmp_path / "cases.csv", tmp_path / "variants.csv", tmp_path / "dev.svg"
    result = run(ORDERS, "--workflow", WORKFLOW, "--cases", str(cases), "--variants", str(variants),
                 "--diagram", str(diagram))
    assert result.exit_code == 0, result.output
    rows = {r["case"]: r for r in csv.DictReader(cases.open(encoding="utf-8-sig"))}
    assert len(rows) == 6
    assert rows["GD004"]["deviations"] == "核查 skipped" and rows["GD004"]["conforming"] == "False"
    assert "ping-pong" in rows["GD006"]["deviations"]
    assert rows["GD005"]["deviations"] == "重办 (not in the workflow)"
    assert sum(int(r["cases"]) for r in csv.DictReader(variants.open(encoding="utf-8-sig"))) == 6
    svg = diagram.read_text(encoding="utf-8")
    assert "skipped 2" in svg and "重办" in svg
    assert "Wrote 6 cases" in result.stderr


def test_the_case_file_opens_in_excel_with_the_chinese_intact(tmp_path):
    import openpyxl

    book_path = tmp_path / "audit.xlsx"
    result = run(ORDERS, "--workflow", WORKFLOW, "--cases", str(book_path))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["cases", "deviations"]
    header = [c.value for c in book["cases"][1]]
    for column in ("case", "fitness", "deviations", "trail", "units", "start", "end", "duration (days)"):
        assert column in header
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in book["cases"].iter_rows(min_row=2, values_only=True)}
    assert rows["GD004"]["deviations"] == "核查 skipped"
    assert rows["GD004"]["trail"].startswith("上报 → 受理")
    assert "街道城运中心" in rows["GD004"]["units"]
    # numbers stay numbers in Excel, shown as people read them
    fitness = book["cases"].cell(row=2, column=header.index("fitness") + 1)
    assert isinstance(fitness.value, (int, float)) and fitness.number_format == "0.0%"
    assert rows["GD004"]["duration (days)"] > 0 and rows["GD004"]["start"].year >= 2020
    devs = [r for r in book["deviations"].iter_rows(min_row=2, values_only=True)]
    assert devs[0][:4] == ("核查 skipped in 2 cases (33.3%)", "skipped", "核查", 2)
    assert devs[0][-1] in ("GD003", "GD004")


def test_the_case_csv_has_a_bom_and_numbers_for_people(tmp_path):
    cases, devs = tmp_path / "cases.csv", tmp_path / "deviations.csv"
    result = run(ORDERS, "--workflow", WORKFLOW, "--cases", str(cases), "--deviations", str(devs))
    assert result.exit_code == 0, result.output
    assert cases.read_bytes().startswith(b"\xef\xbb\xbf") and devs.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = {r["case"]: r for r in csv.DictReader(cases.open(encoding="utf-8-sig"))}
    assert rows["GD001"]["fitness"] == "100.0%"
    assert rows["GD001"]["duration"].endswith((" d", " h", " min"))
    assert [r["share"] for r in csv.DictReader(devs.open(encoding="utf-8-sig"))][0] == "33.3%"
    # ... and raw in JSON
    data = json.loads(run(ORDERS, "--workflow", WORKFLOW, "--json").stdout)
    assert data["case_table"][0]["fitness"] == 1.0
    assert isinstance(data["case_table"][0]["duration"], float)


def test_csv_lists_every_deviation():
    result = run(ORDERS, "--workflow", WORKFLOW, "--csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["kind"], r["step"], r["cases"]) for r in rows] == [
        ("skipped", "核查", "2"), ("same_unit", "签收", "1"), ("unexpected", "重办", "1")]


def test_a_bpmn_workflow(tmp_path):
    result = run(ORDERS, "--workflow", str(Path(__file__).parent / "fixtures" / "workflow_gateway.bpmn"),
                 "--no-precision")
    assert result.exit_code == 0, result.output
    assert "precision         –" in result.stdout
    assert "上报 (not in the workflow)" in result.stdout


@pytest.mark.parametrize("args, code, message", [
    ((ORDERS,), 2, "Missing option '--workflow'"),
    ((ORDERS, "--workflow", "nope.yaml"), 2, "no such file"),
    ((ORDERS, "--workflow", WORKFLOW, "--method", "magic"), 2, "Invalid value for '--method'"),
])
def test_errors(args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert message in result.output


SAMPLE = str(ROOT / "logs" / "sample.csv")


def test_duckdb_gives_the_same_json_as_pandas(tmp_path):
    pandas = run(SAMPLE, "--workflow", WORKFLOW, "--engine", "pandas", "--json")
    duckdb = run(SAMPLE, "--workflow", WORKFLOW, "--engine", "duckdb", "--memory-limit", "40MiB",
                 "--cases", str(tmp_path / "cases.csv"), "--json")
    assert pandas.exit_code == 0 and duckdb.exit_code == 0, duckdb.output
    assert duckdb.stdout == pandas.stdout
    assert "Engine: duckdb (chosen with --engine)" in duckdb.stderr
    assert "Engine" not in pandas.stderr
    data = json.loads(duckdb.stdout)
    assert data["cases"] == len(data["case_table"]) == 3000 and data["conforming_cases"] == 2756
    assert "Wrote 3,000 cases" in duckdb.stderr


def test_the_text_names_the_engine_and_its_parts():
    result = run(SAMPLE, "--workflow", WORKFLOW, "--engine", "duckdb", "--memory-limit", "40MiB",
                 "--method", "tokens")
    assert result.exit_code == 0, result.output
    assert "cases             3,000" in result.stdout
    assert "Engine: duckdb" in result.stderr
    # 40 MiB: parts of 10,240 events, each reported on stderr
    assert "34,609 of 34,609 events analysed" in result.stderr


def test_the_audit_files_follow_the_output_language(tmp_path):
    """With --lang zh the --cases and --deviations files are Chinese as the console is:
    column and sheet names, the deviations, yes/no, durations."""
    import openpyxl

    cases, devs, book = tmp_path / "c.csv", tmp_path / "d.csv", tmp_path / "d.xlsx"
    result = run(ORDERS, "--workflow", WORKFLOW, "--lang", "zh", "--cases", str(cases),
                 "--deviations", str(devs))
    assert result.exit_code == 0, result.output
    rows = {r["工单编号"]: r for r in csv.DictReader(cases.open(encoding="utf-8-sig"))}
    assert rows["GD004"]["偏离"] == "跳过「核查」" and rows["GD004"]["符合规定流程"] == "否"
    assert rows["GD006"]["偏离"].endswith("退单后「签收」又回到原退单单位（推诿）")
    assert rows["GD001"]["时长"].endswith(("天", "小时", "分钟"))
    found = list(csv.DictReader(devs.open(encoding="utf-8-sig")))
    assert list(found[0]) == ["偏离", "偏离类型", "环节", "工单数", "占比", "最多发生的单位", "示例工单"]
    assert found[0]["偏离"] == "跳过「核查」：2 件工单（33.3%）" and found[0]["偏离类型"] == "跳过环节"
    assert run(ORDERS, "--workflow", WORKFLOW, "--lang", "zh", "--deviations", str(book)).exit_code == 0
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames == ["偏离", "工单"]
    header = [c.value for c in workbook["工单"][1]]
    assert "时长（天）" in header and "环节序列" in header
    fitness = workbook["工单"].cell(row=2, column=header.index("拟合度") + 1)
    assert fitness.number_format == "0.0%"                  # Excel's formats kept under Chinese names
    assert json.loads(run(ORDERS, "--workflow", WORKFLOW, "--lang", "zh", "--json").stdout
                      )["deviations"][0]["kind"] == "skipped"   # JSON stays English
