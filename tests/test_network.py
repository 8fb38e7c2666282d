"""The collaboration network: hand-overs, working together, escalation; equal to pm4py's SNA."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from procmine.errors import ColumnError
from procmine.log import ACTIVITY, CASE, KIND, LEVEL, RESOURCE, TIMESTAMP, EventLog
from procmine.network import discover_network, handovers
from procmine.render import render_network

TZ = "Asia/Shanghai"


def make_log(rows: list[tuple[str, str, str, str, str, str]]) -> EventLog:
    """(case, activity, time, unit, level, kind) rows, already in case/time order."""
    frame = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE, LEVEL, KIND])
    frame[TIMESTAMP] = pd.to_datetime(frame[TIMESTAMP]).dt.tz_localize(TZ)
    return EventLog(events=frame)


# Two orders. C1: centre -> squad (条) -> centre -> community (块) -> centre.
# C2: centre -> district bureau (区, 条) -> centre; the centre acts twice in a row.
LOG = make_log([
    ("C1", "派遣", "2024-03-04 09:00", "中心", "街镇", "block"),
    ("C1", "签收", "2024-03-04 09:30", "中队", "街镇", "line"),
    ("C1", "退单", "2024-03-04 10:30", "中队", "街镇", "line"),
    ("C1", "改派", "2024-03-04 11:00", "中心", "街镇", "block"),
    ("C1", "签收", "2024-03-04 14:00", "居委", "居村", "block"),
    ("C1", "结案", "2024-03-04 15:00", "中心", "街镇", "block"),
    ("C2", "派遣", "2024-03-05 09:00", "中心", "街镇", "block"),
    ("C2", "登记", "2024-03-05 09:10", "中心", "街镇", "block"),
    ("C2", "签收", "2024-03-05 10:10", "区局", "区", "line"),
    ("C2", "结案", "2024-03-05 11:10", "中心", "街镇", "block"),
])


def test_handover_edges_count_each_unit_change_with_its_time():
    net = discover_network(LOG, calendar="none")
    edges = {(r.source, r.target): r for r in net.edges.itertuples(index=False)}
    assert set(edges) == {("中心", "中队"), ("中队", "中心"), ("中心", "居委"), ("居委", "中心"),
                          ("中心", "区局"), ("区局", "中心")}
    assert edges[("中心", "中队")].count == 1
    assert edges[("中心", "中队")].median_s == 1800          # 09:00 -> 09:30
    assert edges[("中心", "居委")].median_s == 3 * 3600       # 11:00 -> 14:00
    assert edges[("中心", "中队")].cross_kind and not edges[("中心", "中队")].cross_level
    assert edges[("中心", "区局")].cross_kind and edges[("中心", "区局")].cross_level
    m = net.measures
    assert m["handovers"] == 6 and m["self_handovers"] == 2 and m["pairs"] == 8
    # crossings: 中心<->中队 (2), 中心<->区局 (2) cross 条/块; 中心<->居委 and 中心<->区局 cross levels
    assert m["cross_kind_share"] == pytest.approx(4 / 6)
    assert m["cross_level_share"] == pytest.approx(4 / 6)
    assert m["median_cross_kind_s"] == pytest.approx(np.median([1800, 1800, 3600, 3600]))
    assert m["density"] == pytest.approx(6 / (4 * 3))
    centre = net.nodes.set_index("unit").loc["中心"]
    assert (centre["out"], centre["in"], centre["self"], centre["cases"]) == (3, 3, 1, 2)
    assert centre["betweenness"] == max(net.nodes["betweenness"])


def test_handover_time_is_working_time_with_a_calendar():
    # 11:00 -> 14:00 spans the 12:00-13:30 lunch break: 1.5 working hours
    net = discover_network(LOG, calendar="cn")
    edge = net.edges.set_index(["source", "target"]).loc[("中心", "居委")]
    assert edge["median_s"] == 1.5 * 3600
    assert net.time_basis == "working"


def test_together_counts_cases_per_pair_of_units():
    net = discover_network(LOG, kind="together", calendar="none")
    pairs = {frozenset((r.source, r.target)): r.count for r in net.edges.itertuples(index=False)}
    assert pairs == {frozenset(("中心", "中队")): 1, frozenset(("中心", "居委")): 1,
                     frozenset(("中队", "居委")): 1, frozenset(("中心", "区局")): 1}
    assert net.nodes.set_index("unit").loc["中心", "partners"] == 3


def test_escalation_has_levels_as_nodes_and_moves_up_and_down():
    net = discover_network(LOG, kind="escalation", calendar="none")
    edges = {(r.source, r.target): (r.direction, r.count) for r in net.edges.itertuples(index=False)}
    assert edges == {("街镇", "居村"): ("down", 1), ("居村", "街镇"): ("up", 1),
                     ("街镇", "区"): ("up", 1), ("区", "街镇"): ("down", 1)}
    assert net.nodes["level"].tolist() == ["区", "街镇", "居村"]      # top level first


def test_events_without_a_unit_are_skipped_and_said():
    events = LOG.events.copy()
    events.loc[2, RESOURCE] = None                 # 中队's 退单 loses its unit
    net = discover_network(EventLog(events=events), calendar="none")
    assert net.measures["pairs"] == 7
    assert any("without a unit" in n for n in net.notes)


def test_a_log_without_units_is_a_clear_error():
    events = LOG.events.drop(columns=[RESOURCE])
    with pytest.raises(ColumnError, match="reading the log: resource="):
        discover_network(EventLog(events=events))


def test_pairs_table_is_the_basis():
    h = handovers(LOG, calendar="none")
    assert len(h.pairs) == 8 and int(h.pairs["self"].sum()) == 2


def test_drawing_ranks_units_by_level_and_colours_kinds():
    source = render_network(discover_network(LOG, calendar="none")).source
    assert source.count("rank=same") == 4            # 区 条, 街镇 条, 街镇 块, 居村 块
    assert "#4e79a7" in source and "#f28e2b" in source
    assert "back " in source                         # two-way pairs are one edge


# -- equal to pm4py on the real receipt log ---------------------------------------------
@pytest.fixture(scope="module")
def receipt_path():
    from conftest import real_path

    return real_path("receipt.csv")


@pytest.fixture(scope="module")
def receipt(receipt_path):
    from procmine.read import read_log

    return read_log(receipt_path)


def pm4py_frame(path):
    """The receipt CSV as pm4py reads it (its own formatting, plain pandas)."""
    import pm4py

    frame = pd.read_csv(path)
    frame[TIMESTAMP] = pd.to_datetime(frame[TIMESTAMP], utc=True, format="ISO8601")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm4py.format_dataframe(frame, case_id=CASE, activity_key=ACTIVITY,
                                      timestamp_key=TIMESTAMP)


@pytest.mark.real
def test_handover_counts_equal_pm4py_on_the_receipt_log(receipt, receipt_path):
    import pm4py

    net = discover_network(receipt, calendar="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sna = pm4py.discover_handover_of_work_network(pm4py_frame(receipt_path), beta=0)
    # pm4py gives each pair's count divided by all consecutive pairs (self pairs included)
    pairs = net.measures["pairs"]
    theirs = {k: round(v * pairs) for k, v in sna.connections.items()}
    ours = {(r.source, r.target): r.count for r in net.edges.itertuples(index=False)}
    ours.update({(u, u): s for u, s in zip(net.nodes["unit"], net.nodes["self"], strict=True) if s})
    assert pairs == receipt.n_events - receipt.n_cases == 7143
    assert ours == theirs
    assert sum(theirs.values()) == pairs


@pytest.mark.real
def test_working_together_counts_equal_pm4py_on_the_receipt_log(receipt, receipt_path):
    import pm4py

    net = discover_network(receipt, kind="together", calendar="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sna = pm4py.discover_working_together_network(pm4py_frame(receipt_path))
    # pm4py divides the cases of each pair by len(DataFrame), i.e. the number of events
    theirs = {k: round(v * receipt.n_events) for k, v in sna.connections.items()}
    ours = {}
    for r in net.edges.itertuples(index=False):
        ours[(r.source, r.target)] = ours[(r.target, r.source)] = r.count
    assert ours == theirs
    assert len(theirs) == 418


@pytest.mark.parametrize("kind", ["handover", "together", "escalation"])
def test_an_open_engine_gives_the_network_of_the_log_in_memory(kind):
    """discover_network takes an engine like every analysis: DuckDB reading the file
    gives the same units, edges and numbers as the log read into memory."""
    from pathlib import Path

    from procmine.engines import get_engine
    from procmine.output import dumps
    from procmine.read import read_log

    sample = Path(__file__).resolve().parents[1] / "logs" / "sample.csv"
    expected = dumps(discover_network(read_log(sample), kind=kind, calendar="none"))
    with get_engine("duckdb", sample) as engine:
        got = dumps(discover_network(engine, kind=kind, calendar="none"))
    assert got == expected


def test_hotline_call_backs_are_not_escalation_moves(sample):
    from procmine.read import read_log

    log = read_log(sample)

    def up_to_city(**kw) -> int:
        edges = discover_network(log, kind="escalation", **kw).edges
        row = edges[(edges["source"] == "街镇") & (edges["target"] == "市")]
        return int(row["count"].sum())

    # the 12345 hotline calls back (回访) after closure 915 times: not moves up a level
    # what stays: the hotline recording 不满意 (dissatisfied) after closure, which reopens
    # the order (重办) and so is a move, not a follow-up
    assert up_to_city(include_followup=True) == 915 and up_to_city() == 57
    hotline = discover_network(log).nodes.set_index("unit").loc["12345热线"]
    assert hotline["in"] == 57     # its 915 call-backs are no hand-overs in either
