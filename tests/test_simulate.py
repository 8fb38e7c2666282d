"""The simulator: determinism, rates, truth consistent with the events, times and deadlines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from procmine.calendar import WorkingCalendar
from procmine.errors import OutputError, SpecError
from procmine.log import ACTIVITY, CASE, DEADLINE, KIND, LEVEL, RESOURCE, TIMESTAMP
from procmine.simulate import (
    BOTTLENECK_UNIT,
    CATEGORIES,
    DEFAULT_RATES,
    PATTERNS,
    SOURCES,
    UNITS,
    read_rates,
    simulate_log,
    truth_path,
    write_simulation,
)
from procmine.vocabulary import STEPS, role_of

CAL = WorkingCalendar()


@pytest.fixture(scope="module")
def big():
    """5,000 cases at the default rates (about 60,000 events)."""
    return simulate_log(cases=5000, seed=11)


@pytest.fixture(scope="module")
def big_log(big):
    return big.to_event_log()


# -- the definitions of docs/simulate.md, written plainly case by case ---------------
def reference_flags(log) -> pd.DataFrame:
    """Each pattern's definition evaluated on the events alone (no truth, no simulator code)."""
    ev = log.events
    rank = {name: i for i, name in enumerate(log.levels)}
    rows = {}
    for case, g in ev.groupby(CASE, sort=False):
        role = [role_of(a) for a in g[ACTIVITY]]
        unit = g[RESOURCE].tolist()
        level = [rank[x] for x in g[LEVEL]]
        kind = g[KIND].tolist()
        ts = g[TIMESTAMP].tolist()
        n = len(role)
        # escalation round trip: 提级 by U at L; then only units above L, no 处置 there;
        # then a 下派 whose next event is by U
        escalation = False
        for i in range(n):
            if role[i] != "escalate":
                continue
            for j in range(i + 1, n - 1):
                if level[j] <= level[i] or role[j] == "handle":
                    break
                if role[j] == "assign_down" and unit[j + 1] == unit[i]:
                    escalation = True
                    break
        # ping-pong: 退单 by A, 改派 to B, 退单 by B, 改派 back to A (target = next event's unit)
        returns = [i for i in range(n) if role[i] == "return"]

        def redispatch_after(k: int, role=role, unit=unit, n=n) -> tuple[int | None, str | None]:
            j = next((j for j in range(k + 1, n - 1) if role[j] == "redispatch"), None)
            return (j, unit[j + 1]) if j is not None else (None, None)

        pingpong = False
        for i in returns:
            j, b = redispatch_after(i)
            if j is None or b == unit[i]:
                continue
            k = next((k for k in returns if k > j), None)
            if k is not None and unit[k] == b and redispatch_after(k)[1] == unit[i]:
                pingpong = True
        handles = [i for i in range(n) if role[i] == "handle"]
        line_returns = [i for i in returns if kind[i] == "line"]
        dumping = bool(line_returns and handles and handles[-1] > line_returns[0]
                       and kind[handles[-1]] == "block")
        failed = [i for i in range(n) if role[i] == "check_failed"]
        rework = any(h > f for f in failed for h in handles)
        closes = [i for i in range(n) if role[i] == "close"]
        reopen = bool(closes) and any(h > closes[0] and any(role[x] in ("dissatisfied", "reopen")
                                                            for x in range(closes[0], h))
                                      for h in handles)
        desk = any(role[i] == "check" and role[i - 1] == "feedback"
                   and (ts[i] - ts[i - 1]).total_seconds() < 300 for i in range(1, n))
        dispatch = next(i for i in range(n) if role[i] == "dispatch")
        rows[case] = {"escalation": escalation, "pingpong": pingpong, "dumping": dumping,
                      "rework": rework, "reopen": reopen, "desk": desk,
                      "_dispatch": ts[dispatch], "_close": ts[closes[-1]],
                      "_deadline": g[DEADLINE].iloc[0], "_handler": unit[handles[-1]]}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    # deadline hugging: the final 结案 in the last 10% of the working window from the first 派遣
    used = (CAL.working_seconds(frame["_dispatch"], frame["_close"])
            / CAL.working_seconds(frame["_dispatch"], frame["_deadline"]))
    frame["hugging"] = (used >= 0.9) & (frame["_close"] <= frame["_deadline"])
    frame["_used"] = used
    return frame


