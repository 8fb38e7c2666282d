"""A conformance deviation in words, in Chinese or English: one table for every reader.

``check_conformance`` words its deviations in English (``Deviation.text`` and
``label``, which JSON and CSV keep); ``procmine conform`` and the report say them
in Chinese from their ``kind``, ``step`` and ``other`` with the words of
``procmine/words/deviations.json``.
"""

from __future__ import annotations

import re
from typing import Any

from procmine.i18n import words


def kind_name(kind: str, lang: str) -> str:
    """The name of a kind of deviation in ``lang``.

    >>> kind_name("same_unit", "zh"), kind_name("same_unit", "en")
    ('退回原单位', 'back at the returner')
    """
    zh, en = words("deviations")["kinds"].get(kind, (kind, kind))
    return zh if lang == "zh" else en


def deviation_text(d: Any, lang: str) -> str:
    """The short form of a deviation (without its count) in ``lang``: in English the
    library's own ``label``.

    >>> from types import SimpleNamespace as D
    >>> deviation_text(D(kind="skipped", step="核查", other=None, label="核查 skipped"), "zh")
    '跳过「核查」'
    >>> deviation_text(D(kind="skipped", step="核查", other=None, label="核查 skipped"), "en")
    '核查 skipped'
    """
    if lang != "zh":
        return getattr(d, "label", None) or d.text
    short = words("deviations")["short"]
    kind, step, other = d.kind, d.step, d.other
    if kind == "skipped" and step == "end":
        key = "skipped:end"
    elif kind == "order" and not other:
        key = "order:alone"
    elif kind == "misplaced" and "without its preconditions" in (getattr(d, "label", None) or ""):
        key = "misplaced:early"
    else:
        key = kind if kind in short else "unexpected"
    return short[key].format(step=step, other=other)


def deviation_sentence(d: Any, lang: str) -> str:
    """A deviation with its count and detail (the ``deviation`` column of ``conform
    --deviations``) in ``lang``: in English the library's own ``text``.

    >>> from types import SimpleNamespace as D
    >>> d = D(kind="unexpected", step="重办", other=None, cases=2, share=0.05, label="",
    ...       detail="then 签收 → … (1 more)", text="重办 (not in the workflow) in 2 cases (5.0%), then 签收 → … (1 more)")
    >>> deviation_sentence(d, "zh")
    '「重办」（规定流程中没有此环节）：2 件工单（5.0%），随后 签收 → …（另 1 项）'
    """
    if lang != "zh":
        return d.text
    out = f"{deviation_text(d, lang)}：{d.cases:,} 件工单（{d.share:.1%}）"
    if d.detail and d.text.endswith(f", {d.detail}"):   # the detail the English gives too
        out += "，" + detail_text(d.detail, lang)
    return out


def detail_text(detail: str, lang: str) -> str:
    """A deviation's detail ("mostly then 签收 → 处置", "3+ times in 5 cases, up to ×6")
    in ``lang``, the step names kept."""
    if lang != "zh":
        return detail
    for pattern, replacement in words("deviations")["details"]:
        detail = re.sub(pattern, replacement, detail)
    return detail


#: the short forms check_conformance words per case (``conform.deviations._phrase``
#: without a count), read back as the key of their Chinese in ``words/deviations.json``
_SHORT_FORMS = [(re.compile(p), key) for p, key in (
    (r"ended before the end of the workflow \(tokens left\)", "skipped:end"),
    (r"ended after (?P<step>.+), before the end of the workflow", "incomplete"),
    (r"(?P<step>.+) back at a unit that had returned the order \(ping-pong\)", "same_unit"),
    (r"(?P<step>.+) without its preconditions \(out of order, or after a skipped step\)",
     "misplaced:early"),
    (r"(?P<step>.+) out of order \(in the workflow, not at that point\)", "misplaced"),
    (r"(?P<step>.+) \(not in the workflow\)", "unexpected"),
    (r"(?P<step>.+) skipped", "skipped"),
    (r"(?P<step>.+) before its turn", "order:alone"),
    (r"(?P<step>.+?) before (?P<other>.+)", "order"),
    (r"(?P<step>.+?) repeated(?P<times> ×\d+)?", "repeated"),
)]


def case_deviations_text(text: str, lang: str) -> str:
    """A case's deviations (the ``deviations`` column of ``conform --cases``: short forms
    joined by "; ") in ``lang``; a form not known stays as it is.

    >>> case_deviations_text("核查 skipped; 退单 → 改派 repeated ×3", "zh")
    '跳过「核查」；「退单 → 改派」重复 ×3'
    """
    if lang != "zh" or not text:
        return text
    short = words("deviations")["short"]
    said = []
    for part in text.split("; "):
        for pattern, key in _SHORT_FORMS:
            found = pattern.fullmatch(part)
            if found:
                names = found.groupdict()
                part = short[key].format(step=names.get("step"), other=names.get("other"))
                part += names.get("times") or ""
                break
        said.append(part)
    return "；".join(said)
