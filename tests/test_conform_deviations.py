"""Deviations grouped as an auditor reads them: loops collapsed, steps out of order told
apart from steps the workflow does not have, a case that stops early as one finding,
each kind with its share, units and an example case."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from procmine.conform import check_conformance, deviation_overlay
from procmine.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP, EventLog
from procmine.workflow import parse_workflow

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
SPEC = "steps: [a, b, c, d, e]\n"


def log_of(cases: dict[str, str]) -> EventLog:
    rows = [(case, step, f"unit-{step}") for case, trace in cases.items() for step in trace.split()]
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, RESOURCE])
    events[TIMESTAMP] = pd.date_range("2025-01-01", periods=len(events), freq="h", tz="UTC")
    return EventLog(events=events)


def kinds(result) -> dict[tuple[str, str], object]:
    return {(d.kind, d.step): d for d in result.deviations}


def test_a_loop_is_one_finding_with_its_length_per_case():
    log = log_of({"1": "a b c b c b c d e", "2": "a b c b c d e", "3": "a b c d e"})
    r = check_conformance(log, parse_workflow(SPEC), precision=False)
    assert [d.kind for d in r.deviations] == ["repeated"]
    loop = r.deviations[0]
    assert loop.text == "b → c repeated in 2 cases (66.7%), 3+ times in 1 cases"
    assert loop.example == "1"
    per_case = r.cases_table.set_index("case")["deviations"]
    assert per_case["1"] == "b → c repeated ×3" and per_case["2"] == "b → c repeated ×2"
    assert per_case["3"] == ""


def test_a_step_out_of_order_is_not_called_unexpected():
    log = log_of({"1": "a c b d e", "2": "a b c d x e", "3": "a b d e c"})
    r = check_conformance(log, parse_workflow(SPEC), precision=False)
    found = kinds(r)
    assert ("unexpected", "x") in found                      # not in the workflow at all
    assert found[("unexpected", "x")].text == "x (not in the workflow) in 1 case (33.3%)"
    assert not any(k == "unexpected" and s in "abcde" for k, s in found)
    assert {k for k, s in found if s in "abcde"} <= {"order", "misplaced"}
    overlay = deviation_overlay(r)
    assert [u[0] for u in overlay.unexpected] == ["x"]
    assert overlay.misplaced                                  # drawn on the workflow's own steps


def test_a_case_that_stops_early_is_one_finding():
    log = log_of({"1": "a b", "2": "a b", "3": "a b c d e"})
    r = check_conformance(log, parse_workflow(SPEC), precision=False)
    assert [(d.kind, d.step, d.cases) for d in r.deviations] == [("incomplete", "b", 2)]
    assert r.deviations[0].text == ("ended after b, before the end of the workflow in 2 cases (66.7%), "
                                    "without c → d → e")
    assert r.deviations[0].units == (("unit-b", 2),)


@pytest.mark.real
def test_receipt_with_an_analysts_workflow_reads_in_few_kinds():
    from procmine.read import read_log

    path = REAL / "receipt.csv"
    if not path.exists():
        pytest.skip("receipt.csv not in shared/data/real")
    r = check_conformance(read_log(path), FIXTURES / "receipt_workflow.yaml", precision=False)
    # 44 kinds before they were grouped (each loop, each "x before y" pair, each skipped tail step)
    assert len(r.deviations) <= 28
    assert all(len(d.text) < 400 for d in r.deviations)       # no 700-character loops
    found = kinds(r)
    t03, t11 = "T03 Adjust confirmation of receipt", "T11 Create document X request unlicensed"
    assert ("unexpected", t03) not in found and ("unexpected", t11) not in found
    assert ("misplaced", t03) in found and ("misplaced", t11) in found
    overlay = deviation_overlay(r)
    assert not {t03, t11} & {u[0] for u in overlay.unexpected}
    assert found[("incomplete", "Confirmation of receipt")].cases == 116
    loop = found[("repeated", "T06 Determine necessity of stop advice")]
    assert "up to ×" in loop.text
    assert all(d.example and d.units for d in r.deviations)
    assert r.cases_table["deviations"].str.contains(r"T06 Determine necessity of stop advice → "
                                                    r"T07-1 Draft intern advice aspect 1 repeated ×\d").any()


@pytest.mark.parametrize("method", ["alignments", "tokens"])
def test_the_audit_files_say_every_kind_in_chinese(method):
    """conform --cases/--deviations in Chinese: each deviation with its count and detail
    (loops, skipped, out of order, not in the workflow with the steps after it, ended
    early with the steps it lacks) and each case's findings, no English left."""
    from procmine.conform.audit_files import case_sheet, deviation_sheet

    log = log_of({"1": "a b c b c b c d e", "2": "a b c b c d e", "3": "a c b d e",
                  "4": "a b c d x y z w v u e", "5": "a b", "6": "a b d e", "7": "a b d e c",
                  "8": "a b x d e", "9": "a b c b c b c b c b c d e", "10": "a b c d b c d e"})
    r = check_conformance(log, parse_workflow(SPEC), precision=False, method=method)
    said = list(deviation_sheet(r, lang="zh")["deviation"]) + list(deviation_sheet(r, lang="zh")["kind"])
    said += [d for d in case_sheet(r, lang="zh")["deviations"] if d]
    assert len(said) > 10
    english = [s for s in said if re.search(r"[A-Za-z]{2,}", s)]
    assert not english, english
    if method == "alignments":
        assert "「x」（规定流程中没有此环节）：2 件工单（20.0%），随后 y → z → w → v → u" in said
        assert "在「b」之后结束，未走完规定流程：1 件工单（10.0%），未做 c → d → e" in said
        assert "「b → c」重复 ×3" in said
    assert list(deviation_sheet(r)["deviation"]) == [d.text for d in r.deviations]   # English as it was