def test_truth_is_exactly_what_the_definitions_find(big, big_log):
    ref = reference_flags(big_log)
    truth = big.truth.set_index("case_id")
    for pattern in PATTERNS:
        flagged = truth[pattern].astype(bool)
        found = ref[pattern].reindex(flagged.index).astype(bool)
        assert flagged.sum() > 100, pattern
        missed = list(flagged.index[flagged & ~found][:3])
        extra = list(flagged.index[found & ~flagged][:3])
        assert not missed and not extra, f"{pattern}: truth-only {missed}, events-only {extra}"
    np.testing.assert_allclose(truth["window_used"], ref["_used"].reindex(truth.index), atol=1e-3)
    bottleneck = ref["_handler"].reindex(truth.index) == UNITS[BOTTLENECK_UNIT].zh
    assert (bottleneck == truth["bottleneck"].astype(bool)).all()


def test_truth_details_name_the_units_involved(big, big_log):
    ev = big_log.events
    truth = big.truth.set_index("case_id")
    rt = truth[truth["escalation"] == 1]
    escalations = ev[ev[ACTIVITY] == STEPS["escalate"][0]].groupby(CASE)[RESOURCE].first()
    assert (escalations.reindex(rt.index) == rt["escalation_unit"]).all()
    assert set(rt["escalation_levels"]) == {1, 2}
    ranks = {"网格": 0, "居村": 1, "街镇": 2, "区": 3, "市": 4}
    crossed = rt["escalation_to_level"].map(ranks) - rt["escalation_from_level"].map(ranks)
    assert (crossed == rt["escalation_levels"]).all()
    pp = truth[truth["pingpong"] == 1]
    returns = ev[ev[ACTIVITY] == "退单"].groupby(CASE)[RESOURCE].agg(list)
    assert all(returns[c][:2] == [a, b] for c, a, b in zip(pp.index, pp["pingpong_a"], pp["pingpong_b"],
                                                            strict=True))
    dd = truth[truth["dumping"] == 1]
    kinds = {u.zh: u.kind for u in UNITS.values()}
    assert (dd["dumping_line_unit"].map(kinds) == "line").all()
    assert (dd["dumping_block_unit"].map(kinds) == "block").all()
    assert (truth.loc[truth["rework"] == 1, "rework_count"] >= 1).all()
    assert (truth.loc[truth["desk"] == 1, "desk_seconds"] < 300).all()


# -- rates -------------------------------------------------------------------------------
def test_injected_shares_are_within_tolerance_of_the_rates(big):
    n = len(big.truth)
    for pattern in PATTERNS:
        share = big.truth[pattern].mean()
        rate = DEFAULT_RATES[pattern]
        # four binomial standard deviations at 5,000 cases
        assert abs(share - rate) <= 4 * np.sqrt(rate * (1 - rate) / n), (pattern, share, rate)


def test_rates_are_configurable():
    rates = {"escalation": 0.2, "pingpong": 0.0, "dumping": 0.1, "rework": 0.0,
             "reopen": 0.15, "hugging": 0.2, "desk": 0.3}
    truth = simulate_log(cases=5000, seed=4, rates=rates).truth
    for pattern, rate in rates.items():
        tolerance = 4 * np.sqrt(rate * (1 - rate) / len(truth))
        assert abs(truth[pattern].mean() - rate) <= tolerance, pattern
    assert truth["pingpong"].sum() == 0 and truth["rework"].sum() == 0


def test_rates_file_and_its_errors(tmp_path):
    good = tmp_path / "rates.yaml"
    good.write_text("escalation: 0.12\nbottleneck_slowdown: 6\n", encoding="utf-8")
    rates = read_rates(good)
    assert rates["escalation"] == 0.12 and rates["bottleneck_slowdown"] == 6
    assert rates["reopen"] == DEFAULT_RATES["reopen"]
    for text, message in (("roundtrip: 0.1\n", "unknown rate 'roundtrip'"),
                          ("reopen: 0.9\n", "from 0 to 0.5"),
                          ("reopen: lots\n", "not a number"),
                          ("- 0.1\n", "expected a mapping")):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(SpecError, match=message):
            read_rates(bad)


