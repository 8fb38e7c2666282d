"""Compare two periods of one log, or two logs: the headline indicators and whether they changed.

Each side gets the headline indicators (cases, median and 90th-percentile cycle
time in working time, on-time rate, fitness against a workflow, the rate of each
governance pattern of :mod:`procmine.loops`, the share of hand-overs that cross
the 条/块 boundary and levels, the number of variants), then the change with a
test that says whether it is more than noise:

- durations: the two-sided Mann-Whitney U test (scipy), effect = rank-biserial
  correlation (+1: every case of B is slower than every case of A);
- rates: the two-sided two-proportion z-test (pooled), or Fisher's exact test
  when an expected cell count is below 5; effect = Cohen's h;
- the 90th percentile: the share of cases slower than the pooled 90th percentile,
  as a rate;
- p-values are Holm-corrected within each family of tests (the headline
  indicators; the per-unit times; the edges of the difference map), and a change
  is *significant* when its corrected p-value is below ``alpha`` (0.05).

Per unit, the time an order spends with the unit (the working time before each
of its steps in a case, summed per case) is compared the same way; the
difference map compares each directly-follows edge's share of cases and its
waiting time. See docs/compare.md for the definitions and their limits. The tests
themselves live in :mod:`procmine.compare.statistics`.

>>> from procmine.simulate import simulate_log
>>> log = simulate_log(cases=600, seed=3).to_event_log()
>>> result = compare_logs(log, split="2024-01-06", calendar="none")
>>> result.indicators.columns.tolist()[:4]
['indicator', 'label', 'a', 'b']
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from procmine.calendar import describe_calendar, fallback_years
from procmine.compare.statistics import TestResult as TestResult
from procmine.compare.statistics import clustered_ratio_test as clustered_ratio_test
from procmine.compare.statistics import holm as holm
from procmine.compare.statistics import mann_whitney as mann_whitney
from procmine.compare.statistics import proportion_test as proportion_test
from procmine.compare.statistics import weekly_test as weekly_test
from procmine.engines import as_engine
from procmine.errors import InputError, SpecError
from procmine.log import ACTIVITY, CASE, KIND, LEVEL, RESOURCE, TIMESTAMP, EventLog
from procmine.network import nanoseconds, resolve_calendar, spans

#: Significance level used unless told otherwise.
ALPHA = 0.05
#: Fewer cases than this on a side: a unit or an edge is shown but not tested.
MIN_CASES = 5

_INDICATOR_COLUMNS = ["indicator", "label", "a", "b", "change", "relative", "n_a", "n_b", "test",
                      "statistic", "effect", "effect_measure", "p_value", "p_adjusted",
                      "significant"]


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_logs` found.

    ``indicators``: one row per headline indicator: ``indicator`` (key),
    ``label``, ``a`` and ``b`` (the value on each side: seconds for times,
    shares for rates), ``change`` (b - a), ``relative`` (b / a - 1), ``n_a`` and
    ``n_b`` (the sample sizes of the test: cases, or hand-overs), ``test``,
    ``statistic``, ``effect`` and ``effect_measure``, ``p_value``,
    ``p_adjusted`` (Holm, within the family) and ``significant``
    (``p_adjusted < alpha``; None where nothing was tested).

    ``units``: per unit, the working time an order spends with it per case:
    ``unit``, ``cases_a``, ``cases_b``, ``median_a``, ``median_b``, ``change``,
    ``relative``, then the test columns as above.

    ``edges``: the difference map: per directly-follows edge ``source``,
    ``target``, ``cases_a``/``cases_b`` (cases with the edge), ``share_a``/
    ``share_b`` (of each side's cases), ``share_change``, ``median_a``/
    ``median_b`` (waiting time), ``wait_change``, ``p_share``, ``p_wait``
    (Holm-corrected together) and ``significant_share``/``significant_wait``.
    """

    labels: tuple[str, str]
    indicators: pd.DataFrame
    units: pd.DataFrame
    edges: pd.DataFrame
    alpha: float
    split: str | None
    time_basis: Literal["working", "clock"]
    calendar: str
    cases: tuple[int, int]
    notes: tuple[str, ...] = ()
    #: length of one working day of the calendar (the unit of "working days" in labels)
    working_day_seconds: float | None = None

    def significant(self) -> list[str]:
        """The headline indicators that changed significantly."""
        table = self.indicators
        return table.loc[table["significant"].fillna(False).astype(bool), "indicator"].tolist()

    def to_dict(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "split": self.split, "alpha": self.alpha,
                "correction": "holm", "time_basis": self.time_basis, "calendar": self.calendar,
                "cases": list(self.cases), "indicators": self.indicators, "units": self.units,
                "edges": self.edges, "notes": list(self.notes)}


