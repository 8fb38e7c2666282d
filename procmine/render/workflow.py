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

from typing import TYPE_CHECKING, Any

from procmine.choices import WorkflowNotation
from procmine.render.graphviz import cjk_font, new_graph
from procmine.render.model import canonical_order

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
    flows = list(bpmn.get_flows())
    out: dict[int, list] = {}
    for f in flows:
        out.setdefault(id(f.get_source()), []).append(f.get_target())

    def key(n: Any) -> tuple:
        return (type(n).__name__, n.get_name() or "",
                sorted(t.get_name() or type(t).__name__ for t in out.get(id(n), [])))

    # pm4py keeps the nodes in a set with random ids: in an order of the structure and the
    # names instead, the DOT text (and so the layout) is the same from run to run
    nodes = list(bpmn.get_nodes())
    order = canonical_order([n for n in nodes if "Start" in type(n).__name__], lambda n: out.get(id(n), []),
                       key, nodes)
    ids = {id(n): f"n{i}" for i, n in enumerate(order)}
    for n in order:
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
    position = {id(n): i for i, n in enumerate(order)}
    for f in sorted(flows, key=lambda f: (position[id(f.get_source())], position[id(f.get_target())])):
        g.edge(ids[id(f.get_source())], ids[id(f.get_target())])
    return task_of


def _draw_petri(g: graphviz.Digraph, workflow: Workflow) -> dict[str, str]:
    import graphviz

    task_of: dict[str, str] = {}
    m = workflow.petri_net()

    def label(x: Any) -> str:
        return getattr(x, "label", None) or ""

    def key(x: Any) -> tuple:           # places first, then silent steps, then by name
        return (hasattr(x, "label"), label(x) != "", label(x),
                sorted(label(a.target) for a in x.out_arcs), sorted(label(a.source) for a in x.in_arcs))

    order = canonical_order(list(m.initial), lambda x: [a.target for a in x.out_arcs], key,
                            list(m.net.places) + list(m.net.transitions))
    ids: dict[int, str] = {}
    for i, x in enumerate(order):
        if not hasattr(x, "label"):
            ids[id(x)] = f"p{i}"
            mark = "●" if x in m.initial else ("■" if x in m.final else "")
            g.node(ids[id(x)], mark, shape="circle", width="0.3", fixedsize="true")
        elif x.label is None:
            ids[id(x)] = f"t{i}"
            g.node(f"t{i}", "", shape="box", style="filled", fillcolor="#333333", width="0.1",
                   height="0.4")
        else:
            ids[id(x)] = f"t{i}"
            task_of.setdefault(x.label, f"t{i}")
            g.node(f"t{i}", graphviz.nohtml(x.label), shape="box", style="filled", fillcolor="#eef3fb")
    position = {id(x): i for i, x in enumerate(order)}
    for a in sorted(m.net.arcs, key=lambda a: (position[id(a.source)], position[id(a.target)])):
        g.edge(ids[id(a.source)], ids[id(a.target)])
    return task_of