# -- determinism -------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xes", ".parquet"])
def test_same_seed_same_bytes_different_seed_different_log(tmp_path, suffix):
    paths = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        path = tmp_path / f"{name}{suffix}"
        write_simulation(simulate_log(cases=300, seed=seed), path)
        paths.append(path)
    a, b, c = (p.read_bytes() for p in paths)
    assert a == b
    assert a != c
    assert truth_path(paths[0]).read_bytes() == truth_path(paths[1]).read_bytes()


# -- times -------------------------------------------------------------------------------
def test_times_increase_within_cases_and_steps_keep_office_hours(big_log):
    ev = big_log.events
    same_case = ev[CASE].to_numpy()[1:] == ev[CASE].to_numpy()[:-1]
    ns = ev[TIMESTAMP].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    assert (np.diff(ns.astype(np.int64))[same_case] > 0).all()
    after_report = ev[ev[ACTIVITY] != "上报"]
    assert CAL.is_working_time(after_report[TIMESTAMP]).all()
    grid = ev[(ev[ACTIVITY] == "上报") & (ev[LEVEL] == "网格")]
    assert len(grid) > 1000 and CAL.is_working_time(grid[TIMESTAMP]).all()
    hotline = ev[(ev[ACTIVITY] == "上报") & (ev[RESOURCE] == "12345热线")]
    assert not CAL.is_working_time(hotline[TIMESTAMP]).all()     # citizens call in the evening too


def test_deadlines_are_counted_in_working_time(big, big_log):
    ev = big_log.events
    first = ev.groupby(CASE, sort=False).first()
    dispatch = ev[ev[ACTIVITY] == "派遣"].groupby(CASE, sort=False)[TIMESTAMP].first()
    truth = big.truth.set_index("case_id")
    hours = (truth["allowed_hours"] + truth["extra_hours"]).reindex(dispatch.index)
    due = CAL.add_working_time(dispatch, hours.to_numpy() * 3600)
    gap = (first[DEADLINE].reindex(dispatch.index) - due).dt.total_seconds().abs()
    assert gap.max() <= 2


def test_a_case_across_national_day_is_due_after_the_holiday():
    result = simulate_log(cases=300, seed=2, start="2024-09-27")
    log = result.to_event_log()
    ev = log.events
    dispatch = ev[ev[ACTIVITY] == "派遣"].groupby(CASE)[TIMESTAMP].first()
    deadline = ev.groupby(CASE)[DEADLINE].first()
    truth = result.truth.set_index("case_id")
    # dispatched on Mon 30 Sep, with more working time allowed than is left that day
    allowed = truth["allowed_hours"].reindex(dispatch.index) * 3600
    left = CAL.working_seconds(dispatch, pd.Series(pd.Timestamp("2024-09-30 17:30", tz="Asia/Shanghai"),
                                                   index=dispatch.index))
    on_eve = (dispatch.dt.date == pd.Timestamp("2024-09-30").date()) & (allowed > left) & \
        (truth["extra_hours"] == 0).reindex(dispatch.index)
    assert on_eve.sum() >= 3
    for case in on_eve[on_eve].index:
        due = deadline[case]
        assert due >= pd.Timestamp("2024-10-08 09:00", tz="Asia/Shanghai")
        assert CAL.working_seconds(dispatch[case], due) == pytest.approx(truth.at[case, "allowed_hours"] * 3600,
                                                                          abs=2)
    # nobody works during the holiday; only citizens and cameras report
    holiday = ev[(ev[TIMESTAMP] >= pd.Timestamp("2024-10-01", tz="Asia/Shanghai"))
                 & (ev[TIMESTAMP] < pd.Timestamp("2024-10-08", tz="Asia/Shanghai"))]
    assert len(holiday) > 0 and set(holiday[ACTIVITY]) == {"上报"}