# --------------------------------------------------------------------------- splitting


def split_log(log: EventLog, *, at: str | pd.Timestamp) -> tuple[EventLog, EventLog]:
    """The cases of ``log`` that started before ``at``, and those that started at or after it.

    A case belongs to the period of its first event (e.g. its report); ``at`` is a
    date or time, read in the log's timezone when it has no offset.

    >>> from procmine.simulate import simulate_log
    >>> before, after = split_log(simulate_log(cases=300, seed=1).to_event_log(), at="2024-01-03")
    >>> before.n_cases + after.n_cases
    300
    """
    moment = _moment(at, log.timezone)
    events = log.events
    codes, _ = pd.factorize(events[CASE], sort=False)
    ts = nanoseconds(events[TIMESTAMP])
    first = np.full(codes.max() + 1 if len(codes) else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes, ts)
    late = first[codes] >= moment.value
    parts = []
    for mask in (~late, late):
        part = events[mask].reset_index(drop=True)
        parts.append(EventLog(events=part, report=log.report, levels=log.levels,
                              timezone=log.timezone))
    return parts[0], parts[1]


def _moment(at: str | pd.Timestamp, timezone: str) -> pd.Timestamp:
    try:
        moment = pd.Timestamp(at)
    except (ValueError, TypeError):
        raise SpecError(f"split={at!r}: not a date or time", hint="write it as YYYY-MM-DD") from None
    if moment is pd.NaT:
        raise SpecError(f"split={at!r}: not a date or time", hint="write it as YYYY-MM-DD")
    return moment.tz_localize(timezone) if moment.tzinfo is None else moment


# --------------------------------------------------------------------------- per side


@dataclass
class _Side:
    """The per-case and per-event numbers of one side that the tests need."""

    log: EventLog
    n_cases: int
    cycle: np.ndarray                 # per case, seconds
    variants: int
    on_time: np.ndarray | None        # per case with a deadline
    fitness: np.ndarray | None        # per case
    log_fitness: float | None
    conforming: np.ndarray | None
    patterns: dict[str, int]          # flagged cases per pattern that ran
    pattern_cases: int
    cross: dict[str, tuple[np.ndarray, np.ndarray]]  # per case: crossing, known hand-overs
    unit_time: pd.DataFrame           # case, unit, week, seconds
    edge_waits: pd.DataFrame          # source, target, case, week, seconds
    edge_cases: pd.DataFrame          # source, target, cases


