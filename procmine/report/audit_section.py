"""The report's audit section: what the platform's indicators hide (``procmine audit``).

The responsibility list is the file ``responsibility.yaml`` (or ``.csv``) beside
the log, as ``logs/`` ships it; without one the section shows the repeat demands
only, and says why.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from procmine.report.charts import _bars
from procmine.report.context import _Context, _shell_quote
from procmine.report.markup import (
    _cards,
    _Col,
    _figure,
    _h3,
    _note,
    _records,
    _same,
    _show,
    _table,
)
from procmine.report.result import Section
from procmine.vocabulary import BOUNDARIES

#: The audit's sections over its per-order table (``procmine.audit``'s ``_ORDER_SECTIONS``)
_BY_ORDER = ("citizens", "burden", "overload")


def responsibility_beside(ctx: _Context) -> Path | None:
    """``responsibility.yaml``/``.yml``/``.csv`` in the log's folder, if there is one."""
    if not ctx.report.path:
        return None
    folder = Path(str(ctx.report.path)).parent
    for name in ("responsibility.yaml", "responsibility.yml", "responsibility.csv"):
        if (folder / name).is_file():
            return folder / name
    return None


def _in_two_passes(ctx: _Context, on_part: Any, common: dict[str, Any]) -> Any:
    """The audit under a memory limit: the sections over the per-case table (dispatch,
    clocks, repeats) on one pass over the log, those over the per-order table (citizens,
    burden, overload) on a second, so that the two tables and their analyses are never
    held at once. The numbers are those of one pass: the per-order table measures the
    columns it shares with the per-case table as that table does."""
    from procmine.audit import SECTIONS, audit_log

    by_case = audit_log(ctx.log, sections=[s for s in SECTIONS if s not in _BY_ORDER],
                        on_part=on_part, **common)
    by_order = audit_log(ctx.log, sections=_BY_ORDER, **common)
    notes = by_case.notes + tuple(n for n in by_order.notes if n not in by_case.notes)
    return replace(by_case, notes=notes, **{s: getattr(by_order, s) for s in _BY_ORDER})


def audit_section(ctx: _Context) -> Section:
    from procmine.audit import audit_log
    from procmine.report.cases import joined_units, part_handling_units

    t = ctx.t
    rules = responsibility_beside(ctx)
    aliases = getattr(ctx.workflow, "aliases", None) or None
    units: list[Any] = []       # the leaders' handling units, from this pass over the log
    # only the summaries: the leaders' page reads them, and the report holds no more than it shows
    common = {"responsibility": rules, "calendar": ctx.calendar, "aliases": aliases,
              "per_case": False}
    on_part = lambda part: units.append(part_handling_units(part, aliases=aliases))  # noqa: E731
    if getattr(ctx.log, "memory_limit", None):
        result = _in_two_passes(ctx, on_part, common)
    else:
        result = audit_log(ctx.log, on_part=on_part, **common)
    ctx.results["audit"] = result
    ctx.results["handling_units"] = joined_units(units)
    numbers = _numbers(result)
    body = [_cards("audit", [(k, t(f"audit_{k}"), v, "pct") for k, v in numbers.items()]),
            _figure(_bars("audit-rates", [(t(f"audit_{k}"), v, f"{100 * v:.1f}%")
                                          for k, v in numbers.items() if v is not None],
                          colour="#8e6bb8"))]
    if result.clocks is not None:
        body.append(_h3(t("audit_headline")))
        body.append(_table("audit.clocks", _records(result.clocks["by_unit"]), [
            _Col("unit", t("unit")), _Col("cases", t("cases"), "int"),
            _Col("official_on_time_rate", t("audit_official_on_time_rate"), "pct"),
            _Col("citizen_on_time_rate", t("audit_citizen_on_time_rate"), "pct"),
            _Col("gap", t("audit_gap"), "pct"), _Col("restarts", t("audit_restarts"), "int")],
            limit=10, ctx=ctx, more=ctx.command("audit", "--json")))
    if result.dispatch is not None:
        lang = 0 if ctx.lang == "zh" else 1
        rows = [{"boundary": BOUNDARIES[k][lang], "bounces": v}
                for k, v in result.dispatch["by_boundary"].items()]
        body.append(_h3(t("audit_boundaries")))
        body.append(_table("audit.boundaries", rows, [_Col("boundary", t("audit_boundary")),
                                                      _Col("bounces", t("audit_bounces"), "int")]))
    body.append(_h3(t("audit_repeats_by_category")))
    body.append(_table("audit.repeats", _records(result.repeats["by_category"]), [
        _Col("category", t("category")), _Col("closed", t("audit_closed"), "int"),
        _Col("repeated", t("audit_repeated"), "int"),
        _Col("on_time_but_repeated", t("audit_on_time_but_repeated"), "int"),
        _Col("repeat_rate", t("audit_repeat_rate"), "pct")], limit=12))
    body += _findings(ctx, result)
    for note in result.notes:
        body.append(_note(note))
    extra = ("--responsibility", _shell_quote(str(rules))) if rules else ()
    body.append(_same(ctx, ctx.command("audit", *extra)))
    return Section("audit", t("audit"), "".join(body), numbers=numbers | _leader(result))


