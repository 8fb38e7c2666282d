"""The pairs a collaboration network is made of: consecutive steps of a case by known
units (:func:`handovers`), with the time of each hand-over in working or clock time,
and the helpers the networks and :mod:`procmine.compare` share (the calendar, time
spans, nanoseconds, each unit's most frequent level and kind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from procmine.abstractions import column_codes
from procmine.engines import Engine, as_engine
from procmine.engines.collector import log_parts
from procmine.errors import ColumnError
from procmine.grouping import distinct
from procmine.log import KIND, LEVEL, RESOURCE, START, TIMESTAMP, EventLog

KIND_CODES = {"line": 1, "条": 1, "block": 2, "块": 2}


NAT = np.iinfo(np.int64).min


def resolve_calendar(calendar: Any) -> tuple[Any, Literal["working", "clock"], str]:
    """The calendar object (None for clock time), the time basis and which calendar it is
    (the years it lacks holiday data for are said after measuring:
    :func:`procmine.calendar.describe_calendar`)."""
    from procmine.calendar import as_calendar, describe_calendar

    calendar = as_calendar(calendar)
    text = describe_calendar(calendar)
    if calendar is None or calendar.kind == "none":
        return None, "clock", text
    return calendar, "working", text


def spans(t0: np.ndarray, t1: np.ndarray, calendar: Any, timezone: str) -> np.ndarray:
    """Seconds from ``t0`` to ``t1`` (int64 UTC ns), working time with a calendar; NaN where missing.

    >>> spans(np.array([0]), np.array([3_600_000_000_000]), None, "UTC")
    array([3600.])
    """
    t0 = np.asarray(t0, dtype=np.int64)
    t1 = np.asarray(t1, dtype=np.int64)
    out = np.full(len(t0), np.nan)
    ok = (t0 != NAT) & (t1 != NAT)
    if not ok.any():
        return out
    if calendar is None:
        out[ok] = (t1[ok] - t0[ok]) / 1e9
        return out
    lo, hi = np.minimum(t0[ok], t1[ok]), np.maximum(t0[ok], t1[ok])
    sign = np.where(t1[ok] >= t0[ok], 1.0, -1.0)
    start = pd.DatetimeIndex(lo.astype("datetime64[ns]"), tz="UTC").tz_convert(timezone)
    stop = pd.DatetimeIndex(hi.astype("datetime64[ns]"), tz="UTC").tz_convert(timezone)
    if hasattr(calendar, "in_zone"):
        calendar = calendar.in_zone(timezone)  # count in the log's office zone
    out[ok] = sign * np.asarray(calendar.working_seconds(start, stop), dtype=float)
    return out


def nanoseconds(values: pd.Series) -> np.ndarray:
    """Int64 UTC nanoseconds of a datetime column (NaT as int64 min)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, utc=True, errors="coerce")
    if getattr(values.dt, "tz", None) is None:
        values = values.dt.tz_localize("UTC")
    return values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(
        dtype="datetime64[ns]").view(np.int64).copy()


def mode_per_group(group: np.ndarray, codes: np.ndarray, names: np.ndarray,
                   n_groups: int) -> np.ndarray:
    """The most frequent value per group code ('' where none), from the values' codes
    (-1 missing) and sorted ``names``: on a tie, the first name."""
    out = np.full(n_groups, "", dtype=object)
    ok = (codes >= 0) & (group >= 0)
    k = len(names)
    if not ok.any() or k == 0:
        return out
    counts = np.bincount(group[ok] * k + codes[ok], minlength=n_groups * k).reshape(n_groups, k)
    has = counts.max(axis=1) > 0
    out[has] = np.asarray(names, dtype=object)[counts[has].argmax(axis=1)]  # the first maximum
    return out


@dataclass(frozen=True)
class Handovers:
    """Consecutive steps of a case by known units, one row per pair (see :func:`handovers`).

    ``pairs`` columns: ``case`` (code), ``source``/``target`` (unit codes),
    ``seconds`` (hand-over time), ``self`` (same unit), ``cross_kind``,
    ``cross_level`` (both ends known and different). ``units``, ``unit_level``
    and ``unit_kind`` name the codes.
    """

    pairs: pd.DataFrame
    units: np.ndarray
    unit_level: np.ndarray
    unit_kind: np.ndarray
    unit_cases: np.ndarray
    unit_events: np.ndarray
    n_cases: int


