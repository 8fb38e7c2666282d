"""Graphviz drawings of process maps and models, with Chinese labels that render.

Every graph sets its font explicitly to a CJK-capable family with fallbacks
(:data:`FONT`): pm4py's drawings set none, so Chinese shows as boxes in PNG and
PDF. The DOT text is deterministic (nodes and edges in a stable order) so a
golden file can pin it. DOT is written without the Graphviz programs; SVG, PNG
and PDF need its ``dot`` and fail with a one-line :class:`DependencyError`
saying what to install when it is missing.

>>> from procmine.discover import discover_map
>>> graph = render_map(discover_map(log))        # doctest: +SKIP
>>> write_graph(graph, "map.svg")                 # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
import shutil
import subprocess
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from procmine.errors import DependencyError, OutputError, SpecError
from procmine.output import atomic_write, human_duration

if TYPE_CHECKING:
    import graphviz

    from procmine.discover import Model, ProcessMap

Notation = Literal["petri", "bpmn", "tree"]
NOTATIONS: tuple[str, ...] = ("petri", "bpmn", "tree")
FORMATS: tuple[str, ...] = ("svg", "png", "pdf", "dot")

#: Font families, first match wins: Noto/Source Han (Linux), YaHei (Windows),
#: PingFang (macOS), then the generic family. Pango (PNG, PDF) and browsers
#: (SVG) both read the comma-separated list.
FONT = ("Noto Sans CJK SC,Noto Sans SC,Source Han Sans SC,WenQuanYi Zen Hei,"
        "Microsoft YaHei,PingFang SC,SimHei,sans-serif")

INSTALL_GRAPHVIZ = ("Graphviz's dot program is not installed: apt-get install graphviz "
                    "(Debian/Ubuntu), brew install graphviz (macOS) or choco install graphviz "
                    "(Windows); .dot files are written without it")

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


def _digraph(name: str, **graph_attr: str) -> graphviz.Digraph:
    import graphviz

    attrs = {"fontname": FONT, "fontsize": "12", "bgcolor": "white"}
    attrs.update(graph_attr)
    return graphviz.Digraph(
        name=name,
        graph_attr=attrs,
        node_attr={"fontname": FONT, "fontsize": "12"},
        edge_attr={"fontname": FONT, "fontsize": "10"},
    )


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


# --------------------------------------------------------------------------- maps


def render_map(pmap: ProcessMap, *, title: str | None = None) -> graphviz.Digraph:
    """A Disco-style drawing of a process map: activities as boxes, paths as arrows.

    Node shade (or colour, with ``by``) and label show the activity; arrow width
    and colour scale with the map's metric; a legend at the bottom says what
    the numbers are.

    >>> from procmine.discover import discover_map
    >>> g = render_map(discover_map(log, metric="median-wait"))    # doctest: +SKIP
    >>> to_svg(g)[:5]                                               # doctest: +SKIP
    '<?xml'
    """
    from procmine.abstractions import END_NODE, START_NODE

    metric = pmap.metric
    g = _digraph("process_map", rankdir="TB", nodesep="0.35", ranksep="0.45",
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
        g.node(ids[name], _plain(label), shape="box", style="rounded,filled", fillcolor=fill,
               fontcolor=fontcolor, color="#4d4d4d",
               tooltip=f"{name}: events {int(row.count):,}, cases {int(row.cases):,}")
    g.node("end", END_NODE, shape="circle", style="filled", fillcolor="#b71c1c",
           fontcolor="white", width="0.4", fixedsize="true", tooltip="end of the cases")

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
    g.attr(label=_legend(pmap, title=title, colour_of=colour_of, top_edge=top_edge,
                         top_node=top_node))
    return g


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
    if colour_of:
        what = "most frequent unit" if pmap.by == "unit" else "most frequent level"
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="2">Colour: {e(what)} of the activity</TD></TR>')
        for grp, colour in colour_of.items():
            rows.append(f'<TR><TD BGCOLOR="{colour}" WIDTH="14" HEIGHT="10" FIXEDSIZE="TRUE"></TD>'
                        f'<TD ALIGN="LEFT">{e(grp)}</TD></TR>')
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>>")


# --------------------------------------------------------------------------- models


def render_model(model: Model, *, notation: Notation = "petri") -> graphviz.Digraph:
    """A drawing of a discovered model as a Petri net, BPMN diagram or process tree.

    >>> from procmine.discover import discover_model
    >>> m = discover_model(log, quality=False).model               # doctest: +SKIP
    >>> write_graph(render_model(m, notation="bpmn"), "model.png")  # doctest: +SKIP
    """
    if notation not in NOTATIONS:
        raise SpecError(f"unknown notation {notation!r}", hint="choose petri, bpmn or tree")
    if notation == "tree":
        if model.tree is None:
            raise SpecError(f"the {model.algorithm} miner gives no process tree",
                            hint="use --notation petri or bpmn, or --algorithm inductive")
        return _render_tree(model.tree)
    if notation == "bpmn":
        from procmine.discover import to_bpmn

        return _render_bpmn(to_bpmn(model))
    return _render_petri(model.net, model.initial_marking, model.final_marking)


def _canonical(starts: Iterable[Any], successors: Callable[[Any], Iterable[Any]],
               key: Callable[[Any], Hashable], everything: Iterable[Any]) -> list[Any]:
    """Nodes in breadth-first order from ``starts``, neighbours sorted by ``key``.

    pm4py names model elements with random ids; this order depends only on the
    structure and the labels, so the DOT text stays the same from run to run.
    """
    seen: dict[int, Any] = {}
    queue = sorted(starts, key=key)
    for node in queue:
        seen[id(node)] = node
    i = 0
    while i < len(queue):
        for nxt in sorted(successors(queue[i]), key=key):
            if id(nxt) not in seen:
                seen[id(nxt)] = nxt
                queue.append(nxt)
        i += 1
    rest = sorted((n for n in everything if id(n) not in seen), key=key)
    return queue + rest


def _render_petri(net, im, fm) -> graphviz.Digraph:
    g = _digraph("petri_net", rankdir="LR", nodesep="0.3", ranksep="0.35")

    def label(x) -> str:
        return getattr(x, "label", None) or ""

    def key(x) -> tuple:
        is_place = not hasattr(x, "label")
        after = sorted(label(a.target) for a in x.out_arcs)
        before = sorted(label(a.source) for a in x.in_arcs)
        return (is_place, label(x) == "", label(x), after, before)

    order = _canonical(list(im), lambda x: [a.target for a in x.out_arcs], key,
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
            g.node(ids[id(x)], _plain(x.label), shape="box", style="filled", fillcolor="#f5f5f5")
    arcs = sorted(net.arcs, key=lambda a: (order.index(a.source), order.index(a.target)))
    for a in arcs:
        g.edge(ids[id(a.source)], ids[id(a.target)])
    return g


_TREE_SYMBOL = {"->": "→", "X": "×", "+": "∧", "*": "↺", "O": "∨"}


def _render_tree(tree) -> graphviz.Digraph:
    g = _digraph("process_tree", rankdir="TB", nodesep="0.25")
    counter = [0]

    def visit(node) -> str:
        nid = f"n{counter[0]}"
        counter[0] += 1
        if node.operator is None:
            if node.label is None:
                g.node(nid, "τ", shape="box", style="filled", fillcolor="black", fontcolor="white",
                       width="0.3", height="0.3")
            else:
                g.node(nid, _plain(node.label), shape="box", style="rounded,filled", fillcolor="#f5f5f5")
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

    g = _digraph("bpmn", rankdir="LR", nodesep="0.3", ranksep="0.35")
    flows = list(bpmn.get_flows())
    out: dict[int, list] = {}
    for f in flows:
        out.setdefault(id(f.get_source()), []).append(f.get_target())

    def key(n) -> tuple:
        return (type(n).__name__, n.get_name() or "",
                sorted(t.get_name() or type(t).__name__ for t in out.get(id(n), [])))

    nodes = list(bpmn.get_nodes())
    starts = [n for n in nodes if isinstance(n, BPMN.StartEvent)]
    order = _canonical(starts, lambda n: out.get(id(n), []), key, nodes)
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
            g.node(nid, _plain(n.get_name() or type(n).__name__), shape="box", style="rounded,filled",
                   fillcolor="#f5f5f5")
    position = {id(n): i for i, n in enumerate(order)}
    for f in sorted(flows, key=lambda f: (position[id(f.get_source())],
                                          position[id(f.get_target())])):
        g.edge(ids[id(f.get_source())], ids[id(f.get_target())])
    return g


# --------------------------------------------------------------------------- output


def graph_format(path: str | Path) -> str:
    """The output format named by a file's suffix (svg, png, pdf or dot).

    >>> graph_format("map.SVG"), graph_format("model.gv")
    ('svg', 'dot')
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = {"gv": "dot"}.get(suffix, suffix)
    if suffix not in FORMATS:
        raise OutputError(f"{path}: cannot tell the drawing format from the suffix",
                          hint="use .svg, .png, .pdf or .dot")
    return suffix


