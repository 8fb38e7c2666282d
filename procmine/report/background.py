"""The model section in a process of its own, while the sections after it run here.

Mining the model is the one part of the report that needs pm4py: importing it costs
about 0.7 CPU seconds, mining, replaying and drawing the model 0.2 more, and the
leaders' page mines and draws the main flow with pm4py once more. On a log of
:data:`MIN_EVENTS` events or more, :func:`start_model` forks a process at the model's
place in the page that does all of that from the variants (counted here first, so the
child never touches the engine: pandas, DuckDB or Spark) and sends back the model
section and the leaders' figure as HTML; :func:`finish_model` collects them before the
page is laid out. This process then never imports pm4py, and the two run on two
cores. Without ``fork`` (Windows), under a memory limit (``--memory-limit`` bounds this
one process, and a second one would hold pm4py besides), or when the child fails, the
model is computed here as before: the page is the same either way. scipy's statistics, which the audit needs here and pm4py
mostly imports too, are imported before the fork, so the child starts with them.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from procmine.report.context import _Context
    from procmine.report.result import Section

#: Below this many events the model takes less time than starting a process.
MIN_EVENTS = 200_000


@dataclass
class _Pending:
    """The child computing the model section, and the end of the pipe it answers on."""

    process: Any
    answer: Any


def start_model(ctx: _Context, run_section: Callable[[str, _Context], Section]) -> _Pending | None:
    """Fork a process that builds the model section (with ``run_section``) and the
    leaders' figure; None when the log is small or the platform cannot fork."""
    import multiprocessing

    if (ctx.n_events < MIN_EVENTS or "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon     # a pool's worker may not fork
            or getattr(ctx.log, "memory_limit", None)):      # the limit bounds one process
        return None
    from procmine.discover.traces import _traces

    traces = _traces(ctx.log)
    # the audit's tests need scipy.stats here, and pm4py imports most of what it imports
    # (scipy.optimize, .sparse, .special): imported before the fork, the child finds
    # them loaded (0.4 CPU seconds less), and this process imports them no later than it would
    import scipy.stats  # noqa: F401
    fork = multiprocessing.get_context("fork")
    answer, send = fork.Pipe(duplex=False)
    process = fork.Process(target=_child, args=(ctx, traces, run_section, send), daemon=True)
    try:
        process.start()
    except OSError:                  # no process to be had (limits): the model here
        answer.close()
        return None
    finally:
        send.close()
    return _Pending(process, answer)


def finish_model(pending: _Pending) -> tuple[Section, str, float] | None:
    """The child's model section, leaders' figure and seconds, with its warnings raised
    here; None when the child failed (compute the section here)."""
    try:
        got = pending.answer.recv()
    except (EOFError, OSError):
        got = None
    finally:
        pending.process.join()
    if got is None:
        return None
    section, figure, seconds, caught = got
    for message, category, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno)
    return section, figure, seconds


def stop_model(pending: _Pending) -> None:
    """End the child if it still runs (the report failed before it was collected)."""
    if pending.process.is_alive():
        pending.process.terminate()
    pending.process.join()
    pending.answer.close()


def _child(ctx: _Context, traces: Any, run_section: Callable[[str, _Context], Section],
           send: Any) -> None:
    started = time.perf_counter()
    answer = None                      # None: the parent computes the section itself
    try:
        # the variants stand for the log: the engine (and its threads) stays untouched
        ctx = replace(ctx, log=traces)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            section = run_section("model", ctx)
            figure = _leaders_figure(ctx)
        answer = (section, figure, time.perf_counter() - started,
                  [(str(w.message), w.category, w.filename, w.lineno) for w in caught])
    except BaseException:              # noqa: BLE001 - whatever it is, the parent redoes it
        answer = None
    finally:
        try:
            send.send(answer)
        finally:
            os._exit(0)


def _leaders_figure(ctx: _Context) -> str:
    """The leaders' drawing of the main flow (:mod:`procmine.report.leaders`): the model
    mined with noise, or the map of the section before (forked after it, so the same)."""
    from procmine.report.leaders import process_figure

    return process_figure(ctx)
