"""Checking a workflow file (``procmine workflow check``): :func:`check_workflow`
reads and validates it, builds its Petri net and explores its states, and
:class:`WorkflowCheck` holds the workflow with the size of its net.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procmine.errors import SpecError
from procmine.workflow.model import Workflow
from procmine.workflow.read import read_workflow
from procmine.workflow.states import check_net_size, reachability


@dataclass(frozen=True)
class WorkflowCheck:
    """A valid workflow and the size of its Petri net. ``markings``: reachable
    markings, None when there are too many to list (then soundness is not proven)."""

    workflow: Workflow
    places: int
    transitions: int
    silent: int
    markings: int | None

    def to_dict(self) -> dict[str, Any]:
        return {**self.workflow.to_dict(), "petri_net": {
            "places": self.places, "transitions": self.transitions, "silent": self.silent,
            "reachable_markings": self.markings}}


def check_workflow(path: str | Path) -> WorkflowCheck:
    """Read and validate a workflow file, build its Petri net and explore its states.

    Raises SpecError on the first problem (with the line for a YAML spec).

    >>> check_workflow("logs/workflow.yaml").markings
    26
    """
    wf = read_workflow(path)
    m = wf.petri_net()
    check_net_size(m.net, str(path))
    graph = reachability(m.net, m.initial, limit=200_000)
    if graph is not None and not graph.can_finish(m.final):
        raise SpecError(f"{path}: unreachable end: some runs of the model get stuck before its end")
    return WorkflowCheck(wf, m.n_places, m.n_transitions, m.n_silent,
                         None if graph is None else len(graph.markings))
