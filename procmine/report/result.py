"""What :func:`procmine.report.build_report` returns: a ``Report`` and its ``Section`` objects.

A ``Section`` holds the HTML of one section, the note that says why it is empty or
short, and its headline figures by key; a ``Report`` the page, its sections and
the seconds each stage took. Both are re-exported by ``procmine.report``, where
users import them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from procmine.report.labels import Lang


@dataclass(frozen=True)
class Section:
    """One section of the report.

    ``body`` is its HTML (every log value escaped); ``note`` says why it is empty
    or short (missing module, missing columns); ``numbers`` holds its headline
    figures by key (as the ``data-key`` of the page, without the section prefix).
    """

    key: str
    title: str
    body: str
    note: str | None = None
    numbers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        return not self.body


@dataclass(frozen=True)
class Report:
    """The report: its sections, the page, and the seconds each stage took."""

    title: str
    lang: Lang
    sections: tuple[Section, ...]
    html: str
    seconds: Mapping[str, float]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)
