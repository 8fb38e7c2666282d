"""procmine.audit's sections of issue 24 (citizens, burden, overload): each definition pinned
on a hand-made fixture, the simulator's truth found across seeds, every engine alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from procmine.audit import audit_log, read_governance
from procmine.errors import SpecError
from procmine.read import read_log
from procmine.simulate import simulate_log
from procmine.simulate.governance import BURDENED_UNITS, OVERLOAD_UNITS, UPWARD_UNITS
from procmine.simulate.model import UNITS
from procmine.vocabulary import OVERLOADED, PLATFORM_EXTRA, UPWARD_SLOWED

HERE = Path(__file__).parent
ORDERS = HERE / "fixtures" / "governance_orders.csv"
SAMPLE = HERE.parent / "logs" / "sample.csv"
NEW = ("citizens", "burden", "overload")
MIN = 60.0


@pytest.fixture(scope="module")
def fixture_audit():
    # clock time: the spans below are read off the fixture's times directly
    return audit_log(read_log(ORDERS), calendar="none", sections=NEW)


def orders(result) -> pd.DataFrame:
    return result.overload["load"]


# --------------------------------------------------------------------------- citizens


def test_sources_fall_into_citizen_internal_and_other(fixture_audit):
    s = fixture_audit.citizens["summary"]
    # 12345热线 and 随手拍 are citizens' channels; 网格巡查 and 智能发现 internal; 其他 neither
    assert (s["citizen_orders"], s["internal_orders"], s["other_orders"]) == (3, 2, 1)


def test_the_times_are_the_medians_of_each_group(fixture_audit):
    table = fixture_audit.citizens["indicators"].set_index("indicator")
    # acceptance: G01 70 min, G03 2 h (after a return), G06 40 min; G02 20 min, G04 30 min
    assert table.loc["accept_s", "citizen"] == 70 * MIN
    assert table.loc["accept_s", "internal"] == 25 * MIN
    # the first response of G03 is its return at 09:40, before anyone accepted: 40 min,
    # as G06's sign; G01 70 min
    assert table.loc["response_s", "citizen"] == 40 * MIN
    assert table.loc["close_s", "internal"] == (90 + 180) / 2 * MIN


def test_rates_count_returns_bounce_backs_paper_closures_and_verdicts(fixture_audit):
    table = fixture_audit.citizens["indicators"].set_index("indicator")
    assert table.loc["returned", "citizen"] == pytest.approx(1 / 3)        # G03
    assert table.loc["paper_only", "citizen"] == pytest.approx(1 / 3)      # G03: 签收, 填报, 结案
    assert table.loc["bounced_back", "internal"] == pytest.approx(1 / 2)   # G04: 核查不通过
    assert table.loc["dissatisfied", "citizen"] == pytest.approx(1 / 3)    # G06
    assert table.loc["reopened", "citizen"] == pytest.approx(1 / 3)
    assert set(table["test"]) == {"Mann-Whitney U", "Fisher exact"}        # as compare tests


def test_the_answer_is_the_accepting_units_own_time(fixture_audit):
    unit = fixture_audit.citizens["by_unit"].set_index("unit")
    # 城管中队: citizens G01 60 min, G06 30 min; internal G02 15 min, G04 20 min
    assert unit.loc["城管中队", "citizen"] == 2 and unit.loc["城管中队", "internal"] == 2
    # relative to the category's median (暴露垃圾: 20, 30, 60, 15, 60 min -> 30 min)
    assert unit.loc["城管中队", "answer_ratio"] == pytest.approx((45 / 30) / (17.5 / 30))
    assert pd.isna(unit.loc["城管中队", "p_value"])                         # too few to test
    assert fixture_audit.citizens["by_street"]["street"].tolist() == ["街道城运中心"]


# --------------------------------------------------------------------------- burden


def test_platform_and_field_steps_are_the_units_own(fixture_audit):
    unit = fixture_audit.burden["by_unit"].set_index("unit")
    # 城管中队's platform steps: G01 签收 上传 填报 反馈, G02 签收 反馈, G04 签收 反馈 反馈,
    # G06 签收 反馈; field: 处置 once, twice in G04 and G06
    assert unit.loc["城管中队", "platform_per_order"] == pytest.approx(11 / 4)
    assert unit.loc["城管中队", "field_per_order"] == pytest.approx(6 / 4)
    # G01: 60 + 20 + 20 + 20 minutes before its platform steps, 50 before its handling
    assert unit.loc["和平居委", "no_field_share"] == 1.0                    # G03 on paper only
    assert unit.loc["城管中队", "no_field_share"] == 0.0
    level = fixture_audit.burden["by_level"].set_index("level")
    assert level.loc["居村", "orders"] == 1


def test_the_time_before_each_kind_of_step_is_summed(fixture_audit):
    unit = fixture_audit.burden["by_unit"].set_index("unit")
    # platform: G01 60 + 20 + 20 + 20, G02 15 + 10, G04 20 + 10 + 10, G06 30 + 20 -> 235 min
    assert unit.loc["城管中队", "platform_s_per_order"] == pytest.approx(235 * MIN / 4)
    # field: G01 50, G02 30, G04 30 + 30, G06 60 + 40 -> 240 min over 4
    assert unit.loc["城管中队", "field_s_per_order"] == pytest.approx(240 * MIN / 4)


def test_a_vocabulary_file_moves_names_between_groups_and_kinds(tmp_path):
    words = tmp_path / "words.yaml"
    words.write_text("sources:\n  citizen: [其他]\nwork:\n  field: [填报]\n", encoding="utf-8")
    result = audit_log(read_log(ORDERS), calendar="none", sections=["citizens", "burden"],
                       vocabulary=words)
    assert result.citizens["summary"]["citizen_orders"] == 4
    unit = result.burden["by_unit"].set_index("unit")
    assert unit.loc["和平居委", "no_field_share"] == 0.0                    # 填报 is field work now
    one = tmp_path / "one.yaml"   # one name without a list is a list of one name
    one.write_text("sources:\n  internal: 12345热线\n", encoding="utf-8")
    assert read_governance(one).sources["12345热线"] == "internal"
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  public: [x]\n", encoding="utf-8")
    with pytest.raises(SpecError, match="sources"):
        read_governance(bad)


# --------------------------------------------------------------------------- overload


def test_load_is_the_orders_held_between_acceptance_and_handling(fixture_audit):
    load = orders(fixture_audit).set_index("case")
    # 城管中队 holds G02 09:20-09:50, G04 09:30-10:00, G06 09:40-10:40, G01 10:10-11:00
    assert load.loc[["G01", "G02", "G04", "G06"], "load"].tolist() == [1.0, 0.0, 1.0, 2.0]
    assert "G03" not in load.index                     # never handled: held by nobody
    daily = fixture_audit.overload["wip_daily"].set_index("unit")
    # 50 + 30 + 30 + 60 minutes held over a day of 24 hours (calendar none)
    assert daily.loc["城管中队", "wip"] == pytest.approx(170 / 1440)


def test_slope_and_breaking_point_on_a_made_up_unit():
    from procmine.audit.overload import breaking_point, slope

    rng = np.random.default_rng(0)
    load = rng.integers(0, 16, 600).astype(float)
    y = np.exp(0.05 * load + rng.normal(0, 0.3, 600)) * np.where(load > 8, 3.0, 1.0)
    point = breaking_point(load, y)
    assert point["breaks"] and point["level"] == 8.0 and 2.5 < point["ratio"] < 3.6
    smooth = breaking_point(load, np.exp(0.1 * load + rng.normal(0, 0.3, 600)))
    assert not smooth["breaks"]                                   # queueing alone: no step
    other = np.random.default_rng(1)
    fit = slope(load, 2.0 * load + other.normal(0, 1, 600))
    assert fit["low"] < 2.0 < fit["high"] and fit["high"] - fit["low"] < 0.1


# --------------------------------------------------------------------------- truth


def _names(keys: tuple[str, ...]) -> set[str]:
    return {UNITS[k].zh for k in keys}


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_the_detectors_find_the_simulated_units(seed):
    sim = simulate_log(cases=6000, seed=seed, rates={"citizen_slowdown": 4, "platform_burden": 2,
                                                     "overload_slowdown": 2})
    truth = sim.truth
    assert truth[UPWARD_SLOWED].sum() > 200 and truth[PLATFORM_EXTRA].sum() > 300
    result = audit_log(sim.to_event_log(), sections=NEW)
    # upward-oriented: exactly the marked units answer citizens significantly slower,
    # at least twice as slow relative to their category (the injected factor is 4)
    assert set(result.citizens["summary"]["upward_units"]) == _names(UPWARD_UNITS)
    unit = result.citizens["by_unit"].set_index("unit")
    assert (unit.loc[sorted(_names(UPWARD_UNITS)), "answer_ratio"] >= 2.0).all()
    # burdened: exactly the marked units; the excess within 0.35 steps of the truth's mean
    burden = result.burden
    assert set(burden["summary"]["burdened_units"]) == _names(BURDENED_UNITS)
    by_unit = burden["by_unit"].set_index("unit")
    for name in _names(BURDENED_UNITS):
        injected = truth.loc[truth["handler"] == name, PLATFORM_EXTRA].mean()
        assert abs(by_unit.loc[name, "excess"] - injected) <= 0.35, (name, injected)
    # overload: exactly the marked units break down, at a level 0 to 4 orders above the
    # capacity (the detector's load also counts the orders parked or held a little longer)
    found = result.overload["summary"]["breaking_units"]
    assert set(found) == _names(OVERLOAD_UNITS)
    capacity = truth.groupby("handler")["overload_capacity"].first()
    for name, level in found.items():
        assert 0 <= level - capacity[name] <= 4, (name, level, capacity[name])
    assert truth[OVERLOADED].sum() > 100


def test_without_the_effects_the_events_and_truth_are_as_before():
    plain = simulate_log(cases=300, seed=5)
    off = simulate_log(cases=300, seed=5, rates={"citizen_slowdown": 1, "platform_burden": 0})
    pd.testing.assert_frame_equal(plain.events, off.events)
    assert UPWARD_SLOWED not in plain.truth.columns
    on = simulate_log(cases=300, seed=5, rates={"platform_burden": 1})
    assert len(on.events) > len(plain.events) and UPWARD_SLOWED in on.truth.columns


# --------------------------------------------------------------------------- engines


def test_pandas_and_duckdb_give_the_same_sections_of_the_sample():
    from procmine.engines import get_engine
    from procmine.output import dumps

    pandas_result = audit_log(read_log(SAMPLE), sections=NEW)
    with get_engine("duckdb", str(SAMPLE)) as engine:
        duck = audit_log(engine, sections=NEW, max_events=5000)              # in parts
    assert dumps(duck) == dumps(pandas_result)
    s = pandas_result.to_dict()
    assert s["citizens"]["summary"]["citizen_orders"] == 876
    assert s["overload"]["summary"]["breaking_units"] == {"绿化市容所": 8.0}


@pytest.mark.parametrize("sections", [NEW, ("citizens",), ("burden",), ("overload",),
                                      ("citizens", "overload"), ("repeats", "burden")])
def test_each_section_alone_gives_the_same_numbers_without_per_case_tables(sections):
    """``per_case=False`` (``procmine audit``, the report) drops each per-order column once the
    sections still to run no longer read it: any choice of sections keeps every number."""
    from procmine.output import dumps

    log = read_log(SAMPLE)
    full = audit_log(log, sections=sections)
    slim = audit_log(log, sections=sections, per_case=False)
    assert dumps(slim) == dumps(full)
    assert slim.orders.empty and len(full.orders) == 3000


def test_the_daily_work_in_progress_is_the_same_in_pieces(monkeypatch):
    """The calendar is given the orders' times a piece at a time (``audit.cases.CHUNK``): the
    daily work in progress of the sample is the same, to the last bit, as in one piece."""
    import importlib

    from procmine.calendar import WorkingCalendar

    overload = importlib.import_module("procmine.audit.overload")    # the module, not the function
    cases = importlib.import_module("procmine.audit.cases")

    table = audit_log(read_log(SAMPLE), sections=("overload",)).orders
    cal = WorkingCalendar()
    whole = overload.wip_daily(table, cal)
    monkeypatch.setattr(cases, "CHUNK", 7)
    pieces = overload.wip_daily(table, cal)
    pd.testing.assert_frame_equal(pieces, whole, check_exact=True)
    assert len(whole) > 1000 and whole["wip"].max() > 0


# --------------------------------------------------------------------------- report


def test_the_leaders_page_states_the_three_findings_of_the_sample():
    from lxml import html as lxml_html

    from procmine.report import build_report

    page = build_report(read_log(SAMPLE), lang="en").html
    doc = lxml_html.document_fromstring(page)
    cards = [" ".join(div.text_content() for div in el)
             for el in doc.xpath("//section[@class='overview']//div[@class='card']")]
    # citizens' orders close 3.4 times slower (16.4 against 4.9 working hours), the same
    # within categories: the mix of categories, not the units, makes the gap
    assert ("3.4× citizens' to internal orders' time to closure (median 16.4 h vs 4.9 h, "
            "significant; within categories 1.02×)") in cards
    assert "2.64 platform steps per order, most: 和平居委 (median unit 2.37)" in cards
    assert "8 orders held above which 绿化市容所 answers 2.6× slower" in cards
    tables = {t.get("data-table") for t in doc.xpath("//table[@data-table]")}
    assert {"audit.citizens", "audit.citizens_by_unit", "audit.burden", "audit.overload"} <= tables
