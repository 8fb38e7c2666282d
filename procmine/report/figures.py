"""Figures that other procmine modules draw, made safe to inline in the report.

``_clean_svg`` turns Graphviz SVG into SVG for the page (no prolog, script, event
handler or link out of the page; ids prefixed so that several graphs share it) and
sizes it to fit the page; ``_graphviz_svg`` draws a graph of :mod:`procmine.render`
that way, turned (left to right instead of top down, or back) when that draws it
larger on the page. ``_safe_figure`` gives the figure, or one note saying why it
could not be drawn (Graphviz missing or failing).

A drawing fits the page's width (:data:`PAGE_WIDTH`) and, scaled down if need be,
:data:`PAGE_HEIGHT`: the page never scrolls sideways; a click shows it full size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from procmine.errors import ProcmineError
from procmine.report.context import _Context
from procmine.report.markup import _LANG, _figure, _note

#: the width a figure has on the page (CSS pixels): the report's 1,120 less the section's margins
PAGE_WIDTH = 1070
#: the tallest a drawing is shown before it is scaled down (CSS pixels): two screens
PAGE_HEIGHT = 2000
#: a turned layout is taken when it shows the drawing at least this much larger
_TURN_GAIN = 1.2


def _clean_svg(svg: str | bytes, prefix: str) -> str:
    """Graphviz SVG ready to inline: no prolog or DOCTYPE, no script or event handler,
    no link out of the page, ids prefixed so that several graphs can share the page."""
    from lxml import etree

    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_comments=True, remove_pis=True, huge_tree=False)
    root = etree.fromstring(data, parser)
    # Graphviz titles every node and edge with its internal id (U_e6b0..., a4->end): noise
    # on hover; the tooltips a drawing means to show are its links' titles
    for bad in root.xpath("//*[local-name()='script' or local-name()='foreignObject' or "
                          "local-name()='title']"):
        bad.getparent().remove(bad)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in list(el.attrib):
            local = name.rsplit("}", 1)[-1]
            value = el.attrib[name]
            if local.lower().startswith("on"):
                del el.attrib[name]
            elif local == "href" and not value.startswith("#"):
                del el.attrib[name]
            elif local == "id":
                el.attrib[name] = f"{prefix}-{value}"
            elif local == "href":
                el.attrib[name] = f"#{prefix}-{value[1:]}"
    if _LANG.get() == "zh":           # the drawings' English legends and labels, in Chinese
        from procmine.report.drawing_words import in_chinese

        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            if el.text:
                el.text = in_chinese(el.text)
            for name in [n for n in el.attrib if n.rsplit("}", 1)[-1] == "title"]:
                el.attrib[name] = in_chinese(el.attrib[name])
    root.set("data-figure", prefix)
    size = _size_px(root.get("width", ""), root.get("height", ""))
    if size:
        # shown at the size that fits the page (CSS caps it at the figure's width); the
        # width and height attributes keep the full size for the reader's click
        root.set("style", f"width: {_fit(*size) * size[0]:.0f}px")
    return etree.tostring(root, encoding="unicode")


def _narrow(figure: str) -> float | None:
    """The width a figure's drawing is shown at, when at most 60% of the page's (then it
    can sit beside its table); else None."""
    found = re.search(r'<svg[^>]*style="width: ([0-9.]+)px', figure)
    width = float(found.group(1)) if found else None
    return width if width is not None and width <= 0.6 * PAGE_WIDTH else None


def _size_px(width: str, height: str) -> tuple[float, float] | None:
    """An SVG's width and height attributes (pt or px) in CSS pixels."""
    found = [re.fullmatch(r"([0-9.]+)(pt|px)?", v) for v in (width, height)]
    if not all(found):
        return None
    w, h = (float(m.group(1)) * (96 / 72 if m.group(2) == "pt" else 1) for m in found if m)
    return (w, h) if w > 0 and h > 0 else None


def _fit(width: float, height: float) -> float:
    """The scale that shows a drawing within the page's width and height, at most 1."""
    return min(1.0, PAGE_WIDTH / width, PAGE_HEIGHT / height)


