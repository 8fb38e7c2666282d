"""Filters: each one on the 16-event fixture, filter sets from YAML, and the same
kept cases and events on every engine (pandas = DuckDB on the sample; Spark in the
slow suite)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import FIXTURES, SAMPLE

from procmine.engines import get_engine
from procmine.errors import SpecError
from procmine.filters import (
    Activities,
    ActivityCoverage,
    CaseAttribute,
    CaseIds,
    Duration,
    Endpoint,
    EventCount,
    FilterChain,
    Follows,
    TimeFrame,
    TopVariants,
    VariantCoverage,
    VariantIds,
    VariantMinShare,
    WithEvent,
    apply_filters,
    build_filter,
    filtered_events,
)
from procmine.read import read_log

ORDERS16 = FIXTURES / "orders16.csv"
TZ = "Asia/Shanghai"


def kept(*filters) -> tuple[list[str], int]:
    """Case ids (in order) and events left after the filters on orders16."""
    done = apply_filters(read_log(ORDERS16), FilterChain(filters))
    events = done.engine.log.events
    return list(pd.unique(events["case:concept:name"])), len(events)


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


@pytest.mark.parametrize(("mode", "cases", "events"), [
    ("contained", ["GD001"], 7),
    ("intersecting", ["GD001", "GD002"], 14),
    ("started", ["GD001", "GD002"], 14),
    ("completed", ["GD001"], 7),
    ("trim", ["GD001", "GD002"], 12),
])
def test_time_frame_modes(mode, cases, events):
    # 2024-03-04 09:00 .. 15:40: GD001 lies inside, GD002 starts inside and ends next day
    assert kept(TimeFrame(at("2024-03-04 09:00"), at("2024-03-04 15:40"), mode)) == (cases, events)


def test_time_bounds_are_included_and_intersecting_is_strict():
    assert kept(TimeFrame(at("2024-03-04 09:05"), at("2024-03-04 15:30"), "contained"))[0] == ["GD001"]
    # a case that ends exactly when the period starts does not intersect it (pm4py)
    assert kept(TimeFrame(at("2024-03-05 09:10"), None, "intersecting"))[0] == ["GD002"]


def test_case_attribute_in_and_not_in_by_header_or_alias():
    assert kept(CaseAttribute("类别", ("噪声扰民",))) == (["GD002"], 7)
    assert kept(CaseAttribute("category", ("噪声扰民",), keep=False))[0] == ["GD001", "GD003"]
    assert kept(build_filter("where", "来源!=12345,网格巡查"))[0] == []


def test_with_and_without_an_event_of_a_unit():
    assert kept(WithEvent("承办单位", ("居委会",)))[0] == ["GD002"]
    assert kept(WithEvent("unit", ("市容所", "居委会"), keep=False))[0] == ["GD003"]


def test_variants_top_k_coverage_share_and_ids():
    assert kept(TopVariants(1))[0] == ["GD003"]   # all three tie: pm4py keeps the last tuple
    # ties rank by the activities' text: GD002 (上报 派遣 …), GD001 (上报 立案 …), GD003
    assert kept(VariantCoverage(50))[0] == ["GD001", "GD002"]
    assert kept(VariantMinShare(40))[0] == []
    assert kept(VariantIds((0,)))[0] == ["GD002"]


def test_endpoints_and_follows():
    assert kept(Endpoint(("上报",)))[0] == ["GD001", "GD002", "GD003"]
    assert kept(Endpoint(("派遣", "结案"), end=True, keep=False))[0] == []
    assert kept(Follows("派遣", "签收"))[0] == ["GD001"]
    assert kept(Follows("派遣", "签收", directly=False))[0] == ["GD001", "GD002"]
    assert kept(Follows("派遣", "签收", directly=False, keep=False))[0] == ["GD003"]
    assert kept(build_filter("follows", "上报 -> 结案"))[0] == ["GD003"]


def test_duration_events_activities_and_case_ids(tmp_path):
    assert kept(Duration(None, 3600))[0] == ["GD003"]
    assert kept(build_filter("duration", "1h..1d"))[0] == ["GD001"]
    assert kept(Duration(0, 4 * 3600, time="working"))[0] == ["GD003"]
    assert kept(EventCount(3, 7)) == (["GD001", "GD002"], 14)
    assert kept(Activities(("结案", "上报")))[1] == 6
    assert kept(Activities(("上报", "结案"), keep=False)) == (["GD001", "GD002"], 10)
    assert kept(ActivityCoverage(50))[1] == 8   # 上报 结案 处置: 3+3+2 events of 16
    ids = tmp_path / "ids.txt"
    ids.write_text("GD003\nGD001\n", encoding="utf-8")
    assert kept(CaseIds.from_file(str(ids)))[0] == ["GD001", "GD003"]


def test_steps_count_what_each_filter_kept():
    done = apply_filters(read_log(ORDERS16), FilterChain((EventCount(3, None), TopVariants(1))))
    assert done.before == (3, 16)
    assert [(s.cases, s.events) for s in done.steps] == [(2, 14), (1, 7)]
    assert done.lines()[0] == "Filter 3 ..  events per case: kept 2 of 3 cases, 14 of 16 events"


def test_a_filter_set_file_applies_in_order(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text("filters:\n  - time: {from: 2024-03-04, to: 2024-03-04, mode: contained}\n"
                    "  - ends-with: 结案\n  - drop-activities: [核查]\n", encoding="utf-8")
    chain = FilterChain.from_yaml(str(path))
    assert len(chain) == 3
    assert kept(*chain.filters) == (["GD001"], 6)


@pytest.mark.parametrize("text", ["- top-variants: many", "- nope: 3", "filters: 3",
                                  "- from: 2024-01-01"])
def test_a_bad_filter_set_is_one_clear_error(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError):
        FilterChain.from_yaml(str(path))


@pytest.mark.parametrize(("text", "error"), [
    ("- top-variants: -3", "top-variants -3: expected a whole number, 1 or more"),
    ("- top-variants: 1.5", "top-variants 1.5: expected a whole number, 1 or more"),
    ("- top-variants: true", "top-variants True: expected a whole number, 1 or more"),
    ("- variant-coverage: 150", "variant-coverage 150: expected a percentage from 0 to 100"),
    ("- activity-coverage: .nan", "activity-coverage nan: expected a percentage from 0 to 100"),
    ("- variant-min-share: 1e309", "variant-min-share '1e309': expected a percentage from 0 to 100"),
    ("- drop-activities: .nan", "bad value for the filter drop-activities: nan"),
    ("- time: {from: 2024-03-05, to: 2024-03-04}", "the period is reversed: --from 2024-03-05 "
                                                   "00:00:00 is after --to 2024-03-04 23:59:59"),
])
def test_a_filter_set_checks_values_as_the_options_do(tmp_path, text, error):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        FilterChain.from_yaml(str(path))
    assert raised.value.message == f"{path}: {error}"


def test_a_number_as_an_activity_name_is_that_name(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text("- drop-activities: 5\n- keep-activities: [派遣, 7]\n", encoding="utf-8")
    first, second = FilterChain.from_yaml(str(path)).filters
    assert first.describe() == "drop activities 5"
    assert second.describe() == "keep activities 派遣, 7"


def test_an_unknown_column_is_refused():
    with pytest.raises(SpecError, match="no column"):
        kept(CaseAttribute("nope", ("x",)))


SAMPLE_CHAIN = (
    "time: {from: 2024-01-15, to: 2024-05-31, mode: intersecting}",
    "where: 类别!=占道经营,违章搭建", "with-event: 层级=区", "starts-with: 上报",
    "follows: 派遣>签收", "eventually: 签收>结案", "never: 结案>派遣", "duration: ..30d",
    "events: 3..50", "top-variants: 20", "variant-coverage: 99", "drop-activities: 核查",
    "activity-coverage: 95", "time: {from: 2024-02-01, to: 2024-04-30, mode: trim}",
)


def sample_chain(tmp_path, lines=SAMPLE_CHAIN) -> FilterChain:
    path = tmp_path / "chain.yaml"
    path.write_text("".join(f"- {line}\n" for line in lines), encoding="utf-8")
    return FilterChain.from_yaml(str(path))


def outcome(engine, chain) -> dict:
    done = apply_filters(engine, chain)
    events = filtered_events(done.engine)
    return {"steps": done.steps, "variants": done.engine.variants().counts(),
            "follows": done.engine.follows().counts(), "cases": done.engine.cases(),
            "events": events[["case:concept:name", "concept:name", "time:timestamp"]]}


def assert_same_outcome(ref: dict, other: dict) -> None:
    assert ref["steps"] == other["steps"]
    assert ref["variants"] == other["variants"] and ref["follows"] == other["follows"]
    pd.testing.assert_frame_equal(ref["events"], other["events"], check_dtype=False)
    columns = ["case", "events", "start", "end", "duration", "variant"]
    pd.testing.assert_frame_equal(ref["cases"][columns], other["cases"][columns],
                                  check_dtype=False)


@pytest.fixture
def sample_reference(tmp_path):
    with get_engine("pandas", SAMPLE) as engine:
        return outcome(engine, sample_chain(tmp_path))


def test_the_sample_chain_keeps_some_of_every_step(sample_reference):
    steps = sample_reference["steps"]
    assert len(steps) == len(SAMPLE_CHAIN)
    assert all(s.cases > 0 for s in steps)
    assert steps[0].cases < 3000 and steps[-1].events < steps[-2].events


def test_duckdb_filters_equal_pandas_on_the_sample(sample_reference, tmp_path):
    with get_engine("duckdb", SAMPLE) as engine:
        assert_same_outcome(sample_reference, outcome(engine, sample_chain(tmp_path)))


@pytest.mark.slow
def test_spark_filters_equal_pandas_on_the_sample(tmp_path, spark):
    # a shorter chain (Spark is slow here): a case filter of each kind and both event rules
    lines = [SAMPLE_CHAIN[i] for i in (0, 1, 4, 9, 11, 13)]
    with get_engine("pandas", SAMPLE) as engine:
        reference = outcome(engine, sample_chain(tmp_path, lines))
    with get_engine("spark", SAMPLE, spark=spark) as engine:
        assert_same_outcome(reference, outcome(engine, sample_chain(tmp_path, lines)))
