"""The report's own charts, drawn as inline SVG without any library.

``_bars`` draws a horizontal bar chart, ``_columns`` a column chart over time and
``_variant_strips`` each variant as a strip of coloured boxes, one per step, in
the colours of ``_PALETTE``; ``_text_width`` estimates how wide a label renders
(CJK glyphs are square) and ``_clip`` shortens it to fit. Every label is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from procmine.report.labels import _CJK
from procmine.report.markup import _e

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
    """A column chart over time: (label, value); as many x-axis labels as fit side by side."""
    if not items:
        return ""
    left, bottom, top = 44, 34, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(v for _, v in items) or 1
    # a few columns are as wide as their labels, so that each keeps its label
    widest = max(_text_width(label) for label, _ in items) + _TICK_GAP
    step = min(plot_w / len(items), max(48.0, widest))
    parts = [f'<svg class="chart" data-figure="{_e(name)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#aab3bf"/>',
             f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" class="muted">{peak:,.0f}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="muted">0</text>']
    for i, (label, value) in enumerate(items):
        h = plot_h * value / peak
        x = left + i * step
        parts.append(f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.8:.1f}" '
                     f'height="{h:.1f}" fill="{colour}"><title>{_e(label)}: {value:,.0f}</title></rect>')
    for i in _tick_indices([label for label, _ in items], step, left=left, width=width):
        parts.append(f'<text x="{left + (i + 0.5) * step:.1f}" y="{height - 12}" text-anchor="middle" '
                     f'class="muted">{_e(items[i][0])}</text>')
    parts.append("</svg>")
    return "".join(parts)


#: pixels between two neighbouring x-axis labels
_TICK_GAP = 10.0

#: the label steps a time axis may take: every column, every 2nd, 3rd, ... (weeks and
#: months both read well in these)
_TICK_STEPS = (1, 2, 3, 4, 6, 12, 24, 36, 48, 60, 120, 240, 480)


def _tick_indices(labels: Sequence[str], step: float, *, left: float, width: float,
                  gap: float = _TICK_GAP, size: float = 12) -> list[int]:
    """The columns that get an x-axis label: every k-th one, k the smallest of
    :data:`_TICK_STEPS` that leaves ``gap`` pixels between neighbouring labels (centred
    under their columns), and none that would stick out of the chart's sides."""
    widest = max(_text_width(label, size) for label in labels)
    every = next((k for k in _TICK_STEPS if k * step >= widest + gap), len(labels))
    out = []
    for i in range(0, len(labels), every):
        centre, half = left + (i + 0.5) * step, _text_width(labels[i], size) / 2
        if centre - half >= 0 and centre + half <= width:
            out.append(i)
    return out


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
