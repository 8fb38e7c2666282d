"""procmine.loops.evidence: the evidence rows in numpy give pandas' group-by figures to the bit;
escalation read on the escalated cases alone finds what it finds on every event."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from procmine.calendar import calendar_from_option
from procmine.loops.context import _context
from procmine.loops.evidence import _NS, _per_case
from procmine.loops.patterns import _escalation, _escalation_in, _Found
from procmine.simulate import simulate_log


@pytest.fixture(scope="module")
def ctx():
    log = simulate_log(cases=400, seed=11).to_event_log()
    return _context(log, calendar_from_option("cn"), None)


def pandas_rows(ctx, found: _Found) -> pd.DataFrame:
    """What the evidence rows were made with before (pandas' sort, cummax, shift and sum)."""
    frame = pd.DataFrame({"c": found.case, "t0": found.t0, "t1": np.maximum(found.t1, found.t0),
                          "k": np.arange(len(found.case))})
    frame = frame.sort_values(["c", "t0", "k"], kind="stable")
    run = frame.groupby("c")["t1"].cummax()
    prev = run.groupby(frame["c"]).shift(1).fillna(np.iinfo(np.int64).min).astype(np.int64)
    lo = np.maximum(frame["t0"].to_numpy(), prev.to_numpy())
    hi = frame["t1"].to_numpy()
    frame["cost"] = np.where(hi > lo, hi - lo, 0) / _NS
    if found.cost is not None:
        frame["cost"] = found.cost[frame["k"].to_numpy()]
        frame["work"] = found.cost_work[frame["k"].to_numpy()]
    else:
        from procmine.loops.context import _working

        work = np.zeros(len(frame))
        pos = hi > lo
        work[pos] = _working(ctx, lo[pos], hi[pos])
        frame["work"] = work
    grouped = frame.groupby("c", sort=False)
    return pd.DataFrame({"occurrences": grouped.size(), "cost": grouped["cost"].sum(min_count=1),
                         "work": grouped["work"].sum(min_count=1),
                         "first": grouped["k"].first()})


def occurrences(ctx, *, seed: int, costs: bool) -> _Found:
    """Up to 6 occurrences per case, in any order, with equal starts and nested intervals."""
    rng = np.random.default_rng(seed)
    n = 3000
    case = rng.integers(0, len(ctx.starts), n)
    base = ctx.ts[ctx.starts[case]]
    t0 = base + rng.integers(0, 4, n) * 3_600 * _NS          # many equal starts
    t1 = t0 + rng.integers(-2, 40, n) * 1_800 * _NS + rng.integers(0, 999, n)   # some end first
    z = np.zeros(n, dtype=np.int64)
    found = _Found(case, z - 1, z - 1, t0, t1, [np.arange(n) % ctx.n])
    if costs:
        cost = rng.normal(1e5, 3e4, n)
        cost[rng.random(n) < 0.3] = np.nan                      # cases with no cost at all too
        found.cost, found.cost_work = cost, cost / 3
    return found


@pytest.mark.parametrize("costs", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_evidence_costs_are_pandas_group_by_sums_to_the_bit(ctx, seed, costs):
    found = occurrences(ctx, seed=seed, costs=costs)
    want = pandas_rows(ctx, found)
    assert (want["occurrences"] >= 3).sum() > 50                # Kahan's compensation matters
    got = _per_case(ctx, "rework", found, {"category": np.full(len(ctx.starts), "", dtype=object),
                                           "source": np.full(len(ctx.starts), "", dtype=object),
                                           "month": np.full(len(ctx.starts), "", dtype=object)})
    assert got["_code"].tolist() == want.index.tolist()
    assert got["occurrences"].tolist() == want["occurrences"].tolist()
    for column, reference in (("cost_s", "cost"), ("cost_work_s", "work")):
        a, b = got[column].to_numpy(), want[reference].to_numpy()
        assert np.array_equal(a.view(np.int64), b.view(np.int64)), column    # NaN where it was
    # the events of the first occurrence of each case (its start first, then its place)
    event = want["first"].to_numpy() % ctx.n
    places = [f"#{i - ctx.first[i] + 1} " for i in event]
    assert [text[:len(p)] for text, p in zip(got["events"], places, strict=True)] == places
    assert got["case"].tolist() == ctx.case_ids[want.index.to_numpy()].tolist()


def test_escalation_on_the_escalated_cases_finds_what_every_event_gives(ctx):
    whole, alone = _escalation_in(ctx), _escalation(ctx)
    assert len(whole.case) > 10
    assert whole.case.tolist() == alone.case.tolist()
    assert [e.tolist() for e in whole.events] == [e.tolist() for e in alone.events]
    assert whole.detail.tolist() == alone.detail.tolist()
    assert whole.t0.tolist() == alone.t0.tolist() and whole.t1.tolist() == alone.t1.tolist()
