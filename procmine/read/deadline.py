"""Whether a column of a log can be the case deadline: one value in each case.

Reading maps a deadline column found by its header only when it is (``read_log``); the
SQL engines count the same with their own query (:mod:`~procmine.read.dialect`). Kept here,
not with the workflow's deadlines, so reading a log imports none of the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DeadlineColumnCheck", "check_deadline_column"]


@dataclass(frozen=True)
class DeadlineColumnCheck:
    """Whether a column of a log can be the case deadline: a case-level attribute
    (one value in each case). ``varying_cases`` is the number of cases in which it
    takes more than one value (a missing value counts as a value), ``event_share``
    the share of events that carry it.
    """

    column: str
    cases: int
    varying_cases: int
    event_share: float

    @property
    def case_level(self) -> bool:
        return self.cases > 0 and self.varying_cases == 0

    def message(self) -> str:
        """One line for the load report when the column is not mapped (empty when it is)."""
        if self.case_level:
            return ""
        return (f"column {self.column!r} looks like a deadline but is not one per case: it "
                f"varies within {self.varying_cases:,} of {self.cases:,} cases and is on "
                f"{self.event_share:.1%} of events; not used as the case deadline (give "
                f"--deadline {self.column} if it is the case's due time)")


def check_deadline_column(events: pd.DataFrame, column: str, *,
                          case: str = "case:concept:name") -> DeadlineColumnCheck:
    """Whether ``column`` of ``events`` is constant within each case (``case`` column).

    Reading maps a deadline column automatically only when ``.case_level`` is true;
    otherwise it reports ``.message()``.

    >>> ev = pd.DataFrame({"case": ["a", "a", "b", "b"],
    ...                    "due": ["2024-01-05", "2024-01-05", "2024-01-09", None]})
    >>> check = check_deadline_column(ev, "due", case="case")
    >>> check.case_level, check.varying_cases, check.event_share
    (False, 1, 0.75)
    """
    if len(events) == 0:
        return DeadlineColumnCheck(column, 0, 0, 0.0)
    values = events[column]
    case_codes, n_cases = _codes(events[case])
    if pd.api.types.is_datetime64_dtype(values.dtype):   # naive times: their numbers
        value_codes = values.to_numpy().view(np.int64)   # (a missing time is one number too)
    else:
        value_codes, _ = _codes(values)              # a missing value is a value (-1)
    known = case_codes >= 0
    if not known.all():
        case_codes, value_codes = case_codes[known], value_codes[known]
    return DeadlineColumnCheck(column=column, cases=n_cases,
                               varying_cases=_varying_cases(case_codes, value_codes, n_cases),
                               event_share=float(values.notna().mean()))


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """A code per row (-1: missing) and the number of distinct values present; a
    Categorical's own codes (no pass over the text)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        present = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories))
        return codes, int(np.count_nonzero(present))
    codes, distinct = pd.factorize(values)
    return codes, len(distinct)


def _varying_cases(case_codes: np.ndarray, value_codes: np.ndarray, n_cases: int) -> int:
    """How many cases hold more than one value code (no sort, no groupby)."""
    if not len(case_codes):
        return 0
    new_case = case_codes[1:] != case_codes[:-1]
    if int(np.count_nonzero(new_case)) + 1 == n_cases:
        # each case is one run of rows (most files): a case varies where its value changes
        # from one row to the next
        changed = (value_codes[1:] != value_codes[:-1]) & ~new_case
        return len(np.unique(case_codes[1:][changed]))
    # cases interleaved: a case varies when one of its values differs from its first;
    # numbered in order of appearance, a case's first row is where the codes reach a new high
    case_codes, cases = pd.factorize(case_codes)
    new_high = case_codes > np.maximum.accumulate(np.append(-1, case_codes[:-1]))
    first = value_codes[new_high]
    varying = np.zeros(len(cases), dtype=bool)
    varying[case_codes[value_codes != first[case_codes]]] = True
    return int(varying.sum())
