"""The audit as text for people, in Chinese or English (the tables of ``procmine audit``);
its notes in Chinese from ``procmine/words/sentences.json`` (:func:`procmine.i18n.say`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from procmine.i18n import say
from procmine.vocabulary import BOUNDARIES

#: Labels of the audit's words, (zh, en).
LABELS: dict[str, tuple[str, str]] = {
    "section:dispatch": ("派单准确率（对照权责清单）", "Dispatch against the responsibility list"),
    "section:clocks": ("两个时钟：官方时钟与市民时钟", "Two clocks: official and citizen's"),
    "section:repeats": ("办结未解决：重复诉求", "Closed but not resolved: repeat demands"),
    "dispatched": ("派单数", "dispatched"), "correct_first": ("首次派单正确", "right first time"),
    "first_dispatch_accuracy": ("首派准确率", "first-dispatch accuracy"),
    "unlisted_category_cases": ("清单外类别工单", "orders of unlisted categories"),
    "cases_with_bounces": ("发生退单的工单", "orders bounced"), "bounces": ("退单次数", "bounces"),
    "median_transit_s": ("签收前流转时间中位数（有退单）", "median transit before acceptance (bounced)"),
    "cases_timed": ("计时工单", "orders timed"),
    "official_on_time_rate": ("官方按期率", "official on-time rate"),
    "citizen_on_time_rate": ("市民体验按期率", "citizen's on-time rate"),
    "clock_restarts": ("时钟重启（退单）", "clock restarts (bounces)"),
    "cases_restarted": ("时钟重启的工单", "orders restarted"),
    "extensions": ("延期批准", "extensions granted"),
    "late_extensions": ("临期延期申请", "extensions requested near the deadline"),
    "suspended_cases": ("挂账工单", "orders suspended"),
    "median_presign_s": ("上报到签收中位数", "median report to acceptance"),
    "median_official_s": ("官方时钟中位数", "median official clock"),
    "median_citizen_s": ("市民时钟中位数", "median citizen's clock"),
    "median_citizen_days": ("市民等待天数中位数", "median citizen's wait, days"),
    "closed": ("已结案", "closed"), "with_citizen": ("有诉求人", "with a citizen"),
    "repeats": ("重复诉求", "repeat demands"), "repeated": ("结案后再诉求", "closed, then repeated"),
    "repeat_rate": ("重复诉求率", "repeat rate"),
    "closed_on_time_but_repeated": ("按期办结却重复诉求", "closed on time but repeated"),
    "dissatisfied": ("不满意", "dissatisfied"), "reopened": ("重办", "reopened"),
    "true_resolution_rate": ("真实解决率", "true resolution rate"),
    "by_unit": ("按单位", "by unit"), "by_category": ("按类别", "by category"),
    "by_boundary": ("退单跨越的边界", "boundaries the bounces cross"),
    "unit": ("单位", "unit"), "category": ("类别", "category"), "boundary": ("边界", "boundary"),
    "correct": ("首派正确", "right first time"), "accuracy": ("准确率", "accuracy"),
    "transit_median_s": ("流转中位数", "median transit"), "cases": ("工单", "orders"),
    "restarts": ("重启", "restarts"), "gap": ("差距", "gap"),
    "on_time_but_repeated": ("按期却重复", "on time but repeated"),
    "responsible": ("责任单位", "responsible units"),
    "headline": ("官方与市民按期率差距最大的单位", "units whose official and citizen's rates differ most"),
    "section:citizens": ("市民诉求与内部发现：政民互动实效", "Citizens' orders against internal orders"),
    "section:burden": ("基层线上负担：平台操作与现场处置", "Online burden: platform against field work"),
    "section:overload": ("基层过载：在办量与表现", "Overload: work in progress and performance"),
    "indicators": ("市民诉求对内部发现（含检验）", "citizens' against internal orders, tested"),
    "indicator": ("指标", "indicator"), "citizen": ("市民诉求", "citizens'"),
    "internal": ("内部发现", "internal"), "p_adjusted": ("校正p值", "adjusted p"),
    "significant": ("显著", "significant"), "test": ("检验", "test"), "effect": ("效应", "effect"),
    "response_s": ("首次响应", "time to first response"), "accept_s": ("签收用时", "time to acceptance"),
    "close_s": ("结案用时", "time to closure"), "returned": ("退单率", "return rate"),
    "bounced_back": ("返工率", "bounce-back rate"), "paper_only": ("无现场步骤结案", "closed on paper only"),
    "repeated_rate": ("重复诉求率", "repeat rate"),
    "citizen_orders": ("市民诉求工单", "citizens' orders"),
    "internal_orders": ("内部发现工单", "internal orders"), "other_orders": ("其他来源工单", "other orders"),
    "upward_units": ("对市民响应明显更慢的单位", "units answering citizens slower"),
    "answer_ratio": ("签收用时比（市民/内部）", "answer ratio (citizens'/internal)"),
    "citizen_accept_s": ("市民签收用时", "citizens' acceptance"),
    "internal_accept_s": ("内部签收用时", "internal acceptance"),
    "orders": ("工单", "orders"), "platform_per_order": ("每单平台步骤", "platform steps per order"),
    "field_per_order": ("每单现场步骤", "field steps per order"),
    "no_field_share": ("无现场步骤工单占比", "orders without field work"),
    "platform_time_share": ("平台操作时间占比", "platform share of time"),
    "median_unit_platform_per_order": ("单位每单平台步骤中位数", "median unit's platform steps per order"),
    "burdened_units": ("平台负担明显更重的单位", "units with the most platform work"),
    "platform_load_slope": ("平台步骤随在办量的斜率", "platform steps per order held"),
    "level": ("层级", "level"), "units": ("单位数", "units"),
    "mean_daily_wip": ("日均在办量", "mean daily work in progress"),
    "breaking_units": ("超过在办量即表现崩溃的单位", "units whose performance breaks above a load"),
    "mean_load": ("平均在办量", "mean load"), "break_level": ("崩溃在办量", "breaks above"),
    "break_ratio": ("崩溃倍数", "jump"), "hours_slope": ("响应时长斜率（小时/单）", "response slope (h per order)"),
    "on_time_rate": ("按期率", "on-time rate"),
    # English: the key, as before it had a label
    "close_ratio_within_category": ("同类别结案用时比（市民/内部）", "close_ratio_within_category"),
}


def label(key: str, lang: str = "zh") -> str:
    zh, en = LABELS.get(key) or BOUNDARIES.get(key) or (key, key)
    return zh if lang == "zh" else en


def _value(key: str, value: Any) -> str:
    from procmine.output import human_duration

    if value is None or value != value:
        return ""
    if key.endswith("_rate") or key.endswith("accuracy") or key.endswith("_share"):
        return f"{100 * value:.1f}%"
    if key.endswith("_s"):
        return human_duration(value)
    if isinstance(value, dict) and "slope" in value:
        if value["slope"] is None:
            return ""
        return f"{value['slope']:.3f} [{value['low']:.3f}, {value['high']:.3f}]"
    if isinstance(value, dict):
        return "、".join(f"{k} {v:g}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return "、".join(map(str, value)) or "—"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return f"{value:,}"


def format_audit(result: Any, lang: str = "zh", *, top: int = 10) -> str:
    """The summaries and the top rows of each section's tables, as aligned text."""
    from procmine.output import format_pairs, format_table

    parts: list[str] = []
    for name in ("dispatch", "clocks", "repeats", "citizens", "burden", "overload"):
        section = getattr(result, name)
        if section is None:
            continue
        pairs = [(label(k, lang), _value(k, v)) for k, v in section["summary"].items()]
        parts += [f"== {label('section:' + name, lang)} ==", format_pairs(pairs)]
        if name == "citizens":
            parts += ["", format_table(_shown(_indicators(section["indicators"], lang), lang),
                                       title=label("indicators", lang))]
        if name == "dispatch":
            rows = pd.DataFrame([{"boundary": label(k, lang), "bounces": v}
                                 for k, v in section["by_boundary"].items()])
            parts += ["", format_table(_shown(rows, lang), title=label("by_boundary", lang))]
        title = label("headline", lang) if name == "clocks" else label("by_unit", lang)
        table = section["by_unit"]
        table = table[[c for c in _COLUMNS.get(name, table.columns) if c in table.columns]]
        parts += ["", format_table(_shown(table.head(top), lang), title=title), ""]
    parts += [("注：" if lang == "zh" else "Note: ") + say(note, lang) for note in result.notes]
    return "\n".join(parts).rstrip("\n")