def _side(log: EventLog, cal: Any, workflow: Any, notes: list[str], label: str) -> _Side:
    from procmine.abstractions import variants
    from procmine.bottlenecks import find_bottlenecks, waiting_times
    from procmine.loops import find_loops

    events = log.events
    codes, _ = pd.factorize(events[CASE], sort=False)
    ts = nanoseconds(events[TIMESTAMP])
    n_cases = int(codes.max()) + 1
    first = np.full(n_cases, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n_cases, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, codes, ts)
    np.maximum.at(last, codes, ts)
    cycle = spans(first, last, cal, log.timezone)
    week = _weeks(first, log.timezone)
    waits = waiting_times(log, calendar=cal) if cal is not None else waiting_times(
        log, working_time=False)
    on_time = None
    try:
        deadlines = find_bottlenecks(log, calendar=cal if cal is not None else "none",
                                     workflow=workflow, top=1).deadlines
    except InputError as e:
        deadlines = None
        notes.append(f"{label}: no on-time rate: {e}")
    if deadlines is not None and deadlines.n_cases:
        on_time = deadlines.cases["on_time"].to_numpy(dtype=bool)
    fitness = conforming = None
    log_fitness = None
    if workflow is not None:
        from procmine.conform import check_conformance

        result = check_conformance(log, workflow, precision=False)
        fitness = result.cases_table["fitness"].to_numpy(dtype=float)
        conforming = result.cases_table["conforming"].to_numpy(dtype=bool)
        log_fitness = result.fitness
    aliases = getattr(workflow, "aliases", None) or None
    loops = find_loops(log, calendar=cal, aliases=aliases)
    patterns = {row.pattern: int(row.cases) for row in loops.summary.itertuples(index=False)}
    cross, unit_time = _crossings(log, cal, codes, waits, week, n_cases)
    acts = events[ACTIVITY].to_numpy(dtype=object)
    same = codes[1:] == codes[:-1] if len(codes) > 1 else np.zeros(0, dtype=bool)
    edge_waits = pd.DataFrame({"source": acts[:-1][same], "target": acts[1:][same],
                               "case": codes[1:][same], "week": week[codes[1:][same]],
                               "seconds": waits[1:][same]})
    edge_cases = edge_waits.groupby(["source", "target"])["case"].nunique().rename(
        "cases").reset_index()
    return _Side(log=log, n_cases=n_cases, cycle=cycle, variants=len(variants(log)),
                 on_time=on_time, fitness=fitness, log_fitness=log_fitness,
                 conforming=conforming, patterns=patterns, pattern_cases=loops.n_cases,
                 cross=cross, unit_time=unit_time, edge_waits=edge_waits, edge_cases=edge_cases)


def _crossings(log: EventLog, cal: Any, codes: np.ndarray, waits: np.ndarray, week: np.ndarray,
               n_cases: int) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], pd.DataFrame]:
    """Per case, the hand-overs that cross 条/块 and levels (and those whose ends are
    known), and the working time each unit held each case (with the case's week)."""
    from procmine.network import handovers

    events = log.events
    cross: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    unit_time = pd.DataFrame(columns=["case", "unit", "week", "seconds"])
    if log.has(RESOURCE):
        h = handovers(log, calendar=cal)
        moves = h.pairs[~h.pairs["self"]]
        case_of = moves["case"].to_numpy()
        for what, column in (("kind", KIND), ("level", LEVEL)):
            if log.has(column):
                crossing = np.bincount(case_of, weights=moves[f"cross_{what}"].to_numpy(dtype=float),
                                       minlength=n_cases)
                known = np.bincount(case_of, weights=moves[f"known_{what}"].to_numpy(dtype=float),
                                    minlength=n_cases)
                cross[what] = (crossing, known)
        unit = events[RESOURCE].to_numpy(dtype=object)
        ok = ~np.isnan(waits) & pd.notna(events[RESOURCE]).to_numpy()
        frame = pd.DataFrame({"case": codes[ok], "unit": unit[ok], "seconds": waits[ok]})
        unit_time = frame.groupby(["case", "unit"], sort=False)["seconds"].sum().reset_index()
        unit_time["week"] = week[unit_time["case"].to_numpy()]
    return cross, unit_time


def _weeks(first_ns: np.ndarray, timezone: str) -> np.ndarray:
    """The week (Monday to Sunday, local time) of each case's first event, as a number."""
    local = pd.DatetimeIndex(first_ns.astype("datetime64[ns]"), tz="UTC").tz_convert(timezone)
    days = local.tz_localize(None).to_numpy(dtype="datetime64[D]").astype(np.int64)
    return (days - 4) // 7          # 1970-01-05 was a Monday


# --------------------------------------------------------------------------- indicators

_PATTERN_LABELS = {
    "escalation": "escalation round trips", "pingpong": "ping-pong (推诿)",
    "dumping": "dumping down (条 → 块)", "rework": "rework", "reopen": "reopened",
    "hugging": "deadline hugging", "desk": "desk checks", "supervision": "supervised/urged",
}


