"""The deviations of a result, counted per step of the intended workflow.

``deviation_overlay`` counts the skipped, repeated, misplaced and unexpected
steps of a ``ConformanceResult`` as an :class:`Overlay`;
:func:`procmine.render.render_conformance` draws the workflow with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from procmine.conform.result import ConformanceResult


@dataclass(frozen=True)
class Overlay:
    """Counts drawn over the intended model: per step the cases in which it was
    skipped, repeated, out of order (a step of the workflow, before its turn or where
    the workflow does not have it); and the steps the workflow does not have at all
    (``unexpected``) with the step they followed."""

    skipped: Mapping[str, int] = field(default_factory=dict)
    repeated: Mapping[str, int] = field(default_factory=dict)
    misplaced: Mapping[str, int] = field(default_factory=dict)
    unexpected: tuple[tuple[str, str | None, int], ...] = ()
    title: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)


def deviation_overlay(result: ConformanceResult, *, top: int = 8) -> Overlay:
    """The counts to draw over the intended model."""
    skipped: dict[str, int] = {}
    repeated: dict[str, int] = {}
    misplaced: dict[str, int] = {}
    unexpected = []
    notes: dict[str, str] = {}
    for d in result.deviations:
        if d.kind == "skipped" and d.step != "end":
            skipped[d.step] = skipped.get(d.step, 0) + d.cases
        elif d.kind == "repeated":
            repeated[d.step] = repeated.get(d.step, 0) + d.cases
        elif d.kind in ("order", "misplaced"):
            # a step of the workflow out of order is drawn on that step, never as "unexpected"
            misplaced[d.step] = misplaced.get(d.step, 0) + d.cases
        elif d.kind == "unexpected" and len(unexpected) < top:
            unexpected.append((d.step, _usual_predecessor(result, d.step), d.cases))
        elif d.kind == "same_unit":
            notes[d.step] = f"back at a returner {d.cases:,}"
        elif d.kind == "incomplete":
            notes[d.step] = f"ended here {d.cases:,}"
    title = (f"{result.workflow}: fitness {result.fitness:.3f}, "
             f"{result.conforming_share:.1%} of {result.cases:,} cases conform")
    return Overlay(skipped, repeated, misplaced, tuple(unexpected), title, notes)


def _usual_predecessor(result: ConformanceResult, step: str) -> str | None:
    before: dict[str, int] = {}
    for acts, n in zip(result.variants["activities"], result.variants["cases"], strict=True):
        seq = acts.split(" → ")
        for i, a in enumerate(seq):
            if a == step and i > 0:
                before[seq[i - 1]] = before.get(seq[i - 1], 0) + int(n)
                break
    return max(before, key=before.get) if before else None

