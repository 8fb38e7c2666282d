"""Reading only the columns a command uses (``read_log(needs=)``): the same output, the same
load report, on a log with bad rows in the columns left out and in the columns read."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from procmine.cli import cli
from procmine.cli import options as cli_options
from procmine.log import ACTIVITY, CASE, CATEGORY, SOURCE
from procmine.read import read_log

HEADER = "工单编号,环节,时间,承办单位,层级,单位类型,类别,来源,时限,诉求人,地址,备注"
ROWS = [
    "GD1,上报,2024-01-01 09:00:00,网格员,网格,块, 占道经营 ,12345热线,2024-01-03 09:00:00,h1,幸福路1号,",
    "GD1,受理,2024-01-01 10:00:00,街道城运中心,街镇,块, 占道经营 ,12345热线,2024-01-03 09:00:00,h1,幸福路1号,",
    # a duplicate event (same case, step, time and unit)
    "GD1,受理,2024-01-01 10:00:00,街道城运中心,街镇,块, 占道经营 ,12345热线,2024-01-03 09:00:00,h1,幸福路1号,",
    "GD1,处置,2024-01-02 10:00:00,城管执法中队,区,条,占道经营,12345热线,2024-01-03 09:00:00,h1,幸福路1号,\"多行\n备注\"",
    "GD1,结案,2024-01-02 12:00:00,街道城运中心,街镇,块,占道经营,12345热线,2024-01-03 09:00:00,h1,幸福路1号,",
    # a ragged row: an unquoted comma in the address (a column the commands leave out)
    "GD2,上报,2024-01-01 11:00:00,网格员,网格,块,违章搭建,巡查发现,2024-01-09 09:00:00,,幸福路,2号,",
    "GD2,上报,2024-01-01 11:00:00,网格员,网格,块,违章搭建,巡查发现,2024-01-09 09:00:00,,幸福路2号,",
    "GD2,受理,2024-01-01 12:30:00,街道城运中心,街镇,块,违章搭建,巡查发现,2024-01-09 09:00:00,,幸福路2号,",
    # an unparsable time and a missing case id (columns every command reads)
    "GD2,处置,not a time,城管执法中队,区,条,违章搭建,巡查发现,2024-01-09 09:00:00,,幸福路2号,",
    ",处置,2024-01-02 08:00:00,城管执法中队,区,条,违章搭建,巡查发现,2024-01-09 09:00:00,,幸福路2号,",
    "GD2,结案,2024-01-03 08:00:00,街道城运中心,街镇,块,违章搭建,巡查发现,2024-01-09 09:00:00,,幸福路2号,",
    # a unit kind that is neither line nor block, a deadline that is no time
    "GD3,上报,2024-01-02 09:00:00,网格员,网格,混合,违章搭建,12345热线,soon,h3,和平路3号,",
    "GD3,受理,2024-01-02 09:30:00,街道城运中心,街镇,块,违章搭建,12345热线,soon,h3,和平路3号,备注",
    "GD3,结案,2024-01-04 09:30:00,街道城运中心,街镇,块,违章搭建,12345热线,soon,h3,和平路3号,",
]


@pytest.fixture(params=["utf-8", "gb18030"])
def messy(tmp_path, request):
    path = tmp_path / f"messy-{request.param}.csv"
    path.write_bytes(("\n".join([HEADER, *ROWS]) + "\n").encode(request.param))
    return path


def test_a_log_read_in_part_has_the_report_of_the_whole(messy):
    whole, part = read_log(messy), read_log(messy, needs=[CATEGORY])
    assert part.report.to_dict() == whole.report.to_dict()
    assert part.report.dropped == {"ragged row (wrong number of fields)": 1, "no case id": 1,
                                   "unparsable time": 1}
    assert part.report.duplicates == 1 and part.report.not_read == ["来源", "诉求人", "地址", "备注"]
    assert part.attributes == whole.attributes == ["备注"]
    assert SOURCE not in part.events and CATEGORY in part.events
    pd.testing.assert_frame_equal(part.events, whole.events[part.events.columns])
    assert part.case_codes().codes.tolist() == whole.case_codes().codes.tolist()


def test_needs_names_a_file_column_or_a_canonical_one(messy):
    log = read_log(messy, needs=["备注", "地址"])
    assert list(log.events.columns[-2:]) == ["case:address", "备注"]
    assert log.events["备注"].dropna().tolist() == ["多行\n备注", "备注"]
    assert read_log(messy, needs=[]).report.mapping == read_log(messy).report.mapping


def test_attributes_keep_their_file_order_when_some_are_left_out(tmp_path):
    path = tmp_path / "attrs.csv"
    path.write_text("备注,工单编号,环节,附件,时间,case:category,类别\n"
                    "x,GD1,上报,a.pdf,2024-01-01 09:00,old,占道经营\n", encoding="utf-8")
    given = {"category": "类别"}     # the column named case:category becomes an attribute
    whole, part = read_log(path, columns=given), read_log(path, columns=given, needs=["附件"])
    assert whole.attributes == ["备注", "附件", "case:category (original)"]
    assert part.attributes == whole.attributes
    assert "附件" in part.events and "备注" not in part.events
    assert part.report.not_read == ["备注", "case:category", "类别"]


def test_parquet_read_in_part(messy, tmp_path):
    encoding = "gb18030" if "gb18030" in messy.name else "utf-8"
    frame = pd.read_csv(messy, dtype=str, on_bad_lines="skip", encoding=encoding)
    path = tmp_path / "messy.parquet"
    frame.to_parquet(path)
    whole, part = read_log(path), read_log(path, needs=[])
    assert part.report.to_dict() == whole.report.to_dict()
    assert part.report.not_read == ["类别", "来源", "诉求人", "地址", "备注"]
    pd.testing.assert_frame_equal(part.events, whole.events[part.events.columns])


def test_a_log_without_a_required_column_fails_as_before(tmp_path):
    path = tmp_path / "no-time.csv"
    path.write_text("工单编号,环节,类别\nGD1,上报,x\n", encoding="utf-8")
    with pytest.raises(Exception) as whole:
        read_log(path)
    with pytest.raises(Exception) as part:
        read_log(path, needs=[])
    assert str(part.value) == str(whole.value) and type(part.value) is type(whole.value)


COMMANDS = [
    ["info"], ["info", "--json"], ["variants"], ["variants", "--json"],
    ["map", "--metric", "median-wait"], ["map", "--json"],
    ["info", "--json", "--where", "类别=违章搭建"],
    ["map", "--json", "--with-event", "备注=备注"],
    ["variants", "--json", "--where", "source!=12345热线"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_commands_print_the_same_reading_part_of_the_log(messy, monkeypatch, args):
    """Each command reads only its columns, and prints what it prints reading them all
    (on stdout and in the load report on stderr)."""
    import procmine.read as read

    logs = []

    def spy(*a, **k):
        logs.append(read_log(*a, **k))
        return logs[-1]

    monkeypatch.setattr(read, "read_log", spy)
    part = CliRunner().invoke(cli, [args[0], str(messy), "--engine", "pandas", *args[1:]])
    monkeypatch.setattr(cli_options, "_with_filters", lambda needs, options: None)
    whole = CliRunner().invoke(cli, [args[0], str(messy), "--engine", "pandas", *args[1:]])
    assert part.exit_code == whole.exit_code == 0, part.output
    assert part.stdout == whole.stdout and part.stderr == whole.stderr
    assert "地址" in logs[0].report.not_read and not logs[1].report.not_read
    assert {CASE, ACTIVITY} <= set(logs[0].events.columns)
