"""find_bottlenecks: waiting and service times, WIP, deadlines, in clock and working time.

The expected numbers of the hand-made fixtures are worked out by hand in the
comments next to each assertion; clock-time edge statistics are checked
against pm4py on real logs.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procmine.abstractions import follows
from procmine.bottlenecks import find_bottlenecks, transition_waits, waiting_times
from procmine.errors import ColumnError
from procmine.log import ACTIVITY, CASE, TIMESTAMP, EventLog
from procmine.read import read_log

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MIN = 60.0
HOUR = 3600.0

COLUMNS = {"case_id": "工单编号", "activity": "环节", "start_timestamp": "开始时间",
           "timestamp": "完成时间", "resource": "承办单位", "category": "类别",
           "deadline": "办结时限"}


@pytest.fixture(scope="module")
def service_log() -> EventLog:
    return read_log(FIXTURES / "bottlenecks_service.csv", columns=COLUMNS)


def _edge(table: pd.DataFrame, source: str, target: str) -> pd.Series:
    row = table[(table["source"] == source) & (table["target"] == target)]
    assert len(row) == 1, f"{source} -> {target} not in the table"
    return row.iloc[0]


# --------------------------------------------------------------------------- service vs waiting


def test_waiting_runs_from_completion_to_next_start(service_log):
    r = find_bottlenecks(service_log, working_time=False)
    assert r.time_basis == "clock" and r.service_time
    # 派遣 -> 处置: A 09:50 -> 11:00 = 70 min, B 10:20 -> 14:20 = 240 min
    e = _edge(r.transitions, "派遣", "处置")
    assert e["count"] == 2
    assert e["total"] == 310 * MIN and e["median"] == 155 * MIN and e["mean"] == 155 * MIN
    # 上报 -> 派遣: A 09:10 -> 09:40 = 30 min, B 10:05 -> 10:05 = 0
    assert _edge(r.transitions, "上报", "派遣")["total"] == 30 * MIN
    # 处置 -> 核查: A's check started 12:30, before handling completed at 13:00: no wait;
    # B 16:20 -> 16:50 = 30 min
    e = _edge(r.transitions, "处置", "核查")
    assert e["total"] == 30 * MIN and e["median"] == 15 * MIN
    # 核查 -> 结案: A's close has no start, so its whole gap waits: 14:00 -> 15:00 = 60 min;
    # B 17:00 -> 17:00 = 0
    assert _edge(r.transitions, "核查", "结案")["total"] == 60 * MIN
    # 结案 -> 回访: 17:05 -> 10:00 next day = 16 h 55 min
    assert _edge(r.transitions, "结案", "回访")["total"] == (16 * 60 + 55) * MIN
    total = (30 + 70 + 0 + 60) + (0 + 240 + 30 + 0 + 1015)
    assert r.total_wait == total * MIN
    # ranked by total waiting time, shares of all waiting
    assert list(r.transitions["source"] + ">" + r.transitions["target"])[:2] == ["结案>回访", "派遣>处置"]
    assert r.transitions["share"].iloc[0] == pytest.approx(1015 / total)
    assert r.transitions["share"].sum() == pytest.approx(1.0)


def test_service_time_is_completion_minus_start_of_the_same_event(service_log):
    r = find_bottlenecks(service_log, working_time=False, by="activity")
    act = r.activities.set_index("activity")
    # 处置: A 11:00 -> 13:00, B 14:20 -> 16:20: 120 min each
    assert act.loc["处置", "service_median"] == 120 * MIN
    assert act.loc["处置", "service_total"] == 240 * MIN
    # 核查: A 12:30 -> 14:00 = 90 min (overlapping the handling), B 16:50 -> 17:00 = 10 min
    assert act.loc["核查", "service_total"] == 100 * MIN
    # 结案: only B has a start (17:00 -> 17:05); A's is unknown, not zero
    assert act.loc["结案", "service_total"] == 5 * MIN
    assert act.loc["结案", "service_median"] == 5 * MIN
    # the first step of a case waits for nothing
    assert np.isnan(act.loc["上报", "wait_median"])
    assert any(n.startswith("1 event has no start time") for n in r.notes)


def test_start_aware_waits_equal_pm4py_where_pm4py_is_right(service_log):
    """Case B has a start for every event and no overlap: pm4py's performance DFG
    measures completion -> next start there too. (For case A it does not: the check
    that started before the handling completed gets a negative wait, and the close
    without a start drops out of pm4py's numbers; see the hand-worked test above.)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        events = service_log.events
        b = events[events[CASE] == "B"].reset_index(drop=True)
        expected, _, _ = pm4py.discover_performance_dfg(b.copy())
    ours = find_bottlenecks(EventLog(events=b), working_time=False).transitions
    ours = ours.set_index(["source", "target"])
    assert len(ours) == len(expected) == 5
    for edge, stats in expected.items():
        assert ours.loc[edge, "total"] == stats["sum"], edge
        assert ours.loc[edge, "mean"] == stats["mean"], edge


def test_without_start_times_waiting_is_the_gap_between_completions(service_log):
    events = service_log.events.drop(columns="start_timestamp")
    r = find_bottlenecks(EventLog(events=events), working_time=False)
    assert not r.service_time and "service_median" not in r.activities.columns
    # 派遣 -> 处置: A 09:50 -> 13:00 = 190 min, B 10:20 -> 16:20 = 360 min
    assert _edge(r.transitions, "派遣", "处置")["total"] == 550 * MIN


# --------------------------------------------------------------------------- units and WIP


def test_unit_wip_mean_and_peak(service_log):
    r = find_bottlenecks(service_log, working_time=False, by="unit")
    units = r.units.set_index("unit")
    # 城管中队 holds A from the hand-over 09:50 to 13:00 and B from 10:20 to 16:20: both at once
    assert units.loc["城管中队", "wip_peak"] == 2
    # mean over the log's span, 09:00 (first start) to 10:00 next day = 1500 min
    assert units.loc["城管中队", "wip_mean"] == pytest.approx((190 + 360) / 1500)
    # 指挥中心: A [09:10, 09:50], [13:00, 15:00]; B [10:05, 10:20], [16:20, 17:05]: never two
    assert units.loc["指挥中心", "wip_peak"] == 1
    assert units.loc["指挥中心", "cases"] == 2 and units.loc["指挥中心", "events"] == 6
    # median wait before 指挥中心 acts: 派遣 30, 0; 核查 0, 30; 结案 60, 0 -> 15 min
    assert units.loc["指挥中心", "wait_median"] == 15 * MIN
    # the table for --by unit is ranked by the waiting time before the unit acts; 热线 acts
    # only in the call-back after closure (回访, a follow-up step): its wait counts only
    # with include_followup, and then it leads
    assert r.table["unit"].iloc[0] != "热线" and pd.isna(units.loc["热线", "wait_median"])
    with_followup = find_bottlenecks(service_log, working_time=False, by="unit", include_followup=True)
    assert with_followup.table["unit"].iloc[0] == "热线"
    assert with_followup.units.set_index("unit").loc["热线", "wait_total"] == (16 * 60 + 55) * MIN


def test_sample_hotline_not_ranked_for_its_call_backs(sample):
    log = read_log(sample)
    ranked = list(find_bottlenecks(log, by="unit").table["unit"])
    assert ranked.index("12345热线") > 10
    assert list(find_bottlenecks(log, by="unit", include_followup=True).table["unit"])[1] == "12345热线"


def test_level_table_in_hierarchy_order():
    rows = [("c1", "上报", "09:00", "网格"), ("c1", "派遣", "10:00", "街镇"),
            ("c1", "处置", "12:00", "区"), ("c2", "上报", "09:30", "网格"),
            ("c2", "处置", "11:30", "街镇")]
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, "org:level"])
    events[TIMESTAMP] = pd.to_datetime("2024-03-04 " + events[TIMESTAMP]).dt.tz_localize(
        "Asia/Shanghai")
    r = find_bottlenecks(EventLog(events=events), working_time=False, by="level")
    assert list(r.table["level"]) == ["网格", "街镇", "区"]
    levels = r.levels.set_index("level")
    # 街镇 is where c1 waits 1 h and c2 waits 2 h; it holds both between 10:00 and 11:30
    assert levels.loc["街镇", "wait_total"] == 3 * HOUR
    assert levels.loc["街镇", "wip_peak"] == 2