def test_clock_calendar_works_around_the_clock():
    ev = simulate_log(cases=400, seed=1, calendar="none").to_event_log().events
    steps = ev[ev[ACTIVITY] != "上报"]
    assert not CAL.is_working_time(steps[TIMESTAMP]).all()


def test_a_year_without_holiday_data_is_noted_not_fatal():
    with pytest.warns(UserWarning, match="2027"):
        result = simulate_log(cases=100, seed=1, start="2027-03-01")
    assert any(note.startswith("2027") for note in result.notes)


# -- the model ----------------------------------------------------------------------------
def test_bottleneck_unit_is_much_slower_than_its_peers(big_log):
    ev = big_log.events
    prev = ev.groupby(CASE)[TIMESTAMP].shift()
    handle = ev[ACTIVITY] == "处置"
    waits = pd.Series(CAL.working_seconds(prev[handle], ev.loc[handle, TIMESTAMP]).to_numpy(),
                      index=ev.loc[handle, RESOURCE].to_numpy())
    street_lines = [u.zh for u in UNITS.values() if u.level == "街镇" and u.kind == "line"]
    medians = waits.groupby(level=0).median().reindex(street_lines)
    slow = medians[UNITS[BOTTLENECK_UNIT].zh]
    assert slow >= 2.5 * medians.drop(UNITS[BOTTLENECK_UNIT].zh).max()


def test_work_in_progress_raises_waiting(big_log):
    ev = big_log.events
    sign = ev[ACTIVITY] == "签收"
    handle = ev[ACTIVITY] == "处置"
    # per case: the first handling and the signature just before it
    h = ev[handle].groupby(CASE).head(1)
    s = ev[sign | handle].groupby(CASE).head(2)
    s = s[s[ACTIVITY] == "签收"].groupby(CASE).tail(1)
    pairs = pd.DataFrame({"unit": h.set_index(CASE)[RESOURCE],
                          "start": s.set_index(CASE)[TIMESTAMP].reindex(h[CASE]).to_numpy(),
                          "end": h.set_index(CASE)[TIMESTAMP]}).dropna()
    pairs["wait"] = CAL.working_seconds(pairs["start"], pairs["end"])
    # orders already waiting at the unit when this one arrives
    wip = []
    for _, g in pairs.groupby("unit"):
        starts = np.sort(g["start"].to_numpy())
        ends = np.sort(g["end"].to_numpy())
        here = g["start"].to_numpy()
        wip.append(pd.Series(np.searchsorted(starts, here, side="left") - np.searchsorted(ends, here, side="right"),
                             index=g.index))
    pairs["wip"] = pd.concat(wip)
    within = pairs.groupby("unit")[["wip", "wait"]].rank()
    assert within["wip"].corr(within["wait"]) > 0.2


def test_public_tables_are_consistent():
    for key, cat in CATEGORIES.items():
        assert cat.zh and cat.en and cat.owner in ("line", "block") and cat.deadline > 0, key
        assert cat.deadline_unit in ("hours", "days")
        for handler, weight in cat.handlers:
            assert handler == "community" or handler in UNITS
            assert weight > 0
    assert CATEGORIES["structure"].deadline_seconds() == 15 * 7 * 3600
    assert CATEGORIES["cleaning"].deadline_text("zh") == "2个工作小时"
    assert abs(sum(s.share for s in SOURCES.values()) - 1) < 1e-9
    for unit in UNITS.values():
        assert unit.parent is None or unit.parent in UNITS
        assert unit.level in ("网格", "居村", "街镇", "区", "市")


def test_sources_follow_their_shares(big):
    shares = big.truth["source"].value_counts(normalize=True)
    for source in SOURCES.values():
        assert abs(shares[source.zh] - source.share) < 0.03


def test_english_labels_map_to_the_same_roles():
    zh = simulate_log(cases=200, seed=9).events
    en = simulate_log(cases=200, seed=9, lang="en").events
    assert en.columns.tolist() == ["case_id", "activity", "timestamp", "resource", "level", "kind",
                                   "category", "source", "deadline", "citizen", "address"]
    assert [role_of(a) for a in zh["环节"]] == [role_of(a) for a in en["activity"]]
    assert None not in {role_of(a) for a in en["activity"].unique()}
    assert set(en["kind"]) == {"line", "block"} and set(zh["单位类型"]) == {"条", "块"}
    assert (zh["时间"] == en["timestamp"]).all()


