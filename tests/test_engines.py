"""Engines: pandas and DuckDB give the same abstractions on the sample log and a real log.

The pandas engine is checked against pm4py (variants, DFG, performance DFG,
rework) and against the analyses that use the same numbers (loops, bottlenecks);
DuckDB is checked against the pandas engine: exact counts, times equal to the
second. Spark has its own file (test_engines_spark.py: it needs Java).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from procmine.engines import (
    Source,
    choose_engine,
    engine_from_options,
    get_engine,
    parse_memory_limit,
)
from procmine.errors import ChoiceError, InputError, ProcmineError, SpecError
from procmine.log import CASE
from procmine.read import read_log

HERE = Path(__file__).resolve().parent
ORDERS16 = HERE / "fixtures" / "orders16.csv"
SAMPLE = HERE.parent / "logs" / "sample.csv"
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
RECEIPT = REAL / "receipt.csv"


def sample_log() -> Path:
    """The shipped sample log, or the 16-event fixture until the sample exists."""
    return SAMPLE if SAMPLE.exists() else ORDERS16


def receipt() -> Path:
    if not RECEIPT.exists():
        pytest.skip(f"real log {RECEIPT} is absent (see ../shared/data/real/SOURCES.md)")
    return RECEIPT


def everything(engine) -> dict:
    """Every abstraction an engine computes, for comparison."""
    return {
        "totals": engine.totals(),
        "variants": engine.variants(),
        "follows": engine.follows(),
        "working": engine.follows(time="working", calendar="cn"),
        "cases": engine.cases(),
    }


def assert_same(ref: dict, other: dict, *, only_cases: bool = False) -> None:
    """Exact counts and ids; times equal to the second. ``only_cases``: the case tables
    alone, each column where the first has it."""
    if only_cases:
        return _assert_same_cases(ref["cases"], other["cases"])
    a, b = ref["totals"], other["totals"]
    assert (a.events, a.cases, a.activities, a.units, a.rows_read, a.dropped) == \
        (b.events, b.cases, b.activities, b.units, b.rows_read, b.dropped)
    assert abs((a.first - b.first).total_seconds()) < 1
    assert abs((a.last - b.last).total_seconds()) < 1

    va, vb = ref["variants"], other["variants"]
    pd.testing.assert_frame_equal(va.table[["variant", "cases", "length"]],
                                  vb.table[["variant", "cases", "length"]], check_dtype=False)
    assert list(va.table["activities"]) == list(vb.table["activities"])
    assert list(va.of_case.index) == list(vb.of_case.index)
    assert va.of_case.tolist() == vb.of_case.tolist()

    for key in ("follows", "working"):
        fa, fb = ref[key], other[key]
        assert fa.table[["source", "target"]].astype(str).values.tolist() == \
            fb.table[["source", "target"]].astype(str).values.tolist()
        assert fa.table["count"].tolist() == fb.table["count"].tolist()
        assert fa.table["cases"].tolist() == fb.table["cases"].tolist()
        for column in ("mean", "median", "p90", "min", "max"):
            np.testing.assert_allclose(fa.table[column], fb.table[column], atol=1.0, rtol=0)
        # totals add up thousands of waits: equal to the second in relative terms
        np.testing.assert_allclose(fa.table["total"], fb.table["total"], atol=1.0, rtol=1e-9)
        assert fa.starts == fb.starts and fa.ends == fb.ends

    _assert_same_cases(ref["cases"], other["cases"])


def _assert_same_cases(ca: pd.DataFrame, cb: pd.DataFrame) -> None:
    assert list(ca.columns) == list(cb.columns)
    for column in ("case", "events", "variant"):
        if column in ca.columns:
            assert ca[column].astype(str).tolist() == cb[column].astype(str).tolist(), column
    for column in ("start", "end", "deadline"):
        if column in ca.columns:
            gap = (pd.to_datetime(ca[column]) - pd.to_datetime(cb[column])).dt.total_seconds().abs()
            assert gap.fillna(0).max() < 1, column
    if "duration" in ca.columns:
        np.testing.assert_allclose(ca["duration"], cb["duration"], atol=1.0, rtol=0)
    for column in ("category", "source"):
        if column in ca.columns:
            assert ca[column].fillna("").astype(str).tolist() == \
                cb[column].fillna("").astype(str).tolist()


@pytest.fixture(scope="module")
def sample_results() -> dict:
    with get_engine("pandas", sample_log()) as engine:
        return everything(engine)


@pytest.fixture(scope="module")
def receipt_results() -> dict:
    with get_engine("pandas", receipt()) as engine:
        return everything(engine)


# --------------------------------------------------------------------------- pandas = pm4py


def test_pandas_engine_is_the_abstractions_module():
    from procmine import abstractions
    from procmine.read import read_log

    log = read_log(sample_log())
    with get_engine("pandas", log) as engine:
        assert engine.variants().counts() == abstractions.variants(log).counts()
        pd.testing.assert_frame_equal(engine.follows().table, abstractions.follows(log).table)
        pd.testing.assert_frame_equal(engine.cases(), abstractions.cases(log))


@pytest.mark.real
def test_pandas_engine_equals_pm4py_on_receipt(receipt_results):
    import pm4py

    from procmine.read import read_log

    frame = read_log(receipt()).events
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        variants = pm4py.get_variants(frame)
        dfg, starts, ends = pm4py.discover_dfg(frame)
        performance, _, _ = pm4py.discover_performance_dfg(frame)
    ours = receipt_results
    assert ours["variants"].counts() == {tuple(k): int(v) for k, v in variants.items()}
    assert ours["follows"].counts() == dict(dfg)
    assert ours["follows"].starts == dict(starts) and ours["follows"].ends == dict(ends)
    table = ours["follows"].table.set_index(["source", "target"])
    for pair, stats in performance.items():
        assert abs(table.loc[pair, "mean"] - stats["mean"]) < 1


def test_working_time_follows_match_bottlenecks(sample_results):
    from procmine.abstractions import follows
    from procmine.bottlenecks import waiting_times
    from procmine.read import read_log

    log = read_log(sample_log())
    if "start_timestamp" in log.events.columns:
        pytest.skip("the sample log has start times: bottlenecks measure waits to the start")
    expected = follows(log, durations=waiting_times(log, calendar="cn")).table
    got = sample_results["working"].table
    np.testing.assert_allclose(got["mean"], expected["mean"], atol=1.0)
    assert (got["mean"] <= sample_results["follows"].table["mean"] + 1e-9).all()


# --------------------------------------------------------------------------- duckdb = pandas


def test_duckdb_equals_pandas_on_the_sample_log(sample_results, tmp_path):
    with get_engine("duckdb", sample_log(), memory_limit="1GiB",
                    temp_directory=str(tmp_path)) as engine:
        assert_same(sample_results, everything(engine))
    assert list(tmp_path.iterdir()) == [], "the spill folder is removed on close"


def test_duckdb_follows_are_the_same_whether_the_waits_fit_in_memory_or_not(monkeypatch):
    """The median and p90 of each pair from two aggregate passes (waits in memory) and
    from sorting every wait (when they would not fit) are the same to the last bit."""
    from procmine.engines import nearest, sql

    tables = []
    sorting = sql.ranked_quantiles
    for fits in (True, False):
        monkeypatch.setattr(nearest, "quantiles_fit", lambda con, values, fits=fits: fits)
        # when the waits fit, nothing is sorted
        monkeypatch.setattr(sql, "ranked_quantiles", None if fits else sorting)
        with get_engine("duckdb", str(SAMPLE), memory_limit="1GiB") as engine:
            tables.append([engine.follows().table, engine.follows(time="working").table])
    for aggregated, sorted_ in zip(*tables, strict=True):
        pd.testing.assert_frame_equal(aggregated, sorted_, check_exact=True)


@pytest.mark.real
def test_duckdb_equals_pandas_on_receipt(receipt_results):
    with get_engine("duckdb", receipt()) as engine:
        assert_same(receipt_results, everything(engine))


def test_duckdb_reads_parquet_with_datetimes_or_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from procmine.read import read_log

    frame = pd.read_csv(ORDERS16, dtype=str)
    as_text = tmp_path / "text.parquet"
    frame.to_parquet(as_text, index=False)
    typed = tmp_path / "typed.parquet"
    frame.assign(时间=pd.to_datetime(frame["时间"])).to_parquet(typed, index=False)
    # instants in nanoseconds (pandas' own unit): DuckDB 2 calls them TIMESTAMPTZ_NS, and
    # read them as local times, 8 hours early
    aware = tmp_path / "aware.parquet"
    frame.assign(时间=pd.to_datetime(frame["时间"]).dt.tz_localize("Asia/Shanghai")
                 .astype("datetime64[ns, Asia/Shanghai]")).to_parquet(aware, index=False)
    assert pq.read_schema(aware).field("时间").type == pa.timestamp("ns", tz="Asia/Shanghai")
    expected = read_log(ORDERS16)
    for path in (as_text, typed, aware):
        with get_engine("pandas", path) as ref, get_engine("duckdb", path) as engine:
            assert_same(everything(ref), everything(engine))
            assert engine.totals().first == expected.events["time:timestamp"].min()


def test_duckdb_reads_times_as_read_log_does(tmp_path):
    # Chinese dates, slashes without zeros, an offset, a bad time and a missing case id
    path = tmp_path / "mixed.csv"
    path.write_text(
        "工单编号,环节,时间,承办单位\n"
        "A1,上报,2024年3月5日 09:07:00,网格\n"
        "A1,立案,2024年3月5日 10:00:00,街道\n"
        "A2,上报,2024年3月6日 08:00:00,网格\n"
        ",立案,2024年3月6日 08:30:00,街道\n"
        "A2,立案,not a time,街道\n"
        "A2,派遣,2024-03-06T09:00:00+00:00,街道\n", encoding="utf-8")
    for timezone in ("Asia/Shanghai", "Europe/Amsterdam"):
        with get_engine("pandas", path, timezone=timezone) as ref, \
                get_engine("duckdb", path, timezone=timezone) as engine:
            a, b = ref.totals(), engine.totals()
            assert b.dropped == a.dropped == {"no case id": 1, "unparsable time": 1}
            assert (b.first, b.last) == (a.first, a.last)
            assert_same(everything(ref), everything(engine))


#: Chinese dates to the minute (9时7分), an offset, a bad time and a missing case id
CHINESE_MINUTES = ("工单编号,环节,时间,承办单位,层级\n"
                   "A1,上报,2024年3月5日 9时7分,网格一,网格\n"
                   "A1,立案,2024年3月5日 10时0分,街道一,街道\n"
                   "A2,上报,2024年3月6日 8时0分,网格二,社区\n"
                   ",立案,2024年3月6日 8时30分,街道一,街道\n"
                   "A2,立案,三月六日,街道一,街道\n"
                   "A2,派遣,2024-03-06T09:00:00+00:00,区一,区\n")


def assert_reads_chinese_minutes_as_read_log(name: str, path, **options) -> None:
    """The engine ``name`` reads :data:`CHINESE_MINUTES` as read_log does."""
    path.write_text(CHINESE_MINUTES, encoding="utf-8")
    with get_engine("pandas", path) as ref, get_engine(name, path, **options) as engine:
        a, b = ref.totals(), engine.totals()
        assert b.dropped == a.dropped == {"no case id": 1, "unparsable time": 1}
        assert str(a.first) == "2024-03-05 09:07:00+08:00"
        assert (b.first, b.last) == (a.first, a.last)
        assert_same(everything(ref), everything(engine))


def test_duckdb_reads_chinese_dates_to_the_minute(tmp_path):
    assert_reads_chinese_minutes_as_read_log("duckdb", tmp_path / "minutes.csv")


def test_duckdb_honours_levels_and_column_options(tmp_path):
    path = tmp_path / "renamed.csv"
    frame = pd.read_csv(ORDERS16, dtype=str).rename(columns={"工单编号": "order", "环节": "step",
                                                             "时间": "when", "层级": "tier"})
    frame.to_csv(path, index=False)
    options = {"columns": {"case_id": "order", "activity": "step", "timestamp": "when",
                           "level": "tier"},
               "levels": ("网格", "街镇", "区")}
    with get_engine("pandas", path, **options) as ref, get_engine("duckdb", path, **options) as engine:
        assert_same(everything(ref), everything(engine))


def test_duckdb_refuses_what_it_cannot_read(tmp_path):
    xes = REAL / "running-example.xes"
    if xes.exists():
        with pytest.raises(InputError, match="engine='pandas'"):
            get_engine("duckdb", xes)
    gbk = tmp_path / "gbk.csv"           # read from a UTF-8 copy (tests/test_mended_bytes.py)
    gbk.write_bytes("工单编号,环节,时间\nA1,上报,2024-03-05 09:00:00\n".encode("gb18030") * 1)
    read = get_engine("duckdb", gbk)
    assert (read.totals().events, read.load_report().encoding) == (1, "gb18030")
    assert read.variants().table["activities"].tolist() == [("上报",)]
    unknown = tmp_path / "unknown.csv"
    unknown.write_bytes(b"case,activity,time\nA1,x,2024-03-05 09:00:00\n")
    with pytest.raises(InputError, match="cannot decode the file as klingon"):
        get_engine("duckdb", Source(path=str(unknown), encoding="klingon")).totals()
    epoch = tmp_path / "epoch.csv"
    epoch.write_text("case,activity,time\nA,x,1709600000\nA,y,1709603600\n", encoding="utf-8")
    with pytest.raises(InputError, match="numbers"):
        get_engine("duckdb", epoch).totals()


@pytest.mark.parametrize("name", ["pandas", "duckdb"])
def test_a_file_of_columns_and_no_rows_is_said_to_have_none(name, tmp_path):
    """A CSV of its header alone (or a Parquet of columns and no rows) was "0 rows read,
    all dropped ... check the column mapping"; a Parquet of no columns was DuckDB's
    internal error (exit 70). Each is now the one error every engine gives."""
    header = tmp_path / "header.csv"
    header.write_text("工单编号,环节,时间\n", encoding="utf-8")
    rowless = tmp_path / "rowless.parquet"
    pd.DataFrame({"case": pd.Series([], dtype=str), "activity": pd.Series([], dtype=str),
                  "time": pd.Series([], dtype=str)}).to_parquet(rowless)
    for path in (header, rowless):
        with pytest.raises(InputError, match=r"the file has no rows, only its columns "
                                             r"\(export the log again with its rows\)"):
            get_engine(name, path).totals()
    columnless = tmp_path / "columnless.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({}), columnless)
    with pytest.raises(InputError, match="the file has no columns at all: check that it is "
                                         "the log"):
        get_engine(name, columnless).totals()


# --------------------------------------------------------------------------- choosing


def test_auto_chooses_pandas_for_small_files_and_duckdb_for_large_ones():
    small = choose_engine(ORDERS16)
    assert small.name == "pandas" and "under a third" in small.reason
    large = choose_engine(ORDERS16, available=1000)
    assert large.name == "duckdb" and "out of core" in large.reason
    assert choose_engine(ORDERS16, memory_limit="1KiB").name == "duckdb"
    assert choose_engine(Source(table="lake.orders")).name == "spark"
    xes = REAL / "running-example.xes"
    if xes.exists():
        assert choose_engine(xes).name == "pandas"


def test_engine_from_cli_options():
    engine, choice = engine_from_options(str(ORDERS16), {"timezone": "Asia/Shanghai"},
                                         engine="duckdb", memory_limit="512MiB")
    with engine:
        assert engine.name == "duckdb" and choice.reason == "chosen with --engine"
        assert engine.totals().cases == 3
    engine, choice = engine_from_options(str(ORDERS16), {}, engine="auto")
    assert engine.name == "pandas" == choice.name


def test_memory_limits_and_unknown_engines():
    assert parse_memory_limit("4GiB") == 4 * 2**30
    assert parse_memory_limit("500MB") == 500 * 10**6
    with pytest.raises(SpecError, match="4GiB"):
        parse_memory_limit("lots")
    # a limit DuckDB cannot read a log within is refused at once, not when it runs out
    for limit in ("0", "1MiB"):
        with pytest.raises(SpecError, match=f"memory limit '{limit}': too small to read a "
                                            r"log within \(give 64MiB or more"):
            get_engine("duckdb", ORDERS16, memory_limit=limit)
    assert get_engine("duckdb", ORDERS16, memory_limit="64MiB").totals().events == 16
    with pytest.raises(ChoiceError, match="engine=.polars.: not a choice .choose one of auto, pandas, duckdb, spark"):
        get_engine("polars", ORDERS16)


def test_duckdb_memory_limit_is_applied(tmp_path):
    """--memory-limit bounds the process: DuckDB's buffers get 60% of it (256 MiB -> 153.6)."""
    with get_engine("duckdb", ORDERS16, memory_limit="256MiB",
                    temp_directory=str(tmp_path)) as engine:
        limit = engine.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert limit.replace(" ", "") == "153.5MiB"
        engine.totals()
        assert any(os.scandir(tmp_path)), "the database lives in the temporary folder"


