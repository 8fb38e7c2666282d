"""A few bytes that are not of the file's encoding damage their own value only.

An export in GB18030 or UTF-8 with one stray byte was read as Latin-1 (every Chinese
value changed, and the columns not found) or refused whole. Now the value is read
with U+FFFD in place of the bytes, every other value as it is, and the load report
says which column and row; the DuckDB engine reads it alike.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from procmine.cli import cli
from procmine.read import read_log
from tests.conftest import SAMPLE

#: the data row damaged (file row = index + 1: the header is row 1)
ROW = 2000


def _damaged(tmp_path, encoding: str, bad: bytes, row: int = ROW):
    """The sample log in ``encoding``, clean and with ``bad`` inside row ``row``'s activity."""
    lines = SAMPLE.read_text(encoding="utf-8-sig").encode(encoding).split(b"\n")
    clean = tmp_path / f"clean-{encoding}.csv"
    clean.write_bytes(b"\n".join(lines))
    case, activity, rest = lines[row].split(b",", 2)
    lines[row] = b",".join((case, activity[:2] + bad + activity[2:], rest))
    damaged = tmp_path / f"damaged-{encoding}.csv"
    damaged.write_bytes(b"\n".join(lines))
    return clean, damaged


def _cli(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


@pytest.mark.parametrize("encoding, bad", [("gb18030", b"\x80"), ("utf-8", b"\xff")])
def test_one_bad_byte_changes_its_own_value_only(tmp_path, encoding, bad):
    clean, damaged = _damaged(tmp_path, encoding, bad)
    good, mended = read_log(clean), read_log(damaged)
    assert mended.report.encoding == encoding           # not Latin-1
    assert mended.n_events == good.n_events
    before = good.events["concept:name"].astype(str).to_numpy()
    after = mended.events["concept:name"].astype(str).to_numpy()
    changed = (before != after).nonzero()[0]
    assert len(changed) == 1 and "\ufffd" in after[changed[0]]
    assert after[changed[0]].replace("\ufffd", "") in before[changed[0]]
    assert mended.report.repaired == {
        f"column 环节: values with bytes that are not {encoding} text, read with \ufffd in "
        f"their place (first at row {ROW + 1:,})": 1}


def test_a_bad_byte_past_the_sample_is_mended_too(tmp_path):
    """The encoding is chosen on the first MiB: a bad byte after it is met by Arrow."""
    clean, damaged = _damaged(tmp_path, "gb18030", b"\x80", row=30000)
    assert damaged.stat().st_size > 2 << 20
    mended = read_log(damaged)
    assert mended.n_events == read_log(clean).n_events
    assert list(mended.report.repaired.values()) == [1]
    assert "first at row 30,001" in next(iter(mended.report.repaired))


@pytest.mark.parametrize("encoding, bad", [("gb18030", b"\x80"), ("utf-8", b"\xff")])
def test_duckdb_reads_a_damaged_file_as_pandas_does(tmp_path, encoding, bad):
    _, damaged = _damaged(tmp_path, encoding, bad)
    pandas = _cli("variants", damaged, "--engine", "pandas", "--json")
    duckdb = _cli("variants", damaged, "--engine", "duckdb", "--json")
    assert pandas.exit_code == 0 and duckdb.exit_code == 0, duckdb.output
    assert duckdb.stdout == pandas.stdout
    said = _cli("variants", damaged, "--engine", "duckdb", "--lang", "en").stderr
    assert "kept 34,609, dropped 0" in said                  # not a dropped "ragged row"
    assert "text, read as \ufffd: " in said
    chinese = _cli("variants", damaged, "--engine", "duckdb", "--lang", "zh").stderr
    assert "编码的字节读作 \ufffd" in chinese


def test_auto_engine_under_a_small_limit_reads_gb18030(tmp_path):
    """--memory-limit makes auto choose DuckDB, which reads UTF-8 only: the file is read
    from a UTF-8 copy (before: 'DuckDB cannot read gb18030 text', exit 2)."""
    clean, _ = _damaged(tmp_path, "gb18030", b"\x80")
    small = _cli("info", clean, "--memory-limit", "40MB", "--json")
    assert small.exit_code == 0, small.output
    assert "Engine: duckdb" in small.stderr or "计算引擎：duckdb" in small.stderr
    data, alone = json.loads(small.stdout), json.loads(_cli("info", clean, "--json").stdout)
    assert (data["cases"], data["events"], data["activities"]) == (
        alone["cases"], alone["events"], alone["activities"]) == (3000, 34609, 23)


def test_the_load_report_says_the_mended_column_in_chinese(tmp_path):
    _, damaged = _damaged(tmp_path, "gb18030", b"\x80")
    result = _cli("info", damaged, "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert (f"修复 1 处：列 环节：值中有不属于 gb18030 编码的字节，这些字节读作 \ufffd"
            f"（第一处在第 {ROW + 1:,} 行）") in result.stderr


def test_a_utf16_export_reads_as_its_utf8_original(tmp_path):
    """Excel's "Unicode text" export is UTF-16 with a byte-order mark, tab-separated: it was
    taken for Latin-1 (every value with NULs, the columns not found)."""
    text = SAMPLE.read_text(encoding="utf-8-sig").replace(",", "\t")
    export = tmp_path / "export.txt"
    export.write_bytes(text.encode("utf-16"))
    log = read_log(export)
    assert (log.report.encoding, log.report.delimiter) == ("utf-16", "\t")
    original = _cli("variants", SAMPLE, "--json").stdout
    for engine in ("pandas", "duckdb"):
        assert _cli("variants", export, "--engine", engine, "--json").stdout == original, engine


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_mark_reads_as_its_utf8_original(tmp_path, encoding):
    """Without a byte-order mark it was taken for Latin-1 (pandas: 'no column found',
    columns not shown; DuckDB: exit 70, 'File is not latin-1 encoded')."""
    export = tmp_path / "export.csv"
    export.write_bytes(SAMPLE.read_text(encoding="utf-8-sig").encode(encoding))
    assert read_log(export).report.encoding == encoding
    original = _cli("variants", SAMPLE, "--json").stdout
    for engine in ("pandas", "duckdb"):
        assert _cli("variants", export, "--engine", engine, "--json").stdout == original, engine


@pytest.mark.parametrize("encoding", ["utf-32", "latin-1"])
def test_an_encoding_given_wrong_is_said_alike_by_both_engines(encoding):
    """UTF-32 given to a UTF-8 file raised UnicodeError (exit 70) on both; Latin-1 given to
    it was exit 70 on DuckDB ('File is not latin-1 encoded'): DuckDB now reads every
    encoding but UTF-8 from a UTF-8 copy, as Python decodes it."""
    said = [_cli("info", SAMPLE, "--encoding", encoding, "--engine", engine, "--lang", "en")
            for engine in ("pandas", "duckdb")]
    assert [r.exit_code for r in said] == [2, 2], said[1].output
    last = [r.stderr.splitlines()[-1] for r in said]
    if encoding == "latin-1":       # read as Latin-1: the headers are mojibake, on both
        assert last[0] == last[1] and "no column found" in last[0]
    else:
        assert all(f"cannot decode the file as {encoding} (" in line for line in last)


def test_a_gb18030_gzip_bomb_is_refused_before_the_copy_fills_the_disk(tmp_path, monkeypatch):
    """DuckDB reads GB18030 from a UTF-8 copy on disk: a .csv.gz expanding past the ratio
    limit is refused while it is copied (the floor lowered from 64 MiB to 1 MiB here)."""
    import gzip

    from procmine import limits
    from procmine.engines import get_engine
    from procmine.errors import InputError

    monkeypatch.setattr(limits, "RATIO_FLOOR_BYTES", 1 << 20)
    body = ("工单编号,环节,时间\n" + "A,上报,2024-03-05 09:00\n" * 400_000).encode("gb18030")
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(body, 9))
    assert len(body) > 200 * bomb.stat().st_size
    with pytest.raises(InputError, match="expands more than 200 times"):
        get_engine("duckdb", bomb).totals()


