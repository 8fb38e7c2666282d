"""procmine.render: deterministic DOT, CJK fonts, and what happens without Graphviz."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

from procmine.discover import discover_map, discover_model
from procmine.errors import DependencyError, OutputError, SpecError
from procmine.read import read_log
from procmine.render import (
    FONT,
    cjk_font_installed,
    format_value,
    graph_format,
    render_map,
    render_model,
    to_svg,
    write_graph,
)

warnings.filterwarnings("ignore", module="pm4py")

HERE = Path(__file__).resolve().parent
SMALL = HERE / "fixtures" / "map_small.csv"
GOLDEN = HERE / "golden"
# PROCMINE_UPDATE_GOLDEN=1 rewrites the golden files (then read the diff before committing)
UPDATE = os.environ.get("PROCMINE_UPDATE_GOLDEN") == "1"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.fixture(scope="module")
def small():
    return read_log(SMALL)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"


@pytest.mark.parametrize("name,kwargs", [
    ("map_small_frequency.dot", {}),
    ("map_small_median_wait_by_level.dot", {"metric": "median-wait", "by": "level"}),
])
def test_map_dot_matches_golden(small, name, kwargs):
    graph = render_map(discover_map(small, **kwargs), title="map_small.csv")
    _golden(name, graph.source)


def test_map_dot_is_readable(small):
    """The drawing says what a person needs: names, counts, human waits, a legend."""
    dot = render_map(discover_map(small, metric="median-wait")).source
    assert dot.count(f'fontname="{FONT}"') == 3  # graph, node and edge defaults
    assert 'label="派遣\n5"' in dot
    assert 'label="45 min"' in dot and 'label="11.9 h"' in dot and 'label="2.8 h"' in dot
    assert "median waiting time" in dot and "4 cases, 18 events" in dot
    assert "start" in dot and "end" in dot
    # the widest arrow is the longest median wait (处置 -> 结案)
    widths = {line.split(" [")[0].strip(): line for line in dot.splitlines() if "->" in line}
    assert "penwidth=6.00" in widths["a2 -> a3"]
    freq = render_map(discover_map(small)).source
    assert "label=4 " in freq and "penwidth=6.00" in freq


def test_dot_is_stable_across_runs(small):
    a = render_map(discover_map(small, metric="p90-wait", by="unit")).source
    b = render_map(discover_map(read_log(SMALL), metric="p90-wait", by="unit")).source
    assert a == b


def test_model_drawings_are_deterministic_and_labelled(small):
    first = discover_model(small, quality=False).model
    second = discover_model(read_log(SMALL), quality=False).model
    for notation in ("petri", "bpmn", "tree"):
        dot = render_model(first, notation=notation).source
        assert dot == render_model(second, notation=notation).source
        assert f'fontname="{FONT}"' in dot
        assert "上报" in dot and "退单" in dot
    tree = render_model(first, notation="tree").source
    assert "→" in tree and "↺" in tree  # sequence, and the 派遣/退单 loop


def test_tree_only_for_inductive(small):
    heuristic = discover_model(small, algorithm="heuristics", quality=False).model
    with pytest.raises(SpecError, match="no process tree"):
        render_model(heuristic, notation="tree")
    assert "上报" in render_model(heuristic, notation="bpmn").source


def test_format_by_suffix():
    assert graph_format("a.svg") == "svg" and graph_format("b.PNG") == "png"
    assert graph_format("c.gv") == "dot"
    with pytest.raises(OutputError, match=r"\.svg, \.png, \.pdf or \.dot"):
        graph_format("d.jpg")
    assert format_value(1234, "cases") == "1,234"
    assert format_value(45 * 60, "mean-wait") == "45 min"
    assert format_value(float("nan"), "p90-wait") == "–"


def test_dot_written_without_graphviz_and_images_fail_clearly(small, tmp_path, monkeypatch):
    graph = render_map(discover_map(small))
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert shutil.which("dot") is None
    write_graph(graph, tmp_path / "map.dot")
    assert (tmp_path / "map.dot").read_text(encoding="utf-8") == graph.source
    for suffix in ("svg", "png", "pdf"):
        with pytest.raises(DependencyError) as info:
            write_graph(graph, tmp_path / f"map.{suffix}")
        message = str(info.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "\n" not in message
        assert not (tmp_path / f"map.{suffix}").exists()
    with pytest.raises(DependencyError):
        to_svg(graph)


@needs_dot
def test_every_format_renders(small, tmp_path):
    graph = render_map(discover_map(small, metric="mean-wait", by="level"))
    heads = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "dot": b"digraph"}
    for suffix, head in heads.items():
        path = tmp_path / f"map.{suffix}"
        write_graph(graph, path)
        assert path.read_bytes().startswith(head), suffix
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@needs_dot
def test_svg_keeps_chinese_text_and_font(small):
    svg = to_svg(render_map(discover_map(small)))
    assert ">派遣</text>" in svg and ">退单</text>" in svg
    assert f'font-family="{FONT}"' in svg


@needs_dot
def test_pdf_embeds_a_cjk_font(small, tmp_path):
    """Where a CJK font is installed, Graphviz embeds it: Chinese shows as glyphs, not boxes."""
    if not cjk_font_installed():
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    path = tmp_path / "map.pdf"
    write_graph(render_map(discover_map(small)), path)
    data = path.read_bytes()
    assert b"CJK" in data or b"WenQuanYi" in data or b"SourceHan" in data


@needs_dot
def test_model_diagrams_render(small, tmp_path):
    model = discover_model(small, quality=False).model
    for notation in ("petri", "bpmn", "tree"):
        svg = to_svg(render_model(model, notation=notation))
        assert ">上报</text>" in svg, notation


@pytest.mark.parametrize("notation", ["petri", "bpmn", "tree"])
def test_names_that_look_like_html_are_drawn_as_text(tmp_path, notation):
    """An activity named like markup must not become a Graphviz HTML label (or a script)."""
    from click.testing import CliRunner

    from procmine.cli import cli

    log = tmp_path / "hostile.csv"
    log.write_text("case_id,activity,timestamp\n"
                   "1,<script>alert(1)</script>,2024-01-01 09:00\n1,<i>x</i>,2024-01-01 10:00\n"
                   "2,<script>alert(1)</script>,2024-01-01 09:00\n2,<i>x</i>,2024-01-02 10:00\n")
    svg = tmp_path / f"model-{notation}.svg"
    result = CliRunner().invoke(cli, ["discover", str(log), "--diagram", str(svg),
                                      "--notation", notation])
    assert result.exit_code == 0, result.output
    text = svg.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>" not in text


def test_no_analysis_imports_render_report_or_cli():
    """Only the presentation layers draw: analyses return data (docs: DESIGN layers)."""
    import ast

    package = Path(__file__).resolve().parents[1] / "procmine"
    presentation = {"render", "report", "cli", "__main__.py"}
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).parts[0] in presentation:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):     # also "from procmine import render"
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            offenders += [f"{path.relative_to(package)}: {n}" for n in names
                          if n.split(".")[:2] in (["procmine", "render"], ["procmine", "report"],
                                                  ["procmine", "cli"])]
    assert offenders == []


def test_difference_marks_only_changes_that_show_in_the_unit_printed():
    from types import SimpleNamespace

    import pandas as pd

    from procmine.render import render_difference
    from procmine.render.graphviz import node_id

    def edge(source, target, median_a, median_b, share_change=0.05):
        return {"source": source, "target": target, "cases_a": 100, "cases_b": 120,
                "share_a": 0.5, "share_b": 0.5 + share_change, "share_change": share_change,
                "significant_share": True, "median_a": median_a, "median_b": median_b,
                "significant_wait": True}

    edges = pd.DataFrame([edge("派遣", "签收", 24 * 60 + 5, 24 * 60 + 20),      # 24 min → 24 min
                          edge("签收", "处置", 24 * 60, 3 * 3600),                # 24 min → 3.0 h
                          edge("处置", "结案", 600, 660, share_change=0.0002)])   # +0.0 pp
    result = SimpleNamespace(edges=edges, labels=("A", "B"), cases=(200, 240), time_basis="clock",
                             alpha=0.05, working_day_seconds=None)
    source = render_difference(result).source
    lines = {block.split(" [")[0].strip(): block for block in source.split("\n\t") if " -> " in block}
    same = next(v for k, v in lines.items() if k.startswith(node_id("A", "派遣")))
    assert "24 min → 24 min\"" in same
    assert "24 min → 24 min*" not in same and "#1b7837" not in same and "#b2182b" not in same
    longer = next(v for k, v in lines.items() if k.startswith(node_id("A", "签收")))
    assert "3.0 h*" in longer and "#b2182b" in longer
    flat = next(v for k, v in lines.items() if k.startswith(node_id("A", "处置")))
    assert "+0.0 pp*" not in flat and "#9e9e9e" in flat


def test_network_edge_labels_do_not_overlap(sample):
    """The sample's hand-over network: label boxes (estimated from the SVG text) never overlap."""
    import graphviz

    if not shutil.which("dot"):
        pytest.skip("Graphviz's dot is not installed")
    from lxml import etree

    from procmine.network import discover_network
    from procmine.render import render_network, to_svg

    del graphviz
    root = etree.fromstring(to_svg(render_network(discover_network(read_log(sample)))).encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    boxes = []
    for text in root.xpath("//s:g[@class='edge']/s:text", namespaces=ns):
        size = float(text.get("font-size", 9))
        width = sum(size if ord(c) > 0x2E80 else 0.6 * size for c in text.text or "")
        x, y = float(text.get("x")), float(text.get("y"))
        boxes.append((x - width / 2, y - size, x + width / 2, y))
    assert boxes                                   # the widest edges still carry numbers
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    assert overlaps == []
    tooltips = root.xpath("//s:g[@class='edge']//s:a/@xlink:title",
                          namespaces={**ns, "xlink": "http://www.w3.org/1999/xlink"})
    assert len(tooltips) > len(boxes) // 2 and all("→" in t for t in tooltips)


def test_workflow_drawings_are_the_same_from_run_to_run():
    """pm4py keeps a BPMN's nodes and a net's places in sets with random ids: the DOT text,
    and so the layout a reader sees, must not change with Python's hash seed."""
    import subprocess
    import sys

    script = ("import hashlib; from procmine.workflow import read_workflow; "
              "from procmine.render import render_workflow; w = read_workflow('logs/workflow.yaml'); "
              "print(hashlib.sha1((render_workflow(w).source + render_workflow(w, notation='petri')"
              ".source).encode()).hexdigest())")
    root = Path(__file__).resolve().parents[1]
    digests = {subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2", "3")}
    assert len(digests) == 1


def _laid_out_sources(monkeypatch, n: int) -> tuple[dict, list[str]]:
    """map_layout on a ladder of ``n`` activities, and the Graphviz sources it laid out."""
    from procmine.render import graphviz as gv
    from procmine.render.map import map_layout

    sources: list[str] = []
    run = gv._run_dot

    def recording(source, fmt, args, limit, layout="dot"):
        sources.append(source)
        return run(source, fmt, args, limit, layout)

    monkeypatch.setattr(gv, "_run_dot", recording)
    names = [f"step {i}" for i in range(n)]
    edges = [(names[i], names[j], float(n - i)) for i in range(n) for j in (i + 1, i + 7) if j < n]
    return map_layout(names, edges), sources


def test_a_large_map_is_placed_at_once_with_the_quick_layout(monkeypatch):
    """Over QUICK_LAYOUT_ACTIVITIES activities the explorer's positions come from one quick
    Graphviz run (BPIC15_1's 398 activities waited 30 s for the full layout to time out,
    and the page then depended on the machine's speed); a small map keeps the full one."""
    from procmine.render.map import QUICK_LAYOUT_ACTIVITIES

    big, sources = _laid_out_sources(monkeypatch, QUICK_LAYOUT_ACTIVITIES + 20)
    assert len(big) == QUICK_LAYOUT_ACTIVITIES + 20
    assert len(sources) == 1 and "splines=false" in sources[0]
    assert big["step 0"][1] < big["step 1"][1] < big[f"step {QUICK_LAYOUT_ACTIVITIES}"][1]
    small, sources = _laid_out_sources(monkeypatch, 20)
    assert len(small) == 20 and "splines" not in sources[0]


def test_unlabelled_steps_are_ordered_by_where_they_lead_not_by_the_sets_order():
    """A net's silent steps and places have no label: ordered by label alone they tied, and
    pm4py's sets (ordered by memory address) decided, so the road traffic log's model was
    drawn differently from run to run. The order must come from the graph alone."""
    import itertools

    from procmine.render.model import canonical_order

    class Node:
        def __init__(self, name, label=""):
            self.name, self.label = name, label

    start, tau1, tau2, p1, p2 = (Node(n) for n in ("start", "tau1", "tau2", "p1", "p2"))
    a, b, end = Node("a", "受理"), Node("b", "派遣"), Node("end")
    after = {start: [tau1, tau2], tau1: [p1], tau2: [p2], p1: [b], p2: [a], a: [end],
             b: [end], end: []}
    orders = set()
    for nodes in itertools.permutations([tau1, tau2, p1, p2]):
        everything = [start, *nodes, a, b, end]
        successors = {n: sorted(after[n], key=everything.index) for n in after}
        order = canonical_order([start], successors.__getitem__, lambda n: n.label, everything)
        orders.add(tuple(n.name for n in order))
    # the silent step towards 受理 (tau2) comes first, whatever order the sets gave
    assert orders == {("start", "tau2", "tau1", "p2", "p1", "a", "b", "end")}
