"""procmine filter, the filter options every command shares, big-log defaults and progress."""

from __future__ import annotations

import io
import json
import subprocess
import time

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import FIXTURES, SAMPLE

from procmine.cli import cli
from procmine.read import read_log

ORDERS16 = str(FIXTURES / "orders16.csv")


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xes"])
def test_filter_writes_the_kept_events(tmp_path, suffix):
    out = tmp_path / f"kept{suffix}"
    result = run("filter", ORDERS16, "--ends-with", "结案", "--events", "3..", "-o", out)
    assert result.exit_code == 0, result.output
    assert "Filter cases that end with 结案: kept 3 of 3 cases, 16 of 16 events" in result.stderr
    assert "Filter 3 ..  events per case: kept 2 of 3 cases, 14 of 16 events" in result.stderr
    assert "Wrote 14 events of 2 cases" in result.stderr
    back = read_log(out)
    assert (back.n_cases, back.n_events) == (2, 14)


def test_filter_with_duckdb_equals_pandas(tmp_path):
    outs = []
    for engine in ("pandas", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        result = run("filter", SAMPLE, "--engine", engine, "--from", "2024-02-01", "--to",
                     "2024-03-31", "--time-mode", "trim", "--top-variants", "5", "-o", out)
        assert result.exit_code == 0, result.output
        outs.append(read_log(out).events[["case:concept:name", "concept:name", "time:timestamp"]])
    pd.testing.assert_frame_equal(outs[0], outs[1], check_dtype=False)


def test_every_command_takes_the_filters_and_says_each_step():
    plain = run("info", ORDERS16, "--json")
    kept = run("info", ORDERS16, "--json", "--where", "类别=暴露垃圾", "--follows", "派遣>签收")
    assert json.loads(plain.stdout)["cases"] == 3
    assert json.loads(kept.stdout)["cases"] == 1
    assert kept.stderr.count("Filter ") == 2
    assert "Filter where 类别 in 暴露垃圾: kept 2 of 3 cases, 9 of 16 events" in kept.stderr


def test_without_filters_the_output_is_unchanged():
    # no filter line, and the same JSON as before filters existed (numbers from the fixture)
    result = run("variants", ORDERS16, "--json")
    assert "Filter" not in result.stderr
    assert [v["cases"] for v in json.loads(result.stdout)["table"]] == [1, 1, 1]


def test_a_filter_set_file_and_options_apply_in_order(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text("- with-event: 承办单位=居委会\n", encoding="utf-8")
    result = run("variants", ORDERS16, "--json", "--filters", path, "--top-variants", "3")
    lines = [x for x in result.stderr.splitlines() if x.startswith("Filter")]
    assert lines[0].startswith("Filter cases with an event where 承办单位 in 居委会: kept 1 of 3")
    assert lines[1].startswith("Filter top 3 variants: kept 1 of 1")


@pytest.mark.parametrize(("args", "message"), [
    (["--duration", "a week"], "bad range"),
    (["--follows", "派遣"], "bad relation"),
    (["--where", "类别"], "bad condition"),
    (["--where", "nope=1"], "no column 'nope'"),
    (["--from", "yesterday-ish"], "bad time"),
    (["--where", "类别=不存在"], "the filters kept no events"),
    (["--top-variants", "-3"], "top-variants '-3': expected a whole number, 1 or more"),
    (["--variant-coverage", "nan"], "variant-coverage 'nan': expected a percentage from 0 to 100"),
    (["--from", "2024-03-05", "--to", "2024-03-04"],
     "the period is reversed: --from 2024-03-05 00:00:00 is after --to 2024-03-04 23:59:59"),
    (["--from", "2024-03-05", "--to", "2024-03-04", "--time-mode", "contained"],
     "the period is reversed"),
])
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_bad_filter_is_one_line_and_exit_2(args, message, engine):
    result = run("info", ORDERS16, *args, "--engine", engine)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["--where", "类别=不存在"], ["--events", "100..200"],
                                  ["--keep-activities", "不存在"]])
def test_filters_that_keep_nothing_say_so_on_duckdb_as_on_pandas(args):
    """On DuckDB the totals of no events held a NULL case count: exit 70, TypeError."""
    said = [run("variants", ORDERS16, *args, "--engine", engine, "--lang", "en").stderr
            .splitlines()[-1] for engine in ("pandas", "duckdb")]
    assert said[0] == said[1]
    assert said[0].startswith("Error: the filters kept no events (after: ")


def wide_log(tmp_path, activities: int = 70):
    """A log of many activities: case i walks a chain of steps a00 → a01 → ... of its own length."""
    rows = []
    for case in range(150):
        length = 3 + case % activities
        for step in range(min(length, activities)):
            rows.append((f"C{case:03d}", f"a{step:02d}",
                         pd.Timestamp("2024-01-01") + pd.Timedelta(hours=case * 100 + step)))
    path = tmp_path / "wide.csv"
    pd.DataFrame(rows, columns=["case", "activity", "time"]).to_csv(path, index=False)
    return path


def test_the_default_map_of_a_wide_log_keeps_50_activities_and_says_so(tmp_path):
    path = wide_log(tmp_path)
    result = run("map", path, "--json")
    found = json.loads(result.stdout)
    assert found["activities"] == {"shown": 50, "total": 70}
    assert "see more with --activities 100 --paths 100" in found["note"]
    assert "Note: a large log: the 50 most frequent of 70 activities" in result.stderr
    everything = json.loads(run("map", path, "--json", "--activities", "100", "--paths",
                                "100").stdout)
    assert everything["activities"]["shown"] == 70 and "note" not in everything


