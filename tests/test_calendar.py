"""The working calendar: durations and due times worked out by hand, and a naive reference."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import chinese_calendar
import numpy as np
import pandas as pd
import pytest

from procmine.calendar import (
    CalendarFallbackWarning,
    WorkingCalendar,
    calendar_from_option,
    choose_calendar,
    parse_hours,
    read_calendar,
)
from procmine.errors import SpecError

H = 3600
CAL = WorkingCalendar()   # 09:00-12:00, 13:30-17:30: 7 working hours a day


def ws(start: str, end: str, cal: WorkingCalendar = CAL) -> float:
    return cal.working_seconds(start, end)


# -- the holiday data the hand-worked numbers rely on --------------------------------
def test_chinese_calendar_knows_the_2024_holidays_used_below():
    workday = chinese_calendar.is_workday
    assert [workday(dt.date(2024, 2, d)) for d in range(10, 18)] == [False] * 8   # Spring Festival
    assert workday(dt.date(2024, 2, 4)) and workday(dt.date(2024, 2, 18))        # swapped Sundays
    assert workday(dt.date(2024, 2, 9)) and not workday(dt.date(2024, 2, 3))
    assert [workday(dt.date(2024, 10, d)) for d in range(1, 8)] == [False] * 7    # National Day
    assert workday(dt.date(2024, 9, 29)) and workday(dt.date(2024, 10, 12))      # Sun, Sat worked


# -- durations -------------------------------------------------------------------------
def test_span_over_a_weekend():
    # Fri 16:00-17:30 (1.5 h) + Mon 09:00-10:00 (1 h)
    assert ws("2024-03-01 16:00", "2024-03-04 10:00") == 2.5 * H


def test_lunch_break_and_evening_do_not_count():
    assert ws("2024-03-05 11:00", "2024-03-05 14:00") == 1.5 * H
    assert ws("2024-03-05 18:00", "2024-03-05 23:00") == 0
    assert ws("2024-03-05 08:00", "2024-03-05 20:00") == 7 * H


def test_span_over_spring_festival_2024():
    # Fri 9 Feb 15:00-17:30 (2.5 h), 10-17 Feb off, Sun 18 Feb worked (7 h), Mon 19 Feb 09-10 (1 h)
    assert ws("2024-02-09 15:00", "2024-02-19 10:00") == 10.5 * H
    # Sat 3 Feb is a day off, Sun 4 Feb a swapped working day
    assert ws("2024-02-03 10:00", "2024-02-04 10:00") == 1 * H
    assert ws("2024-02-11 09:00", "2024-02-16 17:30") == 0


def test_span_over_national_day_2024():
    # Mon 30 Sep 16:00-17:30 (1.5 h), 1-7 Oct off, Tue 8 Oct 09-10 (1 h)
    assert ws("2024-09-30 16:00", "2024-10-08 10:00") == 2.5 * H
    # Sat 12 Oct is worked: Fri 17:00-17:30 + Sat 7 h + Mon 09:00-09:30
    assert ws("2024-10-11 17:00", "2024-10-14 09:30") == 8 * H


def test_negative_when_end_is_before_start():
    assert ws("2024-03-04 10:00", "2024-03-01 16:00") == -2.5 * H


def test_clock_calendar_counts_every_second():
    none = WorkingCalendar(kind="none")
    assert ws("2024-02-09 15:00", "2024-02-19 10:00", none) == (9 * 24 + 19) * H
    assert none.day_seconds == 24 * H


def test_timezone_aware_times_are_read_in_shanghai():
    start = pd.Timestamp("2024-03-01 08:00", tz="UTC")     # 16:00 in Shanghai
    end = pd.Timestamp("2024-03-04 02:00", tz="UTC")       # 10:00 in Shanghai
    assert CAL.working_seconds(start, end) == 2.5 * H


def test_vectorised_over_series_keeps_index_and_nat():
    start = pd.Series(pd.to_datetime(["2024-03-01 16:00", None, "2024-02-09 15:00"]), index=[7, 8, 9])
    end = pd.Series(pd.to_datetime(["2024-03-04 10:00", "2024-03-04 10:00", "2024-02-19 10:00"]),
                    index=[7, 8, 9])
    out = CAL.working_seconds(start, end)
    assert list(out.index) == [7, 8, 9]
    assert out[7] == 2.5 * H and np.isnan(out[8]) and out[9] == 10.5 * H


def _naive_working_seconds(start: dt.datetime, end: dt.datetime) -> float:
    """Day by day, interval by interval, with chinese_calendar: slow and obviously right."""
    total = 0.0
    day = start.date()
    while day <= end.date():
        if chinese_calendar.is_workday(day):
            for a, b in (((9, 0), (12, 0)), ((13, 30), (17, 30))):
                lo = max(start, dt.datetime.combine(day, dt.time(*a)))
                hi = min(end, dt.datetime.combine(day, dt.time(*b)))
                total += max(0.0, (hi - lo).total_seconds())
        day += dt.timedelta(days=1)
    return total


def test_matches_a_naive_day_by_day_count_on_random_spans():
    rng = np.random.default_rng(5)
    base = pd.Timestamp("2023-12-20").value
    starts = pd.to_datetime(base + rng.integers(0, 400 * 86400, 300) * 10**9)
    ends = starts + pd.to_timedelta(rng.integers(0, 40 * 86400, 300), unit="s")
    got = CAL.working_seconds(starts, ends)
    want = [_naive_working_seconds(s.to_pydatetime(), e.to_pydatetime()) for s, e in zip(starts, ends, strict=True)]
    np.testing.assert_allclose(got, want, atol=1e-3)


# -- due times -------------------------------------------------------------------------
def test_due_time_over_national_day():
    # 2 working days = 14 h: Mon 30 Sep 10:00-17:30 gives 6 h, Tue 8 Oct 7 h, Wed 9 Oct 1 h
    assert CAL.add_working_time("2024-09-30 10:00", 2 * CAL.day_seconds) == pd.Timestamp("2024-10-09 10:00")


def test_due_time_falls_on_a_swapped_working_sunday():
    # 4 h from Fri 9 Feb 15:00: 2.5 h that day, 1.5 h on Sun 18 Feb
    assert CAL.add_working_time("2024-02-09 15:00", 4 * H) == pd.Timestamp("2024-02-18 10:30")


def test_due_time_is_the_earliest_instant():
    # 3 h from 09:00 is the start of lunch, not its end; 7 h is 17:30, not 09:00 the next day
    assert CAL.add_working_time("2024-03-05 09:00", 3 * H) == pd.Timestamp("2024-03-05 12:00")
    assert CAL.add_working_time("2024-03-05 09:00", 7 * H) == pd.Timestamp("2024-03-05 17:30")
    assert CAL.add_working_time("2024-03-05 20:00", 0) == pd.Timestamp("2024-03-05 20:00")
    # a working day from Saturday ends on Monday evening
    assert CAL.add_working_time("2024-03-09 11:00", CAL.day_seconds) == pd.Timestamp("2024-03-11 17:30")


def test_due_time_keeps_timezone_and_inverts_working_seconds():
    rng = np.random.default_rng(2)
    start = pd.Series(pd.to_datetime(pd.Timestamp("2024-01-01").value + rng.integers(0, 300 * 86400, 2000) * 10**9)
                      ).dt.tz_localize("Asia/Shanghai")
    amount = rng.integers(1, 30 * 7 * 3600, 2000).astype(float)
    due = CAL.add_working_time(start, amount)
    assert str(due.dt.tz) == "Asia/Shanghai"
    np.testing.assert_allclose(CAL.working_seconds(start, due), amount, atol=1e-3)
    assert CAL.is_working_time(due).all()


def test_is_working_time_includes_the_ends_of_office_hours():
    assert CAL.is_working_time(["2024-03-05 09:00", "2024-03-05 12:00", "2024-03-05 12:01",
                                "2024-03-05 17:30", "2024-03-09 10:00"]).tolist() == \
        [True, True, False, True, False]


# -- years without holiday data --------------------------------------------------------
def test_2027_falls_back_to_weekends_with_a_warning():
    cal = WorkingCalendar()
    with pytest.warns(CalendarFallbackWarning, match="2027"):
        # Fri 1 Jan 2027 counted as a working day, Sat 2 Jan not
        assert cal.working_seconds("2027-01-01 09:00", "2027-01-04 10:00") == 8 * H
    assert any("2027" in note and "weekends only" in note for note in cal.notes)
    assert "2027" in cal.describe()


def test_a_calendar_file_covers_2027(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text("name: 2027 rules\nholidays: [2027-01-01]\nworkdays: [2027-01-02]\n"
                    "hours: ['08:30-12:00', '13:00-17:00']\n", encoding="utf-8")
    cal = read_calendar(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # 1 Jan is off, Sat 2 Jan worked (7.5 h), Mon 4 Jan 08:30-10:00 (1.5 h)
        assert cal.working_seconds("2027-01-01 09:00", "2027-01-04 10:00") == 9 * H
        # and 2024 still comes from chinese_calendar
        assert cal.working_seconds("2024-02-09 17:00", "2024-02-18 09:00") == 0.5 * H
    assert cal.day_seconds == 7.5 * H


def test_csv_calendar_with_ranges_of_rows(tmp_path):
    path = tmp_path / "cal.csv"
    path.write_text("date,type\n2024-03-04,holiday\n2024-03-09,班\n09:00-12:00,hours\n", encoding="utf-8")
    cal = read_calendar(path)
    assert cal.is_working_day(["2024-03-04", "2024-03-09", "2024-03-10"]).tolist() == [False, True, False]
    assert cal.day_seconds == 3 * H


def test_yaml_ranges_and_weekends_only_base(tmp_path):
    path = tmp_path / "cal.yml"
    path.write_text("base: weekends\nholidays:\n  - {from: 2024-10-01, to: 2024-10-03}\n", encoding="utf-8")
    cal = read_calendar(path)
    # without chinese_calendar, 4 Oct (a public holiday) is an ordinary Friday
    assert cal.is_working_day(["2024-10-03", "2024-10-04", "2024-09-29"]).tolist() == [False, True, False]


def test_option_names_and_errors(tmp_path):
    assert calendar_from_option("cn").kind == "cn"
    assert calendar_from_option(None).kind == "cn"
    assert calendar_from_option("none").kind == "none"
    assert calendar_from_option("cn", hours="08:00-12:00,14:00-18:00").day_seconds == 8 * H
    with pytest.raises(SpecError, match="not cn, a country code, weekdays, none or an existing file"):
        calendar_from_option(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("holidays: [2024-13-01]\n", encoding="utf-8")
    with pytest.raises(SpecError, match="bad.yaml"):
        read_calendar(bad)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("holiday: [2024-10-01]\n", encoding="utf-8")
    with pytest.raises(SpecError, match="unknown key"):
        read_calendar(unknown)


@pytest.mark.parametrize(("text", "error"), [
    ("hours: [9]\n", "office hours 9: expected HH:MM-HH:MM"),
    ("hours: [null]\n", "office hours None: expected HH:MM-HH:MM"),
    ("hours: []\n", "office hours are empty"),
    ("holidays: [2024-01-06]\nworkdays: [2024-01-06]\n",
     "2024-01-06 is listed both as a holiday and as a workday"),
    ("base: weekends\nweekend: [mon, tue, wed, thu, fri, sat, sun]\n",
     "the weekend is all seven days and no workdays are listed"),
    ("timezone: Mars/Base\n", "unknown timezone 'Mars/Base'"),
    ("timezone: ''\n", "unknown timezone ''"),
])
def test_a_calendar_file_that_cannot_count_is_refused(tmp_path, text, error):
    path = tmp_path / "cal.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(f"{path}: {error}")):
        read_calendar(path)


def test_one_value_in_a_calendar_file_is_a_list_of_one(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text("base: weekends\nweekend: sun\nholidays: 2024-03-04\n"
                    "hours: '09:00-17:00'\n", encoding="utf-8")
    cal = read_calendar(path)
    assert cal.weekend == (6,)  # Sunday, not the letters s, u, n
    # Sat 2 Mar is worked, Mon 4 Mar is the holiday, Sun 3 Mar is the weekend
    assert cal.is_working_day(["2024-03-02", "2024-03-03", "2024-03-04"]).tolist() == [True, False, False]
    assert cal.day_seconds == 8 * H


def test_office_hours_are_validated():
    assert parse_hours("9:00-12:00") == ((9 * H, 12 * H),)
    for bad in ("9-12", "12:00-09:00", "09:00-13:00,12:00-17:00", "25:00-26:00"):
        with pytest.raises(SpecError):
            parse_hours(bad)


def test_module_level_forms_take_an_option_or_a_calendar():
    from procmine.calendar import add_working_time, working_seconds

    assert working_seconds("2024-03-01 16:00", "2024-03-04 10:00") == 2.5 * H
    assert working_seconds("2024-03-01 16:00", "2024-03-04 10:00", calendar="none") == 66 * H
    assert add_working_time("2024-09-30 10:00", 14 * H, calendar=CAL) == pd.Timestamp("2024-10-09 10:00")


# -- calendars beyond China -------------------------------------------------------------
def test_country_calendar_skips_its_public_holidays_with_plain_office_hours():
    nl = calendar_from_option("nl")
    # Tue 24 Dec 16:00-17:00, Christmas and Boxing Day off, Fri 27 Dec 09:00-10:00
    assert ws("2024-12-24 16:00", "2024-12-27 10:00", nl) == 2 * H
    assert nl.day_seconds == 8 * H
    assert "Netherlands" in nl.describe() and "09:00-17:00 (the default outside China)" in nl.describe()
    # Thu 4 July is a holiday in the US, not in Italy; 25 April (Liberation Day) the other way
    assert ws("2024-07-04 09:00", "2024-07-04 17:00", calendar_from_option("us")) == 0
    assert ws("2024-07-04 09:00", "2024-07-04 17:00", calendar_from_option("it")) == 8 * H
    assert ws("2024-04-25 09:00", "2024-04-25 17:00", calendar_from_option("it")) == 0
    # any year: the holidays package computes them
    assert ws("1999-12-24 16:00", "1999-12-27 10:00", calendar_from_option("NL")) == 2 * H
    assert calendar_from_option("de", hours="08:00-12:00").day_seconds == 4 * H


def test_weekdays_counts_holidays_as_working_days():
    weekdays = calendar_from_option("weekdays")
    assert ws("2024-12-24 16:00", "2024-12-27 10:00", weekdays) == 18 * H
    assert ws("2024-12-27 16:00", "2024-12-30 10:00", weekdays) == 2 * H   # Fri -> Mon
    assert weekdays.describe().startswith("weekdays: weekends only")


def test_unknown_country_code_is_an_error():
    with pytest.raises(SpecError, match="'xx': not cn, weekdays, none, a country code"):
        calendar_from_option("xx")


def test_calendar_file_on_top_of_a_country(tmp_path):
    path = tmp_path / "amsterdam.yaml"
    path.write_text("base: nl\nholidays: [2024-12-23]\n", encoding="utf-8")
    cal = read_calendar(path)
    # Mon 23 Dec from the file, 25/26 Dec from the Dutch holidays; 09:00-17:00 by default
    assert ws("2024-12-20 16:00", "2024-12-27 10:00", cal) == 10 * H
    assert "public holidays of Netherlands" in cal.describe()
    path.write_text("base: xx\n", encoding="utf-8")
    with pytest.raises(SpecError, match="base 'xx': expected cn, weekends or a country code"):
        read_calendar(path)


# -- the zone the calendar counts in ------------------------------------------------------
def test_in_zone_counts_on_the_wall_clock_of_the_log():
    weekdays = calendar_from_option("weekdays")          # 09:00-17:00
    start = pd.Timestamp("2024-03-05 08:00", tz="UTC")   # 09:00 in Amsterdam, 16:00 in Shanghai
    end = pd.Timestamp("2024-03-05 10:00", tz="UTC")     # 11:00 in Amsterdam, 18:00 in Shanghai
    assert weekdays.working_seconds(start, end) == 1 * H                     # Shanghai by default
    assert weekdays.in_zone("Europe/Amsterdam").working_seconds(start, end) == 2 * H
    # None: the zone the times carry
    here = start.tz_convert("America/New_York"), end.tz_convert("America/New_York")  # 03:00-05:00
    assert weekdays.in_zone(None).working_seconds(*here) == 0
    due = weekdays.in_zone(None).add_working_time(here[0], H)
    assert due == pd.Timestamp("2024-03-05 10:00", tz="America/New_York")
    # the zoned copy reports into the same notes
    cn = WorkingCalendar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarFallbackWarning)
        cn.in_zone("Europe/Amsterdam").working_seconds("2031-01-06 09:00", "2031-01-06 10:00")
    assert any("2031" in note for note in cn.notes)


# -- the calendar chosen from the log --------------------------------------------------------
def test_auto_chooses_cn_for_a_chinese_log_and_clock_time_otherwise():
    chinese = choose_calendar("auto", headers=["工单编号", "环节", "时间"], timezone="Europe/Amsterdam")
    assert (chinese.name, chinese.calendar.kind) == ("cn", "cn")
    assert chinese.message() == "Calendar: cn (the log's column names are Chinese, e.g. 工单编号)"
    english = choose_calendar("auto", headers=["case", "activity", "time"], timezone="Europe/Amsterdam")
    assert (english.name, english.calendar.kind) == ("none", "none")
    assert "--calendar nl" in english.message()
    # a Chinese zone counts when the user gave it, not as the default of --timezone
    given = choose_calendar("auto", headers=["case"], timezone="Asia/Shanghai", timezone_given=True)
    default = choose_calendar("auto", headers=["case"], timezone="Asia/Shanghai", timezone_given=False)
    assert (given.name, default.name) == ("cn", "none")
    chosen = choose_calendar("it", headers=["工单编号"])
    assert (chosen.name, chosen.calendar.country, chosen.reason) == ("it", "IT", "--calendar")
