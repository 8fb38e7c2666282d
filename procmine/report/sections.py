"""The sections of the report, each from the library call of its own command.

One builder per section (``_summary``, ``_quality``, ``_map``, ``_model``,
``_conformance``, ``_bottlenecks``, ``_patterns``, ``_variants``, by key in ``_BUILDERS``)
makes its ``Section`` from the ``_Context``: cards, charts, figures, tables, and the
command that prints the same numbers. ``_run_section`` runs one, turning a missing
module, missing columns or a calendar fallback into a note.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from procmine.errors import ProcmineError
from procmine.log import EventLog
from procmine.output import human_duration
from procmine.report.charts import _PALETTE, _bars, _columns, _variant_strips
from procmine.report.context import _Context, _shell_quote
from procmine.report.figures import _graphviz_svg, _narrow, _safe_figure
from procmine.report.labels import _PATTERN_NAMES, _PATTERN_ZH, _QUALITY_MEANING
from procmine.report.markup import (
    _cards,
    _Col,
    _figure,
    _h3,
    _note,
    _pair,
    _records,
    _same,
    _show,
    _table,
)
from procmine.report.result import Section

if TYPE_CHECKING:
    from procmine.engines import Engine


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
    from procmine.engines import as_engine

    first = as_engine(log).cases(columns=["start"])["start"]   # the engine keeps no case table
    if first.empty or as_engine(log).time_from_order:   # the order of events has no weeks
        return "week", []
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
    from procmine.engines import as_engine

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
    from procmine.i18n import say

    bars += [(t("dropped", reason=say(reason, ctx.lang)), n, f"{n:,}") for reason, n in r.dropped.items()]
    if r.duplicates:
        bars.append((t("duplicates"), r.duplicates, f"{r.duplicates:,}"))
    body.append(_h3(t("quality_rows")))
    body.append(_figure(_bars("quality-rows", bars, scale_max=max(r.rows_read, 1))))
    if r.dropped:
        rows = [{"reason": say(reason, ctx.lang), "count": n,
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
    attributes = as_engine(ctx.log).attributes
    if attributes:
        body.append(_note(f"{t('attributes')}: " + ", ".join(map(str, attributes))))
    for note in r.notes:
        body.append(_note(note))
    body += _filters(ctx)
    body.append(_same(ctx, ctx.command("info")))
    numbers = {"rows_read": r.rows_read, "rows_kept": r.rows_kept, "rows_dropped": r.rows_dropped,
               "duplicates": r.duplicates, "dropped": dict(r.dropped)}
    return Section("quality", t("quality"), "".join(body), numbers=numbers)


def _filters(ctx: _Context) -> list[str]:
    """The filters applied before the report, with what each kept (nothing without filters)."""
    done = ctx.filters
    if done is None or not done.steps:
        return []
    t = ctx.t
    (cases, events), last = done.before, done.steps[-1]
    rows = [{"filter": s.filter, "cases": s.cases, "events": s.events} for s in done.steps]
    return [_h3(t("filters")),
            _note(t("filters_note", cases=cases, events=events, kept_cases=last.cases,
                    kept_events=last.events)),
            _table("quality.filters", rows, [_Col("filter", t("filter")),
                                             _Col("cases", t("cases"), "int"),
                                             _Col("events", t("events"), "int")])]


def _map(ctx: _Context) -> Section:
    from procmine.discover import discover_map

    t = ctx.t
    pmap = discover_map(ctx.log)
    ctx.results["map"] = pmap
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
    for note in [*getattr(pmap, "notes", ()), *([pmap.note] if pmap.note else [])]:
        body.append(_note(note))
    body.append(_same(ctx, ctx.command("map", "-o", "map.svg")))
    return Section("map", t("map"), "".join(body),
                   numbers={"activities": len(pmap.nodes), "paths": pmap.paths_total})


def _map_svg(pmap: Any, title: str) -> str:
    from procmine.render import render_map

    return _graphviz_svg(render_map(pmap, title=title), "map")


def _model(ctx: _Context) -> Section:
    from procmine.discover import discover_model

    t = ctx.t
    found = discover_model(ctx.log)
    ctx.results["model"] = found
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
    if found.note:
        body.append(_note(found.note))
    body.append(_same(ctx, ctx.command("discover")))
    return Section("model", t("model"), "".join(body), numbers=numbers)


def _model_svg(model: Any) -> str:
    from procmine.render import render_model

    return _graphviz_svg(render_model(model), "model")


def _conformance(ctx: _Context) -> Section:
    from procmine.conform import check_conformance
    from procmine.render import render_conformance

    t = ctx.t
    result = check_conformance(ctx.log, ctx.workflow)
    ctx.results["conformance"] = result
    items = [("fitness", t("fitness"), result.fitness, "ratio")]
    if result.precision is not None:
        items.append(("precision", t("precision"), result.precision, "ratio"))
    fitting = getattr(result, "fitting_cases", None)
    if fitting is not None:
        items.append(("fitting_cases", t("fitting_cases"), fitting, "int"))
    items += [("conforming_cases", t("conforming"), result.conforming_cases, "int"),
              ("conforming_share", t("conforming_share"), result.conforming_share, "pct")]
    body = [_cards("conformance", items)]
    figure = _safe_figure(ctx, lambda: _graphviz_svg(
        render_conformance(result, ctx.workflow, notation="bpmn"), "conformance"), t("conf_caption"))
    from procmine.report.deviations import KINDS, conform_note, deviation_text

    rows = [{"text": deviation_text(d, ctx.lang), "kind": d.kind, "cases": d.cases, "share": d.share,
             "units": ", ".join(f"{u} ({n:,})" for u, n in d.units)} for d in result.deviations]
    table = "" if not rows else _h3(t("deviations")) + _table(
        "conformance.deviations", rows,
        [_Col("text", t("deviation")), _Col("kind", t("kind"), names={k: v[0 if ctx.lang == "zh" else 1]
                                                               for k, v in KINDS.items()}),
         _Col("cases", t("cases"), "int"), _Col("share", t("share"), "pct"), _Col("units", t("where"))],
        limit=20, ctx=ctx, more=ctx.command("conform", "--workflow", ctx.workflow_path or "FILE", "--json"))
    # a drawing laid out top down, narrower than 60% of the page, sits beside its table
    narrow = _narrow(figure) if table else None
    body.append(figure + table if narrow is None else _pair(figure, table, left_width=narrow))
    for note in result.notes:
        body.append(_note(conform_note(note, result, t)))
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
    ctx.results["bottlenecks"] = result
    if result.deadlines is not None:   # the leaders' page needs each case's verdict
        from procmine.report.cases import deadline_verdicts

        ctx.results["deadline_verdicts"] = deadline_verdicts(result.deadlines)
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
    line = (f"{t('calendar')}: {result.calendar}" +
            (f" · {t('deadline_source')}: {dl.source}" if dl is not None else ""))
    if ctx.lang == "zh":
        from procmine.report.drawing_words import calendar_in_chinese

        line = calendar_in_chinese(line)
    body = [_cards("bottlenecks", items), _note(line)]
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
    from procmine.loops import DESCRIPTIONS, find_loops
    from procmine.render import render_loops

    t = ctx.t
    aliases = getattr(ctx.workflow, "aliases", None) or None
    result = find_loops(ctx.log, calendar=ctx.calendar, aliases=aliases)
    ctx.results["patterns"] = result
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
        body.append(_safe_figure(ctx, lambda: _graphviz_svg(render_loops(result), "patterns"),
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
                            dwell=human_duration(d["pingpong"]["median_presign_dwell_s"], lang=ctx.lang),
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
    "variants": _variants, "audit": lambda ctx: _audit_section(ctx),
}


def _audit_section(ctx: _Context) -> Section:
    from procmine.report.audit_section import audit_section

    return audit_section(ctx)


def _run_section(name: str, ctx: _Context) -> Section:
    """Compute one section; a missing module or a log without the needed columns gives a
    note, and so do the years its calendar counted with weekends only (no holiday data):
    every such year this section's figures used, whatever other sections counted before."""
    from procmine.calendar import CalendarFallbackWarning, fallback_years
    from procmine.calendar.days import year_ranges

    title = ctx.t(name)
    try:
        # the years come from the calendar, not its warnings: a calendar warns once per
        # year, and a warning can be lost to another thread's warning filters
        with warnings.catch_warnings(record=True) as caught, fallback_years() as years:
            warnings.simplefilter("ignore", CalendarFallbackWarning)
            section = _BUILDERS[name](ctx)
        if years and name != "bottlenecks":      # bottlenecks says it in its calendar line
            note = ctx.t("calendar_fallback", years=year_ranges(years))
            section = Section(section.key, section.title, section.body,
                              note=f"{section.note} {note}" if section.note else note,
                              numbers=section.numbers)
        for w in caught:
            if not issubclass(w.category, CalendarFallbackWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return section
    except ModuleNotFoundError as e:
        module = (e.name or "").removeprefix("procmine.")
        if not (e.name or "").startswith("procmine"):
            raise
        return Section(name, title, "", note=ctx.t("missing_module", module=module))
    except ProcmineError as e:
        return Section(name, title, "", note=ctx.t("cannot", why=str(e)))
