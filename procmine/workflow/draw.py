"""Drawing the intended workflow with Graphviz, as BPMN (tasks and gateways) or as
its Petri net, in a font that has Chinese glyphs, with an optional
:class:`Overlay` of what a log did instead (steps skipped, repeated, out of order,
unexpected).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from procmine.errors import DependencyError, OutputError
from procmine.workflow.model import Workflow

_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei",
          "Microsoft YaHei", "PingFang SC", "SimHei", "Noto Sans Mono CJK SC")


def cjk_font() -> str:
    """A font family that has Chinese glyphs, as fontconfig knows it (else a guess)."""
    try:
        from procmine import render  # the shared renderer, when present

        font = getattr(render, "cjk_font", None)
        if callable(font) and font is not cjk_font:
            return str(font())
    except ImportError:
        pass
    import subprocess

    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                                 timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        families = {f.strip() for line in out.splitlines() for f in line.split(",")}
        for name in _FONTS:
            if name in families:
                return name
        if families:
            return sorted(families)[0]
    return _FONTS[0]


@dataclass(frozen=True)
class Overlay:
    """Counts drawn over the intended model: per step the cases in which it was
    skipped, repeated, out of order; and unexpected steps with the step they followed."""

    skipped: Mapping[str, int] = field(default_factory=dict)
    repeated: Mapping[str, int] = field(default_factory=dict)
    misplaced: Mapping[str, int] = field(default_factory=dict)
    unexpected: tuple[tuple[str, str | None, int], ...] = ()
    title: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)


def workflow_dot(workflow: Workflow, *, notation: Literal["bpmn", "petri"] = "bpmn",
                 overlay: Overlay | None = None) -> Any:
    """A graphviz ``Digraph`` of the workflow (BPMN-like or the Petri net), with ``overlay``."""
    import graphviz

    font = cjk_font()
    g = graphviz.Digraph("workflow", graph_attr={"rankdir": "LR", "fontname": font, "fontsize": "12",
                                                 "label": overlay.title if overlay and overlay.title else workflow.name,
                                                 "labelloc": "t"},
                         node_attr={"fontname": font, "fontsize": "11"},
                         edge_attr={"fontname": font, "fontsize": "10", "color": "#555555"})
    task_of: dict[str, str] = {}
    if notation == "bpmn":
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
    else:
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
    if overlay is not None:
        _overlay(g, task_of, overlay)
    return g


def _overlay(g: Any, task_of: dict[str, str], overlay: Overlay) -> None:
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
            g.node(nid, _plain_label(step + "\n" + "\n".join(notes)), style="rounded,filled",
                   fillcolor="#f8c9c4" if heavy else "#fde7c2", color="#c0392b", penwidth="2")
    for i, (step, after, count) in enumerate(overlay.unexpected):
        nid = f"x{i}"
        g.node(nid, _plain_label(f"{step}\nunexpected {count:,}"), shape="box", style="rounded,dashed,filled",
               fillcolor="#f8c9c4", color="#c0392b")
        if after and after in task_of:
            g.edge(task_of[after], nid, style="dashed", color="#c0392b", label=f"{count:,}",
                   fontcolor="#c0392b")


def draw_workflow(workflow: Workflow, output: str | Path, *,
                  notation: Literal["bpmn", "petri"] | None = None, overlay: Overlay | None = None,
                  inputs: Iterable[str] = ()) -> Path:
    """Draw the workflow to ``output``; the format follows the suffix (svg, png, pdf, dot).

    ``notation``: ``bpmn`` (tasks and gateways) or ``petri``; by default BPMN, and
    the Petri net for a workflow read from PNML.

    >>> draw_workflow(read_workflow("logs/workflow.yaml"), "/tmp/wf.svg")   # doctest: +SKIP
    PosixPath('/tmp/wf.svg')
    """
    from procmine.output import atomic_write

    output = Path(output)
    fmt = output.suffix.lower().lstrip(".") or "svg"
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise OutputError(f"{output}: unknown drawing format {fmt!r}", hint="use .svg, .png, .pdf or .dot")
    if notation is None:
        notation = "petri" if workflow.format == "pnml" else "bpmn"
    g = workflow_dot(workflow, notation=notation, overlay=overlay)
    if fmt in ("dot", "gv"):
        with atomic_write(output, inputs=inputs) as f:
            f.write(g.source)
        return output
    if shutil.which("dot") is None:
        raise DependencyError("Graphviz 'dot' is not installed", hint="install graphviz, or write .dot")
    data = g.pipe(format=fmt)
    with atomic_write(output, "wb", inputs=inputs) as f:
        f.write(data)
    return output


def _plain_label(text: str):
    """A label Graphviz prints as text even when a step is named like ``<html>``."""
    import graphviz

    return graphviz.nohtml(text)
