"""The filters keep exactly the cases and events of pm4py's filters, on receipt and on the
full road-traffic log (skipped, with the reason, when the real logs are absent)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from conftest import ROAD_XES, real_path

from procmine.filters import (
    Endpoint,
    FilterChain,
    Follows,
    TimeFrame,
    TopVariants,
    VariantMinShare,
    WithEvent,
    apply_filters,
)
from procmine.filters.definitions import Duration, EventValues
from procmine.read import read_log

pytestmark = [pytest.mark.real, pytest.mark.slow]

CASE = "case:concept:name"


@pytest.fixture(scope="module", params=["receipt.csv", ROAD_XES])
def real_log(request):
    return read_log(real_path(request.param))


def ours(log, item) -> tuple[set, int]:
    events = apply_filters(log, FilterChain((item,))).engine.log.events
    return set(events[CASE]), len(events)


def theirs(frame: pd.DataFrame) -> tuple[set, int]:
    return set(frame[CASE]), len(frame)


def pm4py_call(name: str, frame: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    import pm4py

    # pm4py's variant filter cannot match lists against Arrow-backed text columns
    frame = frame.astype({c: object for c in frame.columns if str(frame[c].dtype) == "string"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(pm4py, name)(frame, *args, **kwargs)


def period(log) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A period in the middle of the log: from its 40th to its 60th percentile of time."""
    ts = log.events["time:timestamp"]
    return ts.quantile(0.4), ts.quantile(0.6)


@pytest.mark.parametrize(("mode", "pm4py_mode"), [("trim", "events"),
                                                  ("contained", "traces_contained"),
                                                  ("intersecting", "traces_intersecting")])
def test_time_range_equals_pm4py(real_log, mode, pm4py_mode):
    lo, hi = period(real_log)
    frame = pm4py_call("filter_time_range", real_log.events, lo, hi, mode=pm4py_mode)
    assert ours(real_log, TimeFrame(lo, hi, mode)) == theirs(frame)


def test_event_attribute_values_equal_pm4py(real_log):
    events = real_log.events
    common = events["org:resource"].value_counts().index[:2].tolist()
    for level, item in (("case", WithEvent("org:resource", tuple(common))),
                        ("event", EventValues("org:resource", tuple(common)))):
        frame = pm4py_call("filter_event_attribute_values", events, "org:resource", common,
                           level=level)
        assert ours(real_log, item) == theirs(frame), level


@pytest.mark.parametrize("k", [1, 5, 10])
def test_top_k_variants_equal_pm4py(real_log, k):
    frame = pm4py_call("filter_variants_top_k", real_log.events, k)
    assert ours(real_log, TopVariants(k)) == theirs(frame)


@pytest.mark.parametrize("share", [0.01, 0.05])
def test_variant_coverage_equals_pm4py(real_log, share):
    frame = pm4py_call("filter_variants_by_coverage_percentage", real_log.events, share)
    assert ours(real_log, VariantMinShare(share * 100)) == theirs(frame)


def test_start_and_end_activities_equal_pm4py(real_log):
    events = real_log.events
    firsts = events.groupby(CASE, sort=False)["concept:name"].first().value_counts()
    lasts = events.groupby(CASE, sort=False)["concept:name"].last().value_counts()
    starts, ends = firsts.index[:1].tolist(), lasts.index[:2].tolist()
    frame = pm4py_call("filter_start_activities", events, starts)
    assert ours(real_log, Endpoint(tuple(starts))) == theirs(frame)
    frame = pm4py_call("filter_end_activities", events, ends)
    assert ours(real_log, Endpoint(tuple(ends), end=True)) == theirs(frame)


def frequent_pair(log) -> tuple[str, str]:
    from procmine.abstractions import follows

    table = follows(log).table
    row = table.iloc[min(2, len(table) - 1)]
    return str(row["source"]), str(row["target"])


def test_directly_and_eventually_follows_equal_pm4py(real_log):
    a, b = frequent_pair(real_log)
    for retain in (True, False):
        frame = pm4py_call("filter_directly_follows_relation", real_log.events, [(a, b)],
                           retain=retain)
        assert ours(real_log, Follows(a, b, keep=retain)) == theirs(frame)
        frame = pm4py_call("filter_eventually_follows_relation", real_log.events, [(a, b)],
                           retain=retain)
        assert ours(real_log, Follows(a, b, directly=False, keep=retain)) == theirs(frame)


def test_case_performance_equals_pm4py(real_log):
    from procmine.abstractions import cases

    durations = cases(real_log)["duration"]
    lo, hi = float(durations.quantile(0.25)), float(durations.quantile(0.75))
    frame = pm4py_call("filter_case_performance", real_log.events, lo, hi)
    assert ours(real_log, Duration(lo, hi)) == theirs(frame)


def test_road_traffic_chain_gives_pm4py_counts():
    log = read_log(real_path(ROAD_XES))
    lo, hi = pd.Timestamp("2003-01-01", tz="UTC"), pd.Timestamp("2008-12-31", tz="UTC")
    chain = FilterChain((TimeFrame(lo, hi, "contained"), TopVariants(10),
                         Endpoint(("Send Fine",), end=True, keep=False)))
    done = apply_filters(log, chain)
    frame = pm4py_call("filter_time_range", log.events, lo, hi, mode="traces_contained")
    frame = pm4py_call("filter_variants_top_k", frame, 10)
    frame = pm4py_call("filter_end_activities", frame, ["Send Fine"], retain=False)
    assert (done.steps[-1].cases, done.steps[-1].events) == (frame[CASE].nunique(), len(frame))
