"""compare: splitting, the tests (against scipy and by hand), Holm, indicators and the map."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from procmine.compare import (
    clustered_ratio_test,
    compare_logs,
    holm,
    mann_whitney,
    proportion_test,
    split_log,
    weekly_test,
)
from procmine.errors import InputError, SpecError
from procmine.render import render_difference
from procmine.simulate import Reform, simulate_log


@pytest.fixture(scope="module")
def reformed():
    """2,000 orders; from 2024-01-20 on no ping-pong at all, and the housing office 3x faster."""
    reform = Reform(date="2024-01-20", rates={"pingpong": 0.0}, service={"housing": 0.3})
    sim = simulate_log(cases=2000, seed=8, reform=reform)
    return sim, sim.to_event_log()


def test_split_puts_each_case_in_the_period_of_its_first_event(reformed):
    sim, log = reformed
    before, after = split_log(log, at="2024-01-20")
    assert before.n_cases + after.n_cases == log.n_cases
    assert before.n_events + after.n_events == log.n_events
    reformed_cases = set(sim.truth.loc[sim.truth["reformed"] == 1, "case_id"])
    assert set(after.events["case:concept:name"]) == reformed_cases


def test_a_reform_shows_up_and_untouched_rates_do_not(reformed):
    _, log = reformed
    result = compare_logs(log, split="2024-01-20", calendar="cn")
    rows = result.indicators.set_index("indicator")
    assert rows.loc["pattern:pingpong", "b"] == 0
    assert rows.loc["pattern:pingpong", "significant"]
    assert rows.loc["pattern:pingpong", "n_a"] + rows.loc["pattern:pingpong", "n_b"] == 2000
    for untouched in ("pattern:escalation", "pattern:reopen", "pattern:dumping"):
        assert not rows.loc[untouched, "significant"], untouched
    housing = result.units.set_index("unit").loc["房管办"]
    assert housing["median_b"] < housing["median_a"] / 2
    assert housing["effect"] < -0.5
    assert result.labels == ("before 2024-01-20", "from 2024-01-20")


def test_two_logs_compare_like_a_split(reformed):
    _, log = reformed
    before, after = split_log(log, at="2024-01-20")
    a = compare_logs(before, after, calendar="none", labels=("甲", "乙")).indicators
    b = compare_logs(log, split="2024-01-20", calendar="none").indicators
    pd.testing.assert_frame_equal(a, b)


def test_fitness_and_on_time_rate_with_a_workflow(reformed):
    from conftest import WORKFLOW

    _, log = reformed
    rows = compare_logs(log, split="2024-01-20", workflow=WORKFLOW).indicators.set_index("indicator")
    assert 0.9 < rows.loc["fitness", "a"] <= 1
    assert rows.loc["fitness", "test"] == "Mann-Whitney U"
    assert 0 < rows.loc["on_time_rate", "a"] < 1


def test_errors_say_what_to_do(reformed):
    _, log = reformed
    with pytest.raises(InputError, match="inside the log's period"):
        compare_logs(log, split="2030-01-01")
    with pytest.raises(InputError, match="two logs"):
        compare_logs(log)
    with pytest.raises(SpecError, match="not a date"):
        compare_logs(log, split="someday")


def test_difference_map_draws_changed_edges(reformed):
    _, log = reformed
    result = compare_logs(log, split="2024-01-20", calendar="none")
    # the second return (改派 -> 退单) of a ping-pong is much rarer after the reform
    edge = result.edges.set_index(["source", "target"]).loc[("改派", "退单")]
    assert edge["share_b"] < edge["share_a"]
    source = render_difference(result, top=30).source
    assert "pp" in source and "→" in source
    assert source.count(" -> ") == min(30, len(result.edges))


# -- the statistics ---------------------------------------------------------------------
def test_mann_whitney_matches_scipy_and_orients_the_effect():
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 80), rng.normal(0.5, 1, 90)
    r = mann_whitney(a, b)
    assert r.p_value == pytest.approx(mannwhitneyu(b, a).pvalue)
    assert r.effect > 0 and (r.n_a, r.n_b) == (80, 90)
    assert mann_whitney(b, a).effect == pytest.approx(-r.effect)


def test_proportion_test_by_hand_and_fisher_for_small_counts():
    r = proportion_test(40, 1000, 20, 1000)
    pooled = 60 / 2000
    z = (0.02 - 0.04) / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert r.statistic == pytest.approx(z)
    assert r.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert r.effect < 0
    from scipy.stats import fisher_exact

    small = proportion_test(1, 20, 6, 20)
    assert small.test == "Fisher exact"
    assert small.p_value == pytest.approx(fisher_exact([[1, 19], [6, 14]])[1])


def test_holm_by_hand():
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, kept monotone
    assert adjusted.tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(holm([np.nan, 0.5])[0])


def test_clustered_ratio_test_is_wider_than_pretending_independence():
    rng = np.random.default_rng(3)
    n = np.full(400, 5)
    # within a case the hand-overs are all crossing or all not: strongly clustered
    k_a = n * (rng.random(400) < 0.40)
    k_b = n * (rng.random(400) < 0.47)
    clustered = clustered_ratio_test(k_a, n, k_b, n)
    naive = proportion_test(int(k_a.sum()), 2000, int(k_b.sum()), 2000)
    assert clustered.p_value > naive.p_value
    assert (clustered.n_a, clustered.n_b) == (2000, 2000)


def test_weekly_test_counts_weeks_not_cases():
    a = pd.DataFrame({"week": np.repeat([1, 2, 3], 50), "seconds": 100.0})
    b = pd.DataFrame({"week": np.repeat([4, 5, 6], 50), "seconds": 50.0})
    r = weekly_test(a, b)
    assert (r.n_a, r.n_b) == (3, 3)
    assert r.effect == pytest.approx(math.expm1(math.log1p(50) - math.log1p(100)))
    assert math.isnan(weekly_test(a[a["week"] < 3], b).p_value)    # two weeks: not tested

