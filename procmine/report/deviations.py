"""A conformance deviation in the report's language, from its kind and steps.

``procmine.conform`` words its deviations in English (as ``procmine conform``
prints them); the report says them again from ``kind``, ``step`` and ``other``, so
a Chinese report carries no English sentence. ``KINDS`` names each kind.
"""

from __future__ import annotations

import re
from typing import Any

#: kind -> (Chinese, English)
KINDS: dict[str, tuple[str, str]] = {
    "skipped": ("跳过环节", "skipped"),
    "order": ("顺序颠倒", "out of order"),
    "repeated": ("重复环节", "repeated"),
    "unexpected": ("规定外环节", "unexpected"),
    "same_unit": ("退回原单位", "back at the returner"),
}


def kind_name(kind: str, lang: str) -> str:
    """The name of a kind of deviation in ``lang``.

    >>> kind_name("same_unit", "zh")
    '退回原单位'
    """
    zh, en = KINDS.get(kind, (kind, kind))
    return zh if lang == "zh" else en


def deviation_text(d: Any, lang: str) -> str:
    """The short form of a deviation (without its count) in ``lang``.

    >>> from types import SimpleNamespace as D
    >>> deviation_text(D(kind="skipped", step="核查", other=None, label="核查 skipped"), "zh")
    '跳过「核查」'
    """
    if lang != "zh":
        return getattr(d, "label", None) or d.text
    kind, step, other = d.kind, d.step, d.other
    if kind == "skipped" and step == "end":
        return "未走完规定流程即结束"
    if kind == "skipped":
        return f"跳过「{step}」"
    if kind == "order":
        return f"「{step}」在「{other}」之前"
    if kind == "repeated":
        return f"「{step}」重复"
    if kind == "same_unit":
        return f"退单后「{step}」又回到原退单单位（推诿）"
    if other == "early":
        return f"「{step}」缺少前置环节（顺序错乱或前一环节被跳过）"
    if other == "in_model":
        return f"「{step}」出现在不该出现的位置"
    return f"「{step}」（规定流程中没有此环节）"


def conform_note(note: str, result: Any, t: Any) -> str:
    """A note of ``check_conformance`` for the report: the alignment summary is said
    again from the result's own fields (``aligner``, ``not_aligned``) in the report's
    language; other notes as they are."""
    if not (result.aligner and re.match(r"[\d,]+ of [\d,]+ variants aligned exactly", note)):
        return note
    return t("aligned_note", done=f"{len(result.variants) - result.not_aligned:,}",
             total=f"{len(result.variants):,}", over=f"{result.not_aligned:,}",
             how=t("aligned_state_space") if result.aligner == "state space" else result.aligner)
