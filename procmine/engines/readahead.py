"""Reading a DuckDB engine's parts one ahead, in a thread of their own, while the caller
works on the part before (:func:`one_ahead`), each batch read under the engine's lock so
that a release of DuckDB's cache never lowers the limit under a running scan
(:func:`taking_turns`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def taking_turns(reader: Any, lock: Any) -> Iterator[Any]:
    """The batches of an Arrow reader, each read while holding ``lock``."""
    while True:
        with lock:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
        yield batch


def one_ahead(items: Iterator[Any]) -> Iterator[Any]:
    """The items of ``items``, each made in a thread of its own while the caller works
    on the one before: one item ahead, no more (an item is a part of the log). An
    error in the thread is raised here; stopping early stops the thread."""
    import queue
    import threading

    box: queue.Queue = queue.Queue(maxsize=1)
    taken = threading.Semaphore(0)
    stop = threading.Event()
    end = object()

    def make() -> None:
        try:
            for item in items:
                box.put((item, None))
                taken.acquire()  # the next is made once the caller has this one
                if stop.is_set():
                    return
            box.put((end, None))
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            box.put((end, error))
        finally:
            items.close()

    thread = threading.Thread(target=make, name="procmine-parts", daemon=True)
    thread.start()
    try:
        while True:
            item, error = box.get()
            if error is not None:
                raise error
            if item is end:
                return
            taken.release()
            yield item
    finally:
        stop.set()
        taken.release()
        thread.join()


#: the columns of ``sql.cases`` the table ``case_rows`` keeps (besides ``c``, ``f`` and ``variant``)
