"""Every graph procmine draws, made from result objects; no analysis imports this package.

One module per drawing: :mod:`~procmine.render.map` (the process map),
:mod:`~procmine.render.model` (a discovered model as Petri net, BPMN or process
tree), :mod:`~procmine.render.workflow` (the intended workflow),
:mod:`~procmine.render.overlay` (conformance deviations over the workflow),
:mod:`~procmine.render.network` (units and levels), :mod:`~procmine.render.difference`
(two logs compared) and :mod:`~procmine.render.loops` (level flows and ping-pong
pairs). :mod:`~procmine.render.graphviz` holds what they share: the CJK fonts, safe
labels and node ids, and writing SVG, PNG, PDF or DOT files atomically.

Each ``render_*`` returns a graphviz graph; :func:`write_graph` writes it by
suffix and :func:`to_svg` gives its SVG text.

>>> import os, tempfile
>>> from procmine.discover import discover_map
>>> from procmine.read import read_log
>>> graph = render_map(discover_map(read_log("logs/sample.csv")))
>>> path = os.path.join(tempfile.mkdtemp(), "map.dot")   # .svg .png .pdf need Graphviz's dot
>>> write_graph(graph, path)
>>> open(path, encoding="utf-8").read() == graph.source
True
"""

from procmine.render.difference import render_difference
from procmine.render.graphviz import (
    FONT,
    FORMATS,
    INSTALL_GRAPHVIZ,
    cjk_font,
    cjk_font_installed,
    graph_format,
    to_svg,
    write_graph,
)
from procmine.render.loops import render_loops
from procmine.render.map import format_value, render_map
from procmine.render.model import NOTATIONS, Notation, render_model
from procmine.render.network import render_network
from procmine.render.overlay import render_conformance, render_overlay
from procmine.render.workflow import WorkflowNotation, render_workflow

__all__ = [
    "FONT", "FORMATS", "INSTALL_GRAPHVIZ", "NOTATIONS", "Notation", "WorkflowNotation",
    "cjk_font", "cjk_font_installed", "format_value", "graph_format", "render_conformance",
    "render_difference", "render_loops", "render_map", "render_model", "render_network",
    "render_overlay", "render_workflow", "to_svg", "write_graph",
]
