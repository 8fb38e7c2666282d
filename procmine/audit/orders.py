"""Per order, the facts of the sections ``citizens``, ``burden`` and ``overload``.

Measured on one part of the log at a time (whole cases, ``Engine.event_logs``), like
``procmine.audit.cases``. Every span is working time of the audit's calendar:

- ``response_s``: from the report to the *first response*, the first sign (签收),
  return (退单) or handling (处置) by a unit after the first dispatch;
- ``accept_s``: from the report to the acceptance (the last sign before the first
  handling, as in the clocks); ``answer_s``: from the step before the acceptance (the
  dispatch, redispatch or assignment that brought the order) to the acceptance, the
  time the accepting unit took to answer;
- ``close_s``: from the report to the first closure (结案); ``handle_s``: from the
  acceptance to the first handling, the time the order was in the unit's hands;
- the *unit* of an order is the unit of its first handling step (of its acceptance
  when it has none); its *street* the first block unit at the street level (街镇)
  that acts in it;
- each step is field, platform, waiting or other work (``procmine.audit.governance``);
  ``unit_platform``/``unit_field`` count the unit's own steps of each kind in the
  order and ``unit_platform_s``/``unit_field_s`` the working time before them (from
  the order's previous step).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from procmine.audit.cases import NO_EVENT, EventPart, coded, working_positions
from procmine.audit.governance import KINDS, Governance
from procmine.grouping import distinct
from procmine.log import ADDRESS, CATEGORY, CITIZEN, DEADLINE, KIND, LEVEL, RESOURCE, SOURCE

STREET_LEVEL = "街镇"
ORDER_COLUMNS = ("case", "source", "group", "category", "citizen", "address", "street", "unit",
                 "level", "report", "accept", "handle", "first_close", "last_close", "deadline", "response_s", "accept_s",
                 "answer_s", "close_s", "handle_s", "returned", "reworked", "dissatisfied",
                 "reopened", "field_steps", "unit_platform", "unit_field", "unit_platform_s",
                 "unit_field_s")
#: The columns of the per-order table the per-case table (``procmine.audit.cases``) has
#: too, measured alike: when both are made, the orders take them from the cases.
SHARED_COLUMNS = ("case", "category", "citizen", "address", "report", "first_close",
                  "last_close", "dissatisfied", "reopened")
UNIT_COLUMNS = ("unit", "level", "orders", *(f"{k}_steps" for k in KINDS),
                *(f"{k}_s" for k in KINDS))


def order_table(part: Any, calendar: Any, vocab: Governance, *,
                shared: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The orders of one part (:data:`ORDER_COLUMNS`) and its units' steps (:data:`UNIT_COLUMNS`);
    ``part`` is an ``EventLog`` or its :class:`EventPart` (with the aliases of ``vocab``).
    ``shared=False`` leaves out the :data:`SHARED_COLUMNS` (the caller has them per case)."""
    p = part if isinstance(part, EventPart) else EventPart(part, vocab.aliases or None)
    kind = np.array([KINDS.index(vocab.kind_of(n)) for n in p.names] or [0], dtype=np.int64)
    kind = kind[p.code] if len(p.code) else np.zeros(0, dtype=np.int64)
    pos = _positions(p, calendar)
    gap = np.zeros(len(pos))
    if len(pos):
        gap[1:] = np.where(p.case[1:] == p.case[:-1], np.diff(pos), 0.0)
    dispatch = p.first(p.is_("dispatch"))
    after = p.index > np.where(dispatch == NO_EVENT, -1, dispatch)[p.case]
    response = p.first(p.is_("sign", "return", "handle") & after)
    handle = p.first(p.is_("handle"))
    signed = p.last(p.is_("sign") & (p.index < handle[p.case]))
    accept = np.where(signed >= 0, signed, handle)
    close = p.first(p.is_("close"))
    unit_at = np.where(handle != NO_EVENT, handle, accept)
    res, names = (p.codes(RESOURCE) if RESOURCE in p.columns
                  else (np.full(len(p.code), -1), np.array([None], dtype=object)))
    names = names[:-1]                      # without the None of code -1
    unit_code = np.full(p.n, -1)
    unit_code[_ok(unit_at)] = res[unit_at[_ok(unit_at)]]
    mine = (res == unit_code[p.case]) & (res >= 0)
    source = p.at(SOURCE, p.starts)
    groups = {s: vocab.group_of(s) for s in set(source)}

    def span(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ok = _ok(a) & _ok(b)
        out = np.full(p.n, np.nan)
        out[ok] = pos[b[ok]] - pos[a[ok]]
        return out

    def count(where: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(p.case[where], weights=None if weights is None else weights[where],
                           minlength=p.n)

    platform, field = kind == KINDS.index("platform"), kind == KINDS.index("field")
    out = pd.DataFrame({
        "case": p.ids, "source": coded(source),
        "group": coded(np.array([groups[s] for s in source], dtype=object)),
        "category": coded(p.at(CATEGORY, p.starts)), "citizen": p.at(CITIZEN, p.starts),
        "address": p.at(ADDRESS, p.starts), "street": coded(p.at(RESOURCE, _street(p))),
        "unit": coded(p.at(RESOURCE, unit_at)), "level": coded(p.at(LEVEL, unit_at)),
        "report": p.stamp(p.starts), "accept": p.stamp(accept), "handle": p.stamp(handle),
        "first_close": p.stamp(close), "last_close": p.stamp(p.last(p.is_("close"))),
        "deadline": _deadline(p),
        "response_s": span(p.starts, response), "accept_s": span(p.starts, accept),
        "answer_s": span(_before(p, accept), accept), "close_s": span(p.starts, close),
        "handle_s": span(accept, handle),
        "returned": count(p.is_("return")), "reworked": count(p.is_("check_failed")),
        "dissatisfied": count(p.is_("dissatisfied")), "reopened": count(p.is_("reopen")),
        "field_steps": count(field), "unit_platform": count(mine & platform),
        "unit_field": count(mine & field), "unit_platform_s": count(mine & platform, gap),
        "unit_field_s": count(mine & field, gap)})
    columns = [c for c in ORDER_COLUMNS if shared or c not in SHARED_COLUMNS]
    return out[columns], _unit_steps(p, res, names, kind, gap)


def _before(p: EventPart, idx: np.ndarray) -> np.ndarray:
    """Per case, the event before event ``idx`` (none when ``idx`` is the case's first)."""
    out = np.where(_ok(idx), idx - 1, NO_EVENT)
    out[_ok(idx) & (idx <= p.starts)] = NO_EVENT
    return out


def _ok(idx: np.ndarray) -> np.ndarray:
    return (idx >= 0) & (idx != NO_EVENT)


def _positions(p: EventPart, calendar: Any) -> np.ndarray:
    """Working seconds of each event from the part's earliest time (differences are spans)."""
    if len(p.time) == 0:
        return np.zeros(0)
    return working_positions(calendar, p.time.min(), p.time)


def _street(p: EventPart) -> np.ndarray:
    """Per case, the first event of a block unit at the street level (街镇)."""
    if LEVEL not in p.columns:
        return np.full(p.n, NO_EVENT)
    street = _equal(p, LEVEL, STREET_LEVEL)
    if KIND in p.columns:
        street = street & _equal(p, KIND, "block")
    return p.first(street)


def _equal(p: EventPart, column: str, value: str) -> np.ndarray:
    """Per event, whether ``column`` is ``value`` (False where missing), on the column's codes."""
    codes, names = p.codes(column)
    return np.array([name == value for name in names], dtype=bool)[codes]


def _deadline(p: EventPart) -> pd.Series:
    """The due time (时限) of each order, as its first event has it (NaT without one)."""
    if DEADLINE not in p.columns or p.n == 0:
        return pd.Series(pd.DatetimeIndex([pd.NaT] * p.n, tz=p.time.tz))
    return pd.Series(pd.DatetimeIndex(p.log.column(DEADLINE, rows=p.starts)))


def _unit_steps(p: EventPart, res: np.ndarray, names: np.ndarray, kind: np.ndarray,
                gap: np.ndarray) -> pd.DataFrame:
    """Per unit of the part: the orders it acted in, its steps and their time by kind."""
    known = np.flatnonzero(res >= 0)
    if len(known) == 0:
        return pd.DataFrame(columns=list(UNIT_COLUMNS))
    r, k = res[known], kind[known]
    orders = np.bincount(distinct(p.case[known] * len(names) + r) % len(names),
                         minlength=len(names))
    out = pd.DataFrame({"unit": names.astype(str), "level": _unit_levels(p, res, known, names),
                        "orders": orders})
    cells = r * len(KINDS) + k
    steps = np.bincount(cells, minlength=len(names) * len(KINDS)).reshape(-1, len(KINDS))
    time = np.bincount(cells, weights=gap[known],
                       minlength=len(names) * len(KINDS)).reshape(-1, len(KINDS))
    for i, name in enumerate(KINDS):
        out[f"{name}_steps"] = steps[:, i]
        out[f"{name}_s"] = time[:, i]
    return out[list(UNIT_COLUMNS)]


def _unit_levels(p: EventPart, res: np.ndarray, known: np.ndarray, names: np.ndarray
                 ) -> np.ndarray:
    """Per unit, the level (层级) of its first event that has one (None when none has): the
    parts of a log give what the whole log gives, as ``burden`` takes the first level a
    unit has in the first part where it has one."""
    level = np.full(len(names), None, dtype=object)
    if LEVEL not in p.columns:
        return level
    with_level = known[p.codes(LEVEL)[0][known] >= 0]
    first = np.full(len(names), -1)
    first[res[with_level][::-1]] = with_level[::-1]     # each unit's first is assigned last
    found = first >= 0
    level[found] = p.values(LEVEL, first[found])
    return level
