"""The process map drawn Disco-style: :func:`render_map`.

Activities are boxes shaded by frequency (or coloured by unit or level), paths
are arrows whose width and colour scale with the map's metric, and a legend says
what the numbers are. The DOT text is deterministic (nodes and edges in a stable
order) so a golden file can pin it.

>>> from procmine.discover import discover_map
>>> from procmine.read import read_log
>>> render_map(discover_map(read_log("logs/sample.csv"))).source.count("->") > 10
True
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from procmine.output import human_duration
from procmine.render.graphviz import digraph, pipe_limited, plain_label

if TYPE_CHECKING:
    import graphviz

    from procmine.discover import ProcessMap

# sequential palettes (light to dark) for frequency and for waiting time
_BLUES = ("#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c",
          "#08306b")
_EDGE_FREQUENCY = ("#b4b4b4", "#9ab0c8", "#7f9fc0", "#648eb8", "#4a7db0", "#2f6ca8",
                   "#1f5592", "#0f3d7a")
_EDGE_WAIT = ("#b4b4b4", "#d7b29d", "#e39a77", "#e68154", "#e05f34", "#cc3d1f",
              "#a8240f", "#7f0000")
# qualitative palette for --by unit|level (colour-blind friendly first eight)
_GROUPS = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f")
_METRIC_TITLE = {
    "frequency": "frequency (events, transitions)",
    "cases": "cases (with the activity, with the transition)",
    "mean-wait": "mean waiting time (completion to completion)",
    "median-wait": "median waiting time (completion to completion)",
    "p90-wait": "90th percentile waiting time (completion to completion)",
    "total-wait": "total waiting time (completion to completion)",
}


def _shade(palette: tuple[str, ...], fraction: float) -> str:
    if not math.isfinite(fraction) or fraction <= 0:
        return palette[0]
    return palette[min(len(palette) - 1, int(fraction * len(palette)))]


def _fraction(value: Any, top: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    if not math.isfinite(v) or top <= 0:
        return 0.0
    return max(0.0, min(1.0, v / top))


def format_value(value: Any, metric: str) -> str:
    """A metric value as people read it: ``1,234`` or ``3.2 h``.

    >>> format_value(1234, "frequency"), format_value(2.1 * 86400, "median-wait")
    ('1,234', '2.1 d')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if metric in ("frequency", "cases"):
        return f"{int(value):,}"
    return human_duration(float(value))


def render_map(pmap: ProcessMap, *, title: str | None = None) -> graphviz.Digraph:
    """A Disco-style drawing of a process map: activities as boxes, paths as arrows.

    Node shade (or colour, with ``by``) and label show the activity; arrow width
    and colour scale with the map's metric; a legend at the bottom says what
    the numbers are.

    >>> from procmine.discover import discover_map
    >>> from procmine.read import read_log
    >>> g = render_map(discover_map(read_log("logs/sample.csv"), metric="median-wait"))
    >>> "median waiting time" in g.source
    True
    """
    from procmine.abstractions import END_NODE, START_NODE

    metric = pmap.metric
    g = digraph("process_map", rankdir="TB", nodesep="0.35", ranksep="0.45",
                labelloc="b", labeljust="l")
    nodes = pmap.nodes
    ids = {str(a): f"a{i}" for i, a in enumerate(nodes["activity"])}
    colour_of = {grp: _GROUPS[i % len(_GROUPS)] for i, grp in enumerate(pmap.groups)}
    top_node = float(nodes["count"].max()) if len(nodes) else 0.0

    g.node("start", START_NODE, shape="circle", style="filled", fillcolor="#2e7d32",
           fontcolor="white", width="0.4", fixedsize="true", tooltip="start of the cases")
    for row in nodes.itertuples(index=False):
        name = str(row.activity)
        value = format_value(row.count, "frequency")
        if metric == "cases":
            value = format_value(row.cases, "cases")
        if pmap.by is not None:
            fill = colour_of.get(str(row.group), "#ffffff") if row.group is not None else "#ffffff"
            fontcolor = "black"
            label = f"{name}\n{value}\n{row.group if row.group is not None else '–'}"
        else:
            frac = _fraction(row.count, top_node)
            fill = _shade(_BLUES, frac)
            fontcolor = "white" if frac > 0.62 else "black"
            label = f"{name}\n{value}"
        g.node(ids[name], plain_label(label), shape="box", style="rounded,filled", fillcolor=fill,
               fontcolor=fontcolor, color="#4d4d4d",
               tooltip=f"{name}: events {int(row.count):,}, cases {int(row.cases):,}")
    g.node("end", END_NODE, shape="circle", style="filled", fillcolor="#b71c1c",
           fontcolor="white", width="0.4", fixedsize="true", tooltip="end of the cases")

    top_edge = _draw_paths(g, pmap, ids)
    g.attr(label=_legend(pmap, title=title, colour_of=colour_of, top_edge=top_edge,
                         top_node=top_node))
    return g


