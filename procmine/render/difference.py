"""The difference map of two logs: :func:`render_difference`.

The process map of both sides, each edge coloured by how the share of cases
taking it changed and labelled with the change and the median waits A → B.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.output import human_duration
from procmine.render.graphviz import FONT, new_graph, node_id

if TYPE_CHECKING:
    from procmine.compare import Comparison

_MORE = ("#fcbba1", "#fb6a4a", "#cb181d", "#67000d")     # more frequent: light to dark red
_LESS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")     # less frequent: light to dark blue
_SAME = "#9e9e9e"


#: Steps of the absolute change in share of cases (percentage points) for the palettes.
_STEPS_PP = (1.0, 3.0, 10.0)


def _diverging(change: float, significant: bool) -> str:
    """Red for more, blue for fewer cases; darker past 1, 3 and 10 points; grey when not significant."""
    if not significant or change != change or change == 0:
        return _SAME
    palette = _MORE if change > 0 else _LESS
    return palette[int(np.searchsorted(_STEPS_PP, abs(100 * change), side="right"))]


def render_difference(result: Comparison, *, top: int = 50) -> Any:
    """The process map of both sides, edges coloured by how their frequency changed.

    Edge colour: a significant change in the share of cases that take the edge
    (red: more, blue: fewer; darker past 1, 3 and 10 percentage points; grey: no
    significant change; dashed: only in B, dotted: only in A). Label: the share
    change in percentage points and the median waiting time A → B, in red when B
    waits significantly longer, green when significantly shorter; ``*`` marks a
    change that is significant after Holm's correction. A change is marked (colour
    and ``*``) only when it is also non-zero as printed: ``24 min → 24 min`` is
    never green. Only the ``top`` edges by cases are drawn.

    >>> from procmine.compare import compare_logs
    >>> from procmine.simulate import simulate_log
    >>> log = simulate_log(cases=400, seed=3).to_event_log()
    >>> g = render_difference(compare_logs(log, split="2024-01-04", calendar="none"), top=10)
    >>> g.source.count("->") >= 10
    True
    """

    font = FONT
    edges = result.edges.head(top)
    graph = new_graph("difference", graph_attr={
        "rankdir": "TB", "fontname": font, "fontsize": "12", "labelloc": "t", "bgcolor": "white",
        "nodesep": "0.35", "ranksep": "0.5"},
        node_attr={"fontname": font, "fontsize": "11", "shape": "box", "style": "rounded,filled",
                   "fillcolor": "#f5f5f5"},
        edge_attr={"fontname": font, "fontsize": "9"})
    a, b = result.labels
    head = (f"procmine compare: {a} ({result.cases[0]:,} cases) → {b} ({result.cases[1]:,} cases)"
            f"\\nedge colour: significant change in the share of cases taking it (red more, blue "
            f"fewer; darker past 1, 3, 10 points; grey: no significant change)"
            f"\\nlabel: change in points, median {result.time_basis} wait {a} → {b} (red longer, "
            f"green shorter, when significant); * significant (Holm, alpha {result.alpha:g})")
    if len(result.edges) > len(edges):
        head += f"\\ntop {len(edges)} of {len(result.edges):,} edges by cases"
    graph.attr(label=head)
    top_share = float(np.maximum(edges["share_a"], edges["share_b"]).max()) if len(edges) else 1.0
    for name in pd.unique(pd.concat([edges["source"], edges["target"]])):
        graph.node(node_id("A", name), str(name))
    for row in edges.itertuples(index=False):
        style = "dashed" if row.cases_a == 0 else "dotted" if row.cases_b == 0 else "solid"
        # a change is marked only when it is significant AND shows in the unit printed:
        # "+0.0 pp*" or "24 min → 24 min*" would flag a change the reader cannot see
        points = f"{100 * row.share_change:+.1f}"
        share_marked = bool(row.significant_share) and points not in ("+0.0", "-0.0")
        text = f"{points} pp{'*' if share_marked else ''}"
        wait_colour = "black"
        if row.median_a is not None and row.median_b is not None and \
                row.median_a == row.median_a and row.median_b == row.median_b:
            before, after = (human_duration(v, basis=result.time_basis,
                                            day_seconds=result.working_day_seconds)
                             for v in (row.median_a, row.median_b))
            wait_marked = bool(row.significant_wait) and before != after
            text += f"\n{before} → {after}{'*' if wait_marked else ''}"
            if wait_marked:
                wait_colour = "#b2182b" if row.median_b > row.median_a else "#1b7837"
        width = 0.8 + 4 * max(row.share_a, row.share_b) / (top_share or 1.0)
        graph.edge(node_id("A", row.source), node_id("A", row.target), label=text,
                   fontcolor=wait_colour, color=_diverging(row.share_change, share_marked),
                   style=style, penwidth=f"{width:.2f}",
                   tooltip=f"{row.source} → {row.target}: {row.cases_a:,} → {row.cases_b:,} cases")
    return graph
