"""procmine audit on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from procmine.cli import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ORDERS = str(FIXTURES / "audit_orders.csv")
RULES = str(FIXTURES / "audit_responsibility.yaml")


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_tables_name_accuracy_boundaries_and_the_clock_gap_in_chinese():
    r = run("audit", ORDERS, "--responsibility", RULES, "--lang", "zh")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "== 派单准确率（对照权责清单） =="
    assert next(line for line in lines if line.startswith("首派准确率")).split()[-1] == "64.3%"
    assert next(line for line in lines if line.startswith("同类同级")).split()[-1] == "3"
    assert next(line for line in lines if line.startswith("官方按期率")).split()[-1] == "100.0%"
    assert next(line for line in lines if line.startswith("市民体验按期率")).split()[-1] == "71.4%"  # C01 C07 C08 C09 late


def test_english_tables_and_one_section():
    r = run("audit", ORDERS, "--responsibility", RULES, "--lang", "en", "--section", "repeats")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("== Closed but not resolved: repeat demands ==")
    assert "Dispatch against" not in r.stdout
    assert next(line for line in r.stdout.splitlines()
                if line.startswith("closed on time but repeated")).split()[-1] == "1"


def test_json_and_csv():
    r = run("audit", ORDERS, "--responsibility", RULES, "--json", "--repeat-days", "10")
    data = json.loads(r.stdout)
    assert data["repeat_days"] == 10 and data["repeats"]["summary"]["repeats"] == 0
    assert data["dispatch"]["summary"]["correct_first"] == 9
    r = run("audit", ORDERS, "--responsibility", RULES, "--csv", "--section", "clocks")
    assert r.stdout.splitlines()[0] == ("unit,cases,official_on_time_rate,citizen_on_time_rate,"
                                        "restarts,gap")


def test_columns_given_by_option_and_the_duckdb_engine(tmp_path):
    renamed = tmp_path / "orders.csv"
    text = Path(ORDERS).read_text(encoding="utf-8").replace("诉求人", "phone_sha").replace("地址", "place")
    renamed.write_text(text, encoding="utf-8")
    r = run("audit", str(renamed), "--responsibility", RULES, "--json", "--citizen", "phone_sha",
            "--address", "place", "--engine", "duckdb")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["repeats"]["summary"]["repeats"] == 1


def test_without_a_list_a_note_says_what_is_missing():
    r = run("audit", ORDERS, "--lang", "en")
    assert r.exit_code == 0
    assert "Note: no responsibility list (--responsibility)" in r.stdout


def test_a_missing_list_file_is_a_usage_error():
    r = run("audit", ORDERS, "--responsibility", str(FIXTURES / "nope.yaml"))
    assert r.exit_code == 2 and "nope.yaml" in r.output


GOVERNANCE = str(FIXTURES / "governance_orders.csv")


def test_the_sections_of_citizens_burden_and_overload_in_english():
    r = run("audit", GOVERNANCE, "--calendar", "none", "--lang", "en", "--section", "citizens",
            "--section", "burden", "--section", "overload")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "== Citizens' orders against internal orders =="
    assert next(line for line in lines if line.startswith("citizens' orders")).split()[-1] == "3"
    row = next(line for line in lines if line.startswith("time to acceptance")).split()
    assert row[3:7] == ["1.2", "h", "25", "min"]                  # 70 min against 25 min
    burden = lines[lines.index("== Online burden: platform against field work =="):]
    # G03, closed by 和平居委 on paper only: no field step at all
    assert next(line for line in burden if line.startswith("和平居委")).split()[-1] == "100.0%"
    assert "== Overload: work in progress and performance ==" in lines


def test_a_vocabulary_file_and_its_errors(tmp_path):
    words = tmp_path / "words.yaml"
    words.write_text("sources:\n  citizen: [其他]\n", encoding="utf-8")
    r = run("audit", GOVERNANCE, "--calendar", "none", "--section", "citizens", "--json",
            "--vocabulary", str(words))
    assert json.loads(r.stdout)["citizens"]["summary"]["citizen_orders"] == 4
    words.write_text("work:\n  offline: [处置]\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["audit", GOVERNANCE, "--vocabulary", str(words)])
    assert r.exit_code != 0 and "Error:" in r.output and "work" in r.output


def test_the_tables_follow_the_output_language_without_lang(monkeypatch, tmp_path):
    """Without --lang the tables speak as every command does (PROCMINE_LANG, the locale,
    the log's headers): Chinese for a Chinese-headed log, English for an English one (the
    tables were always Chinese, beside English messages, for a 311 or BPIC log)."""
    monkeypatch.delenv("PROCMINE_LANG")
    env = {"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    chinese = CliRunner().invoke(cli, ["audit", ORDERS, "--responsibility", RULES], env=env)
    assert chinese.stdout.startswith("== 派单准确率（对照权责清单） ==")
    english_log = tmp_path / "orders.csv"
    english_log.write_text("case,activity,time,unit\nA,report,2024-03-04 09:00,desk\n"
                           "A,close,2024-03-05 09:00,desk\n", encoding="utf-8")
    english = CliRunner().invoke(cli, ["audit", str(english_log)], env=env)
    assert english.exit_code == 0, english.output
    assert english.stdout.startswith("== Closed but not resolved: repeat demands ==")
    assert "Note: no responsibility list" in english.stdout
    assert english.stderr.startswith("Read ")
