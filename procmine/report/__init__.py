"""The HTML report: every analysis of a log in one self-contained file.

:func:`build_report` runs the analyses in stages, each through the same library
call and with the same defaults as its own command, so the report's numbers are
the commands' numbers:

=============  ======================================================  ==========================
section        library call                                            same numbers as
=============  ======================================================  ==========================
summary        ``summary.summarize_log(log)``                          ``procmine info``
quality        ``engine.load_report()`` (the LoadReport)               ``procmine info``
map            ``discover.discover_map(log)``                          ``procmine map``
model          ``discover.discover_model(log)``                        ``procmine discover``
conformance    ``conform.check_conformance(log, workflow)``            ``procmine conform``
bottlenecks    ``bottlenecks.find_bottlenecks(log, workflow=...)``     ``procmine bottlenecks``
patterns       ``loops.find_loops(log, aliases=workflow aliases)``     ``procmine loops``
variants       ``discover.variant_summary(log)``                       ``procmine variants``
=============  ======================================================  ==========================

A section whose module is missing, or whose log lacks the columns it needs, holds a
short note instead. Every value that comes from the log is HTML-escaped; figures
are inline SVG; the CSS and the little JavaScript (sortable tables, collapsible
sections) are inline, and a Content-Security-Policy lets the page load nothing
else and run no script but its own. Each figure shown is also a number in the page:
cards and table cells carry ``data-key``/``data-value`` attributes with the raw
value, for sorting and for machines.

>>> import os, tempfile
>>> from procmine.read import read_log
>>> path = os.path.join(tempfile.mkdtemp(), "report.html")
>>> report = write_report(read_log("logs/sample.csv"), path)
>>> [s.key for s in report.sections]
['summary', 'quality', 'map', 'model', 'bottlenecks', 'patterns', 'audit', 'variants']

The package: ``labels`` holds the report's words in both languages (from
``procmine/templates``), ``result`` the ``Report`` and its sections (``Section``),
``context`` what every section is built from, ``markup`` the HTML pieces,
``charts`` the SVG charts, ``figures`` the Graphviz figures made safe to inline,
``sections`` one builder per section, ``background`` the model section in a process
of its own on a large log, ``memory`` what the report counts against a memory limit
and gives back after each stage, and ``page`` the page around them; this
module holds :func:`stages`, :func:`default_lang`, :func:`build_report` and
:func:`write_report`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from procmine.choices import LANGS
from procmine.errors import InputError, check_choice
from procmine.files import atomic_write
from procmine.log import EventLog
from procmine.report.background import finish_model, start_model, stop_model
from procmine.report.context import _Context, _workflow, _workflow_path
from procmine.report.labels import _CJK
from procmine.report.labels import Lang as Lang
from procmine.report.markup import _LANG
from procmine.report.memory import (
    HELD_PER_CASE,
    LIBRARIES_FIXED,
    PROCESS_FIXED,
    arrow_from_heap,
    give_back,
)
from procmine.report.page import _page_pieces
from procmine.report.result import Report as Report
from procmine.report.result import Section as Section
from procmine.report.sections import _run_section

if TYPE_CHECKING:
    from procmine.engines import Engine

#: The sections in page order; ``conformance`` only with a workflow.
SECTIONS: tuple[str, ...] = ("summary", "quality", "map", "model", "conformance", "bottlenecks",
                             "patterns", "audit", "variants")


def stages(*, workflow: Any = None, log: EventLog | Engine | None = None) -> tuple[str, ...]:
    """The stages :func:`build_report` goes through, in order (for a progress bar).

    The sections are computed in page order, but for ``log`` an engine with a memory
    limit, the audit comes first: its per-order tables are the largest the report
    makes, and then they are not stacked on pm4py's import, the results of the other
    sections, or the engine's case table (which the summary makes, and the engine keeps).

    >>> stages()[:3]
    ('summary', 'quality', 'map')
    >>> "conformance" in stages(workflow="logs/workflow.yaml")
    True
    """
    names = _page_order(workflow)
    if log is None or not getattr(log, "memory_limit", None):
        return names
    return ("audit", *(name for name in names if name != "audit"))


def _page_order(workflow: Any) -> tuple[str, ...]:
    return tuple(s for s in SECTIONS if s != "conformance" or workflow is not None)


def default_lang(log: EventLog | Engine) -> Lang:
    """``zh`` when the log's activity names contain Chinese characters, else ``en``.

    >>> import pandas as pd
    >>> default_lang(EventLog(events=pd.DataFrame({"case:concept:name": ["1", "1"],
    ...                                            "concept:name": ["派遣", "check"]})))
    'zh'
    """
    from procmine.engines import as_engine

    names = as_engine(log).activities()["activity"]
    return "zh" if any(_CJK.search(str(n)) for n in names) else "en"


def build_report(
    log: EventLog | Engine,
    *,
    workflow: Any = None,
    lang: Lang | None = None,
    title: str | None = None,
    calendar: Any = "cn",
    on_stage: Callable[[str], None] | None = None,
    filters: Any = None,
) -> Report:
    """Run every analysis on ``log`` and lay the results out as one HTML page.

    ``workflow`` (a path or a parsed :class:`procmine.workflow.Workflow`) adds the
    conformance section and gives the deadlines and activity aliases, as
    ``--workflow`` does for ``conform``, ``bottlenecks`` and ``loops``.
    ``lang`` picks the language of the report's own labels (default:
    :func:`default_lang`); ``calendar`` the working calendar (as ``--calendar``);
    ``on_stage(name)`` is called after each stage of :func:`stages`. ``log`` may
    be an open engine (:mod:`procmine.engines`): every section is then computed
    from its tables, or part by part, with the same numbers.

    >>> from procmine.simulate import simulate_log
    >>> report = build_report(simulate_log(cases=60, seed=3).to_event_log(), lang="en")
    >>> report.section("summary").numbers["cases"]
    60
    >>> "<svg" in report.html and "https://" not in report.html.split("<body", 1)[1].replace(
    ...     "http://www.w3.org", "")
    True
    """
    return _made(log, workflow=workflow, lang=lang, title=title, calendar=calendar,
                 on_stage=on_stage, filters=filters)


def _made(log: EventLog | Engine, *, workflow: Any, lang: Lang | None, title: str | None,
          calendar: Any, on_stage: Callable[[str], None] | None, filters: Any,
          write: Callable[[Iterator[str]], Callable[[], str]] | None = None) -> Report:
    """:func:`build_report`; with ``write``, the page is handed to it in pieces as it is made
    (``write`` returns how to read the page back), not joined in memory."""
    if lang is not None:
        check_choice("lang", lang, LANGS)
    from procmine.engines import as_engine

    engine = as_engine(log)
    totals = engine.totals()
    if totals.events == 0:
        raise InputError("the log has no events: there is nothing to report")
    ctx = _Context(log=log, lang=lang or default_lang(log), calendar=calendar,
                   workflow=_workflow(workflow), workflow_path=_workflow_path(workflow),
                   report=engine.load_report(), n_cases=totals.cases, n_events=totals.events,
                   filters=filters)
    token = _LANG.set(ctx.lang)
    try:
        with arrow_from_heap(bool(engine.memory_limit)):
            return _build(ctx, title, workflow, on_stage, write)
    finally:
        engine.hold_outside(0)
        _LANG.reset(token)


def _hold(ctx: _Context, stage: str) -> None:
    """Count what the report holds outside the engine during ``stage`` against its
    memory limit (:mod:`procmine.report.memory`), and give back what the last stage freed."""
    from procmine.engines import as_engine, parse_memory_limit

    engine = as_engine(ctx.log)
    if not engine.memory_limit:
        return
    from procmine.audit import HELD_PER_CASE as AUDIT_PER_CASE

    per_case = HELD_PER_CASE + (AUDIT_PER_CASE if stage == "audit" else 0)
    fixed = PROCESS_FIXED + LIBRARIES_FIXED
    # a limit under twice the libraries cannot hold them besides anything: they are left
    # to the margin then, as the other commands leave theirs, and DuckDB keeps its share
    fixed = fixed if 2 * fixed <= parse_memory_limit(engine.memory_limit) else 0
    engine.release_buffers()            # what the last stage had DuckDB cache of the log
    engine.release_cases()              # a case table a caller made: each stage reads its columns
    give_back()
    engine.hold_outside(fixed + per_case * ctx.n_cases)


def _build(ctx: _Context, title: str | None, workflow: Any,
           on_stage: Callable[[str], None] | None,
           write: Callable[[Iterator[str]], Callable[[], str]] | None) -> Report:
    title = title or f"{ctx.t('title')}: {Path(str(ctx.report.path or 'log')).name}"
    sections: dict[str, Section] = {}
    seconds: dict[str, float] = {}
    pending = None
    try:
        for name in stages(workflow=workflow, log=ctx.log):
            _hold(ctx, name)
            started = time.perf_counter()
            # the model (and pm4py) in a process of its own while the sections after it run
            pending = start_model(ctx, _run_section) if name == "model" else pending
            if name != "model" or pending is None:
                sections[name] = _run_section(name, ctx)
            seconds[name] = time.perf_counter() - started
            if on_stage is not None:
                on_stage(name)
        done = None if pending is None else finish_model(pending)
    finally:
        if pending is not None:
            stop_model(pending)
    if done is not None:
        sections["model"], ctx.results["process_figure"], seconds["model"] = done
    elif pending is not None:                    # the child failed: the model here
        sections["model"] = _run_section("model", ctx)
    _hold(ctx, "page")
    ordered = tuple(sections[name] for name in _page_order(workflow))
    pieces = _page_pieces(title, ctx, ordered)
    page = "".join(pieces) if write is None else write(pieces)
    return Report(title=title, lang=ctx.lang, sections=ordered, _html=page, seconds=seconds)


def write_report(
    log: EventLog | Engine,
    path: str | os.PathLike,
    *,
    workflow: Any = None,
    lang: Lang | None = None,
    title: str | None = None,
    calendar: Any = "cn",
    on_stage: Callable[[str], None] | None = None,
    inputs: Iterable[str] = (),
    filters: Any = None,
) -> Report:
    """Build the report of ``log`` and write it to ``path`` atomically (UTF-8 HTML).

    ``inputs`` are files the output must not overwrite (the log itself).

    >>> from procmine.simulate import simulate_log
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "report.html")
    >>> _ = write_report(simulate_log(cases=60, seed=3).to_event_log(), out)
    >>> open(out, encoding="utf-8").read(15)
    '<!DOCTYPE html>'
    """
    from procmine.engines import as_engine

    engine = as_engine(log)
    inputs = list(inputs)
    path_read = engine.source.path or engine.load_report().path
    if path_read:
        inputs.append(str(path_read))

    written = Path(os.path.abspath(path))

    def write(pieces: Iterator[str]) -> Callable[[], str]:
        with atomic_write(path, inputs=inputs) as f:
            for piece in pieces:        # written as made: the page is never whole in memory
                f.write(piece)
        return lambda: written.read_text(encoding="utf-8")

    return _made(log, workflow=workflow, lang=lang, title=title, calendar=calendar,
                 on_stage=on_stage, filters=filters, write=write)
