"""The plan of a simulation: every case as a row of possible steps, and the helpers that time them.

``_Plan`` holds the steps as columns (role, unit, gap in working seconds, presence
per case); ``_lognormal`` draws clipped lognormal gaps, ``_pick`` a unit per case
from a pool with exclusions, ``_lindley`` the waits of a FIFO queue.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from procmine.simulate.model import _ROLE_CODE


class _Plan:
    """The steps of every case as columns: role, unit, gap (working s) and presence per case."""

    def __init__(self, n: int):
        self.n = n
        self.roles: list[int] = []
        self.units: list[np.ndarray] = []
        self.gaps: list[np.ndarray] = []
        self.masks: list[np.ndarray] = []

    def add(self, role: str, unit: Any, gap: Any, mask: Any = True) -> int:
        self.roles.append(_ROLE_CODE[role])
        self.units.append(np.broadcast_to(np.asarray(unit, dtype=np.int64), (self.n,)).copy())
        self.gaps.append(np.broadcast_to(np.asarray(gap, dtype=np.float64), (self.n,)).copy())
        self.masks.append(np.broadcast_to(np.asarray(mask, dtype=bool), (self.n,)).copy())
        return len(self.roles) - 1


def _lognormal(rng: np.random.Generator, median: Any, sigma: float, lo: float, hi: Any) -> np.ndarray:
    median = np.asarray(median, dtype=np.float64)
    values = median * np.exp(sigma * rng.standard_normal(np.shape(median) or None))
    return np.clip(values, lo, hi)


def _pick(rng: np.random.Generator, pool: np.ndarray, n: int, exclude: list[np.ndarray]) -> np.ndarray:
    """A unit from ``pool`` per case, none of the units in ``exclude`` (vectorised rejection)."""
    out = pool[rng.integers(0, len(pool), n)]
    for _ in range(200):
        bad = np.zeros(n, dtype=bool)
        for other in exclude:
            bad |= out == other
        if not bad.any():
            return out
        out[bad] = pool[rng.integers(0, len(pool), int(bad.sum()))]
    raise RuntimeError("simulate: a unit pool is too small for the exclusions")  # pragma: no cover


def _lindley(arrival: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Waiting times of a FIFO single-server queue (arrivals sorted): Lindley's recursion, closed form."""
    if len(arrival) == 0:
        return arrival
    inc = np.zeros(len(arrival))
    inc[1:] = service[:-1] - np.diff(arrival)
    x = np.cumsum(inc)
    return x - np.minimum.accumulate(x)
