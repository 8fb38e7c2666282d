"""The Arrow CSV reader takes the time types its first rows show (readers.sampled_time_types)
instead of inferring them on a whole block: the events and the load report are the same
either way, also where the first rows say "timestamp" and a later row does not."""

from __future__ import annotations

import pytest

from procmine.read import readers
from tests.test_read_fast import CASES, HEADER, ROWS, assert_same, read_outcome, replaced, text


def read_twice(path, monkeypatch, **options):
    """read_log's result (or error) with the sampled time types, and with Arrow inferring."""
    monkeypatch.setattr(readers, "read_csv_fast", lambda *a, **k: None)
    sampled = read_outcome(path, **options)
    with monkeypatch.context() as m:
        m.setattr(readers, "sampled_time_types", lambda *a, **k: {})
        inferred = read_outcome(path, **options)
    return sampled, inferred


@pytest.mark.parametrize("name", list(CASES))
def test_sampled_types_read_what_inference_reads(tmp_path, monkeypatch, name):
    path = tmp_path / "log.csv"
    path.write_bytes(CASES[name][0])
    assert_same(*read_twice(path, monkeypatch))


def later(value, column=2, rows=60):
    """A file whose first rows hold clean times and whose last row holds ``value``."""
    body = [r.replace("GD00", f"GD{i:03d}") for i in range(rows // len(ROWS)) for r in ROWS]
    return text(replaced(len(body) - 1, column, value, body)).encode()


#: name -> (file, events kept: a time that is no time drops its row)
LATER = {
    "fraction of a second": (later("2024-03-05 11:00:00.25"), 56),
    "utc offset": (later("2024-03-05T03:00:00Z"), 56),
    "date only": (later("2024-03-05"), 56),
    "slashes": (later("2024/3/5 11:00"), 56),
    "chinese date": (later("2024年3月5日 11时"), 56),
    "garbage": (later("soon"), 55),
    "blank": (later("  "), 55),
    "deadline offset": (later("2024-03-07T10:00:00+08:00", column=7), 56),
    "deadline words": (later("three days", column=7), 56),
}


@pytest.mark.parametrize("name", list(LATER))
def test_a_later_value_the_sample_did_not_show(tmp_path, monkeypatch, name):
    """The sample is the first rows only; the odd value comes after it."""
    content, kept = LATER[name]
    monkeypatch.setattr(readers, "SAMPLE_BYTES", 600)
    assert len(content) > 3 * readers.SAMPLE_BYTES
    path = tmp_path / "log.csv"
    path.write_bytes(content)
    sampled, inferred = read_twice(path, monkeypatch)
    assert_same(sampled, inferred)
    assert not isinstance(sampled, str) and sampled.n_events == kept


def test_the_sample_types_the_times_of_a_clean_file():
    header = HEADER.split(",")
    sample = text().encode()
    types = readers.sampled_time_types(sample, header, "utf-8", ",", {"时间", "时限"})
    assert {name: str(t) for name, t in types.items()} == {"时间": "timestamp[s]",
                                                           "时限": "timestamp[s]"}
    dates = text([r.replace(r.split(",")[2], r.split(",")[2][:10]) for r in ROWS]).encode()
    assert set(readers.sampled_time_types(dates, header, "utf-8", ",", {"时间"})) == set()


def test_a_gb18030_file_is_sampled_in_its_encoding(tmp_path, monkeypatch):
    content = later("2024-03-05 11:00:00.25").decode().encode("gb18030")
    monkeypatch.setattr(readers, "SAMPLE_BYTES", 600)
    path = tmp_path / "log.csv"
    path.write_bytes(content)
    sampled, inferred = read_twice(path, monkeypatch)
    assert_same(sampled, inferred)
    assert sampled.report.encoding == "gb18030" and sampled.n_events == 56


def test_the_frame_of_an_arrow_table_is_the_one_pandas_makes():
    """readers.table_frame makes dictionary columns Categoricals itself (faster): the same
    frame as ``to_pandas``, categories in the same order, also with missing values, many
    chunks, no rows, or no value at all."""
    import pandas as pd
    import pyarrow as pa

    coded = pa.chunked_array([pa.array(["b", None, "a"]).dictionary_encode(),
                              pa.array(["c", "a"]).dictionary_encode()])
    tables = [pa.table({"case": coded, "n": pa.array([1, 2, 3, 4, 5])}),
              pa.table({"case": coded}).slice(0, 0),
              pa.table({"none": pa.array([None, None], pa.string()).dictionary_encode()})]
    for table in tables:
        made, theirs = readers.table_frame(table), table.to_pandas()
        pd.testing.assert_frame_equal(made, theirs)
        for name in theirs.columns:
            if isinstance(theirs[name].dtype, pd.CategoricalDtype):
                assert made[name].cat.categories.tolist() == theirs[name].cat.categories.tolist()
    values = readers.table_frame(tables[0])["case"]
    assert values.isna().tolist() == [False, True, False, False, False]
    assert values.dropna().tolist() == ["b", "a", "c", "a"]
