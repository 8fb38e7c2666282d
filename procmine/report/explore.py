"""The report's explorer: filters, drill-down and a map with sliders, in the one offline file.

The page embeds aggregates, not events: one row per case, column by column and
coded as small integers (period, category, source, handling unit, variant,
duration in hours, on-time verdict, loop patterns as bits), the variants as
sequences of activity codes, and where Graphviz puts each activity. The
script ``procmine/templates/report-explore.js`` filters the cases, recomputes
the explorer's cards, charts and tables from them, lists the cases of a unit,
an activity or a pattern, shows a case's steps, and draws the map (only the
activities and paths the sliders keep, as Disco does). A log of at most
:data:`MAX_TIMED_EVENTS` events also embeds each case's step times (minutes from
its start), for the case timeline.

``explore_block(ctx)`` gives the HTML block (``<section class="explore">``
with the data as JSON in a hidden ``<textarea>``, which runs nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.log import CASE, TIMESTAMP
from procmine.report.cases import case_facts, lookup
from procmine.report.labels import _PATTERN_NAMES
from procmine.report.markup import _e

if TYPE_CHECKING:
    from procmine.report.context import _Context

#: logs up to this many events also carry each case's step times
MAX_TIMED_EVENTS = 60_000
#: cases per piece of the page's JSON (:class:`_Column`)
CHUNK = 1 << 16
#: the words the explorer's script shows, by key (taken from the labels in the page's language)
_UI = ("ex_title", "ex_period", "ex_category", "ex_source", "ex_unit", "ex_all", "ex_reset",
       "ex_cases", "ex_median", "ex_on_time", "ex_by_period", "ex_by_unit", "ex_by_category",
       "ex_variants", "ex_patterns", "ex_case_list", "ex_timeline", "ex_map", "ex_activities_kept",
       "ex_paths_kept", "ex_click", "ex_no_times", "ex_share", "ex_count", "ex_name", "ex_steps",
       "ex_from", "ex_to", "ex_more", "ex_duration", "ex_pattern", "ex_activity", "ex_case")


def _period_labels(start: pd.Series) -> tuple[str, list[str], np.ndarray]:
    """Weeks (up to 60), months (up to 180) or years of each case's start: the
    period's kind, its labels in order and each case's index into them. On integer
    days, one kind of period at a time: no Python object per case."""
    local = start.dt.tz_localize(None) if start.dt.tz is not None else start
    day = local.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    for kind, fmt, most in (("week", "%Y-%m-%d", 60), ("month", "%Y-%m", 180), ("year", "%Y", None)):
        first = _period_starts(kind, day)
        labels = np.unique(first[~np.isnat(first)])
        if most is None or len(labels) <= most:
            return kind, [f"{pd.Timestamp(x):{fmt}}" for x in labels], np.searchsorted(labels, first)
    raise AssertionError("the yearly labels always return")


def _period_starts(kind: str, day: np.ndarray) -> np.ndarray:
    """The first day of the week (Monday), month or year of each day (NaT stays NaT), in ns."""
    if kind == "week":
        days = day.astype(np.int64)
        monday = (days - (days + 3) % 7).astype("datetime64[D]")   # 1970-01-01 was a Thursday
        first = np.where(np.isnat(day), np.datetime64("NaT", "D"), monday)
    else:
        first = day.astype("datetime64[M]" if kind == "month" else "datetime64[Y]")
    return first.astype("datetime64[ns]")


def _codes(values: pd.Series) -> tuple[list[str], np.ndarray]:
    """Names by frequency (most first) and each row's code; -1 for a missing value."""
    present = values.notna().to_numpy()
    text = values[present].astype(str)
    names = text.value_counts().index.tolist()
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[present] = lookup(text, pd.Index(names, dtype=object))
    return names, codes


class _Column:
    """One column of the explorer's cases, kept as an array until it is written: the
    page's JSON is made :data:`CHUNK` rows at a time (``convert`` gives the JSON values
    of a slice), never as a Python list of every case."""

    def __init__(self, values: Any, convert: Any = None):
        self.values, self.convert = values, convert or (lambda part: part.tolist())

    def json_pieces(self) -> Iterator[str]:
        yield "["
        for start in range(0, len(self.values), CHUNK):
            text = _json(self.convert(self.values[start:start + CHUNK]))[1:-1]
            yield text if not start else "," + text
        yield "]"