def _findings(ctx: _Context, result: Any) -> list[str]:
    """Issue 24's findings: citizens against internal orders, the online burden, overload."""
    from procmine.audit.text import label

    t, lang = ctx.t, ctx.lang

    def cols(*spec: tuple[str, str]) -> list[_Col]:
        return [_Col(key, label(key, lang), kind) for key, kind in spec]

    rows = []
    for row in _records(result.citizens["indicators"]):
        kind = "wdur" if row["indicator"].endswith("_s") else "pct"
        rows.append({**row, "indicator": label(row["indicator"] if row["indicator"] != "repeated"
                                               else "repeated_rate", lang),
                     "citizen": _show(row["citizen"], kind), "internal": _show(row["internal"], kind),
                     "significant": t("audit_yes") if row["significant"] else t("audit_no")})
    body = [_h3(t("audit_citizens")),
            _table("audit.citizens", rows, cols(("indicator", "text"), ("citizen", "text"),
                                                 ("internal", "text"), ("p_adjusted", "ratio"),
                                                 ("significant", "text"))),
            _h3(t("audit_citizens_by_unit")),
            _table("audit.citizens_by_unit", _records(result.citizens["by_unit"]), cols(
                ("unit", "text"), ("citizen", "int"), ("internal", "int"),
                ("citizen_accept_s", "wdur"), ("internal_accept_s", "wdur"),
                ("answer_ratio", "float"), ("p_adjusted", "ratio")), limit=10, ctx=ctx,
                more=ctx.command("audit", "--section", "citizens", "--json")),
            _h3(t("audit_burden")),
            _table("audit.burden", _records(result.burden["by_unit"]), cols(
                ("unit", "text"), ("level", "text"), ("orders", "int"),
                ("platform_per_order", "float"), ("field_per_order", "float"),
                ("platform_time_share", "pct"), ("no_field_share", "pct")), limit=10, ctx=ctx,
                more=ctx.command("audit", "--section", "burden", "--json")),
            _h3(t("audit_overload")),
            _table("audit.overload", _records(result.overload["by_unit"]), cols(
                ("unit", "text"), ("orders", "int"), ("mean_load", "float"),
                ("on_time_rate", "pct"), ("hours_slope", "float"), ("break_level", "int"),
                ("break_ratio", "float")), limit=10, ctx=ctx,
                more=ctx.command("audit", "--section", "overload", "--json"))]
    return body


def _leader(result: Any) -> dict[str, Any]:
    """The numbers of the leader's cards (procmine.report.page): how citizens' orders fared,
    who carries the most platform work, where load breaks performance."""
    table = result.citizens["indicators"].set_index("indicator")
    close = table.loc["close_s"]
    burden = result.burden["by_unit"]
    sized = burden[burden["orders"] >= 20]
    top = sized.iloc[0] if len(sized) else None
    over = result.overload["by_unit"]
    broken = over[over["break_level"].notna()]
    worst = broken.iloc[0] if len(broken) else None
    within = result.citizens["summary"]["close_ratio_within_category"]
    return {"citizens": {"citizen_close_s": close["citizen"], "internal_close_s": close["internal"],
                         "within_category": within,
                         "p_adjusted": close["p_adjusted"], "significant": close["significant"]},
            "burden": None if top is None else {
                "unit": top["unit"], "platform_per_order": float(top["platform_per_order"]),
                "median": result.burden["summary"]["median_unit_platform_per_order"]},
            "overload": None if worst is None else {
                "unit": worst["unit"], "level": float(worst["break_level"]),
                "ratio": float(worst["break_ratio"])}}


def _numbers(result: Any) -> dict[str, Any]:
    """The headline rates: accuracy, the two clocks, repeats, true resolution."""
    out: dict[str, Any] = {}
    if result.dispatch is not None:
        out["first_dispatch_accuracy"] = result.dispatch["summary"]["first_dispatch_accuracy"]
    if result.clocks is not None:
        s = result.clocks["summary"]
        out["official_on_time_rate"] = s["official_on_time_rate"]
        out["citizen_on_time_rate"] = s["citizen_on_time_rate"]
    s = result.repeats["summary"]
    out["repeat_rate"] = s["repeat_rate"]
    out["true_resolution_rate"] = s["true_resolution_rate"]
    return out
