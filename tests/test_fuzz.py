"""Property-based fuzzing of every reader: any input loads or fails with one ProcmineError.

Outcomes are counted and written to test-artifacts/fuzz-outcomes.json.
"""

from __future__ import annotations

import collections
import gzip
import io
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procmine.errors import ProcmineError
from procmine.io import read_log

OUTCOMES: collections.Counter = collections.Counter()
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def record(artifacts):
    yield
    (artifacts / "fuzz-outcomes.json").write_text(json.dumps(OUTCOMES, indent=1, sort_keys=True))


def attempt(kind: str, path) -> None:
    """Read the file: it must load (with a consistent report) or raise ProcmineError."""
    try:
        log = read_log(path)
    except ProcmineError as e:
        message = str(e)
        assert message and "\n" not in message.strip(), message
        OUTCOMES[f"{kind}: clear error"] += 1
        return
    report = log.report
    assert report.rows_kept == log.n_events
    assert report.rows_kept + report.rows_dropped == report.rows_read
    assert log.events["time:timestamp"].notna().all()
    assert log.events["case:concept:name"].notna().all()
    OUTCOMES[f"{kind}: loaded"] += 1


@FUZZ
@given(data=st.binary(max_size=2000),
       suffix=st.sampled_from([".csv", ".xes", ".xlsx", ".parquet", ".csv.gz", ".xes.gz", ".bin"]))
def test_random_bytes(tmp_path, data, suffix):
    path = tmp_path / f"f{suffix}"
    path.write_bytes(data)
    attempt("random bytes", path)


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "2024-03-05 09:07", "2024年3月5日 09:07:00", "99999-01-01", "0001-01-01",
                     "45356.5", "1709600820", "1e308", "NaN", '"', '""', "\x00", "a,b", "上报",
                     "=cmd|' /C calc'!A0", "\r\n", "9" * 40]),
    st.integers(-10**12, 10**12).map(str),
)


@FUZZ
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=5), max_size=25),
       delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "latin-1", "utf-16"]))
def test_structured_csv(tmp_path, rows, delimiter, encoding):
    header = delimiter.join(["case_id", "activity", "timestamp"])
    body = "\n".join(delimiter.join(r) for r in rows)
    path = tmp_path / "f.csv"
    path.write_bytes((header + "\n" + body).encode(encoding, errors="replace"))
    attempt("structured csv", path)


@FUZZ
@given(cut=st.integers(0, 400))
def test_truncated_gzip(tmp_path, orders16, cut):
    data = gzip.compress(orders16.read_bytes())
    path = tmp_path / "f.csv.gz"
    path.write_bytes(data[: max(1, len(data) - cut)])
    attempt("truncated gzip", path)


@settings(FUZZ, max_examples=12)
@given(size=st.integers(1, 2_000_000), nul=st.booleans())
def test_huge_fields_and_nul_bytes(tmp_path, size, nul):
    value = ("\x00" if nul else "x") * size
    path = tmp_path / "f.csv"
    path.write_text(f"case_id,activity,timestamp\n1,{value},2024-01-01 09:00\n"
                    "1,b,2024-01-01 10:00\n")
    attempt("huge field / NUL", path)


@FUZZ
@given(ids=st.lists(st.one_of(st.integers(-5, 5), st.floats(allow_nan=True),
                              st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=3),
                              st.none()), min_size=1, max_size=30),
       empty_column=st.booleans())
def test_mixed_case_ids_in_parquet_and_excel(tmp_path, ids, empty_column):
    frame = pd.DataFrame({
        "case_id": pd.Series(ids, dtype=object).map(lambda v: v if v is None else str(v)),
        "activity": ["a"] * len(ids),
        "timestamp": pd.date_range("2024-01-01", periods=len(ids), freq="h"),
    })
    if empty_column:
        frame["empty"] = None
    frame.to_parquet(tmp_path / "f.parquet")
    attempt("mixed ids parquet", tmp_path / "f.parquet")
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    (tmp_path / "f.xlsx").write_bytes(buffer.getvalue())
    attempt("mixed ids excel", tmp_path / "f.xlsx")
