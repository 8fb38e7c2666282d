"""The report's layout in headless Chromium at 1280 px: nothing scrolls sideways, no two
texts of a chart overlap, the drawings fit the page and sit under their headings.

Every section is opened, as when printing. Texts are measured by the browser
(``getBoundingClientRect``), so fonts and scaling are those a reader gets. Two lines
of one Graphviz label touch by a pixel or two (their boxes include the font's ascent
and descent): an overlap counts when it covers more than 40% of the lower text's height.
A text is cut when it reaches past its drawing's left or right edge (a Chinese title
laid out for its shorter English words was).
Screenshots go to test-artifacts/ (git-ignored: the test writes them on each run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROAD_XES, real_path

from procmine.report import write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Page, chromium_binary  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 1280

#: what a reader would see as broken, measured in the page
MEASURE = r"""(function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  var out = {page: document.documentElement.scrollWidth, scrolling: [], overlaps: [], clipped: [],
             figures: {}};
  document.querySelectorAll("main *").forEach(function (e) {
    var x = getComputedStyle(e).overflowX;
    if ((x === "auto" || x === "scroll") && e.scrollWidth > e.clientWidth + 1) {
      var t = e.querySelector("[data-table],[data-figure],svg");
      out.scrolling.push((t && (t.dataset.table || t.dataset.figure || t.getAttribute("class"))) || e.tagName);
    }
  });
  document.querySelectorAll("main svg").forEach(function (svg) {
    var frame = svg.getBoundingClientRect();
    svg.querySelectorAll("text").forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.width && (r.left < frame.left - 1 || r.right > frame.right + 1)) {
        out.clipped.push([svg.dataset.figure || svg.getAttribute("class"), t.textContent]);
      }
    });
    var boxes = [].map.call(svg.querySelectorAll("text"), function (t) {
      var r = t.getBoundingClientRect();
      return {l: r.left, r: r.right, t: r.top, b: r.bottom, text: t.textContent};
    }).filter(function (b) { return b.r > b.l; });
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        var a = boxes[i], c = boxes[j];
        var wide = Math.min(a.r, c.r) - Math.max(a.l, c.l), high = Math.min(a.b, c.b) - Math.max(a.t, c.t);
        if (wide > 1 && high > 0.4 * Math.min(a.b - a.t, c.b - c.t)) {
          out.overlaps.push([svg.dataset.figure || svg.getAttribute("class"), a.text, c.text]);
        }
      }
    }
  });
  document.querySelectorAll("figure.graph svg").forEach(function (svg) {
    var r = svg.getBoundingClientRect();
    var heading = svg.closest("details, section").querySelector("h2").getBoundingClientRect();
    var figure = svg.closest("figure").getBoundingClientRect();
    out.figures[svg.dataset.figure] = {left: r.left, right: r.right, width: r.width, height: r.height,
                                       below: r.top - heading.bottom, above: r.top - figure.top};
  });
  return out;
})()"""


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_binary()


def measure(chromium: str, report: Path, profile: Path, shots: dict[str, Path]) -> dict:
    page = Page(chromium, profile, width=WIDTH, height=1000)
    try:
        page.open(report)
        found = page.js(MEASURE)
        for selector, shot in shots.items():
            page.js(f"document.querySelector({selector!r}).scrollIntoView({{block: 'start'}})")
            page.screenshot(shot)
        return found
    finally:
        page.close()


def assert_readable_at_1280(found: dict) -> None:
    assert found["page"] <= WIDTH                   # the page itself never scrolls sideways
    assert found["scrolling"] == []                 # nor does any table, chart or drawing in it
    assert found["overlaps"] == []
    assert found["clipped"] == []                   # no text cut at a drawing's edge
    for name, box in found["figures"].items():
        assert box["left"] >= 0 and box["right"] <= WIDTH, name
        assert box["above"] < 10, name              # no blank band above the drawing in its frame


def test_sample_report_fits_1280_px_and_its_conformance_drawing_sits_under_its_heading(
        chromium, tmp_path, artifacts):
    from procmine.read import read_log

    out = tmp_path / "report.html"
    write_report(read_log(ROOT / "logs" / "sample.csv"), out, workflow=ROOT / "logs" / "workflow.yaml",
                 lang="zh")
    found = measure(chromium, out, tmp_path / "profile", {
        "details[data-section=conformance]": artifacts / "layout-sample-conformance.png",
        "details[data-section=summary]": artifacts / "layout-sample-summary.png",
        "section.leaders": artifacts / "layout-sample-leaders.png"})
    assert_readable_at_1280(found)
    conformance = found["figures"]["conformance"]
    # under the section's cards (two rows of 150 px at most), no blank area before it
    assert 0 < conformance["below"] < 200
    # laid out top down: readable (at least 60% of full size), at most two screens tall
    assert conformance["width"] >= 300 and conformance["height"] < 2002


def test_road_traffic_report_fits_1280_px(chromium, tmp_path, artifacts):
    from procmine.read import read_log

    out = tmp_path / "road.html"
    write_report(read_log(real_path(ROAD_XES)), out, lang="zh", calendar=None)
    found = measure(chromium, out, tmp_path / "profile", {
        "section.leaders": artifacts / "layout-road-leaders.png",
        "#ex-map": artifacts / "layout-road-explorer-map.png",
        "details[data-section=summary]": artifacts / "layout-road-summary.png"})
    assert_readable_at_1280(found)
    assert {"leaders", "map", "model"} <= set(found["figures"])
