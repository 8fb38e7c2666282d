"""Per case, the facts the audit starts from, measured on one part of the log at a time.

A part is an ``EventLog`` of whole cases (``Engine.event_logs``), so every
measure here is per case and the parts' tables laid end to end are the table
of the whole log. Steps are read by role (``procmine.vocabulary.role_of``):

- the first dispatch (派遣), and the *first unit*: the unit of the first sign,
  return or handling step after it;
- *acceptance*: the last sign (签收) before the first handling step (the first
  handling step itself when no unit signed); the official clock starts here;
- *bounces*: returns (退单) before acceptance, each a restart of the official
  clock; a bounce goes from the returning unit to the unit of the next sign,
  return or handling step;
- the first and the last closure (结案); suspensions: each park (挂账) until
  the next step; extensions granted (延期批准); dissatisfaction; reopening.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from procmine.log import (
    ACTIVITY,
    ADDRESS,
    CASE,
    CATEGORY,
    CITIZEN,
    KIND,
    LEVEL,
    RESOURCE,
    TIMESTAMP,
)
from procmine.vocabulary import roles_of

_NONE = np.iinfo(np.int64).max
#: Columns of the per-case table (times as timezone-aware timestamps, spans in working s).
CASE_COLUMNS = ("case", "category", "citizen", "address", "report", "first_close", "last_close",
                "first_unit", "first_kind", "first_level", "accept_unit", "handler", "bounces",
                "transit_s", "presign_s", "official_s", "suspended_s", "extensions",
                "late_extensions", "dissatisfied", "reopened")


class _Part:
    """The events of one part as arrays: case codes, roles, units, times."""

    def __init__(self, events: pd.DataFrame, aliases: dict[str, str] | None):
        self.events = events
        self.case, uniques = pd.factorize(events[CASE], sort=False)
        self.n = len(uniques)
        self.ids = np.asarray(uniques, dtype=object)
        names, codes = np.unique(events[ACTIVITY].astype(str).to_numpy(), return_inverse=True)
        table = roles_of(names, aliases)
        self.role = np.array([table[a] or "" for a in names], dtype=object)[codes.ravel()]
        self.index = np.arange(len(events))
        self.time = pd.DatetimeIndex(events[TIMESTAMP])
        self.starts = np.flatnonzero(np.r_[True, self.case[1:] != self.case[:-1]])

    def column(self, name: str) -> np.ndarray:
        if name not in self.events.columns:
            return np.full(len(self.events), None, dtype=object)
        values = self.events[name].astype(object)
        return values.where(values.notna(), None).to_numpy()

    def is_(self, *roles: str) -> np.ndarray:
        return np.isin(self.role, roles)

    def first(self, where: np.ndarray) -> np.ndarray:
        out = np.full(self.n, _NONE)
        np.minimum.at(out, self.case[where], self.index[where])
        return out

    def last(self, where: np.ndarray) -> np.ndarray:
        out = np.full(self.n, -1)
        np.maximum.at(out, self.case[where], self.index[where])
        return out

    def at(self, values: Any, idx: np.ndarray) -> np.ndarray:
        """``values`` at event ``idx`` per case (None where the case has no such event)."""
        values = np.asarray(values, dtype=object)
        ok = (idx >= 0) & (idx != _NONE)
        out = np.full(self.n, None, dtype=object)
        out[ok] = values[idx[ok]]
        return out

    def stamp(self, idx: np.ndarray) -> pd.Series:
        """The time of event ``idx`` per case (NaT where the case has no such event)."""
        ok = (idx >= 0) & (idx != _NONE)
        if len(self.time) == 0:
            return pd.Series(pd.DatetimeIndex([pd.NaT] * self.n, tz=self.time.tz))
        return pd.Series(self.time[np.where(ok, idx, 0)].where(ok))


def case_table(part: Any, calendar: Any, *, allowance: dict[str, float],
               aliases: dict[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-case table (:data:`CASE_COLUMNS`) and the bounces of one part of the log.

    ``allowance`` maps a category to its deadline in working seconds (for late extensions).
    """
    p = _Part(part.events, aliases)
    unit = p.column(RESOURCE)
    dispatch = p.first(p.is_("dispatch"))
    receive = p.is_("sign", "return", "handle")
    first_unit = p.first(receive & (p.index > dispatch[p.case]))
    handle = p.first(p.is_("handle"))
    signed = p.last(p.is_("sign") & (p.index < handle[p.case]))
    accept = np.where(signed >= 0, signed, handle)
    category = p.at(p.column(CATEGORY), p.starts)
    out = pd.DataFrame({
        "case": p.ids, "category": category,
        "citizen": p.at(p.column(CITIZEN), p.starts), "address": p.at(p.column(ADDRESS), p.starts),
        "report": p.stamp(p.starts), "first_close": p.stamp(p.first(p.is_("close"))),
        "last_close": p.stamp(p.last(p.is_("close"))),
        "first_unit": p.at(unit, first_unit), "first_kind": p.at(p.column(KIND), first_unit),
        "first_level": p.at(p.column(LEVEL), first_unit),
        "accept_unit": p.at(unit, accept), "handler": p.at(unit, handle),
    })
    bounce = p.is_("return") & (p.index < accept[p.case])
    out["bounces"] = np.bincount(p.case[bounce], minlength=p.n)
    accepted, dispatched = p.stamp(accept), p.stamp(dispatch)
    out["transit_s"] = calendar.working_seconds(dispatched, accepted).to_numpy()
    out["presign_s"] = calendar.working_seconds(out["report"], accepted).to_numpy()
    suspended = _suspended(p, calendar, out["first_close"])
    out["suspended_s"] = suspended
    out["official_s"] = (calendar.working_seconds(accepted, out["first_close"]).to_numpy()
                         - suspended)
    out["extensions"] = np.bincount(p.case[p.is_("extension_grant")], minlength=p.n)
    out["late_extensions"] = _late_extensions(p, calendar, accepted, category, allowance)
    out["dissatisfied"] = np.bincount(p.case[p.is_("dissatisfied")], minlength=p.n)
    out["reopened"] = np.bincount(p.case[p.is_("reopen")], minlength=p.n)
    return out[list(CASE_COLUMNS)], _bounces(p, unit, accept, category)


