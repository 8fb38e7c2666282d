"""The diagram of a :class:`procmine.loops.LoopsResult`: :func:`render_loops`.

The moves between levels (escalations up, dispatches down, with their count and
mean time) stacked bottom up, and the units of the most frequent ping-pong pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from procmine.output import human_duration
from procmine.render.graphviz import FONT, new_graph, node_id

if TYPE_CHECKING:
    import graphviz

    from procmine.loops import LoopsResult

_MAX_PAIRS = 25


def render_loops(result: LoopsResult) -> graphviz.Digraph:
    """Draw the level x level flows (escalations up, dispatches down) and the ping-pong units.

    >>> from procmine.loops import find_loops
    >>> from procmine.simulate import simulate_log
    >>> graph = render_loops(find_loops(simulate_log(cases=200, seed=5).to_event_log()))
    >>> graph.source.count("cluster_levels")
    1
    """
    import graphviz

    font = FONT
    graph = new_graph("loops", graph_attr={"rankdir": "BT", "fontname": font, "label":
                                                  "procmine loops", "labelloc": "t",
                                                  "nodesep": "0.8", "ranksep": "0.9"},
                             node_attr={"fontname": font, "shape": "box", "style": "rounded"},
                             edge_attr={"fontname": font, "fontsize": "10"})
    flows = result.flows
    if (flows["via"] != "other").any():      # escalations up, dispatches down
        flows = flows[flows["via"] != "other"]
    flows = flows.groupby(["from_level", "to_level", "direction"], as_index=False).agg(
        count=("count", "sum"), total_s=("total_s", "sum"))
    with graph.subgraph(name="cluster_levels") as levels:
        levels.attr(label="levels: escalations ↑, dispatches ↓ (count, mean time)", fontname=font)
        present = set(flows["from_level"]) | set(flows["to_level"])
        order = [lv for lv in result.levels if lv in present] + sorted(present - set(result.levels))
        for name in order:
            levels.node(node_id("L", name), graphviz.nohtml(str(name)))
        for low, high in zip(order[:-1], order[1:], strict=True):   # keep the levels stacked bottom up
            levels.edge(node_id("L", low), node_id("L", high), style="invis", weight="10")
        for row in flows.itertuples(index=False):
            colour = "firebrick" if row.direction == "up" else "steelblue"
            levels.edge(node_id("L", row.from_level), node_id("L", row.to_level), color=colour,
                        label=("↑ " if row.direction == "up" else "↓ ") + f"{row.count:,}\n"
                        f"{human_duration(row.total_s / row.count)}",
                        penwidth=str(1 + min(4.0, np.log10(max(row.count, 1)))),
                        constraint="false")
    pairs = result.handovers.head(_MAX_PAIRS)
    if len(pairs):
        with graph.subgraph(name="cluster_pingpong") as units:
            label = "ping-pong: A returned, B returned, back to A"
            if len(result.handovers) > _MAX_PAIRS:
                label += f" (top {_MAX_PAIRS} of {len(result.handovers):,} pairs)"
            units.attr(label=label, fontname=font)
            for name in pd.unique(pd.concat([pairs["source"], pairs["target"]])):
                units.node(node_id("U", name), graphviz.nohtml(str(name)))
            for row in pairs.itertuples(index=False):
                units.edge(node_id("U", row.source), node_id("U", row.target), label=f"{row.count:,}",
                           color="darkorange", dir="both", arrowtail="dot",
                           penwidth=str(1 + min(3.0, np.log2(max(row.count, 1)))))
    return graph
