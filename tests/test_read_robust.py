"""Reading odd and hostile logs (issues 19 and 21): time zones of naive times in every
format, columns of times with a few bad values, out-of-range times, event-level
deadlines, mixed-type XES attributes, input limits, lost cases, and labels any name
can have. Every file is generated here, small."""

from __future__ import annotations

import gzip
import json
import shutil
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

from procmine.cli import cli
from procmine.errors import InputError
from procmine.log import ACTIVITY, CASE, DEADLINE, TIMESTAMP
from procmine.read import read_log


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def write_xes(path, traces, *, case_kind="string"):
    """traces: [(case id, [(activity, time), ...])]; case_kind is the type of trace names
    (a dict gives it per case)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<log xes.version="1.0">']
    for case, events in traces:
        kind = case_kind.get(case, "string") if isinstance(case_kind, dict) else case_kind
        lines.append(f'<trace><{kind} key="concept:name" value="{case}"/>')
        for activity, time in events:
            attrs = f'<string key="concept:name" value="{activity}"/>' if activity else ""
            if time:
                attrs += f'<date key="time:timestamp" value="{time}"/>'
            lines.append(f"<event>{attrs}</event>")
        lines.append("</trace>")
    lines.append("</log>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def times(log):
    return [str(t) for t in log.events[TIMESTAMP]]


# ------------------------------------------------------------------ 1. the office zone


@pytest.mark.parametrize("fmt", ["csv", "xes"])
def test_naive_times_are_read_in_the_office_zone_in_every_format(tmp_path, fmt):
    naive = ["2024-01-01T10:00:00", "2024-01-01T11:30:00"]
    offset = [t + "+01:00" for t in naive]
    logs = {}
    for name, values in (("naive", naive), ("offset", offset)):
        if fmt == "xes":
            path = write_xes(tmp_path / f"{name}.xes", [("c1", list(zip("ab", values, strict=True)))])
        else:
            path = tmp_path / f"{name}.csv"
            path.write_text("case,activity,time\n" + "".join(
                f"c1,{a},{t}\n" for a, t in zip("ab", values, strict=True)), encoding="utf-8")
        logs[name] = read_log(path, timezone="Europe/Amsterdam")
    assert times(logs["naive"]) == times(logs["offset"]) == [
        "2024-01-01 10:00:00+01:00", "2024-01-01 11:30:00+01:00"]
    assert logs["naive"].report.timezone_assumed is True
    assert logs["offset"].report.timezone_assumed is False


@pytest.mark.parametrize("fmt", ["csv", "xes"])
def test_offsets_other_than_the_zone_are_said_once(tmp_path, fmt):
    events = [("a", "2024-01-01T10:00:00+01:00"), ("b", "2024-07-01T10:00:00+02:00")]
    if fmt == "xes":
        path = write_xes(tmp_path / "x.xes", [("c1", events)])
    else:
        path = tmp_path / "x.csv"
        path.write_text("case,activity,time\n" + "".join(f"c1,{a},{t}\n" for a, t in events),
                        encoding="utf-8")
    log = read_log(path, timezone="Asia/Shanghai")
    notes = [n for n in log.report.notes if "offsets" in n]
    assert len(notes) == 1 and "+01:00, +02:00" in notes[0] and "Asia/Shanghai" in notes[0]
    assert times(log)[0] == "2024-01-01 17:00:00+08:00"
    quiet = read_log(path, timezone="Europe/Amsterdam")
    assert not [n for n in quiet.report.notes if "offsets" in n]


def test_xes_mixing_times_with_and_without_offset_reads_each_as_written(tmp_path):
    path = write_xes(tmp_path / "x.xes", [("c1", [("a", "2024-01-01T10:00:00"),
                                                  ("b", "2024-01-01T10:30:00+08:00")])])
    log = read_log(path, timezone="Asia/Shanghai")
    assert times(log) == ["2024-01-01 10:00:00+08:00", "2024-01-01 10:30:00+08:00"]


# ------------------------------------------------------------------ 2. a few bad values


@pytest.mark.parametrize("values, first", [
    (["1700000000", "1700003600", "1e20", "1700007200"], "2023-11-15 06:13:20+08:00"),
    (["45000", "45000.5", "1e20", "45001"], "2023-03-15 00:00:00+08:00"),
])
def test_one_bad_number_is_dropped_and_changes_no_other_time(tmp_path, values, first):
    path = tmp_path / "numbers.csv"
    path.write_text("case,activity,time\n" + "".join(
        f"c{i // 2},{'ab'[i % 2]},{v}\n" for i, v in enumerate(values)), encoding="utf-8")
    log = read_log(path)
    assert log.n_events == 3
    assert times(log)[0] == first
    assert log.report.dropped == {"unparsable time": 1}
    row, column, value = log.report.examples["unparsable time"][0]
    assert (row, column) == (4, "time") and "1e" in value


def test_out_of_range_xes_time_drops_only_its_own_row(tmp_path):
    path = write_xes(tmp_path / "x.xes", [("a", [("x", "2024-01-01T10:00:00"),
                                                 ("y", "3000-01-01T11:00:00")]),
                                          ("b", [("x", "2024-01-01T10:00:00"),
                                                 ("y", "2024-01-01T11:00:00")])])
    log = read_log(path)
    assert log.n_events == 3 and log.report.dropped == {"unparsable time": 1}


def test_out_of_range_csv_times_keep_the_same_rows_in_pandas_and_duckdb(tmp_path):
    path = tmp_path / "range.csv"
    path.write_text("case,activity,time\na,x,2024-01-01 10:00:00\na,y,3000-01-01 10:00:00\n"
                    "b,x,2024-01-02 10:00:00\nb,y,1500-01-01 00:00:00\nb,z,2024-01-03 10:00\n",
                    encoding="utf-8")
    outputs = {}
    for engine in ("pandas", "duckdb"):
        result = run("info", path, "--engine", engine, "--json")
        assert result.exit_code == 0, result.output
        outputs[engine] = json.loads(result.stdout)
    assert outputs["pandas"]["events"] == outputs["duckdb"]["events"] == 3
    assert outputs["pandas"]["last"] == outputs["duckdb"]["last"] == "2024-01-03T10:00:00+08:00"


# ------------------------------------------------------------------ 3. deadlines


def test_a_deadline_varying_within_a_case_is_not_mapped_and_is_reported(tmp_path):
    path = tmp_path / "due.csv"
    path.write_text("case,activity,time,dueDate\n"
                    "a,x,2024-01-01 10:00,2024-01-05\na,y,2024-01-01 11:00,2024-01-09\n"
                    "b,x,2024-01-01 10:00,2024-01-07\nb,y,2024-01-01 12:00,2024-01-07\n",
                    encoding="utf-8")
    log = read_log(path)
    assert DEADLINE not in log.report.mapping and DEADLINE not in log.events.columns
    assert any("dueDate" in n and "not used as the case deadline" in n for n in log.report.notes)
    given = read_log(path, columns={"deadline": "dueDate"})
    assert DEADLINE in given.events.columns


def test_a_case_level_deadline_is_still_mapped(tmp_path):
    path = tmp_path / "due.csv"
    path.write_text("case,activity,time,deadline\n"
                    "a,x,2024-01-01 10:00,2024-01-05\na,y,2024-01-01 11:00,2024-01-05\n",
                    encoding="utf-8")
    assert DEADLINE in read_log(path).events.columns


# ------------------------------------------------------------------ 4. report header


def test_report_header_names_the_file_and_the_office_time(tmp_path, orders16):
    out = tmp_path / "r.html"
    result = run("report", orders16.resolve(), "--timezone", "Europe/Amsterdam", "-o", out)
    assert result.exit_code == 0, result.output
    header = out.read_text(encoding="utf-8").split('<header class="top">')[1].split("</header>")[0]
    assert "orders16.csv" in header and str(orders16.resolve().parent) not in header
    assert "(Europe/Amsterdam)" in header and ("+0100" in header or "+0200" in header)


# ------------------------------------------------------------------ 5. mixed-type XES


def test_mixed_type_xes_names_keep_their_text_and_nothing_reaches_stderr(tmp_path, capfd):
    path = write_xes(tmp_path / "mixed.xes",
                     [("007", [("上报", "2024-01-01T10:00:00+08:00"),
                               ("办结", "2024-01-01T11:00:00+08:00")]),
                      ("7", [("上报", "2024-01-01T10:00:00+08:00")])],
                     case_kind={"7": "int"})
    log = read_log(path)
    assert sorted(log.events[CASE].unique()) == ["007", "7"]
    assert set(log.events[ACTIVITY]) == {"上报", "办结"}
    captured = capfd.readouterr()
    assert "panicked" not in captured.err and "dtypes" not in captured.err
    assert any("mixes value types" in n for n in log.report.notes)


def test_xes_without_times_says_so_plainly(tmp_path):
    path = write_xes(tmp_path / "t.xes", [("a", [("x", None), ("y", None)])])
    result = run("info", path)
    assert result.exit_code == 2
    assert "the log has no times" in result.output and "--timestamp" not in result.output
    assert "or read it with --order-as-time" in result.output


# ------------------------------------------------------------------ order as time


UNTIMED = [("c1", ["上报", "派遣", "处置", "结案"]), ("c2", ["上报", "派遣", "处置", "派遣", "处置", "结案"]),
           ("c3", ["上报", "派遣", "处置", "结案"])]


def untimed_log(tmp_path, fmt):
    if fmt == "xes":
        return write_xes(tmp_path / "untimed.xes",
                         [(case, [(a, None) for a in steps]) for case, steps in UNTIMED])
    path = tmp_path / "untimed.csv"
    path.write_text("工单编号,环节\n" + "".join(f"{case},{a}\n" for case, steps in UNTIMED
                                             for a in steps), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["xes", "csv"])
def test_order_as_time_reads_a_log_without_times_in_file_order(tmp_path, fmt):
    path = untimed_log(tmp_path, fmt)
    log = read_log(path, order_as_time=True)
    assert log.report.time_from_order and log.report.to_dict()["time_from_order"] is True
    assert any("the order of the events in the file stands for time" in n for n in log.report.notes)
    sequences = log.events.groupby(CASE, sort=False)[ACTIVITY].agg(list).to_dict()
    assert sequences == dict(UNTIMED)
    result = run("variants", path, "--order-as-time", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["table"]
    assert [r["cases"] for r in rows] == [2, 1]
    assert all(r["median_duration"] is None for r in rows)      # no duration is invented
    assert "--order-as-time" in result.stderr
    info = json.loads(run("info", path, "--order-as-time", "--json").stdout)
    assert info["first"] is None and info["last"] is None


def test_without_the_option_a_csv_without_times_points_to_it(tmp_path):
    result = run("info", untimed_log(tmp_path, "csv"))
    assert result.exit_code == 2 and "--order-as-time" in result.output


@pytest.mark.parametrize("argv", [["bottlenecks"], ["loops"], ["audit"],
                                  ["map", "--metric", "median-wait"], ["info", "--from", "2024-01-01"],
                                  ["variants", "--duration", "..1d"]])
def test_what_measures_time_refuses_a_log_whose_order_is_its_time(tmp_path, argv):
    result = run(argv[0], untimed_log(tmp_path, "xes"), "--order-as-time", *argv[1:])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: ")
    assert "measures time, and this log has none" in result.output


def test_order_as_time_is_refused_for_a_log_with_times(tmp_path, orders16):
    result = run("info", orders16, "--order-as-time")
    assert result.exit_code == 2 and "is for logs without times" in result.output
    result = run("info", orders16, "--order-as-time", "--engine", "duckdb")
    assert result.exit_code == 2 and "--order-as-time needs --engine pandas" in result.output


def test_filter_and_report_keep_a_log_without_times_without_times(tmp_path):
    path = untimed_log(tmp_path, "xes")
    out = tmp_path / "kept.csv"
    assert run("filter", path, "--order-as-time", "--top-variants", "1", "-o", out).exit_code == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert sorted(header.split(",")) == ["case:concept:name", "concept:name"]   # no time
    assert run("filter", path, "--order-as-time", "-o", tmp_path / "k.xes").exit_code == 2
    html = tmp_path / "r.html"
    result = run("report", path, "--order-as-time", "--lang", "en", "-o", html)
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "the order of the events in the file stands for time" in page
    assert "bottlenecks measures time, and this log has none" in page


# ------------------------------------------------------------------ 6. limits


def test_a_header_of_too_many_columns_is_refused_before_reading(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(20_000)) + "\n" + "1," * 19_999 + "1\n")
    with pytest.raises(InputError, match="more than 10,000 columns") as e:
        read_log(path)
    assert "MAX_COLUMNS" in e.value.hint


@pytest.mark.parametrize("text, column", [
    # a column left as it is (an attribute), and a mapped one, read per distinct value
    ("case,activity,time,note\na,x,2024-01-01 10:00,{big}\n", "note"),
    ("case,activity,time\na,{big},2024-01-01 10:00\n", "activity"),
])
def test_a_field_over_one_mebibyte_is_refused(tmp_path, text, column):
    path = tmp_path / "field.csv"
    path.write_text(text.format(big="y" * (2 << 20)))
    with pytest.raises(InputError, match=f"column '{column}' has a field of 2,097,152 bytes"):
        read_log(path)


def test_a_gzip_bomb_stops_early(tmp_path):
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"case,activity,time\n")
        block = b"a,x,2024-01-01 10:00\n" * 50_000
        for _ in range(200):
            f.write(block)
    with pytest.raises(InputError, match="expands more than 200 times") as e:
        read_log(path)
    assert "MAX_DECOMPRESSION_RATIO" in e.value.hint


def test_an_xlsx_whose_first_sheet_is_empty_says_so_and_names_the_sheets(tmp_path):
    """It said "the file has: ;" and nothing of --sheet."""
    path = tmp_path / "two.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame().to_excel(book, sheet_name="封面", index=False)
        pd.DataFrame({"case": ["A"], "activity": ["x"], "time": ["2024-01-01 08:00"]}).to_excel(
            book, sheet_name="data", index=False)
    result = run("info", path, "--lang", "en")
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: {path}: sheet '封面' is empty (sheets: 封面, data; "
                                     "choose one with --sheet)")
    assert read_log(path, sheet="data").n_events == 1


def test_an_xlsx_bomb_is_refused_from_its_zip_directory(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for _ in range(100):
                f.write(b" " * (1 << 20))
    with pytest.raises(InputError, match="expands more than 200 times"):
        read_log(path)


@pytest.mark.parametrize("fmt", ["xes", "xlsx", "parquet"])
def test_the_field_limit_holds_in_every_format(tmp_path, fmt):
    huge = "y" * (2 << 20)
    if fmt == "xes":
        path = write_xes(tmp_path / "f.xes", [("a", [(huge, "2024-01-01T10:00:00+08:00")])])
    elif fmt == "xlsx":     # Excel's own limit is 32,767 characters; a crafted file has more
        from openpyxl import Workbook

        book = Workbook()
        for row in (["case", "activity", "time"], ["a", "x", "2024-01-01 10:00"],
                    ["a", "y" * 32_767, "2024-01-01 11:00"]):
            book.active.append(row)
        book.save(tmp_path / "short.xlsx")
        path = tmp_path / "f.xlsx"
        with zipfile.ZipFile(tmp_path / "short.xlsx") as short, \
                zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as crafted:
            for info in short.infolist():
                crafted.writestr(info, short.read(info).replace(b"y" * 32_767, huge.encode()))
    else:
        path = tmp_path / "f.parquet"
        pd.DataFrame({"case": ["a", "a"], "activity": ["x", huge],
                      "time": ["2024-01-01 10:00", "2024-01-01 11:00"]}).to_parquet(path)
    with pytest.raises(InputError, match="has a field of 2,097,15[2-9] bytes") as e:
        read_log(path)
    assert "MAX_FIELD_BYTES" in e.value.hint


def write_parquet(path, rows, **options):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"case": ["a"] * rows, "activity": ["x"] * rows,
                             "time": ["2024-01-01 10:00"] * rows}), path, **options)
    return path


@pytest.mark.parametrize("limit, value, message", [
    ("MAX_COLUMNS", 2, "the file has 3 columns, more than 2"),
    ("MAX_ROWS", 10, "the file has 11 rows, more than 10 for reading into memory")])
def test_parquet_over_a_limit_is_refused_from_its_metadata(tmp_path, monkeypatch, limit, value,
                                                           message):
    import pyarrow.parquet as pq

    path = write_parquet(tmp_path / "big.parquet", 11)
    monkeypatch.setattr(f"procmine.read.tables.{limit}", value)
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: pytest.fail("the data was read"))
    with pytest.raises(InputError, match=message) as e:
        read_log(path)
    assert limit in e.value.hint
    result = run("info", path)
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1].startswith("Error: ")


def test_a_parquet_bomb_is_refused_from_its_metadata(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    # 200,000 rows of the same text, without dictionary, expand about 1,000 times
    path = write_parquet(tmp_path / "bomb.parquet", 200_000, use_dictionary=False,
                         compression="zstd")
    monkeypatch.setattr("procmine.limits.RATIO_FLOOR_BYTES", 1 << 20)
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: pytest.fail("the data was read"))
    with pytest.raises(InputError, match="expands more than 200 times") as e:
        read_log(path)
    assert "MAX_DECOMPRESSION_RATIO" in e.value.hint


# ------------------------------------------------------------------ 7. Parquet bytes


def test_parquet_bytes_that_are_not_utf8_are_read_with_escapes(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({
        "case": pa.array([b"a\xff", b"a\xff", b"b"], pa.binary()),
        "activity": ["x", "y", "x"],
        "time": ["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-01 12:00"]}), path)
    result = run("info", path)
    assert result.exit_code == 0, result.output
    assert "not UTF-8" in result.output
    assert sorted(read_log(path).events[CASE].unique()) == ["a\\xff", "b"]


# ------------------------------------------------------------------ 8. lost cases


def test_a_case_whose_events_all_lack_an_activity_is_counted_as_lost(tmp_path):
    path = write_xes(tmp_path / "lost.xes", [
        ("8458485", [(None, "2024-01-01T10:00:00+08:00"), (None, "2024-01-01T11:00:00+08:00")]),
        ("1", [("x", "2024-01-01T10:00:00+08:00")])])
    log = read_log(path)
    assert log.report.cases_lost == 1 and log.n_cases == 1
    result = run("info", path)
    assert "1 case lost: all its events were dropped (e.g. case 8458485)" in result.output


def write_lost_cases_csv(path):
    """Seven cases of three events: C3 has no activity anywhere, C5 no readable time
    (both lost); C6 loses one event only; C2's first row is ragged."""
    lines = ["case_id,activity,timestamp"]
    for c in range(1, 8):
        for i in range(3):
            activity = "" if c == 3 or (c == 6 and i == 0) else f"s{i}"
            time = "not a time" if c == 5 else f"2024-01-0{i + 1} 09:00"
            lines.append(f"C{c},{activity},{time}" + (",extra" if c == 2 and i == 0 else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_duckdb_engine_counts_lost_cases_as_pandas_does(tmp_path):
    from procmine.engines import get_engine

    path = write_lost_cases_csv(tmp_path / "lost.csv")
    with get_engine("pandas", path) as ref, get_engine("duckdb", path) as engine:
        pandas_report, duckdb_report = ref.load_report(), engine.load_report()
    assert pandas_report.cases_lost == duckdb_report.cases_lost == 2
    line = "2 cases lost: all their events were dropped (e.g. case C3)"
    assert line in pandas_report.notes and line in duckdb_report.notes
    result = run("info", str(path), "--engine", "duckdb", "--json")
    assert json.loads(result.stdout)["load"]["cases_lost"] == 2


# ------------------------------------------------------------------ 9. labels


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
@pytest.mark.parametrize("command", ["map", "report"])
def test_any_activity_name_can_be_drawn(tmp_path, command):
    long = "办" * 70_000
    names = ["上报", long, "a\\b\\", "x\x01y"]
    frame = pd.DataFrame([(f"c{c}", name, f"2024-01-01 1{i}:00")
                          for c in range(3) for i, name in enumerate(names)],
                         columns=["case", "activity", "time"])
    path = tmp_path / "names.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / ("map.svg" if command == "map" else "r.html")
    result = run(command, path, "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "图无法绘制" not in text and "could not be drawn" not in text
    svg = text[text.index("<svg"):]
    assert "办" * 150 + "…" in svg and "x\ufffdy" in svg
    if command == "map":
        assert long not in svg and "a\\b\\" in svg


def test_out_of_range_times_drop_their_rows_in_parquet_and_excel(tmp_path):
    import datetime as dt

    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamps = [dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC),
              dt.datetime(3000, 1, 1, tzinfo=dt.UTC),
              dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)]
    parquet = tmp_path / "t.parquet"
    pq.write_table(pa.table({"case": ["a", "a", "b"], "activity": ["x", "y", "x"],
                             "time": pa.array(stamps, pa.timestamp("us", tz="UTC"))}), parquet)
    excel = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["case", "activity", "time"])
    for case, activity, stamp in zip("aab", "xyx", stamps, strict=True):
        book.active.append([case, activity, stamp.replace(tzinfo=None)])
    book.save(excel)
    for path in (parquet, excel):
        log = read_log(path)
        assert log.n_events == 2 and log.report.dropped == {"unparsable time": 1}
    result = run("info", parquet, "--engine", "duckdb", "--json")
    assert json.loads(result.stdout)["events"] == 2