def _suspended(p: _Part, calendar: Any, first_close: pd.Series) -> np.ndarray:
    """Working seconds from each park (挂账) to the case's next step, before the first closure."""
    park = np.flatnonzero(p.is_("park"))
    nxt = park + 1
    ok = (nxt < len(p.case)) & (p.case[np.minimum(nxt, len(p.case) - 1)] == p.case[park])
    park, nxt = park[ok], nxt[ok]
    before = np.asarray(p.time[park] < pd.DatetimeIndex(first_close)[p.case[park]])
    park, nxt = park[before], nxt[before]
    spans = calendar.working_seconds(pd.Series(p.time[park]), pd.Series(p.time[nxt])).to_numpy()
    return np.bincount(p.case[park], weights=spans, minlength=p.n)


def _late_extensions(p: _Part, calendar: Any, accepted: pd.Series, category: np.ndarray,
                     allowance: dict[str, float], late_share: float = 0.9) -> np.ndarray:
    """Extension requests filed after ``late_share`` of the allowance had passed on the clock."""
    asked = np.flatnonzero(p.is_("extension_request"))
    if len(asked) == 0:
        return np.zeros(p.n, dtype=np.int64)
    cases = p.case[asked]
    start = pd.Series(pd.DatetimeIndex(accepted)[cases])
    used = calendar.working_seconds(start, pd.Series(p.time[asked])).to_numpy()
    allowed = np.array([allowance.get(c, np.nan) for c in category[cases]], dtype=float)
    late = used >= late_share * allowed
    return np.bincount(cases[late], minlength=p.n)


def _bounces(p: _Part, unit: np.ndarray, accept: np.ndarray, category: np.ndarray) -> pd.DataFrame:
    """One row per return before acceptance: from the returning unit to the next receiving unit."""
    returns = np.flatnonzero(p.is_("return") & (p.index < accept[p.case]))
    receive = np.flatnonzero(p.is_("sign", "return", "handle"))
    pos = np.searchsorted(receive, returns, side="right")
    nxt = receive[np.minimum(pos, max(len(receive) - 1, 0))] if len(receive) else returns
    ok = (pos < len(receive)) & (p.case[nxt] == p.case[returns])
    kind, level = p.column(KIND), p.column(LEVEL)
    to = np.where(ok, nxt, -1)

    def target(values: np.ndarray) -> np.ndarray:
        out = np.full(len(returns), None, dtype=object)
        out[ok] = values[to[ok]]
        return out

    return pd.DataFrame({
        "case": p.ids[p.case[returns]], "category": category[p.case[returns]],
        "from_unit": unit[returns], "from_kind": kind[returns], "from_level": level[returns],
        "to_unit": target(unit), "to_kind": target(kind), "to_level": target(level)})
