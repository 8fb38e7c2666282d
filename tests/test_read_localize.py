"""Naive times read in a zone (procmine.read.times): where the zone's offset holds over
the times' range it is taken off at once; the times are those of pandas' search of each
time among the zone's clock changes, also across and near a change, with missing times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from procmine.read import parse_timestamps
from procmine.read.times import _one_offset


def searched(values: pd.Series, timezone: str) -> pd.Series:
    """The zone searched time by time with Python's own rules (PEP 495): a time the
    clocks repeat is the later one (``fold=1``), a time they skip is read with the offset
    before the change (``fold=0``) — as ICU, and so DuckDB, reads them."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)

    def one(t: pd.Timestamp) -> pd.Timestamp:
        if pd.isna(t):
            return pd.NaT
        first = t.to_pydatetime().replace(tzinfo=zone, fold=0)
        repeated = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == \
            first.replace(tzinfo=None) and first.utcoffset() != first.replace(fold=1).utcoffset()
        chosen = first.replace(fold=1) if repeated else first
        return pd.Timestamp(chosen.astimezone(UTC)).tz_convert(timezone)

    naive = pd.to_datetime(values).astype("datetime64[ns]")
    return pd.Series([one(t) for t in naive], index=naive.index, name=naive.name,
                     dtype=f"datetime64[ns, {timezone}]")


RANGES = {
    "Asia/Shanghai": ("2024-01-01", "2024-12-31"),        # no change since 1991
    "Asia/Shanghai, 1990": ("1990-03-01", "1990-10-01"),  # it had summer time then
    "Europe/Berlin, winter": ("2024-11-01", "2025-02-28"),
    "Europe/Berlin, across spring": ("2024-03-30", "2024-04-02"),
    "Europe/Berlin, across autumn": ("2024-10-26", "2024-10-28"),   # a repeated hour
    "America/New_York, across both": ("2024-03-09", "2024-11-04"),
    "Europe/Berlin, a day after a change": ("2024-03-31 03:00", "2024-03-31 23:00"),
    "America/New_York, summer": ("2024-05-01", "2024-09-01"),
    "UTC": ("2024-01-01", "2024-03-01"),
}


@pytest.mark.parametrize("name", list(RANGES))
def test_times_read_in_a_zone_are_those_of_a_search_time_by_time(name):
    zone = name.split(",")[0]
    low, high = (pd.Timestamp(t) for t in RANGES[name])
    rng = np.random.default_rng(7)
    seconds = rng.integers(0, int((high - low).total_seconds()), 5_000)
    times = pd.Series(low + pd.to_timedelta(np.sort(seconds), unit="s")).astype("datetime64[s]")
    times[[3, 400]] = pd.NaT
    got, assumed = parse_timestamps(times, timezone=zone)
    pd.testing.assert_series_equal(got, searched(times, zone))
    assert assumed and str(got.dtype) == f"datetime64[ns, {zone}]"
    text, _ = parse_timestamps(times.dt.strftime("%Y-%m-%d %H:%M:%S"), timezone=zone)
    pd.testing.assert_series_equal(text, searched(times, zone))


def test_one_offset_only_where_the_zone_keeps_it():
    def offset(zone, low, high):
        return _one_offset(pd.Series(pd.to_datetime([low, high])), zone)

    assert offset("Asia/Shanghai", "2024-01-01", "2024-12-31") == pd.Timedelta(hours=8)
    assert offset("Europe/Berlin", "2024-03-01", "2024-04-30") is None      # summer time begins
    assert offset("Europe/Berlin", "2024-03-31 12:00", "2024-03-31 13:00") is None  # a day after
    assert offset("Asia/Shanghai", "1990-03-01", "1990-10-01") is None
    assert _one_offset(pd.Series(pd.to_datetime([None, None])), "UTC") is None