def _turned_if_larger(graph: Any, svg: str) -> str:
    """``svg`` of ``graph``, or the graph laid out the other way (top down instead of left
    to right, or back) when that shows it clearly larger within the page."""
    from procmine.render import to_svg

    size = _size_px(*_svg_size(svg))
    direction = graph.graph_attr.get("rankdir", "TB")
    if size is None or size[0] <= PAGE_WIDTH or direction not in ("LR", "TB"):
        return svg
    turned = graph.copy()
    turned.graph_attr["rankdir"] = "TB" if direction == "LR" else "LR"
    if direction == "LR":       # a long chain of steps: ranks closer, so that it stays short
        turned.graph_attr["ranksep"] = "0.25"
    other = to_svg(turned)
    other_size = _size_px(*_svg_size(other))
    if other_size and _fit(*other_size) >= _TURN_GAIN * _fit(*size):
        return other
    return svg


def _svg_size(svg: str) -> tuple[str, str]:
    found = re.search(r'<svg[^>]*?\swidth="([^"]*)"[^>]*?\sheight="([^"]*)"', svg)
    return (found.group(1), found.group(2)) if found else ("", "")


def _graphviz_svg(graph: Any, prefix: str) -> str:
    """Draw a graphviz ``Digraph`` as inline SVG, laid out the other way when that shows
    it larger (a drawing bottom up, where up means a higher level, keeps its direction);
    in a Chinese report its words are said in Chinese before the layout, which then
    leaves them room."""
    from procmine.render import to_svg

    if _LANG.get() == "zh":
        graph = _in_chinese(graph)
    return _clean_svg(_turned_if_larger(graph, to_svg(graph)), prefix)


_QUOTED = re.compile(r'\b(label|xlabel|tooltip)="((?:[^"\\]|\\.)*)"')
_CELL = re.compile(r"(<TD[^>]*>)([^<]*)(</TD>)")
_BREAK = re.compile(r"(\\[nlr])")


def _in_chinese(graph: Any) -> Any:
    """A copy of ``graph`` with its labels, table cells and tooltips in Chinese
    (:func:`procmine.report.drawing_words.in_chinese`, line by line)."""
    from procmine.report.drawing_words import in_chinese

    def lines(text: str) -> str:
        return "".join(p if _BREAK.fullmatch(p) else in_chinese(p) for p in _BREAK.split(text))

    out = graph.copy()
    out.body = [_CELL.sub(lambda m: m.group(1) + in_chinese(m.group(2)) + m.group(3),
                          _QUOTED.sub(lambda m: f'{m.group(1)}="{lines(m.group(2))}"', line))
                for line in graph.body]
    if isinstance(out.graph_attr.get("label"), str):
        out.graph_attr["label"] = lines(out.graph_attr["label"])
    return out


def _safe_figure(ctx: _Context, draw: Callable[[], str], caption: str | None = None, *,
                 graph: bool = True) -> str:
    """A figure, or one line saying why it could not be drawn (Graphviz missing or failing)."""
    import subprocess

    try:
        svg = draw()
    except ModuleNotFoundError as e:
        if not (e.name or "").startswith("procmine"):
            raise
        return _note(ctx.t("no_figure", why=ctx.t("missing_module", module=e.name)), "note skip")
    except ProcmineError as e:
        return _note(ctx.t("no_figure", why=str(e)), "note skip")
    except (subprocess.CalledProcessError, OSError, RuntimeError, ValueError, SyntaxError) as e:
        # Graphviz failing on a label, or SVG that does not parse (lxml's errors are SyntaxErrors)
        why = getattr(e, "stderr", None) or str(e)
        if isinstance(why, bytes):
            why = why.decode("utf-8", "replace")
        return _note(ctx.t("no_figure", why=str(why).strip().splitlines()[-1][:200] if why else type(e).__name__),
                     "note skip")
    if graph and caption:
        caption = f"{caption} {ctx.t('zoom')}"
    return _figure(svg, caption, graph=graph) if svg else ""