def test_argument_errors(tmp_path):
    with pytest.raises(SpecError, match="lang"):
        simulate_log(cases=10, seed=1, lang="fr")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="start"):
        simulate_log(cases=10, seed=1, start="soon")
    with pytest.raises(SpecError, match="cases"):
        simulate_log(cases=0, seed=1)
    with pytest.raises(SpecError, match="seed -1: expected a whole number, 0 or more"):
        simulate_log(cases=3, seed=-1)
    with pytest.raises(SpecError, match="1,000 cases at 0.01 a day and their handling run past 2262"):
        simulate_log(cases=1000, seed=1, cases_per_day=0.01)
    with pytest.raises(OutputError, match="unknown log format"):
        write_simulation(simulate_log(cases=10, seed=1), tmp_path / "log.txt")


def test_written_formats_read_back_alike(tmp_path):
    from procmine.read import read_log

    result = simulate_log(cases=150, seed=6)
    counts = set()
    for suffix in (".csv", ".parquet", ".xes", ".xes.gz"):
        path = tmp_path / f"log{suffix}"
        write_simulation(result, path)
        log = read_log(str(path))
        counts.add((log.n_cases, log.n_events, log.n_activities))
        assert log.has(DEADLINE) and log.has(KIND)
    assert counts == {(150, result.n_events, result.events["环节"].nunique())}


# -- the reform option -------------------------------------------------------------------
def test_a_reform_changes_rates_and_service_only_after_its_date():
    from procmine.simulate import Reform

    reform = Reform(date="2024-02-01", rates={"pingpong": 0.0, "reopen": 0.2},
                    service={"房管办": 0.4})
    sim = simulate_log(cases=4000, seed=21, reform=reform)
    truth = sim.truth
    after = truth["reformed"] == 1
    assert 0.2 < after.mean() < 0.8
    assert truth.loc[after, "pingpong"].sum() == 0
    assert truth.loc[~after, "pingpong"].mean() > 0.02
    assert truth.loc[after, "reopen"].mean() > 2 * truth.loc[~after, "reopen"].mean()
    # the reform's date is the report time of the case
    first = sim.events.groupby("工单编号", sort=False)["时间"].min()
    reported_after = first >= pd.Timestamp("2024-02-01", tz="Asia/Shanghai")
    assert (reported_after.to_numpy() == after.to_numpy()).all()
    assert sim.to_dict()["reform"]["service"] == {"housing": 0.4}


def test_without_a_reform_the_random_numbers_are_drawn_as_before():
    from procmine.simulate import Reform

    plain = simulate_log(cases=500, seed=9)
    # a reform that starts after the last case changes nothing, not even the draws
    late = simulate_log(cases=500, seed=9, reform=Reform(date="2030-01-01",
                                                         rates={"pingpong": 0.3}))
    pd.testing.assert_frame_equal(plain.events, late.events)
    assert "reformed" not in plain.truth.columns
    assert any("no case" in note for note in late.notes)


def test_reform_file_and_its_errors(tmp_path):
    from procmine.simulate import read_reform

    good = tmp_path / "reform.yaml"
    good.write_text("date: 2024-03-01\nrates:\n  pingpong: 0.02\nservice:\n  housing office: 0.5\n",
                    encoding="utf-8")
    reform = read_reform(good)
    assert (reform.date, reform.rates, reform.service) == ("2024-03-01", {"pingpong": 0.02},
                                                           {"housing": 0.5})
    assert read_reform(good, date="2024-05-01").date == "2024-05-01"
    for text, message in (("rates:\n  ping-pong: 0.1\n", "unknown rate 'ping-pong'"),
                          ("service:\n  nobody: 0.5\n", "unknown unit 'nobody'"),
                          ("service:\n  housing: 0\n", "from 0.05 to 20"),
                          ("date: 2024-03-01\nextra: 1\n", "unknown key 'extra'"),
                          ("rates:\n  pingpong: 0.1\n", "no date")):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(SpecError, match=message):
            read_reform(bad)
