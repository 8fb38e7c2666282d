"""The page of the report: one self-contained HTML file around its sections.

``_page`` lays the sections out under a header and a table of contents, with the
headline of each section in one row of cards first (``_overview``), and inlines
the CSS and the script of ``procmine/templates`` (``_asset``, through
``importlib.resources``); a Content-Security-Policy with the script's hash
(``_csp_hash``) lets the page load nothing and run no other script.
``_page_pieces`` gives the same text in pieces, for a file written as it is made
(the explorer's data is the most of a large log's page, and is never whole in memory).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from procmine import __version__
from procmine.report.context import _Context
from procmine.report.labels import _PATTERN_NAMES
from procmine.report.markup import _e, _note, _show
from procmine.report.result import Section


def _office_now(timezone: str | None) -> str:
    """Now, in the log's office zone (``--timezone``), for the page header."""
    try:
        zone = ZoneInfo(timezone) if timezone else None
    except (KeyError, ValueError):
        zone = None
    now = datetime.now(zone) if zone else datetime.now().astimezone()
    return now.strftime("%Y-%m-%d %H:%M %z") + (f" ({timezone})" if zone else "")


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
    if any(p["cases"] for p in got.get("patterns", {}).values()):     # no card for no pattern
        lang = 0 if ctx.lang == "zh" else 1
        key, top = max(got["patterns"].items(), key=lambda kv: kv[1]["share"])
        items.append((_show(top["share"], "pct"),
                      t("top_pattern", name=_PATTERN_NAMES.get(key, (key, key))[lang]), ""))
    if got.get("audit", {}).get("official_on_time_rate") is not None:   # 数字悬浮: the two clocks
        n = got["audit"]
        items.append((_show(n["citizen_on_time_rate"], "pct"),
                      t("audit_clocks_card", official=_show(n["official_on_time_rate"], "pct"),
                        citizen=_show(n["citizen_on_time_rate"], "pct")), ""))
    items += _governance_cards(ctx, got.get("audit", {}))
    if not items:
        return ""
    cards = "".join(f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>'
                    for v, k, _ in items)
    return f'<section class="overview"><div class="cards">{cards}</div></section>'


def _governance_cards(ctx: _Context, n: dict) -> list[tuple[str, str, str]]:
    """Issue 24 for the leader: citizens against internal orders, platform work, overload."""
    t, items = ctx.t, []
    c = n.get("citizens")
    if c and c["citizen_close_s"] and c["internal_close_s"]:
        ratio = c["citizen_close_s"] / c["internal_close_s"]
        items.append((f"{ratio:.1f}×", t("audit_citizens_card",
                                         citizen=_show(c["citizen_close_s"], "wdur"),
                                         internal=_show(c["internal_close_s"], "wdur"),
                                         within=_show(c["within_category"], "float"),
                                         test=t("audit_significant" if c["significant"]
                                                else "audit_not_significant")), ""))
    b = n.get("burden")
    if b:
        items.append((_show(b["platform_per_order"], "float"),
                      t("audit_burden_card", unit=b["unit"], median=_show(b["median"], "float")),
                      b["unit"]))
    if "overload" in n:
        o = n["overload"]
        items.append((_show(o["level"], "int"), t("audit_overload_card", unit=o["unit"],
                                                  ratio=f"{o['ratio']:.1f}"), o["unit"])
                     if o else ("–", t("audit_overload_none"), ""))
    return items


def _leaders(ctx: _Context, sections: Sequence[Section]) -> str:
    """The leaders' page (领导摘要), first on the page: :mod:`procmine.report.leaders`."""
    from procmine.report.leaders import leaders_page

    return leaders_page(ctx, sections)


def _explore(ctx: _Context) -> Iterator[str]:
    """The explorer (filters, drill-down, the map with sliders): :mod:`procmine.report.explore`."""
    from procmine.report.explore import explore_pieces

    return explore_pieces(ctx)


def _page(title: str, ctx: _Context, sections: Sequence[Section]) -> str:
    """The whole page: the text of :func:`_page_pieces` joined."""
    return "".join(_page_pieces(title, ctx, sections))


def _page_pieces(title: str, ctx: _Context, sections: Sequence[Section]) -> Iterator[str]:
    """The page in pieces, in order: each is made when the one before has been taken."""
    css, js = _asset("report.css"), _asset("report.js") + _asset("report-explore.js")
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
    generated = _office_now(ctx.report.timezone)
    meta = (f"{ctx.t('log')}: {Path(ctx.log_name).name} · {ctx.n_cases:,} {ctx.t('cases')} · "
            f"{ctx.n_events:,} {ctx.t('events')} · {ctx.t('generated')} {generated} · "
            f"procmine {__version__}")
    yield (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if ctx.lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="procmine {__version__}">'
        f"<title>{_e(title)}</title><style>{css}</style></head><body>"
        f'<header class="top"><div class="inner"><h1>{_e(title)}</h1><p>{_e(meta)}</p></div></header>'
        f'<nav class="toc">{"".join(toc)}<button type="button" id="toggle-all">'
        f'{_e(ctx.t("toggle"))}</button></nav>'
        f"<main>{_leaders(ctx, sections)}{_overview(ctx, sections)}")
    yield from _explore(ctx)
    yield "".join(parts)
    yield (f"</main><footer>procmine {__version__}</footer>"
           f"<script>{js}</script></body></html>\n")
