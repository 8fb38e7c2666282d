"""The report's own SVG charts: the case-start column chart's x-axis labels never overlap.

The labels' boxes are estimated from the SVG text the way a browser draws it at the
chart's 12 px: CJK glyphs square, any other glyph 0.62 em (a little wider than the
digits of the common sans-serif fonts, so the check errs on the strict side).
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROAD_XES, real_path
from lxml import etree

from procmine.log import ACTIVITY, CASE, TIMESTAMP, EventLog
from procmine.report.charts import _columns
from procmine.report.sections import _case_starts

SVG = {"s": "http://www.w3.org/2000/svg"}


def axis_labels(svg: str) -> list[tuple[float, float, str]]:
    """(left, right, text) of each x-axis label, estimated at 12 px."""
    root = etree.fromstring(svg.encode())
    height = float(root.get("height"))
    out = []
    for text in root.xpath("//s:text[@text-anchor='middle']", namespaces=SVG):
        assert float(text.get("y")) > height - 20            # under the columns
        label = text.text or ""
        width = sum(12 if ord(c) > 0x2E80 else 0.62 * 12 for c in label)
        x = float(text.get("x"))
        out.append((x - width / 2, x + width / 2, label))
    return out


def assert_readable(svg: str) -> list[str]:
    """No two axis labels overlap, none sticks out of the chart; the labels."""
    width = float(etree.fromstring(svg.encode()).get("width"))
    boxes = sorted(axis_labels(svg))
    assert boxes, "no axis label at all"
    overlaps = [(a[2], b[2]) for a, b in zip(boxes, boxes[1:], strict=False) if b[0] < a[1]]
    assert overlaps == []
    assert boxes[0][0] >= 0 and boxes[-1][1] <= width
    return [b[2] for b in boxes]


def starts_log(first: str, last: str, cases: int) -> EventLog:
    """One event per case, the cases' starts spread evenly from ``first`` to ``last``."""
    times = pd.date_range(first, last, periods=cases, tz="Asia/Shanghai")
    return EventLog(events=pd.DataFrame({CASE: [f"c{i}" for i in range(cases)],
                                         ACTIVITY: "上报", TIMESTAMP: times}))


@pytest.mark.parametrize("first, last, period, columns", [
    ("2024-03-04", "2024-03-06", "week", 1),          # three days
    ("2024-03-04", "2024-03-20", "week", 3),
    ("2024-01-01", "2024-02-19", "week", 8),          # the sample's span of reports
    ("2024-01-01", "2024-04-01", "week", 14),
    ("2024-01-01", "2025-02-10", "week", 59),
    ("2024-01-01", "2025-03-01", "month", 15),
    ("2010-01-01", "2024-12-31", "month", 180),
    ("2000-01-01", "2024-12-31", "year", 25),
    ("1950-01-01", "2024-12-31", "year", 75),
])
def test_case_start_labels_never_overlap(first, last, period, columns):
    got_period, starts = _case_starts(starts_log(first, last, 400))
    assert (got_period, len(starts)) == (period, columns)
    labels = assert_readable(_columns("summary-starts", starts))
    assert labels[0] == starts[0][0]                 # the first period is always named
    assert len(labels) >= min(columns, 4)            # and a few more to read the axis by


def test_each_of_the_sample_weeks_keeps_its_label(sample):
    from procmine.read import read_log

    period, starts = _case_starts(read_log(sample))
    labels = assert_readable(_columns("summary-starts", starts))
    assert period == "week" and len(starts) == 8
    assert labels == [f"{d:%Y-%m-%d}" for d in pd.date_range("2024-01-01", periods=8, freq="7D")]


@pytest.mark.slow
def test_road_traffic_months_over_thirteen_years_do_not_overlap():
    from procmine.read import read_log

    period, starts = _case_starts(read_log(real_path(ROAD_XES)))
    labels = assert_readable(_columns("summary-starts", starts))
    assert period == "month" and len(starts) > 150
    assert 5 <= len(labels) <= 12
