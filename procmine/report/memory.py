"""The report's memory under a memory limit (``--memory-limit``): what it counts, what it gives back.

The report runs every analysis in one process, and the limit bounds that process
(the DuckDB engine's buffers, the parts of the log in pandas, and what the report
keeps in Python). What the report holds outside the engine is counted against the
limit with ``Engine.hold_outside``, so that DuckDB's share and the parts shrink by
it (down to their floors, ``duckdb_engine.MIN_SHARE`` and ``collector.MIN_PART_SHARE``):

- :data:`HELD_PER_CASE` bytes a case for the whole report (the case tables, the
  handling units, the deadline verdicts and the explorer's data; the page is written
  as it is made, never held whole);
- :data:`procmine.audit.HELD_PER_CASE` more while the audit section reads the log
  (its per-case and per-order tables, as ``procmine audit`` counts them);
- :data:`PROCESS_FIXED` for the interpreter and the libraries every command
  imports, and :data:`LIBRARIES_FIXED` for scipy and pm4py, which the report
  imports besides (the model is made in the report's process under a limit).

:func:`give_back` returns the memory a stage freed to the system (the C heap and
Arrow's pool keep freed pages otherwise), so that the next stage starts from what
is live, not from the last stage's peak. :func:`arrow_from_heap` has Arrow allocate
from the C heap while the report runs under a limit: what its own pool (mimalloc)
kept of the stages was the largest part of what the process held besides its live data.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

#: What the report's process keeps per case outside DuckDB's share and the parts, in
#: bytes, from the first section to the written page. Measured on an 87,000-case log
#: (``memory_usage(deep=True)``, Arrow strings included) when the page's case table is
#: made: the engine's case table (104) and the variant of each case (about 25), the
#: handling units (38) and the deadline verdicts (25: case ids and a float, not the
#: bottlenecks' per-case table, which is no longer kept), the case table of
#: :func:`procmine.report.cases.case_facts` (125), and the patterns' flags read back
#: for it (about 80). The page is written to its file as it is made, a few cases of
#: the explorer's data at a time: it is never held whole (600 were counted while the
#: page's text was held two or three times and the bottlenecks kept their per-case table).
#: tests/test_report_memory.py checks the case table's and the verdicts' parts on the sample log.
#: Since then the engine keeps no case table between stages: each stage reads the columns it
#: needs (``Engine.cases(columns=...)``), and the 104 bytes a case of the engine's table are
#: no longer held; the count stays, as a bound.
#: DuckDB's case table reads the variant of each case in the
#: database (``Variants.of_case``, 25 bytes a case by ``memory_usage(deep=True)`` plus the
#: hash table of its index, is no longer made for it), and the engine forgets its case
#: table once the page's is made (``Engine.release_cases``). The count stays 400: between
#: 2M and 5M events (175,000 and 430,000 cases) the page's peak of the process grows by
#: 182 MiB, about 750 bytes a case (VmRSS sampled; 785 before Arrow allocated from the C
#: heap, :func:`arrow_from_heap`), which is the page's own work on top of what is held.
#: Since then the handling units are held as categories (18 bytes a case on the sample, not 38),
#: the page reads the pattern flags of the flagged cases only, and the patterns' and the
#: verdicts' passes hold less while they run; the count stays, as a bound.
HELD_PER_CASE = 400
#: Bytes the process holds before it reads anything: the interpreter and the libraries
#: every command imports (numpy, pandas, Arrow, DuckDB), 105 MiB of resident memory
#: after ``import procmine.report`` (``VmRSS``). The other commands leave them to the
#: margin the limit's shares keep; the report, which holds most besides, counts them.
PROCESS_FIXED = 105 << 20
#: Bytes of the libraries the report imports besides under a memory limit: scipy (the
#: audit's tests, 55 MiB) and pm4py (the model, made in the report's process under a
#: limit, 75 MiB more), measured as resident memory after their import.
LIBRARIES_FIXED = 130 << 20


#: the pools :func:`arrow_from_heap` set aside while it runs
_SET_ASIDE: list = []


@contextmanager
def arrow_from_heap(limited: bool) -> Iterator[None]:
    """With ``limited``, Arrow's new buffers come from the C heap (``system_memory_pool``)
    until the block ends, then from the pool it had before.

    Arrow's default pool (mimalloc in the wheels) keeps the pages of the parts' strings
    and of the tables read from DuckDB partly used after a stage, and ``release_unused``
    gives back only whole empty ones; the C heap's free pages :func:`give_back` returns
    (``malloc_trim``). Measured at 512MiB (the stages' peaks by a thread reading VmRSS),
    on 2M events (175,000 cases): the bottlenecks 603 -> 538 MiB, the patterns 592 -> 516,
    the page 561 -> 491; on 5M (430,000): 731 -> 635, 734 -> 645, 752 -> 673. The numbers
    are the same: only where the memory comes from changes.
    Buffers made before keep their pool and are freed to it."""
    import pyarrow as pa

    if not limited:
        yield
        return
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    _SET_ASIDE.append(before)
    try:
        yield
    finally:
        pa.set_memory_pool(before)
        _SET_ASIDE.remove(before)


def give_back() -> None:
    """Return the freed memory of Arrow's pools and of the C heap to the system (glibc's
    ``malloc_trim``; nothing where there is no such call)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    for pool in _SET_ASIDE:             # the buffers made before arrow_from_heap are freed there
        pool.release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (another C library, another system)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None
