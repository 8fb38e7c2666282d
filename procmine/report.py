"""The HTML report: every analysis of a log in one self-contained file.

:func:`build_report` runs the analyses in stages, each through the same library
call and with the same defaults as its own command, so the report's numbers are
the commands' numbers:

=============  ======================================================  ==========================
section        library call                                            same numbers as
=============  ======================================================  ==========================
summary        ``summary.summarize_log(log)``                          ``procmine info``
quality        ``log.report`` (the LoadReport)                         ``procmine info``
map            ``discover.discover_map(log)``                          ``procmine map``
model          ``discover.discover_model(log)``                        ``procmine discover``
conformance    ``conform.check_conformance(log, workflow)``            ``procmine conform``
bottlenecks    ``bottlenecks.find_bottlenecks(log, workflow=...)``     ``procmine bottlenecks``
patterns       ``loops.find_loops(log, aliases=workflow aliases)``     ``procmine loops``
variants       ``discover.variant_summary(log)``                       ``procmine variants``
=============  ======================================================  ==========================

A section whose module is missing, or whose log lacks the columns it needs, holds a
short note instead. Every value that comes from the log is HTML-escaped; figures
are inline SVG; the CSS and the little JavaScript (sortable tables, collapsible
sections) are inline, and a Content-Security-Policy lets the page load nothing
else and run no script but its own. Each figure shown is also a number in the page:
cards and table cells carry ``data-key``/``data-value`` attributes with the raw
value, for sorting and for machines.

>>> from procmine.io import read_log
>>> report = write_report(read_log("logs/sample.csv"), "report.html")   # doctest: +SKIP
>>> [s.key for s in report.sections]                                      # doctest: +SKIP
['summary', 'quality', 'map', 'model', 'bottlenecks', 'patterns', 'variants']
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from procmine import __version__
from procmine.errors import InputError, ProcmineError
from procmine.log import ACTIVITY, CASE, TIMESTAMP, EventLog, LoadReport
from procmine.output import atomic_write, human_duration

if TYPE_CHECKING:
    from procmine.engines import Engine

Lang = Literal["zh", "en"]

#: The sections in page order; ``conformance`` only with a workflow.
SECTIONS: tuple[str, ...] = ("summary", "quality", "map", "model", "conformance", "bottlenecks",
                             "patterns", "variants")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# --------------------------------------------------------------------------- labels

def _labels() -> dict[str, Any]:
    import json

    text = resources.files("procmine").joinpath("templates", "report-labels.json").read_text(
        encoding="utf-8")
    return json.loads(text)


_LABELS = _labels()
#: key -> (Chinese, English): the report's own words
_T: dict[str, tuple[str, str]] = {k: tuple(v) for k, v in _LABELS["labels"].items()}
_PATTERN_NAMES: dict[str, tuple[str, str]] = {k: tuple(v) for k, v in _LABELS["patterns"].items()}
_PATTERN_ZH: dict[str, str] = _LABELS["pattern_definitions_zh"]
_QUALITY_MEANING: dict[str, tuple[str, str]] = {k: tuple(v) for k, v in
                                                _LABELS["quality_meanings"].items()}


@dataclass(frozen=True)
class Section:
    """One section of the report.

    ``body`` is its HTML (every log value escaped); ``note`` says why it is empty
    or short (missing module, missing columns); ``numbers`` holds its headline
    figures by key (as the ``data-key`` of the page, without the section prefix).
    """

    key: str
    title: str
    body: str
    note: str | None = None
    numbers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        return not self.body


@dataclass(frozen=True)
class Report:
    """The report: its sections, the page, and the seconds each stage took."""

    title: str
    lang: Lang
    sections: tuple[Section, ...]
    html: str
    seconds: Mapping[str, float]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


# --------------------------------------------------------------------------- entry points


def stages(*, workflow: Any = None) -> tuple[str, ...]:
    """The stages :func:`build_report` goes through, in order (for a progress bar).

    >>> stages()[:3]
    ('summary', 'quality', 'map')
    >>> "conformance" in stages(workflow="logs/workflow.yaml")
    True
    """
    return tuple(s for s in SECTIONS if s != "conformance" or workflow is not None)


def default_lang(log: EventLog | Engine) -> Lang:
    """``zh`` when the log's activity names contain Chinese characters, else ``en``.

    >>> import pandas as pd
    >>> default_lang(EventLog(events=pd.DataFrame({"concept:name": ["派遣", "check"]})))
    'zh'
    """
    from procmine.engines import is_engine

    if is_engine(log):
        names = log.activities()["activity"]
    elif ACTIVITY not in log.events.columns:
        return "en"
    else:
        names = pd.unique(log.events[ACTIVITY].dropna())
    return "zh" if any(_CJK.search(str(n)) for n in names) else "en"


def build_report(
    log: EventLog | Engine,
    *,
    workflow: Any = None,
    lang: Lang | None = None,
    title: str | None = None,
    calendar: Any = "cn",
    on_stage: Callable[[str], None] | None = None,
) -> Report:
    """Run every analysis on ``log`` and lay the results out as one HTML page.

    ``workflow`` (a path or a parsed :class:`procmine.workflow.Workflow`) adds the
    conformance section and gives the deadlines and activity aliases, as
    ``--workflow`` does for ``conform``, ``bottlenecks`` and ``loops``.
    ``lang`` picks the language of the report's own labels (default:
    :func:`default_lang`); ``calendar`` the working calendar (as ``--calendar``);
    ``on_stage(name)`` is called after each stage of :func:`stages`. ``log`` may
    be an open engine (:mod:`procmine.engines`): every section is then computed
    from its tables, or part by part, with the same numbers.

    >>> from procmine.simulate import simulate_log
    >>> report = build_report(simulate_log(cases=60, seed=3).to_event_log(), lang="en")
    >>> report.section("summary").numbers["cases"]
    60
    >>> "<svg" in report.html and "https://" not in report.html.split("<body", 1)[1].replace(
    ...     "http://www.w3.org", "")
    True
    """
    if lang not in (None, "zh", "en"):
        raise ProcmineError(f"unknown report language {lang!r}", hint="choose zh or en")
    from procmine.engines import is_engine

    if is_engine(log):
        totals = log.totals()
        n_cases, n_events = totals.cases, totals.events
    else:
        n_cases, n_events = log.n_cases, log.n_events
    if n_events == 0:
        raise InputError("the log has no events: there is nothing to report")
    ctx = _Context(log=log, lang=lang or default_lang(log), calendar=calendar,
                   workflow=_workflow(workflow), workflow_path=_workflow_path(workflow),
                   report=log.load_report() if is_engine(log) else log.report,
                   n_cases=n_cases, n_events=n_events)
    title = title or f"{ctx.t('title')}: {Path(str(ctx.report.path or 'log')).name}"
    sections: list[Section] = []
    seconds: dict[str, float] = {}
    for name in stages(workflow=workflow):
        started = time.perf_counter()
        sections.append(_run_section(name, ctx))
        seconds[name] = time.perf_counter() - started
        if on_stage is not None:
            on_stage(name)
    page = _page(title, ctx, sections)
    return Report(title=title, lang=ctx.lang, sections=tuple(sections), html=page,
                  seconds=seconds)


def write_report(
    log: EventLog | Engine,
    path: str | os.PathLike,
    *,
    workflow: Any = None,
    lang: Lang | None = None,
    title: str | None = None,
    calendar: Any = "cn",
    on_stage: Callable[[str], None] | None = None,
    inputs: Iterable[str] = (),
) -> Report:
    """Build the report of ``log`` and write it to ``path`` atomically (UTF-8 HTML).

    ``inputs`` are files the output must not overwrite (the log itself).

    >>> from procmine.simulate import simulate_log
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "report.html")
    >>> _ = write_report(simulate_log(cases=60, seed=3).to_event_log(), out)
    >>> open(out, encoding="utf-8").read(15)
    '<!DOCTYPE html>'
    """
    from procmine.engines import is_engine

    inputs = list(inputs)
    path_read = log.source.path if is_engine(log) else log.report.path
    if path_read:
        inputs.append(str(path_read))
    report = build_report(log, workflow=workflow, lang=lang, title=title, calendar=calendar,
                          on_stage=on_stage)
    with atomic_write(path, inputs=inputs) as f:
        f.write(report.html)
    return report


# --------------------------------------------------------------------------- context


@dataclass
class _Context:
    log: EventLog | Engine
    lang: Lang
    calendar: Any
    workflow: Any
    workflow_path: str | None
    report: LoadReport
    n_cases: int
    n_events: int

    def t(self, key: str, **values: Any) -> str:
        zh, en = _T[key]
        text = zh if self.lang == "zh" else en
        return text.format(**values) if values else text

    @property
    def log_name(self) -> str:
        return str(self.report.path or "LOG")

    def command(self, name: str, *extra: str) -> str:
        parts = ["procmine", name, _shell_quote(self.log_name), *extra]
        return " ".join(parts)


def _fallback_warning() -> type[Warning]:
    try:
        from procmine.calendar import CalendarFallbackWarning
    except ImportError:  # pragma: no cover - the calendar ships with procmine
        return UserWarning
    return CalendarFallbackWarning


def _workflow(workflow: Any) -> Any:
    if workflow is None or not isinstance(workflow, (str, os.PathLike)):
        return workflow
    from procmine.workflow import read_workflow

    return read_workflow(workflow)


def _workflow_path(workflow: Any) -> str | None:
    if isinstance(workflow, (str, os.PathLike)):
        return str(workflow)
    return getattr(workflow, "path", None)


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _run_section(name: str, ctx: _Context) -> Section:
    """Compute one section; a missing module or a log without the needed columns gives a note."""
    title = ctx.t(name)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", _fallback_warning())
            section = _BUILDERS[name](ctx)
        years = sorted({m.group(1) for w in caught
                        if (m := re.match(r"(\d{4}):", str(w.message)))})
        if years and name != "bottlenecks":      # bottlenecks says it in its calendar line
            note = ctx.t("calendar_fallback", years=", ".join(years))
            section = Section(section.key, section.title, section.body,
                              note=f"{section.note} {note}" if section.note else note,
                              numbers=section.numbers)
        for w in caught:
            if not issubclass(w.category, _fallback_warning()):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return section
    except ModuleNotFoundError as e:
        module = (e.name or "").removeprefix("procmine.")
        if not (e.name or "").startswith("procmine"):
            raise
        return Section(name, title, "", note=ctx.t("missing_module", module=module))
    except ProcmineError as e:
        return Section(name, title, "", note=ctx.t("cannot", why=str(e)))


# --------------------------------------------------------------------------- formatting


def _e(value: Any) -> str:
    """HTML-escape any value (quotes too: it may land in an attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _raw(value: Any) -> str:
    """The machine value of a cell: plain numbers, ISO times, text."""
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _working(seconds: float) -> str:
    """Working time as the bottlenecks command shows it: hours from one hour up."""
    if abs(seconds) >= 3600:
        return f"{seconds / 3600:,.1f} h"
    return human_duration(seconds)


def _show(value: Any, kind: str) -> str:
    """The text a person reads for a value of ``kind``."""
    if _missing(value):
        return "–"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "ratio":
        return f"{float(value):.3f}"
    if kind == "pct":
        return f"{100 * float(value):.1f}%"
    if kind == "dur":
        return human_duration(float(value))
    if kind == "wdur":
        return _working(float(value))
    if kind == "float":
        return f"{float(value):,.2f}"
    if kind == "time":
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return text[:16].replace("T", " ")
    return str(value)


_NUMERIC = {"int", "ratio", "pct", "dur", "wdur", "float"}


@dataclass(frozen=True)
class _Col:
    key: str
    label: str
    kind: str = "text"


def _table(name: str, rows: Sequence[Mapping[str, Any]], cols: Sequence[_Col], *,
           limit: int | None = None, more: str | None = None, ctx: _Context | None = None) -> str:
    """A sortable table; cells carry the raw value in ``data-value``."""
    shown = rows[:limit] if limit else rows
    head = "".join(f'<th data-col="{_e(c.key)}"{" class=num" if c.kind in _NUMERIC else ""}>'
                   f"{_e(c.label)}</th>" for c in cols)
    body = []
    for row in shown:
        cells = []
        for c in cols:
            value = row.get(c.key)
            cls = "num" if c.kind in _NUMERIC else ("wrap" if c.kind == "text" else "")
            cells.append(f'<td{f" class={cls}" if cls else ""} data-value="{_e(_raw(value))}">'
                         f"{_e(_show(value, c.kind))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    out = (f'<div class="scroll"><table class="sortable" data-table="{_e(name)}"><thead><tr>{head}'
           f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
    if limit and len(rows) > limit and ctx is not None:
        out += f'<p class="note">{_e(ctx.t("more_rows", n=f"{len(rows) - limit:,}", cmd=more or ""))}</p>'
    return out


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or len(frame) == 0:
        return []
    return frame.to_dict(orient="records")


def _cards(section: str, items: Sequence[tuple[str, str, Any, str]]) -> str:
    """Headline figures: (key, label, value, kind)."""
    cards = []
    for key, label, value, kind in items:
        size = " small" if kind == "time" else ""
        cards.append(f'<div class="card" data-key="{_e(section)}.{_e(key)}" data-value="{_e(_raw(value))}">'
                     f'<div class="v{size}">{_e(_show(value, kind))}</div><div class="k">{_e(label)}</div></div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


def _h3(text: str) -> str:
    return f"<h3>{_e(text)}</h3>"


def _note(text: str, cls: str = "note") -> str:
    return f'<p class="{cls}">{_e(text)}</p>'


def _same(ctx: _Context, *commands: str) -> str:
    return ('<p class="cmd">' + _e(ctx.t("same")) +
            "; ".join(f"<code>{_e(c)}</code>" for c in commands) + "</p>")


def _figure(svg: str, caption: str | None = None, *, graph: bool = False) -> str:
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return f'<figure{" class=graph" if graph else ""}>{svg}{cap}</figure>'


def _pair(left: str, right: str) -> str:
    """A figure and its table side by side on a wide screen, one above the other otherwise."""
    return f'<div class="pair"><div>{left}</div><div>{right}</div></div>'


# --------------------------------------------------------------------------- SVG charts

_PALETTE = ("#2f5d8c", "#e07b39", "#3a9a5b", "#c0392b", "#8e6bb8", "#8c6d3f", "#d46aa6",
            "#6b7b8c", "#b5a021", "#2aa3b8", "#9bb7d4", "#f0b27a", "#8fd19e", "#f1948a",
            "#c5b0d5", "#c49c94", "#f7b6d2", "#aab3bf", "#dbdb8d", "#9edae5", "#1b3a57",
            "#7a3d12", "#1f5a34", "#6e1f17")


def _text_width(text: str, size: float = 12) -> float:
    """Rough rendered width: CJK glyphs are square, Latin ones about 0.6 em."""
    return sum(size if _CJK.search(ch) or ord(ch) > 0x2e80 else size * 0.6 for ch in text)


def _clip(text: str, width: float, size: float = 12) -> str:
    if _text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def _bars(name: str, items: Sequence[tuple[str, float, str]], *, colour: str = "#2f5d8c",
          scale_max: float | None = None, width: int = 760) -> str:
    """A horizontal bar chart: (label, value, text shown after the bar)."""
    if not items:
        return ""
    row, top = 22, 6
    label_w = min(280.0, max(_text_width(label) for label, _, _ in items) + 12)
    value_w = max(_text_width(text) for _, _, text in items) + 10
    bar_w = max(120.0, width - label_w - value_w)
    peak = scale_max or max((v for _, v, _ in items if v == v), default=0) or 1
    height = top * 2 + row * len(items)
    parts = [f'<svg class="chart" data-figure="{_e(name)}" viewBox="0 0 {width:.0f} {height}" '
             f'width="{width:.0f}" height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value, text) in enumerate(items):
        y = top + i * row
        w = 0.0 if value != value else max(0.0, bar_w * float(value) / peak)
        parts.append(f"<g><title>{_e(label)}: {_e(text)}</title>"
                     f'<text x="{label_w - 8:.0f}" y="{y + 15}" text-anchor="end">{_e(_clip(label, label_w - 12))}</text>'
                     f'<rect x="{label_w:.0f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{colour}" rx="2"/>'
                     f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="muted">{_e(text)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _columns(name: str, items: Sequence[tuple[str, float]], *, width: int = 760,
             height: int = 180, colour: str = "#2f5d8c") -> str:
    """A column chart over time: (label, value); a few labels on the x axis."""
    if not items:
        return ""
    left, bottom, top = 44, 34, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(v for _, v in items) or 1
    step = min(plot_w / len(items), 48.0)
    parts = [f'<svg class="chart" data-figure="{_e(name)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#aab3bf"/>',
             f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" class="muted">{peak:,.0f}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="muted">0</text>']
    every = max(1, math.ceil(len(items) / 8))
    for i, (label, value) in enumerate(items):
        h = plot_h * value / peak
        x = left + i * step
        parts.append(f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.8:.1f}" '
                     f'height="{h:.1f}" fill="{colour}"><title>{_e(label)}: {value:,.0f}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 12}" text-anchor="middle" '
                         f'class="muted">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _variant_strips(name: str, rows: Sequence[Mapping[str, Any]], colours: Mapping[str, str],
                    *, width: int = 760) -> str:
    """Each variant as a strip of coloured boxes, one per step, with its share."""
    if not rows:
        return ""
    row_h, box, gap, left = 24, 16, 2, 56
    longest = max(len(r["steps"]) for r in rows)
    box = max(6, min(box, int((width - left - 150) / max(longest, 1)) - gap))
    legend = sorted(colours.items(), key=lambda kv: list(colours).index(kv[0]))
    legend_cols = 4
    legend_h = 20 * math.ceil(len(legend) / legend_cols) + 10
    height = row_h * len(rows) + legend_h + 10
    parts = [f'<svg class="chart" data-figure="{_e(name)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">']
    for i, r in enumerate(rows):
        y = 6 + i * row_h
        parts.append(f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">#{int(r["variant"]) + 1}</text>')
        for j, act in enumerate(r["steps"]):
            x = left + j * (box + gap)
            parts.append(f'<rect x="{x}" y="{y}" width="{box}" height="{box}" rx="2" '
                         f'fill="{colours.get(act, "#d9dee5")}"><title>{_e(act)}</title></rect>')
        end = left + len(r["steps"]) * (box + gap) + 8
        parts.append(f'<text x="{end}" y="{y + 13}" class="muted">{100 * r["share"]:.1f}% · '
                     f'{int(r["cases"]):,}</text>')
    y0 = 6 + len(rows) * row_h + 12
    col_w = (width - left) / legend_cols
    for k, (act, colour) in enumerate(legend):
        x = left + (k % legend_cols) * col_w
        y = y0 + (k // legend_cols) * 20
        parts.append(f'<rect x="{x:.0f}" y="{y}" width="12" height="12" rx="2" fill="{colour}"/>'
                     f'<text x="{x + 17:.0f}" y="{y + 11}">{_e(_clip(str(act), col_w - 24))}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- graphviz SVG


def _clean_svg(svg: str | bytes, prefix: str) -> str:
    """Graphviz SVG ready to inline: no prolog or DOCTYPE, no script or event handler,
    no link out of the page, ids prefixed so that several graphs can share the page."""
    from lxml import etree

    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_comments=True, remove_pis=True, huge_tree=False)
    root = etree.fromstring(data, parser)
    for bad in root.xpath("//*[local-name()='script' or local-name()='foreignObject']"):
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
    return _clean_svg(graph.pipe(format="svg"), prefix)


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


def _file_svg(write: Callable[[str], Any], prefix: str) -> str:
    """Run a library drawer that writes an SVG file, and inline what it wrote."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="procmine-report-") as folder:
        path = os.path.join(folder, f"{prefix}.svg")
        write(path)
        return _clean_svg(Path(path).read_bytes(), prefix)


# --------------------------------------------------------------------------- sections


def _summary(ctx: _Context) -> Section:
    from procmine.summary import summarize_log

    s = summarize_log(ctx.log)
    t = ctx.t
    span = None
    if s.first and s.last:
        span = (pd.Timestamp(s.last) - pd.Timestamp(s.first)).total_seconds()
    items = [("cases", t("cases"), s.cases, "int"), ("events", t("events"), s.events, "int"),
             ("activities", t("activities"), s.activities, "int"),
             ("variants", t("variants_n"), s.variants, "int")]
    if s.units is not None:
        items.append(("units", t("units"), s.units, "int"))
    items += [("first", t("first"), s.first, "time"), ("last", t("last"), s.last, "time"),
              ("span", t("span"), span, "dur"),
              ("events_per_case_median", t("per_case"), s.events_per_case["median"], "float")]
    body = [_cards("summary", items)]
    if s.levels:
        body.append(_note(f"{t('levels')}: " + " < ".join(s.levels)))
    period, starts = _case_starts(ctx.log)
    if starts:
        body.append(_h3(t(f"started_{period}")))
        body.append(_figure(_columns("summary-starts", starts)))
    share_cols = [_Col("name", t("name")), _Col("count", t("count"), "int"),
                  _Col("share", t("share"), "pct")]
    for key, rows in (("categories", s.categories), ("sources", s.sources),
                      ("top_activities", s.top_activities)):
        if not rows:
            continue
        body.append(_h3(t(key)))
        body.append(_pair(_figure(_bars(f"summary-{key}", [(r["name"], r["count"], f"{r['count']:,}")
                                                         for r in rows], width=480)),
                          _table(f"summary.{key}", rows, share_cols)))
    body.append(_same(ctx, ctx.command("info")))
    numbers = {"cases": s.cases, "events": s.events, "activities": s.activities,
               "variants": s.variants, "units": s.units, "first": s.first, "last": s.last}
    return Section("summary", t("summary"), "".join(body), numbers=numbers)


def _case_starts(log: EventLog | Engine) -> tuple[str, list[tuple[str, float]]]:
    """Cases started per week, month or year (by the first event of each case): weeks
    up to 60 of them, months up to 180, else years."""
    from procmine.engines import is_engine

    if is_engine(log):
        first = log.cases()["start"]
    else:
        events = log.events
        if events.empty:
            return "week", []
        first = events[TIMESTAMP].groupby(events[CASE], sort=False).min()
    local = first.dt.tz_localize(None) if first.dt.tz is not None else first
    day = local.dt.normalize()
    for period, start, step, fmt, most in (
            ("week", day - pd.to_timedelta(local.dt.day_of_week, unit="D"), "7D", "%Y-%m-%d", 60),
            ("month", day - pd.to_timedelta(local.dt.day - 1, unit="D"), "MS", "%Y-%m", 180),
            ("year", pd.to_datetime(local.dt.year.astype(str) + "-01-01"), "YS", "%Y", None)):
        counts = start.value_counts()
        columns = pd.date_range(counts.index.min(), counts.index.max(), freq=step)
        if most is None or len(columns) <= most:
            counts = counts.reindex(columns, fill_value=0)
            return period, [(f"{d:{fmt}}", float(n)) for d, n in counts.items()]
    raise AssertionError("the yearly count always returns")


def _quality(ctx: _Context) -> Section:
    r = ctx.report
    t = ctx.t
    if r.path is None and r.rows_read == 0:
        return Section("quality", t("quality"), "", note=t("no_load_report"))
    items = [("rows_read", t("rows_read"), r.rows_read, "int"),
             ("rows_kept", t("rows_kept"), r.rows_kept, "int"),
             ("rows_dropped", t("rows_dropped"), r.rows_dropped, "int"),
             ("duplicates", t("duplicates"), r.duplicates, "int")]
    body = [_cards("quality", items)]
    facts = [(t("format"), r.format), (t("encoding"), r.encoding),
             (t("timezone"), (r.timezone or "") + (t("assumed") if r.timezone_assumed else ""))]
    body.append(_note(" · ".join(f"{k}: {v}" for k, v in facts if v)))
    bars = [(t("kept"), r.rows_kept, f"{r.rows_kept:,}")]
    bars += [(t("dropped", reason=reason), n, f"{n:,}") for reason, n in r.dropped.items()]
    if r.duplicates:
        bars.append((t("duplicates"), r.duplicates, f"{r.duplicates:,}"))
    body.append(_h3(t("quality_rows")))
    body.append(_figure(_bars("quality-rows", bars, scale_max=max(r.rows_read, 1))))
    if r.dropped:
        rows = [{"reason": reason, "count": n,
                 "examples": "; ".join(f"{row}, {col}, {val!r}" for row, col, val in r.examples.get(reason, []))}
                for reason, n in r.dropped.items()]
        body.append(_table("quality.dropped", rows, [_Col("reason", t("reason")),
                                                     _Col("count", t("count"), "int"),
                                                     _Col("examples", t("examples"))]))
    if r.repaired:
        body.append(_h3(t("repaired")))
        body.append(_table("quality.repaired", [{"reason": k, "count": v} for k, v in r.repaired.items()],
                           [_Col("reason", t("reason")), _Col("count", t("count"), "int")]))
    body.append(_h3(t("mapping")))
    body.append(_table("quality.mapping", [{"canonical": k, "column": v} for k, v in r.mapping.items()],
                       [_Col("canonical", t("canonical")), _Col("column", t("column"))]))
    if ctx.log.attributes:
        body.append(_note(f"{t('attributes')}: " + ", ".join(map(str, ctx.log.attributes))))
    for note in r.notes:
        body.append(_note(note))
    body.append(_same(ctx, ctx.command("info")))
    numbers = {"rows_read": r.rows_read, "rows_kept": r.rows_kept, "rows_dropped": r.rows_dropped,
               "duplicates": r.duplicates, "dropped": dict(r.dropped)}
    return Section("quality", t("quality"), "".join(body), numbers=numbers)


def _map(ctx: _Context) -> Section:
    from procmine.discover import discover_map

    t = ctx.t
    pmap = discover_map(ctx.log)
    figure = _safe_figure(ctx, lambda: _map_svg(pmap, Path(ctx.log_name).name), t("map_caption"))
    edges = pmap.edges
    inner = edges[edges["median"].notna()] if "median" in edges.columns else edges
    inner = inner.sort_values(["count", "source", "target"], ascending=[False, True, True],
                              kind="stable")
    cols = [_Col("source", t("source_act")), _Col("target", t("target_act")),
            _Col("count", t("count"), "int"), _Col("cases", t("cases"), "int"),
            _Col("median", t("wait_median_clock"), "dur")]
    table = _h3(t("map_table")) + _table("map.edges", _records(inner), cols, limit=25, ctx=ctx,
                                          more=ctx.command("map", "--json"))
    # a map narrower than half the page sits beside its table, a wider one above it
    width = re.search(r'<svg[^>]* width="([0-9.]+)pt"', figure)
    body = [_pair(figure, table) if width and float(width.group(1)) <= 520 else figure + table]
    for note in getattr(pmap, "notes", ()):
        body.append(_note(note))
    body.append(_same(ctx, ctx.command("map", "-o", "map.svg")))
    return Section("map", t("map"), "".join(body),
                   numbers={"activities": len(pmap.nodes), "paths": pmap.paths_total})


def _map_svg(pmap: Any, title: str) -> str:
    from procmine.render import render_map, to_svg

    return _clean_svg(to_svg(render_map(pmap, title=title)), "map")


def _model(ctx: _Context) -> Section:
    from procmine.discover import discover_model

    t = ctx.t
    found = discover_model(ctx.log)
    q = found.quality
    body = []
    numbers: dict[str, Any] = {"algorithm": found.model.algorithm,
                               "transitions": found.model.n_transitions,
                               "places": found.model.n_places}
    if q is not None:
        measures = ("fitness", "precision", "generalization", "simplicity", "fitting_cases")
        body.append(_cards("model", [(m, t(m), getattr(q, m), "pct" if m == "fitting_cases" else "ratio")
                                     for m in measures]))
        numbers.update({m: getattr(q, m) for m in measures})
    body.append(_safe_figure(ctx, lambda: _model_svg(found.model), t("model_caption")))
    if q is not None:
        lang = 0 if ctx.lang == "zh" else 1
        rows = [{"measure": t(m), "value": getattr(q, m), "meaning": _QUALITY_MEANING[m][lang]}
                for m in ("fitness", "precision", "generalization", "simplicity")]
        body.append(_table("model.quality", rows, [_Col("measure", t("measure")),
                                                   _Col("value", t("value"), "ratio"),
                                                   _Col("meaning", t("meaning"))]))
    body.append(_same(ctx, ctx.command("discover")))
    return Section("model", t("model"), "".join(body), numbers=numbers)


def _model_svg(model: Any) -> str:
    from procmine.render import render_model, to_svg

    return _clean_svg(to_svg(render_model(model)), "model")


def _conformance(ctx: _Context) -> Section:
    from procmine.conform import check_conformance, deviation_overlay
    from procmine.workflow import workflow_dot

    t = ctx.t
    result = check_conformance(ctx.log, ctx.workflow)
    items = [("fitness", t("fitness"), result.fitness, "ratio")]
    if result.precision is not None:
        items.append(("precision", t("precision"), result.precision, "ratio"))
    fitting = getattr(result, "fitting_cases", None)
    if fitting is not None:
        items.append(("fitting_cases", t("fitting_cases"), fitting, "int"))
    items += [("conforming_cases", t("conforming"), result.conforming_cases, "int"),
              ("conforming_share", t("conforming_share"), result.conforming_share, "pct")]
    body = [_cards("conformance", items)]
    body.append(_safe_figure(ctx, lambda: _graphviz_svg(
        workflow_dot(ctx.workflow, overlay=deviation_overlay(result)), "conformance"),
        t("conf_caption")))
    rows = [{"text": getattr(d, "label", None) or d.text, "kind": d.kind, "cases": d.cases,
             "share": d.share,
             "units": ", ".join(f"{u} ({n:,})" for u, n in d.units)} for d in result.deviations]
    if rows:
        body.append(_h3(t("deviations")))
        body.append(_table("conformance.deviations", rows,
                           [_Col("text", t("deviation")), _Col("kind", t("kind")),
                            _Col("cases", t("cases"), "int"), _Col("share", t("share"), "pct"),
                            _Col("units", t("where"))], limit=20, ctx=ctx,
                           more=ctx.command("conform", "--workflow", ctx.workflow_path or "FILE", "--json")))
    for note in result.notes:
        body.append(_note(note))
    body.append(_same(ctx, ctx.command("conform", "--workflow",
                                       _shell_quote(ctx.workflow_path or "FILE"))))
    numbers = {"fitness": result.fitness, "precision": result.precision, "fitting_cases": fitting,
               "conforming_cases": result.conforming_cases, "cases": result.cases,
               "method": result.method}
    return Section("conformance", t("conformance"), "".join(body), numbers=numbers)


def _bottlenecks(ctx: _Context) -> Section:
    from procmine.bottlenecks import find_bottlenecks

    t = ctx.t
    result = find_bottlenecks(ctx.log, calendar=ctx.calendar, workflow=ctx.workflow)
    dur = "wdur" if result.time_basis == "working" else "dur"
    basis = t("working_hours") if result.time_basis == "working" else t("clock_time")
    items = [("total_wait", f"{t('total_wait')} ({basis})", result.total_wait, dur)]
    dl = result.deadlines
    numbers: dict[str, Any] = {"total_wait": result.total_wait, "time_basis": result.time_basis}
    if len(result.transitions):
        first = result.transitions.iloc[0]
        numbers["top_transition"] = (f"{first['source']} → {first['target']}", float(first["share"]))
    if dl is not None:
        s = dl.summary()
        items += [("on_time_rate", t("on_time"), s["on_time_rate"], "pct"),
                  ("overdue", t("overdue"), s["overdue"], "int"),
                  ("overdue_median", t("overdue_median"), s["overdue_median"], dur)]
        numbers.update({f"deadlines.{k}": v for k, v in s.items()})
    body = [_cards("bottlenecks", items),
            _note(f"{t('calendar')}: {result.calendar}" +
                  (f" · {t('deadline_source')}: {dl.source}" if dl is not None else ""))]
    tr = result.transitions
    body.append(_h3(t("bars_wait")))
    body.append(_figure(_bars("bottlenecks-transitions", [
        (f"{r['source']} → {r['target']}", r["share"], f"{100 * r['share']:.1f}% · {_show(r['total'], dur)}")
        for r in _records(tr.head(12))], colour="#b3471d")))
    cols = [_Col("source", t("source_act")), _Col("target", t("target_act")),
            _Col("count", t("count"), "int"), _Col("median", t("wait_median"), dur),
            _Col("p90", t("wait_p90"), dur), _Col("total", t("wait_total"), dur),
            _Col("share", t("wait_share"), "pct")]
    body.append(_h3(t("transitions")))
    body.append(_table("bottlenecks.transitions", _records(tr), cols, limit=15, ctx=ctx,
                       more=ctx.command("bottlenecks", "--csv")))
    org = [_Col("events", t("events"), "int"), _Col("cases", t("cases"), "int"),
           _Col("wip_mean", t("wip_mean"), "float"), _Col("wip_peak", t("wip_peak"), "int"),
           _Col("wait_median", t("wait_median"), dur), _Col("wait_total", t("wait_total"), dur),
           _Col("wait_share", t("wait_share"), "pct")]
    if dl is not None:
        org += [_Col("overdue_cases", t("overdue_cases"), "int"),
                _Col("overdue_share", t("overdue_share"), "pct")]
    for key, column, frame, by in (("units", "unit", result.units, "unit"),
                                   ("levels", "level", result.levels, "level")):
        if frame is None:
            continue
        body.append(_h3(t("by_unit" if key == "units" else "by_level")))
        body.append(_table(f"bottlenecks.{key}", _records(frame), [_Col(column, t(column))] + org,
                           limit=15, ctx=ctx, more=ctx.command("bottlenecks", "--by", by, "--csv")))
    if dl is not None:
        by_cat = _records(dl.by_category)
        if by_cat:
            body.append(_h3(t("bars_ontime")))
            body.append(_figure(_bars("bottlenecks-ontime", [
                (str(r["category"]), r["on_time_rate"], f"{100 * r['on_time_rate']:.1f}% · "
                 f"{int(r['overdue_cases']):,}/{int(r['deadline_cases']):,}")
                for r in sorted(by_cat, key=lambda r: r["on_time_rate"])[:20]], colour="#3a9a5b",
                scale_max=1.0)))
            body.append(_h3(t("deadline_by_category")))
            body.append(_table("bottlenecks.deadlines_by_category", by_cat, [
                _Col("category", t("category")), _Col("deadline_cases", t("deadline_cases"), "int"),
                _Col("overdue_cases", t("overdue_cases"), "int"), _Col("on_time_rate", t("on_time"), "pct"),
                _Col("overdue_median", t("overdue_median"), dur),
                _Col("overdue_total", t("overdue_total"), dur)], limit=20, ctx=ctx,
                more=ctx.command("bottlenecks", "--json")))
        if len(dl.by_transition):
            body.append(_h3(t("overdue_by_transition")))
            body.append(_table("bottlenecks.overdue_by_transition", _records(dl.by_transition), [
                _Col("source", t("source_act")), _Col("target", t("target_act")),
                _Col("cases", t("cases"), "int"), _Col("overdue", t("overdue_total"), dur),
                _Col("share", t("share"), "pct")], limit=10, ctx=ctx,
                more=ctx.command("bottlenecks", "--json")))
    for note in result.notes:
        body.append(_note(note))
    extra = ("--workflow", _shell_quote(ctx.workflow_path)) if ctx.workflow_path else ()
    body.append(_same(ctx, ctx.command("bottlenecks", *extra),
                      ctx.command("bottlenecks", "--by", "unit", *extra)))
    return Section("bottlenecks", t("bottlenecks"), "".join(body), numbers=numbers)


def _patterns(ctx: _Context) -> Section:
    from procmine.loops import DESCRIPTIONS, find_loops, render_loops

    t = ctx.t
    aliases = getattr(ctx.workflow, "aliases", None) or None
    result = find_loops(ctx.log, calendar=ctx.calendar, aliases=aliases)
    lang = 0 if ctx.lang == "zh" else 1
    rows = []
    for r in _records(result.summary):
        key = r["pattern"]
        rows.append({**r, "name": _PATTERN_NAMES.get(key, (key, key))[lang],
                     "definition": _PATTERN_ZH.get(key, "") if lang == 0 else DESCRIPTIONS.get(key, "")})
    body = []
    if rows:
        body.append(_cards("patterns", [(r["pattern"], r["name"], r["share"], "pct") for r in rows]))
        body.append(_h3(t("bars_patterns")))
        body.append(_figure(_bars("patterns-share", [
            (r["name"], r["share"], f"{100 * r['share']:.1f}% · {int(r['cases']):,}") for r in rows],
            colour="#8e6bb8")))
    if len(result.flows) or len(result.handovers):
        body.append(_safe_figure(ctx, lambda: _file_svg(lambda p: render_loops(result, p), "patterns"),
                                 t("flows_caption")))
    if rows:
        body.append(_table("patterns.summary", rows, [
            _Col("name", t("pattern")), _Col("definition", t("definition")),
            _Col("cases", t("cases"), "int"), _Col("share", t("share"), "pct"),
            _Col("cost_s", t("time_lost"), "dur"), _Col("cost_work_s", t("time_lost_work"), "wdur"),
            _Col("mean_cost_s", t("per_case_cost"), "dur"), _Col("top_units", t("top_units")),
            _Col("top_levels", t("top_levels"))]))
    d = result.details
    if "pingpong" in d:
        p = d["pingpong"]["cases_by_units_before_sign"]
        body.append(_note(t("pingpong_detail", one=f"{p['1']:,}", two=f"{p['2']:,}", three=f"{p['3+']:,}",
                            dwell=human_duration(d["pingpong"]["median_presign_dwell_s"]),
                            work=_show(d["pingpong"]["median_presign_dwell_work_s"], "wdur"))))
    if "hugging" in d:
        h = d["hugging"]
        body.append(_note(t("hugging_detail", last=f"{100 * h['last_share']:.0f}", n=f"{h['in_last_share']:,}",
                            total=f"{h['closed_in_time']:,}", obs=_show(h["observed_share"], "pct"),
                            exp=_show(h["expected_share_if_smooth"], "pct"))))
    if "supervision" in d:
        body.append(_h3(t("supervision_gap")))
        body.append(_table("patterns.supervision", _records(d["supervision"]["by_category"]), [
            _Col("category", t("category")), _Col("supervised_cases", t("supervised"), "int"),
            _Col("supervised_median_s", t("supervised_median"), "dur"),
            _Col("ordinary_cases", t("ordinary"), "int"),
            _Col("ordinary_median_s", t("ordinary_median"), "dur"), _Col("gap_s", t("gap"), "dur")],
            limit=20, ctx=ctx, more=ctx.command("loops", "--json")))
    for pattern, why in result.skipped.items():
        body.append(_note(t("skipped_pattern", pattern=_PATTERN_NAMES.get(pattern, (pattern, pattern))[lang],
                            why=why)))
    for note in result.notes:
        body.append(_note(note))
    extra = ("--workflow", _shell_quote(ctx.workflow_path)) if ctx.workflow_path else ()
    body.append(_same(ctx, ctx.command("loops", *extra)))
    numbers = {r["pattern"]: {"cases": r["cases"], "share": r["share"]} for r in rows}
    return Section("patterns", t("patterns"), "".join(body), numbers=numbers)


def _variants(ctx: _Context) -> Section:
    from procmine.discover import variant_summary

    t = ctx.t
    summary = variant_summary(ctx.log)
    table = summary.table
    rows = _records(table)
    top10 = float(table["cumulative"].iloc[min(9, len(table) - 1)]) if len(table) else None
    body = [_cards("variants", [("count", t("variants_n"), summary.variants, "int"),
                                ("cases", t("cases"), summary.cases, "int"),
                                ("top10", t("top10"), top10, "pct")])]
    strips = [{**r, "steps": str(r["activities"]).split(" → ")} for r in rows[:15]]
    # colours in order of first appearance along the top variants: neighbouring steps differ
    order = list(dict.fromkeys(step for r in strips for step in r["steps"]))
    colours = {a: _PALETTE[i] for i, a in enumerate(order[:len(_PALETTE)])}
    body.append(_figure(_variant_strips("variants-strips", strips, colours), t("variants_caption")))
    body.append(_table("variants.table", [{**r, "variant": int(r["variant"]) + 1} for r in rows], [
        _Col("variant", t("variant"), "int"), _Col("cases", t("cases"), "int"),
        _Col("share", t("share"), "pct"), _Col("cumulative", t("cumulative"), "pct"),
        _Col("median_duration", t("median_duration"), "dur"), _Col("length", t("length"), "int"),
        _Col("activities", t("sequence"))], limit=30, ctx=ctx, more=ctx.command("variants", "--csv")))
    body.append(_same(ctx, ctx.command("variants")))
    return Section("variants", t("variants"), "".join(body),
                   numbers={"count": summary.variants, "cases": summary.cases})


_BUILDERS: dict[str, Callable[[_Context], Section]] = {
    "summary": _summary, "quality": _quality, "map": _map, "model": _model,
    "conformance": _conformance, "bottlenecks": _bottlenecks, "patterns": _patterns,
    "variants": _variants,
}


# --------------------------------------------------------------------------- page


def _asset(name: str) -> str:
    return resources.files("procmine").joinpath("templates", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _overview(ctx: _Context, sections: Sequence[Section]) -> str:
    """The headline of each section in one row of cards, for the reader in a hurry."""
    t = ctx.t
    got = {s.key: s.numbers for s in sections if not s.skipped}
    items: list[tuple[str, str, str]] = []    # (value, label, tooltip)
    if "summary" in got:
        n = got["summary"]
        items += [(_show(n["cases"], "int"), t("cases"), ""),
                  (_show(n["variants"], "int"), t("variants_n"), "")]
    if "conformance" in got:
        n = got["conformance"]
        items.append((_show(n["fitness"], "ratio"), t("fitness_workflow"), ""))
    elif "model" in got and "fitness" in got["model"]:
        items.append((_show(got["model"]["fitness"], "ratio"), t("fitness_model"), ""))
    if "bottlenecks" in got:
        n = got["bottlenecks"]
        if "deadlines.on_time_rate" in n:
            items.append((_show(n["deadlines.on_time_rate"], "pct"), t("on_time"), ""))
        if "top_transition" in n:
            name, share = n["top_transition"]
            items.append((_show(share, "pct"), t("top_wait", name=name), name))
    if got.get("patterns"):
        lang = 0 if ctx.lang == "zh" else 1
        key, top = max(got["patterns"].items(), key=lambda kv: kv[1]["share"])
        items.append((_show(top["share"], "pct"),
                      t("top_pattern", name=_PATTERN_NAMES.get(key, (key, key))[lang]), ""))
    if not items:
        return ""
    cards = "".join(f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
                    for v, k, _ in items)
    return f'<section class="overview"><div class="cards">{cards}</div></section>'


def _page(title: str, ctx: _Context, sections: Sequence[Section]) -> str:
    css, js = _asset("report.css"), _asset("report.js")
    # nothing may load from outside the file, and only our own script may run
    csp = ("default-src 'none'; style-src 'unsafe-inline'; "
           f"script-src {_csp_hash(js)}; img-src data:; font-src data:")
    toc = []
    parts = []
    for i, s in enumerate(sections, 1):
        anchor = f"sec-{s.key}"
        cls = ' class="skipped"' if s.skipped else ""
        toc.append(f'<a href="#{anchor}"{cls}>{i} {_e(s.title)}</a>')
        inner = s.body if s.body else _note(s.note or "", "note skip")
        if s.body and s.note:
            inner = _note(s.note) + inner
        parts.append(f'<details class="section" id="{anchor}" data-section="{_e(s.key)}" '
                     f'{"" if s.skipped else "open"}><summary><h2>{i} {_e(s.title)}</h2></summary>'
                     f"{inner}</details>")
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")
    meta = (f"{ctx.t('log')}: {ctx.log_name} · {ctx.n_cases:,} {ctx.t('cases')} · "
            f"{ctx.n_events:,} {ctx.t('events')} · {ctx.t('generated')} {generated} · "
            f"procmine {__version__}")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if ctx.lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="procmine {__version__}">'
        f"<title>{_e(title)}</title><style>{css}</style></head><body>"
        f'<header class="top"><div class="inner"><h1>{_e(title)}</h1><p>{_e(meta)}</p></div></header>'
        f'<nav class="toc">{"".join(toc)}<button type="button" id="toggle-all">'
        f'{_e(ctx.t("toggle"))}</button></nav>'
        f"<main>{_overview(ctx, sections)}{''.join(parts)}</main>"
        f"<footer>procmine {__version__}</footer>"
        f"<script>{js}</script></body></html>\n"
    )
