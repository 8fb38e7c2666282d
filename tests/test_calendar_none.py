"""``calendar=None`` is clock time in every analysis and engine: one reading of the
argument (``procmine.calendar.as_calendar``). Before, the audit, the duration filter, the
engines' working-time waits and ``working_seconds`` read ``None`` as the Chinese calendar,
while bottlenecks, loops and the network read it as clock time. Where a result has its own
working-time columns (loops), ``None`` leaves them empty; ``"none"`` (24 hours, 7 days)
fills them with clock time."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from procmine.audit import audit_log
from procmine.bottlenecks import find_bottlenecks
from procmine.calendar import as_calendar, working_seconds
from procmine.engines import as_engine
from procmine.filters import apply_filters
from procmine.filters.definitions import Duration
from procmine.loops import find_loops
from procmine.network import discover_network
from procmine.simulate import simulate_log


@pytest.fixture(scope="module")
def log():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate_log(cases=120, seed=11, start="2024-09-25").to_event_log()


def _json(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True, default=str)


def test_as_calendar_reads_none_as_no_calendar():
    assert as_calendar(None) is None
    assert as_calendar("none").kind == "none"
    assert as_calendar("cn").kind != "none"


def test_working_seconds_with_none_is_clock_time():
    # across the National Day holiday: clock time 7 days + 18 hours, working time 2.5 hours
    start, end = pd.Timestamp("2024-09-30 16:00"), pd.Timestamp("2024-10-08 10:00")
    assert working_seconds(start, end, calendar=None) == (end - start).total_seconds()
    assert working_seconds(start, end, calendar=None) != working_seconds(start, end)


def test_audit_with_none_counts_clock_time(log):
    none = audit_log(log, calendar=None)
    assert _json(none) == _json(audit_log(log, calendar="none"))
    assert _json(none) != _json(audit_log(log, calendar="cn"))


@pytest.mark.parametrize("analysis", [
    lambda log, cal: find_bottlenecks(log, calendar=cal),
    lambda log, cal: discover_network(log, calendar=cal),
], ids=["bottlenecks", "network"])
def test_analyses_with_none_count_clock_time(log, analysis):
    assert _json(analysis(log, None)) == _json(analysis(log, "none"))


def test_loops_with_none_has_clock_costs_and_no_working_costs(log):
    none, clock = find_loops(log, calendar=None), find_loops(log, calendar="none")
    assert none.summary["cost_s"].equals(clock.summary["cost_s"])
    assert none.summary["cost_work_s"].isna().all()
    assert clock.summary["cost_work_s"].notna().any()
    assert any("no working calendar" in note for note in none.notes)


def test_engine_working_waits_with_none_are_clock_waits(log):
    engine = as_engine(log)
    none = engine.follows(time="working", calendar=None).table
    clock = engine.follows(time="working", calendar="none").table
    cn = engine.follows(time="working", calendar="cn").table
    pd.testing.assert_frame_equal(none, clock)
    assert not np.allclose(none["mean"], cn["mean"], equal_nan=True)


def test_duration_filter_in_working_time_with_none_is_clock(log):
    day = 24 * 3600.0

    def kept(calendar):
        chain = [Duration(None, 2 * day, time="working", calendar=calendar)]
        return apply_filters(log, chain).steps[0].cases

    assert kept(None) == kept("none")
    assert kept(None) != kept("cn")
