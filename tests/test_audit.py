"""procmine.audit: each definition pinned on a hand-made fixture, the simulator's truth
found across seeds, and the same numbers from every engine."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from procmine.audit import audit_log, read_responsibility
from procmine.errors import SpecError
from procmine.read import read_log
from procmine.simulate import responsibility_list, simulate_log
from procmine.vocabulary import MISDISPATCH, REPEAT, REPEAT_OF

HERE = Path(__file__).parent
ROOT = HERE.parent
ORDERS = HERE / "fixtures" / "audit_orders.csv"
RULES = HERE / "fixtures" / "audit_responsibility.yaml"
SAMPLE = ROOT / "logs" / "sample.csv"
SAMPLE_RULES = ROOT / "logs" / "responsibility.yaml"
HOUR = 3600.0


@pytest.fixture(scope="module")
def fixture_audit():
    return audit_log(read_log(ORDERS), responsibility=RULES)


def by_case(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("case")


# --------------------------------------------------------------------------- dispatch


def test_first_dispatch_accuracy_follows_the_list(fixture_audit):
    cases = by_case(fixture_audit.dispatch["cases"])
    # C02 城管中队 / C03 和平居委 / C05 区城管执法局 / C06 房管办 / C10 城管中队: not on their lists
    assert set(cases.index[cases[MISDISPATCH]]) == {"C02", "C03", "C05", "C06", "C10"}
    summary = fixture_audit.dispatch["summary"]
    assert (summary["dispatched"], summary["correct_first"]) == (14, 9)
    assert summary["first_dispatch_accuracy"] == pytest.approx(9 / 14)


def test_each_bounce_is_attributed_to_the_boundary_it_crosses(fixture_audit):
    bounces = fixture_audit.dispatch["bounces"]
    crossed = {(c, f, t): b for c, f, t, b in
               zip(bounces["case"], bounces["from_unit"], bounces["to_unit"], bounces["boundary"],
                   strict=True)}
    assert crossed == {
        ("C02", "城管中队", "和平居委"): "line_to_block",       # 条 → 块 (also a level down)
        ("C03", "和平居委", "水务所"): "block_to_line",         # 块 → 条 (also a level up)
        ("C04", "城管中队", "区城管执法局"): "level_up",        # 条 → 条, 街镇 → 区
        ("C05", "区城管执法局", "城管中队"): "level_down",
        ("C06", "房管办", "城管中队"): "same_kind",
        ("C10", "城管中队", "房管办"): "same_kind",
        ("C10", "房管办", "绿化市容所"): "same_kind",
    }
    assert fixture_audit.dispatch["by_boundary"] == {"line_to_block": 1, "block_to_line": 1,
                                                     "level_up": 1, "level_down": 1, "same_kind": 3}
    # the rule that would have routed C04: 违法搭建 -> 城管中队, not the district bureau
    assert not bounces.loc[bounces["case"] == "C04", "to_listed"].item()


def test_transit_before_acceptance_is_working_time_from_the_first_dispatch(fixture_audit):
    cases = by_case(fixture_audit.cases)
    assert cases.loc["C02", "transit_s"] == 3600          # 派遣 09:10 -> 签收 10:10
    assert cases.loc["C10", "transit_s"] == 5400          # two bounces: 09:10 -> 10:40
    assert cases.loc["C10", "bounces"] == 2


# --------------------------------------------------------------------------- clocks


def test_suspension_stops_the_official_clock_not_the_citizens(fixture_audit):
    clock = by_case(fixture_audit.clocks["cases"])
    # C07: 签收 Mon 09:30, 挂账 Mon 10:00 until 处置 Wed 10:00 (14 working hours), 结案 Wed 11:00
    assert by_case(fixture_audit.cases).loc["C07", "suspended_s"] == 14 * HOUR
    assert clock.loc["C07", "official_s"] == 1.5 * HOUR
    assert clock.loc["C07", "citizen_s"] == 16 * HOUR
    assert clock.loc["C07", "official_on_time"] and not clock.loc["C07", "citizen_on_time"]


def test_an_extension_doubles_the_official_allowance_only(fixture_audit):
    clock = by_case(fixture_audit.clocks["cases"])
    assert clock.loc["C08", "official_s"] == 5.5 * HOUR       # over 4 h, within 2 x 4 h
    assert clock.loc["C08", "official_on_time"]
    assert clock.loc["C08", "citizen_s"] == 6 * HOUR and not clock.loc["C08", "citizen_on_time"]
    late = by_case(fixture_audit.cases)["late_extensions"]
    assert late["C09"] == 1 and late["C08"] == 0             # asked after 3.75 h of 4 / after 2 h


def test_the_official_clock_restarts_at_acceptance_after_bounces(fixture_audit):
    clock = by_case(fixture_audit.clocks["cases"])
    assert clock.loc["C02", "official_s"] == pytest.approx(170 * 60)   # 签收 10:10 -> 结案 14:30
    assert clock.loc["C02", "presign_s"] == 70 * 60
    summary = fixture_audit.clocks["summary"]
    assert (summary["clock_restarts"], summary["cases_restarted"]) == (7, 6)
    assert summary["late_extensions"] == 1 and summary["suspended_cases"] == 1


def test_the_citizens_clock_runs_to_the_last_repeat(fixture_audit):
    clock = by_case(fixture_audit.clocks["cases"])
    # C01 closed Mon 4 Mar 11:00; R2, the same demand, closed Fri 22 Mar 11:00: 14 days x 7 h + 2 h
    assert clock.loc["C01", "official_on_time"]
    assert clock.loc["C01", "citizen_s"] == 100 * HOUR
    assert fixture_audit.repeats["summary"]["closed_on_time_but_repeated"] == 1


# --------------------------------------------------------------------------- repeats


def test_repeats_need_the_same_citizen_address_and_category_within_the_window():
    log = read_log(ORDERS)
    links = audit_log(log, responsibility=RULES).repeats["links"]
    # R3 (other address), R4 (other category), R5 (other citizen) are not the same demand
    assert links[["case", REPEAT_OF]].values.tolist() == [["R2", "C01"]]
    assert links["days_after_close"].item() == pytest.approx(17 + 22 / 24, abs=1e-3)
    assert audit_log(log, responsibility=RULES, repeat_days=17).repeats["links"].empty
    assert len(audit_log(log, responsibility=RULES, repeat_days=18).repeats["links"]) == 1


def test_without_a_list_only_the_repeats_are_measured():
    result = audit_log(read_log(ORDERS))
    assert result.dispatch is None and result.clocks is None
    assert result.repeats["summary"]["repeats"] == 1
    assert any("responsibility" in note for note in result.notes)


def test_a_bad_list_or_section_is_refused(tmp_path):
    bad = tmp_path / "list.yaml"
    bad.write_text("rules:\n  - category: 群租\n    units: [{unit: 房管办, kind: 横}]\n",
                   encoding="utf-8")
    with pytest.raises(SpecError, match="rule 1: kind '横'"):
        read_responsibility(bad)
    with pytest.raises(SpecError, match="unknown audit section"):
        audit_log(read_log(ORDERS), sections=["speed"])


def test_one_unit_written_without_a_list_is_a_list_of_one(tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text("rules:\n  - category: 道路积水\n    units: 水务所\n", encoding="utf-8")
    listed = tmp_path / "listed.yaml"
    listed.write_text("rules:\n  - category: 道路积水\n    units: [水务所]\n", encoding="utf-8")
    # the unit 水务所, not the three units 水, 务 and 所
    assert [u.unit for u in read_responsibility(one).rules[0].units] == ["水务所"]
    assert read_responsibility(one).rules == read_responsibility(listed).rules


def test_a_csv_list_reads_as_the_yaml_one(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("category,unit,kind,level,deadline_hours\n暴露垃圾,绿化市容所,条,街镇,4\n"
                    "暴露垃圾,和平居委,块,居村,4\n道路积水,水务所,,,4\n违法搭建,城管中队,条,街镇,105\n",
                    encoding="utf-8")
    from procmine.output import dumps

    log = read_log(ORDERS)
    assert dumps(audit_log(log, responsibility=path)) == dumps(audit_log(log, responsibility=RULES))


# --------------------------------------------------------------------------- truth


def _precision_recall(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / max(len(found), 1), hits / max(len(truth), 1)


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_the_detectors_find_the_simulated_truth(seed, tmp_path):
    import yaml

    rules = tmp_path / "list.yaml"
    rules.write_text(yaml.safe_dump(responsibility_list("zh"), allow_unicode=True), encoding="utf-8")
    sim = simulate_log(cases=4000, seed=seed)
    result = audit_log(sim.to_event_log(), responsibility=rules)
    truth = sim.truth
    cases = result.dispatch["cases"]
    precision, recall = _precision_recall(set(cases.loc[cases[MISDISPATCH], "case"]),
                                          set(truth.loc[truth[MISDISPATCH] == 1, "case_id"]))
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)
    links = result.repeats["links"]
    precision, recall = _precision_recall(
        set(zip(links["case"], links[REPEAT_OF], strict=True)),
        set(zip(truth.loc[truth[REPEAT] == 1, "case_id"], truth.loc[truth[REPEAT] == 1, REPEAT_OF],
                strict=True)))
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)
    assert truth[REPEAT].sum() > 50 and truth[MISDISPATCH].sum() > 200


def test_the_sample_list_is_the_simulators():
    assert read_responsibility(SAMPLE_RULES).rules == read_responsibility_of_model()


def read_responsibility_of_model():
    import yaml

    from procmine.audit.responsibility import _rule

    data = yaml.safe_load(yaml.safe_dump(responsibility_list("zh"), allow_unicode=True))
    return tuple(_rule(Path("model"), i, r) for i, r in enumerate(data["rules"], 1))


# --------------------------------------------------------------------------- engines


def test_pandas_and_duckdb_give_the_same_audit_of_the_sample():
    from procmine.engines import get_engine
    from procmine.output import dumps

    pandas_result = audit_log(read_log(SAMPLE), responsibility=SAMPLE_RULES)
    with get_engine("duckdb", str(SAMPLE)) as engine:
        duck = audit_log(engine, responsibility=SAMPLE_RULES, max_events=5000)   # in parts
    assert dumps(duck) == dumps(pandas_result)
    pd.testing.assert_frame_equal(duck.cases, pandas_result.cases, check_dtype=False)
    summary = pandas_result.to_dict()
    assert summary["dispatch"]["summary"]["dispatched"] == 3000
    assert summary["repeats"]["summary"]["repeats"] == 91


def test_without_kinds_and_levels_no_boundary_is_claimed(tmp_path):
    bare = tmp_path / "bare.csv"
    frame = pd.read_csv(ORDERS).drop(columns=["层级", "单位类型"])
    frame.to_csv(bare, index=False)
    result = audit_log(read_log(bare), responsibility=RULES)
    assert result.dispatch["summary"]["bounces"] == 7
    assert set(result.dispatch["by_boundary"].values()) == {0}
    assert result.dispatch["summary"]["correct_first"] == 9      # the list alone decides


def test_what_the_audit_holds_counts_against_the_memory_limit(orders16, monkeypatch):
    """``procmine audit --memory-limit`` shrinks DuckDB's share by what the audit keeps per
    case while it runs, so that the process stays near the limit."""
    from click.testing import CliRunner

    import procmine.audit
    from procmine.cli import cli

    real, seen = procmine.audit.audit_log, []

    def audit_log(engine, **kwargs):
        seen.append(engine.con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        return real(engine, **kwargs)

    monkeypatch.setattr("procmine.audit.audit_log", audit_log)
    monkeypatch.setattr("procmine.audit.HELD_PER_CASE", 50 << 20)   # as if its cases were huge
    out = CliRunner().invoke(cli, ["audit", str(orders16), "--engine", "duckdb",
                                   "--memory-limit", "1GiB", "--json"])
    assert out.exit_code == 0, out.output
    number, unit = seen[0].split()
    assert unit == "MiB" and float(number) == pytest.approx(0.6 * 1024 - 3 * 50, abs=2)


def test_without_per_case_tables_the_audit_gives_the_same_summaries():
    """``per_case=False`` (the CLI and the report) frees the per-case tables as soon as their
    summaries are made: every number of ``to_dict`` stays the same."""
    from procmine.output import dumps

    log = read_log("logs/sample.csv")
    full = audit_log(log, responsibility="logs/responsibility.yaml")
    slim = audit_log(log, responsibility="logs/responsibility.yaml", per_case=False)
    assert dumps(slim) == dumps(full)
    assert len(full.cases) == len(full.orders) == 3000
    assert slim.cases.empty and slim.orders.empty
    assert "cases" not in slim.clocks and "load" not in slim.overload


def test_the_per_case_tables_hold_codes_not_text_for_units_and_categories():
    """The audit's whole-log tables are what ``procmine audit --memory-limit`` counts per case
    (``HELD_PER_CASE``): units, kinds, levels, categories, sources and groups are held as
    codes, so on the sample a case takes under 200 bytes in the per-case table and under 260
    in the per-order one (258 and 329 with the text), joined from parts as from one."""
    from procmine.engines import get_engine

    with get_engine("duckdb", str(SAMPLE)) as engine:
        result = audit_log(engine, responsibility=SAMPLE_RULES, max_events=5000)   # in parts
    for name, bound in (("cases", 200), ("orders", 260)):
        table = getattr(result, name)
        assert len(table) == 3000
        assert table.memory_usage(deep=True, index=False).sum() / len(table) < bound, name
    assert result.cases["handler"].dtype == "category"
    assert list(result.orders["unit"].cat.categories) == sorted(result.orders["unit"].dropna().unique())


def test_a_part_without_levels_or_kinds_joins_the_parts_that_have_them(tmp_path):
    """The first part's cases have no level and no kind (层级, 单位类型): its codes have no
    value to join on, and the audit in parts gives what the audit of the whole log gives,
    each unit's level in ``burden["steps"]`` too (its first event with a level, in
    whichever part that is)."""
    from procmine.engines import get_engine
    from procmine.output import dumps

    frame = pd.read_csv(SAMPLE, encoding="utf-8-sig", dtype=str)
    first = frame["工单编号"].isin(frame["工单编号"].unique()[:400])
    frame.loc[first, ["层级", "单位类型"]] = None
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    whole = audit_log(read_log(path), responsibility=SAMPLE_RULES)
    with get_engine("duckdb", str(path)) as engine:
        parts = audit_log(engine, responsibility=SAMPLE_RULES, max_events=3000)
    assert dumps(parts) == dumps(whole)     # burden["steps"] included: each unit's level
    pd.testing.assert_frame_equal(parts.cases, whole.cases, check_dtype=False)
    pd.testing.assert_frame_equal(parts.orders, whole.orders, check_dtype=False)
    assert parts.cases["first_level"].isna().sum() >= 400
