"""procmine.report: the self-contained HTML report (API).

The report is checked the way a reader and a browser meet it: the page is
parsed, each section looked up by its ``data-section``, each headline figure by
its ``data-key``, each table by its ``data-table``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from lxml import html as lxml_html

from procmine.errors import OutputError
from procmine.log import ACTIVITY, CASE, CATEGORY, RESOURCE, TIMESTAMP, EventLog
from procmine.report import SECTIONS, build_report, default_lang, stages, write_report
from procmine.simulate import simulate_log

WITHOUT_CONFORMANCE = [s for s in SECTIONS if s != "conformance"]


def parse(page: str):
    return lxml_html.document_fromstring(page)


def sections(page: str) -> dict:
    return {el.get("data-section"): el for el in parse(page).xpath("//details[@data-section]")}


def card(page: str, key: str) -> str:
    (el,) = parse(page).xpath(f"//*[@data-key='{key}']")
    return el.get("data-value")


def table(page: str, name: str) -> list[dict[str, str]]:
    (tab,) = parse(page).xpath(f"//table[@data-table='{name}']")
    cols = [th.get("data-col") for th in tab.xpath("./thead/tr/th")]
    return [dict(zip(cols, [td.get("data-value") for td in tr.xpath("./td")], strict=True))
            for tr in tab.xpath("./tbody/tr")]


@pytest.fixture(scope="module")
def small_log(tmp_path_factory) -> EventLog:
    """A simulated dispatch log with every column (levels, kinds, deadlines ...), read
    from a CSV file as a user's log is (so it has a load report)."""
    from procmine.read import read_log

    path = tmp_path_factory.mktemp("log") / "small.csv"
    simulate_log(cases=150, seed=11).events.to_csv(path, index=False)
    return read_log(path)


@pytest.fixture(scope="module")
def small_report(small_log):
    return build_report(small_log, lang="en")


def events(rows: list[tuple], extra: dict | None = None) -> EventLog:
    """An EventLog from (case, activity, time) rows, times in Asia/Shanghai."""
    frame = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP])
    frame[TIMESTAMP] = pd.to_datetime(frame[TIMESTAMP]).dt.tz_localize("Asia/Shanghai")
    for column, values in (extra or {}).items():
        frame[column] = values
    return EventLog(events=frame.sort_values([CASE, TIMESTAMP], kind="stable").reset_index(drop=True))


def test_every_section_is_there_with_a_figure(small_report):
    found = sections(small_report.html)
    assert list(found) == WITHOUT_CONFORMANCE
    for name, element in found.items():
        assert element.xpath(".//svg"), f"section {name} has no figure"
        assert element.get("open") is not None, f"section {name} is closed (skipped?)"


def test_headline_numbers_are_those_of_the_log(small_log, small_report):
    page = small_report.html
    assert int(card(page, "summary.cases")) == small_log.events[CASE].nunique() == 150
    assert int(card(page, "summary.events")) == len(small_log.events)
    assert int(card(page, "variants.count")) == int(card(page, "summary.variants"))
    shares = [float(r["share"]) for r in table(page, "variants.table")]
    assert shares == sorted(shares, reverse=True)


def test_variant_count_equals_pm4py(small_log, small_report):
    import pm4py

    frame = small_log.events[[CASE, ACTIVITY, TIMESTAMP]]
    assert int(card(small_report.html, "summary.variants")) == len(pm4py.get_variants(frame))


def test_workflow_adds_conformance(sample):
    from procmine.read import read_log

    log = read_log(sample)
    # a slice of the sample keeps the test quick; the workflow is the sample's own
    keep = log.events[CASE].isin(log.events[CASE].unique()[:300])
    part = EventLog(events=log.events[keep].reset_index(drop=True), report=log.report)
    report = build_report(part, workflow=Path(sample).parent / "workflow.yaml")
    found = sections(report.html)
    assert list(found) == list(SECTIONS)
    conformance = found["conformance"]
    assert conformance.xpath(".//svg")
    fitness = float(card(report.html, "conformance.fitness"))
    assert 0.5 < fitness <= 1.0
    assert report.section("conformance").numbers["fitness"] == fitness


def test_log_values_are_escaped():
    hostile = "<script>alert(1)</script>"
    unit = '"><img src=x onerror=alert(2)>'
    rows = []
    for case in ("c1", "c2", "c3"):
        rows += [(case, "上报", "2024-03-04 09:00"), (case, hostile, "2024-03-04 10:00"),
                 (case, "结案", "2024-03-05 11:00")]
    log = events(rows, {RESOURCE: [unit] * len(rows), CATEGORY: ["</table><b>x"] * len(rows)})
    page = build_report(log).html
    assert "<script>alert" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    doc = parse(page)
    assert len(doc.xpath("//script")) == 1          # ours, and nothing else
    assert not doc.xpath("//*[@src]")
    assert not [el for el in doc.iter() if isinstance(el.tag, str)
                and any(a.lower().startswith("on") for a in el.attrib)]
    # the hostile activity is shown as text in the tables
    names = [r["name"] for r in table(page, "summary.top_activities")]
    assert hostile in names


