"""procmine.loops: each pattern on a hand-written fixture, real logs against pm4py, and the simulator's truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from procmine.errors import ChoiceError
from procmine.log import (
    ACTIVITY,
    CASE,
    CATEGORY,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    TIMESTAMP,
    EventLog,
)
from procmine.loops import find_loops
from procmine.vocabulary import SIMULATED_PATTERNS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
TZ = "Asia/Shanghai"
HOUR = 3600.0


def fixture(name: str) -> EventLog:
    """A fixture CSV (case, activity, time, unit, level, kind, category, deadline) as an EventLog."""
    raw = pd.read_csv(FIXTURES / f"loops_{name}.csv", dtype=str, keep_default_na=False)
    rename = {"case": CASE, "activity": ACTIVITY, "time": TIMESTAMP, "unit": RESOURCE,
              "level": LEVEL, "kind": KIND, "category": CATEGORY, "deadline": DEADLINE}
    df = raw.rename(columns=rename).replace("", None)
    df[TIMESTAMP] = pd.to_datetime(df[TIMESTAMP]).dt.tz_localize(TZ)
    if DEADLINE in df:
        df[DEADLINE] = pd.to_datetime(df[DEADLINE]).dt.tz_localize(TZ)
    return EventLog(events=df)


def flagged(result, pattern: str) -> set[str]:
    return result.flagged(pattern)


def evidence(result, pattern: str, case: str) -> pd.Series:
    ev = result.evidence
    rows = ev[(ev["pattern"] == pattern) & (ev["case"] == case)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --------------------------------------------------------------------------- fixtures by hand


def test_escalation_round_trip_fixture():
    r = find_loops(fixture("escalation"), patterns="escalation")
    # E1: 街道A escalates, 区 only reviews, 下派 back to 街道A -> round trip.
    # E2: 区城管 handles (处置) at the higher level -> a real escalation, not a round trip.
    # E3: sent down to a different street (街道B) -> not back to the same unit.
    # E4: 街道A -> 区 -> 市 and back down to 街道A (2 levels), and 区城管's own trip to 市.
    assert flagged(r, "escalation") == {"E1", "E4"}
    e1 = evidence(r, "escalation", "E1")
    assert e1["unit"] == "街道A" and e1["level"] == "街镇"
    assert e1["cost_s"] == 24 * HOUR          # 提级 03-04 10:00 -> 下派 03-05 10:00
    assert "sent back by 区城管" in e1["detail"]
    assert "提级" in e1["events"] and "下派" in e1["events"]
    e4 = evidence(r, "escalation", "E4")
    assert e4["occurrences"] == 2
    assert "2 level(s)" in e4["detail"]
    # the two trips overlap: 03-04 10:00 -> 03-06 11:00 counted once
    assert e4["cost_s"] == 49 * HOUR
    row = r.summary.set_index("pattern").loc["escalation"]
    assert row["cases"] == 2 and row["share"] == 0.5


def test_escalation_flows_go_up_and_down():
    r = find_loops(fixture("escalation"), patterns="escalation")
    flows = {(f, t, via): (d, n) for f, t, d, via, n in
             r.flows[["from_level", "to_level", "direction", "via", "count"]].itertuples(index=False)}
    # 提级 from a street in E1-E4, and 区城管's own 提级 to the city in E4
    assert flows[("街镇", "区", "escalation")] == ("up", 4)
    assert flows[("区", "市", "escalation")] == ("up", 1)
    # 派遣 by the district centre (4) and 下派 back to a street (4); the city's 下派 in E4
    assert flows[("区", "街镇", "dispatch")] == ("down", 8)
    assert flows[("市", "区", "dispatch")] == ("down", 1)
    # feedback or handling at a street followed by the centre's 结案 (E1, E2)
    assert flows[("街镇", "区", "other")] == ("up", 2)
    assert len(flows) == 5


def test_pingpong_fixture():
    r = find_loops(fixture("pingpong"), patterns="pingpong")
    # P1: 街道A returns, 城管中队B returns, back to 街道A who signs.
    # P3: A returns, B returns, C signs: three units but no ping-pong.
    assert flagged(r, "pingpong") == {"P1"}
    p1 = evidence(r, "pingpong", "P1")
    assert p1["detail"] == "街道A→城管中队B→街道A"
    assert p1["cost_s"] == 24 * HOUR          # first 退单 03-04 10:00 -> 签收 by A 03-05 10:00
    cases = r.cases.set_index("case")
    assert cases.loc["P1", "units_before_sign"] == 2
    assert cases.loc["P2", "units_before_sign"] == 2
    assert cases.loc["P3", "units_before_sign"] == 3
    assert cases.loc["P4", "units_before_sign"] == 1
    assert cases.loc["P1", "presign_dwell_s"] == 25 * HOUR   # 派遣 03-04 09:00 -> 签收 03-05 10:00
    assert cases.loc["P4", "presign_dwell_s"] == 20 * 60
    assert r.details["pingpong"]["cases_by_units_before_sign"] == {"1": 1, "2": 2, "3+": 1}
    handovers = {(a, b): n for a, b, n in r.handovers.itertuples(index=False)}
    assert handovers == {("街道A", "城管中队B"): 1}


def test_presign_dwell_ends_at_the_accepting_sign():
    # E1: 街道A signs at 09:30, escalates, and signs again the next day after the 下派:
    # the order was accepted at 09:30, 30 minutes after the 09:00 dispatch.
    r = find_loops(fixture("escalation"), patterns="pingpong")
    cases = r.cases.set_index("case")
    assert cases.loc["E1", "presign_dwell_s"] == 30 * 60
    assert cases.loc["E1", "units_before_sign"] == 1
    # E2 never signs: no dwell
    assert np.isnan(cases.loc["E2", "presign_dwell_s"])


def test_pingpong_without_return_steps_uses_resource_handovers():
    rows = [("c1", "T1", "ann"), ("c1", "T2", "bob"), ("c1", "T3", "bob"), ("c1", "T4", "ann"),
            ("c2", "T1", "ann"), ("c2", "T2", "bob"), ("c2", "T3", "cid"),
            ("c3", "T1", "ann"), ("c3", "T2", "ann")]
    df = pd.DataFrame(rows, columns=[CASE, ACTIVITY, RESOURCE])
    df[TIMESTAMP] = pd.Timestamp("2024-01-01", tz=TZ) + pd.to_timedelta(np.arange(len(df)), unit="h")
    r = find_loops(EventLog(events=df), patterns="pingpong")
    assert flagged(r, "pingpong") == {"c1"}
    assert any("handover" in n for n in r.notes)


def test_dumping_down_fixture():
    r = find_loops(fixture("dumping"), patterns="dumping")
    # D1: the market-regulation office (条) returns, street A (块) handles.
    # D2: a block returns and a line handles (the other way round); D3: line to line.
    assert flagged(r, "dumping") == {"D1"}
    d1 = evidence(r, "dumping", "D1")
    assert d1["unit"] == "市场监管所"
    assert d1["cost_s"] == 3 * HOUR           # 退单 11:00 -> 签收 by 街道A 14:00


def test_rework_fixture():
    r = find_loops(fixture("rework"), patterns="rework")
    # R1: check failed, handled again; R2: street A handles twice before closure.
    # R3: handled again after closure and reopening: that is reopen, not rework.
    # R4: two different units handle.
    assert flagged(r, "rework") == {"R1", "R2"}
    assert evidence(r, "rework", "R1")["cost_s"] == 20 * HOUR   # 核查不通过 14:00 -> 处置 next day 10:00
    assert evidence(r, "rework", "R2")["unit"] == "街道A"


def test_reopen_fixture():
    r = find_loops(fixture("reopen"), patterns="reopen")
    # O1: closed, dissatisfied, reopened, handled, closed again.
    # O2: dissatisfied but never handled again; O3: plain.
    assert flagged(r, "reopen") == {"O1"}
    assert evidence(r, "reopen", "O1")["cost_s"] == 48 * HOUR   # first 结案 -> final 结案


def test_hugging_fixture_in_clock_time():
    r = find_loops(fixture("hugging"), patterns="hugging", calendar=None)
    # 24 h windows: H1 closes at 23/24 (96%), H2 at 12.5%, H3 after the deadline,
    # H4 at 37.5% but files its extension 2 h before the deadline.
    assert flagged(r, "hugging") == {"H1"}
    cases = r.cases.set_index("case")
    assert cases.loc["H1", "window_used"] == pytest.approx(23 / 24)
    assert bool(cases.loc["H4", "late_extension"]) and not bool(cases.loc["H1", "late_extension"])
    info = r.details["hugging"]
    assert info["closed_in_time"] == 3 and info["overdue"] == 1
    assert info["observed_share"] == pytest.approx(1 / 3)
    assert info["ratio_to_smooth"] == pytest.approx(10 / 3)


def test_hugging_fixture_in_working_time():
    r = find_loops(fixture("hugging"), patterns="hugging", calendar="cn")
    # Mon 09:00 -> Tue 09:00 holds 7 working hours (09:00-12:00, 13:30-17:30). H4 closes
    # Mon 18:00, after office hours: all 7 working hours used, so it hugs too.
    assert flagged(r, "hugging") == {"H1", "H4"}
    cases = r.cases.set_index("case")
    assert cases.loc["H2", "window_used"] == pytest.approx(3 / 7)
    assert bool(cases.loc["H4", "late_extension"])      # filed with 0 working hours left
    assert r.details["hugging"]["working_time"] is True


def test_desk_check_fixture():
    r = find_loops(fixture("desk"), patterns="desk")
    # K1: checked 3 minutes after feedback; K2: 90 minutes; K3: closed, nobody handled or checked.
    assert flagged(r, "desk") == {"K1", "K3"}
    assert "3.0 min" in evidence(r, "desk", "K1")["detail"]
    assert evidence(r, "desk", "K3")["detail"] == "closed with no handling or check"
    assert flagged(find_loops(fixture("desk"), patterns="desk", desk_minutes=2), "desk") == {"K3"}


def test_supervision_gap_fixture():
    r = find_loops(fixture("supervision"), patterns="supervision")
    assert flagged(r, "supervision") == {"S1", "S4"}
    table = r.details["supervision"]["by_category"].set_index("category")
    # 噪声扰民: supervised S1 took 5 d, ordinary S2 and S3 took 2 and 3 d (median 2.5 d)
    assert table.loc["噪声扰民", "gap_s"] == 2.5 * 86400
    assert table.loc["暴露垃圾", "gap_s"] == 20 * HOUR   # 24 h against 4 h
    assert evidence(r, "supervision", "S1")["cost_s"] == 2.5 * 86400


def test_by_unit_counts_against_the_cases_the_unit_touched():
    r = find_loops(fixture("pingpong"), patterns="pingpong", by="unit")
    row = r.by[(r.by["unit"] == "街道A")].iloc[0]
    assert row["cases"] == 4 and row["flagged"] == 1 and row["share"] == 0.25


def test_missing_columns_skip_patterns_with_a_note():
    r = find_loops(fixture("rework"))
    assert {"escalation", "dumping", "hugging"} <= set(r.skipped)
    assert "org:level" in r.skipped["escalation"]
    assert "rework" in r.summary["pattern"].tolist()


def test_aliases_map_other_spellings():
    log = fixture("reopen")
    log.events[ACTIVITY] = log.events[ACTIVITY].replace({"不满意": "市民差评", "重办": "二次派发"})
    plain = find_loops(log, patterns="reopen")
    assert "dissatisfied/reopen" in plain.skipped["reopen"]
    r = find_loops(log, patterns="reopen", aliases={"市民差评": "dissatisfied"})
    assert flagged(r, "reopen") == {"O1"}


def test_empty_log_gives_empty_results():
    log = fixture("pingpong")
    r = find_loops(EventLog(events=log.events.iloc[:0]), by="unit")
    assert r.n_cases == 0 and r.evidence.empty
    assert (r.summary["cases"] == 0).all()


def test_events_out_of_order_are_grouped_by_case_first():
    log = fixture("pingpong")
    shuffled = EventLog(events=log.events.sample(frac=1, random_state=3).reset_index(drop=True))
    assert find_loops(shuffled, patterns="pingpong").flagged("pingpong") == {"P1"}


def test_unknown_pattern_is_a_choice_error():
    with pytest.raises(ChoiceError, match="patterns='nope': not a choice"):
        find_loops(fixture("desk"), patterns="nope")


# --------------------------------------------------------------------------- real logs


def _real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real log {path} is absent")
    return path


@pytest.mark.real
@pytest.mark.parametrize("name", ["receipt.csv", "BPIC15_1.xes.gz"])
def test_rework_on_real_logs_equals_pm4py(name):
    import pm4py

    path = _real(name)
    if name.endswith(".csv"):
        df = pd.read_csv(path)
        df[TIMESTAMP] = pd.to_datetime(df[TIMESTAMP], utc=True, format="ISO8601")
    else:
        df = pm4py.read_xes(str(path))
    df = df.sort_values([CASE, TIMESTAMP], kind="stable").reset_index(drop=True)
    r = find_loops(EventLog(events=df), patterns=["rework", "pingpong", "escalation"])
    expected = pm4py.get_rework_cases_per_activity(df)
    assert r.rework_by_activity == expected
    repeated = df.groupby([CASE, ACTIVITY]).size()
    assert len(r.flagged("rework")) == repeated[repeated > 1].reset_index()[CASE].nunique()
    assert "escalation" in r.skipped
    assert "pingpong" in r.summary["pattern"].tolist()


# --------------------------------------------------------------------------- simulator truth

#: our pattern -> the simulator's truth column (docs/simulate.md)
TRUTH = {pattern: pattern for pattern in SIMULATED_PATTERNS}


@pytest.fixture(scope="module")
def simulated():
    from procmine.simulate import simulate_log

    sim = simulate_log(cases=4000, seed=7)
    return sim, find_loops(sim.to_event_log(), calendar="cn")


@pytest.mark.parametrize("pattern", list(TRUTH))
def test_precision_and_recall_against_the_simulators_truth(simulated, pattern):
    sim, r = simulated
    truth = sim.truth.set_index("case_id")[TRUTH[pattern]]
    expected = set(truth.index[truth == 1])
    found = r.flagged(pattern)
    assert len(expected) > 50, "the simulator should inject enough cases to measure"
    hits = len(found & expected)
    assert hits / len(found) >= 0.98, sorted(found - expected)[:10]
    assert hits / len(expected) >= 0.98, sorted(expected - found)[:10]


def test_evidence_names_the_units_the_simulator_chose(simulated):
    sim, r = simulated
    truth = sim.truth.set_index("case_id")
    ev = r.evidence.set_index(["pattern", "case"])
    for pattern, column in (("escalation", "escalation_unit"), ("pingpong", "pingpong_a"),
                            ("dumping", "dumping_line_unit")):
        units = ev.loc[pattern, "unit"]
        common = units.index.intersection(truth.index[truth[column] != ""])
        assert len(common) > 50
        assert (units.loc[common] == truth.loc[common, column]).mean() >= 0.98, pattern
    levels = ev.loc["escalation", "detail"].str.extract(r"\((\d) level")[0].astype(int)
    crossed = truth.loc[levels.index, "escalation_levels"]
    assert (levels == crossed).mean() >= 0.98


# --------------------------------------------------------------------------- through an engine, in parts

SAMPLE = Path(__file__).resolve().parents[1] / "logs" / "sample.csv"
RESULT_FIELDS = ("cases", "evidence", "summary", "by", "flows", "handovers", "rework_by_activity",
                 "details", "skipped", "notes", "n_cases", "levels")


def assert_same_result(got, want) -> None:
    """Every field of two LoopsResults equal: frames to the last bit and dtype, dicts in order."""

    def same(a, b, where: str) -> None:
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
        elif isinstance(b, dict):
            assert list(a) == list(b), where
            for key in b:
                same(a[key], b[key], f"{where}[{key!r}]")
        else:
            assert a == b or (a != a and b != b), (where, a, b)    # NaN equals NaN here

    for name in RESULT_FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        if b is None:
            assert a is None, name
        else:
            same(a, b, name)


def parts_seen(engine, part_events: int, **options):
    """find_loops through ``engine`` in parts, and how many parts it took."""
    seen = []
    engine.progress = lambda done, total: seen.append(done)
    result = find_loops(engine, part_events=part_events, **options)
    engine.progress = None
    return result, len(seen)


@pytest.fixture(scope="module")
def sample_in_memory():
    from procmine.read import read_log

    return read_log(SAMPLE)


@pytest.fixture(scope="module")
def sample_duckdb():
    from procmine.engines import get_engine

    with get_engine("duckdb", SAMPLE, memory_limit="1GiB") as engine:
        yield engine


@pytest.mark.parametrize("by", [None, "unit", "level", "category", "month", "source"])
def test_duckdb_in_parts_gives_the_figures_of_pandas(sample_duckdb, sample_in_memory, by):
    got, parts = parts_seen(sample_duckdb, 5000, by=by)
    assert parts == 7                      # 34,609 events in parts of whole cases
    want = find_loops(sample_in_memory, by=by)
    assert_same_result(got, want)
    assert len(got.summary) == 8 and got.n_cases == 3000


def test_duckdb_in_parts_keeps_the_case_and_evidence_rows_in_the_engine(sample_duckdb,
                                                                       sample_in_memory):
    # the per-case and evidence tables (a row per case, per flagged case) are not held: the
    # summary, by table and details come from counts added over the parts, the tables are
    # made from the engine's database when first read
    got, parts = parts_seen(sample_duckdb, 5000, by="category")
    assert parts == 7
    want = find_loops(sample_in_memory, by="category")
    assert callable(got._cases) and callable(got._evidence)
    for name in ("summary", "by"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
    assert got.details["pingpong"] == want.details["pingpong"]
    pd.testing.assert_frame_equal(got.details["supervision"]["by_category"],
                                  want.details["supervision"]["by_category"], check_exact=True)
    assert got.to_dict()["cases"] == 3000 and callable(got._cases)   # to_dict reads no rows
    assert got.flagged("reopen") == want.flagged("reopen")
    assert not callable(got._cases) and callable(got._evidence)
    pd.testing.assert_frame_equal(got.evidence, want.evidence, check_exact=True)
    pd.testing.assert_frame_equal(got.cases, want.cases, check_exact=True)
    assert got.evidence is got.evidence                               # made once


def test_the_rows_of_a_closed_engine_are_a_clear_error(sample_in_memory):
    from procmine.engines import get_engine
    from procmine.errors import ProcmineError

    with get_engine("duckdb", SAMPLE) as engine:
        got = find_loops(engine, patterns="rework", part_events=5000)
    assert got.summary.equals(find_loops(sample_in_memory, patterns="rework").summary)
    with pytest.raises(ProcmineError, match="read result.cases and result.evidence while the "
                                            "engine is open"):
        _ = got.evidence


def test_summary_sums_are_exact_and_ties_keep_value_counts_order():
    # the sums of fractional costs, over parts in any order, are the sum rounded once; the
    # top units among equal counts come in the order value_counts gives (first seen)
    import math

    from procmine.loops.aggregates import _costs, _rounded, _tallies_added, _tally, _top

    costs = np.random.default_rng(7).random(1000) * 1e5
    costs[::10] = np.nan
    rest = np.array(["b"] * 250 + ["d"] * 250 + ["c"] * 200 + ["a"] * 200)
    units = np.concatenate([["c", "a"] * 50, np.random.default_rng(8).permutation(rest)])
    assert set(pd.Series(units).value_counts()) == {250}        # four units, all tied
    ev = pd.DataFrame({"pattern": "rework", "unit": units, "level": "", "category": "",
                       "cost_s": costs, "cost_work_s": np.nan})
    whole = _tally({"rework": ev}, None)
    pieces = _tallies_added([_tally({"rework": ev.iloc[i:i + 100].reset_index(drop=True)}, None)
                             for i in range(0, 1000, 100)])
    exact = math.fsum(costs[~np.isnan(costs)])
    for tally in (whole, pieces):
        (n, total), = [v for k, v in _costs(tally, ["pattern"], None).items() if k[1] == "cost_s"]
        assert n == 900 and _rounded(n, total) == exact
        assert _top(tally, "rework", "unit", k=4) == _top_by_value_counts(ev["unit"])
        assert _top(tally, "rework", "level") == ""


def _top_by_value_counts(values: pd.Series) -> str:
    counts = values[values != ""].value_counts()
    return ", ".join(f"{name} ({n})" for name, n in counts.head(4).items())


def test_duckdb_in_parts_in_clock_time(sample_duckdb, sample_in_memory):
    got, _ = parts_seen(sample_duckdb, 5000, calendar=None, patterns=["supervision", "hugging"])
    assert_same_result(got, find_loops(sample_in_memory, calendar=None,
                                       patterns=["supervision", "hugging"]))
    assert got.details["hugging"]["working_time"] is False


def test_medians_over_parts_are_pandas_medians_with_fractional_seconds(tmp_path, sample_in_memory):
    # waits with milliseconds: a sum or an interpolated median over parts would differ in the
    # last bits from the one pandas takes over the whole log
    from procmine.engines import get_engine
    from procmine.read import read_log

    raw = pd.read_csv(SAMPLE, dtype=str, encoding="utf-8-sig")
    jitter = np.random.default_rng(3).integers(0, 1000, len(raw))
    raw["时间"] = (pd.to_datetime(raw["时间"]) + pd.to_timedelta(jitter, unit="ms")).dt.strftime(
        "%Y-%m-%d %H:%M:%S.%f").str[:-3]
    path = tmp_path / "sample_ms.csv"
    raw.to_csv(path, index=False)
    want = find_loops(read_log(path), patterns=["supervision", "escalation"])
    with get_engine("duckdb", path) as engine:
        got, parts = parts_seen(engine, 5000, patterns=["supervision", "escalation"])
        assert_same_result(got, want)          # the case and evidence rows: while it is open
    assert parts > 1
    assert (want.flows["median_s"] % 1 != 0).any()     # the medians are fractional
    assert (want.evidence["cost_s"] % 1 != 0).any()    # and so are the costs summed


def test_pandas_engine_in_parts_equals_the_log_in_memory(sample_in_memory):
    from procmine.engines import get_engine

    with get_engine("pandas", sample_in_memory) as engine:
        got, parts = parts_seen(engine, 5000, by="unit")
    assert parts == 7
    assert_same_result(got, find_loops(sample_in_memory, by="unit"))


def test_parts_merged_a_few_at_a_time_give_the_figures_of_the_whole(sample_duckdb,
                                                                   sample_in_memory):
    # 35 parts: merged 16 at a time into what the parts before them merged to
    from procmine.loops import merge

    got, parts = parts_seen(sample_duckdb, 1000, by="unit")
    assert parts > 2 * merge.MERGE_EVERY
    assert_same_result(got, find_loops(sample_in_memory, by="unit"))


@pytest.mark.parametrize("merge_every", [2, 16])
def test_a_part_without_dispatch_steps_keeps_the_definitions_of_the_log(monkeypatch, merge_every):
    # G1 has no dispatch step: alone, it would be read as an A→B→A handover of resources;
    # in a dispatch log, ping-pong is two returns, and G1 has none (whether the parts are
    # merged two at a time, G1's with a dispatch part or not, or all at once)
    from procmine.engines import get_engine
    from procmine.loops import merge

    monkeypatch.setattr(merge, "MERGE_EVERY", merge_every)

    log = fixture("pingpong")
    generic = pd.DataFrame({CASE: "G1", ACTIVITY: ["T1", "T2", "T3"],
                            RESOURCE: ["ann", "bob", "ann"],
                            TIMESTAMP: pd.Timestamp("2024-03-08 09:00", tz=TZ)
                            + pd.to_timedelta([0, 1, 2], unit="h")})
    mixed = EventLog(events=pd.concat([log.events, generic], ignore_index=True))
    want = find_loops(mixed, patterns=["pingpong", "rework"])
    assert want.flagged("pingpong") == {"P1"}
    with get_engine("pandas", mixed) as engine:
        got, parts = parts_seen(engine, 1, patterns=["pingpong", "rework"])
    assert parts == 5                      # one case a part
    assert_same_result(got, want)


@pytest.mark.real
@pytest.mark.parametrize("by", [None, "unit", "level", "category", "month", "source"])
def test_duckdb_in_parts_gives_the_figures_of_pandas_on_receipt(by):
    from conftest import real_path

    from procmine.engines import get_engine
    from procmine.read import read_log

    path = real_path("receipt.csv")
    want = find_loops(read_log(path), by=by)
    with get_engine("duckdb", path) as engine:
        got, parts = parts_seen(engine, 2000, by=by)
        assert_same_result(got, want)
    assert parts > 1
    assert want.n_cases == 1434 and "escalation" in want.skipped


@pytest.mark.slow
def test_spark_in_parts_gives_the_figures_of_pandas(spark, sample_in_memory):
    from procmine.engines import get_engine

    with get_engine("spark", SAMPLE, spark=spark) as engine:
        got, parts = parts_seen(engine, 5000, by="unit")
    assert parts == 7
    assert_same_result(got, find_loops(sample_in_memory, by="unit"))
