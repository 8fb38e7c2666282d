"""Variants in worker processes: the chunks and the fork pool behind alignments and replay.

``_run_chunks`` cuts the variants into runs of about equal length that keep
shared prefixes together and maps a chunk function over them in forked workers
(so the model and its memo are not copied), but only when the work is large
enough to pay for the processes (``_MIN_PARALLEL_EVENTS``); pm4py's A* fallback
uses the same worker state to run one variant per task.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def _chunks(traces: Sequence[tuple], parts: int) -> list[list[int]]:
    """Variant indices sorted by trace (shared prefixes together), cut into ``parts``
    runs of about equal total length."""
    order = sorted(range(len(traces)), key=lambda i: traces[i])
    if parts <= 1:
        return [order]
    total = sum(len(traces[i]) + 1 for i in order)
    out, cur, size = [], [], 0
    for i in order:
        cur.append(i)
        size += len(traces[i]) + 1
        if size >= total / parts and len(out) < parts - 1:
            out.append(cur)
            cur, size = [], 0
    if cur:
        out.append(cur)
    return out


_WORKER_STATE: dict[str, Any] = {}
#: below this many events over all variants, worker processes cost more than they save
_MIN_PARALLEL_EVENTS = 20_000


def _run_chunks(func: Callable[[Any, list[tuple]], list], state: Any, traces: Sequence[tuple],
                jobs: int, *, weight: int = 1) -> list:
    """``func(state, chunk_traces)`` over chunks of variants, in worker processes when
    the work is large enough to pay for them (forked, so ``state`` is not copied)."""
    events = sum(len(t) for t in traces) * weight
    if jobs <= 1 or events < _MIN_PARALLEL_EVENTS or len(traces) < 2 or not _can_fork():
        return func(state, list(traces))
    import multiprocessing

    chunks = _chunks(traces, jobs * 2)
    _WORKER_STATE["state"], _WORKER_STATE["func"] = state, func
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(jobs, len(chunks))) as pool:
            parts = pool.map(_chunk_worker, [[traces[i] for i in c] for c in chunks])
    finally:
        _WORKER_STATE.clear()
    out: list = [None] * len(traces)
    for chunk, part in zip(chunks, parts, strict=True):
        for i, value in zip(chunk, part, strict=True):
            out[i] = value
    return out


def _chunk_worker(chunk: list[tuple]) -> list:
    return _WORKER_STATE["func"](_WORKER_STATE["state"], chunk)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()
