"""Every message procmine words for people exists in Chinese: each error's message and
hint, and each note, found in the source (tests/messages.py), its placeholders filled
with sample values, is said by :func:`procmine.i18n.say` in Chinese, with no run of
three English words left but the values filled in, option names, file names, formats
and product names. A new message fails here until ``procmine/words/sentences.json``
knows it (docs/language.md)."""

from __future__ import annotations

import re

import pytest
from messages import templates

from procmine.i18n import say

TEMPLATES, UNKNOWN = templates()

#: names a Chinese reader meets as they are (one types them, or they are products)
NAMES = {"CSV", "JSON", "SVG", "PNG", "PDF", "HTML", "XES", "YAML", "Parquet", "BPMN", "PNML",
         "Petri", "DuckDB", "pandas", "Spark", "PySpark", "pyspark", "Graphviz", "pm4py", "Excel",
         "UTF-8", "GBK", "gzip", "IANA", "Arrow", "PyArrow", "pyarrow", "openpyxl", "lxml",
         "chinese_calendar", "ISO", "MiB", "GiB", "KiB", "dot", "Noto", "CJK", "SC", "Sans",
         "Java", "JAVA_HOME", "pip", "install", "apt", "brew"}
_TOKEN = re.compile(r"(?<![\w-])(?:--?[a-zA-Z][\w-]*|\S*[:/.=_\\@*$<>\[\]{}]\S*|\S*\d\S*)")
_RUN = re.compile(r"[A-Za-z][A-Za-z'-]*(?:[ ,]+[A-Za-z][A-Za-z'-]*){2,}")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def english_left(text: str, values: list[str]) -> list[str]:
    """The runs of three or more English words in ``text`` that are neither a value filled
    in nor a name one types (an option, a path, a format, a product)."""
    for value in sorted(set(values), key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ", text)
    text = re.sub(r"procmine [a-z-]+(?: [a-z-]+)?", " ", text)     # a command line
    text = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`", " ", text)   # a quoted value
    text = _TOKEN.sub(" ", text)
    for name in NAMES:
        text = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", " ", text)
    return _RUN.findall(text)


def needs_words(text: str) -> bool:
    """Whether a template says something in English (not only values and names)."""
    return bool(re.search(r"[A-Za-z]{2,}", " ".join(english_left(text, []))) or
                re.search(r"\b[a-z]{2,}\b", re.sub(_TOKEN, " ", text)) and
                any(w not in NAMES for w in re.findall(r"[A-Za-z]{2,}", _TOKEN.sub(" ", text))))


def in_chinese(template) -> str | None:
    """None when one of the template's examples is said in Chinese with no English left;
    else the first example as said."""
    first = None
    for example, values in template.examples():
        said = say(example, "zh")
        if _CHINESE.search(said) and not english_left(said, values):
            return None
        first = first or said
    return first


#: a part that is one word is a key of the workflow spec (``steps``, ``aliases``), typed as it is
CHECKED = [t for t in TEMPLATES if needs_words(t.shape)
           and not (t.kind == "part" and re.fullmatch(r"[a-z_]+", t.shape))]


@pytest.mark.parametrize("template", CHECKED, ids=[f"{t.where}:{t.kind}" for t in CHECKED])
def test_every_message_is_said_in_chinese(template):
    said = in_chinese(template)
    assert said is None, f"{template.shape!r} is said {said!r}"
