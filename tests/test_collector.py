"""The collector of part-by-part work: in memory and in DuckDB, the same numbers to the last bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from procmine.engines import as_engine, get_engine
from procmine.engines.collector import DuckDBCollector, MemoryCollector
from procmine.errors import ProcmineError
from procmine.read import read_log

ORDERS16 = str(Path(__file__).resolve().parent / "fixtures" / "orders16.csv")


def _rows(seed: int = 7) -> list[pd.DataFrame]:
    """Waits of 5 units in 3 parts, with ties, missing values and a unit without values."""
    rng = np.random.default_rng(seed)
    parts = []
    for n in (40, 1, 25):
        wait = np.round(rng.exponential(3600.0, n), 1)
        wait[rng.random(n) < 0.1] = np.nan
        key = rng.integers(0, 4, n)
        parts.append(pd.DataFrame({"key": key, "value": wait, "cat": np.array(list("ab"))[key % 2]}))
    parts.append(pd.DataFrame({"key": [4], "value": [np.nan], "cat": ["c"]}))
    return parts


@pytest.fixture(params=["memory", "duckdb"])
def collector(request):
    made = MemoryCollector() if request.param == "memory" else DuckDBCollector()
    with made as values:
        for frame in _rows():
            values.add("wait", frame)
        yield values


def test_quantiles_are_numpys_linear_interpolation(collector):
    every = pd.concat(_rows(), ignore_index=True).dropna()
    q = collector.quantiles("wait", "key", "value", (0.5, 0.9))
    assert q["key"].tolist() == [0, 1, 2, 3]          # unit 4 has no wait: no row
    for key, n, total, median, p90 in q[["key", "n", "total", "q0", "q1"]].itertuples(index=False):
        waits = every.loc[every["key"] == key, "value"].to_numpy()
        assert n == len(waits)
        assert total == pytest.approx(waits.sum(), rel=1e-12)
        assert median == np.median(waits)
        assert p90 == pytest.approx(np.quantile(waits, 0.9), rel=1e-15)


def test_medians_are_pandas_groupby_medians_bit_for_bit(collector):
    every = pd.concat(_rows(), ignore_index=True)
    got = collector.medians("wait", ["cat"], "value")
    want = every.groupby("cat")["value"]
    assert got["cat"].tolist() == ["a", "b", "c"]
    assert got["rows"].tolist() == want.size().tolist()
    np.testing.assert_array_equal(got["median"].to_numpy(float), want.median().to_numpy())
    (one,) = collector.medians("wait", [], "value")["median"]
    assert one == every["value"].median()


def test_peaks_count_a_hand_over_as_one(collector):
    collector.add("stays", pd.DataFrame({"key": [0, 0, 0, 0, 1, 1], "time": [1, 5, 5, 9, 2, 3],
                                         "delta": [1, -1, 1, -1, 1, -1]}))
    collector.add("stays", pd.DataFrame({"key": [0, 0], "time": [2, 6], "delta": [1, -1]}))
    peaks = collector.peaks("stays", "key", "time", "delta")
    assert peaks["key"].tolist() == [0, 1] and peaks["peak"].tolist() == [2, 1]


def test_memory_and_duckdb_collectors_agree_to_the_last_bit():
    with MemoryCollector() as memory, DuckDBCollector() as duck:
        for frame in _rows(11):
            memory.add("wait", frame)
            duck.add("wait", frame)
        a = memory.quantiles("wait", "key", "value", (0.5, 0.9))
        b = duck.quantiles("wait", "key", "value", (0.5, 0.9))
        for column in ("n", "q0", "q1"):
            np.testing.assert_array_equal(a[column].to_numpy(float), b[column].to_numpy(float))
        np.testing.assert_array_equal(memory.medians("wait", ["cat", "key"], "value")["median"],
                                      duck.medians("wait", ["cat", "key"], "value")["median"])


def test_duckdb_gathers_frames_into_one_insert_with_the_rows_and_types_of_each():
    texts = pd.Series(["甲", "乙", "丙"])           # pandas' text dtype
    frames = [pd.DataFrame({"a": np.arange(3) + 10 * i, "t": texts, "f": [0.5, np.nan, 2.0]})
              for i in range(4)]
    with DuckDBCollector() as duck:
        statements = []
        insert = duck._insert
        duck._insert = lambda name, rows: (statements.append(len(rows)), insert(name, rows))
        for frame in frames[:2]:
            duck.add("x", frame)
        assert statements == [] and duck.rows("x") == 6 and statements == [6]   # read: inserted
        duck.add("x", frames[2])
        duck.add("x", frames[3].astype({"a": "float64"}))    # other dtypes: the waiting go first
        duck.add("y", pd.DataFrame({"o": pd.Series(["u", None], dtype=object)}))   # at once
        assert statements == [6, 3, 2]
        got = duck.frame("x")
        assert statements == [6, 3, 2, 3] and duck.frame("y")["o"].tolist()[0] == "u"
        want = pd.concat(frames, ignore_index=True)
        assert got["a"].tolist() == want["a"].tolist() and got["t"].tolist() == want["t"].tolist()
        np.testing.assert_array_equal(got["f"].to_numpy(), want["f"].to_numpy())
        duck.add("x", frames[0])
        duck.drop("x")                                      # what waited goes with the table
        assert duck.rows("x") == 0


def test_each_engine_hands_out_its_collector():
    log = read_log(ORDERS16)
    assert isinstance(as_engine(log).collector(), MemoryCollector)
    with get_engine("duckdb", ORDERS16) as engine:
        collector = engine.collector()
        collector.add("x", pd.DataFrame({"a": [1]}))
        assert isinstance(collector, DuckDBCollector) and collector.rows("x") == 1
    with pytest.raises(ProcmineError, match="gone"):
        collector.frame("x")           # the rows went with the engine's database


def test_duckdb_quantiles_are_the_same_whether_the_values_fit_in_memory_or_not(monkeypatch):
    """Two aggregate passes find the nearest values when they fit in memory; else DuckDB
    sorts every value. Both give the in-memory numbers to the last bit, ties included."""
    from procmine.engines import nearest

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"key": rng.integers(0, 6, 5000),
                          "value": np.round(rng.exponential(900.0, 5000), -2),
                          "cat": np.array(list("abc"))[rng.integers(0, 3, 5000)]})
    found, aggregated = [], []
    passes = nearest.near_values

    def counted(*args):
        near = passes(*args)
        aggregated.append(near is not None)
        return near

    monkeypatch.setattr(nearest, "near_values", counted)
    for fits in (True, False):
        monkeypatch.setattr(nearest, "quantiles_fit", lambda con, values, fits=fits: fits)
        with DuckDBCollector() as duck:
            duck.add("wait", frame)
            found.append((duck.quantiles("wait", "key", "value", (0.5, 0.9, 0.25)),
                          duck.medians("wait", ["cat"], "value")))
    with MemoryCollector() as memory:
        memory.add("wait", frame)
        want = (memory.quantiles("wait", "key", "value", (0.5, 0.9, 0.25)),
                memory.medians("wait", ["cat"], "value"))
    assert aggregated == [True, True], "the values that fit are not sorted"
    for quantiles, medians in found:
        for column in ("n", "q0", "q1", "q2"):
            np.testing.assert_array_equal(quantiles[column].to_numpy(float),
                                          want[0][column].to_numpy(float))
        np.testing.assert_array_equal(medians["median"].to_numpy(float),
                                      want[1]["median"].to_numpy(float))


def test_peaks_streamed_in_batches_are_the_peaks_of_the_whole():
    """The DuckDB collector's peaks come sorted in batches, a group's running sum carried
    from one batch to the next: equal to group_peaks on all rows at once, wherever the
    batches are cut (a group within one batch, across two, across several)."""
    from procmine.engines.collector import _RunningPeaks, group_peaks

    rng = np.random.default_rng(5)
    group = np.sort(rng.integers(0, 7, 400))
    time = rng.integers(0, 50, 400)
    delta = rng.choice([-1, 1], 400)
    order = np.lexsort((delta, time, group))
    expected = group_peaks(group, time, delta, 7)
    for cuts in ([], [1], [57, 58, 200], list(range(0, 400, 13)), [399]):
        running = _RunningPeaks()
        for lo, hi in zip([0, *cuts], [*cuts, 400], strict=True):
            running.add(group[order][lo:hi], delta[order][lo:hi])
        found = running.frame("key")
        assert found["key"].tolist() == sorted(set(group.tolist()))
        assert found["peak"].tolist() == expected[found["key"]].tolist(), cuts
