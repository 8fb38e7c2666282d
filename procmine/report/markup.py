"""The HTML pieces of the report: escaped text, values as read, tables, cards, notes.

``_e`` escapes every value that lands in the page; ``_raw`` gives the machine
value of a cell (``data-value``) and ``_show`` the text a person reads for a
value of a kind (``int``, ``ratio``, ``pct``, ``dur``, ``wdur``, ``float``,
``time``, ``text``). ``_table`` makes a sortable table, one column per ``_Col``,
``_cards`` the headline figures, and ``_h3``, ``_note``, ``_same``, ``_figure``
and ``_pair`` are the small pieces every section is made of.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procmine.output import human_duration
from procmine.report.context import _Context

#: the language durations are written in (``build_report`` sets it for the page it builds)
_LANG: ContextVar[str] = ContextVar("report_lang", default="en")


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
        return f"{seconds / 3600:,.1f}" + (" 工作小时" if _LANG.get() == "zh" else " h")
    return human_duration(seconds, lang=_LANG.get())


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
        return human_duration(float(value), lang=_LANG.get())
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
    #: the text a person reads for a raw value, when it is not the raw value (a code's name)
    names: Mapping[str, str] | None = None


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
                         f"{_e(c.names.get(value, value) if c.names else _show(value, c.kind))}</td>")
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


def _pair(left: str, right: str, *, left_width: float | None = None) -> str:
    """A figure and its table side by side on a wide screen, one above the other otherwise;
    ``left_width``: the figure that wide (CSS pixels, its drawing's), the table in the rest."""
    if left_width is None:
        return f'<div class="pair"><div>{left}</div><div>{right}</div></div>'
    return (f'<div class="pair snug" style="--left: {left_width:.0f}px"><div>{left}</div>'
            f'<div>{right}</div></div>')
