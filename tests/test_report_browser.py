"""The HTML report in a real browser: headless Chromium, as a reader opens the file.

Chromium runs as a plain subprocess (no driver, no extra package): ``--dump-dom``
gives the page after its script ran, ``--enable-logging=stderr`` puts every
console message (errors, uncaught exceptions, Content-Security-Policy
violations) on stderr, ``--screenshot`` and ``--print-to-pdf`` show what a
reader sees and prints. The screenshots go to test-artifacts/.

Chromium is installed by ``make setup-test`` (scripts/system-deps.sh --test);
these tests are skipped only where no Chromium or Chrome binary exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from lxml import html as lxml_html

from procmine.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP, EventLog
from procmine.report import SECTIONS, write_report

pytestmark = pytest.mark.slow    # a report of the sample log and four browser runs: ~30 s

_BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


@pytest.fixture(scope="module")
def browser() -> str:
    for name in _BINARIES:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium or Chrome binary on PATH (make setup-test installs one)")


def chromium(browser: str, page: Path, profile: Path, *options: str) -> tuple[str, list[str]]:
    """Open ``page`` headless; the DOM or nothing on stdout, and the console messages."""
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
            "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
            # nothing may be fetched: a request to any host fails
            "--host-resolver-rules=MAP * ~NOTFOUND", *options, page.as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line
               or "Uncaught" in line]
    return proc.stdout, console


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory) -> Path:
    from procmine.read import read_log

    root = Path(__file__).resolve().parents[1] / "logs"
    if not (root / "sample.csv").exists():
        pytest.skip("logs/sample.csv is missing")
    out = tmp_path_factory.mktemp("browser") / "report-sample.html"
    write_report(read_log(root / "sample.csv"), out, workflow=root / "workflow.yaml")
    return out


def test_sample_report_renders_every_section_without_console_errors(browser, sample_page, tmp_path):
    dom, console = chromium(browser, sample_page, tmp_path / "profile", "--dump-dom")
    assert console == []
    doc = lxml_html.document_fromstring(dom)
    assert doc.get("data-ready") == "1"             # our script ran to its end
    found = {el.get("data-section"): el for el in doc.xpath("//details[@data-section]")}
    assert list(found) == list(SECTIONS)
    for name, section in found.items():
        assert section.get("open") is not None, name
        svgs = section.xpath(".//*[local-name()='svg']")
        assert svgs, f"section {name} holds no SVG"
        # a drawn figure, not an empty frame: shapes and text inside
        assert any(svg.xpath(".//*[local-name()='rect' or local-name()='path' or "
                             "local-name()='polygon']") for svg in svgs), name
        notes = [el.text_content() for el in section.xpath(".//*[contains(@class, 'skip')]")]
        assert notes == [], f"section {name}: {notes}"
    sortable = doc.xpath("//table[contains(@class, 'sortable')]//th[@tabindex='0']")
    assert sortable, "the script made no table header sortable"


def test_sample_report_screenshot(browser, sample_page, tmp_path, artifacts):
    shot = artifacts / "report-sample.png"
    shot.unlink(missing_ok=True)
    _, console = chromium(browser, sample_page, tmp_path / "profile", "--window-size=1280,2400",
                          f"--screenshot={shot}")
    assert console == []
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1280, 2400)
        colours = image.convert("RGB").resize((64, 120)).getcolors(64 * 120)
    # a page with header, cards and charts, not a blank or an error page
    assert colours is not None and len(colours) > 50


def test_sample_report_prints_one_section_per_page(browser, sample_page, tmp_path, artifacts):
    pdf = artifacts / "report-sample.pdf"
    pdf.unlink(missing_ok=True)
    _, console = chromium(browser, sample_page, tmp_path / "profile", "--no-pdf-header-footer",
                          f"--print-to-pdf={pdf}")
    assert console == []
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= len(SECTIONS)      # each section starts on a new page


def test_hostile_log_values_stay_text(browser, tmp_path, artifacts):
    hostile = "<script>alert(1)</script>"
    rows = []
    for case in ("c1", "c2", "c3", "c4"):
        rows += [(case, "上报", "2024-03-04 09:00"), (case, hostile, "2024-03-04 10:00"),
                 (case, "<img src=x onerror=alert(2)>", "2024-03-04 10:30"),
                 (case, "结案", "2024-03-05 11:00")]
    frame = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP])
    frame[TIMESTAMP] = pd.to_datetime(frame[TIMESTAMP]).dt.tz_localize("Asia/Shanghai")
    frame[RESOURCE] = '"><svg onload=alert(3)>'
    page = tmp_path / "hostile.html"
    write_report(EventLog(events=frame), page)
    dom, console = chromium(browser, page, tmp_path / "profile", "--dump-dom")
    assert console == []          # an injected script would also break the CSP: a console error
    doc = lxml_html.document_fromstring(dom)
    assert len(doc.xpath("//script")) == 1
    assert not doc.xpath("//img")
    assert not [el for el in doc.iter() if isinstance(el.tag, str)
                and any(a.lower().startswith("on") for a in el.attrib)]
    cells = [td.text_content() for td in doc.xpath("//table[@data-table='summary.top_activities']//td")]
    assert hostile in cells
    chromium(browser, page, tmp_path / "profile", "--window-size=1280,1600",
             f"--screenshot={artifacts / 'report-hostile.png'}")


def test_clicks_sort_tables_and_zoom_drawings(browser, sample_page, tmp_path):
    """The report's script at work: a page that clicks like a reader, then shows the result.

    The clicks come from a second script, so this copy of the page drops the
    Content-Security-Policy that would (rightly) refuse to run it.
    """
    page = sample_page.read_text(encoding="utf-8")
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    clicks = """<script>
      var table = document.querySelector("table[data-table='variants.table']");
      var header = table.querySelector("th[data-col='cases']");
      header.click();                       // numbers: largest first
      var first = [].map.call(table.tBodies[0].rows, function (r) { return r.cells[1].dataset.value; });
      header.click();                       // then smallest first
      var second = [].map.call(table.tBodies[0].rows, function (r) { return r.cells[1].dataset.value; });
      document.body.dataset.first = first.join(",");
      document.body.dataset.second = second.join(",");
      document.body.dataset.sort = header.getAttribute("aria-sort");
      var figure = document.querySelector("figure.graph");
      figure.click();
      document.body.dataset.zoom = figure.classList.contains("zoom") ? "yes" : "no";
      document.getElementById("toggle-all").click();
      document.body.dataset.closed = document.querySelectorAll("details.section:not([open])").length;
    </script></body>"""
    copy = tmp_path / "clicked.html"
    copy.write_text(page.replace("</body>", clicks), encoding="utf-8")
    dom, console = chromium(browser, copy, tmp_path / "profile", "--dump-dom")
    assert console == []
    body = lxml_html.document_fromstring(dom).body
    first = [int(v) for v in body.get("data-first").split(",")]
    second = [int(v) for v in body.get("data-second").split(",")]
    assert first == sorted(first, reverse=True) and second == sorted(second)
    assert len(first) == 30 and first != second
    assert body.get("data-sort") == "ascending"
    assert body.get("data-zoom") == "yes"      # a click shows the fitted drawing full size
    assert body.get("data-closed") == str(len(SECTIONS))   # every section was open: all closed