# --------------------------------------------------------------------------- deadlines


def test_deadline_column_overdue_cases_and_transitions(service_log):
    r = find_bottlenecks(service_log, working_time=False)
    dl = r.deadlines
    assert dl.source == "column case:deadline"
    cases = dl.cases.set_index("case")
    # A closed (结案) at 15:00, due 14:30: 30 min late
    assert not cases.loc["A", "on_time"] and cases.loc["A", "overdue"] == 30 * MIN
    # B closed at 17:05, due 18:00: on time; its callback the next day does not count
    assert cases.loc["B", "on_time"] and cases.loc["B", "overdue"] == 0
    assert dl.on_time_rate == 0.5 and dl.n_overdue == 1
    # A's overdue half hour passed while it waited between 核查 (14:00) and 结案 (15:00)
    assert list(dl.by_transition[["source", "target"]].iloc[0]) == ["核查", "结案"]
    assert dl.by_transition["overdue"].sum() == dl.overdue_total == 30 * MIN
    by_cat = dl.by_category.set_index("category")
    assert by_cat.loc["暴露垃圾", "on_time_rate"] == 0 and by_cat.loc["占道经营", "on_time_rate"] == 1
    units = r.units.set_index("unit")
    assert units.loc["城管中队", "overdue_share"] == 1.0 and units.loc["热线", "overdue_cases"] == 0


