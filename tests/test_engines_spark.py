"""The Spark engine (local mode) gives the same tables as pandas; results travel as Arrow.

One SparkSession (the ``spark`` fixture of conftest.py) serves the whole run (it
takes 15-30 s to start here). The tests are skipped, with the reason, only when
pyspark or Java is missing.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from test_engines import ORDERS16, assert_same, everything, receipt, sample_log

from procmine.engines import Source, get_engine

pytestmark = pytest.mark.slow


def test_spark_equals_pandas_on_the_sample_log(spark):
    with get_engine("pandas", sample_log()) as ref, get_engine("spark", sample_log(),
                                                               spark=spark) as engine:
        assert_same(everything(ref), everything(engine))


@pytest.mark.real
def test_spark_equals_pandas_on_receipt(spark):
    path = receipt()
    with get_engine("pandas", path) as ref, get_engine("spark", path, spark=spark) as engine:
        assert_same(everything(ref), everything(engine))


def test_spark_variant_of_each_case_is_read_when_asked(spark):
    from test_engines import assert_of_case_is_read_when_asked

    assert_of_case_is_read_when_asked("spark", spark=spark)


def test_spark_case_tables_columns_are_made_alone_and_equal_the_whole_tables(spark):
    from test_engines import assert_case_columns_are_the_tables

    assert_case_columns_are_the_tables("spark", spark=spark)


def test_spark_reads_a_table_name(spark, tmp_path):
    frame = pd.read_csv(ORDERS16, dtype=str)
    parquet = tmp_path / "orders.parquet"
    frame.to_parquet(parquet, index=False)
    spark.read.parquet(str(parquet)).createOrReplaceTempView("orders_table")
    with get_engine("pandas", ORDERS16) as ref, \
            get_engine("spark", Source(table="orders_table"), spark=spark) as engine:
        assert engine.totals() == ref.totals()
        assert engine.variants().counts() == ref.variants().counts()
        assert engine.follows().counts() == ref.follows().counts()


def test_results_travel_as_arrow_without_pandas3_warnings(spark):
    from procmine.engines.spark_engine import to_pandas

    with get_engine("spark", ORDERS16, spark=spark) as engine:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            variants = engine.variants()
            frame = to_pandas(spark.sql("SELECT 1 AS n, 'a' AS s"))
        # Arrow is on and the row-by-row fallback off: a failed Arrow conversion would raise
        assert spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"
        assert spark.conf.get("spark.sql.execution.arrow.pyspark.fallback.enabled") == "false"
    assert frame.to_dict("records") == [{"n": 1, "s": "a"}]
    assert variants.table["cases"].sum() == 3
    noisy = [str(w.message) for w in caught if "pandas" in str(w.message)]
    assert noisy == []


def test_spark_reads_chinese_dates_and_offsets_as_read_log_does(spark, tmp_path):
    from test_engines import assert_reads_chinese_minutes_as_read_log

    assert_reads_chinese_minutes_as_read_log("spark", tmp_path / "minutes.csv", spark=spark)


def test_spark_parts_laid_end_to_end_are_read_log(spark):
    from test_engines import assert_parts_are_the_log

    with get_engine("spark", sample_log(), spark=spark) as engine:
        assert len(assert_parts_are_the_log(engine, sample_log(), 12000)) == 3


def test_spark_counts_ragged_rows_as_read_log_does(spark, tmp_path):
    from procmine.read import read_log

    lines = ORDERS16.read_text(encoding="utf-8").splitlines()
    lines[3] += ",one field too many"
    lines[5] = ",".join(lines[5].split(",")[:4])
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ref = read_log(path)
    with get_engine("spark", path, spark=spark) as engine:
        totals = engine.totals()
        assert engine.variants().counts() == get_engine("pandas", path).variants().counts()
    assert totals.dropped == ref.report.dropped == {"ragged row (wrong number of fields)": 2}
    assert (totals.rows_read, totals.events) == (16, 14)


def test_spark_shows_dropped_rows_as_read_log_does(spark, tmp_path):
    from test_engines import assert_drops_are_shown_as_read_log_shows_them

    assert_drops_are_shown_as_read_log_shows_them("spark", tmp_path, spark=spark)


def test_spark_gives_the_same_audit_of_the_sample(spark):
    from procmine.audit import audit_log
    from procmine.output import dumps
    from procmine.read import read_log

    rules = sample_log().parent / "responsibility.yaml"
    with get_engine("spark", sample_log(), spark=spark) as engine:
        result = audit_log(engine, responsibility=rules, max_events=20_000)   # two parts
    assert dumps(result) == dumps(audit_log(read_log(sample_log()), responsibility=rules))


def test_spark_counts_lost_cases_as_pandas_does(spark, tmp_path):
    from test_read_robust import write_lost_cases_csv

    path = write_lost_cases_csv(tmp_path / "lost.csv")
    with get_engine("pandas", path) as ref, get_engine("spark", path, spark=spark) as engine:
        pandas_report, spark_report = ref.load_report(), engine.load_report()
    assert pandas_report.cases_lost == spark_report.cases_lost == 2
    assert "2 cases lost: all their events were dropped (e.g. case C3)" in spark_report.notes


def test_spark_reads_the_null_words_as_read_log_does(spark, tmp_path):
    from test_engines import assert_null_words_are_missing_as_read_log_reads_them

    assert_null_words_are_missing_as_read_log_reads_them("spark", tmp_path, spark=spark)


def test_spark_reads_gb18030_with_a_bom_and_says_its_mended_bytes(spark, tmp_path):
    """Spark 4 refused GB18030 (exit 70), kept a BOM in the first column's name, and
    read bytes that are not the encoding as U+FFFD without a word."""
    from test_mended_bytes import _damaged

    clean, damaged = _damaged(tmp_path, "gb18030", b"\x80")
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes("\ufeff".encode("gb18030") + clean.read_bytes())
    for path in (clean, with_bom, damaged):
        with get_engine("pandas", path) as ref, get_engine("spark", path, spark=spark) as engine:
            assert_same(everything(ref), everything(engine))
            said = engine.read_notes()
        assert said == (["runs of bytes that are not gb18030 text, read as \ufffd: 1"]
                        if path == damaged else [])


def test_spark_refuses_a_wrong_encoding_and_nanosecond_parquet_clearly(spark, tmp_path):
    from test_mended_bytes import _damaged

    from procmine.errors import InputError

    clean, _ = _damaged(tmp_path, "gb18030", b"\x80")
    for encoding, why in (("utf-8", "bytes that are not utf-8"),
                          ("nonsense", "unknown encoding: nonsense")):
        with pytest.raises(InputError, match=f"cannot decode the file as {encoding} \\({why}\\)"):
            get_engine("spark", Source(path=str(clean), encoding=encoding), spark=spark).totals()
    frame = pd.read_csv(ORDERS16, dtype=str)
    nanos = tmp_path / "nanos.parquet"
    frame.assign(时间=pd.to_datetime(frame["时间"]).dt.tz_localize("Asia/Shanghai")
                 .astype("datetime64[ns, Asia/Shanghai]")).to_parquet(nanos, index=False)
    with pytest.raises(InputError, match=r"Spark cannot read times in nanoseconds"):
        get_engine("spark", nanos, spark=spark).totals()


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
@pytest.mark.parametrize("zone", [None, "Asia/Shanghai"])
def test_spark_reads_parquet_times_of_each_unit_and_zone_as_pandas_does(spark, tmp_path, unit,
                                                                          zone):
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.read_csv(ORDERS16, dtype=str)
    times = pd.to_datetime(frame["时间"])
    if zone:
        times = times.dt.tz_localize(zone)
    table = pa.Table.from_pandas(frame.assign(时间=times), preserve_index=False)
    table = table.set_column(table.schema.get_field_index("时间"), "时间",
                             table.column("时间").cast(pa.timestamp(unit, tz=zone)))
    path = tmp_path / f"{unit}.parquet"
    pq.write_table(table, path)
    with get_engine("pandas", path) as ref, get_engine("spark", path, spark=spark) as engine:
        assert_same(everything(ref), everything(engine))


def test_a_spark_command_prints_procmine_lines_not_the_jvm_log(tmp_path):
    """Spark's default logging printed a dozen lines of its own (a log4j profile, a
    hostname on a loopback address, 'Setting default log level') among procmine's."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17 (no java on PATH, no JAVA_HOME)")
    pytest.importorskip("pyspark")
    result = subprocess.run(
        [sys.executable, "-m", "procmine", "info", str(ORDERS16), "--engine", "spark",
         "--lang", "en"], capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines()
            if not line.startswith("WARNING: Using incubator modules")]   # (the JVM's own)
    assert said[0] == "Engine: spark (chosen with --engine)"
    assert not [line for line in said if "log4j" in line or "WARN" in line
                or "setLogLevel" in line], result.stderr


def test_spark_reads_times_at_clock_changes_as_pandas_does(spark, tmp_path):
    from test_engines import assert_reads_clock_changes_as_pandas

    assert_reads_clock_changes_as_pandas("spark", tmp_path, spark=spark)
