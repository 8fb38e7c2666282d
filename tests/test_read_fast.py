"""The fast CSV reader (DuckDB, procmine.read.fastcsv) gives exactly what the Arrow reader
gives, or steps aside: for each generated file the events and the load report are the
same read either way, and the fast reader is taken where it can promise that."""

from __future__ import annotations

import gzip
import json
import random

import pandas as pd
import pytest
from click.testing import CliRunner

from procmine.cli import cli
from procmine.errors import InputError
from procmine.limits import MAX_FIELD_BYTES
from procmine.read import RAGGED, fastcsv, read_log, readers

HEADER = "工单编号,环节,时间,承办单位,层级,单位类型,类别,时限,地址"
ROWS = [
    "GD001,上报,2024-03-04 09:05:00,网格员张,网格,块,暴露垃圾,2024-03-06 18:00:00,和平路1号",
    "GD001,立案,2024-03-04 09:20:00,城运中心,街镇,块,暴露垃圾,2024-03-06 18:00:00,和平路1号",
    "GD002,上报,2024-03-04 10:00:00,12345热线,市,条,噪音,2024-03-07 18:00:00,友谊街2号",
    "GD001,结案,2024-03-05 11:00:00,城运中心,街镇,块,暴露垃圾,2024-03-06 18:00:00,和平路1号",
    "GD002,派遣,2024-03-04 11:30:00,城管执法局,区,条,噪音,2024-03-07 18:00:00,友谊街2号",
    "GD002,处置,2024-03-04 11:10:00,城管执法局,区,条,噪音,2024-03-07 18:00:00,友谊街2号",
    "GD003,上报,2024-03-05 08:00:00,网格员李,网格,块,占道经营,2024-03-08 18:00:00,长江路3号",
]


def text(rows=ROWS, header=HEADER, newline="\n", final=True):
    return newline.join([header, *rows]) + (newline if final else "")


def replaced(i, column, value, rows=ROWS):
    """ROWS with field ``column`` of row ``i`` set to ``value`` (as written in the file)."""
    out = list(rows)
    fields = out[i].split(",")
    fields[column] = value
    out[i] = ",".join(fields)
    return out


#: name -> (file bytes, whether the fast reader reads it)
CASES = {
    "clean": (text().encode(), True),
    "bom": (b"\xef\xbb\xbf" + text().encode(), True),
    "crlf": (text(newline="\r\n").encode(), True),
    "no final newline": (text(final=False).encode(), True),
    "empty lines": (text().replace("\nGD002,上报", "\n\nGD002,上报").encode() + b"\n\n", True),
    "quoted empty strings": (text(replaced(1, 3, '""', replaced(2, 6, '""'))).encode(), True),
    "quoted values": (text(replaced(0, 8, '"和平路1号, 3楼 ""东"""')).encode(), True),
    "quoted newline": (text(replaced(2, 8, '"友谊街\n2号"', replaced(4, 6, '"噪\r\n音"'))).encode(),
                       True),
    "null words": (text(replaced(1, 3, "NA", replaced(2, 6, '"null"',
                                                     replaced(3, 4, "N/A")))).encode(), True),
    "null words in an attribute": (text([r + "," + w for r, w in zip(
        ROWS, ["NA", "x", '"null"', "", "#N/A", "nan", "y"], strict=True)],
        header=HEADER + ",备注").encode(), True),
    "missing times": (text(replaced(2, 2, "", replaced(3, 7, ""))).encode(), True),
    "a deadline of NULL": (text(replaced(3, 7, "NULL")).encode(), True),
    "no deadlines": (text([",".join(r.split(",")[:7] + ["", r.split(",")[8]])
                           for r in ROWS]).encode(), True),
    "leading zeros": (text([r.replace("GD00", "00") for r in ROWS]).encode(), True),
    "spaces kept for trimming": (text(replaced(0, 1, " 上报 ", replaced(2, 0, " GD002")))
                                 .encode(), True),
    "semicolons": (text().replace(",", ";").encode(), True),
    "tabs": (text().replace(",", "\t").encode(), True),
    "blank and repeated names": (text(header="工单编号,环节,时间,承办单位,,单位类型,类别,时限,环节")
                                 .encode(), True),
    "ragged row": (text(replaced(3, 8, "和平路1号,多一列")).encode(), False),
    "short row": (text([*ROWS[:2], "GD009,上报", *ROWS[2:]]).encode(), False),
    "bad timestamp": (text(replaced(2, 2, "2024-02-30 10:00:00")).encode(), False),
    "first time missing": (text(replaced(0, 2, "")).encode(), False),
    "dates only": (text([r.replace(r.split(",")[2], r.split(",")[2][:10]) for r in ROWS])
                   .encode(), False),
    "fractions of seconds": (text(replaced(1, 2, "2024-03-04 09:20:00.5")).encode(), False),
    "utc offsets": (text(replaced(1, 2, "2024-03-04T01:20:00Z")).encode(), False),
    "chinese dates": (text(replaced(1, 2, "2024年3月4日 9时20分")).encode(), False),
    "slashed dates": (text([r.replace("2024-03-0", "2024/3/") for r in ROWS]).encode(), False),
    "gb18030": (text().encode("gb18030"), False),
    "latin-1": ("case,activity,time\nGD1,Café,2024-03-04 09:05:00\nGD1,Zürich,"
                "2024-03-04 10:05:00\n".encode("latin-1"), False),
    "bare carriage return": (text(replaced(1, 8, "和平路\r1号")).encode(), False),
    "text after a quote": (text(replaced(1, 8, '"和平路"1号')).encode(), False),
    "quoted header": (text(header='"工单编号",环节,时间,承办单位,层级,单位类型,类别,时限,地址')
                      .encode(), False),
    "header only": ((HEADER + "\n").encode(), True),
}