def test_no_deadline_column_means_no_deadline_section(service_log):
    events = service_log.events.drop(columns="case:deadline")
    r = find_bottlenecks(EventLog(events=events), working_time=False)
    assert r.deadlines is None
    assert "overdue_cases" not in r.units.columns


# --------------------------------------------------------------------------- options


def test_top_cuts_the_ranked_table_only(service_log):
    r = find_bottlenecks(service_log, working_time=False, top=2)
    assert len(r.table) == 2 and len(r.transitions) == 5
    assert list(r.table["target"]) == ["回访", "处置"]


def test_month_and_category_tables(service_log):
    r = find_bottlenecks(service_log, working_time=False, by="month")
    assert list(r.table["month"]) == ["2024-03"]
    assert r.table["events"].iloc[0] == 11 and r.table["cases_closed"].iloc[0] == 2
    assert r.table["on_time_rate"].iloc[0] == 0.5
    r = find_bottlenecks(service_log, working_time=False, by="category")
    cat = r.table.set_index("category")
    # 占道经营 (B) waited 0 + 240 + 30 + 0 + 1015 min
    assert cat.loc["占道经营", "wait_total"] == 1285 * MIN
    assert r.table["category"].iloc[0] == "占道经营"


def test_grouping_by_a_missing_column_says_which_option_to_use(service_log):
    events = service_log.events.drop(columns="org:resource")
    with pytest.raises(ColumnError, match="by=.unit. needs .* reading the log: resource="):
        find_bottlenecks(EventLog(events=events), by="unit", working_time=False)


def test_transition_numbers_are_the_follows_table_with_waiting_durations(service_log):
    """``procmine map --metric p90-wait`` reads abstractions.follows with these durations."""
    waits = waiting_times(service_log, working_time=False)
    table = follows(service_log, durations=waits).table.set_index(["source", "target"])
    ours = find_bottlenecks(service_log, working_time=False).transitions.set_index(
        ["source", "target"])
    for column in ("count", "median", "p90", "total"):
        assert ours[column].sort_index().equals(table[column].sort_index())


# --------------------------------------------------------------------------- equal to pm4py


