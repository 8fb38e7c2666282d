"""The output helpers: one rule for durations in every table."""

from __future__ import annotations

from procmine.output import human_duration


def test_duration_rule_names_working_days_of_the_calendar():
    assert human_duration(1012.5 * 3600, basis="working", day_seconds=7 * 3600) == "144.6 working days"
    assert human_duration(1012.5 * 3600, basis="working", day_seconds=7 * 3600, lang="zh") == \
        "144.6 工作日"
    assert human_duration(19.9 * 3600, basis="working", day_seconds=8 * 3600) == "2.5 working days"
    assert human_duration(5 * 3600, basis="working", day_seconds=7 * 3600) == "5.0 working h"
    assert human_duration(5 * 3600, basis="working", day_seconds=7 * 3600, lang="zh") == "5.0 工作小时"
    assert human_duration(30 * 60, basis="working") == "30 working min"
    assert human_duration(1.8 * 86400) == "1.8 d"             # clock time keeps 24-hour days
    assert human_duration(3 * 3600, lang="zh") == "3.0小时"
