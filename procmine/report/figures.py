"""Figures that other procmine modules draw, made safe to inline in the report.

``_clean_svg`` turns Graphviz SVG into SVG for the page (no prolog, script, event
handler or link out of the page; ids prefixed so that several graphs share it);
``_graphviz_svg`` draws a graph of :mod:`procmine.render` that way. ``_safe_figure``
gives the figure, or one note saying why it could not be drawn (Graphviz missing or
failing).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from procmine.errors import ProcmineError
from procmine.report.context import _Context
from procmine.report.markup import _LANG, _figure, _note


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
    width = re.fullmatch(r"([0-9.]+)(pt|px)?", root.get("width", ""))
    if width:
        # scale wide graphs down to the page, but not below 3/4 of their size (the
        # figure scrolls instead): smaller text would be unreadable
        px = float(width.group(1)) * (96 / 72 if width.group(2) == "pt" else 1)
        root.set("style", f"min-width: {0.75 * px:.0f}px")
    return etree.tostring(root, encoding="unicode")


def _graphviz_svg(graph: Any, prefix: str) -> str:
    """Draw a graphviz ``Digraph`` as inline SVG."""
    from procmine.render import to_svg

    return _clean_svg(to_svg(graph), prefix)


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