#: The columns of the per-unit tables shown as text (JSON has them all).
_COLUMNS = {
    "citizens": ("unit", "citizen", "internal", "citizen_accept_s", "internal_accept_s",
                 "answer_ratio", "p_adjusted", "significant"),
    "burden": ("unit", "level", "orders", "platform_per_order", "field_per_order",
               "platform_time_share", "no_field_share"),
    "overload": ("unit", "orders", "mean_load", "on_time_rate", "hours_slope", "break_level",
                 "break_ratio"),
}


def _indicators(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The tested indicators with their values shown as times or rates."""
    out = table[["indicator", "citizen", "internal", "p_adjusted", "significant"]].copy()
    for column in ("citizen", "internal"):
        out[column] = [_value(k if k.endswith("_s") else "x_rate", v)
                       for k, v in zip(out["indicator"], out[column], strict=True)]
    out["p_adjusted"] = [_p(v) for v in out["p_adjusted"]]
    out["indicator"] = [label(k if k != "repeated" else "repeated_rate", lang)
                        for k in out["indicator"]]
    return out


def _p(value: Any) -> str:
    if value is None or value != value:
        return ""
    return f"{value:.3g}" if value >= 1e-4 else "<0.0001"


def _shown(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = table.copy()
    for column in out.columns:
        if column.endswith("_rate") or column.endswith("_share") or column in ("accuracy", "gap"):
            out[column] = [_value("x_rate", v) for v in out[column]]
        elif column.endswith("_s"):
            out[column] = [_value(column, v) for v in out[column]]
    return out.rename(columns={c: label(c, lang) for c in out.columns})
