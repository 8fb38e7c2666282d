"""The collaboration network drawn: :func:`render_network`.

Units ranked by level (top level up) and coloured 条/块, or for
``kind="escalation"`` the levels with the moves up and down between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from procmine.output import human_duration
from procmine.render.graphviz import FONT, new_graph, node_id

if TYPE_CHECKING:
    from procmine.network import Network

#: Node colours: 条 (line), 块 (block), unknown.
KIND_COLOURS = {"line": "#4e79a7", "block": "#f28e2b", "": "#bab0ac"}
#: How the legend and the level rows name 条 (line), 块 (block), unknown.
KIND_LABELS = {"line": "条 line", "block": "块 block", "": "unknown"}


#: edges of a unit network that carry a label (the widest); the others say it in a tooltip
LABELLED_EDGES = 8


def render_network(network: Network, *, top: int = 60, title: str | None = None) -> Any:
    """A graphviz drawing of ``network``: units ranked by level (top level up), coloured 条/块.

    Edges show the count and, for hand-overs, the median hand-over time; edges
    that cross 条/块 are drawn in purple. Only the widest :data:`LABELLED_EDGES`
    carry their numbers as a label, at most three at a unit (more would overlap
    around a busy unit); every edge has them in its tooltip. Only the ``top`` edges by count are
    drawn (the label says so); units without a drawn edge are left out.

    >>> from procmine.network import discover_network
    >>> from procmine.simulate import simulate_log
    >>> net = discover_network(simulate_log(cases=200, seed=5).to_event_log(), calendar="none")
    >>> "rankdir" in render_network(net, top=10).source
    True
    """

    font = FONT
    edges = network.edges.head(top)
    shown = len(edges)
    directed = network.kind != "together"
    graph = new_graph(
        "network", graph_attr={"rankdir": "TB", "fontname": font, "fontsize": "12",
                               "labelloc": "t", "nodesep": "0.3", "ranksep": "0.8",
                               "bgcolor": "white", "newrank": "true"},
        node_attr={"fontname": font, "fontsize": "11", "shape": "box",
                   "style": "rounded,filled"},
        edge_attr={"fontname": font, "fontsize": "9"}, directed=directed)
    what = {"handover": "hand-overs (A's step directly followed by B's; count, median time; "
                        "'back': the reverse flow)",
            "together": "units acting in the same case (cases)",
            "escalation": "moves between levels (count, median time)"}[network.kind]
    total = len(network.edges)
    head = title or f"procmine network: {what}"
    if shown < total:
        head += f"\\ntop {shown} of {total:,} edges by count"
    legend = ("  ".join(f"■ {KIND_LABELS[k]}" for k in ("line", "block"))
              + "  purple edges cross 条/块") if network.kind != "escalation" else ""
    graph.attr(label=head + ("\\n" + legend if legend else ""))
    top_count = float(edges["count"].max()) if shown else 1.0
    if network.kind == "escalation":
        _draw_levels(graph, network, edges, top_count)
    else:
        _draw_units(graph, network, edges, top_count)
    return graph


def _draw_levels(graph: Any, network: Network, edges: pd.DataFrame, top_count: float) -> None:
    """The escalation network: levels stacked, moves up in red and down in blue."""
    for row in network.nodes.itertuples(index=False):
        graph.node(node_id("L", row.level), f"{row.level}\n{row.cases:,} cases",
                   fillcolor="#e8eef7")
    order = [lv for lv in network.levels if lv in set(network.nodes["level"])]
    for low, high in zip(order[:-1], order[1:], strict=True):
        graph.edge(node_id("L", low), node_id("L", high), style="invis", weight="10")
    for row in edges.itertuples(index=False):
        up = row.direction == "up"
        graph.edge(node_id("L", row.source), node_id("L", row.target),
                   color="firebrick" if up else "steelblue", constraint="false",
                   label=f"{'↑' if up else '↓'} {row.count:,}\n{human_duration(row.median_s)}",
                   penwidth=f"{1 + 4 * row.count / top_count:.2f}")


def _draw_units(graph: Any, network: Network, edges: pd.DataFrame, top_count: float) -> None:
    """Units in rows by level and kind (条 above 块), hand-overs between them."""
    directed = network.kind != "together"
    basis = "working" if network.time_basis == "working" else "clock"
    used = set(edges["source"]) | set(edges["target"])
    nodes = network.nodes[network.nodes["unit"].isin(used)]
    # one row per level and kind (条 above 块), top level first: invisible anchors
    # chained top-down hold the rows; a hand-over between 条 and 块 of one level is
    # then drawn between two rows, where its label has room
    present = list(pd.unique(nodes["level"]))
    levels_down = [lv for lv in reversed(network.levels) if lv in present] + \
        [lv for lv in present if lv not in network.levels]
    order = []
    for level in levels_down:
        kinds = [k for k in ("line", "block", "") if ((nodes["level"] == level)
                                                     & (nodes["kind"] == k)).any()]
        for k in kinds:
            row_id = f"{level}|{k}"
            order.append(row_id)
            with graph.subgraph(name=node_id("rank", row_id)) as same:
                same.attr(rank="same")
                same.node(node_id("L", row_id), f"{level or '?'}" + (f" {KIND_LABELS[k][0]}" if k else ""),
                          shape="plaintext", style="", fontsize="14")
                for row in nodes[(nodes["level"] == level) & (nodes["kind"] == k)].itertuples(index=False):
                    label = f"{row.unit}\n{row.cases:,} cases"
                    fill = KIND_COLOURS.get(row.kind, KIND_COLOURS[""])
                    same.node(node_id("U", row.unit), label, fillcolor=fill,
                              fontcolor="white" if row.kind == "line" else "black",
                              tooltip=f"{row.unit}: degree {row.degree}, "
                                      f"betweenness {row.betweenness:.3f}")
    for high, low in zip(order[:-1], order[1:], strict=True):
        graph.edge(node_id("L", high), node_id("L", low), style="invis", weight="100")
    # a pair of units that hand over both ways is one edge in the main direction,
    # its label giving the reverse flow as "back"
    drawn = {(row.source, row.target): row for row in edges.itertuples(index=False)}
    done: set[tuple[Any, Any]] = set()
    labelled_at: dict[Any, int] = {}
    for (source, target), row in drawn.items():     # by count, largest first
        if (source, target) in done:
            continue
        back = drawn.get((target, source)) if directed else None
        done.update({(source, target), (target, source)})
        label = _edge_text(row, network.kind)
        if back is not None:
            label += "\nback " + _edge_text(back, network.kind)
        # the widest edges carry their numbers; the others' labels would overlap in a
        # dense drawing: their numbers are in the tooltip (the pen width shows the count)
        labelled = len(done) <= 2 * LABELLED_EDGES and not _crowded(labelled_at, source, target)
        graph.edge(node_id("U", source), node_id("U", target), label=label if labelled else "",
                   constraint="false", color="#7b3294" if row.cross_kind else "#808080",
                   penwidth=f"{0.8 + 4 * row.count / top_count:.2f}",
                   tooltip=f"{source} → {target}: {label.replace(chr(10), '; ')} ({basis} time)")


def _crowded(ends: dict[Any, int], source: Any, target: Any, most: int = 3) -> bool:
    """Whether ``most`` labelled edges already meet at one end of this one (their labels
    would sit on top of each other around that unit); counts the edge as labelled if not."""
    if ends.get(source, 0) >= most or ends.get(target, 0) >= most:
        return True
    ends[source] = ends.get(source, 0) + 1
    ends[target] = ends.get(target, 0) + 1
    return False


def _edge_text(row: Any, kind: str) -> str:
    text = f"{row.count:,}"
    if kind == "handover" and row.median_s == row.median_s:
        text += f" · {human_duration(row.median_s)}"
    return text