def test_discover_on_a_wide_log_mines_the_most_frequent_and_says_so(tmp_path):
    result = run("discover", wide_log(tmp_path, 120), "--json", "--no-quality")
    found = json.loads(result.stdout)
    assert len(found["activities"]) == 20
    assert "mined on the 20 most frequent of 120 activities" in found["note"]
    # 70 activities are mined as they are
    assert "note" not in json.loads(run("discover", wide_log(tmp_path), "--json",
                                        "--no-quality").stdout)
    assert "Note: mined on the 20 most frequent" in result.stderr


def test_a_layout_past_its_time_limit_is_drawn_simpler_with_a_note(tmp_path, monkeypatch):
    from procmine.render import graphviz as gv

    real = gv._run_dot
    calls = []

    def slow_first(source, fmt, args, limit, layout="dot"):
        calls.append(args)
        if not args:
            raise subprocess.TimeoutExpired("dot", limit)
        return real(source, fmt, args, limit, layout)

    monkeypatch.setattr(gv, "_run_dot", slow_first)
    out = tmp_path / "map.svg"
    result = run("map", ORDERS16, "-o", out)
    assert result.exit_code == 0, result.output
    assert "Note: Graphviz did not finish the layout in 30 s: drawn with straight arrows" \
        in result.stderr
    assert "did not finish the layout" in out.read_text(encoding="utf-8")
    assert calls[1] == gv._QUICK


def test_progress_is_quiet_off_a_terminal_and_beats_on_one(monkeypatch):
    from procmine.cli import progress

    # CliRunner's stderr is not a terminal: no progress lines at all
    result = run("info", ORDERS16)
    assert "…" not in result.stderr
    monkeypatch.setattr(progress, "HEARTBEAT", 0.2)
    stream = io.StringIO()
    shown = progress.Progress(stream, enabled=True)
    shown.start()
    shown.stage("reading big.csv")
    time.sleep(1.2)
    shown.stop()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "… reading big.csv"
    assert any(x.startswith("… still reading big.csv (") for x in lines[1:])
    quiet = io.StringIO()
    progress.Progress(quiet, enabled=False).stage("reading")
    assert quiet.getvalue() == ""


def test_the_heartbeat_goes_on_while_a_call_holds_the_interpreter(tmp_path, monkeypatch):
    """Some long calls (the XES reader) hold the interpreter's lock throughout: a thread
    could not say anything meanwhile; the heartbeat's own process does."""
    from procmine.cli import progress

    monkeypatch.setattr(progress, "HEARTBEAT", 0.2)
    path = tmp_path / "stderr.txt"
    with open(path, "w", encoding="utf-8") as stream:
        shown = progress.Progress(stream, enabled=True)
        shown.start()
        shown.stage("reading big.xes")
        time.sleep(0.3)                # the process has started and learnt the step
        started = time.monotonic()
        sum(range(10**8))              # one C call: the lock is held throughout
        held = time.monotonic() - started
        shown.stop()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "… reading big.xes"
    assert held > 0.5                  # else the machine is too fast for this check
    still = [x for x in lines[1:] if x.startswith("… still reading big.xes (")]
    assert len(still) >= 2             # during the sleep and the call, not only after


def test_quiet_is_read_from_the_arguments(monkeypatch):
    from procmine.cli import progress

    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert not progress.begin(["info", "x.csv", "--quiet"]).enabled
    progress.begin(["info", "x.csv", "-q"]).stop()


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
@pytest.mark.parametrize("form", ["--json", "--csv"])
def test_dropped_rows_are_said_with_json_or_csv_too(tmp_path, engine, form):
    """--json and --csv kept the whole load report off stderr: rows dropped without a word.
    Now what was dropped is said (on stderr: stdout stays the data), and a clean log says
    nothing."""
    path = tmp_path / "bad.csv"
    path.write_text("工单编号,环节,时间\nA1,上报,2024-01-01 08:00\n,立案,2024-01-01 09:00\n"
                    "A1,派遣,not a time\nA1,结案,2024-01-01 11:00\n", encoding="utf-8")
    result = run("variants", path, form, "--engine", engine, "--lang", "en")
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if line.startswith("Dropped")]
    assert [line.split(" (e.g.")[0] for line in said] == [
        "Dropped 1 rows: no case id", "Dropped 1 rows: unparsable time"]
    clean = run("variants", ORDERS16, form, "--engine", engine, "--lang", "en")
    assert not [line for line in clean.stderr.splitlines() if not line.startswith("Engine:")]


def test_a_working_duration_is_measured_on_the_commands_calendar():
    """--working-duration took the cn calendar whatever --calendar said: with --calendar
    none (clock time) it kept other cases than --duration with the same range."""
    def kept(*args):
        result = run("bottlenecks", SAMPLE, "--json", "--lang", "en", *args)
        return [x for x in result.stderr.splitlines() if x.startswith("Filter")][0].split(": ")[1]

    clock = kept("--duration", "3d..30d", "--calendar", "none")
    assert kept("--working-duration", "3d..30d", "--calendar", "none") == clock
    assert kept("--working-duration", "3d..30d", "--calendar", "cn") != clock