def _row(key: str, label: str, a: float | None, b: float | None, test: TestResult | None
         ) -> dict[str, Any]:
    change = (b - a) if a is not None and b is not None else None
    relative = (b / a - 1) if change is not None and a not in (0, None) else None
    row = {"indicator": key, "label": label, "a": a, "b": b, "change": change,
           "relative": relative, "n_a": None, "n_b": None, "test": "", "statistic": None,
           "effect": None, "effect_measure": "", "p_value": None}
    if test is not None:
        row.update(n_a=test.n_a, n_b=test.n_b, test=test.test,
                   statistic=None if math.isnan(test.statistic) else test.statistic,
                   effect=None if math.isnan(test.effect) else test.effect,
                   effect_measure=test.effect_measure,
                   p_value=None if math.isnan(test.p_value) else test.p_value)
    return row


def _rate_row(key: str, label: str, k_a: int, n_a: int, k_b: int, n_b: int) -> dict[str, Any]:
    a = k_a / n_a if n_a else None
    b = k_b / n_b if n_b else None
    return _row(key, label, a, b, proportion_test(k_a, n_a, k_b, n_b))


def _indicators(a: _Side, b: _Side) -> list[dict[str, Any]]:
    rows = [_row("cases", "cases", a.n_cases, b.n_cases, None)]
    rows[0].update(n_a=a.n_cases, n_b=b.n_cases)
    ca, cb = a.cycle[~np.isnan(a.cycle)], b.cycle[~np.isnan(b.cycle)]
    rows.append(_row("cycle_median_s", "median cycle time", _quantile(ca, 0.5),
                     _quantile(cb, 0.5), mann_whitney(ca, cb)))
    if len(ca) and len(cb):
        pooled = float(np.quantile(np.concatenate([ca, cb]), 0.9))
        test = proportion_test(int((ca > pooled).sum()), len(ca), int((cb > pooled).sum()), len(cb))
    else:
        test = None
    rows.append(_row("cycle_p90_s", "p90 cycle time", _quantile(ca, 0.9), _quantile(cb, 0.9), test))
    if a.on_time is not None and b.on_time is not None:
        rows.append(_rate_row("on_time_rate", "on-time rate", int(a.on_time.sum()), len(a.on_time),
                              int(b.on_time.sum()), len(b.on_time)))
    if a.fitness is not None and b.fitness is not None:
        rows.append(_row("fitness", "fitness (workflow)", a.log_fitness, b.log_fitness,
                         mann_whitney(a.fitness, b.fitness)))
        rows.append(_rate_row("conforming_share", "conforming cases", int(a.conforming.sum()),
                              len(a.conforming), int(b.conforming.sum()), len(b.conforming)))
    for pattern, label in _PATTERN_LABELS.items():
        if pattern in a.patterns and pattern in b.patterns:
            rows.append(_rate_row(f"pattern:{pattern}", label, a.patterns[pattern], a.pattern_cases,
                                  b.patterns[pattern], b.pattern_cases))
    for what, label in (("kind", "hand-overs crossing 条/块"), ("level", "hand-overs crossing levels")):
        if what in a.cross and what in b.cross:
            (ka, na), (kb, nb) = a.cross[what], b.cross[what]
            test = clustered_ratio_test(ka, na, kb, nb)
            rows.append(_row(f"cross_{what}_share", label, ka.sum() / na.sum() if na.sum() else None,
                             kb.sum() / nb.sum() if nb.sum() else None, test))
    rows.append(_row("variants", "variants", a.variants, b.variants, None))
    return rows


def _quantile(values: np.ndarray, q: float) -> float | None:
    return float(np.quantile(values, q)) if len(values) else None


def _with_holm(table: pd.DataFrame, column: str = "p_value", out: str = "p_adjusted",
               flag: str = "significant", alpha: float = ALPHA) -> pd.DataFrame:
    adjusted = holm(table[column].astype(float).to_numpy()) if len(table) else np.zeros(0)
    table[out] = adjusted
    table[flag] = [None if np.isnan(p) else bool(p < alpha) for p in adjusted]
    return table