@pytest.fixture
def arrow_reads(monkeypatch):
    """The files the Arrow reader was asked to read; every file is big enough for the
    fast reader, and it reads any share of the columns."""
    calls = []
    arrow = readers._arrow_csv

    def spy(path, *args, **kwargs):
        calls.append(path)
        return arrow(path, *args, **kwargs)

    monkeypatch.setattr(readers, "_arrow_csv", spy)
    monkeypatch.setattr(fastcsv, "MIN_BYTES", 0)
    monkeypatch.setattr(fastcsv, "MAX_SHARE", 1.0)
    return calls


def read_outcome(path, **options):
    """read_log's log, or its error as text (the same error either way is what the tests
    that read a file two ways compare)."""
    try:
        return read_log(path, **options)
    except Exception as e:  # noqa: BLE001 - the same error either way is the point
        return f"{type(e).__name__}: {e}"


def read_both(path, monkeypatch, **options):
    """read_log's result (or error) with the fast reader, and with Arrow only."""
    def attempt():
        try:
            return read_log(path, **options)
        except InputError as e:
            return str(e)

    fast = attempt()
    with monkeypatch.context() as m:
        m.setattr(readers, "read_csv_fast", lambda *a, **k: None)
        arrow = attempt()
    return fast, arrow


def read_fast(path, arrow_reads, **options):
    """Whether read_log reads ``path`` without the Arrow reader."""
    before = len(arrow_reads)
    try:
        read_log(path, **options)
    except InputError:
        pass
    return len(arrow_reads) == before


def assert_same(fast, arrow):
    if isinstance(arrow, str) or isinstance(fast, str):
        assert fast == arrow
        return
    pd.testing.assert_frame_equal(fast.events, arrow.events)
    assert fast.report.to_dict() == arrow.report.to_dict()
    assert (fast.report.columns, fast.report.not_read) == (arrow.report.columns,
                                                           arrow.report.not_read)


@pytest.mark.parametrize("needs", [None, ()], ids=["every column", "needed columns"])
@pytest.mark.parametrize("name", list(CASES))
def test_fast_reader_gives_what_arrow_gives(tmp_path, monkeypatch, arrow_reads, name, needs):
    content, fast_expected = CASES[name]
    path = tmp_path / "log.csv"
    path.write_bytes(content)
    fast, arrow = read_both(path, monkeypatch, needs=needs)
    assert_same(fast, arrow)
    assert read_fast(path, arrow_reads, needs=needs) is fast_expected


def test_ragged_rows_are_counted_with_their_file_rows(tmp_path, monkeypatch, arrow_reads):
    path = tmp_path / "log.csv"
    path.write_bytes(CASES["ragged row"][0])
    log = read_log(path)
    assert log.report.dropped == {RAGGED: 1}
    assert log.report.examples[RAGGED][0][0] == 5       # the header is row 1
    assert arrow_reads == [str(path)]


def test_gzip_is_read_by_arrow(tmp_path, monkeypatch, arrow_reads):
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(text().encode()))
    fast, arrow = read_both(path, monkeypatch)
    assert_same(fast, arrow)
    assert fast.n_events == 7 and not read_fast(path, arrow_reads)