def test_an_encoding_without_the_replacement_character_is_a_clear_error(tmp_path):
    """cp1252 has no U+FFFD: counting the file's own ones raised UnicodeEncodeError
    (exit 70); a file mostly not cp1252 is the one clear error of a wrong --encoding."""
    path = tmp_path / "cp.csv"
    path.write_bytes(b"case,activity,time\nA,caf\x81,2024-03-05 09:00\nA,x\xe9,2024-03-05 10:00\n")
    result = _cli("info", path, "--encoding", "cp1252", "--lang", "en")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: {path}: cannot decode the file as cp1252 (")


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_an_encoding_given_wrong_is_the_same_clear_error_on_each_engine(tmp_path, engine):
    """A GB18030 file given --encoding utf-8: DuckDB read it mended, � in every Chinese
    header, and said 'no column found ... column00, column01'."""
    clean, _ = _damaged(tmp_path, "gb18030", b"\x80")
    result = _cli("variants", clean, "--engine", engine, "--encoding", "utf-8", "--lang", "en")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        f"Error: {clean}: cannot decode the file as utf-8 (bytes that are not utf-8) "
        "(try --encoding gb18030 (or utf-8, latin-1))")


@pytest.mark.parametrize("encoding, bad", [("gb18030", b"\x80"), ("utf-8", b"\xff\xfe")])
def test_the_bad_runs_counted_without_a_copy_are_those_of_the_copy(tmp_path, encoding, bad):
    from procmine.read.transcode import count_bad_runs, to_utf8

    clean, damaged = _damaged(tmp_path, encoding, bad)
    for path in (clean, damaged):
        # (the sample holds no U+FFFD of its own: each is a run of bad bytes)
        runs = path.read_bytes().decode(encoding, errors="replace").count("\ufffd")
        assert runs == (0 if path == clean else runs or 1)
        assert count_bad_runs(str(path), encoding) == runs
        assert to_utf8(str(path), encoding, str(tmp_path / "copy.csv")) == runs
