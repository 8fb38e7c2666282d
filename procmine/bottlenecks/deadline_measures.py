"""The deadline tables of :func:`procmine.bottlenecks.find_bottlenecks`, measured part by
part like the other tables of :class:`procmine.bottlenecks.groupings._Groupings`, whose base
class holds them: whether each case met its deadline (the workflow's deadlines or the log's
deadline column), the counts per category and unit, and the cases and verdicts themselves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from procmine.bottlenecks.codes import _add, _Part
from procmine.bottlenecks.deadlines import (
    Deadlines,
    _column_window,
    _deadline_counts,
    _deadline_table,
    _name,
    _overdue_by_transition,
    _overdue_ranked,
    _stamp,
    _Window,
    _workflow_window,
)
from procmine.bottlenecks.stats import _distinct, _rank
from procmine.log import CATEGORY, DEADLINE, RESOURCE


class _DeadlineMeasures:
    """The ``_measure_deadline*`` and ``_finish_deadline*`` methods of ``_Groupings``, which
    gives ``deadlines_of``, ``clock``, ``due_clock``, ``codes``, ``present`` and ``taken``."""

    def _deadline(self, part: _Part) -> tuple[_Window, np.ndarray, np.ndarray, np.ndarray] | None:
        """The part's cases with a deadline: window, on time, overdue, and late per case."""
        if part.deadline is None and (self.deadlines_of is not None or part.has(DEADLINE)):
            ev = part.ev
            window = (_workflow_window(ev, self.due_clock, self.deadlines_of)
                      if self.deadlines_of is not None else _column_window(ev))
            on_time = window.end <= window.due
            overdue = np.where(on_time, 0.0, self.clock.span(window.due, window.end))
            late = np.zeros(len(ev.first_idx), dtype=bool)
            late[window.code[~on_time]] = True
            part.deadline = (window, on_time, overdue, late)
        return part.deadline

    def _measure_deadlines(self, part: _Part, values: Any) -> tuple | None:
        deadline = self._deadline(part)
        if deadline is None:
            return None
        window, on_time, overdue, _ = deadline
        ev, code = part.ev, window.code
        case_cat = np.full(len(code), -1, dtype=np.int64)
        cat_keys = np.zeros(0, dtype=np.int64)
        if part.has(CATEGORY):
            cat, _ = ev.codes(CATEGORY)
            case_cat = cat[ev.first_idx][code]
            cat_keys = part.keys(CATEGORY)
        late = ~on_time
        _add(values, "deadline_overdue", np.zeros(int(late.sum()), dtype=np.int64), overdue[late])
        counts = (len(code), int(late.sum()), float(np.nansum(overdue)))
        groups = {"category": _deadline_counts(values, "deadline_category", cat_keys, case_cat,
                                               on_time, overdue)}
        # per unit: the cases with a deadline that the unit acted on
        if part.has(RESOURCE):
            unit, unit_names = ev.codes(RESOURCE)
            k = max(len(unit_names), 1)
            ok = unit >= 0
            pairs = _distinct(ev.case[ok] * k + unit[ok])
            pair_case, pair_unit = pairs // k, pairs % k
            slot = np.full(len(ev.first_idx), -1, dtype=np.int64)
            slot[code] = np.arange(len(code))
            keep = slot[pair_case] >= 0
            s = slot[pair_case[keep]]
            groups["unit"] = _deadline_counts(values, "deadline_unit", part.keys(RESOURCE),
                                              pair_unit[keep], on_time[s], overdue[s])
        return counts, groups, _overdue_by_transition(ev, self.clock, code[late],
                                                      window.due[late], window.end[late])

    def _measure_deadline_cases(self, part: _Part, values: Any) -> pd.DataFrame | None:
        deadline = self._deadline(part)
        if deadline is None:
            return None
        window, on_time, overdue, _ = deadline
        ev, code = part.ev, window.code
        category = np.full(len(code), None, dtype=object)
        if part.has(CATEGORY):
            cat, cat_names = ev.codes(CATEGORY)
            case_cat = cat[ev.first_idx][code]
            category[case_cat >= 0] = cat_names[case_cat[case_cat >= 0]]
        tz = self.clock.timezone
        return pd.DataFrame({
            "case": ev.case_ids[code], "category": category,
            "clock_start": _stamp(window.clock_start, tz),
            "due": _stamp(window.due, tz), "end": _stamp(window.end, tz),
            "on_time": on_time, "overdue": overdue,
        })

    def _measure_deadline_verdicts(self, part: _Part, values: Any) -> pd.DataFrame | None:
        deadline = self._deadline(part)          # the rows of deadline_cases, two columns
        if deadline is None:
            return None
        window, on_time = deadline[:2]
        case = pd.Series(part.ev.case_ids[window.code], dtype=object).astype("str")
        return pd.DataFrame({"case": case, "on_time": on_time})

    def _finish_deadline_verdicts(self, measures: list[Any], values: Any) -> pd.DataFrame:
        return _joined(measures, pd.DataFrame({"case": pd.Series([], dtype="str"), "on_time": []}))

    def _finish_deadline_cases(self, measures: list[Any], values: Any) -> pd.DataFrame:
        return _joined(measures, pd.DataFrame(columns=["case", "category", "clock_start", "due",
                                                       "end", "on_time", "overdue"]))

    def _finish_deadlines(self, measures: list[Any], values: Any) -> Deadlines | None:
        if self.deadlines_of is None and DEADLINE not in self.present:
            return None
        measures = [m for m in measures if m is not None]
        source = (f"workflow {_name(self.deadlines_of)}" if self.deadlines_of is not None
                  else f"column {DEADLINE}")
        n_cases, n_late, overdue_total = (sum(m[0][i] for m in measures) for i in range(3))
        median = values.quantiles("deadline_overdue", "key", "value", (0.5,))["q0"]
        by_category = _deadline_table(self.codes[CATEGORY].ordered(), [m[1]["category"] for m in measures],
                                      values, "deadline_category", "category")
        if RESOURCE in self.present:
            by_unit = _deadline_table(self.codes[RESOURCE].ordered(), [m[1]["unit"] for m in measures],
                                      values, "deadline_unit", "unit")
            by_unit["overdue_share"] = by_unit["overdue_cases"] / n_late if n_late else np.nan
            by_unit = _rank(by_unit, "overdue_cases", "unit")
        else:
            by_unit = pd.DataFrame({"unit": []})
        return Deadlines(source, by_category, by_unit, _overdue_ranked([m[2] for m in measures]),
                         n_cases=n_cases, n_overdue=n_late, overdue_total=overdue_total,
                         overdue_median=float(median.iloc[0]) if len(median) else float("nan"),
                         _cases=lambda: self.taken("deadline_cases"),
                         _verdicts=lambda: self.taken("deadline_verdicts"))


def _joined(measures: list[Any], empty: pd.DataFrame) -> pd.DataFrame:
    """The parts' frames end to end (parts without deadlines left out), or ``empty``."""
    frames = [m for m in measures if m is not None]
    return pd.concat(frames, ignore_index=True) if frames else empty