@pytest.mark.real
@pytest.mark.parametrize("name", [
    "Receipt_phase_of_an_environmental_permit_application_process_WABO_CoSeLoG_project.xes.gz",
    "BPIC15_1.xes.gz",
])
def test_clock_time_edge_mean_and_median_equal_pm4py(name, real):
    path = real(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        frame = pm4py.read_xes(str(path))
        expected, _, _ = pm4py.discover_performance_dfg(frame)
    log = read_log(path)
    ours = find_bottlenecks(log, working_time=False).transitions.set_index(["source", "target"])
    assert len(ours) == len(expected)
    for edge, stats in expected.items():
        row = ours.loc[edge]
        assert row["mean"] == pytest.approx(stats["mean"], rel=1e-9, abs=1e-6), edge
        assert row["median"] == pytest.approx(stats["median"], rel=1e-9, abs=1e-6), edge
        assert row["total"] == pytest.approx(stats["sum"], rel=1e-9, abs=1e-6), edge


# --------------------------------------------------------------------------- working time


@pytest.fixture(scope="module")
def holiday_log() -> EventLog:
    columns = {k: v for k, v in COLUMNS.items() if k != "start_timestamp"}
    return read_log(FIXTURES / "bottlenecks_holiday.csv", columns=columns)


@pytest.fixture(scope="module")
def office_hours():
    from procmine.calendar import WorkingCalendar, parse_hours

    # written out so the hand arithmetic below holds whatever the default becomes
    return WorkingCalendar(kind="cn", hours=parse_hours("09:00-12:00,13:30-17:30"))


def test_working_time_skips_nights_lunch_weekend_and_spring_festival(holiday_log, office_hours):
    r = find_bottlenecks(holiday_log, calendar=office_hours)
    assert r.time_basis == "working"
    assert "Chinese public holidays" in r.calendar and "09:00-12:00, 13:30-17:30" in r.calendar
    # 上报 -> 派遣
    #   H1 Fri 03-01 16:00 -> Mon 03-04 10:00: Fri 16:00-17:30 1.5 h, weekend 0, Mon 09-10 1 h
    #   H2 Thu 02-08 16:30 -> Sun 02-18 10:00: Thu 1 h, Fri 02-09 (a working day) 7 h,
    #      02-10..02-17 Spring Festival 0, Sun 02-18 (swapped working day) 09-10 1 h
    e = _edge(r.transitions, "上报", "派遣")
    assert e["total"] == pytest.approx((2.5 + 9) * HOUR)
    assert e["median"] == pytest.approx((2.5 + 9) / 2 * HOUR)
    # 派遣 -> 处置
    #   H1 Mon 10:00 -> 14:00: 10-12 2 h, lunch 12:00-13:30 0, 13:30-14:00 0.5 h
    #   H2 Sun 02-18 10:00 -> Mon 02-19 11:00: 2 h + 4 h on Sunday, 2 h on Monday
    assert _edge(r.transitions, "派遣", "处置")["total"] == pytest.approx((2.5 + 8) * HOUR)
    # 处置 -> 结案
    #   H1 14:00 -> 19:00: 3.5 h (the evening is not working time)
    #   H2 11:00 -> 12:45: 1 h (12:00-12:45 is lunch)
    e = _edge(r.transitions, "处置", "结案")
    assert e["total"] == pytest.approx(4.5 * HOUR)
    assert r.total_wait == pytest.approx(26.5 * HOUR)
    assert list(r.transitions["source"]) == ["上报", "派遣", "处置"]


def test_clock_time_of_the_same_log(holiday_log):
    r = find_bottlenecks(holiday_log, working_time=False)
    assert r.time_basis == "clock" and r.calendar.startswith("none")
    # 66 h over the weekend, 233.5 h over the Spring Festival
    assert _edge(r.transitions, "上报", "派遣")["total"] == (66 + 233.5) * HOUR


def test_overdue_in_working_time_and_where_it_passed(holiday_log, office_hours):
    r = find_bottlenecks(holiday_log, calendar=office_hours)
    cases = r.deadlines.cases.set_index("case")
    # H1 due Mon 17:00, closed 19:00: only 17:00-17:30 is working time
    assert cases.loc["H1", "overdue"] == pytest.approx(0.5 * HOUR)
    # H2 due Fri 02-09 12:00, closed Mon 02-19 12:45: Fri 13:30-17:30 4 h, holiday 0,
    #   Sun 02-18 7 h, Mon 09:00-12:00 3 h
    assert cases.loc["H2", "overdue"] == pytest.approx(14 * HOUR)
    assert r.deadlines.on_time_rate == 0
    by = r.deadlines.by_transition.set_index(["source", "target"])["overdue"]
    # H2: 上报 -> 派遣 after 02-09 12:00 is 4 h + 1 h; 派遣 -> 处置 8 h; 处置 -> 结案 1 h
    # H1: 处置 -> 结案 after 17:00 is 0.5 h
    assert by[("派遣", "处置")] == pytest.approx(8 * HOUR)
    assert by[("上报", "派遣")] == pytest.approx(5 * HOUR)
    assert by[("处置", "结案")] == pytest.approx(1.5 * HOUR)
    assert by.index[0] == ("派遣", "处置")
    units = r.deadlines.by_unit.set_index("unit")
    assert units.loc["市政所", "overdue_cases"] == 1 and units.loc["指挥中心", "overdue_cases"] == 2
    assert units.loc["市政所", "overdue_share"] == 0.5


def test_workflow_deadlines_in_working_time(holiday_log, office_hours):
    from procmine.workflow import read_workflow

    spec = read_workflow(FIXTURES / "bottlenecks_workflow.yaml")
    r = find_bottlenecks(holiday_log, calendar=office_hours, workflow=spec)
    assert r.deadlines.source.startswith("workflow ")
    cases = r.deadlines.cases.set_index("case")
    # H1 (catch-all: 上报 -> 结案 within 4 working hours): from Fri 03-01 16:00, Fri gives
    #   1.5 h, Mon 09:00-11:30 the other 2.5 h: due Mon 11:30; closed Mon 19:00, so
    #   11:30-12:00 and 13:30-17:30 late: 4.5 h
    assert cases.loc["H1", "due"] == pd.Timestamp("2024-03-04 11:30", tz="Asia/Shanghai")
    assert cases.loc["H1", "overdue"] == pytest.approx(4.5 * HOUR)
    # H2 (道路破损: 派遣 -> 结案 within 1 working day = 7 h): from Sun 02-18 10:00, a swapped
    #   working day: 10-12 and 13:30-17:30 give 6 h, Mon 09-10 the last: due Mon 02-19 10:00;
    #   closed 12:45 (lunch from 12:00): 2 h late
    assert cases.loc["H2", "clock_start"] == pd.Timestamp("2024-02-18 10:00", tz="Asia/Shanghai")
    assert cases.loc["H2", "due"] == pd.Timestamp("2024-02-19 10:00", tz="Asia/Shanghai")
    assert cases.loc["H2", "overdue"] == pytest.approx(2 * HOUR)
    by = r.deadlines.by_transition.set_index(["source", "target"])["overdue"]
    # H1: 派遣 -> 处置 (10:00-14:00) is late from 11:30: 0.5 h + 0.5 h; 处置 -> 结案
    #   (14:00-19:00) 3.5 h. H2: 派遣 -> 处置 (Sun 10:00 - Mon 11:00) is late from Mon 10:00:
    #   1 h; 处置 -> 结案 (11:00-12:45) 1 h
    assert by[("处置", "结案")] == pytest.approx((3.5 + 1) * HOUR)
    assert by[("派遣", "处置")] == pytest.approx((1 + 1) * HOUR)
    assert by.sum() == pytest.approx(r.deadlines.overdue_total)


def test_workflow_due_times_equal_the_simulated_deadline_column():
    """The simulator writes due times from the same working-time rules as logs/workflow.yaml.

    Cases with an extension (延期批准) or parked (挂账) have a later due time in the
    log, which a workflow cannot know; every other case must agree to the second.
    """
    from procmine.simulate import simulate_log
    from procmine.workflow import read_workflow

    spec_path = Path(__file__).resolve().parents[1] / "logs" / "workflow.yaml"
    if not spec_path.exists():
        pytest.skip("logs/workflow.yaml is missing")
    log = simulate_log(cases=600, seed=3).to_event_log()
    by_column = find_bottlenecks(log).deadlines.cases.set_index("case")
    by_spec = find_bottlenecks(log, workflow=read_workflow(spec_path)).deadlines.cases
    by_spec = by_spec.set_index("case")
    events = log.events
    moved = set(events.loc[events[ACTIVITY].isin(["延期批准", "挂账"]), CASE])
    plain = [c for c in by_spec.index if c not in moved]
    assert len(plain) > 400
    assert (by_spec.loc[plain, "due"] == by_column.loc[plain, "due"]).all()
    assert (by_spec.loc[plain, "end"] == by_column.loc[plain, "end"]).all()
    assert (by_spec.loc[plain, "on_time"] == by_column.loc[plain, "on_time"]).all()


@pytest.mark.parametrize("seed", [1, 2])
def test_injected_bottleneck_unit_ranks_first(seed):
    from procmine.simulate import simulate_log

    sim = simulate_log(cases=1000, seed=seed)
    r = find_bottlenecks(sim.to_event_log(), by="unit")
    assert r.table["unit"].iloc[0] == sim.bottleneck_unit
    # its orders wait longer there than anywhere else, at the median
    assert r.table["wait_median"].iloc[0] > r.table["wait_median"].iloc[1]


# --------------------------------------------------------------------------- properties

@st.composite
def small_logs(draw):
    """Up to 6 cases of up to 6 events at 3 units, minutes apart (ties included)."""
    rows = []
    for c in range(draw(st.integers(1, 6))):
        t = draw(st.integers(0, 30))
        for _ in range(draw(st.integers(1, 6))):
            t += draw(st.integers(0, 20))
            rows.append((f"c{c}", draw(st.sampled_from("abc")), t, draw(st.sampled_from("XYZ"))))
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, "minute", "org:resource"])
    events[TIMESTAMP] = (pd.Timestamp("2024-03-04 09:00", tz="Asia/Shanghai")
                         + pd.to_timedelta(events.pop("minute"), unit="min"))
    return EventLog(events=events)