# --------------------------------------------------------------------------- parts of the log


CANONICAL = ("case:concept:name", "concept:name", "time:timestamp", "start_timestamp",
             "org:resource", "org:level", "org:kind", "case:category", "case:source",
             "case:deadline")


def assert_parts_are_the_log(engine, path, max_events: int = 1_000_000, columns=None) -> list:
    from procmine.read import read_log

    ref = read_log(path, columns=columns)
    parts = list(engine.event_logs(max_events=max_events))
    columns = [c for c in ref.events.columns if c in CANONICAL]
    got = pd.concat([p.events for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(got[columns], ref.events[columns])
    for part in parts:
        assert part.levels == ref.levels and part.timezone == ref.timezone
    cases = [set(p.events["case:concept:name"]) for p in parts]
    assert sum(map(len, cases)) == ref.n_cases, "every case lies in exactly one part"
    return parts


@pytest.mark.parametrize("name", ["pandas", "duckdb"])
def test_parts_laid_end_to_end_are_read_log(name):
    with get_engine(name, sample_log()) as engine:
        parts = assert_parts_are_the_log(engine, sample_log(), 5000)
    assert len(parts) == 7 and all(abs(p.n_events - 5000) < 50 for p in parts[:-1])


@pytest.mark.real
def test_duckdb_parts_of_receipt_are_read_log():
    with get_engine("duckdb", receipt()) as engine:
        assert len(assert_parts_are_the_log(engine, receipt(), 3000)) == 3


def test_duckdb_parts_read_ahead_stop_with_the_caller_and_raise_its_errors(monkeypatch):
    """The next part is read in a thread while the caller works on one: leaving early
    ends that thread, and an error reading a part reaches the caller."""
    import threading

    def reading() -> bool:
        return any(t.name == "procmine-parts" and t.is_alive() for t in threading.enumerate())

    with get_engine("duckdb", str(SAMPLE), memory_limit="1GiB") as engine:
        parts = engine.event_logs(max_events=5000)
        first = next(parts)
        parts.close()
        assert not reading()
        ids = first.events[CASE].drop_duplicates().tolist()
        assert ids == engine.cases()["case"].iloc[:len(ids)].tolist()
        made = engine._part_log

        def fails_second(table, seen=[]):  # noqa: B006 - counts the calls
            seen.append(1)
            if len(seen) == 2:
                raise InputError("part 2 is unreadable")
            return made(table)

        monkeypatch.setattr(engine, "_part_log", fails_second)
        with pytest.raises(InputError, match="part 2"):
            for _ in engine.event_logs(max_events=5000):
                pass
        assert not reading()


def test_parts_carry_start_times_kinds_and_text_levels(tmp_path):
    path = tmp_path / "start.csv"
    path.write_text(
        "case,activity,start,time,unit,level,kind\n"
        "A,派遣,2024-03-04 09:00:00,2024-03-04 09:05:00,城运中心,street,块\n"
        "A,处置,,2024-03-05 10:00:00,城管科,区,Line\n"
        "B,派遣,2024-03-04 08:00:00,2024-03-04 08:30:00,城运中心,楼组,other\n", encoding="utf-8")
    columns = {"case_id": "case", "activity": "activity", "timestamp": "time",
               "start_timestamp": "start", "resource": "unit", "level": "level", "kind": "kind"}
    with get_engine("duckdb", path, columns=columns) as engine:
        (part,) = assert_parts_are_the_log(engine, path, columns=columns)
    assert part.events["org:level"].tolist() == ["街镇", "区", "楼组"]
    assert part.events["org:kind"].tolist()[:2] == ["block", "line"]
    assert part.events["start_timestamp"].isna().tolist() == [False, True, False]


def test_duckdb_counts_ragged_rows_as_read_log_does(tmp_path):
    from procmine.read import read_log

    lines = ORDERS16.read_text(encoding="utf-8").splitlines()
    lines[3] += ",one field too many"
    lines[5] = ",".join(lines[5].split(",")[:4])
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ref = read_log(path)
    with get_engine("duckdb", path) as engine:
        totals = engine.totals()
    assert ref.report.dropped == {"ragged row (wrong number of fields)": 2}
    assert totals.dropped == ref.report.dropped
    assert (totals.rows_read, totals.events) == (ref.report.rows_read, ref.n_events) == (16, 14)


DIRTY = ("case,activity,time\n"
         "C1,a,2024-01-01 08:00:00\n"
         "C1,b,2024-01-01 09:00:00,one field too many\n"      # row 3: ragged
         ",c,2024-01-01 10:00:00\n"                           # row 4: no case id
         "  ,,2024-01-01 10:00:00\n"                          # row 5: blank case (and activity)
         'C1,"",2024-01-01 11:00:00\n'                        # row 6: quoted empty activity
         "C1,   ,2024-01-01 11:00:00\n"                       # row 7: blank activity
         "C1,d,\n"                                            # row 8: no time
         "C1,e,not a time\n"
         "C1,f,2300-01-01 00:00:00\n"                         # out of range
         "C2,a,2024-02-30 10:00:00\n"
         "C2,b, junk \n"
         "C2,c,a time far too long to be quoted whole in a load report\n"
         "C2,d,never\n"                                       # the sixth: not an example
         "C2,e,2024-01-02 10:00:00+02:00\n"
         "C2,f,2024-01-02 11:00:00\n")


def assert_drops_are_shown_as_read_log_shows_them(name: str, tmp_path: Path,
                                                  **options) -> None:
    """Each reason rows were dropped comes with its first five rows (file row, column,
    value), the same as read_log's, on a CSV (a ragged row moves the rows after it)
    and on Parquet (records from 1); and the note on times of other offsets."""
    csv = tmp_path / "dirty.csv"
    csv.write_text(DIRTY, encoding="utf-8")
    ref = read_log(csv)
    assert ref.report.examples == {
        "ragged row (wrong number of fields)": [
            (3, "*", "4 fields, expected 3: C1,b,2024-01-01 09:00:00,one field too many")],
        "no case id": [(4, "case", "(empty)"), (5, "case", "")],
        "no activity": [(6, "activity", "(empty)"), (7, "activity", "")],
        "no time": [(8, "time", "(empty)")],
        "unparsable time": [(9, "time", "not a time"), (10, "time", "2300-01-01 00:00:00"),
                            (11, "time", "2024-02-30 10:00:00"), (12, "time", " junk "),
                            (13, "time", "a time far too long to be quoted whol...")]}
    parquet = tmp_path / "dirty.parquet"
    read = pd.read_csv(csv, dtype=str, keep_default_na=False, on_bad_lines="skip")
    read.replace({"": None}).to_parquet(parquet)
    for path in (csv, parquet):
        ref = read_log(path)
        with get_engine(name, path, **options) as engine:
            report = engine.load_report()
            totals = engine.totals()
        assert report.dropped == ref.report.dropped
        assert report.examples == totals.examples == ref.report.examples
        offsets = [n for n in ref.report.notes if "UTC offsets" in n]
        assert offsets and [n for n in report.notes if "UTC offsets" in n] == offsets
    assert ref.report.examples["no case id"][0] == (2, "case", "(empty)")    # record 2


def test_duckdb_shows_dropped_rows_as_read_log_does(tmp_path):
    assert_drops_are_shown_as_read_log_shows_them("duckdb", tmp_path)


def assert_null_words_are_missing_as_read_log_reads_them(name: str, tmp_path: Path,
                                                          **options) -> None:
    """`NaN`, `NULL`, `NA` (quoted or not) and the other words Arrow's reader takes for
    missing are missing on this engine too: the same rows dropped, cases and units."""
    from procmine.read import read_log

    path = tmp_path / "null-words.csv"
    path.write_text("case,activity,time,unit\n"
                    "NaN,a,2024-01-01 08:00:00,NULL\n"
                    "NaN,b,2024-01-01 09:00:00,u1\n"
                    'c2,a,2024-01-01 08:00:00,"NA"\n'
                    "c2,N/A,2024-01-01 09:00:00,#N/A\n"
                    "c2,b,2024-01-01 10:00:00, NA \n", encoding="utf-8")
    ref = read_log(path)
    with get_engine(name, path, **options) as engine:
        totals = engine.totals()
    assert ref.report.dropped == {"no case id": 2, "no activity": 1}
    assert totals.dropped == ref.report.dropped
    assert (totals.events, totals.cases, totals.units) == (ref.n_events, 1, 1)   # " NA " -> "NA"


def test_duckdb_reads_the_null_words_as_read_log_does(tmp_path):
    assert_null_words_are_missing_as_read_log_reads_them("duckdb", tmp_path)


def test_the_null_words_are_arrows_own():
    """The engines' list of words read as missing is the one Arrow's CSV reader uses."""
    import pyarrow.csv as pacsv

    from procmine.read import ARROW_NULLS

    assert sorted(ARROW_NULLS) == sorted(pacsv.ConvertOptions().null_values)


def assert_of_case_is_read_when_asked(name: str, **options) -> None:
    """The variants count without the ids of every case; of_case, read later, is pandas'."""
    from procmine.abstractions import variants as variant_table
    from procmine.read import read_log

    expected = variant_table(read_log(SAMPLE)).of_case
    with get_engine(name, SAMPLE, **options) as engine:
        found = engine.variants()
        assert callable(found._of_case), "of_case stays in the engine until it is used"
        assert len(found) == len(variant_table(read_log(SAMPLE)))
        pd.testing.assert_series_equal(found.of_case, expected, check_index_type=False)
        late = get_engine(name, SAMPLE, **options)
        unread = late.variants()
    late.close()
    with pytest.raises(ProcmineError, match="closed before"):
        len(unread.of_case)


def test_duckdb_variant_of_each_case_is_read_when_asked():
    assert_of_case_is_read_when_asked("duckdb")


# --------------------------------------------------------------------------- one path


def test_an_analysis_gives_the_same_numbers_on_a_log_and_on_each_engine():
    """summary, variants and the map take a log or an engine and run one body on it."""
    from procmine.discover import discover_map, variant_summary
    from procmine.read import read_log
    from procmine.summary import summarize_log

    path = sample_log()
    log = read_log(path)
    figures = ("cases", "events", "activities", "variants", "first", "last", "units", "levels",
               "events_per_case", "top_activities", "categories", "sources")
    expected = summarize_log(log).to_dict()
    assert expected["cases"] == log.n_cases and expected["events"] == log.n_events
    for name in ("pandas", "duckdb"):
        with get_engine(name, path) as engine:
            got = summarize_log(engine).to_dict()
            assert {k: got[k] for k in figures} == {k: expected[k] for k in figures}, name
            pd.testing.assert_frame_equal(variant_summary(engine).table,
                                          variant_summary(log).table)
            ours = discover_map(engine, metric="median-wait", by="unit")
            theirs = discover_map(log, metric="median-wait", by="unit")
            pd.testing.assert_frame_equal(ours.nodes, theirs.nodes)
            pd.testing.assert_frame_equal(ours.edges, theirs.edges, check_exact=False,
                                          rtol=0, atol=1.0)


def test_a_log_whose_events_are_replaced_is_counted_anew():
    """The case codes and the variants kept with a log follow its events."""
    from procmine.engines import as_engine
    from procmine.log import CASE
    from procmine.read import read_log

    log = read_log(ORDERS16)
    before = len(as_engine(log).variants())
    first_case = log.events[CASE].iat[0]
    log.events = log.events[log.events[CASE] == first_case].reset_index(drop=True)
    assert len(log.case_codes().starts) == 1
    assert len(as_engine(log).variants()) == 1 < before


def test_the_engines_do_not_import_the_analyses():
    """engines -> discover closed an import cycle; the engines stand below the analyses."""
    import subprocess
    import sys

    code = ("import sys\nfrom procmine.engines import get_engine\n"
            f"engine = get_engine('pandas', {str(ORDERS16)!r})\n"
            "engine.totals(), engine.variants(), engine.follows(), engine.cases()\n"
            "engine.activities(), engine.group_counts('org:resource')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[1:2] and m.split('.')[1] in "
            "('discover', 'summary', 'conform', 'bottlenecks', 'loops', 'report', 'network', "
            "'compare', 'cli')))")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=HERE.parent, check=True)
    assert out.stdout.strip() == "[]"


def test_duckdb_events_know_the_event_before_and_after_in_their_case(tmp_path):
    """``ev`` holds each case's events in time and file order (ties by file row), with the
    activity and time of the event before in the same case and whether it is the last:
    cases interleaved in the file, events out of time order, equal times."""
    rows = [("B", "b1", "2024-01-01 10:00"), ("A", "a2", "2024-01-02 09:00"),
            ("A", "a1", "2024-01-01 08:00"), ("B", "b2", "2024-01-01 10:00"),
            ("C", "c1", "2024-01-03 00:00"), ("A", "a3", "2024-01-02 09:00"),
            ("B", "b3", "2024-01-01 09:00")]
    path = tmp_path / "tied.csv"
    pd.DataFrame(rows, columns=["case", "activity", "time"]).to_csv(path, index=False)
    with get_engine("duckdb", path, memory_limit="1GiB") as engine:
        engine._load()
        # in stored order (a scan of one table keeps it): the parts are read in that order
        stored = engine.con.execute("SELECT c, a, pa, pt IS NULL, is_last, t - pt "
                                    "FROM ev").fetchall()
    hour = 3_600_000_000
    assert stored == [
        ("B", "b3", None, True, False, None), ("B", "b1", "b3", False, False, hour),
        ("B", "b2", "b1", False, True, 0),
        ("A", "a1", None, True, False, None), ("A", "a2", "a1", False, False, 25 * hour),
        ("A", "a3", "a2", False, True, 0),
        ("C", "c1", None, True, True, None)]


def test_duckdb_case_table_holds_no_python_object_per_case(tmp_path):
    """DuckDB's case table (what the report's summary and page read) keeps its times as
    times and its text in Arrow, not a Timestamp or a str object per case; a column
    without any value stays as None objects, as before; a caller's change stays its own."""
    path = tmp_path / "log.csv"
    pd.DataFrame({"case": ["a", "a", "b"], "activity": ["x", "y", "x"],
                  "timestamp": ["2024-01-02 09:00", "2024-01-02 10:00", "2024-01-03 09:00"],
                  "category": ["roads", "roads", None], "source": [None, None, None]}
                 ).to_csv(path, index=False)
    with get_engine("duckdb", str(sample_log()), memory_limit="512MiB") as engine:
        cases = engine.cases()
        assert str(cases["start"].dtype).startswith("datetime64")
        assert str(cases["deadline"].dtype).startswith("datetime64")
        assert cases["case"].dtype == "str" and cases["category"].dtype == "str"
        cases["duration"] = 0.0
        assert (engine.cases()["duration"] > 0).any()
        import tracemalloc

        engine.release_cases()          # made again: 156 bytes a case at its peak, 451 before
        tracemalloc.start()
        engine.cases()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak / engine.totals().cases < 250
    with get_engine("duckdb", str(path)) as engine:
        cases = engine.cases()
        assert cases["category"].tolist()[0] == "roads" and pd.isna(cases["category"][1])
        if "source" in cases:
            assert cases["source"].tolist() == [None, None]


#: the columns of the case table the report reads, each set made on its own
CASE_COLUMN_SETS = (["start"], ["variant", "duration"],
                    ["case", "start", "duration", "variant", "category", "source"],
                    ["case", "category", "source", "start", "end", "duration"], ["deadline"])


def assert_case_columns_are_the_tables(name: str, path: Path = SAMPLE, **options) -> None:
    """``cases(columns=...)`` is the whole case table's columns (in its order), on an engine
    that has made no table and on one that has; it leaves the engine without a table, and
    the pandas engine's columns are the same; an unknown column is refused."""
    with get_engine("pandas", path) as ref, get_engine(name, path, **options) as engine:
        whole = ref.cases()
        for columns in CASE_COLUMN_SETS:
            expected = whole[[c for c in whole.columns if c in columns]]
            made = engine.cases(columns=columns)
            assert list(made.columns) == list(expected.columns)
            assert getattr(engine, "_cases", None) is None, "made for the caller, not kept"
            assert_same({"cases": expected}, {"cases": made}, only_cases=True)
        table = engine.cases()
        for columns in CASE_COLUMN_SETS:
            pd.testing.assert_frame_equal(engine.cases(columns=columns),
                                          table[[c for c in table.columns if c in columns]])
        with pytest.raises(ValueError, match="not a column of the case table: when"):
            engine.cases(columns=["case", "when"])


@pytest.mark.parametrize("name", ["pandas", "duckdb"])
def test_the_case_tables_columns_are_made_alone_and_equal_the_whole_tables(name):
    assert_case_columns_are_the_tables(name)
    assert_case_columns_are_the_tables(name, ORDERS16)


def test_duckdbs_case_table_is_read_in_batches_and_is_the_same(monkeypatch):
    """DuckDB reads the case table in batches (the report's page asks for its columns under
    a memory limit): batches of 7 cases give the same table, column for column."""
    from procmine.engines import sql_engine

    with get_engine("duckdb", SAMPLE) as engine:
        whole = engine.cases()
        engine.release_cases()
        monkeypatch.setattr(sql_engine, "CASE_BATCH", 7)
        batches: list[int] = []
        original = engine._batches

        def counted(query):
            for batch in original(query):
                batches.append(len(batch))
                yield batch

        monkeypatch.setattr(engine, "_batches", counted)
        pd.testing.assert_frame_equal(engine.cases(), whole)
        assert max(batches) == 7 and sum(batches) == len(whole)
        pd.testing.assert_frame_equal(engine.cases(columns=["case", "variant", "category"]),
                                      whole[["case", "variant", "category"]])


def test_the_parquet_procmine_writes_holds_microseconds_every_engine_reads(tmp_path):
    """``procmine filter -o x.parquet`` wrote pandas' nanoseconds, which Spark refuses
    (and DuckDB 2 read 8 hours early); now microseconds, unless a time has a finer part."""
    import pyarrow.parquet as pq

    from procmine.read import read_log
    from procmine.read.writing import write_log

    log = read_log(ORDERS16)
    path = tmp_path / "written.parquet"
    write_log(log.events, path)
    assert pq.read_schema(path).field("time:timestamp").type.unit == "us"
    with get_engine("pandas", ORDERS16) as ref, get_engine("duckdb", path) as engine:
        assert_same(everything(ref), everything(engine))
    fine = log.events.copy()
    fine.loc[0, "time:timestamp"] += pd.Timedelta(1, "ns")
    write_log(fine, tmp_path / "fine.parquet")
    assert pq.read_schema(tmp_path / "fine.parquet").field("time:timestamp").type.unit == "ns"
    back = pd.read_parquet(tmp_path / "fine.parquet")["time:timestamp"]
    assert back.equals(fine["time:timestamp"])                 # nothing cut


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", [None, "Asia/Shanghai", "UTC"])
def test_duckdb_reads_parquet_times_of_every_unit_and_zone_as_pandas_does(tmp_path, unit, zone):
    """Each Arrow timestamp type is a DuckDB type of its own (TIMESTAMP_S ...
    TIMESTAMPTZ_NS): each is read as the same instants as the pandas engine reads them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.read_csv(ORDERS16, dtype=str)
    times = pd.to_datetime(frame["时间"])
    if zone:
        times = times.dt.tz_localize("Asia/Shanghai").dt.tz_convert(zone)
    table = pa.Table.from_pandas(frame.assign(时间=times), preserve_index=False)
    kind = pa.timestamp(unit, tz=zone)
    table = table.set_column(table.schema.get_field_index("时间"), "时间",
                             table.column("时间").cast(kind))
    path = tmp_path / f"{unit}.parquet"
    pq.write_table(table, path)
    with get_engine("pandas", path) as ref, get_engine("duckdb", path) as engine:
        assert_same(everything(ref), everything(engine))
        assert engine.totals().first == ref.totals().first


#: times in the hours the clocks skip and repeat in Amsterdam (2024-03-31, 2024-10-27) and
#: New York (2024-03-10, 2024-11-03), with a case across each change
CLOCK_CHANGES = ("case,activity,time\n"
                 "c1,register,2024-03-30 23:00:00\nc1,check,2024-03-31 02:30:00\n"
                 "c1,close,2024-03-31 04:00:00\nc2,register,2024-10-27 01:30:00\n"
                 "c2,check,2024-10-27 02:30:00\nc2,close,2024-10-27 03:30:00\n"
                 "c3,register,2024-03-10 02:30:00\nc3,check,2024-11-03 01:30:00\n"
                 "c3,close,2024-11-03 02:30:00\n")


def assert_reads_clock_changes_as_pandas(engine_name, tmp_path, **options):
    """A time the clocks repeat is the later one (standard time), a time they skip is read
    with the offset before the change: pandas dropped the first as unparsable and moved
    the second to the hour, DuckDB (ICU) and Spark (Java) each read them their own way."""
    path = tmp_path / "changes.csv"
    path.write_text(CLOCK_CHANGES, encoding="utf-8")
    for zone in ("Europe/Amsterdam", "America/New_York"):
        with get_engine("pandas", Source(path=str(path), timezone=zone)) as ref, \
                get_engine(engine_name, Source(path=str(path), timezone=zone), **options) as engine:
            assert ref.totals().dropped == {} and ref.totals().events == 9
            assert_same(everything(ref), everything(engine))
            times = pd.concat([p.events for p in engine.event_logs()])["time:timestamp"]
            assert times.equals(pd.concat([p.events for p in ref.event_logs()])["time:timestamp"])
    amsterdam = read_log(path, timezone="Europe/Amsterdam").events["time:timestamp"].astype(str)
    assert amsterdam.tolist()[1:5] == ["2024-03-31 03:30:00+02:00", "2024-03-31 04:00:00+02:00",
                                       "2024-10-27 01:30:00+02:00", "2024-10-27 02:30:00+01:00"]


def test_duckdb_reads_times_at_clock_changes_as_pandas_does(tmp_path):
    assert_reads_clock_changes_as_pandas("duckdb", tmp_path)


def test_a_start_after_its_step_is_unknown_on_every_engine(tmp_path):
    """A start column that is not one (here the deadline) gave negative handling times
    ('受理 -3.1 天'), without a word; now such starts are missing and counted."""
    path = tmp_path / "late.csv"
    path.write_text("工单编号,环节,时间,开始\nA1,上报,2024-01-01 08:00,2024-01-01 07:00\n"
                    "A1,受理,2024-01-01 09:00,2024-01-05 00:00\nA1,结案,2024-01-01 10:00,\n",
                    encoding="utf-8")
    notes = []
    for name in ("pandas", "duckdb"):
        with get_engine(name, Source(path=str(path), columns={"start_timestamp": "开始"})) as e:
            notes.append([n for n in e.load_report().notes if "after it ends" in n])
            starts = pd.concat([p.events for p in e.event_logs()])["start_timestamp"]
            assert starts.notna().tolist() == [True, False, False]
    assert notes[0] == notes[1] == ["1 step starts after it ends (column '开始'): its start "
                                    "is taken as unknown"]
