"""The Graphviz plumbing every drawing shares: fonts, labels, node ids, writing files.

Every graph sets its font explicitly to a CJK-capable family with fallbacks
(:data:`FONT`): pm4py's drawings set none, so Chinese shows as boxes in PNG and
PDF. DOT is written without the Graphviz programs; SVG, PNG and PDF need its
``dot`` and fail with a one-line :class:`DependencyError` saying what to
install when it is missing. Files are written atomically (:mod:`procmine.files`).

>>> graph = digraph("example")
>>> graph.node(node_id("A", "上报"), plain_label("上报"))
>>> graph_format("example.svg")
'svg'
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procmine.errors import DependencyError, OutputError
from procmine.files import atomic_write

if TYPE_CHECKING:
    import graphviz

FORMATS: tuple[str, ...] = ("svg", "png", "pdf", "dot")

#: Font families, first match wins: Noto/Source Han (Linux), YaHei (Windows),
#: PingFang (macOS), then the generic family. Pango (PNG, PDF) and browsers
#: (SVG) both read the comma-separated list.
FONT = ("Noto Sans CJK SC,Noto Sans SC,Source Han Sans SC,WenQuanYi Zen Hei,"
        "Microsoft YaHei,PingFang SC,SimHei,sans-serif")

#: The single families :func:`cjk_font` looks for, in order of preference.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Serif CJK SC",
                "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei",
                "Noto Sans Mono CJK SC")

INSTALL_GRAPHVIZ = ("Graphviz's dot program is not installed: apt-get install graphviz "
                    "(Debian/Ubuntu), brew install graphviz (macOS) or choco install graphviz "
                    "(Windows); .dot files are written without it")


#: Longest line of a label (characters); a longer one ends in "…" and the full text
#: goes to the tooltip.
MAX_LABEL_LINE = 200

#: Longest tooltip (characters): Graphviz refuses a quoted string of 16,384 bytes or more.
MAX_TOOLTIP = 4000

#: The Graphviz escapes kept as escapes in labels (``\\n`` and friends); any other
#: backslash is text.
_ESCAPES = re.compile(r"\\(?![nlrNGETHL])")
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f]")
_TEXT_ATTRS = ("label", "xlabel", "headlabel", "taillabel")


def clean_text(text: Any, *, limit: int = MAX_LABEL_LINE) -> Any:
    r"""Label text Graphviz draws as written: control characters (NUL too) as U+FFFD,
    lone backslashes escaped, each line at most ``limit`` characters (then "…").
    HTML-like labels (our own, ``<...>``) are kept as they are.

    >>> clean_text("a\\b"), clean_text("x" * 300)[-3:], clean_text("a\x00")
    ('a\\\\b', 'xx…', 'a�')
    """
    if text is None or _is_html(text):
        return text
    plain = str(text)
    out = _ESCAPES.sub(r"\\\\", _CONTROL.sub("\ufffd", plain))
    out = "\n".join(line if len(line) <= limit else line[: limit - 1] + "…"
                     for line in out.split("\n"))
    return _like(text, out)


def _is_html(text: Any) -> bool:
    import graphviz

    return (isinstance(text, str) and not isinstance(text, graphviz.quoting.NoHtml)
            and text.startswith("<") and text.endswith(">"))


def _like(original: Any, text: str) -> Any:
    import graphviz

    return graphviz.nohtml(text) if isinstance(original, graphviz.quoting.NoHtml) else text


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    """The text attributes of a node, edge or graph cleaned (:func:`clean_text`); a
    shortened label leaves its full text in the tooltip."""
    out = dict(attrs)
    for key in _TEXT_ATTRS:
        if out.get(key) is not None:
            out[key] = clean_text(out[key])
    label = attrs.get("label")
    if label is not None and out["label"] != label and not out.get("tooltip"):
        out["tooltip"] = str(label)
    if out.get("tooltip") is not None:
        out["tooltip"] = clean_text(str(out["tooltip"]).replace("\n", " "), limit=MAX_TOOLTIP)
    return out


def _cleaning(base: type) -> type:
    class Cleaned(base):  # type: ignore[misc, valid-type]
        """A graphviz graph whose labels and tooltips are always cleaned (:func:`clean_text`),
        so any activity or unit name can be drawn."""

        def __init__(self, *args: Any, graph_attr: dict | None = None, **kwargs: Any):
            super().__init__(*args, graph_attr=_clean(graph_attr or {}), **kwargs)

        def node(self, name: str, label: Any = None, _attributes: Any = None, **attrs: Any) -> None:
            attrs = _clean({"label": label, **attrs})
            super().node(name, attrs.pop("label"), _attributes=_attributes, **attrs)

        def edge(self, tail_name: str, head_name: str, label: Any = None, _attributes: Any = None,
                 **attrs: Any) -> None:
            attrs = _clean({"label": label, **attrs})
            super().edge(tail_name, head_name, attrs.pop("label"), _attributes=_attributes,
                         **attrs)

        def attr(self, kw: str | None = None, _attributes: Any = None, **attrs: Any) -> None:
            super().attr(kw, _attributes=_attributes, **_clean(attrs))

    return Cleaned


_CLASSES: dict[bool, type] = {}


def new_graph(*args: Any, directed: bool = True, **kwargs: Any) -> graphviz.Digraph:
    """A graphviz.Digraph (or Graph, same arguments) whose labels and tooltips are cleaned:
    every drawing makes its graph here or with :func:`digraph`."""
    import graphviz

    if directed not in _CLASSES:
        _CLASSES[directed] = _cleaning(graphviz.Digraph if directed else graphviz.Graph)
    return _CLASSES[directed](*args, **kwargs)


def digraph(name: str, **graph_attr: str) -> graphviz.Digraph:
    """A directed graph with :data:`FONT` on the graph, its nodes and its edges."""
    attrs = {"fontname": FONT, "fontsize": "12", "bgcolor": "white"}
    attrs.update(graph_attr)
    return new_graph(
        name=name,
        graph_attr=attrs,
        node_attr={"fontname": FONT, "fontsize": "12"},
        edge_attr={"fontname": FONT, "fontsize": "10"},
    )


def plain_label(text: Any) -> Any:
    """A label Graphviz must print as text, even when it looks like ``<html>``."""
    import graphviz

    return graphviz.nohtml(str(text))


def node_id(prefix: str, name: Any) -> str:
    """A graphviz node id that is safe for any name (':' would be read as a port).

    >>> node_id("U", "a:b")
    'U_613a62'
    """
    data = str(name).encode("utf-8")
    if len(data) > 64:  # a long name gets a short, still unique, id
        return prefix + "_h" + hashlib.sha256(data).hexdigest()
    return prefix + "_" + data.hex()


def graph_format(path: str | Path) -> str:
    """The output format named by a file's suffix (svg, png, pdf or dot).

    >>> graph_format("map.SVG"), graph_format("model.gv")
    ('svg', 'dot')
    """
    from procmine.files import output_format

    suffix = output_format(path, "drawing").lstrip(".")
    return {"gv": "dot"}.get(suffix, suffix)


#: Seconds Graphviz may take to lay out a graph before a simpler layout is tried
LAYOUT_SECONDS = 30.0
#: The simpler layout: straight arrows and few crossing-reduction passes (seconds, not minutes)
_QUICK = ("-Gsplines=line", "-Gnslimit=2", "-Gnslimit1=2", "-Gmclimit=0.2", "-Gsearchsize=8")


def _run_dot(source: str, fmt: str, args: tuple[str, ...], limit: float,
             layout: str = "dot") -> bytes:
    """Graphviz's ``layout`` program on ``source``; raises subprocess.TimeoutExpired after
    ``limit`` s."""
    dot = shutil.which(layout) if shutil.which("dot") else None
    if dot is None:
        raise DependencyError(INSTALL_GRAPHVIZ)
    done = subprocess.run([dot, f"-T{fmt}", *args], input=source.encode("utf-8"),
                          capture_output=True, timeout=limit, check=False)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise OutputError(f"Graphviz failed to draw the {fmt.upper()}: {detail or done.returncode}")
    return done.stdout


def pipe_limited(graph: graphviz.Digraph, fmt: str, *, limit: float | None = None,
          progress: Callable[[str], None] | None = None) -> tuple[bytes, str | None]:
    """The drawing, and a note when the time limit made it a simpler layout.

    Never waits without end: the full layout gets ``limit`` seconds, the simpler one
    (straight arrows, a note on the drawing) as long again, then it is an error.
    """
    limit = LAYOUT_SECONDS if limit is None else limit
    if progress is not None:
        progress(f"laying out the {fmt.upper()} with Graphviz (at most {limit:.0f} s)")
    try:
        return _run_dot(graph.source, fmt, (), limit, graph.engine), None
    except subprocess.TimeoutExpired:
        pass
    note = (f"Graphviz did not finish the layout in {limit:.0f} s: drawn with straight "
            "arrows; show fewer activities or paths (--activities, --paths) for a finer map")
    if progress is not None:
        progress(f"the layout took over {limit:.0f} s: drawing a simpler one")
    source = graph.source.rstrip().rstrip("}") + (
        f'  procmine_layout_note [shape=plaintext label="{note}"]\n}}\n')
    try:
        return _run_dot(source, fmt, _QUICK, limit, graph.engine), note
    except subprocess.TimeoutExpired:
        raise OutputError(f"Graphviz did not finish even a simple layout in {limit:.0f} s",
                          hint="show fewer activities or paths (--activities 20 --paths 20), "
                               "or write .dot and lay it out elsewhere") from None


def write_graph(graph: graphviz.Digraph, path: str | Path, *, inputs: Iterable[str] = (),
                limit: float | None = None,
                progress: Callable[[str], None] | None = None) -> str | None:
    """Write ``graph`` to ``path`` as SVG, PNG, PDF or DOT (by suffix), atomically.

    DOT needs nothing else; the image formats need Graphviz's ``dot`` program,
    which gets ``limit`` seconds (:data:`LAYOUT_SECONDS`) before a simpler layout
    is drawn instead; the note saying so is returned (None when all went well).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "graph.dot")
    >>> write_graph(digraph("example"), path)
    >>> open(path, encoding="utf-8").read().startswith("digraph example")
    True
    """
    fmt = graph_format(path)
    if fmt == "dot":
        with atomic_write(path, inputs=inputs) as f:
            f.write(graph.source)
        return None
    data, note = pipe_limited(graph, fmt, limit=limit, progress=progress)
    with atomic_write(path, "wb", inputs=inputs) as f:
        f.write(data)
    return note


def to_svg(graph: graphviz.Digraph, *, limit: float | None = None) -> str:
    """The SVG text of ``graph``, to put inline in an HTML page (a simpler layout, with a
    note drawn on it, past ``limit`` seconds).

    >>> to_svg(digraph("example")).lstrip().startswith("<?xml")
    True
    """
    return pipe_limited(graph, "svg", limit=limit)[0].decode("utf-8")


def _cjk_families() -> set[str] | None:
    """The font families fontconfig knows with Chinese glyphs (None: cannot tell)."""
    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {f.strip() for line in out.splitlines() for f in line.split(",") if f.strip()}


def cjk_font_installed() -> bool | None:
    """Whether fontconfig knows a font with Chinese glyphs (None: cannot tell).

    Without one, Graphviz draws Chinese labels in PNG and PDF as boxes
    (install fonts-noto-cjk on Debian/Ubuntu).
    """
    families = _cjk_families()
    return None if families is None else bool(families)


def cjk_font() -> str:
    """One installed font family with Chinese glyphs, as fontconfig knows it (else a guess).

    The workflow drawings name this single family rather than :data:`FONT`.
    """
    families = _cjk_families() or set()
    for name in CJK_FAMILIES:
        if name in families:
            return name
    if families:
        return sorted(families)[0]
    return CJK_FAMILIES[0]