def _units(a: _Side, b: _Side, alpha: float) -> pd.DataFrame:
    columns = ["unit", "cases_a", "cases_b", "median_a", "median_b", "change", "relative", "test",
               "weeks_a", "weeks_b", "effect", "p_value", "p_adjusted", "significant"]
    if a.unit_time.empty and b.unit_time.empty:
        return pd.DataFrame(columns=columns)
    empty = pd.DataFrame({"week": [], "seconds": []})
    ga = dict(iter(a.unit_time.groupby("unit")))
    gb = dict(iter(b.unit_time.groupby("unit")))
    rows = []
    for unit in sorted(set(ga) | set(gb), key=str):     # one test per unit, not per case
        fa, fb = ga.get(unit, empty), gb.get(unit, empty)
        xa, xb = fa["seconds"].to_numpy(dtype=float), fb["seconds"].to_numpy(dtype=float)
        ma, mb = _quantile(xa, 0.5), _quantile(xb, 0.5)
        tested = len(xa) >= MIN_CASES and len(xb) >= MIN_CASES
        test = weekly_test(fa, fb) if tested else None
        rows.append({"unit": unit, "cases_a": len(xa), "cases_b": len(xb), "median_a": ma,
                     "median_b": mb, "change": (mb - ma) if ma is not None and mb is not None else None,
                     "relative": (mb / ma - 1) if ma and mb is not None else None,
                     "test": test.test if test else "", "weeks_a": test.n_a if test else None,
                     "weeks_b": test.n_b if test else None,
                     "effect": test.effect if test and not math.isnan(test.effect) else None,
                     "p_value": test.p_value if test else np.nan})
    table = _with_holm(pd.DataFrame(rows), alpha=alpha)
    table = table.assign(_n=table["cases_a"] + table["cases_b"]).sort_values(
        ["significant", "p_adjusted", "_n"], ascending=[False, True, False], kind="stable",
        na_position="last").drop(columns="_n").reset_index(drop=True)
    return table[columns]


def _edges(a: _Side, b: _Side, alpha: float) -> pd.DataFrame:
    merged = a.edge_cases.merge(b.edge_cases, on=["source", "target"], how="outer",
                                suffixes=("_a", "_b")).fillna({"cases_a": 0, "cases_b": 0})
    merged["cases_a"] = merged["cases_a"].astype(np.int64)
    merged["cases_b"] = merged["cases_b"].astype(np.int64)
    merged["share_a"] = merged["cases_a"] / a.n_cases
    merged["share_b"] = merged["cases_b"] / b.n_cases
    merged["share_change"] = merged["share_b"] - merged["share_a"]
    empty = pd.DataFrame({"week": [], "seconds": []})
    wa = dict(iter(a.edge_waits.groupby(["source", "target"])))
    wb = dict(iter(b.edge_waits.groupby(["source", "target"])))
    med_a, med_b, p_share, p_wait = [], [], [], []
    for row in merged.itertuples(index=False):          # one test per edge, not per case
        key = (row.source, row.target)
        fa, fb = wa.get(key, empty), wb.get(key, empty)
        xa, xb = fa["seconds"].to_numpy(dtype=float), fb["seconds"].to_numpy(dtype=float)
        med_a.append(_quantile(xa[~np.isnan(xa)], 0.5))
        med_b.append(_quantile(xb[~np.isnan(xb)], 0.5))
        p_share.append(proportion_test(row.cases_a, a.n_cases, row.cases_b, b.n_cases).p_value)
        p_wait.append(weekly_test(fa, fb).p_value
                      if row.cases_a >= MIN_CASES and row.cases_b >= MIN_CASES else np.nan)
    merged["median_a"] = med_a
    merged["median_b"] = med_b
    merged["wait_change"] = merged["median_b"] - merged["median_a"]
    # one family: every share test and every wait test of the map
    adjusted = holm(np.concatenate([np.asarray(p_share, float), np.asarray(p_wait, float)]))
    n = len(merged)
    merged["p_share"] = adjusted[:n]
    merged["p_wait"] = adjusted[n:]
    merged["significant_share"] = merged["p_share"] < alpha
    merged["significant_wait"] = merged["p_wait"] < alpha
    merged = merged.assign(_top=np.maximum(merged["cases_a"], merged["cases_b"])).sort_values(
        ["_top", "source", "target"], ascending=[False, True, True], kind="stable")
    return merged.drop(columns="_top").reset_index(drop=True)


