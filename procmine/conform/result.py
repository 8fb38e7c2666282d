"""The result of a conformance check: ``ConformanceResult`` and its ``Deviation`` rows.

``ConformanceResult`` holds the log's fitness, precision and case counts, the
deviations, and the variant and case tables; ``summary()`` and ``to_dict()`` are
what the CLI writes as text and JSON. Both classes are re-exported by
``procmine.conform``, where users import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from procmine.choices import ConformMethod


@dataclass(frozen=True)
class Deviation:
    """One kind of deviation, with the cases in which it happened.

    ``kind``: ``skipped`` (a step the workflow requires did not happen),
    ``incomplete`` (the case ended after ``step`` with two or more steps of the
    workflow still to come), ``order`` (``step`` happened before its turn, mostly before
    ``other``), ``repeated`` (a loop back to ``step`` the workflow does not allow,
    collapsed: "T06 → T07-1 repeated ×4" per case), ``misplaced`` (a step of the
    workflow at a point where the workflow does not have it), ``unexpected`` (a step
    the workflow does not have at all),
    ``same_unit`` (an extra path marked ``distinct_units`` went back to a unit that
    had returned the order: ping-pong). ``units``: the units where it happened most,
    with their number of cases; ``example``: one case where it happened (the first case
    of the kind's most frequent variant).
    """

    kind: Literal["skipped", "incomplete", "order", "repeated", "misplaced", "unexpected", "same_unit"]
    step: str
    other: str | None
    cases: int
    share: float
    text: str
    units: tuple[tuple[str, int], ...] = ()
    detail: str | None = None
    label: str = ""
    example: str | None = None


@dataclass(frozen=True)
class ConformanceResult:
    """How far a log follows the intended workflow.

    ``fitness``: log fitness as pm4py computes it for ``method``;
    ``average_case_fitness``: the mean of the case fitness values; ``precision``:
    ETConformance token-replay precision (None when not asked for);
    ``fitting_cases``: cases with fitness 1 (a perfect alignment, or a replay
    without missing or remaining tokens: pm4py's fitting traces);
    ``conforming_cases``: fitting cases that also break no unit rule of the
    workflow (``distinct_units``); ``variants``: one row per variant;
    ``cases_table``: one row per case; ``not_aligned``: variants that did not
    align within the time budget (left out of fitness, as pm4py leaves them out);
    ``aligner``: how the others were aligned.
    """

    method: ConformMethod
    fitness: float
    average_case_fitness: float
    precision: float | None
    cases: int
    fitting_cases: int
    conforming_cases: int
    deviations: tuple[Deviation, ...]
    variants: pd.DataFrame
    cases_table: pd.DataFrame
    workflow: str
    not_aligned: int = 0
    notes: tuple[str, ...] = ()
    #: how the variants were aligned: ``state space`` (every variant exactly, by shortest
    #: paths over the model's reachable markings), ``pm4py A*`` (each variant within the
    #: time budget; ``not_aligned`` went over it), None for token replay
    aligner: str | None = None
    seconds: float = 0.0

    @property
    def conforming_share(self) -> float:
        return self.conforming_cases / self.cases if self.cases else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow, "method": self.method, "cases": self.cases,
            "variants": len(self.variants), "fitness": self.fitness,
            "average_case_fitness": self.average_case_fitness, "precision": self.precision,
            "fitting_cases": self.fitting_cases,
            "conforming_cases": self.conforming_cases, "conforming_share": self.conforming_share,
            "not_aligned_variants": self.not_aligned,
            "aligner": self.aligner,
            "aligned_variants": (len(self.variants) - self.not_aligned) if self.aligner else None,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "deviations": [{"kind": d.kind, "step": d.step, "other": d.other, "cases": d.cases,
                            "share": d.share, "text": d.text, "label": d.label, "detail": d.detail,
                            "units": [{"unit": u, "cases": n} for u, n in d.units],
                            "example": d.example}
                           for d in self.deviations],
            "notes": list(self.notes),
            # the tables by their own names: "cases" and "variants" are the summary's counts
            "variant_table": self.variants,
            "case_table": self.cases_table,
        }