def test_duckdb_leaves_an_event_level_deadline_unmapped_too(tmp_path):
    path = tmp_path / "due.csv"
    path.write_text("case,activity,time,dueDate\n"
                    "a,x,2024-01-01 10:00,2024-01-05\na,y,2024-01-01 11:00,2024-01-09\n",
                    encoding="utf-8")
    result = run("info", path, "--engine", "duckdb", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert "case:deadline" not in info["mapping"] and "dueDate" in info["attributes"]
    assert any("not used as the case deadline" in n for n in info["load"]["notes"])


# ------------------------------------------------------------------ XES column order


def test_xes_columns_come_in_one_order_from_either_reader_in_every_run(tmp_path):
    """The Rust reader's columns followed its hash maps (the report's "other attributes"
    and the columns of filter's CSV changed between runs): both readers give the events'
    attributes, then the traces', by name."""
    keys = ["zeta", "alpha", "org:group", "dossier", "mu", "beta", "omega", "kappa"]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<log xes.version="1.0">']
    for case in ("c1", "c2"):
        lines.append(f'<trace><string key="concept:name" value="{case}"/>'
                     '<string key="region" value="north"/><string key="applicant" value="x"/>')
        for i, key in enumerate(keys):
            lines.append(f'<event><string key="concept:name" value="a{i}"/>'
                         f'<date key="time:timestamp" value="2024-01-0{i + 1}T10:00:00+08:00"/>'
                         f'<string key="{key}" value="v"/></event>')
        lines.append("</trace>")
    lines.append("</log>")
    path = tmp_path / "attributes.xes"
    path.write_text("\n".join(lines), encoding="utf-8")
    expected = sorted(keys) + ["case:applicant", "case:region"]
    orders = {tuple(read_log(path).attributes) for _ in range(6)}
    assert orders == {tuple(expected)}
    # a trace name typed int sends the file to procmine's own reader: the same order
    mixed = tmp_path / "mixed.xes"
    mixed.write_text(path.read_text(encoding="utf-8").replace(
        '<string key="concept:name" value="c2"/>', '<int key="concept:name" value="2"/>'),
        encoding="utf-8")
    log = read_log(mixed)
    assert any("procmine's own XES reader" in n for n in log.report.notes)
    assert log.attributes == expected


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_one_column_given_for_two_roles_is_one_clear_error(engine):
    """``--case-id 环节 --activity 环节`` was exit 70 (AttributeError) in reading."""
    from procmine.engines import Source, get_engine
    from procmine.errors import ColumnError

    source = Source(path="tests/fixtures/orders16.csv",
                    columns={"case_id": "环节", "activity": "环节"})
    with pytest.raises(ColumnError, match="column '环节' is given for more than one role: --activity, --case-id"):
        get_engine(engine, source).totals()


def test_a_header_name_past_the_csv_field_limit_is_one_clear_error(tmp_path):
    """Python's csv module refuses a field over 131,072 characters: exit 70 before."""
    path = tmp_path / "long.csv"
    path.write_text("x" * 200_000 + ",环节,时间\n1,上报,2024-01-01 08:00\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["info", str(path), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: {path}: the header cannot be read as CSV (field larger than field limit")


def test_a_parquet_time_past_duckdbs_range_is_one_clear_error_there(tmp_path):
    """A millisecond time of year 318,857: pandas drops and counts its row; DuckDB's scan
    cannot convert it (exit 70 before): it says so and points to the pandas engine."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.read_csv("tests/fixtures/orders16.csv", dtype=str)
    stamps = pd.to_datetime(frame["时间"]).astype("datetime64[ms]").astype("int64").to_numpy().copy()
    stamps[3] = 10 ** 16
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(table.schema.get_field_index("时间"), "时间",
                             pa.array(stamps).cast(pa.timestamp("ms")))
    path = tmp_path / "far.parquet"
    pq.write_table(table, path)
    pandas = CliRunner().invoke(cli, ["info", str(path), "--lang", "en", "--json"])
    assert pandas.exit_code == 0 and json.loads(pandas.stdout)["events"] == 15
    duckdb = CliRunner().invoke(cli, ["info", str(path), "--engine", "duckdb", "--lang", "en"])
    assert duckdb.exit_code == 2, duckdb.output
    assert duckdb.stderr.splitlines()[-1].startswith(
        f"Error: {path}: DuckDB cannot read a value of the file: ")


@pytest.mark.parametrize("cut", ["after an event", "inside a tag"])
def test_an_xes_file_cut_short_is_refused_not_read_to_the_cut(tmp_path, cut):
    """Cut after an ``</event>``, the Rust reader read the file to the cut and dropped the
    last trace without a word (exit 0); cut inside a tag, the error blamed the reader."""
    whole = write_xes(tmp_path / "whole.xes", [
        ("c1", [("a", "2024-01-01T10:00:00+08:00"), ("b", "2024-01-01T11:00:00+08:00")]),
        ("c2", [("a", "2024-01-02T10:00:00+08:00"), ("b", "2024-01-02T11:00:00+08:00")])])
    text = whole.read_text(encoding="utf-8")
    assert read_log(whole).n_events == 4
    second = text.index("</trace>")
    end = text.index("</event>", second) + len("</event>")
    part = tmp_path / "part.xes"
    part.write_text(text[:end] if cut == "after an event" else text[:end - 3], encoding="utf-8")
    with pytest.raises(InputError, match=r"the XML ends before its <log> element is closed"):
        read_log(part)
    spaced = tmp_path / "spaced.xes"      # space and a comment after the end are whole XML
    spaced.write_text(text + "\n<!-- exported -->\n", encoding="utf-8")
    assert read_log(spaced).n_events == 4


def test_strict_reading_refuses_a_ragged_row(tmp_path):
    """The CSV reader skips rows of the wrong number of fields before the strict checks
    ran: ``--strict`` read such a file with exit 0 (docs/reading.md says it refuses)."""
    path = tmp_path / "ragged.csv"
    path.write_text("工单编号,环节,时间\nA1,上报,2024-01-01 08:00\nA1,立案,2024-01-01 09:00,x,y\n"
                    "A1,派遣,2024-01-01 10:00\n", encoding="utf-8")
    assert read_log(path).report.dropped == {"ragged row (wrong number of fields)": 1}
    with pytest.raises(InputError, match=r"ragged.csv: row 3, column '\*': ragged row"):
        read_log(path, strict=True)


def test_a_parquet_column_name_twice_is_numbered_as_in_a_csv(tmp_path):
    """Arrow cannot choose a column by a name written twice: the pandas engine failed with
    Arrow's 'Multiple matches for FieldRef.Name' and DuckDB used the first without a word."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table([pa.array(["A1", "A1"]), pa.array(["上报", "立案"]),
                      pa.array(["2024-01-01 08:00", "2024-01-01 09:00"]), pa.array(["x", "y"])],
                     names=["工单编号", "环节", "时间", "环节"])
    path = tmp_path / "twice.parquet"
    pq.write_table(table, path)
    log = read_log(path)
    assert log.report.columns == ["工单编号", "环节", "时间", "环节.1"]
    assert log.events["concept:name"].tolist() == ["上报", "立案"]
    assert "duplicate column names were numbered" in log.report.notes
    from procmine.engines import get_engine

    with get_engine("duckdb", path) as engine:
        assert "duplicate column names were numbered" in engine.load_report().notes
        assert engine.variants().counts() == {("上报", "立案"): 1}
