"""What :func:`procmine.report.build_report` returns: a ``Report`` and its ``Section`` objects.

A ``Section`` holds the HTML of one section, the note that says why it is empty or
short, and its headline figures by key; a ``Report`` the page, its sections and
the seconds each stage took. Both are re-exported by ``procmine.report``, where
users import them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    """The report: its sections, the page (``html``), and the seconds each stage took.

    The page of a report written to a file (``write_report``) was written as it was
    made, never whole in memory: ``html`` reads it back from the file when first asked.
    """

    title: str
    lang: Lang
    sections: tuple[Section, ...]
    _html: str | Callable[[], str] = field(repr=False)
    seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def html(self) -> str:
        if callable(self._html):
            object.__setattr__(self, "_html", self._html())
        return self._html

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)
