"""The audit as text for people, in Chinese or English (the tables of ``procmine audit``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

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
}


def label(key: str, lang: str = "zh") -> str:
    zh, en = LABELS.get(key) or BOUNDARIES.get(key) or (key, key)
    return zh if lang == "zh" else en


def _value(key: str, value: Any) -> str:
    from procmine.output import human_duration

    if value is None or value != value:
        return ""
    if key.endswith("_rate") or key.endswith("accuracy"):
        return f"{100 * value:.1f}%"
    if key.endswith("_s"):
        return human_duration(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}"


def format_audit(result: Any, lang: str = "zh", *, top: int = 10) -> str:
    """The summaries and the top rows of each section's tables, as aligned text."""
    from procmine.output import format_pairs, format_table

    parts: list[str] = []
    for name in ("dispatch", "clocks", "repeats"):
        section = getattr(result, name)
        if section is None:
            continue
        pairs = [(label(k, lang), _value(k, v)) for k, v in section["summary"].items()]
        parts += [f"== {label('section:' + name, lang)} ==", format_pairs(pairs)]
        if name == "dispatch":
            rows = pd.DataFrame([{"boundary": label(k, lang), "bounces": v}
                                 for k, v in section["by_boundary"].items()])
            parts += ["", format_table(_shown(rows, lang), title=label("by_boundary", lang))]
        title = label("headline", lang) if name == "clocks" else label("by_unit", lang)
        parts += ["", format_table(_shown(section["by_unit"].head(top), lang), title=title), ""]
    parts += [("注：" if lang == "zh" else "Note: ") + note for note in result.notes]
    return "\n".join(parts).rstrip("\n")


def _shown(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = table.copy()
    for column in out.columns:
        if column.endswith("_rate") or column in ("accuracy", "gap"):
            out[column] = [_value("x_rate", v) for v in out[column]]
        elif column.endswith("_s"):
            out[column] = [_value(column, v) for v in out[column]]
    return out.rename(columns={c: label(c, lang) for c in out.columns})
