"""The report's memory under --memory-limit: the parts it reads are sized by what it holds,
and the leaders' page reads no part of the log of its own."""

from __future__ import annotations

import pandas as pd

from procmine.engines import get_engine
from procmine.engines.collector import part_events
from procmine.report import build_report

LIMIT = "128MiB"
HELD = 20_000            # bytes per case, as if the report's tables were large


def _record_parts(engine, monkeypatch) -> list[int]:
    """The number of events of each part the engine hands out from now on."""
    sizes: list[int] = []
    original = engine.event_logs

    def event_logs(*, max_events: int = 1_000_000):
        for part in original(max_events=max_events):
            sizes.append(part.n_events)
            yield part

    monkeypatch.setattr(engine, "event_logs", event_logs)
    return sizes


def test_the_report_reads_parts_no_larger_than_the_memory_it_leaves(sample, monkeypatch):
    """What the report holds per case shrinks the parts every analysis reads, not only
    DuckDB's share: the two parts held at once are no larger than a quarter of what is
    left of the limit."""
    monkeypatch.setattr("procmine.report.HELD_PER_CASE", HELD)
    with get_engine("duckdb", sample, memory_limit=LIMIT) as engine:
        cases = engine.totals().cases
        whole = engine.part_events()
        sizes = _record_parts(engine, monkeypatch)
        build_report(engine, lang="en")
        assert engine.part_events() == whole          # given back afterwards
    # two parts are held at once (the engine reads the next one ahead): each is half
    left = part_events(f"{(128 << 20) - HELD * cases}B") // 2
    assert left < whole
    longest_case = 60                                 # a part ends with a whole case
    assert len(sizes) >= 3 and max(sizes) <= left + longest_case


def test_the_leaders_page_reads_no_part_of_the_log_of_its_own(sample, monkeypatch):
    """The handling unit of each case (the leaders' page names them) comes from the audit
    section's pass over the log: the page starts no pass of its own."""
    with get_engine("duckdb", sample, memory_limit=LIMIT) as engine:
        sizes = _record_parts(engine, monkeypatch)
        passes = []
        monkeypatch.setattr("procmine.report.cases.handling_units",   # the page's own pass
                            lambda *a, **k: passes.append("leaders") or pd.Series(dtype=object))
        report = build_report(engine, lang="en")
    assert passes == []
    assert sum(sizes) % 34_609 == 0        # whole passes over the log, each of every event
    assert 'data-finding="on_time"' in report.html


def test_the_audit_hands_each_part_to_on_part(sample):
    """audit_log(on_part=...) gives other per-part work the audit's own parts: whole cases,
    every event once."""
    from procmine.audit import audit_log

    seen: list[pd.DataFrame] = []
    with get_engine("duckdb", sample, memory_limit="64MiB") as engine:
        audit_log(engine, per_case=False, max_events=10_000, on_part=lambda p: seen.append(p.events))
    events = pd.concat(seen)
    assert len(seen) >= 3 and len(events) == 34_609
    cases_per_part = [set(part["case:concept:name"]) for part in seen]
    assert sum(map(len, cases_per_part)) == len(set().union(*cases_per_part)) == 3000


def test_the_handling_units_of_the_audit_pass_are_those_of_a_pass_of_their_own(sample):
    from procmine.audit import audit_log
    from procmine.report.cases import handling_units, joined_units, part_handling_units

    found: list = []
    with get_engine("duckdb", sample, memory_limit="64MiB") as engine:
        audit_log(engine, per_case=False, max_events=10_000,
                  on_part=lambda p: found.append(part_handling_units(p)))
        own = handling_units(engine)
    units = joined_units(found)
    assert len(found) >= 3 and len(units) == 3000
    pd.testing.assert_series_equal(units, own)
    assert units["GD0000003"] == "街道自治办"


def _context(engine, monkeypatch):
    """Build the report of ``engine`` and return the context its page was made from."""
    import procmine.report as report_module

    seen = {}
    page = report_module._page_pieces

    def keep(title, ctx, sections):
        seen["ctx"] = ctx
        return page(title, ctx, sections)

    monkeypatch.setattr(report_module, "_page_pieces", keep)
    build_report(engine, lang="en")
    return seen["ctx"]


