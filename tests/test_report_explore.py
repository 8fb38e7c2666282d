"""The report's explorer in headless Chromium: filters, drill-down, the map's sliders.

Real mouse and keyboard events go through the DevTools protocol (tests/browser.py),
so the page's own script runs under its Content-Security-Policy, as for a reader.
Every number the page shows after a click is computed again here, in pandas.
Screenshots go to test-artifacts/ (git-ignored: the test writes them on each run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from procmine.report import write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Page, chromium_binary  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_binary()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample's report and the per-case table it embeds (for the independent numbers)."""
    from procmine.read import read_log

    out = tmp_path_factory.mktemp("explore") / "report.html"
    report = write_report(read_log(ROOT / "logs" / "sample.csv"), out,
                          workflow=ROOT / "logs" / "workflow.yaml", lang="zh")
    return out, report


@pytest.fixture()
def page(chromium, tmp_path):
    p = Page(chromium, tmp_path / "profile", width=1280, height=1400)
    yield p
    p.close()


def cards(page: Page) -> dict[str, float]:
    pairs = page.js("[].map.call(document.querySelectorAll('#ex-cards .card'),"
                    "function(c){return [c.dataset.key, c.dataset.value]})")
    return {k: float(v) for k, v in pairs if v != ""}


def sample_cases():
    """Per case, computed here from the log and the analyses (not from the page)."""
    from procmine.bottlenecks import find_bottlenecks
    from procmine.loops import find_loops
    from procmine.read import read_log
    from procmine.workflow import read_workflow

    log = read_log(ROOT / "logs" / "sample.csv")
    workflow = read_workflow(ROOT / "logs" / "workflow.yaml")
    events = log.events
    first = events.groupby("case:concept:name").first()
    on_time = find_bottlenecks(log, workflow=workflow).deadlines.cases.set_index("case")["on_time"]
    flags = find_loops(log, aliases=workflow.aliases or None).cases.set_index("case")
    frame = first[["case:category", "case:source"]].copy()
    frame["on_time"] = on_time
    frame["pingpong"] = flags["pingpong"]
    return frame


def test_sample_opens_small_and_fast_with_the_report_numbers(page, built, artifacts):
    path, report = built
    assert path.stat().st_size <= 2_000_000
    seconds = page.open(path)
    assert seconds < 10
    assert page.js("document.getElementById('explore').dataset.ready") == "1"
    shown = cards(page)
    assert shown["explore.cases"] == report.section("summary").numbers["cases"]
    assert shown["explore.on_time"] == pytest.approx(
        report.section("bottlenecks").numbers["deadlines.on_time_rate"])
    for pattern, n in report.section("patterns").numbers.items():
        assert shown[f"explore.pattern.{pattern}"] == n["cases"], pattern
    page.screenshot(artifacts / "explore-sample.png")
    assert page.console == []


def test_a_filter_changes_the_numbers_to_the_right_values(page, built, artifacts):
    path, _ = built
    page.open(path)
    truth = sample_cases()
    category = truth["case:category"].value_counts().index[2]
    page.select("#ex-c", category)
    picked = truth[truth["case:category"] == category]
    shown = cards(page)
    assert shown["explore.cases"] == len(picked)
    assert shown["explore.on_time"] == pytest.approx(picked["on_time"].mean())
    assert shown["explore.pattern.pingpong"] == picked["pingpong"].sum()
    # a second filter narrows further
    source = picked["case:source"].value_counts().index[0]
    page.select("#ex-s", source)
    both = picked[picked["case:source"] == source]
    assert cards(page)["explore.cases"] == len(both)
    rows = page.js("[].map.call(document.querySelectorAll(\"table[data-table='explore.categories'] tbody tr\"),"
                   "function(r){return [r.cells[0].dataset.value, r.cells[1].dataset.value]})")
    assert rows == [[category, str(len(both))]]
    page.screenshot(artifacts / "explore-filtered.png")
    page.click("#ex-reset")
    assert cards(page)["explore.cases"] == len(truth)
    assert page.console == []


def test_click_a_unit_then_a_case_shows_its_steps(page, built):
    from procmine.read import read_log

    path, _ = built
    page.open(path)
    unit = page.js("document.querySelector(\"table[data-table='explore.units'] tbody tr\").cells[0].dataset.value")
    n = int(page.js("document.querySelector(\"table[data-table='explore.units'] tbody tr\").cells[1].dataset.value"))
    page.click("table[data-table='explore.units'] tbody tr")
    assert int(page.js("document.getElementById('ex-list').dataset.count")) == n
    case = page.js("document.querySelector(\"table[data-table='explore.cases'] tbody tr\").cells[0].dataset.value")
    page.click("table[data-table='explore.cases'] tbody tr")
    steps = page.js("[].map.call(document.querySelectorAll('ol.timeline li'),"
                    "function(li){return li.textContent.split(' · ')[0]})")
    events = read_log(ROOT / "logs" / "sample.csv").events
    assert steps == events.loc[events["case:concept:name"] == case, "concept:name"].tolist()
    assert unit


def test_dragging_the_sliders_thins_the_map(page, built, artifacts):
    path, _ = built
    page.open(path)
    before = page.js("[document.querySelector('svg.exmap').dataset.activities,"
                     "document.querySelector('svg.exmap').dataset.paths]")
    page.drag_slider("#ex-paths", 0.2)
    after_paths = int(page.js("document.querySelector('svg.exmap').dataset.paths"))
    assert after_paths < int(before[1])
    assert int(page.js("document.getElementById('ex-paths').value")) < 100
    page.drag_slider("#ex-acts", 0.4)
    acts = int(page.js("document.querySelector('svg.exmap').dataset.activities"))
    assert acts < int(before[0])
    assert page.js("document.querySelectorAll('svg.exmap g.ex-node').length") == acts
    page.screenshot(artifacts / "explore-map-sliders.png")
    assert page.console == []
