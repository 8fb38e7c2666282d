"""The leaders' page (领导摘要): findings with numbers, comparisons and places, ranked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from procmine.log import EventLog
from procmine.report import build_report


@pytest.fixture(scope="module")
def sample_zh():
    from procmine.read import read_log

    root = Path(__file__).resolve().parents[1] / "logs"
    return build_report(read_log(root / "sample.csv"), workflow=root / "workflow.yaml", lang="zh")


def findings(page: str) -> list:
    return lxml_html.document_fromstring(page).xpath("//section[@class='leaders']//ol/li")


def test_sample_leaders_page_ranks_five_to_eight_findings(sample_zh):
    found = findings(sample_zh.html)
    assert 5 <= len(found) <= 8
    weights = [float(li.get("data-weight")) for li in found]
    assert weights == sorted(weights, reverse=True) and weights[-1] > 0
    texts = {li.get("data-finding"): li.text_content() for li in found}
    # the numbers are those of the sections: on time as bottlenecks, the two clocks as audit
    on_time = sample_zh.section("bottlenecks").numbers["deadlines.on_time_rate"]
    assert f"按时办结率 {100 * on_time:.1f}%" in texts["on_time"]
    audit = sample_zh.section("audit").numbers
    assert f"{100 * audit['citizen_on_time_rate']:.1f}%" in texts["clocks"]
    # each one compares halves, or against the workflow / the platform's clock, and names a place
    assert "前半段" in texts["on_time"] and "后半段" in texts["on_time"]
    assert re.search(r"超期最多的单位是\S+（\d+ 件）", texts["on_time"])
    assert "未按规定流程办理" in texts["conformance"] and "推诿" in texts["conformance"]
    for text in texts.values():
        assert not re.search(r"\b(h|d|min|cases|ping-pong)\b", text), text
    # the process for leaders is BPMN, not a Petri net
    leaders = lxml_html.document_fromstring(sample_zh.html).xpath("//section[@class='leaders']")[0]
    assert "BPMN" in leaders.xpath(".//figcaption")[0].text_content()
    assert leaders.xpath(".//*[local-name()='svg']")


def test_no_finding_and_no_card_for_a_pattern_never_seen():
    import pandas as pd

    from procmine.log import ACTIVITY, CASE, TIMESTAMP

    rows = []
    for i in range(40):
        day = pd.Timestamp("2024-03-01 09:00", tz="Asia/Shanghai") + pd.Timedelta(days=i)
        rows += [(f"c{i}", "上报", day), (f"c{i}", "处置", day + pd.Timedelta(hours=2 + i % 3)),
                 (f"c{i}", "结案", day + pd.Timedelta(hours=5))]
    report = build_report(EventLog(events=pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP])))
    keys = [li.get("data-finding") for li in findings(report.html)]
    assert not [k for k in keys if k.startswith("pattern.")]
    # nor in the explorer, whose cards and table list the patterns its data names
    import json

    (data,) = lxml_html.document_fromstring(report.html).xpath("//textarea[@id='explore-data']")
    assert json.loads(data.text)["patterns"] == []
    assert "0.0%" not in "".join(lxml_html.document_fromstring(report.html).xpath(
        "//section[@class='overview']//text()"))


#: words that mean an English sentence was left in a Chinese report
ENGLISH = {
    "the", "of", "and", "at", "in", "to", "with", "without", "back", "cases", "case", "events",
    "activities", "paths", "shown", "widest", "darkest", "arrows", "boxes", "returned", "returner",
    "unexpected", "skipped", "repeated", "order", "fitness", "conform", "office", "hours",
    "public", "holidays", "working", "days", "clock", "median", "wait", "count", "line", "block",
    "ping", "pong", "frequency", "transitions", "escalations", "dispatches", "levels", "mean",
    "time", "top", "pairs", "min", "h", "d", "s", "none", "kept", "dropped", "reason", "total",
    "share", "unit", "units", "same_unit", "weekends", "only", "colour", "most", "frequent",
}


def visible_words(page: str) -> set[str]:
    """The ASCII words a reader sees (text and tooltips), without data names, file and
    column identifiers and the command lines the report quotes."""
    doc = lxml_html.document_fromstring(page)
    for hidden in doc.xpath("//textarea|//script|//style|//code"):
        hidden.getparent().remove(hidden)
    texts = []
    for el in doc.iter():
        if isinstance(el.tag, str):
            texts += [el.text or "", el.tail or ""]
            texts += [v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "title"]
    words = set()
    for text in texts:
        text = re.sub(r"procmine [^）)]*", " ", text)             # a command line, quoted
        text = re.sub(r"\S*[:/._@]\S*", " ", text)               # case:category, a/b.csv, utf-8-sig
        words |= {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text)}
    return words


def test_chinese_report_has_no_english_words_but_names_from_the_data(sample_zh):
    from procmine.read import read_log

    root = Path(__file__).resolve().parents[1] / "logs"
    events = read_log(root / "sample.csv").events
    data = set()
    for column in events.columns:
        if events[column].dtype == object or str(events[column].dtype).startswith(("str", "string")):
            for value in events[column].dropna().unique():
                data |= {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", str(value))}
    left = (visible_words(sample_zh.html) - data) & ENGLISH
    assert not left, sorted(left)
    # and the check can fail: the English report is full of them
    from procmine.read import read_log as read

    english = build_report(read(root / "sample.csv").events.pipe(lambda e: EventLog(events=e.head(400))),
                           lang="en")
    assert len(visible_words(english.html) & ENGLISH) > 10


def test_without_workflow_the_page_says_how_cases_end_and_how_varied_their_paths_are():
    """A log with no deadlines, categories or workflow (as road traffic): how the cases
    end and how many paths they take, each compared between the halves, with its unit."""
    import pandas as pd

    from procmine.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP

    rows = []
    for i in range(120):
        day = pd.Timestamp("2024-01-01 09:00", tz="Asia/Shanghai") + pd.Timedelta(days=i)
        unit = "一中队" if i % 2 else "二中队"
        # the first 60 cases: one in three collected; the last 60: one in six; 8 rare paths
        collected = i % 3 == 0 if i < 60 else i % 6 == 0
        steps = ["立案", "告知", "催缴" if collected else "缴款"]
        if i % 15 == 7:
            steps = ["立案", *(["告知"] * (2 + i // 15)), "缴款"]
        rows += [(f"c{i:03}", s, day + pd.Timedelta(hours=k), unit) for k, s in enumerate(steps)]
    log = EventLog(events=pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE]))
    texts = {li.get("data-finding"): li.text_content() for li in findings(build_report(log, lang="zh").html)}
    # 缴款 ends 120 - 30 = 90 cases; 催缴 30: 20 of the first 60, 10 of the last 60
    assert texts["ends"].startswith("25.0% 的工单（30 件）以「催缴」结束：前半段 33.3%，后半段 16.7%")
    assert "最常见的结束环节是「缴款」（75.0%）" in texts["ends"]
    assert "占比最高的单位是" in texts["ends"]
    # 2 common paths (112 cases) and 8 of one case each: the five most common cover 115 of 120
    assert texts["paths"].startswith("工单共有 10 种办理路径，最常见的 5 种覆盖 95.8% 的工单")
    english = {li.get("data-finding"): li.text_content()
               for li in findings(build_report(log, lang="en").html)}
    assert english["ends"].startswith("25.0% of the cases (30) end with 催缴: 33.3% in the first half")


def test_the_waits_leave_follow_up_steps_aside(sample_zh):
    """结案 → 回访 (the call-back after closure) holds 15.7% of the sample's waiting time,
    but no citizen waits for it: it is no finding; 签收 → 处置 is."""
    texts = {li.get("data-finding"): li.text_content() for li in findings(sample_zh.html)}
    assert "「签收 → 处置」" in texts["wait"]
    assert "回访" not in texts["wait"] and "wait.next" not in texts
    assert "paths" not in texts              # with a workflow, the conformance finding says it


@pytest.mark.slow
def test_road_traffic_has_five_to_eight_findings():
    from conftest import ROAD_XES, real_path

    from procmine.read import read_log

    report = build_report(read_log(real_path(ROAD_XES)), lang="zh", calendar=None)
    texts = {li.get("data-finding"): li.text_content() for li in findings(report.html)}
    assert 5 <= len(texts) <= 8
    assert {"wait", "ends", "paths", "volume"} <= set(texts)
    # 58,997 of the 150,370 fines end with the credit collection, 67,201 with the payment
    assert texts["ends"].startswith("39.2% 的工单（58,997 件）以「Send for Credit Collection」结束")
    assert "「Payment」（44.7%）" in texts["ends"]


def test_cases_too_recent_to_be_finished_are_pointed_out(sample_zh):
    """Cases that take 40 days, reported until the log's last day: the second half's
    durations are shorter only because its cases are not finished; the page says so."""
    import pandas as pd

    from procmine.log import ACTIVITY, CASE, TIMESTAMP

    rows = []
    last = pd.Timestamp("2024-04-30 09:00", tz="Asia/Shanghai")
    for i in range(120):
        day = pd.Timestamp("2024-01-01 09:00", tz="Asia/Shanghai") + pd.Timedelta(days=i)
        rows += [(f"c{i:03}", "立案", day), (f"c{i:03}", "结案", min(day + pd.Timedelta(days=40), last))]
    report = build_report(EventLog(events=pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP])),
                          lang="en", calendar=None)
    page = lxml_html.document_fromstring(report.html)
    assert "duration" in [li.get("data-finding") for li in findings(report.html)]
    (note,) = page.xpath("//p[@data-note='unfinished']")
    # nine in ten cases take 40 days: the 39 cases reported after 21 March may be unfinished
    assert note.text_content().startswith("Note: 32.5% of the cases (39) started less than the time "
                                          "nine in ten cases take (40.0 d)")
    # the sample's cases are all finished (its last event is months after its last report)
    assert not lxml_html.document_fromstring(sample_zh.html).xpath("//p[@data-note='unfinished']")