def events_of(log: EventLog | Engine) -> EventLog:
    """The events of ``log`` as one EventLog, read through the engine's parts of whole
    cases (one part when it fits; parts laid end to end are the log in its order)."""
    parts = list(log_parts(as_engine(log), part_events=_ONE_PART))
    if len(parts) == 1:
        return parts[0]
    return EventLog(pd.concat([p.events for p in parts], ignore_index=True),
                    levels=parts[0].levels, timezone=parts[0].timezone)


_ONE_PART = 1 << 62   # events per part: every log is one part


def handovers(log: EventLog | Engine, *, calendar: Any = "cn") -> Handovers:
    """Every pair of consecutive unit steps in the cases of ``log``, with its time and crossings.

    ``calendar`` as for ``--calendar`` (``"cn"``, ``"none"``, a file, a
    WorkingCalendar) or None for clock time.

    >>> from procmine.simulate import simulate_log
    >>> h = handovers(simulate_log(cases=50, seed=1).to_event_log(), calendar="none")
    >>> h.pairs.columns.tolist()[:4]
    ['case', 'source', 'target', 'seconds']
    """
    cal, _, _ = resolve_calendar(calendar)
    return handover_pairs(events_of(log), cal)


def handover_pairs(log: EventLog, cal: Any, *, timed: bool = True) -> Handovers:
    """The pairs of :func:`handovers` (``cal`` resolved); ``timed`` False: the log has no
    times (its order stands for them), and ``seconds`` is empty."""
    events = log.events
    if not log.has(RESOURCE):
        raise ColumnError("the network needs the acting unit (org:resource), and this log has none",
                          hint="name the column that holds it when reading the log: resource=")
    case_codes = log.case_codes().codes
    res, units = column_codes(log, RESOURCE)
    keep = np.flatnonzero(res >= 0)
    case = case_codes[keep].astype(np.int64)
    unit = res[keep].astype(np.int64)
    # events must be grouped by case in time order (EventLog's promise); sort if not
    ts = nanoseconds(events[TIMESTAMP])[keep]
    if len(case) > 1 and ((np.diff(case) < 0).any()):
        order = np.lexsort((ts, case))
        keep, case, unit, ts = keep[order], case[order], unit[order], ts[order]
    n_units = len(units)
    level = mode_per_group(res, *column_codes(log, LEVEL), n_units) if LEVEL in events.columns \
        else np.full(n_units, "", dtype=object)
    kind_raw = mode_per_group(res, *column_codes(log, KIND), n_units) if KIND in events.columns \
        else np.full(n_units, "", dtype=object)
    kind = np.array([{1: "line", 2: "block"}.get(KIND_CODES.get(str(k).strip().lower(), 0), "")
                     for k in kind_raw], dtype=object)
    pair_cases = distinct(case * max(n_units, 1) + unit)
    unit_cases = np.bincount(pair_cases % max(n_units, 1), minlength=n_units)
    unit_events = np.bincount(unit, minlength=n_units)
    if len(case) > 1:
        a = np.arange(len(case) - 1)
        same = case[1:] == case[:-1]
        a = a[same]
        b = a + 1
    else:
        a = b = np.zeros(0, dtype=np.int64)
    begin = ts[a]
    end = ts[b]
    if START in events.columns:
        start = nanoseconds(events[START])[keep][b]
        known = start != NAT
        end = np.where(known, np.maximum(start, begin), end)
    seconds = spans(begin, end, cal, log.timezone) if timed else np.full(len(a), np.nan)
    rank = {name: i for i, name in enumerate(log.levels)}
    level_rank = np.array([rank.get(x, -1) for x in level] + [-1], dtype=np.int64)
    kind_code = np.array([KIND_CODES.get(k, 0) for k in kind] + [0], dtype=np.int64)
    src, dst = unit[a], unit[b]
    ks, kt = kind_code[src], kind_code[dst]
    ls, lt = level_rank[src], level_rank[dst]
    pairs = pd.DataFrame({
        "case": case[a], "source": src, "target": dst, "seconds": seconds,
        "self": src == dst,
        "cross_kind": (ks > 0) & (kt > 0) & (ks != kt),
        "cross_level": (ls >= 0) & (lt >= 0) & (ls != lt),
        "known_kind": (ks > 0) & (kt > 0),
        "known_level": (ls >= 0) & (lt >= 0),
        "source_level": ls, "target_level": lt,
    })
    return Handovers(pairs=pairs, units=units, unit_level=level, unit_kind=kind,
                     unit_cases=unit_cases, unit_events=unit_events,
                     n_cases=int(case_codes.max()) + 1 if len(case_codes) else 0)