def test_page_loads_nothing_from_outside(small_report):
    page = small_report.html
    doc = parse(page)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name.endswith("href") or name == "src":
                assert value.startswith("#"), f"<{el.tag} {name}={value!r}>"
    assert "@import" not in page and "url(http" not in page
    assert not re.search(r"<link\b", page)
    # the Content-Security-Policy allows our script, by its hash, and nothing else
    (meta,) = doc.xpath("//meta[@http-equiv='Content-Security-Policy']")
    policy = meta.get("content")
    (script,) = doc.xpath("//script")
    digest = base64.b64encode(hashlib.sha256(script.text.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy


def test_language_follows_the_activity_names():
    zh = events([("c1", "派遣", "2024-03-04 09:00"), ("c1", "结案", "2024-03-04 10:00")])
    en = events([("c1", "dispatch", "2024-03-04 09:00"), ("c1", "close", "2024-03-04 10:00")])
    assert default_lang(zh) == "zh" and default_lang(en) == "en"
    assert "概况" in build_report(zh).html
    page = build_report(en).html
    assert "Summary" in page and "概况" not in page
    assert "概况" in build_report(en, lang="zh").html


def test_empty_log_is_refused_with_a_clear_error():
    from procmine.errors import InputError

    with pytest.raises(InputError, match="no events"):
        build_report(events([]))


def test_title(small_log):
    page = build_report(small_log, title="街道 <2024>").html
    assert parse(page).xpath("//title")[0].text == "街道 <2024>"


def test_log_built_in_memory_has_no_load_report_section():
    log = events([("c1", "派遣", "2024-03-04 09:00"), ("c1", "结案", "2024-03-04 10:00")])
    report = build_report(log, lang="en")
    quality = report.section("quality")
    assert quality.skipped and "not read from a file" in quality.note
    assert "not read from a file" in sections(report.html)["quality"].text_content()


def test_log_without_optional_columns_gives_notes_not_a_crash():
    rows = [("c1", "a", "2024-03-04 09:00"), ("c1", "b", "2024-03-04 10:00"),
            ("c1", "a", "2024-03-04 11:00"), ("c2", "a", "2024-03-05 09:00"),
            ("c2", "b", "2024-03-05 12:00")]
    report = build_report(events(rows), lang="en")
    found = sections(report.html)
    assert list(found) == WITHOUT_CONFORMANCE
    assert found["map"].xpath(".//svg") and found["variants"].xpath(".//svg")
    patterns = found["patterns"].text_content()
    assert "org:level" in patterns            # escalation skipped: no levels
    assert "case:deadline" in patterns        # hugging skipped: no deadlines
    assert not parse(report.html).xpath("//*[@data-key='bottlenecks.on_time_rate']")


def test_missing_module_leaves_a_note(small_log, monkeypatch):
    monkeypatch.setitem(sys.modules, "procmine.loops", None)
    report = build_report(small_log, lang="en")
    patterns = report.section("patterns")
    assert patterns.skipped and "loops" in patterns.note
    found = sections(report.html)
    assert "loops" in found["patterns"].text_content()
    assert found["variants"].xpath(".//svg")


def test_progress_reports_every_stage(small_log):
    seen: list[str] = []
    build_report(small_log, on_stage=seen.append)
    assert seen == list(stages()) == WITHOUT_CONFORMANCE
    assert "conformance" in stages(workflow="logs/workflow.yaml")


def _without_time(page: str) -> str:
    return re.sub(r"([Gg]enerated|生成于) \d{4}-\d\d-\d\d \d\d:\d\d [+-]\d{4}", "", page)


def test_the_model_in_its_own_process_gives_the_same_page(small_log, small_report, monkeypatch):
    """On a log of many events the model is mined in a forked process while the other
    sections run; the page is the one computed in a single process."""
    from procmine.report import background

    monkeypatch.setattr(background, "MIN_EVENTS", 0)
    seen: list[str] = []
    forked = build_report(small_log, lang="en", on_stage=seen.append)
    assert seen == WITHOUT_CONFORMANCE
    assert forked.section("model").numbers == small_report.section("model").numbers
    assert _without_time(forked.html) == _without_time(small_report.html)


def test_a_failing_model_process_leaves_the_model_to_the_report(small_log, small_report,
                                                                 monkeypatch):
    from procmine.report import background

    def fail(ctx):
        raise RuntimeError("the model process fails")

    monkeypatch.setattr(background, "MIN_EVENTS", 0)
    monkeypatch.setattr(background, "_leaders_figure", fail)
    report = build_report(small_log, lang="en")
    assert _without_time(report.html) == _without_time(small_report.html)


def _model_and_pm4py(report_line: str) -> list[str]:
    """In a fresh process with the model's process on for any log: whether the model
    section has transitions, and whether the report's own process imported pm4py."""
    import subprocess

    code = ("import sys; import procmine.report.background as b; b.MIN_EVENTS = 0\n"
            "from procmine.report import build_report\n" + report_line +
            "print(report.section('model').numbers['transitions'] > 0, 'pm4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return out.stdout.split()


def test_the_report_leaves_pm4py_to_the_model_process():
    """Importing pm4py takes most of the model's time: with the model in its own
    process the report's process never imports it."""
    assert _model_and_pm4py(
        "from procmine.simulate import simulate_log\n"
        "report = build_report(simulate_log(cases=60, seed=3).to_event_log(), lang='en')\n"
    ) == ["True", "False"]


def test_under_a_memory_limit_the_model_stays_in_the_one_process():
    """--memory-limit bounds the report's process: no second process holding pm4py."""
    assert _model_and_pm4py(
        "from procmine.engines import get_engine\n"
        "with get_engine('duckdb', 'logs/sample.csv', memory_limit='1GiB') as engine:\n"
        "    report = build_report(engine, lang='en')\n"
    ) == ["True", "True"]


def test_write_is_atomic_and_spares_the_input(small_log, tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    write_report(small_log, out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    log_file = tmp_path / "log.csv"
    log_file.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="overwrite the input"):
        write_report(small_log, log_file, inputs=[str(log_file)])
    assert log_file.read_text(encoding="utf-8") == "x"

    import procmine.report.sections as sections_module

    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(sections_module._BUILDERS, "variants", broken)
    out.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        write_report(small_log, out)
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_every_label_has_both_languages_with_the_same_placeholders():
    import string

    from procmine.report.labels import _PATTERN_NAMES, _QUALITY_MEANING, _T

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, (zh, en) in {**_T, **_PATTERN_NAMES, **_QUALITY_MEANING}.items():
        assert zh.strip() and en.strip(), key
        assert fields(zh) == fields(en), key
    assert set(_PATTERN_NAMES) >= {"escalation", "pingpong", "dumping", "rework", "reopen",
                                   "hugging", "desk"}


def test_report_through_duckdb_has_the_numbers_of_the_report_in_memory():
    from procmine.engines import get_engine
    from procmine.read import read_log

    sample = Path(__file__).resolve().parents[1] / "logs" / "sample.csv"
    workflow = sample.parent / "workflow.yaml"
    ref = build_report(read_log(sample), workflow=workflow, lang="en")
    with get_engine("duckdb", sample, memory_limit="40MB") as engine:
        got = build_report(engine, workflow=workflow, lang="en")
    for section in ref.sections:
        other = got.section(section.key)
        assert other.note == section.note, section.key
        for key, value in section.numbers.items():
            if isinstance(value, float):
                assert other.numbers[key] == pytest.approx(value, rel=1e-9), (section.key, key)
            else:
                assert other.numbers[key] == value, (section.key, key)
    assert ref.section("summary").numbers["cases"] == 3000
    assert got.section("conformance").numbers == ref.section("conformance").numbers


def test_what_the_report_holds_counts_against_the_memory_limit(orders16, monkeypatch):
    """With --memory-limit, DuckDB's share shrinks by what the report's process holds
    besides (its libraries, and what it keeps per case: more while the audit reads the
    log), down to a fifth of the limit, and is given back afterwards."""
    from procmine.audit import HELD_PER_CASE as AUDIT_PER_CASE
    from procmine.engines import get_engine
    from procmine.report import build_report
    from procmine.report.memory import LIBRARIES_FIXED, PROCESS_FIXED

    monkeypatch.setattr("procmine.report.HELD_PER_CASE", 10 << 20)  # as if its cases were huge
    def duckdb_limit(engine) -> float:
        text = engine.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]  # whole: no result left open
        number, unit = text.split()
        return float(number) * {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]

    seen = {}
    with get_engine("duckdb", orders16, memory_limit="1GiB") as engine:
        before, cases = duckdb_limit(engine), engine.totals().cases
        build_report(engine, lang="en", on_stage=lambda name: seen.setdefault(name, duckdb_limit(engine)))
        after = duckdb_limit(engine)
        engine.hold_outside(10 << 30)               # more than the limit: the floor holds
        floor = duckdb_limit(engine)
    held = PROCESS_FIXED + LIBRARIES_FIXED + cases * (10 << 20)
    assert before == pytest.approx(0.6 * (1 << 30), rel=0.01) and after == before
    assert seen["summary"] == seen["model"] == pytest.approx(before - held, abs=2 << 20)
    assert seen["audit"] == pytest.approx(before - held - cases * AUDIT_PER_CASE, abs=2 << 20)
    # under the limit the audit runs before the model, pm4py's import and the other results
    assert list(seen).index("audit") < list(seen).index("model")
    assert floor == pytest.approx(0.2 * (1 << 30), rel=0.01)
