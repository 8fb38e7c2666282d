"""What the deviations need from the events themselves, read part by part.

The log (an engine's parts of whole cases) is scanned once:
``_scan_events`` finds the unit at each deviation's position in each case and
the cases that break a ``distinct_units`` rule, adding them up in
``_EventFacts``; ``_tally`` and ``_most`` count and rank the units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.errors import ProcmineError
from procmine.log import ACTIVITY, CASE, RESOURCE, EventLog

if TYPE_CHECKING:
    pass


def _apply_aliases(activities: pd.Series, spec: Any) -> pd.Series | None:
    codes, uniques = pd.factorize(activities, sort=False)
    mapped = [spec.step_of(u) or u for u in uniques]
    if all(a == b for a, b in zip(mapped, uniques, strict=True)):
        return None
    return pd.Series(np.asarray(mapped, dtype=object)[codes], index=activities.index)


@dataclass(frozen=True)
class _EventFacts:
    """What the deviations need from the events, added up over the parts of the log.

    ``units``: per deviation, cases per unit where it happened (units in order of
    first appearance, as ``value_counts`` breaks ties); ``returned``: per
    ``distinct_units`` path, per part, the cases back at a unit that returned the
    order (case -> that unit).
    """

    units: dict[tuple, dict[str, int]]
    returned: list[list[pd.Series]]
    #: per part, the units each case passed, in order of first appearance ("A, B, C")
    case_units: list[pd.Series] | None = None


def _scan_events(parts: Iterable[EventLog], of_case: pd.Series, found: dict[tuple, list[tuple[int, int]]],
                 rules: list[Any], spec: Any) -> _EventFacts:
    """One pass over the parts: the unit at each deviation's position in each case, and
    the cases breaking a ``distinct_units`` rule. Parts hold whole cases, so each
    case's answer is exact and the counts add up."""
    variant_of_case = of_case.to_numpy(dtype=np.int64)
    at: dict[tuple, np.ndarray] = {}
    for key, where in found.items():      # per variant, the position of the deviation (or -1)
        at[key] = np.full(int(variant_of_case.max()) + 1, -1, dtype=np.int64)
        at[key][[v for v, _ in where]] = [p for _, p in where]
    facts = _EventFacts({key: {} for key in found}, [[] for _ in rules], [])
    done = 0
    for part in parts:
        events = part.events
        starts = part.case_codes().starts
        if len(starts) == 0:
            continue
        if done + len(starts) > len(of_case) or str(events[CASE].iat[0]) != str(of_case.index[done]):
            raise ProcmineError("the parts of the log do not follow the variant table's cases",
                                hint="report this as a bug of the engine")
        variant = variant_of_case[done:done + len(starts)]
        done += len(starts)
        if RESOURCE not in events.columns:
            continue
        units = events[RESOURCE]
        facts.case_units.append(_units_per_case(events))
        for key, positions in at.items():
            p = positions[variant]
            hit = p >= 0
            _tally(facts.units[key], units.iloc[starts[hit] + p[hit]])
        if not rules:
            continue
        activity = _apply_aliases(events[ACTIVITY], spec)   # the rules name the spec's steps
        activity = events[ACTIVITY] if activity is None else activity
        for returned, rule in zip(facts.returned, rules, strict=True):
            back = _back_at_returner(events, activity, rule)
            if len(back):
                returned.append(back)
    return facts


def _units_per_case(events: pd.DataFrame) -> pd.Series:
    """The distinct units of each case, in order of first appearance, joined by commas."""
    pairs = events[[CASE, RESOURCE]].dropna().drop_duplicates()
    return pairs.groupby(CASE, sort=False)[RESOURCE].agg(lambda u: ", ".join(map(str, u)))


def _tally(counts: dict[str, int], units: pd.Series) -> None:
    """Add the known ``units`` to ``counts`` (new units after the known ones)."""
    codes, names = pd.factorize(units.dropna(), sort=False)
    for name, n in zip(names, np.bincount(codes, minlength=len(names)), strict=True):
        counts[name] = counts.get(name, 0) + int(n)


def _most(counts: dict[str, int], k: int = 3) -> tuple[tuple[str, int], ...]:
    """The ``k`` units with most cases; among equals, the first seen."""
    return tuple((str(u), n) for u, n in sorted(counts.items(), key=lambda kv: -kv[1])[:k])


def _back_at_returner(events: pd.DataFrame, activity: pd.Series, path: Any) -> pd.Series:
    """Cases where a unit that returned the order (the path's first step) acts on it
    again (the path's first step, or the step where the path rejoins the main line),
    with that unit: the order went back to a unit that refused it."""
    first, rejoin = path.steps[0], path.target
    sel = np.flatnonzero(activity.isin([first, rejoin]).to_numpy(dtype=bool))
    if len(sel) == 0:
        return pd.Series([], dtype=object)
    frame = pd.DataFrame({"case": events[CASE].to_numpy()[sel],
                          "unit": events[RESOURCE].to_numpy()[sel], "pos": sel,
                          "is_first": (activity.iloc[sel] == first).to_numpy(dtype=bool)}
                         ).dropna(subset=["unit"])
    frame["first_at"] = np.where(frame["is_first"], frame["pos"], np.iinfo(np.int64).max)
    frame["earliest"] = frame.groupby(["case", "unit"], sort=False)["first_at"].transform("min")
    hits = frame[frame["pos"] > frame["earliest"]]
    return hits.groupby("case", sort=False)["unit"].first()
