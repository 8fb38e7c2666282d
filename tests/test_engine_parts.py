"""The parts of a log an engine hands out carry the codes the analyses share.

The DuckDB engine gives each part its case codes (from the case numbers) and the codes
of its ENUM columns (from the Arrow dictionaries): they must be what ``pd.factorize``
gives, and the analyses on the parts what they are on the log in memory.
"""

from __future__ import annotations

import time

import pandas as pd

from procmine.engines import get_engine
from procmine.log import CASE


def test_duckdb_parts_know_the_codes_pandas_would_give(tmp_path):
    """Each DuckDB part comes with its case codes and the codes of its ENUM columns, taken
    from the case numbers and the dictionaries: they are pd.factorize's, with missing
    values (code -1), odd case ids and a value absent from a part; and bottlenecks and
    loops give the same tables as on the log in memory."""
    from procmine.abstractions import column_codes
    from procmine.bottlenecks import find_bottlenecks
    from procmine.log import ACTIVITY, CATEGORY, KIND, LEVEL, RESOURCE, SOURCE
    from procmine.loops import find_loops
    from procmine.read import read_log

    rows = ["工单编号,环节,时间,承办单位,层级,单位类型,类别,来源"]
    ids = ["0", "00", " x", "a,b", "工单-1", "#1", "z", "10", "9"]
    for i, case in enumerate(ids):
        quoted = f'"{case}"' if "," in case else case
        unit = ["城管科", "", "街道办", "城运中心"][i % 4]
        level = ["区", "", "街镇"][i % 3]
        kind = ["", "line", "block"][i % 3]
        category = "" if i == 4 else ["市容", "噪音"][i % 2]
        source = "热线" if i < 5 else ""          # the later parts have no source at all
        for step, (activity, hour) in enumerate((("受理", 9), ("派遣", 10), ("处置", 15))):
            rows.append(f"{quoted},{activity},2024-03-0{4 + i % 3} {hour}:0{step}:00,{unit},"
                        f"{level},{kind},{category},{source}")
    path = tmp_path / "odd.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    columns = (ACTIVITY, RESOURCE, LEVEL, KIND, CATEGORY, SOURCE)
    with get_engine("duckdb", path) as engine:
        parts = list(engine.event_logs(max_events=7))
        assert len(parts) == 4
        for part in parts:
            kept = part.kept_column_codes()
            assert set(kept) == set(columns), "the ENUM columns' codes come with the part"
            expected = pd.factorize(part.events[CASE], sort=False)[0]
            assert part.case_codes().codes.tolist() == expected.tolist()
            for column in columns:
                codes, names = pd.factorize(part.events[column], sort=True)
                got_codes, got_names = column_codes(part, column)
                assert got_codes.tolist() == codes.tolist(), column
                assert got_names.tolist() == list(names), column
        assert (column_codes(parts[3], SOURCE)[0] == -1).all()
        log = read_log(path)
        pd.testing.assert_frame_equal(find_bottlenecks(engine, by="unit", part_events=7).table,
                                      find_bottlenecks(log, by="unit").table)
        on_parts = find_loops(engine, part_events=7)
        pd.testing.assert_frame_equal(on_parts.summary, find_loops(log).summary)
        pd.testing.assert_frame_equal(on_parts.cases, find_loops(log).cases)


def test_duckdb_gives_back_what_it_cached_of_the_log_and_keeps_its_share(monkeypatch):
    """After a pass over the parts, ``release_buffers`` empties DuckDB's cache of the log (the
    memory a memory-limited command holds while it works on what it read) and sets DuckDB's
    limit back to its share; the parts read again are the same."""
    from procmine.engines import duckdb_engine, parse_memory_limit
    from procmine.engines.duckdb_engine import DUCKDB_SHARE

    monkeypatch.setattr(duckdb_engine, "EVICT_LIMIT", "512KiB")     # the sample's table is small

    def cached(engine) -> int:
        return int(engine.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory() "
                                      "WHERE tag = 'BASE_TABLE'").fetchone()[0])

    with get_engine("duckdb", "logs/sample.csv", memory_limit="512MiB") as engine:
        engine.totals()
        engine.con.execute("CHECKPOINT")    # into the file, as a large log's table is
        first = [len(p.events) for p in engine.event_logs(max_events=5000)]
        before = cached(engine)
        engine.release_buffers()
        assert cached(engine) <= parse_memory_limit("512KiB") < before
        limit = engine.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        share = parse_memory_limit("512MiB") * DUCKDB_SHARE
        assert abs(parse_memory_limit(limit.replace(" ", "")) - share) < 0.01 * share
        assert [len(p.events) for p in engine.event_logs(max_events=5000)] == first



def test_duckdb_gives_back_its_cache_while_the_parts_stream(monkeypatch):
    """Part-by-part work releases DuckDB's cache every ``RELEASE_EVERY`` parts, not only
    after the last, so that the blocks of the log already read (and the collector's rows)
    do not fill DuckDB's share while the parts stream; the bottlenecks stay the same."""
    from procmine.bottlenecks import find_bottlenecks
    from procmine.engines import collector
    from procmine.engines.collector import log_parts

    with get_engine("duckdb", "logs/sample.csv", memory_limit="512MiB") as engine:
        whole = find_bottlenecks(engine, by="unit", part_events=1000).table
        monkeypatch.setattr(collector, "RELEASE_EVERY", 3)
        seen, released = [], []
        release = engine.release_buffers
        monkeypatch.setattr(engine, "release_buffers",
                            lambda: (released.append(len(seen)), release()))
        for part in log_parts(engine, part_events=1000):
            seen.append(len(part.events))
        assert released == [*range(3, len(seen) + 1, 3), len(seen)] and len(seen) > 30
        pd.testing.assert_frame_equal(find_bottlenecks(engine, by="unit", part_events=1000).table,
                                      whole)


def test_duckdb_reads_no_part_while_its_cache_is_given_back(monkeypatch):
    """The parts are read one ahead in a thread of their own; a release of the cache
    (the memory limit lowered for a moment) waits for a batch being read, and no batch is
    read while it lasts: a scan under the lowered limit could fail for want of memory."""
    with get_engine("duckdb", "logs/sample.csv", memory_limit="512MiB") as engine:
        events = []     # ("set" or "batch", moment), in the order they happened
        con, reading = engine.con, []

        class Watched:
            def execute(self, sql, *args):
                if "memory_limit" in sql:
                    events.append(("set", "low" if "16" in sql.split("=")[1] else "back"))
                    assert not reading, "the limit changed while a batch was being read"
                return con.execute(sql, *args)

            def __getattr__(self, name):
                return getattr(con, name)

        from procmine.engines import duckdb_engine

        real = duckdb_engine.taking_turns

        def watched_turns(reader, lock):
            class Reader:
                def read_next_batch(self):
                    reading.append(1)
                    try:
                        time.sleep(0.002)
                        return reader.read_next_batch()
                    finally:
                        reading.pop()
            return real(Reader(), lock)

        monkeypatch.setattr(duckdb_engine, "taking_turns", watched_turns)
        engine.con = Watched()
        try:
            n = sum(1 for _ in log_parts_every(engine, 1))
        finally:
            engine.con = con
        assert n > 30 and ("set", "low") in events


def log_parts_every(engine, every):
    from procmine.engines import collector

    old = collector.RELEASE_EVERY
    collector.RELEASE_EVERY = every
    try:
        yield from collector.log_parts(engine, part_events=1000)
    finally:
        collector.RELEASE_EVERY = old
