"""The intended workflow drawn as BPMN (tasks and gateways) or as its Petri net:
:func:`render_workflow`.

The workflow drawings name one installed font family with Chinese glyphs
(:func:`procmine.render.graphviz.cjk_font`); :mod:`procmine.render.overlay` draws
what a log did instead over the same steps.

>>> from procmine.workflow import read_workflow
>>> "核查" in render_workflow(read_workflow("logs/workflow.yaml"), notation="petri").source
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from procmine.choices import WorkflowNotation
from procmine.render.graphviz import cjk_font, new_graph

if TYPE_CHECKING:
    import graphviz

    from procmine.workflow import Workflow



def render_workflow(workflow: Workflow, *,
                    notation: WorkflowNotation | None = None) -> graphviz.Digraph:
    """A drawing of ``workflow``: ``bpmn`` (tasks and gateways) or its ``petri`` net.

    By default BPMN, and the Petri net for a workflow read from PNML.

    >>> from procmine.workflow import parse_workflow
    >>> "digraph workflow" in render_workflow(parse_workflow("steps: [a, b]")).source
    True
    """
    graph = workflow_digraph(workflow.name)
    draw_steps(graph, workflow, notation=notation)
    return graph


def workflow_digraph(title: str) -> graphviz.Digraph:
    """The empty graph of a workflow drawing, with ``title`` above it."""

    font = cjk_font()
    return new_graph("workflow", graph_attr={"rankdir": "LR", "fontname": font, "fontsize": "12",
                                                    "label": title, "labelloc": "t"},
                            node_attr={"fontname": font, "fontsize": "11"},
                            edge_attr={"fontname": font, "fontsize": "10", "color": "#555555"})


def draw_steps(graph: graphviz.Digraph, workflow: Workflow, *,
               notation: WorkflowNotation | None = None) -> dict[str, str]:
    """Draw the workflow's nodes and flows into ``graph``; the node id of each named step."""
    if notation is None:
        notation = "petri" if workflow.format == "pnml" else "bpmn"
    if notation == "bpmn":
        return _draw_bpmn(graph, workflow)
    return _draw_petri(graph, workflow)


def _draw_bpmn(g: graphviz.Digraph, workflow: Workflow) -> dict[str, str]:
    import graphviz

    task_of: dict[str, str] = {}
    bpmn = workflow.bpmn()
    ids = {id(n): f"n{i}" for i, n in enumerate(bpmn.get_nodes())}
    for n in bpmn.get_nodes():
        kind = type(n).__name__
        nid = ids[id(n)]
        if kind.endswith("Task"):
            name = n.get_name()
            task_of.setdefault(name, nid)
            g.node(nid, graphviz.nohtml(name), shape="box", style="rounded,filled", fillcolor="#eef3fb")
        elif "Gateway" in kind:
            sign = {"ExclusiveGateway": "×", "ParallelGateway": "+", "InclusiveGateway": "○"}.get(kind, "◇")
            g.node(nid, sign, shape="diamond", width="0.4", height="0.4", fixedsize="true")
        elif "End" in kind:
            g.node(nid, "", shape="circle", penwidth="3", width="0.3", fixedsize="true")
        else:
            g.node(nid, "", shape="circle", width="0.3", fixedsize="true")
    for f in bpmn.get_flows():
        g.edge(ids[id(f.get_source())], ids[id(f.get_target())])
    return task_of


def _draw_petri(g: graphviz.Digraph, workflow: Workflow) -> dict[str, str]:
    import graphviz

    task_of: dict[str, str] = {}
    m = workflow.petri_net()
    ids = {id(p): f"p{i}" for i, p in enumerate(m.net.places)}
    for p in m.net.places:
        mark = "●" if p in m.initial else ("■" if p in m.final else "")
        g.node(ids[id(p)], mark, shape="circle", width="0.3", fixedsize="true")
    for i, t in enumerate(m.net.transitions):
        ids[id(t)] = f"t{i}"
        if t.label is None:
            g.node(f"t{i}", "", shape="box", style="filled", fillcolor="#333333", width="0.1",
                   height="0.4")
        else:
            task_of.setdefault(t.label, f"t{i}")
            g.node(f"t{i}", graphviz.nohtml(t.label), shape="box", style="filled", fillcolor="#eef3fb")
    for a in m.net.arcs:
        g.edge(ids[id(a.source)], ids[id(a.target)])
    return task_of
