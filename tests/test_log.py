"""``log.events`` goes to pm4py's functions as it is, and they give the numbers they give
on a plain table of Python strings."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from procmine.log import CASE, EventLog, pm4py_strings
from procmine.read import read_log

SAMPLE = str(Path(__file__).resolve().parent.parent / "logs" / "sample.csv")

pm4py = pytest.importorskip("pm4py")

# every function takes the events; ``net`` is the inductive model of the same events
FUNCTIONS = {
    "discover_dfg": lambda ev, net: pm4py.discover_dfg(ev),
    "discover_performance_dfg": lambda ev, net: pm4py.discover_performance_dfg(ev),
    "discover_petri_net_inductive": lambda ev, net: _shape(pm4py.discover_petri_net_inductive(ev)[0]),
    "discover_heuristics_net": lambda ev, net: str(pm4py.discover_heuristics_net(ev)),
    "fitness_token_based_replay": lambda ev, net: pm4py.fitness_token_based_replay(ev, *net),
    "precision_token_based_replay": lambda ev, net: pm4py.precision_token_based_replay(ev, *net),
    "get_variants": lambda ev, net: pm4py.get_variants(ev),
    "get_start_activities": lambda ev, net: pm4py.get_start_activities(ev),
    "get_end_activities": lambda ev, net: pm4py.get_end_activities(ev),
    "get_all_case_durations": lambda ev, net: pm4py.get_all_case_durations(ev),
    "get_rework_cases_per_activity": lambda ev, net: pm4py.get_rework_cases_per_activity(ev),
    "filter_variants_top_k": lambda ev, net: len(pm4py.filter_variants_top_k(ev, 3)),
    "discover_handover_of_work_network":
        lambda ev, net: pm4py.discover_handover_of_work_network(ev).connections,
    "discover_working_together_network":
        lambda ev, net: pm4py.discover_working_together_network(ev).connections,
    "discover_subcontracting_network":
        lambda ev, net: pm4py.discover_subcontracting_network(ev).connections,
    "discover_organizational_roles":
        lambda ev, net: sorted(sorted(r.activities) for r in pm4py.discover_organizational_roles(ev)),
}


def _shape(net) -> tuple[int, int, int, list[str]]:
    """Places, transitions, arcs and the visible labels of a Petri net (its ids differ per run)."""
    return (len(net.places), len(net.transitions), len(net.arcs),
            sorted(t.label for t in net.transitions if t.label))


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    log = read_log(Path(__file__).resolve().parents[1] / "logs" / "sample.csv")
    first = log.events[CASE].unique()[:400]   # 400 cases: token replay stays quick
    return log.events[log.events[CASE].isin(first)].reset_index(drop=True)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_pm4py_takes_the_events_as_they_are(events, name):
    plain = events.astype({c: object for c in events.columns if events[c].dtype == "str"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = pm4py.discover_petri_net_inductive(plain)
        ours = FUNCTIONS[name](events, net)
        theirs = FUNCTIONS[name](plain, net)
    assert repr(ours) == repr(theirs)     # repr: a NaN deviation equals a NaN
    assert ours       # a result with something in it (a network with links, a DFG with pairs)


def test_a_log_made_from_string_columns_hands_pm4py_str_columns():
    frame = pd.DataFrame({CASE: pd.Series(["a", "a", None], dtype="string")})
    log = EventLog(frame)
    assert log.events[CASE].dtype == "str"
    assert log.events[CASE].isna().tolist() == [False, False, True]
    assert frame[CASE].dtype == "string"          # the caller's frame is left as it was
    assert pm4py_strings(log.events) is log.events


def test_a_read_log_gives_its_columns_as_its_events_have_them(tmp_path):
    """A column got alone (``log.column``, the analyses' way) is the events' column; the
    events have every text column in pandas' ``str``, as a log made from a frame."""
    log = read_log(Path(__file__).parent / "fixtures" / "orders16.csv")
    starts = log.case_codes().starts
    cases = log.column(CASE, rows=starts)
    alone = {name: log.column(name) for name in ("concept:name", "time:timestamp")}
    assert cases.tolist() == ["GD001", "GD002", "GD003"]
    assert log.column_names == log.events.columns.tolist()
    pd.testing.assert_series_equal(cases, log.events[CASE].iloc[starts])
    for name, values in alone.items():
        pd.testing.assert_series_equal(values, log.events[name])
    text = [c for c, dtype in log.events.dtypes.items() if dtype == "str"]
    assert CASE in text and "org:resource" in text
    assert not [c for c, dtype in log.events.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)]
    assert log.events is log.events        # one frame, the same to every caller



@pytest.mark.parametrize("attempt", range(5))
def test_threads_asking_for_a_read_logs_events_at_once_all_get_its_text(attempt):
    """The text a reader left coded is made on first use; threads that ask together
    (a report's parts thread and its sections) must not trip over each other."""
    import threading

    log = read_log(SAMPLE)
    start, errors, frames = threading.Barrier(6), [], []

    def ask():
        start.wait()
        try:
            frames.append(log.events)
        except Exception as e:   # noqa: BLE001 - the failure under test
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(frames) == 6 and all(f is frames[0] for f in frames)
    assert pd.api.types.is_string_dtype(log.events[CASE])
    assert log.events[CASE].iloc[0] == "GD0000001"   # the file's first case


@pytest.mark.parametrize("sort", [True, False])
def test_a_read_logs_codes_are_those_of_its_text_and_make_none_of_it(sort):
    """``factorized`` gives what ``pd.factorize`` gives of the text, from the reader's codes."""
    log = read_log(SAMPLE)
    text = read_log(SAMPLE).events                  # every column made text
    columns = ["case:concept:name", "concept:name", "org:resource", "org:level",
               "case:category", "case:source", "case:citizen", "case:address"]
    for column in columns:
        codes, names = log.factorized(column, sort=sort)
        want_codes, want_names = pd.factorize(text[column], sort=sort)
        assert codes.tolist() == want_codes.tolist(), column
        assert names.tolist() == list(want_names), column
        assert log.is_text(column) and text[column].dtype == "str"
    # none of it was made: the columns are still the reader's codes
    assert all(isinstance(log.__dict__["_events"][c].dtype, pd.CategoricalDtype) for c in columns)


def test_the_report_makes_the_text_of_no_column_but_the_case_ids(tmp_path):
    """The report's sections take the columns they use one by one: the citizens' and
    addresses' text (no section shows them) is never made, a value per event."""
    from procmine.report import write_report

    log = read_log(SAMPLE)
    write_report(log, tmp_path / "report.html", lang="en")
    coded = [c for c, dtype in log.__dict__["_events"].dtypes.items()
             if isinstance(dtype, pd.CategoricalDtype)]
    assert "case:citizen" in coded and "case:address" in coded and "org:resource" in coded
