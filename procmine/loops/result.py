"""What :func:`procmine.loops.find_loops` gives: :class:`LoopsResult`, its tables and the
per-case rows it reads from the engine's collector when first asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from procmine.engines.collector import any_true


@dataclass(frozen=True)
class LoopsResult:
    """What :func:`find_loops` found.

    - ``cases``: one row per case: ``case``, one boolean column per pattern that
      ran, and per-case measures: ``units_before_sign`` and ``presign_dwell_s``
      (first dispatch to the 签收 that accepts the order for good, clock;
      ``presign_dwell_work_s`` in working time), ``window_used`` (share of the allowed window used at the final
      closure), ``late_extension``.
    - ``evidence``: one row per flagged (case, pattern): ``case``, ``pattern``,
      ``occurrences``, ``unit``, ``level``, ``category``, ``source``, ``month``,
      ``cost_s`` and ``cost_work_s`` (time lost, clock and working), ``detail``
      and ``events`` (the events that make the pattern, as text).
    - ``summary``: one row per pattern that ran: ``pattern``, ``cases``,
      ``share`` (of all cases), ``cost_s``/``cost_work_s`` (total),
      ``mean_cost_s``, ``top_units``, ``top_levels``.
    - ``by``: with ``by=...``, one row per (group, pattern): ``cases`` in the
      group, ``flagged``, ``share``, ``cost_s``, ``cost_work_s``.
    - ``flows``: level x level moves (``from_level``, ``to_level``,
      ``direction`` up/down, ``via`` escalation/dispatch/other, ``count``,
      ``cases``, ``median_s``, ``total_s``: the exact sum of the waits, rounded once),
      drawn by :func:`procmine.render.render_loops`.
    - ``handovers``: ping-pong pairs (``source`` = A who returned first,
      ``target`` = B who returned it back, ``count``).
    - ``rework_by_activity``: ``{activity: cases in which it repeats}``, the
      measure of pm4py's ``get_rework_cases_per_activity``.
    - ``details``: per pattern, the extra figures (e.g. the hugging share
      against the 10% a smooth distribution gives; the supervision gap per
      category).
    - ``skipped``: ``{pattern: why it could not run}``; ``notes``: how patterns
      were computed on this log.

    ``cases`` and ``evidence`` (a row per case, a row per flagged case) are kept in
    the engine's collector (the DuckDB engine's own database, within its memory limit;
    memory for a log in memory) and made when first read: read them while the engine
    is open. Everything else is computed in the one pass.
    """

    _cases: pd.DataFrame | Callable[[], pd.DataFrame] = field(repr=False)
    _evidence: pd.DataFrame | Callable[[], pd.DataFrame] = field(repr=False)
    summary: pd.DataFrame
    by: pd.DataFrame | None
    flows: pd.DataFrame
    handovers: pd.DataFrame
    rework_by_activity: dict[str, int]
    details: dict[str, Any]
    skipped: dict[str, str]
    notes: tuple[str, ...]
    n_cases: int
    levels: tuple[str, ...] = ()
    _flags: Callable[[], pd.DataFrame] | None = field(default=None, repr=False, compare=False)

    def flags(self) -> pd.DataFrame:
        """The cases flagged with a pattern: ``case`` and one boolean column per pattern
        that ran, the rows and columns of :attr:`cases` without its measures nor the cases
        no pattern flagged, read from the engine's collector without them (each call; the
        report's case table needs no more). Read while the engine is open."""
        ran = list(self.summary["pattern"])      # summary: a row per pattern run
        if self._flags is None:
            flags = self.cases[["case", *ran]]
            return flags[any_true(flags, ran)].reset_index(drop=True)
        return self._flags()

    @property
    def cases(self) -> pd.DataFrame:
        if callable(self._cases):
            object.__setattr__(self, "_cases", self._cases())
        return self._cases

    @property
    def evidence(self) -> pd.DataFrame:
        if callable(self._evidence):
            object.__setattr__(self, "_evidence", self._evidence())
        return self._evidence

    def flagged(self, pattern: str) -> set:
        """The ids of the cases flagged with ``pattern``.

        >>> from procmine.loops import find_loops
        >>> from procmine.simulate import simulate_log
        >>> sim = simulate_log(cases=300, seed=5)
        >>> found = find_loops(sim.to_event_log(), patterns="reopen").flagged("reopen")
        >>> found == set(sim.truth.loc[sim.truth["reopen"] == 1, "case_id"])
        True
        """
        if pattern not in self.cases.columns:
            return set()
        return set(self.cases.loc[self.cases[pattern].to_numpy(dtype=bool), "case"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.n_cases,
            "summary": self.summary,
            "by": self.by,
            "details": self.details,
            "flows": self.flows,
            "handovers": self.handovers,
            "rework_by_activity": self.rework_by_activity,
            "skipped": self.skipped,
            "notes": list(self.notes),
        }