def _step_times(ctx: _Context, cases: pd.Series) -> list[list[int]] | None:
    """Minutes from each case's first step to each of its steps (in the case table's order)."""
    from procmine.engines import as_engine
    from procmine.engines.collector import log_parts

    if ctx.n_events > MAX_TIMED_EVENTS:
        return None
    # within the limit; the two columns alone (the text of no other column is made)
    parts = [pd.DataFrame({CASE: p.column(CASE), TIMESTAMP: p.column(TIMESTAMP)})
             for p in log_parts(as_engine(ctx.log))]
    events = pd.concat(parts) if parts else pd.DataFrame(columns=[CASE, TIMESTAMP])
    first = events.groupby(CASE, sort=False)[TIMESTAMP].transform("min")
    minutes = ((events[TIMESTAMP] - first).dt.total_seconds() // 60).astype(int)
    by_case = minutes.groupby(events[CASE].astype(str), sort=False).agg(list)
    return [by_case.get(c, []) for c in cases]


def explorer_data(ctx: _Context) -> dict[str, Any]:
    """What the explorer's script works from (see the module docstring)."""
    from procmine.engines import as_engine
    from procmine.render.map import map_layout

    facts = case_facts(ctx)
    lang = 0 if ctx.lang == "zh" else 1
    period, periods, period_code = _period_labels(facts["start"])
    variants = as_engine(ctx.log).variants().table.sort_values("variant")
    activities = sorted({a for seq in variants["activities"] for a in seq})
    act = {a: i for i, a in enumerate(activities)}
    sequences = [[act[a] for a in seq] for seq in variants["activities"]]
    pairs: dict[tuple[str, str], float] = {}
    for seq, n in zip(variants["activities"], variants["cases"], strict=True):
        for a, b in zip(seq, seq[1:], strict=False):
            pairs[(a, b)] = pairs.get((a, b), 0) + n
    layout = map_layout(activities, [(a, b, n) for (a, b), n in pairs.items()])
    # a pattern no case of the log shows gets no card and no row ("0 · 0.0%" says nothing)
    patterns = [p for p in (ctx.results["patterns"].summary["pattern"]
                            if "patterns" in ctx.results else []) if p in facts and facts[p].any()]
    flags = np.zeros(len(facts), dtype=np.int64)
    for bit, p in enumerate(patterns):
        flags |= facts[p].to_numpy(dtype=bool).astype(np.int64) << bit
    dims = {}
    columns: dict[str, _Column] = {"id": _Column(facts["case"]), "p": _Column(period_code)}
    for key, column in (("c", "category"), ("s", "source"), ("u", "unit")):
        dims[key], codes = _codes(facts[column])
        columns[key] = _Column(codes)
    on_time = np.full(len(facts), -1, dtype=np.int64)      # -1: no verdict
    if "on_time" in facts:
        known = facts["on_time"].notna().to_numpy()
        on_time[known] = facts["on_time"][known].astype(bool).to_numpy(dtype=np.int64)
    columns.update({
        "v": _Column(facts["variant"].to_numpy()),
        "d": _Column(facts["duration"].to_numpy(dtype=float) / 3600,
                     lambda part: [None if x != x else round(x, 2) for x in part.tolist()]),
        "o": _Column(on_time), "f": _Column(flags)})
    times = _step_times(ctx, facts["case"])
    return {
        "lang": ctx.lang, "period": period, "periods": periods, "dims": dims,
        "activities": activities, "variants": sequences, "patterns": patterns,
        "patternNames": [_PATTERN_NAMES.get(p, (p, p))[lang] for p in patterns],
        "layout": [layout.get(a, (0.0, 0.0)) for a in activities],
        "cases": columns, "times": times, "words": {k: ctx.t(k) for k in _UI}}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _json_pieces(value: Any) -> Iterator[str]:
    """The compact JSON of ``value`` (dicts, lists, numbers, text and :class:`_Column`),
    piece by piece: the same text as ``json.dumps`` of the lists the columns stand for."""
    if isinstance(value, _Column):
        yield from value.json_pieces()
    elif isinstance(value, dict) and any(isinstance(v, (_Column, dict)) for v in value.values()):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + _json(key) + ":"
            yield from _json_pieces(item)
        yield "}"
    else:
        yield _json(value)


def _json_in_html(data: Any) -> str:
    """JSON as the text of a hidden ``<textarea>`` (raw text: only ``&`` and ``<`` need
    escaping, and the page keeps a single script), made piece by piece."""
    return "".join(_json_in_html_pieces(data))


def _json_in_html_pieces(data: Any) -> Iterator[str]:
    return (piece.replace("&", "&amp;").replace("<", "&lt;") for piece in _json_pieces(data))


def explore_block(ctx: _Context) -> str:
    """The explorer's section: its frame, filled in by the script from the embedded data."""
    return "".join(explore_pieces(ctx))


def explore_pieces(ctx: _Context) -> Iterator[str]:
    """:func:`explore_block` in pieces: the frame, the data a few cases at a time, the end."""
    t = ctx.t
    data = explorer_data(ctx)
    selects = "".join(
        f'<label>{_e(t(label))} <select id="ex-{key}" data-dim="{key}"></select></label>'
        for key, label in (("c", "ex_category"), ("s", "ex_source"), ("u", "ex_unit")))
    period = (f'<label>{_e(t("ex_from"))} <select id="ex-from"></select></label>'
              f'<label>{_e(t("ex_to"))} <select id="ex-to"></select></label>')
    sliders = (f'<label>{_e(t("ex_activities_kept"))} <input type="range" id="ex-acts" min="1" '
               f'max="100" value="100"> <output id="ex-acts-out"></output></label>'
               f'<label>{_e(t("ex_paths_kept"))} <input type="range" id="ex-paths" min="1" '
               f'max="100" value="100"> <output id="ex-paths-out"></output></label>')
    yield (
        f'<section class="explore" id="explore"><h2>{_e(t("ex_title"))}</h2>'
        f'<div class="filters">{period}{selects}<button type="button" id="ex-reset">'
        f'{_e(t("ex_reset"))}</button></div>'
        '<div class="cards" id="ex-cards"></div>'
        '<div class="ex-grid"><div id="ex-periods"></div><div id="ex-patterns"></div></div>'
        '<div class="ex-grid"><div id="ex-units"></div><div id="ex-categories"></div></div>'
        f'<h3>{_e(t("ex_map"))}</h3><div class="sliders">{sliders}</div>'
        '<div class="scroll" id="ex-map"></div>'
        '<div id="ex-variants"></div>'
        '<div class="ex-grid"><div id="ex-list"></div><div id="ex-timeline"></div></div>'
        f'<p class="note">{_e(t("ex_click"))}</p>'
        '<textarea hidden readonly id="explore-data">')
    yield from _json_in_html_pieces(data)
    yield "</textarea></section>"