def _stays_by_hand(events: pd.DataFrame) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    stays = []
    for _, case in events.groupby(CASE, sort=False):
        rows = list(case.itertuples(index=False))
        i = 0
        while i < len(rows):
            j = i
            while j + 1 < len(rows) and rows[j + 1][3] == rows[i][3]:
                j += 1
            begin = rows[i - 1][2] if i > 0 else rows[i][2]
            stays.append((rows[i][3], begin, rows[j][2]))
            i = j + 1
    return stays


@settings(max_examples=60, deadline=None)
@given(small_logs())
def test_wip_and_shares_agree_with_a_loop_over_the_definition(log):
    r = find_bottlenecks(log, working_time=False, by="unit")
    stays = _stays_by_hand(log.events[[CASE, ACTIVITY, TIMESTAMP, "org:resource"]])
    span = (log.events[TIMESTAMP].max() - log.events[TIMESTAMP].min()).total_seconds()
    units = r.units.set_index("unit")
    for unit in units.index:
        mine = [(b, e) for u, b, e in stays if u == unit]
        # open at t: begun at or before t and not yet ended (a hand-over at t closes first)
        peak = max([sum(b2 <= b < e2 for b2, e2 in mine) for b, e in mine if e > b], default=0)
        assert units.loc[unit, "wip_peak"] == peak
        busy = sum((e - b).total_seconds() for b, e in mine)
        if span > 0:
            assert units.loc[unit, "wip_mean"] == pytest.approx(busy / span)
    if r.total_wait > 0:
        assert r.transitions["share"].sum() == pytest.approx(1.0)
        assert r.activities["wait_share"].sum() == pytest.approx(1.0)
    assert r.transitions["total"].sum() == pytest.approx(r.total_wait)


