"""The effects of issue 24, with their truth: upward orientation, online burden, overload.

Off by default (``citizen_slowdown`` 1, ``platform_burden`` 0, ``overload_slowdown``
0 in the rates), so a seed gives the same events as before these effects existed;
their random numbers come from a stream of their own (seeded from the run's seed).

- *Upward-oriented* units (:data:`UPWARD_UNITS`) sign the orders reported through
  the 12345 hotline ``citizen_slowdown`` times slower than they would (the working
  time from the previous step to each of their signs); truth ``upward_slowed``.
- *Burdened* units (:data:`BURDENED_UNITS`) fill in 1 to ``2 * platform_burden - 1``
  extra platform steps (上传, 填报, 审核, in turn; ``platform_burden`` on average)
  after handling each order; truth ``platform_extra``, their number.
- *Overload-prone* units (:data:`OVERLOAD_UNITS`) have a capacity: the
  :data:`CAPACITY_QUANTILE` of the orders they hold (accepted, not yet handled) when
  they accept one, without the effect (at least :data:`MIN_CAPACITY`). An order accepted while the unit holds more
  than that takes ``1 + overload_slowdown`` times as long to handle (the unit breaks
  down: a step, unlike the smooth growth of queueing); truth ``overloaded`` (the
  order was slowed) and ``overload_capacity`` (the capacity of its unit).
"""

from __future__ import annotations

import heapq

import numpy as np

from procmine.simulate.model import _CODE
from procmine.vocabulary import OVERLOADED, PLATFORM_EXTRA, UPWARD_SLOWED

UPWARD_UNITS = ("enforcement", "police")
BURDENED_UNITS = ("community0", "community5")
OVERLOAD_UNITS = ("greening", "street_admin")
#: The platform steps a burdened unit adds, in turn, and the most it adds to one order.
EXTRA_ROLES = ("upload", "fill_in", "review")
MAX_EXTRA = 6
CAPACITY_QUANTILE = 0.75
MIN_CAPACITY = 5.0
#: The rates of these effects and their defaults (off), with their allowed ranges.
GOVERNANCE_RATES = {"citizen_slowdown": 1.0, "platform_burden": 0.0, "overload_slowdown": 0.0}
RANGES = {"citizen_slowdown": (1.0, 20.0), "platform_burden": (0.0, 3.0),
          "overload_slowdown": (0.0, 10.0)}


def enabled(rates: dict[str, float]) -> bool:
    """Whether any of the effects is on (then the truth gets their columns)."""
    return any(rates.get(k, v) != v for k, v in GOVERNANCE_RATES.items())


def platform_steps(rng: np.random.Generator, handler: np.ndarray, mean: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per case, the number of extra platform steps, and their gaps (working s, one column each)."""
    n = len(handler)
    gaps = np.clip(2400.0 * np.exp(0.5 * rng.standard_normal((n, MAX_EXTRA))), 300.0, 4 * 3600.0)
    count = 1 + rng.integers(0, max(1, int(round(2 * mean - 1))), n) if mean > 0 \
        else np.zeros(n, dtype=np.int64)
    burdened = np.isin(handler, [_CODE[k] for k in BURDENED_UNITS])
    return np.where(burdened & (mean > 0), np.minimum(count, MAX_EXTRA), 0), gaps


def upward_mask(units: np.ndarray, sign: np.ndarray, citizen: np.ndarray) -> np.ndarray:
    """(case, step) cells of a sign by an upward-oriented unit in a citizen's order."""
    upward = np.isin(units, [_CODE[k] for k in UPWARD_UNITS])
    return upward & sign[None, :] & citizen[:, None]


def overload_extra(handler: np.ndarray, arrival: np.ndarray, d0: np.ndarray, slowdown: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extra handling time per case, whether it was slowed, and its unit's capacity (NaN)."""
    n = len(handler)
    extra, capacity = np.zeros(n), np.full(n, np.nan)
    if slowdown <= 0:
        return extra, np.zeros(n, dtype=bool), capacity
    for key in OVERLOAD_UNITS:
        idx = np.flatnonzero(handler == _CODE[key])
        if len(idx) == 0:
            continue
        idx = idx[np.argsort(arrival[idx], kind="stable")]
        base = _held(arrival[idx], d0[idx], np.zeros(len(idx)), None)[0]
        cap = max(MIN_CAPACITY, float(np.round(np.quantile(base, CAPACITY_QUANTILE))))
        _, added = _held(arrival[idx], d0[idx], np.zeros(len(idx)), (cap, slowdown))
        extra[idx] = added
        capacity[idx] = cap
    return extra, extra > 0, capacity


def _held(arrival: np.ndarray, duration: np.ndarray, added: np.ndarray,
          effect: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Orders held at each arrival (in order), and the time added above the capacity."""
    ends: list[float] = []
    held = np.zeros(len(arrival))
    added = added.copy()
    for j, (a, d) in enumerate(zip(arrival, duration, strict=True)):
        while ends and ends[0] <= a:
            heapq.heappop(ends)
        held[j] = len(ends)
        if effect is not None and held[j] > effect[0]:
            added[j] = d * effect[1]
        heapq.heappush(ends, a + d + added[j])
    return held, added


def truth_columns(upward: np.ndarray, extra: np.ndarray, overloaded: np.ndarray,
                  capacity: np.ndarray) -> dict[str, np.ndarray]:
    return {UPWARD_SLOWED: upward.astype(np.int8), PLATFORM_EXTRA: extra.astype(np.int8),
            OVERLOADED: overloaded.astype(np.int8), "overload_capacity": capacity}
