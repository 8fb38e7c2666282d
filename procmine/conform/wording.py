"""A conformance deviation in words, in Chinese or English: one table for every reader.

``check_conformance`` words its deviations in English (``Deviation.text`` and
``label``, which JSON and CSV keep); ``procmine conform`` and the report say them
in Chinese from their ``kind``, ``step`` and ``other`` with the words of
``procmine/words/deviations.json``.
"""

from __future__ import annotations

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