def test_transitions_equal_the_engines_working_time_follows(holiday_log):
    """The engines' follows table (what the process map reads; the DuckDB and Spark
    engines are tested equal to it) gives the same waits on logs without start
    times, in working time of the same calendar."""
    from procmine.calendar import WorkingCalendar
    from procmine.engines import get_engine
    from procmine.simulate import simulate_log

    for log in (holiday_log, simulate_log(cases=200, seed=5).to_event_log()):
        cal = WorkingCalendar()
        engine = get_engine("pandas", log)
        try:
            theirs = engine.follows(time="working", calendar=cal).table
        finally:
            engine.close()
        theirs = theirs.set_index(["source", "target"]).sort_index()
        ours = find_bottlenecks(log, calendar=cal).transitions.set_index(
            ["source", "target"]).sort_index()
        assert list(ours.index) == list(theirs.index)
        for column in ("count", "median", "p90", "total"):
            np.testing.assert_allclose(ours[column].to_numpy(float),
                                       theirs[column].to_numpy(float), rtol=1e-9, atol=1e-6)


def test_service_and_waiting_in_working_time(service_log, office_hours):
    r = find_bottlenecks(service_log, calendar=office_hours, by="activity")
    act = r.activities.set_index("activity")
    # 处置: A 11:00-13:00 is 1 h of office time (lunch 12:00-13:30), B 14:20-16:20 2 h
    assert act.loc["处置", "service_total"] == pytest.approx(3 * HOUR)
    # waiting before 处置: A 09:50-11:00 70 min; B 10:20-14:20 is 100 + 50 min around lunch
    assert act.loc["处置", "wait_total"] == pytest.approx((70 + 150) * MIN)
    # 结案 -> 回访: B 17:05 to 10:00 next day: 17:05-17:30 and 09:00-10:00
    assert _edge(r.transitions, "结案", "回访")["total"] == pytest.approx((25 + 60) * MIN)


def test_process_map_p90_wait_equals_the_transition_table(service_log, office_hours):
    """``procmine map --metric p90-wait`` draws discover_map's edges; given the same
    waiting times (working time, starts taken into account) they are these numbers."""
    from procmine.discover import discover_map

    waits = waiting_times(service_log, calendar=office_hours)
    pmap = discover_map(service_log, metric="p90-wait", flows=follows(service_log, durations=waits))
    edges = pmap.edges.dropna(subset=["p90"]).set_index(["source", "target"]).sort_index()
    ours = find_bottlenecks(service_log, calendar=office_hours).transitions
    ours = ours.set_index(["source", "target"]).sort_index()
    assert list(edges.index) == list(ours.index)
    assert edges["value"].tolist() == ours["p90"].tolist()


def test_workflow_clock_of_a_case_without_its_end_step_runs_to_its_last_event(
        holiday_log, office_hours):
    from procmine.workflow import read_workflow

    events = holiday_log.events
    still_open = events[~((events[CASE] == "H2") & (events[ACTIVITY] == "结案"))]
    spec = read_workflow(FIXTURES / "bottlenecks_workflow.yaml")
    r = find_bottlenecks(EventLog(events=still_open.reset_index(drop=True)),
                         calendar=office_hours, workflow=spec)
    h2 = r.deadlines.cases.set_index("case").loc["H2"]
    # due Mon 02-19 10:00, last event 处置 at 11:00: 1 h late so far
    assert h2["end"] == pd.Timestamp("2024-02-19 11:00", tz="Asia/Shanghai")
    assert h2["overdue"] == pytest.approx(1 * HOUR)


# --------------------------------------------------------------------------- engines, part by part

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "logs" / "sample.csv"
TABLES = ("transitions", "activities", "units", "levels", "categories", "months")
PARTS = ("cases", "by_category", "by_unit", "by_transition")


