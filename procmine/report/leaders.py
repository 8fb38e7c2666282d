"""The leaders' page (领导摘要): five to eight findings in plain words, first in the report.

Every finding comes from a result a section already computed (bottlenecks,
patterns, conformance, audit) and the per-case table of
:mod:`procmine.report.cases`; each is one sentence with its number, a comparison
(the first half of the log's period against the second, or the log against the
workflow, or one clock against the other) and where it happens (unit, category).

The ranking rule: a finding weighs the share of all cases it concerns (overdue
cases, cases with a pattern, cases off the workflow, repeated demands, first
dispatches to the wrong unit, cases with the second most common end, cases off
the five most common paths); the two longest waits weigh their share of all
waiting time, the two clocks their gap, the volume and duration their relative
change between the halves. A finding of weight 0, or without data, is left out (nothing to say);
the rest are sorted by weight, heaviest first, at most eight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from procmine.output import human_duration
from procmine.report.cases import case_facts
from procmine.report.context import _Context
from procmine.report.labels import _PATTERN_NAMES
from procmine.report.markup import _e, _show
from procmine.report.result import Section

MAX_FINDINGS = 8
#: the inductive miner's noise threshold for the leaders' BPMN drawing
LEADERS_NOISE = 0.2


@dataclass(frozen=True)
class Finding:
    """One sentence of the leaders' page: ``key`` names its kind, ``weight`` ranks it,
    ``value`` is its headline number (as ``data-value``) and ``text`` the sentence."""

    key: str
    weight: float
    value: float
    text: str


def _pct(x: Any) -> str:
    return "—" if x is None or pd.isna(x) else f"{100 * float(x):.1f}%"


def _halves(ctx: _Context, values: pd.Series) -> tuple[float, float]:
    """The mean of a per-case value (aligned with :func:`case_facts`) in each half."""
    facts = case_facts(ctx)
    frame = pd.DataFrame({"half": facts["half"].to_numpy(), "v": values.to_numpy(dtype=float)})
    means = frame.dropna().groupby("half")["v"].mean()
    return float(means.get(0, float("nan"))), float(means.get(1, float("nan")))


def _count_in_words(text: str, lang: str) -> str:
    """``城管中队 (25)`` as ``城管中队（25 件）`` in Chinese, ``城管中队 (25)`` in English."""
    name, _, n = text.rpartition(" (")
    if lang != "zh" or not name:
        return text
    return f"{name}（{n.rstrip(')')} 件）"


def _big_enough(n: pd.Series, total: int) -> pd.Series:
    """Groups large enough to name: at least 2% of the cases and 10 of them."""
    return n >= max(10, 0.02 * total)


def _on_time(ctx: _Context) -> Finding | None:
    b = ctx.results.get("bottlenecks")
    dl = getattr(b, "deadlines", None)
    facts = case_facts(ctx)
    if dl is None or not dl.n_cases or "on_time" not in facts:
        return None
    first, second = _halves(ctx, facts["on_time"].astype(float))
    # the handling unit of each overdue case (every unit a case passed would name the centre)
    by_unit = facts.loc[facts["on_time"].eq(False), "unit"].value_counts()
    cats = dl.by_category[_big_enough(dl.by_category["deadline_cases"], dl.n_cases)]
    cats = cats.sort_values("on_time_rate", kind="stable")
    if not len(by_unit) or not len(cats) or not dl.n_overdue:
        return None
    text = ctx.t("lead_on_time", rate=_pct(dl.on_time_rate), overdue=f"{dl.n_overdue:,}",
                 first=_pct(first), second=_pct(second),
                 unit=by_unit.index[0], unit_n=f"{int(by_unit.iloc[0]):,}",
                 cat=cats.iloc[0]["category"], cat_rate=_pct(cats.iloc[0]["on_time_rate"]))
    return Finding("on_time", dl.n_overdue / dl.n_cases, dl.on_time_rate, text)


def _patterns(ctx: _Context) -> list[Finding]:
    loops = ctx.results.get("patterns")
    if loops is None:
        return []
    facts = case_facts(ctx)
    lang = 0 if ctx.lang == "zh" else 1
    found = []
    for row in loops.summary.to_dict(orient="records"):
        key = row["pattern"]
        if not row["cases"] or key not in facts:
            continue
        first, second = _halves(ctx, facts[key].astype(float))
        units = [_count_in_words(u, ctx.lang) for u in str(row.get("top_units") or "").split(", ")[:2]]
        name = _PATTERN_NAMES.get(key, (key, key))[lang]
        text = ctx.t("lead_pattern", name=name[:1].upper() + name[1:],    # it opens the sentence
                     n=f"{int(row['cases']):,}", share=_pct(row["share"]), first=_pct(first),
                     second=_pct(second),
                     where=ctx.t("lead_pattern_where", units=("、" if lang == 0 else ", ").join(units))
                     if units != [""] else "")
        found.append(Finding(f"pattern.{key}", float(row["share"]), float(row["share"]), text))
    return found


def _wait(ctx: _Context) -> list[Finding]:
    """The step with most waiting time and, when it also holds a tenth of it, the next
    (waits for a follow-up step left aside)."""
    b = ctx.results.get("bottlenecks")
    if b is None or not len(b.transitions) or not b.total_wait:
        return []
    kind = "wdur" if b.time_basis == "working" else "dur"
    where = ""
    if b.units is not None:           # a log without a unit column has no unit to name
        units = b.units[b.units["wait_share"] >= 0.01].sort_values("wait_share", ascending=False,
                                                                     kind="stable")
        if len(units):
            where = ctx.t("lead_wait_unit", unit=units.iloc[0]["unit"],
                          share=_pct(units.iloc[0]["wait_share"]))
    from procmine.vocabulary import is_followup

    # a wait for a follow-up step (回访 after 结案) is no citizen waiting for the service
    steps = b.transitions
    followup = is_followup(set(steps["target"]), getattr(ctx.workflow, "aliases", None) or None)
    steps = steps[~steps["target"].map(followup).astype(bool)]
    found = []
    for rank, top in enumerate(steps.head(2).to_dict(orient="records")):
        if rank and top["share"] < 0.1:
            break
        values = {"step": f"{top['source']} → {top['target']}", "share": _pct(top["share"]),
                  "median": _show(top["median"], kind)}
        text = (ctx.t("lead_wait", where=where, **values) if not rank else
                ctx.t("lead_wait_next", cases=_pct(top["cases"] / ctx.n_cases), **values))
        found.append(Finding("wait" if not rank else "wait.next", float(top["share"]),
                             float(top["share"]), text))
    return found


def _case_ends(ctx: _Context) -> pd.Series:
    """The step each case ends with, follow-up steps (回访, 督办: by role) left aside;
    aligned with :func:`case_facts`."""
    from procmine.engines import as_engine
    from procmine.vocabulary import is_followup

    table = as_engine(ctx.log).variants().table
    aliases = getattr(ctx.workflow, "aliases", None) or None
    followup = is_followup({a for steps in table["activities"] for a in steps}, aliases)

    def end(steps: tuple[str, ...]) -> str:
        kept = [a for a in steps if not followup.get(a)]
        return (kept or list(steps))[-1]

    last = table.set_index("variant")["activities"].map(end)
    return case_facts(ctx)["variant"].map(last)


def _where_most(ctx: _Context, flag: pd.Series, key: str) -> str:
    """Where a per-case flag is most frequent: the unit (else the category) with the
    highest share of flagged cases among those large enough to name."""
    facts = case_facts(ctx)
    for column in ("unit", "category"):
        if facts[column].notna().any():
            frame = pd.DataFrame({"g": facts[column], "f": flag.astype(float)}).dropna()
            rates = frame.groupby("g")["f"].agg(["mean", "size"])
            rates = rates[_big_enough(rates["size"], len(facts))].sort_values("mean", ascending=False,
                                                                               kind="stable")
            if len(rates) > 1:
                return ctx.t(f"{key}_{column}", name=rates.index[0], share=_pct(rates.iloc[0]["mean"]))
    return ""


def _ends(ctx: _Context) -> Finding | None:
    """How the cases end: the second most common last step, its share in each half."""
    ends = _case_ends(ctx)
    counts = ends.value_counts()
    if len(counts) < 2:
        return None
    main, other = counts.index[0], counts.index[1]
    first, second = _halves(ctx, (ends == other).astype(float))
    share = counts.iloc[1] / len(ends)
    text = ctx.t("lead_ends", share=_pct(share), n=f"{int(counts.iloc[1]):,}", end=other,
                 first=_pct(first), second=_pct(second), main=main,
                 main_share=_pct(counts.iloc[0] / len(ends)), where=_where_most(ctx, ends == other, "lead_ends_where"))
    return Finding("ends", float(share), float(share), text)


def _paths(ctx: _Context) -> Finding | None:
    """How varied the paths are: the share of cases on the five most common paths (without
    a workflow: with one, the conformance finding says how the cases depart from it)."""
    if ctx.workflow is not None:
        return None
    facts = case_facts(ctx)
    top = facts["variant"].value_counts()
    if len(top) <= 5:
        return None
    common = facts["variant"].isin(top.index[:5])
    first, second = _halves(ctx, common.astype(float))
    text = ctx.t("lead_paths", n=f"{len(top):,}", top=_pct(common.mean()), first=_pct(first),
                 second=_pct(second), main=_pct(top.iloc[0] / len(facts)),
                 where=_where_most(ctx, ~common, "lead_paths_where"))
    return Finding("paths", float(1 - common.mean()), float(common.mean()), text)


def _conformance(ctx: _Context) -> Finding | None:
    result = ctx.results.get("conformance")
    if result is None or not result.cases:
        return None
    off = result.cases - result.conforming_cases
    if not off or not result.deviations:
        return None
    d = max(result.deviations, key=lambda d: d.cases)
    from procmine.report.deviations import deviation_text

    units = "、".join(u for u, _ in d.units[:2]) if ctx.lang == "zh" else ", ".join(u for u, _ in d.units[:2])
    text = ctx.t("lead_conformance", share=_pct(off / result.cases), n=f"{off:,}",
                 dev=deviation_text(d, ctx.lang), dev_n=f"{d.cases:,}", units=units or "—")
    return Finding("conformance", off / result.cases, 1 - off / result.cases, text)


def _audit(ctx: _Context) -> list[Finding]:
    a = ctx.results.get("audit")
    if a is None:
        return []
    found = []
    if a.clocks is not None:
        s = a.clocks["summary"]
        gap = (s["official_on_time_rate"] or 0) - (s["citizen_on_time_rate"] or 0)
        by_unit = a.clocks["by_unit"]
        by_unit = by_unit[_big_enough(by_unit["cases"], a.n_cases)].sort_values("gap", ascending=False)
        if gap > 0 and len(by_unit):
            text = ctx.t("lead_clocks", citizen=_pct(s["citizen_on_time_rate"]),
                         official=_pct(s["official_on_time_rate"]), gap=f"{100 * gap:.1f}",
                         unit=by_unit.iloc[0]["unit"], unit_gap=f"{100 * by_unit.iloc[0]['gap']:.1f}")
            found.append(Finding("clocks", gap, s["citizen_on_time_rate"], text))
    s = a.repeats["summary"]
    cats = a.repeats["by_category"]
    cats = cats[_big_enough(cats["closed"], a.n_cases)].sort_values("repeat_rate", ascending=False)
    if s["repeated"] and len(cats):
        text = ctx.t("lead_repeats", rate=_pct(s["repeat_rate"]), n=f"{s['repeated']:,}",
                     on_time=f"{s['closed_on_time_but_repeated']:,}", cat=cats.iloc[0]["category"],
                     cat_rate=_pct(cats.iloc[0]["repeat_rate"]))
        found.append(Finding("repeats", s["repeat_rate"], s["repeat_rate"], text))
    if a.dispatch is not None:
        s = a.dispatch["summary"]
        wrong = s["dispatched"] - s["correct_first"]
        cats = a.dispatch["by_category"]
        cats = cats[_big_enough(cats["dispatched"], a.n_cases)].sort_values("accuracy")
        if wrong and len(cats) and s["dispatched"]:
            text = ctx.t("lead_dispatch", acc=_pct(s["first_dispatch_accuracy"]), n=f"{wrong:,}",
                         cat=cats.iloc[0]["category"], cat_acc=_pct(cats.iloc[0]["accuracy"]))
            found.append(Finding("dispatch", wrong / s["dispatched"], s["first_dispatch_accuracy"], text))
    return found


def _volume_and_duration(ctx: _Context) -> list[Finding]:
    facts = case_facts(ctx)
    n0, n1 = int((facts["half"] == 0).sum()), int((facts["half"] == 1).sum())
    found = []
    has_category = facts["category"].notna().any()
    if n0 and n1 and n0 != n1:
        where = ""
        if has_category:
            by = facts.groupby(["category", "half"]).size().unstack(fill_value=0)
            by = by.reindex(columns=[0, 1], fill_value=0)
            growth = (by[1] - by[0]).sort_values(ascending=n1 < n0, kind="stable")
            where = ctx.t("lead_volume_where", cat=growth.index[0], cat_n=f"{int(growth.iloc[0]):+,}")
        text = ctx.t("lead_volume", first=f"{n0:,}", second=f"{n1:,}",
                     change=f"{100 * (n1 - n0) / n0:+.1f}%", where=where)
        found.append(Finding("volume", abs(n1 - n0) / len(facts), n1 - n0, text))
    medians = facts.groupby("half")["duration"].median()
    if len(medians) == 2 and max(medians) > 0 and medians[0] != medians[1]:
        where = ""
        if has_category:
            cats = facts.groupby("category")["duration"].agg(["median", "size"])
            cats = cats[_big_enough(cats["size"], len(facts))].sort_values("median", ascending=False)
            if len(cats):
                where = ctx.t("lead_duration_where", cat=cats.index[0],
                              cat_median=human_duration(cats.iloc[0]["median"], lang=ctx.lang))
        text = ctx.t("lead_duration", median=human_duration(facts["duration"].median(), lang=ctx.lang),
                     first=human_duration(medians[0], lang=ctx.lang),
                     second=human_duration(medians[1], lang=ctx.lang), where=where)
        change = abs(medians[1] - medians[0]) / max(medians)
        found.append(Finding("duration", change, float(facts["duration"].median()), text))
    return found


def find_findings(ctx: _Context) -> list[Finding]:
    """Every finding with something to say, heaviest first, at most :data:`MAX_FINDINGS`."""
    makers: Sequence[Callable[[_Context], Any]] = (_on_time, _patterns, _wait, _conformance,
                                                   _audit, _volume_and_duration, _ends, _paths)
    found: list[Finding] = []
    for make in makers:
        got = make(ctx)
        found += [f for f in (got if isinstance(got, list) else [got]) if f is not None]
    found = [f for f in found if f.weight > 0 and not pd.isna(f.weight)]
    return sorted(found, key=lambda f: -f.weight)[:MAX_FINDINGS]


def leaders_page(ctx: _Context, sections: Sequence[Section]) -> str:
    """The leaders' page as HTML: the findings, then the process as BPMN (or the map)."""
    try:
        findings = find_findings(ctx)
    except (KeyError, ValueError, TypeError):      # a log too thin for the per-case table
        findings = []
    items = "".join(f'<li data-finding="{_e(f.key)}" data-value="{f.value:.6g}" '
                    f'data-weight="{f.weight:.6g}">{_e(f.text)}</li>' for f in findings)
    body = f'<ol class="findings">{items}</ol>' if findings else f'<p class="note">{_e(ctx.t("lead_none"))}</p>'
    if findings:
        body += _unfinished_note(ctx)
    # drawn with the model where it ran in its own process (procmine.report.background)
    figure = ctx.results.get("process_figure")
    figure = process_figure(ctx) if figure is None else figure
    return (f'<section class="leaders" id="leaders"><h2>{_e(ctx.t("leaders"))}</h2>{body}{figure}'
            f'<p class="note">{_e(ctx.t("lead_rule"))}</p></section>')