def _pipe(graph: graphviz.Digraph, fmt: str) -> bytes:
    import graphviz

    if shutil.which("dot") is None:
        raise DependencyError(INSTALL_GRAPHVIZ)
    try:
        return graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise DependencyError(INSTALL_GRAPHVIZ) from None
    except (graphviz.CalledProcessError, subprocess.CalledProcessError) as e:
        detail = (getattr(e, "stderr", b"") or b"").decode("utf-8", "replace").strip()
        raise OutputError(f"Graphviz failed to draw the {fmt.upper()}: {detail or e}") from None


def write_graph(graph: graphviz.Digraph, path: str | Path, *, inputs: Iterable[str] = ()) -> None:
    """Write ``graph`` to ``path`` as SVG, PNG, PDF or DOT (by suffix), atomically.

    DOT needs nothing else; the image formats need Graphviz's ``dot`` program.

    >>> write_graph(render_map(discover_map(log)), "map.png")     # doctest: +SKIP
    """
    fmt = graph_format(path)
    if fmt == "dot":
        with atomic_write(path, inputs=inputs) as f:
            f.write(graph.source)
        return
    data = _pipe(graph, fmt)
    with atomic_write(path, "wb", inputs=inputs) as f:
        f.write(data)


def _plain(text: Any) -> Any:
    """A label Graphviz must print as text, even when it looks like ``<html>``."""
    import graphviz

    return graphviz.nohtml(str(text))


def to_svg(graph: graphviz.Digraph) -> str:
    """The SVG text of ``graph``, to put inline in an HTML page.

    >>> svg = to_svg(render_map(discover_map(log)))               # doctest: +SKIP
    >>> svg.lstrip().startswith("<?xml")                            # doctest: +SKIP
    True
    """
    return _pipe(graph, "svg").decode("utf-8")


def cjk_font_installed() -> bool | None:
    """Whether fontconfig knows a font with Chinese glyphs (None: cannot tell).

    Without one, Graphviz draws Chinese labels in PNG and PDF as boxes
    (install fonts-noto-cjk on Debian/Ubuntu).
    """
    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.strip())