def assert_same_result(memory, engine, *, exact: bool = True) -> None:
    """Every table of two results equal: row order, columns, types and values.

    ``exact``: bitwise (logs in whole seconds: every sum is exact). Otherwise the
    sums may differ in the last bits (they add up part by part), to 1e-12.
    """
    def same(a, b, what):
        if a is None or b is None:
            assert a is None and b is None, what
            return
        if exact:
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=what)
        else:
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-9,
                                          obj=what)

    same(memory.table, engine.table, f"--by {memory.by}")
    for name in TABLES:
        same(getattr(memory, name), getattr(engine, name), name)
    assert (memory.deadlines is None) == (engine.deadlines is None)
    if memory.deadlines is not None:
        for name in PARTS:
            same(getattr(memory.deadlines, name), getattr(engine.deadlines, name), name)
        assert engine.deadlines.source == memory.deadlines.source
    assert engine.total_wait == pytest.approx(memory.total_wait, rel=0 if exact else 1e-12)
    assert (engine.notes, engine.calendar, engine.service_time) == (
        memory.notes, memory.calendar, memory.service_time)


@pytest.fixture(scope="module")
def sample_log() -> EventLog:
    if not SAMPLE.exists():
        pytest.skip("logs/sample.csv is missing")
    return read_log(SAMPLE)


@pytest.fixture(scope="module")
def sample_duckdb(sample_log):
    from procmine.engines import get_engine

    with get_engine("duckdb", SAMPLE, memory_limit="1GiB") as engine:
        yield engine


@pytest.fixture(scope="module")
def sample_workflow():
    from procmine.workflow import read_workflow

    return read_workflow(ROOT / "logs" / "workflow.yaml")


@pytest.mark.parametrize("working_time", [True, False], ids=["working", "clock"])
def test_duckdb_in_parts_equals_memory_for_every_table(sample_log, sample_duckdb, working_time):
    """7 parts of about 5,000 events; the deadlines from the deadline column."""
    memory = find_bottlenecks(sample_log, working_time=working_time)
    parts = find_bottlenecks(sample_duckdb, working_time=working_time, part_events=5000)
    assert parts.deadlines.n_cases == 3000 and parts.deadlines.n_overdue == memory.deadlines.n_overdue
    # the figures come from the one pass; the case table (a row per case) only when read
    assert callable(parts.deadlines._cases)
    ours, theirs = parts.deadlines.summary(), memory.deadlines.summary()
    assert ours.pop("source") == theirs.pop("source")
    assert ours == pytest.approx(theirs, rel=1e-12, nan_ok=True)
    assert_same_result(memory, parts)


@pytest.mark.parametrize("by", ["transition", "activity", "unit", "level", "category", "month"])
def test_duckdb_in_parts_equals_memory_by_each_table_with_workflow_deadlines(
        sample_log, sample_duckdb, sample_workflow, by):
    memory = find_bottlenecks(sample_log, by=by, workflow=sample_workflow, top=10)
    parts = find_bottlenecks(sample_duckdb, by=by, workflow=sample_workflow, top=10,
                             part_events=5000)
    assert 0 < len(parts.table) <= 10
    pd.testing.assert_frame_equal(memory.table, parts.table, check_exact=True)
    pd.testing.assert_frame_equal(memory.transitions, parts.transitions, check_exact=True)
    for name in PARTS:
        pd.testing.assert_frame_equal(getattr(memory.deadlines, name),
                                      getattr(parts.deadlines, name), check_exact=True)
    assert parts.deadlines.source.startswith("workflow ")


def test_pandas_engine_in_parts_equals_the_log_in_memory(sample_log):
    from procmine.engines import get_engine

    memory = find_bottlenecks(sample_log, by="unit")
    with get_engine("pandas", sample_log) as engine:
        parts = find_bottlenecks(engine, by="unit", part_events=5000)
        assert_same_result(memory, parts)


def test_duckdb_in_parts_with_start_times(service_log, office_hours):
    """Each case of the service log its own part: service times, the note about the
    event without a start, WIP peaks across parts (城管中队 holds A and B at once)."""
    from procmine.engines import get_engine

    with get_engine("duckdb", FIXTURES / "bottlenecks_service.csv", columns=COLUMNS) as engine:
        for calendar in (None, office_hours):
            memory = find_bottlenecks(service_log, by="activity", calendar=calendar)
            parts = find_bottlenecks(engine, by="activity", calendar=calendar, part_events=4)
            assert_same_result(memory, parts)
        assert parts.units.set_index("unit").loc["城管中队", "wip_peak"] == 2
        assert parts.notes[0].startswith("1 event has no start time")
        with pytest.raises(ColumnError, match="by=.level. needs .* reading the log: level="):
            find_bottlenecks(engine, by="level", part_events=4)