# --------------------------------------------------------------------------- API


def compare_logs(
    log: EventLog,
    other: EventLog | None = None,
    *,
    split: str | pd.Timestamp | None = None,
    labels: tuple[str, str] | None = None,
    calendar: Any = "cn",
    workflow: Any = None,
    alpha: float = ALPHA,
) -> Comparison:
    """Compare ``log`` before and after ``split``, or ``log`` (A) with ``other`` (B).

    ``calendar`` (``"cn"``, ``"none"``, a calendar file or a WorkingCalendar; None
    for clock time) measures cycle and waiting times; ``workflow`` (a path or a
    parsed workflow) adds fitness and the share of conforming cases, and gives
    deadlines per category where the log has no ``case:deadline``. ``alpha`` is the
    significance level after Holm's correction.

    >>> from procmine.simulate import Reform, simulate_log
    >>> reform = Reform(date="2024-01-15", rates={"pingpong": 0.0})
    >>> log = simulate_log(cases=1500, seed=2, reform=reform).to_event_log()
    >>> result = compare_logs(log, split="2024-01-15")
    >>> "pattern:pingpong" in result.significant()
    True
    """
    if not 0 < alpha < 1:
        raise SpecError(f"alpha {alpha}: expected a level between 0 and 1, e.g. 0.05")
    if (other is None) == (split is None):
        raise InputError("compare needs two logs, or one log and a split date",
                         hint="give other=, or split='2024-07-01'")
    if labels is not None and (len(labels) != 2 or not all(str(x).strip() for x in labels)
                               or str(labels[0]) == str(labels[1])):
        raise SpecError(f"labels={','.join(map(str, labels))!r}: the two sides need two different "
                        "names", hint="give two names that are not empty, e.g. 甲街道,乙街道")
    for side in (log, other):
        if side is not None:    # cycle times, waits and splits by date: a log needs its times
            as_engine(side).require_times("compare")
    if other is None:
        a, b = split_log(log, at=split)
        labels = labels or (f"before {split}", f"from {split}")
        for side, name in ((a, labels[0]), (b, labels[1])):
            if side.n_cases == 0:
                first = log.events[TIMESTAMP].min()
                last = log.events[TIMESTAMP].max()
                raise InputError(f"split={split!r}: no case {name.split(' ')[0]} it "
                                 f"(the log runs from {first:%Y-%m-%d} to {last:%Y-%m-%d})",
                                 hint="choose a date inside the log's period")
    else:
        a, b = log, other
        labels = labels or ("A", "B")
        for side, name in ((a, labels[0]), (b, labels[1])):
            if side.n_events == 0:
                raise InputError(f"{name}: the log has no events")
    if isinstance(workflow, (str, os.PathLike, Path)):
        from procmine.workflow import read_workflow

        workflow = read_workflow(workflow)
    cal, basis, described = resolve_calendar(calendar)
    notes: list[str] = []
    with fallback_years() as fallback:      # the years of the log the calendar lacks
        side_a = _side(a, cal, workflow, notes, labels[0])
        side_b = _side(b, cal, workflow, notes, labels[1])
    indicators = pd.DataFrame(_indicators(side_a, side_b))
    indicators = _with_holm(indicators, alpha=alpha)[_INDICATOR_COLUMNS]
    return Comparison(labels=(str(labels[0]), str(labels[1])), indicators=indicators,
                      units=_units(side_a, side_b, alpha), edges=_edges(side_a, side_b, alpha),
                      alpha=alpha, split=None if split is None else str(split), time_basis=basis,
                      calendar=described if cal is None else describe_calendar(cal, fallback),
                      cases=(side_a.n_cases, side_b.n_cases),
                      notes=tuple(notes),
                      working_day_seconds=getattr(cal, "day_seconds", None))