def _unfinished_note(ctx: _Context) -> str:
    """A warning when the halves are unequal by construction: cases that started less than
    the time nine in ten cases take before the log's last event may not be finished yet,
    and they all fall in the second half (shorter, fewer of the late ends and patterns)."""
    try:
        facts = case_facts(ctx)
    except (KeyError, ValueError, TypeError):
        return ""
    p90 = pd.to_timedelta(facts["duration"].quantile(0.9), unit="s")
    ends = facts["start"] + pd.to_timedelta(facts["duration"], unit="s")
    late = facts["start"] > ends.max() - p90
    if pd.isna(p90) or late.mean() < 0.05:
        return ""
    text = ctx.t("lead_unfinished", share=_pct(late.mean()), n=f"{int(late.sum()):,}",
                 p90=human_duration(p90.total_seconds(), lang=ctx.lang))
    return f'<p class="note" data-note="unfinished">{_e(text)}</p>'


def process_figure(ctx: _Context) -> str:
    """The main flow as BPMN (the inductive miner with noise 0.2, so that the paths of a
    few cases do not crowd the drawing) when it is small enough to read, else the map."""
    from procmine.discover import discover_model
    from procmine.errors import ProcmineError
    from procmine.render import render_map, render_model
    from procmine.report.figures import _graphviz_svg, _safe_figure

    try:
        model = discover_model(ctx.log, noise=LEADERS_NOISE, quality=False).model
    except (ProcmineError, ImportError):
        model = None
    if model is not None and model.n_transitions <= 60:
        return _safe_figure(ctx, lambda: _graphviz_svg(render_model(model, notation="bpmn"),
                                                       "leaders"), ctx.t("lead_bpmn"))
    pmap = ctx.results.get("map")
    if pmap is None:
        return ""
    return _safe_figure(ctx, lambda: _graphviz_svg(render_map(pmap), "leaders"), ctx.t("lead_map"))