def _draw_paths(g: graphviz.Digraph, pmap: ProcessMap, ids: dict[str, str]) -> float:
    """Draw the map's arrows; the largest metric value among them (the legend's "widest")."""
    from procmine.abstractions import END_NODE, START_NODE

    metric = pmap.metric
    inner = pmap.edges[(pmap.edges["source"] != START_NODE) & (pmap.edges["target"] != END_NODE)]
    values = [float(v) for v in inner["value"] if v == v and v is not None]
    top_edge = max(values) if values else 0.0
    palette = _EDGE_FREQUENCY if metric in ("frequency", "cases") else _EDGE_WAIT
    for row in pmap.edges.itertuples(index=False):
        src, dst = str(row.source), str(row.target)
        tail = "start" if src == START_NODE else ids.get(src)
        head = "end" if dst == END_NODE else ids.get(dst)
        if tail is None or head is None:
            continue
        if tail == "start" or head == "end":
            label = format_value(row.cases, "cases") if metric in ("frequency", "cases") else ""
            g.edge(tail, head, label=label, style="dashed", color="#8c8c8c",
                   fontcolor="#6b6b6b", penwidth="1")
            continue
        frac = _fraction(row.value, top_edge)
        g.edge(tail, head, label=format_value(row.value, metric),
               penwidth=f"{1 + 5 * frac:.2f}", color=_shade(palette, frac),
               tooltip=f"{src} → {dst}: count {int(row.count):,}, median wait "
                       f"{human_duration(row.median)}")
    return top_edge


def _legend(pmap: ProcessMap, *, title: str | None, colour_of: dict[str, str],
            top_edge: float, top_node: float) -> str:
    """The legend as a Graphviz HTML-like label."""
    e = html.escape
    metric = pmap.metric
    rows = []
    if title:
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2"><B>{e(title)}</B></TD></TR>')
    rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">Arrows: {e(_METRIC_TITLE[metric])}; '
                f'widest {e(format_value(top_edge, metric))}</TD></TR>')
    node_what = "cases with the activity" if metric == "cases" else "events"
    shade = "" if colour_of else f'; darkest {e(format_value(top_node, "frequency"))} events'
    rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">Boxes: {e(node_what)}{shade}</TD></TR>')
    rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">{pmap.cases:,} cases, {pmap.events:,} events; '
                f'{len(pmap.nodes)} of {pmap.activities_total} activities, '
                f'{pmap.paths_shown} of {pmap.paths_total} paths shown</TD></TR>')
    if pmap.note:
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">Note: {e(pmap.note)}</TD></TR>')
    if colour_of:
        what = "most frequent unit" if pmap.by == "unit" else "most frequent level"
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">Colour: {e(what)} of the activity</TD></TR>')
        for grp, colour in colour_of.items():
            rows.append(f'<TR><TD BGCOLOR="{colour}" WIDTH="14" HEIGHT="10" FIXEDSIZE="TRUE"></TD>'
                        f'<TD ALIGN="LEFT">{e(grp)}</TD></TR>')
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>>")


#: Paths laid out per activity (its heaviest in and out) when a map has too many to lay
#: out all: the others are drawn between the positions these give.
SKELETON_PATHS = 3


def _skeleton(edges: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """All the paths of a small map; of a large one (over 300 paths) each activity's
    heaviest ``SKELETON_PATHS`` in and out, which shape the layout (BPIC15_1: 4,699
    paths, which Graphviz took minutes to place)."""
    if len(edges) <= 300:
        return edges
    ranked = sorted(edges, key=lambda e: -e[2])
    kept, out, into = [], {}, {}
    for edge in ranked:
        source, target, _ = edge
        if out.get(source, 0) < SKELETON_PATHS or into.get(target, 0) < SKELETON_PATHS:
            kept.append(edge)
            out[source] = out.get(source, 0) + 1
            into[target] = into.get(target, 0) + 1
    return kept


#: Over this many activities :func:`map_layout` asks Graphviz for positions only, with few
#: crossing-reduction passes (:data:`QUICK_LAYOUT`): BPIC15_1's 398 took Graphviz's full
#: layout past its 30 s limit, and the positions then depended on the machine's speed.
QUICK_LAYOUT_ACTIVITIES = 100
#: Graphviz attributes of that layout: no arrows routed (only the positions are read), one
#: network-simplex pass, a twentieth of the crossing-reduction work (about 4 s on BPIC15_1)
QUICK_LAYOUT = {"splines": "false", "mclimit": "0.05", "nslimit": "1", "nslimit1": "1",
                "searchsize": "4", "remincross": "false"}


def map_layout(activities: list[str], edges: list[tuple[str, str, float]]) -> dict[str, tuple[float, float]]:
    """Where Graphviz puts each activity of a map, in points (x right, y down), for a
    drawing made elsewhere (the report's explorer draws its map in the browser).

    ``edges`` are (source, target, weight); the start and end symbols of
    :mod:`procmine.abstractions` may be among the activities.

    >>> pos = map_layout(["a", "b"], [("a", "b", 3)])
    >>> pos["a"][1] < pos["b"][1]
    True
    """
    g = digraph("layout", rankdir="TB", nodesep="0.35", ranksep="0.45")
    if len(activities) > QUICK_LAYOUT_ACTIVITIES:
        g.attr(**QUICK_LAYOUT)
    ids = {a: f"a{i}" for i, a in enumerate(activities)}
    for a in activities:
        g.node(ids[a], plain_label(a), shape="box", width="1.3", height="0.45")
    for source, target, weight in _skeleton(edges):
        if source in ids and target in ids:
            g.edge(ids[source], ids[target], weight=str(max(1, int(math.log1p(weight)))))
    plain = pipe_limited(g, "plain")[0].decode("utf-8")
    height = 0.0
    found: dict[str, tuple[float, float]] = {}
    back = {v: k for k, v in ids.items()}
    for line in plain.splitlines():
        parts = line.split()
        if parts and parts[0] == "graph":
            height = float(parts[3])
        elif parts and parts[0] == "node" and parts[1] in back:
            found[back[parts[1]]] = (round(float(parts[2]) * 72, 1),
                                     round((height - float(parts[3])) * 72, 1))
    return found