def test_transition_waits_is_the_map_table_in_memory_and_in_parts(sample_log, sample_duckdb):
    waits = waiting_times(sample_log, calendar="cn")
    expected = follows(sample_log, durations=waits)
    memory = transition_waits(sample_log, working_time=True, calendar="cn")
    parts = transition_waits(sample_duckdb, working_time=True, calendar="cn", part_events=5000)
    for got in (memory, parts):
        pd.testing.assert_frame_equal(expected.table, got.table, check_exact=True)
        assert got.starts == expected.starts and got.ends == expected.ends


@pytest.mark.real
def test_duckdb_in_parts_equals_memory_on_receipt(real):
    """1,434 cases in 3 parts. Times are in milliseconds, so the sums may differ from
    the in-memory ones in the last bits, and so may a transition's median of an even
    count (pandas takes the midpoint (a + b) / 2, the parts a + (b - a) / 2); counts
    and p90 are exact."""
    from procmine.engines import get_engine

    path = real("receipt.csv")
    log = read_log(path)
    with get_engine("duckdb", path) as engine:
        for working_time in (True, False):
            memory = find_bottlenecks(log, by="unit", working_time=working_time)
            parts = find_bottlenecks(engine, by="unit", working_time=working_time,
                                     part_events=3000)
            assert_same_result(memory, parts, exact=False)
            for column in ("count", "cases", "p90"):
                assert parts.transitions[column].equals(memory.transitions[column]), column


@pytest.mark.slow
def test_spark_in_parts_equals_memory(sample_log, sample_workflow, spark):
    from procmine.engines import get_engine

    memory = find_bottlenecks(sample_log, by="unit", workflow=sample_workflow)
    with get_engine("spark", SAMPLE, spark=spark) as engine:
        parts = find_bottlenecks(engine, by="unit", workflow=sample_workflow, part_events=12000)
        pd.testing.assert_frame_equal(memory.table, parts.table, check_exact=True)
        pd.testing.assert_frame_equal(memory.transitions, parts.transitions, check_exact=True)
        for name in PARTS:
            pd.testing.assert_frame_equal(getattr(memory.deadlines, name),
                                          getattr(parts.deadlines, name), check_exact=True)


# -- working time counts in the zone the log was read in (--timezone) ------------------------
def _office_seconds(t0: pd.Timestamp, t1: pd.Timestamp, zone: str) -> float:
    """Weekdays 09:00-17:00 on the wall clock of ``zone``, day by day: slow and plainly right."""
    a, b = t0.tz_convert(zone).tz_localize(None), t1.tz_convert(zone).tz_localize(None)
    total, day = 0.0, a.normalize()
    while day <= b:
        if day.weekday() < 5:
            lo, hi = max(a, day + pd.Timedelta(hours=9)), min(b, day + pd.Timedelta(hours=17))
            total += max(0.0, (hi - lo).total_seconds())
        day += pd.Timedelta(days=1)
    return total


def test_receipt_waits_follow_the_timezone_and_match_a_hand_count(real):
    path = real("receipt.csv")
    waits, totals = {}, {}
    for zone in ("Asia/Shanghai", "Europe/Amsterdam"):
        log = read_log(path, timezone=zone)
        waits[zone] = waiting_times(log, calendar="weekdays")
        totals[zone] = find_bottlenecks(log, calendar="weekdays").total_wait
        events = log.events.reset_index(drop=True)
        first = events.index[events[CASE] == "case-10011"][:4]
        for i in first[1:]:
            want = _office_seconds(events[TIMESTAMP][i - 1], events[TIMESTAMP][i], zone)
            assert waits[zone][i] == pytest.approx(want, abs=1e-3)
    # case-10011: completed Tue 11 Oct 2011 13:45:40.276+02:00, next Wed 12 Oct 08:26:25.398+02:00.
    # Amsterdam: 13:45:40.276-17:00 on Tuesday; Shanghai (+08:00): 09:00-14:26:25.398 on Wednesday
    i = int(events.index[events[CASE] == "case-10011"][1])
    assert waits["Europe/Amsterdam"][i] == pytest.approx(3 * 3600 + 14 * 60 + 19.724, abs=1e-3)
    assert waits["Asia/Shanghai"][i] == pytest.approx(5 * 3600 + 26 * 60 + 25.398, abs=1e-3)
    assert totals["Asia/Shanghai"] != pytest.approx(totals["Europe/Amsterdam"], rel=1e-4)
