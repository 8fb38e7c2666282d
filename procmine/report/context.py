"""What every section of the report is built from: the ``_Context``.

``_Context`` holds the log (an EventLog or an open engine), the language, the
working calendar, the workflow and its path, the load report and the log's size;
``t`` says a label in the report's language and ``command`` the ``procmine``
command line that prints the same numbers. ``_workflow`` reads a workflow given
as a path, ``_workflow_path`` remembers where it came from, and ``_shell_quote``
quotes a path for those command lines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from procmine.log import EventLog, LoadReport
from procmine.report.labels import _T, Lang

if TYPE_CHECKING:
    from procmine.engines import Engine


@dataclass
class _Context:
    log: EventLog | Engine
    lang: Lang
    calendar: Any
    workflow: Any
    workflow_path: str | None
    report: LoadReport
    n_cases: int
    n_events: int
    #: The filters applied before the report (a ``procmine.filters.Filtered``), or None
    filters: Any = None
    #: the result objects the sections computed, by section key, for the leaders' page
    #: and the explorer (``procmine.report.leaders``, ``procmine.report.explore``)
    results: dict[str, Any] = field(default_factory=dict)

    def t(self, key: str, **values: Any) -> str:
        zh, en = _T[key]
        text = zh if self.lang == "zh" else en
        return text.format(**values) if values else text

    @property
    def log_name(self) -> str:
        return str(self.report.path or "LOG")

    def command(self, name: str, *extra: str) -> str:
        parts = ["procmine", name, _shell_quote(self.log_name), *extra]
        return " ".join(parts)


def _workflow(workflow: Any) -> Any:
    if workflow is None or not isinstance(workflow, (str, os.PathLike)):
        return workflow
    from procmine.workflow import read_workflow

    return read_workflow(workflow)


def _workflow_path(workflow: Any) -> str | None:
    if isinstance(workflow, (str, os.PathLike)):
        return str(workflow)
    return getattr(workflow, "path", None)


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
