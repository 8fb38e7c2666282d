"""A discovered model drawn as a Petri net, a BPMN diagram or a process tree: :func:`render_model`.

pm4py names model elements with random ids; the drawings order nodes by the
model's structure and labels only, so the DOT text stays the same from run to run.

>>> from procmine.discover import discover_model
>>> from procmine.simulate import simulate_log
>>> m = discover_model(simulate_log(cases=200, seed=5).to_event_log(), quality=False).model
>>> render_model(m, notation="bpmn").source.startswith("digraph bpmn")
True
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any

from procmine.choices import NOTATIONS, Notation
from procmine.errors import SpecError, check_choice
from procmine.render.graphviz import digraph, plain_label

if TYPE_CHECKING:
    import graphviz

    from procmine.discover import Model



def render_model(model: Model, *, notation: Notation = "petri") -> graphviz.Digraph:
    """A drawing of a discovered model as a Petri net, BPMN diagram or process tree.

    >>> from procmine.discover import discover_model
    >>> from procmine.simulate import simulate_log
    >>> m = discover_model(simulate_log(cases=200, seed=5).to_event_log(), quality=False).model
    >>> "→" in render_model(m, notation="tree").source
    True
    """
    check_choice("notation", notation, NOTATIONS)
    if notation == "tree":
        if model.tree is None:
            raise SpecError(f"the {model.algorithm} miner gives no process tree",
                            hint="use notation='petri', notation='bpmn', or algorithm='inductive'")
        return _render_tree(model.tree)
    if notation == "bpmn":
        from procmine.discover import to_bpmn

        return _render_bpmn(to_bpmn(model))
    return _render_petri(model.net, model.initial_marking, model.final_marking)


def canonical_order(starts: Iterable[Any], successors: Callable[[Any], Iterable[Any]],
                    key: Callable[[Any], Hashable], everything: Iterable[Any]) -> list[Any]:
    """Nodes in breadth-first order from ``starts``, neighbours sorted by ``key`` and then
    by where they stand in the graph (:func:`structural_ranks`).

    pm4py names model elements with random ids and keeps them in sets; this order
    depends only on the structure and the labels, so the DOT text (and the layout)
    stays the same from run to run.

    >>> after = {"a": {"c", "b"}, "b": {"d"}, "c": set(), "d": set(), "x": set()}
    >>> canonical_order(["a"], after.__getitem__, str, {"d", "c", "b", "a", "x"})
    ['a', 'b', 'c', 'd', 'x']
    """
    everything = list(everything)
    rank = structural_ranks(everything, successors, key)
    seen: dict[int, Any] = {}
    queue = sorted(starts, key=lambda n: rank[id(n)])
    for node in queue:
        seen[id(node)] = node
    i = 0
    while i < len(queue):
        for nxt in sorted(successors(queue[i]), key=lambda n: rank[id(n)]):
            if id(nxt) not in seen:
                seen[id(nxt)] = nxt
                queue.append(nxt)
        i += 1
    rest = sorted((n for n in everything if id(n) not in seen), key=lambda n: rank[id(n)])
    return queue + rest


def structural_ranks(nodes: list[Any], successors: Callable[[Any], Iterable[Any]],
                     key: Callable[[Any], Hashable]) -> dict[int, int]:
    """A rank per node (by ``id``) that orders as ``key`` does and breaks its ties by the
    ranks of the node's successors and predecessors, refined until nothing changes (colour
    refinement). Silent steps and places have no label of their own, so ``key`` alone
    left many tied, and their order (from pm4py's sets) moved the drawing of the road
    traffic log's model from run to run; nodes still tied now are alike in the graph, so
    either order draws the same.

    >>> after = {"s": ["x", "y"], "x": ["a"], "y": ["b"], "a": [], "b": []}
    >>> label = {"a": "a", "b": "b"}                    # s, x and y have none
    >>> r = structural_ranks(["y", "x", "s", "b", "a"], after.__getitem__,
    ...                      lambda n: label.get(n, ""))
    >>> r[id("x")] < r[id("y")]     # tied by key; x leads to a, which comes before b
    True
    """
    def frozen(value: Any) -> Any:
        return tuple(frozen(v) for v in value) if isinstance(value, (list, tuple)) else value

    def as_ranks(signature: dict[int, Any]) -> dict[int, int]:
        ordered = {s: i for i, s in enumerate(sorted(set(signature.values())))}
        return {k: ordered[s] for k, s in signature.items()}

    known = {id(n) for n in nodes}
    after = {id(n): [id(m) for m in successors(n) if id(m) in known] for n in nodes}
    before: dict[int, list[int]] = {id(n): [] for n in nodes}
    for source, targets in after.items():
        for target in targets:
            before[target].append(source)
    rank = as_ranks({id(n): frozen(key(n)) for n in nodes})
    for _ in range(len(nodes)):
        refined = as_ranks({k: (rank[k], tuple(sorted(rank[m] for m in after[k])),
                                tuple(sorted(rank[m] for m in before[k]))) for k in rank})
        if len(set(refined.values())) == len(set(rank.values())):
            break
        rank = refined
    return rank


def _render_petri(net, im, fm) -> graphviz.Digraph:
    g = digraph("petri_net", rankdir="LR", nodesep="0.3", ranksep="0.35")

    def label(x) -> str:
        return getattr(x, "label", None) or ""

    def key(x) -> tuple:
        is_place = not hasattr(x, "label")
        after = sorted(label(a.target) for a in x.out_arcs)
        before = sorted(label(a.source) for a in x.in_arcs)
        return (is_place, label(x) == "", label(x), after, before)

    order = canonical_order(list(im), lambda x: [a.target for a in x.out_arcs], key,
                       list(net.places) + list(net.transitions))
    ids: dict[int, str] = {}
    for i, x in enumerate(order):
        ids[id(x)] = f"{'p' if not hasattr(x, 'label') else 't'}{i}"
        if not hasattr(x, "label"):
            if x in im:
                g.node(ids[id(x)], "●", shape="circle", width="0.35", fixedsize="true",
                       tooltip="start")
            elif x in fm:
                g.node(ids[id(x)], "■", shape="doublecircle", width="0.3", fixedsize="true",
                       tooltip="end")
            else:
                g.node(ids[id(x)], "", shape="circle", width="0.3", fixedsize="true")
        elif x.label is None:
            g.node(ids[id(x)], "", shape="box", style="filled", fillcolor="black",
                   width="0.12", height="0.4", fixedsize="true")
        else:
            g.node(ids[id(x)], plain_label(x.label), shape="box", style="filled", fillcolor="#f5f5f5")
    arcs = sorted(net.arcs, key=lambda a: (order.index(a.source), order.index(a.target)))
    for a in arcs:
        g.edge(ids[id(a.source)], ids[id(a.target)])
    return g


_TREE_SYMBOL = {"->": "→", "X": "×", "+": "∧", "*": "↺", "O": "∨"}


def _render_tree(tree) -> graphviz.Digraph:
    g = digraph("process_tree", rankdir="TB", nodesep="0.25")
    counter = [0]

    def visit(node) -> str:
        nid = f"n{counter[0]}"
        counter[0] += 1
        if node.operator is None:
            if node.label is None:
                g.node(nid, "τ", shape="box", style="filled", fillcolor="black", fontcolor="white",
                       width="0.3", height="0.3")
            else:
                g.node(nid, plain_label(node.label), shape="box", style="rounded,filled", fillcolor="#f5f5f5")
        else:
            symbol = _TREE_SYMBOL.get(str(node.operator.value), str(node.operator.value))
            g.node(nid, symbol, shape="circle", width="0.4", fixedsize="true", fontsize="14")
        for child in node.children:
            g.edge(nid, visit(child), arrowhead="none")
        return nid

    visit(tree)
    return g


def _render_bpmn(bpmn) -> graphviz.Digraph:
    from pm4py.objects.bpmn.obj import BPMN

    g = digraph("bpmn", rankdir="LR", nodesep="0.3", ranksep="0.35")
    flows = list(bpmn.get_flows())
    out: dict[int, list] = {}
    for f in flows:
        out.setdefault(id(f.get_source()), []).append(f.get_target())

    def key(n) -> tuple:
        return (type(n).__name__, n.get_name() or "",
                sorted(t.get_name() or type(t).__name__ for t in out.get(id(n), [])))

    nodes = list(bpmn.get_nodes())
    starts = [n for n in nodes if isinstance(n, BPMN.StartEvent)]
    order = canonical_order(starts, lambda n: out.get(id(n), []), key, nodes)
    ids = {id(n): f"b{i}" for i, n in enumerate(order)}
    for n in order:
        nid = ids[id(n)]
        if isinstance(n, BPMN.StartEvent):
            g.node(nid, "", shape="circle", width="0.35", fixedsize="true", color="#2e7d32",
                   penwidth="2")
        elif isinstance(n, BPMN.EndEvent):
            g.node(nid, "", shape="circle", width="0.35", fixedsize="true", color="#b71c1c",
                   penwidth="4")
        elif isinstance(n, BPMN.ParallelGateway):
            g.node(nid, "+", shape="diamond", width="0.45", height="0.45", fixedsize="true",
                   fontsize="16")
        elif isinstance(n, BPMN.InclusiveGateway):
            g.node(nid, "○", shape="diamond", width="0.45", height="0.45", fixedsize="true")
        elif isinstance(n, BPMN.ExclusiveGateway):
            g.node(nid, "×", shape="diamond", width="0.45", height="0.45", fixedsize="true",
                   fontsize="16")
        else:
            g.node(nid, plain_label(n.get_name() or type(n).__name__), shape="box", style="rounded,filled",
                   fillcolor="#f5f5f5")
    position = {id(n): i for i, n in enumerate(order)}
    for f in sorted(flows, key=lambda f: (position[id(f.get_source())],
                                          position[id(f.get_target())])):
        g.edge(ids[id(f.get_source())], ids[id(f.get_target())])
    return g
