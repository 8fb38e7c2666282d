"""A conformance deviation in the report's language, from its kind and steps.

``procmine.conform`` words its deviations in English (as ``procmine conform``
prints them); the report says them again from ``kind``, ``step`` and ``other``
with :func:`procmine.conform.wording.deviation_text` (the words are shared with
``procmine conform``: ``procmine/words/deviations.json``), so a Chinese report
carries no English sentence. ``KINDS`` names each kind.
"""

from __future__ import annotations

import re
from typing import Any

from procmine.conform.wording import deviation_text as deviation_text
from procmine.conform.wording import kind_name as kind_name
from procmine.i18n import words

#: kind -> (Chinese, English): the words live in ``procmine/words/deviations.json``
KINDS: dict[str, tuple[str, str]] = {k: (zh, en) for k, (zh, en) in words("deviations")["kinds"].items()}


def conform_note(note: str, result: Any, t: Any) -> str:
    """A note of ``check_conformance`` for the report: the alignment summary is said
    again from the result's own fields (``aligner``, ``not_aligned``) in the report's
    language; other notes as they are."""
    if not (result.aligner and re.match(r"[\d,]+ of [\d,]+ variants aligned exactly", note)):
        return note
    return t("aligned_note", done=f"{len(result.variants) - result.not_aligned:,}",
             total=f"{len(result.variants):,}", over=f"{result.not_aligned:,}",
             how=t("aligned_state_space") if result.aligner == "state space" else result.aligner)
