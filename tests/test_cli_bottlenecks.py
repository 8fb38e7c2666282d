"""procmine bottlenecks: options, output formats, the calendar it reports, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from procmine.calendar.days import cc_version, cc_years
from procmine.cli import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOLIDAY = FIXTURES / "bottlenecks_holiday.csv"
SERVICE = FIXTURES / "bottlenecks_service.csv"
SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "sample.csv"
HOUR = 3600.0


def run(*args):
    return CliRunner().invoke(cli, ["bottlenecks", *[str(a) for a in args]])


def test_table_in_working_time_names_the_calendar():
    result = run(HOLIDAY, "--deadline", "办结时限")
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    # 26.5 working hours are 3.8 working days of 7 hours (cn office hours), not 1.1 "d"
    assert out[0] == "Waiting time by transition, in working time; total 3.8 working days"
    assert out[1].startswith("Calendar: cn: Chinese public holidays and swapped working days")
    # the first row is where most waiting goes: 2.5 h over a weekend + 9 h over Spring Festival
    assert out[4].split() == ["上报", "派遣", "2", "2", "5.8", "working", "h", "5.8", "working",
                              "h", "1.2", "working", "days", "1.6", "working", "days", "43.4%"]
    assert "Deadlines (column case:deadline): 2 cases, 2 overdue, on time 0.0%" in result.stdout
    assert "Read 8 rows" in result.stderr and "Read 8 rows" not in result.stdout


def test_clock_time_and_calendar_none_agree():
    clock = json.loads(run(HOLIDAY, "--clock-time", "--json").stdout)
    none = json.loads(run(HOLIDAY, "--calendar", "none", "--json").stdout)
    assert clock["time_basis"] == none["time_basis"] == "clock"
    assert none["calendar"].startswith("none")
    first = clock["table"][0]
    # Spring Festival case: 233.5 h on the clock, weekend case 66 h
    assert (first["source"], first["target"], first["total"]) == ("上报", "派遣", (233.5 + 66) * HOUR)
    assert [r["total"] for r in clock["table"]] == [r["total"] for r in none["table"]]


def test_calendar_file_changes_the_working_days():
    result = run(HOLIDAY, "--calendar", FIXTURES / "bottlenecks_calendar.yaml", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "eve-off" in data["calendar"]
    edge = next(r for r in data["table"] if (r["source"], r["target"]) == ("上报", "派遣"))
    # with 02-09 off, the Spring Festival case waits Thu 1 h + Sun 1 h; the weekend case 2.5 h
    assert edge["total"] == (2 + 2.5) * HOUR


def test_json_holds_deadlines_and_the_ranked_table():
    data = json.loads(run(HOLIDAY, "--deadline", "办结时限", "--json", "--top", "1").stdout)
    assert data["by"] == "transition" and len(data["table"]) == 1
    dl = data["deadlines"]
    assert dl["cases"] == 2 and dl["overdue"] == 2 and dl["on_time_rate"] == 0
    assert abs(dl["overdue_total"] - 14.5 * HOUR) < 1e-3
    assert dl["by_transition"][0]["source"] == "派遣"


def test_csv_by_activity_with_service_time():
    result = run(SERVICE, "--by", "activity", "--clock-time", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    handle = next(r for r in rows if r["activity"] == "处置")
    assert float(handle["service_median"]) == 2 * HOUR
    assert float(handle["wait_total"]) == (70 + 240) * 60
    assert "calendar: none" in result.stderr


def test_by_unit_shows_wip():
    result = run(SERVICE, "--by", "unit", "--clock-time")
    assert result.exit_code == 0, result.output
    assert "wip_peak" in result.stdout.splitlines()[2]
    line = next(x for x in result.stdout.splitlines() if x.startswith("城管中队"))
    assert "0.37" in line.split()  # (190 + 360) min held over a 1500 min log


def test_missing_column_for_by_is_a_one_line_error():
    result = run(HOLIDAY, "--by", "level")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("Error: --by level needs the org:level")


def test_unknown_calendar_is_an_error():
    result = run(HOLIDAY, "--calendar", "mars")
    assert result.exit_code == 2
    assert "Error: --calendar mars: not cn, a country code, weekdays, none or an existing file" in result.output


def test_a_calendar_file_with_hours_as_numbers_is_a_one_line_error(tmp_path):
    path = tmp_path / "h.yaml"
    path.write_text("hours: [9]\n", encoding="utf-8")
    result = run(HOLIDAY, "--calendar", path, "--lang", "en")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {path}: office hours 9: expected HH:MM-HH:MM (e.g. 09:00-12:00,13:30-17:30)")
    zh = run(HOLIDAY, "--calendar", path, "--lang", "zh")
    assert zh.exit_code == 2
    assert zh.output.strip().splitlines()[-1].endswith(
        "：办公时间 9：应为 HH:MM-HH:MM（例如 09:00-12:00,13:30-17:30）")


def test_workflow_deadlines_replace_the_column():
    result = run(HOLIDAY, "--deadline", "办结时限", "--workflow",
                 FIXTURES / "bottlenecks_workflow.yaml", "--json")
    assert result.exit_code == 0, result.output
    dl = json.loads(result.stdout)["deadlines"]
    assert dl["source"].startswith("workflow ") and dl["source"].endswith("bottlenecks_workflow.yaml")
    # H1 4.5 h late against 上报 -> 结案 within 4 working hours, H2 2 h against 1 working day
    assert abs(dl["overdue_total"] - 6.5 * HOUR) < 1e-3


def test_help_lists_every_option():
    result = CliRunner().invoke(cli, ["bottlenecks", "--help"])
    assert result.exit_code == 0
    for option in ("--by", "--top", "--working-time / --clock-time", "--calendar", "--workflow",
                   "--json", "--csv"):
        assert option in result.output


def test_map_p90_wait_shows_the_same_numbers_in_clock_time():
    """`procmine map` measures clock time; on a log without start times its p90 waits
    are the ones `procmine bottlenecks --clock-time` ranks."""
    result = CliRunner().invoke(cli, ["map", str(HOLIDAY), "--metric", "p90-wait", "--json"])
    assert result.exit_code == 0, result.output
    drawn = {(e["source"], e["target"]): e["value"] for e in json.loads(result.stdout)["edges"]
             if e["value"] is not None and e.get("p90") is not None}
    assert len(drawn) == 3
    ranked = json.loads(run(HOLIDAY, "--clock-time", "--json").stdout)["table"]
    assert drawn == {(r["source"], r["target"]): r["p90"] for r in ranked}


def test_a_year_without_holiday_data_falls_back_to_weekends_and_says_so(tmp_path):
    log = tmp_path / "orders2027.csv"
    log.write_text("工单编号,环节,时间\nA,上报,2027-02-05 10:00\nA,派遣,2027-02-08 10:00\n",
                   encoding="utf-8")
    result = run(log, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # Fri 10:00 -> Mon 10:00 over a plain weekend: Fri 2 h + 4 h, Mon 09:00-10:00 1 h
    assert data["table"][0]["total"] == 7 * HOUR
    assert "2027: no Chinese holiday data" in data["calendar"]
    assert "Warning" not in result.stderr


def test_duckdb_engine_gives_the_json_of_pandas():
    """--memory-limit 40MB makes parts of 5,000 events (half of 10,000: the engine holds
    two at once, reading one ahead): the sample log in 7 parts."""
    pandas = run(SAMPLE, "--engine", "pandas", "--by", "unit", "--json")
    duckdb = run(SAMPLE, "--engine", "duckdb", "--memory-limit", "40MB", "--by", "unit", "--json")
    assert duckdb.exit_code == 0, duckdb.output
    assert duckdb.stdout == pandas.stdout
    data = json.loads(duckdb.stdout)
    assert data["table"][0]["unit"] == "房管办" and data["deadlines"]["cases"] == 3000
    assert "Engine: duckdb (chosen with --engine)" in duckdb.stderr
    assert "Engine" not in pandas.stderr


def test_duckdb_engine_says_what_it_read_and_counts_the_parts():
    result = run(SAMPLE, "--engine", "duckdb", "--memory-limit", "40MB", "--top", "3")
    assert result.exit_code == 0, result.output
    assert "Read 34,609 rows from " in result.stderr
    assert "(duckdb engine): kept 34,609, dropped 0." in result.stderr
    progress = [line.strip() for line in result.stderr.splitlines() if "analysed" in line]
    assert len(progress) == 7 and progress[-1] == "34,609 of 34,609 events analysed"
    assert result.stdout == run(SAMPLE, "--engine", "pandas", "--top", "3").stdout


def test_default_calendar_is_chosen_from_the_log_and_said_once(tmp_path):
    english = tmp_path / "english.csv"
    english.write_text("case,activity,time\nc1,register,2024-03-05 09:00\n"
                       "c1,decide,2024-03-05 11:00\n", encoding="utf-8")
    result = run(english, "--json", "--timezone", "Europe/Amsterdam")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Calendar: none (clock time: the log is not Chinese-headed); "
                               "give --calendar nl") == 1
    assert json.loads(result.stdout)["total_wait"] == 2 * HOUR
    chinese = run(HOLIDAY, "--json")
    assert "Calendar: cn (the log's column names are Chinese" in chinese.stderr
    dutch = run(english, "--calendar", "nl", "--timezone", "Europe/Amsterdam")
    assert "Calendar: nl (--calendar)" in dutch.stderr
    assert "total 2.0 working h" in dutch.stdout and "09:00-17:00" in dutch.stdout


def test_a_year_without_holiday_data_is_said_once(tmp_path):
    late = tmp_path / "late.csv"
    late.write_text("工单编号,环节,时间\n" + "".join(
        f"A{i},上报,2031-01-0{d} 09:00\nA{i},结案,2031-01-0{d} 11:00\n"
        for i, d in enumerate((6, 7, 8))), encoding="utf-8")
    result = run(late, "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Note: calendar 2031: no Chinese holiday data") == 1
    assert "Warning" not in result.stderr
    assert "2031: no Chinese holiday data" in json.loads(result.stdout)["calendar"]


def test_years_without_holiday_data_are_one_note_of_ranges(tmp_path):
    """A log of many years gets one line for them, not one a year (the calendar counts
    every year from the log's first to its last)."""
    years = (2029, 2031, 2034)
    long = tmp_path / "long.csv"
    long.write_text("工单编号,环节,时间\n" + "".join(
        f"A{y},上报,{y}-03-06 09:00\nA{y},结案,{y}-03-06 11:00\n" for y in years),
        encoding="utf-8")
    result = run(long, "--json")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "holiday data" in line]
    assert notes == ["Note: calendar 2029-2034: no Chinese holiday data (chinese_calendar "
                     f"{cc_version()} knows {cc_years()}); counted with weekends only"]
    assert "2029-2034: no Chinese" in json.loads(result.stdout)["calendar"]
    chinese = run(long, "--json", "--lang", "zh")
    assert "2029-2034：没有中国节假日数据" in chinese.stderr
