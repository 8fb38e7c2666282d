"""The deviations of a conformance check drawn over the intended workflow:
:func:`render_conformance` (and :func:`render_overlay` for counts made elsewhere).

Steps skipped, repeated or out of order are filled red or orange with their
counts; unexpected steps hang off the step they usually followed, dashed.

>>> from procmine.conform import check_conformance
>>> from procmine.simulate import simulate_log
>>> from procmine.workflow import read_workflow
>>> workflow = read_workflow("logs/workflow.yaml")
>>> log = simulate_log(cases=200, seed=5).to_event_log()
>>> result = check_conformance(log, workflow, precision=False)
>>> "unexpected" in render_conformance(result, workflow).source
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from procmine.render.graphviz import plain_label
from procmine.render.workflow import WorkflowNotation, draw_steps, workflow_digraph

if TYPE_CHECKING:
    import graphviz

    from procmine.conform import ConformanceResult, Overlay
    from procmine.workflow import Workflow


def render_conformance(result: ConformanceResult, workflow: Workflow, *,
                       notation: WorkflowNotation | None = None) -> graphviz.Digraph:
    """The intended workflow with the deviations of ``result`` over it."""
    from procmine.conform import deviation_overlay

    return render_overlay(workflow, deviation_overlay(result), notation=notation)


def render_overlay(workflow: Workflow, overlay: Overlay, *,
                   notation: WorkflowNotation | None = None) -> graphviz.Digraph:
    """The intended workflow with the counts of ``overlay`` drawn over its steps.

    >>> from procmine.conform import Overlay
    >>> from procmine.workflow import parse_workflow
    >>> g = render_overlay(parse_workflow("steps: [a, b]"), Overlay(skipped={"b": 3}))
    >>> "skipped 3" in g.source
    True
    """
    graph = workflow_digraph(overlay.title or workflow.name)
    task_of = draw_steps(graph, workflow, notation=notation)
    _mark_deviations(graph, task_of, overlay)
    return graph


def _mark_deviations(g: graphviz.Digraph, task_of: dict[str, str], overlay: Overlay) -> None:
    for step, nid in task_of.items():
        notes = []
        for what, table in (("skipped", overlay.skipped), ("repeated", overlay.repeated),
                            ("out of order", overlay.misplaced)):
            if table.get(step):
                notes.append(f"{what} {table[step]:,}")
        if overlay.notes.get(step):
            notes.append(overlay.notes[step])
        if notes:
            heavy = overlay.skipped.get(step, 0) or overlay.misplaced.get(step, 0)
            g.node(nid, plain_label(step + "\n" + "\n".join(notes)), style="rounded,filled",
                   fillcolor="#f8c9c4" if heavy else "#fde7c2", color="#c0392b", penwidth="2")
    for i, (step, after, count) in enumerate(overlay.unexpected):
        nid = f"x{i}"
        g.node(nid, plain_label(f"{step}\nunexpected {count:,}"), shape="box", style="rounded,dashed,filled",
               fillcolor="#f8c9c4", color="#c0392b")
        if after and after in task_of:
            g.edge(task_of[after], nid, style="dashed", color="#c0392b", label=f"{count:,}",
                   fontcolor="#c0392b")
