"""Deadlines: how the cases with one fared, and the windows their clocks ran in.

:class:`Deadlines` is the deadline part of a
:class:`~procmine.bottlenecks.BottleneckResult`. A :class:`_Window` holds, per
case with a deadline, when its clock started, when it was due and when the
clock stopped, from the ``case:deadline`` column (:func:`_column_window`) or
from the deadlines per category of a workflow (:func:`_workflow_window`); the
other helpers count cases with a deadline per group and split the overdue
time over the transitions during which it passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from procmine.bottlenecks.codes import _add, _spread, _summed
from procmine.bottlenecks.events import _NAT, _Clock, _Events, _ns
from procmine.bottlenecks.stats import _distinct_cases, _quantile_rows
from procmine.log import ACTIVITY, CATEGORY, DEADLINE


@dataclass(frozen=True)
class Deadlines:
    """How the cases with a deadline fared (durations in seconds).

    ``cases``: one row per case with a deadline: ``case``, ``category``,
    ``clock_start`` (when the deadline clock started, NaT for a due-time
    column), ``due``, ``end`` (when the clock stopped), ``on_time``,
    ``overdue`` (working or clock seconds past ``due``, 0 when on time); it is
    made when first read (from an engine, by reading the parts again, so read
    it while the engine is open), while the counts and ``on_time_rate`` are
    kept. ``by_category`` and ``by_unit``: cases, overdue cases, on-time rate,
    median and total overdue time. ``by_transition``: the overdue time of
    overdue cases split over the transitions during which it passed; its
    ``overdue`` column adds up to the total overdue time.
    """

    source: str
    by_category: pd.DataFrame
    by_unit: pd.DataFrame
    by_transition: pd.DataFrame
    n_cases: int
    n_overdue: int
    overdue_total: float
    overdue_median: float
    _cases: pd.DataFrame | Callable[[], pd.DataFrame] = field(repr=False)
    _verdicts: Callable[[], pd.DataFrame] | None = field(default=None, repr=False, compare=False)

    @property
    def cases(self) -> pd.DataFrame:
        if callable(self._cases):
            object.__setattr__(self, "_cases", self._cases())
        return self._cases

    def verdicts(self) -> pd.DataFrame:
        """``case`` (text) and ``on_time`` of :attr:`cases`, measured without its other
        columns (from an engine, by reading the parts again, each call) and not kept."""
        if self._verdicts is None or not callable(self._cases):
            return self.cases[["case", "on_time"]].astype({"case": "str"})
        return self._verdicts()

    @property
    def on_time_rate(self) -> float:
        return (self.n_cases - self.n_overdue) / self.n_cases if self.n_cases else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "cases": self.n_cases,
            "on_time": self.n_cases - self.n_overdue,
            "overdue": self.n_overdue,
            "on_time_rate": self.on_time_rate,
            "overdue_total": self.overdue_total,
            "overdue_median": self.overdue_median,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "by_category": self.by_category, "by_unit": self.by_unit,
                "by_transition": self.by_transition}


# --------------------------------------------------------------------------- deadlines


def _clock_stop(ev: _Events) -> np.ndarray:
    """Index of the event that stops each case's deadline clock: its first close step
    (结案, as a workflow deadline "-> 结案" counts it), else its last event."""
    from procmine.vocabulary import role_of

    act, names = ev.codes(ACTIVITY)
    closing = np.flatnonzero([role_of(str(a)) == "close" for a in names])
    stop = ev.last_idx.copy()
    is_close = np.isin(act, closing)
    if is_close.any():
        idx = np.flatnonzero(is_close)
        first_close = np.full(len(stop), ev.n, dtype=np.int64)
        np.minimum.at(first_close, ev.case[idx], idx)
        stop = np.where(first_close < ev.n, first_close, stop)
    return stop


@dataclass(frozen=True)
class _Window:
    """Per case with a deadline: case code, clock start, due and clock stop (int64 ns)."""

    code: np.ndarray
    clock_start: np.ndarray
    due: np.ndarray
    end: np.ndarray


def _column_window(ev: _Events) -> _Window:
    due = _ns(ev.log.column(DEADLINE))
    per_case = np.full(len(ev.first_idx), _NAT, dtype=np.int64)
    has = due != _NAT
    # the first due time given in each case
    idx = np.flatnonzero(has)[::-1]
    per_case[ev.case[idx]] = due[idx]
    code = np.flatnonzero(per_case != _NAT)
    stop = _clock_stop(ev)
    return _Window(code, np.full(len(code), _NAT, dtype=np.int64), per_case[code],
                   ev.ts[stop[code]])


def _workflow_window(ev: _Events, due_clock: _Clock, workflow: Any) -> _Window:
    """Deadlines of a :class:`procmine.workflow.Workflow`: per category, step A -> step B.

    The clock starts at the case's first A and stops at its first B after that
    (a case without a B stops at its last event: still open when the log ends).
    """
    deadlines = tuple(workflow.deadlines)    # a workflow without any leaves them to the column
    act, act_names = ev.codes(ACTIVITY)
    steps = np.asarray([workflow.step_of(str(a)) for a in act_names], dtype=object)
    if ev.log.has(CATEGORY):
        cat, cat_names = ev.codes(CATEGORY)
        case_cat = cat[ev.first_idx]
    else:
        case_cat, cat_names = np.full(len(ev.first_idx), -1, dtype=np.int64), np.array([])
    rules = list(deadlines)
    # the rule of each case: its category's, else the catch-all one (category None)
    catch_all = next((r for r, d in enumerate(rules) if d.category is None), -1)
    case_rule = np.full(len(ev.first_idx), catch_all, dtype=np.int64)
    for r, d in enumerate(rules):
        if d.category is not None:
            case_rule[case_cat == _code_of(cat_names, d.category)] = r
    idx = np.arange(ev.n)
    parts = []
    for r, d in enumerate(rules):
        in_rule = case_rule[ev.case] == r
        begin_hits = in_rule & np.isin(act, np.flatnonzero(steps == d.start))
        if not begin_hits.any():
            continue
        first_begin = np.full(len(ev.first_idx), ev.n, dtype=np.int64)
        np.minimum.at(first_begin, ev.case[begin_hits], idx[begin_hits])
        end_hits = (in_rule & np.isin(act, np.flatnonzero(steps == d.end))
                    & (idx > first_begin[ev.case]))
        first_end = np.full(len(ev.first_idx), ev.n, dtype=np.int64)
        np.minimum.at(first_end, ev.case[end_hits], idx[end_hits])
        code = np.flatnonzero(first_begin < ev.n)
        stop = np.where(first_end[code] < ev.n, first_end[code], ev.last_idx[code])
        start = ev.ts[first_begin[code]]
        if d.working:
            day = float(getattr(due_clock.calendar, "day_seconds", 86_400))
            due = due_clock.add(start, np.full(len(code), d.working_seconds(day)))
        else:
            due = start + np.int64(round(d.clock_seconds() * 1e9))
        parts.append(_Window(code, start, due, ev.ts[stop]))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return _Window(empty, empty, empty, empty)
    code = np.concatenate([p.code for p in parts])
    order = np.argsort(code, kind="stable")
    return _Window(code[order], np.concatenate([p.clock_start for p in parts])[order],
                   np.concatenate([p.due for p in parts])[order],
                   np.concatenate([p.end for p in parts])[order])


def _code_of(names: np.ndarray, name: Any) -> int:
    """The code of a name (-2, matching no event, where the log lacks it)."""
    found = np.flatnonzero(names == name)
    return int(found[0]) if len(found) else -2


def _name(workflow: Any) -> str:
    return str(getattr(workflow, "path", None) or getattr(workflow, "name", None) or "spec")


def _stamp(ns: np.ndarray, timezone: str) -> pd.Series:
    values = np.where(ns == _NAT, np.datetime64("NaT"), ns.astype("datetime64[ns]"))
    return pd.Series(pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(timezone))


def _deadline_counts(values: Any, name: str, keys: np.ndarray, group: np.ndarray,
                     on_time: np.ndarray, overdue: np.ndarray) -> pd.DataFrame:
    """Per group (a part's codes, ``keys`` their shared codes): cases with a deadline,
    overdue cases and on-time cases; the overdue times of late cases go to ``values``."""
    k = len(keys)
    ok = group >= 0
    g = group[ok]
    late = ok & ~on_time
    _add(values, name, np.append(keys, -1)[group[late]], overdue[late])
    return pd.DataFrame({"key": keys, "deadline_cases": np.bincount(g, minlength=k),
                         "overdue_cases": np.bincount(g, weights=~on_time[ok],
                                                      minlength=k).astype(np.int64),
                         "on_time_cases": np.bincount(g, weights=on_time[ok], minlength=k)})


def _overdue_by_transition(ev: _Events, clock: _Clock, code: np.ndarray, due: np.ndarray,
                           end: np.ndarray) -> pd.DataFrame:
    """The overdue part of each transition interval [previous completion, completion]."""
    n_cases = len(ev.first_idx)
    case_due = np.full(n_cases, _NAT, dtype=np.int64)
    case_end = np.full(n_cases, _NAT, dtype=np.int64)
    case_due[code], case_end[code] = due, end
    i = np.flatnonzero(~ev.first & (case_due[ev.case] != _NAT))
    lo = np.maximum(ev.prev_ts[i], case_due[ev.case[i]])
    hi = np.minimum(ev.ts[i], case_end[ev.case[i]])
    keep = hi > lo
    i, lo, hi = i[keep], lo[keep], hi[keep]
    part = clock.span(lo, hi)
    act, names = ev.codes(ACTIVITY)
    k = len(names)
    pair = act[i - 1] * k + act[i]
    inverse, uniq = pd.factorize(pair, sort=True)
    total = np.bincount(inverse, weights=part, minlength=len(uniq))
    cases = _distinct_cases(inverse, ev.case[i], len(uniq))
    return pd.DataFrame({"source": names[uniq // k] if len(uniq) else [],
                         "target": names[uniq % k] if len(uniq) else [],
                         "cases": cases, "overdue": total})


def _overdue_ranked(measures: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts' overdue time per transition added up, with its share, largest first."""
    if len(measures) == 1:
        table = measures[0]
    else:
        table = pd.concat(measures, ignore_index=True).groupby(
            ["source", "target"], sort=True, as_index=False)[["cases", "overdue"]].sum()
    grand = float(table["overdue"].sum())
    table["share"] = table["overdue"] / grand if grand > 0 else np.nan
    return table.sort_values(["overdue", "source", "target"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


def _deadline_table(ordered: tuple[Any, Any], measures: list[pd.DataFrame], values: Any,
                    name: str, label: str) -> pd.DataFrame:
    """The deadline figures per category or unit (``ordered``: its names and their rows)."""
    names, row = ordered
    k = len(names)
    s = _summed(measures)
    n = _spread(s.index, s["deadline_cases"], row, k, 0, np.int64)
    total, (median,) = _quantile_rows(values, name, row, k, (0.5,))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = _spread(s.index, s["on_time_cases"], row, k, 0.0) / n
    table = pd.DataFrame({label: names, "deadline_cases": n,
                          "overdue_cases": _spread(s.index, s["overdue_cases"], row, k, 0, np.int64),
                          "on_time_rate": rate, "overdue_median": median,
                          "overdue_total": np.nan_to_num(total)})
    return table[table["deadline_cases"] > 0].reset_index(drop=True)
