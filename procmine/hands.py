"""Two hands for steps that do not depend on each other: in reading, the conversion, the
trimming, the times and the copy of each column; in ``abstractions.follows``, the sums,
the sort and the case counts of the pairs. Arrow's parse keeps both cores busy, but what
followed it ran on one: numpy, pandas and Arrow let go of Python's lock in the long part
of these steps, so a second thread doing the next item while this one does its own cut
the wall time of a 5M-event ``procmine map`` by about 0.3 s (benchmarks/RESULTS.md,
session 9).

:func:`each` is ``[step(x) for x in items]`` with one helper thread taking items as
well: the results in the order of ``items``, and where steps fail, the error of the
first failing item in that order (the one the loop would raise). A step must be pure:
no report, no warnings filter (``warnings.catch_warnings`` is not thread-safe), nothing
shared written; a failing step does not stop the other hand's item.

>>> each(lambda x: x * x, [1, 2, 3])
[1, 4, 9]
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["each", "idle_helper"]

T = TypeVar("T")
R = TypeVar("R")

_HELPER: ThreadPoolExecutor | None = None
_HELPER_LOCK = threading.Lock()


def each(step: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[step(x) for x in items]``, this thread and one helper taking the next item in
    turn (see the module's note); one item, or a call from the helper itself, is done
    here alone."""
    items = list(items)
    if len(items) < 2 or threading.current_thread().name.startswith(_NAME):
        return [step(x) for x in items]
    results: list = [None] * len(items)
    errors: list[BaseException | None] = [None] * len(items)
    taken = iter(range(len(items)))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                i = next(taken, None)
            if i is None:
                return
            try:
                results[i] = step(items[i])
            except BaseException as e:  # raised below in the loop's order
                errors[i] = e

    helper = _helper().submit(_then_release, work)
    work()
    helper.result()
    for error in errors:
        if error is not None:
            raise error
    return results


_NAME = "procmine-hand"


def _then_release(work: Callable[[], None]) -> None:
    """``work()`` on the helper, then the memory Arrow's allocator (mimalloc: a heap per
    thread) keeps for the helper given back: no other thread can reuse it, and kept it
    raised the peak of a 5M-event read by about 100 MB."""
    try:
        work()
    finally:
        arrow = sys.modules.get("pyarrow")
        if arrow is not None:
            arrow.default_memory_pool().release_unused()


def _helper() -> ThreadPoolExecutor:
    """The one helper thread, made on first use and kept for the next steps (its memory
    arena too: later steps reuse the pages earlier ones freed)."""
    global _HELPER
    with _HELPER_LOCK:
        if _HELPER is None:
            _HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_NAME)
        return _HELPER


def idle_helper(thread: threading.Thread) -> bool:
    """Whether ``thread`` is the helper of :func:`each` (which has no item once ``each``
    returns): a process may end without waiting for it."""
    return thread.name.startswith(_NAME)


def _forget_helper() -> None:
    """In a forked child the helper thread does not exist: make a new one on next use."""
    global _HELPER, _HELPER_LOCK
    _HELPER, _HELPER_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper)
