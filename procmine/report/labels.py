"""The languages of :mod:`procmine.report` and its own words in both of them.

``Lang`` is a report's language and ``_CJK`` tells Chinese characters (in a log's
activity names, in a chart label's width); the labels, pattern names and
definitions and the meanings of the model's quality measures are read once from
``procmine/templates/report-labels.json`` (packaged data, found through
``importlib.resources``) into ``_T``, ``_PATTERN_NAMES``, ``_PATTERN_ZH`` and
``_QUALITY_MEANING``: key -> (Chinese, English).
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from procmine.choices import Lang as Lang

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _labels() -> dict[str, Any]:
    import json

    def read(name: str) -> dict[str, Any]:
        return json.loads(resources.files("procmine").joinpath("templates", name).read_text(
            encoding="utf-8"))

    labels = read("report-labels.json")
    # the leaders' page and the explorer keep their words in a file of their own
    labels["labels"].update(read("report-labels-leaders.json")["labels"])
    return labels


_LABELS = _labels()
#: key -> (Chinese, English): the report's own words
_T: dict[str, tuple[str, str]] = {k: tuple(v) for k, v in _LABELS["labels"].items()}
_PATTERN_NAMES: dict[str, tuple[str, str]] = {k: tuple(v) for k, v in _LABELS["patterns"].items()}
_PATTERN_ZH: dict[str, str] = _LABELS["pattern_definitions_zh"]
_QUALITY_MEANING: dict[str, tuple[str, str]] = {k: tuple(v) for k, v in
                                                _LABELS["quality_meanings"].items()}