def test_the_case_table_of_the_page_is_compact(sample, monkeypatch):
    """The per-case table the leaders' page and the explorer share holds its texts in Arrow
    (no Python string per case and column) and its verdicts and flags in numpy: under 160
    bytes a case (about 270 when categories and sources were Python strings)."""
    from procmine.report.cases import case_facts

    with get_engine("duckdb", sample, memory_limit=LIMIT) as engine:
        ctx = _context(engine, monkeypatch)
        facts = case_facts(ctx)
        per_case = facts.memory_usage(deep=True).sum() / len(facts)
        patterns = ctx.results["patterns"]
        flagged = patterns.cases.set_index("case")["pingpong"]   # the table, read again
    assert len(facts) == 3000 and per_case < 160
    assert [c for c in facts.columns if facts[c].dtype == object] == []
    # by position, the same verdicts as a lookup by case id
    assert facts["pingpong"].tolist() == flagged.reindex(facts["case"]).fillna(False).tolist()
    assert facts["unit"].notna().all() and facts.loc[facts["case"] == "GD0000003", "unit"].item() == "街道自治办"


def test_the_explorers_json_is_made_in_pieces_as_one_dump(sample, monkeypatch):
    """The explorer's data, written a few cases at a time, is the text ``json.dumps`` makes
    of the whole lists (the page stays byte for byte the same)."""
    import json

    from procmine.report import explore

    with get_engine("duckdb", sample, memory_limit=LIMIT) as engine:
        ctx = _context(engine, monkeypatch)
        data = explore.explorer_data(ctx)
    monkeypatch.setattr(explore, "CHUNK", 7)
    pieces = list(explore._json_pieces(data))
    assert len(pieces) > 3000 * 7 / 7        # many pieces: no list of every case at once
    whole = {**data, "cases": {k: c.convert(c.values) for k, c in data["cases"].items()}}
    expected = json.dumps(whole, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert "".join(pieces) == expected
    assert json.loads(expected)["cases"]["id"][:2] == ["GD0000001", "GD0000002"]


def test_under_a_limit_the_audit_runs_first_and_the_page_keeps_its_order(sample):
    """The audit's tables, the largest the report makes, are made before pm4py is imported
    and the other sections' results and the engine's case table are held; the progress bar
    follows that order."""
    from procmine.report import stages

    seen: list[str] = []
    with get_engine("duckdb", sample, memory_limit=LIMIT) as engine:
        order = stages(log=engine)
        report = build_report(engine, lang="en", on_stage=seen.append)
    assert seen == list(order) and order[:3] == ("audit", "summary", "quality")
    assert [s.key for s in report.sections] == list(stages())    # the page: as without a limit
    assert stages()[2] == "map"


def test_the_page_is_written_as_it_is_made_and_is_the_page_build_report_makes(sample, tmp_path,
                                                                              monkeypatch):
    """write_report hands the page to the file in pieces (the explorer's data a few cases at
    a time, never the whole page as one text), and the file is byte for byte the page that
    build_report joins in memory; report.html reads it back."""
    import re

    import procmine.files
    from procmine.read import read_log
    from procmine.report import explore, write_report

    monkeypatch.setattr(explore, "CHUNK", 50)
    pieces: list[int] = []
    opened = procmine.files.atomic_write

    def recording(*args, **kwargs):
        class Recorder:
            def __init__(self, f):
                self.f = f

            def write(self, text):
                pieces.append(len(text))
                return self.f.write(text)

        from contextlib import contextmanager

        @contextmanager
        def wrapped():
            with opened(*args, **kwargs) as f:
                yield Recorder(f)
        return wrapped()

    monkeypatch.setattr("procmine.report.atomic_write", recording)
    log = read_log(sample)
    out = tmp_path / "report.html"
    written = write_report(log, out, lang="en")
    joined = build_report(log, lang="en").html
    text = out.read_text(encoding="utf-8")
    when = re.compile(r"([Gg]enerated|生成于) \d{4}-\d\d-\d\d \d\d:\d\d [+-]\d{4}")
    assert len(when.findall(text)) == 1                     # the mask finds the page's time
    assert when.sub("", text) == when.sub("", joined)      # the minute may turn between them
    assert written.html == text
    assert len(pieces) > 3000 / 50 and max(pieces) < len(text) / 2


def test_the_deadline_verdicts_are_kept_in_two_columns_and_not_by_the_bottlenecks(sample,
                                                                                 monkeypatch):
    """After the bottlenecks section the report keeps each case's id and deadline verdict
    (Arrow text and a float: a few dozen bytes a case), and the bottlenecks' result keeps no
    per-case deadline table of its own (it is measured again if read again)."""
    from procmine.report import cases

    made = []
    verdicts_of = cases.deadline_verdicts
    monkeypatch.setattr(cases, "deadline_verdicts", lambda d: made.append(verdicts_of(d)) or made[-1])
    with get_engine("duckdb", sample, memory_limit=LIMIT) as engine:
        ctx = _context(engine, monkeypatch)
        (verdicts,) = made                  # once, after the bottlenecks section
        assert "deadline_verdicts" not in ctx.results       # the case table has them now
        kept = ctx.results["bottlenecks"]._tables.cache
        again = ctx.results["bottlenecks"].deadlines.cases
    assert "deadline_cases" not in kept
    assert list(verdicts.columns) == ["case", "on_time"] and len(verdicts) == len(again)
    assert verdicts.memory_usage(deep=True).sum() / len(verdicts) < 40
    assert verdicts["on_time"].tolist() == again["on_time"].astype(float).tolist()


def test_the_pattern_flags_are_the_case_tables_flags_read_alone(sample):
    """LoopsResult.flags() reads the case id and the flag of each pattern that ran from the
    engine's collector, without the measures and without the cases no pattern flagged: the
    same rows and values as those columns of ``cases`` for the flagged cases, in memory and
    part by part."""
    from procmine.loops import find_loops
    from procmine.read import read_log

    with get_engine("duckdb", sample, memory_limit="64MiB") as engine:
        result = find_loops(engine, part_events=5_000)
        flags, cases = result.flags(), result.cases
        in_memory = find_loops(read_log(sample))
        memory_flags = in_memory.flags()
    ran = list(result.summary["pattern"])
    assert list(flags.columns) == ["case", *ran] and len(ran) >= 3
    assert len(cases.columns) > len(flags.columns)          # the measures were left out

    def flagged(table):
        table = table[["case", *ran]]
        return table[table[ran].fillna(False).any(axis=1)].reset_index(drop=True)

    assert 0 < len(flags) < len(cases)                      # the cases flagged with none left out
    pd.testing.assert_frame_equal(flags, flagged(cases))
    pd.testing.assert_frame_equal(memory_flags, flagged(in_memory.cases))
    assert flags["pingpong"].sum() == int(result.summary.set_index("pattern").loc["pingpong", "cases"])


def test_duckdbs_case_table_reads_the_variants_without_a_series_of_case_ids(sample):
    """The case table of the DuckDB engine takes each case's variant from the database:
    the same variant as ``Variants.of_case`` gives, without making that Series (a Python
    string per case) when nobody asks for it."""
    with get_engine("duckdb", sample) as engine:
        cases = engine.cases()
        assert callable(engine.variants()._of_case)         # still in the database
        of_case = engine.variants().of_case
        assert cases["variant"].dtype == "int64"
        assert cases["variant"].tolist() == of_case.reindex(cases["case"]).tolist()
    with get_engine("pandas", sample) as engine:    # the numbers of the engine in memory
        assert sorted(engine.cases()["variant"].tolist()) == sorted(cases["variant"].tolist())


def test_the_engine_keeps_no_case_table_while_the_report_runs(sample):
    """Under a limit the engine holds no case table from one stage to the next, with or
    without a workflow (the summary, the conformance, the variants and the page read the
    columns they need, made for them in batches); one a caller made before is let go at the
    first stage and, asked again, made the same."""
    for workflow in (None, "logs/workflow.yaml"):
        held: dict[str, bool] = {}
        with get_engine("duckdb", sample, memory_limit=LIMIT) as engine:
            first = engine.cases()

            def on_stage(name, engine=engine, held=held):
                held[name] = engine._cases is not None

            build_report(engine, lang="en", workflow=workflow, on_stage=on_stage)
            assert not any(held.values()), held
            assert engine._cases is None
            pd.testing.assert_frame_equal(engine.cases(), first)
        assert ("conformance" in held) == (workflow is not None)


def test_under_a_limit_arrow_allocates_from_the_c_heap_while_the_report_runs(sample):
    """Under a limit the report's Arrow buffers come from the C heap, whose freed pages
    ``give_back`` returns (Arrow's own pool kept them): the pool it had is back afterwards,
    and without a limit the pool is left alone."""
    import pyarrow as pa

    first = pa.default_memory_pool().backend_name
    seen: list[str] = []

    def on_stage(name):
        seen.append(pa.default_memory_pool().backend_name)

    with get_engine("duckdb", sample, memory_limit=LIMIT) as engine:
        build_report(engine, lang="en", on_stage=on_stage)
    assert set(seen) == {"system"}
    assert pa.default_memory_pool().backend_name == first
    seen.clear()
    with get_engine("duckdb", sample) as engine:
        build_report(engine, lang="en", on_stage=on_stage)
    assert set(seen) == {first}


def test_the_explorers_periods_are_weeks_from_monday_months_or_years(monkeypatch):
    """The explorer's periods, now counted on integer days, are the calendar's: a week
    starts on Monday (in the log's zone, before 1970 too), a longer log falls back to
    months, then years; each case points at the label of its period."""
    import numpy as np

    from procmine.report.explore import _period_labels

    def labels(times: list[str], tz: str | None = None):
        start = pd.Series(pd.to_datetime(times))
        return _period_labels(start.dt.tz_localize(tz) if tz else start)

    kind, names, codes = labels(["1969-12-31 23:30", "1970-01-01 00:10", "1970-01-05 08:00"])
    assert (kind, names, codes.tolist()) == ("week", ["1969-12-29", "1970-01-05"], [0, 0, 1])
    # 23:30 in Shanghai is still Sunday there: the week of the Monday before
    kind, names, codes = labels(["2024-03-10 23:30", "2024-03-11 00:30"], "Asia/Shanghai")
    assert names == ["2024-03-04", "2024-03-11"] and codes.tolist() == [0, 1]
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}-15" for i in range(0, 122, 2)]   # 61 weeks
    kind, names, codes = labels(months)
    assert kind == "month" and names[:2] == ["2000-01", "2000-03"] and len(names) == 61
    assert np.array_equal(codes, np.arange(61))
    kind, names, codes = labels([f"{1900 + y}-06-01" for y in range(0, 200, 1)])
    assert kind == "year" and names[0] == "1900" and names[-1] == "2099" and codes[-1] == 199


def test_the_deadline_verdicts_are_the_two_columns_of_the_per_case_table(sample):
    """Deadlines.verdicts() measures the id and the verdict of each case with a deadline
    without the other columns: the same rows, in the same order, as the per-case table,
    part by part as in memory."""
    from procmine.bottlenecks import find_bottlenecks
    from procmine.read import read_log
    from procmine.workflow import read_workflow

    workflow = read_workflow(sample.parent / "workflow.yaml")
    with get_engine("duckdb", sample, memory_limit="64MiB") as engine:
        deadlines = find_bottlenecks(engine, workflow=workflow, part_events=5_000).deadlines
        verdicts, cases = deadlines.verdicts(), deadlines.cases
    in_memory = find_bottlenecks(read_log(sample), workflow=workflow).deadlines
    assert 0 < len(verdicts) == len(cases) and (cases["on_time"] == 0).any()
    pd.testing.assert_frame_equal(verdicts, cases[["case", "on_time"]].astype({"case": "str"}))
    pd.testing.assert_frame_equal(in_memory.verdicts(), verdicts)
