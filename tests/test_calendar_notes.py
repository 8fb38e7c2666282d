"""The calendar's notes of years without holiday data: each report section, and each
command's result, names the years its own figures used, whatever ran before it and
whatever another thread does."""

from __future__ import annotations

import re
import threading
import warnings

import pytest

from procmine.bottlenecks import find_bottlenecks
from procmine.calendar import WorkingCalendar, fallback_years
from procmine.compare import compare_logs
from procmine.engines import as_engine
from procmine.network import discover_network
from procmine.report import sections
from procmine.report.context import _Context
from procmine.report.sections import _run_section
from procmine.simulate import simulate_log

#: chinese_calendar knows up to 2026: the log below runs from November 2027 into 2028
YEARS = "2027-2028"
CALENDAR_SECTIONS = ("bottlenecks", "patterns", "audit")


@pytest.fixture(scope="module")
def log():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate_log(cases=150, seed=4, start="2027-11-20",
                            cases_per_day=6).to_event_log()


def _context(log, calendar, lang="en"):
    engine = as_engine(log)
    totals = engine.totals()
    return _Context(log=log, lang=lang, calendar=calendar, workflow=None, workflow_path=None,
                    report=engine.load_report(), n_cases=totals.cases, n_events=totals.events)


def _said(section) -> str:
    """What a section says about the calendar's years: its note, or bottlenecks' calendar line."""
    if section.key == "bottlenecks":
        said = re.findall(r"(\d[\d, -]*): no Chinese holiday data", section.body)
        return "; ".join(said)
    return section.note


def test_every_section_that_counts_working_time_names_the_years(log):
    ctx = _context(log, "cn")
    said = {name: _said(_run_section(name, ctx)) for name in CALENDAR_SECTIONS}
    assert said["bottlenecks"] == YEARS      # one note for both years
    assert f"no holiday data for {YEARS};" in said["patterns"]
    assert f"no holiday data for {YEARS};" in said["audit"]
    # the sections that count no working time say nothing of it
    assert not _run_section("variants", ctx).note


def test_a_chinese_report_says_the_years_without_holiday_data_in_chinese(log):
    body = _run_section("bottlenecks", _context(log, "cn", lang="zh")).body
    assert "no Chinese holiday data" not in body and "weekends only" not in body
    assert f"{YEARS}：没有中国节假日数据" in body


def test_the_notes_do_not_depend_on_the_order_or_a_calendar_that_knows_the_years(log):
    fresh = {name: _said(_run_section(name, _context(log, "cn"))) for name in CALENDAR_SECTIONS}
    shared = WorkingCalendar()     # one calendar for every section, as the API allows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shared.working_seconds("2027-06-01 09:00", "2028-06-01 09:00")   # knows both years
    ctx = _context(log, shared)
    reversed_order = {name: _said(_run_section(name, ctx))
                      for name in reversed(CALENDAR_SECTIONS)}
    assert reversed_order == fresh


def test_a_year_is_noted_while_another_thread_silences_user_warnings(log, monkeypatch):
    """The engine makes the next part of the log in a thread while a section works on
    this one, and pandas there silences UserWarning (the calendar's warning is one) for
    a moment: warning filters are one state for every thread."""
    inside, leave = threading.Event(), threading.Event()

    def pandas_in_the_parts_thread():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            inside.set()
            leave.wait(30)

    patterns = sections._BUILDERS["patterns"]

    def patterns_meanwhile(ctx):
        thread = threading.Thread(target=pandas_in_the_parts_thread)
        thread.start()
        inside.wait(30)
        try:
            return patterns(ctx)
        finally:
            leave.set()
            thread.join()

    monkeypatch.setitem(sections._BUILDERS, "patterns", patterns_meanwhile)
    section = _run_section("patterns", _context(log, "cn", lang="zh"))
    assert f"日历：{YEARS} 年无节假日数据" in (section.note or "")


def test_bottlenecks_names_the_years_of_its_own_log_only(log):
    cal = WorkingCalendar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal.working_seconds("2030-03-01 09:00", "2030-03-02 09:00")   # another log, before
        result = find_bottlenecks(log, calendar=cal)
    assert f"{YEARS}: no Chinese holiday data" in result.calendar
    assert "2030" not in result.calendar
    # the calendar itself remembers every year, in one note
    assert "2027-2028, 2030: no Chinese holiday data" in cal.describe()


def test_simulate_notes_the_years_of_its_log_with_a_calendar_that_knows_them():
    cal = WorkingCalendar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal.working_seconds("2027-01-04 09:00", "2027-12-30 09:00")
        result = simulate_log(cases=20, seed=1, start="2027-03-01", calendar=cal)
    assert [note[:5] for note in result.notes] == ["2027:"]
    assert "2027: no Chinese holiday data" in result.calendar


def test_fallback_years_collects_cached_years_in_nested_blocks():
    cal = WorkingCalendar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fallback_years() as outer:
            cal.working_seconds("2028-05-02 09:00", "2028-05-03 09:00")
            with fallback_years() as inner:
                cal.working_seconds("2027-05-04 09:00", "2028-05-05 09:00")
        with fallback_years() as later:
            cal.working_seconds("2024-05-06 09:00", "2024-05-07 09:00")
    assert (outer, inner, later) == ({2027, 2028}, {2027, 2028}, set())
    # one note, the years in order, though 2028 was counted first
    assert [note.split(":")[0] for note in cal.notes] == ["2027-2028"]


def test_network_and_compare_name_the_years_they_measured():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = simulate_log(cases=80, seed=2, start="2027-11-20", cases_per_day=6).to_event_log()
        cal = WorkingCalendar()
        cal.working_seconds("2030-03-01 09:00", "2030-03-02 09:00")   # another log, before
        said = {"network": discover_network(log, calendar=cal).calendar,
                "compare": compare_logs(log, split="2027-11-27", calendar=cal).calendar}
    for text in said.values():
        assert f"{YEARS}: no Chinese holiday data" in text
        assert "2030" not in text
