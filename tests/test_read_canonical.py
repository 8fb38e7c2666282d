"""From a file to canonical events (procmine.read.canonical): each case in time order
however the file is ordered, text trimmed and mapped once per distinct value, the same
events from UTF-8 and GB18030, line breaks within quoted values, and the case codes the
log keeps from reading. Every file is generated here, small."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from procmine.log import ACTIVITY, CASE, KIND, LEVEL, RESOURCE, TIMESTAMP, EventLog
from procmine.read import read_log

HEADER = "工单编号,环节,时间,承办单位,层级,单位类型\n"


def write_rows(path, rows, *, encoding="utf-8", header=HEADER):
    path.write_text(header + "".join(",".join(r) + "\n" for r in rows), encoding=encoding)
    return path


def expected_order(rows):
    """(case, activity) in read_log's order, by a plain sort: cases in order of first
    appearance, each by time, file order for equal times."""
    first = {}
    for r in rows:
        first.setdefault(r[0], len(first))
    ranked = sorted(range(len(rows)), key=lambda i: (first[rows[i][0]], rows[i][2], i))
    return [(rows[i][0], rows[i][1]) for i in ranked]


def layouts():
    """Four orders of one log: grouped with a step back in two cases, sorted by time with
    the cases interleaved, shuffled, and more cases out of order than are sorted one by one."""
    rng = random.Random(3)
    rows = []
    for c in range(40):
        for k in range(5):
            rows.append([f"C{c:03d}", f"a{k}", f"2024-01-{1 + c % 9:02d} {10 + k % 3}:00:00"])
    grouped = [list(r) for r in rows]
    grouped[7][2], grouped[8][2] = grouped[8][2], "2024-01-01 08:00:00"
    grouped[101][2] = "2023-12-31 23:00:00"
    by_time = sorted(rows, key=lambda r: r[2])
    shuffled = list(rows)
    rng.shuffle(shuffled)
    many = [[f"M{c}", f"s{k}", f"2024-02-01 {12 - k:02d}:00:00"]
            for c in range(1_200) for k in range(3)]  # over the 1,000 sorted one by one
    return {"grouped": grouped, "by time": by_time, "shuffled": shuffled, "many cases back": many}


@pytest.mark.parametrize("layout", list(layouts()))
def test_each_case_is_in_time_order_however_the_file_is_ordered(tmp_path, layout):
    rows = layouts()[layout]
    log = read_log(write_rows(tmp_path / "log.csv", rows, header="工单编号,环节,时间\n"))
    got = list(zip(log.events[CASE], log.events[ACTIVITY], strict=True))
    assert got == expected_order(rows)
    assert log.n_cases == len({r[0] for r in rows})


def test_spaces_around_a_value_make_no_other_value(tmp_path):
    rows = [["A1", " 受理", "2024-01-01 10:00:00", " 房管办", " grid", " 条"],
            ["A1", "受理 ", "2024-01-01 11:00:00", "房管办 ", "Grid", "BLOCK"],
            ["A1", "派遣", "2024-01-01 12:00:00", "  ", "街道", "块"],
            ["A2", "派遣", "2024-01-01 09:00:00", "房管办", "unknown", "weird"]]
    log = read_log(write_rows(tmp_path / "log.csv", rows))
    ev = log.events
    assert ev[ACTIVITY].tolist() == ["受理", "受理", "派遣", "派遣"]
    assert ev[RESOURCE].tolist()[:2] == ["房管办", "房管办"] and pd.isna(ev[RESOURCE][2])
    assert ev[KIND].tolist()[:3] == ["line", "block", "block"] and pd.isna(ev[KIND][3])
    assert any("1 unit kinds not line/block (条/块) set empty: weird" in n for n in log.report.notes)
    assert ev[LEVEL].tolist() == ["网格", "网格", "街镇", "unknown"]
    # the text columns are pandas' own str, which pm4py's functions take
    assert all(str(ev[c].dtype) == "str" for c in (CASE, ACTIVITY, RESOURCE, LEVEL, KIND))


def test_a_gb18030_file_reads_as_its_utf8_twin(tmp_path):
    rows = [[f"工单{c}", step, f"2024年3月{c % 28 + 1}日 9时{k}分", unit, "街道", "块"]
            for c in range(30) for k, (step, unit) in enumerate([("受理", " 房管办"), ("派遣", "城管中队")])]
    utf8 = read_log(write_rows(tmp_path / "u.csv", rows))
    gb = read_log(write_rows(tmp_path / "g.csv", rows, encoding="gb18030"))
    assert gb.report.encoding == "gb18030"
    pd.testing.assert_frame_equal(utf8.events, gb.events)
    assert utf8.n_events == 60 and utf8.events[RESOURCE].iloc[0] == "房管办"


def test_a_line_break_within_a_quoted_value_is_part_of_the_value(tmp_path):
    quoted = tmp_path / "q.csv"
    quoted.write_text('case,activity,time\na,"two\nlines",2024-01-01 10:00\nb,x,2024-01-01 11:00\n'
                      "b,x,2024-01-01 12:00,extra\n")
    log = read_log(quoted)
    assert log.events[ACTIVITY].tolist() == ["two\nlines", "x"]
    assert log.report.examples["ragged row (wrong number of fields)"][0][0] == 4  # 4th record
    plain = tmp_path / "p.csv"
    plain.write_text("case,activity,time\na,one,2024-01-01 10:00\nb,x,2024-01-01 11:00\n")
    assert read_log(plain).events[ACTIVITY].tolist() == ["one", "x"]


def test_a_quoted_line_break_across_a_block_of_arrows_reader_is_part_of_the_value(tmp_path):
    # one quoted value of many lines spans the end of Arrow's first block, past the
    # sample: only when the scan for quotes (in a thread while the sample is looked at)
    # finds its quote is the block cut after the value rather than within it
    from procmine.read.readers import BLOCK_BYTES

    row = "c{},step{},2024-01-01 10:{:02d}:{:02d},unit{}\n"
    lines = ["case,activity,time,unit\n"]
    size, i = len(lines[0]), 0
    while size < BLOCK_BYTES - 10_000:
        lines.append(row.format(i // 10, i % 10, i % 60, i % 60, i % 7))
        size += len(lines[-1])
        i += 1
    value = "\n".join(f"line {k} of a long note" for k in range(1000))   # about 25 KB
    lines.append(f'late,"{value}",2024-01-02 10:00:00,unit1\n')
    lines.append("late,done,2024-01-02 11:00:00,unit1\n")
    path = tmp_path / "late.csv"
    path.write_text("".join(lines))
    log = read_log(path)
    assert log.n_events == i + 2 and log.report.rows_read == i + 2
    assert log.events[ACTIVITY].iloc[-2] == value


def test_the_case_codes_kept_from_reading_are_those_of_the_events(tmp_path):
    rows = layouts()["shuffled"]
    log = read_log(write_rows(tmp_path / "log.csv", rows, header="工单编号,环节,时间\n"))
    fresh = EventLog(log.events.copy()).case_codes()
    kept = log.case_codes()
    for got, want in zip(kept, fresh, strict=True):
        np.testing.assert_array_equal(got, want)
    assert log.n_cases == log.events[CASE].nunique() == 40


@pytest.mark.parametrize("odd", [None, "2023年2月29日 10时00分00秒", "2024年1月3日 25时00分"])
def test_chinese_dates_read_as_their_iso_twins_and_an_odd_one_drops_alone(tmp_path, odd):
    iso = [f"2024-01-{d:02d} {h:02d}:{m:02d}:{s:02d}" for d, h, m, s in
           [(1, 9, 0, 0), (2, 14, 30, 5), (3, 0, 0, 0), (3, 17, 59, 59)]]
    zh = ["2024年1月1日 9时0分0秒", "2024年01月02日 14时30分05秒", "2024年1月3日", "2024年1月3号 17:59:59"]
    rows = [["A", f"s{i}", t] for i, t in enumerate(zh)] + ([["A", "odd", odd]] if odd else [])
    log = read_log(write_rows(tmp_path / "zh.csv", rows, header="工单编号,环节,时间\n"))
    twin = read_log(write_rows(tmp_path / "iso.csv", [["A", f"s{i}", t] for i, t in enumerate(iso)],
                               header="工单编号,环节,时间\n"))
    pd.testing.assert_series_equal(log.events[TIMESTAMP], twin.events[TIMESTAMP])
    assert log.report.dropped == ({"unparsable time": 1} if odd else {})


def test_the_activity_codes_kept_by_reading_are_those_of_the_text(tmp_path):
    """read_log keeps the activity codes from its Categorical; they are what
    pd.factorize(sort=True) gives on the text (sorted by code point, a missing or
    dropped value in no code)."""
    from procmine.abstractions import column_codes

    steps = ["受理", "派遣", " 派遣", "Zeta", "alpha", "é", "", "NA", "派遣 ", "𝔘nit", "结案"]
    rows = [[f"C{i % 7}", steps[i % len(steps)], f"2024-01-01 {10 + i % 12}:{i % 60:02d}:00"]
            for i in range(120)]
    rows.append(["C9", "只在被丢弃的行", "not a time"])
    log = read_log(write_rows(tmp_path / "log.csv", rows, header="工单编号,环节,时间\n"))
    kept, names = column_codes(log, ACTIVITY)
    codes, distinct = pd.factorize(log.events[ACTIVITY], sort=True)
    assert names.tolist() == list(distinct) and "只在被丢弃的行" not in names
    assert kept.tolist() == codes.tolist()


def test_a_few_cases_out_of_order_give_the_events_a_full_sort_gives(tmp_path, monkeypatch):
    """The rows of the few cases out of time order are set in copies of the columns; the
    events (every column: codes, times, deadlines, plain text) are those of the general
    sort, in UTF-8 and GB18030, quoted or not."""
    import procmine.read.sorting as sorting

    rows = [[f"C{c:03d}", f"a{k}", f"2024-01-{1 + c % 9:02d} {10 + (k * 7) % 5}:00:00",
             f"单位{(c + k) % 4}", "街道", "块", f"2024-02-{1 + c % 9:02d} 10:00:00",
             f'"备注, {c}"' if c % 3 == 0 else f"备注{k}"]
            for c in range(30) for k in range(4)]
    header = "工单编号,环节,时间,承办单位,层级,单位类型,时限,备注\n"
    for encoding in ("utf-8", "gb18030"):
        path = write_rows(tmp_path / f"log-{encoding}.csv", rows, encoding=encoding, header=header)
        few = read_log(path)
        monkeypatch.setattr(sorting, "_FEW_CASES", 0)     # every case sorted at once
        general = read_log(path)
        monkeypatch.undo()
        pd.testing.assert_frame_equal(few.events, general.events)
        assert few.report == general.report
        got = list(zip(few.events[CASE], few.events[ACTIVITY], strict=True))
        assert got == expected_order([r[:3] for r in rows])
        assert few.events["备注"].iloc[0] == "备注, 0"