def test_a_field_past_the_limit_is_refused_alike(tmp_path, monkeypatch, arrow_reads):
    path = tmp_path / "log.csv"
    path.write_bytes(text(replaced(2, 3, "长" * (MAX_FIELD_BYTES // 3 + 10))).encode())
    fast, arrow = read_both(path, monkeypatch)
    assert isinstance(fast, str) and "承办单位" in fast
    assert fast == arrow


def test_without_duckdb_arrow_reads(tmp_path, monkeypatch, arrow_reads):
    path = tmp_path / "log.csv"
    path.write_bytes(text().encode())
    monkeypatch.setitem(__import__("sys").modules, "duckdb", None)
    assert read_log(path).n_events == 7
    assert arrow_reads == [str(path)]


def test_the_fast_reader_reads_a_few_columns_of_many(tmp_path, monkeypatch, arrow_reads):
    """It gains by the columns it leaves out: with half the columns or fewer to read."""
    monkeypatch.setattr(fastcsv, "MAX_SHARE", 0.5)
    wide = tmp_path / "wide.csv"      # 7 of 14 columns read
    wide.write_bytes(text([r + ",a,b,c,d,e" for r in ROWS],
                          header=HEADER + ",备注1,备注2,备注3,备注4,备注5").encode())
    narrow = tmp_path / "narrow.csv"  # 7 of 9
    narrow.write_bytes(text().encode())
    assert read_fast(wide, arrow_reads, needs=())
    assert not read_fast(wide, arrow_reads)                 # every column
    assert not read_fast(narrow, arrow_reads, needs=())
    assert_same(*read_both(wide, monkeypatch, needs=()))


def test_small_files_are_read_by_arrow(tmp_path, monkeypatch, arrow_reads):
    path = tmp_path / "log.csv"
    path.write_bytes(text().encode())
    monkeypatch.setattr(fastcsv, "MIN_BYTES", path.stat().st_size + 1)
    read_log(path)
    assert arrow_reads == [str(path)]


def test_odd_little_files_read_alike(tmp_path, monkeypatch, arrow_reads):
    """Files of a few rows made of the characters CSV readers disagree on."""
    pieces = ["GD1", "a", "2024-03-04 09:05:00", "", '""', '"x,y"', '"\n"', "NA", " ", ",",
              "\r", "\n", '"', "\r\n", "2024-03-04 09:05"]
    chooser = random.Random(17)
    for i in range(60):
        rows = ["".join(chooser.choice(pieces) for _ in range(chooser.randint(3, 9)))
                for _ in range(chooser.randint(1, 4))]
        lines = [",".join(["GD1", "a", "2024-03-04 09:05:00"])] + rows
        path = tmp_path / f"odd{i}.csv"
        path.write_bytes(("case,activity,time\n" + "\n".join(lines)).encode())
        fast, arrow = read_both(path, monkeypatch)
        assert_same(fast, arrow)


def test_map_on_a_clean_file_reads_it_fast(tmp_path, monkeypatch, arrow_reads):
    monkeypatch.setattr(fastcsv, "MAX_SHARE", 0.5)
    path = tmp_path / "log.csv"       # map reads 7 of the 14 columns
    path.write_bytes(text([r + ",a,b,c,d,e" for r in ROWS],
                          header=HEADER + ",备注1,备注2,备注3,备注4,备注5").encode())
    fast = CliRunner().invoke(cli, ["map", str(path), "--metric", "median-wait", "--json"])
    assert fast.exit_code == 0, fast.output
    assert arrow_reads == []
    monkeypatch.setattr(readers, "read_csv_fast", lambda *a, **k: None)
    arrow = CliRunner().invoke(cli, ["map", str(path), "--metric", "median-wait", "--json"])
    assert arrow_reads == [str(path)]
    assert json.loads(fast.stdout) == json.loads(arrow.stdout)
    assert fast.stdout == arrow.stdout


def test_duckdb_prints_no_progress_bar(tmp_path, monkeypatch, arrow_reads, capfd):
    """DuckDB draws its progress bar on stdout (on a read longer than 2 s): it would go
    into a command's output. Here the bar is set to show at once, as on a long read."""
    import duckdb

    class EagerBar:
        def __init__(self, con):
            self.con = con

        def __getattr__(self, name):
            return getattr(self.con, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.con.__exit__(*exc)

        def sql(self, *args, **kwargs):
            self.con.execute("set progress_bar_time = 0")
            return self.con.sql(*args, **kwargs)

    connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: EagerBar(connect(*a, **k)))
    path = tmp_path / "log.csv"
    path.write_bytes(text(ROWS * 200).encode())
    assert read_log(path).n_events == 1400
    assert arrow_reads == []
    assert capfd.readouterr().out == ""
