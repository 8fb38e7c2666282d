"""Sizes of memory: a ``--memory-limit`` read, bytes written for a person, and what the
system says of this process's peak and of the memory available (Linux's ``/proc``,
else the portable calls). Importable from :mod:`procmine.engines`.
"""

from __future__ import annotations

import os
import re
import sys

from procmine.errors import SpecError


def _proc_bytes(path: str, key: str) -> int | None:
    """The ``key:`` line of a Linux ``/proc`` file (kB), in bytes; None where there is none."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            found = next((line for line in f if line.startswith(key)), None)
    except OSError:
        return None
    return None if found is None else int(found.split()[1]) * 1024


def peak_memory() -> int | None:
    """This process's peak resident memory in bytes (None if unknown): Linux's ``VmHWM``, new at
    each exec (``ru_maxrss`` keeps a parent's peak across exec), else ``ru_maxrss``."""
    if (peak := _proc_bytes("/proc/self/status", "VmHWM:")) is not None:
        return peak
    try:
        import resource
    except ImportError:         # pragma: no cover - Windows
        return None
    unit = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit


def _available_memory() -> int:
    if (available := _proc_bytes("/proc/meminfo", "MemAvailable:")) is not None:
        return available
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError):
        return 4 * 2**30


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 2**10, "m": 1000**2, "mb": 1000**2,
          "mib": 2**20, "g": 1000**3, "gb": 1000**3, "gib": 2**30, "t": 1000**4, "tb": 1000**4,
          "tib": 2**40}


#: The smallest memory limit :func:`memory_limit_bytes` takes: below it DuckDB runs out
#: of memory reading even a log of 16 events (24MiB did; 64MiB, the hint, reads the
#: 3,000-case sample within it: docs/security.md)
SMALLEST_LIMIT = 32 * 2**20


def parse_memory_limit(text: str) -> int:
    """Bytes in a memory limit such as ``4GiB``, ``4GB``, ``512MiB`` or ``2g``.

    >>> parse_memory_limit("4GiB"), parse_memory_limit("500MB")
    (4294967296, 500000000)
    """
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS:
        raise SpecError(f"memory limit {text!r}: expected a size such as 4GiB, 4GB or 512MiB")
    return int(float(match.group(1)) * _UNITS[unit])


def memory_limit_bytes(text: str) -> int:
    """The bytes of a ``memory_limit`` given to procmine: :func:`parse_memory_limit`,
    refused under :data:`SMALLEST_LIMIT` (DuckDB would only run out of memory later).

    >>> memory_limit_bytes("64MiB")
    67108864
    >>> memory_limit_bytes("0")
    Traceback (most recent call last):
    ...
    procmine.errors.SpecError: memory limit '0': too small to read a log within (give 64MiB or more (docs/security.md))
    """
    size = parse_memory_limit(text)
    if size < SMALLEST_LIMIT:
        raise SpecError(f"memory limit {text!r}: too small to read a log within",
                        hint="give 64MiB or more (docs/security.md)")
    return size


def human_size(n: float) -> str:
    """Bytes as a person reads them: ``human_size(3 << 20)`` is '3.0 MiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover
