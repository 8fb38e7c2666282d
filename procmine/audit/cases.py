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

from procmine.abstractions import column_codes
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
    EventLog,
)
from procmine.vocabulary import roles_of

#: The index of "no such event" in per-case event indexes.
NO_EVENT = np.iinfo(np.int64).max
#: Columns of the per-case table (times as timezone-aware timestamps, spans in working s).
CASE_COLUMNS = ("case", "category", "citizen", "address", "report", "first_close", "last_close",
                "first_unit", "first_kind", "first_level", "accept_unit", "handler", "bounces",
                "transit_s", "presign_s", "official_s", "suspended_s", "extensions",
                "late_extensions", "dissatisfied", "reopened")


class EventPart:
    """The events of one part as arrays: case codes, role codes, times; columns on demand."""

    def __init__(self, part: EventLog, aliases: dict[str, str] | None):
        # columns one by one: the text of the columns a reader left coded is not made
        self.log = part
        self.columns = frozenset(part.column_names)
        cases = part.case_codes()                # kept with the part: computed once
        self.case = cases.codes
        self.n = int(self.case.max()) + 1 if len(self.case) else 0
        self.starts = cases.starts
        # each case one run of rows (as read_log gives them): firsts and lasts by the runs
        self._runs = len(self.starts) == self.n
        ids = (part.column(CASE, rows=self.starts).to_numpy() if self._runs
               else pd.unique(part.column(CASE)))
        self.ids = np.asarray(ids, dtype=object)
        codes, names = column_codes(part, ACTIVITY)
        self.names = [str(a) for a in names]
        table = roles_of(self.names, aliases)
        self.roles = table
        self._roles = {}
        for i, name in enumerate(names):
            self._roles.setdefault(table[str(name)], []).append(i)
        self.code = codes
        self.index = np.arange(part.n_events)
        self.time = pd.DatetimeIndex(part.column(TIMESTAMP))
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def values(self, name: str, idx: np.ndarray) -> np.ndarray:
        """The values of column ``name`` at event positions ``idx`` (None where missing).

        Equal values are one object (:meth:`codes`): a per-case table of the part holds
        one pointer per cell, not one string per case.
        """
        if name not in self.columns or len(idx) == 0:
            return np.full(len(idx), None, dtype=object)
        codes, uniques = self.codes(name)
        return uniques[codes[idx]]

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Column ``name`` as codes into its distinct values, with None last (code -1)."""
        if name not in self._codes:
            codes, uniques = self.log.factorized(name, sort=False)
            self._codes[name] = (codes, np.append(uniques, None))
        return self._codes[name]

    def is_(self, *roles: str) -> np.ndarray:
        flags = np.zeros(len(self.names) + 1, dtype=bool)      # code -1 (none): False
        flags[[c for r in roles for c in self._roles.get(r, ())]] = True
        return flags[self.code]

    def first(self, where: np.ndarray) -> np.ndarray:
        """Per case, the index of its first event ``where`` (``NO_EVENT`` if none)."""
        out = np.full(self.n, NO_EVENT)
        idx = self.index[where]
        case = self.case[idx]
        if self._runs:
            first = np.r_[True, case[1:] != case[:-1]] if len(case) else np.zeros(0, dtype=bool)
            out[case[first]] = idx[first]
        else:
            np.minimum.at(out, case, idx)
        return out

    def last(self, where: np.ndarray) -> np.ndarray:
        """Per case, the index of its last event ``where`` (-1 if none)."""
        out = np.full(self.n, -1)
        idx = self.index[where]
        case = self.case[idx]
        if self._runs:
            last = np.r_[case[1:] != case[:-1], True] if len(case) else np.zeros(0, dtype=bool)
            out[case[last]] = idx[last]
        else:
            np.maximum.at(out, case, idx)
        return out

    def at(self, name: str, idx: np.ndarray) -> np.ndarray:
        """Column ``name`` at event ``idx`` per case (None where the case has no such event)."""
        ok = (idx >= 0) & (idx != NO_EVENT)
        out = np.full(self.n, None, dtype=object)
        out[ok] = self.values(name, idx[ok])
        return out

    def stamp(self, idx: np.ndarray) -> pd.Series:
        """The time of event ``idx`` per case (NaT where the case has no such event)."""
        ok = (idx >= 0) & (idx != NO_EVENT)
        if len(self.time) == 0:
            return pd.Series(pd.DatetimeIndex([pd.NaT] * self.n, tz=self.time.tz))
        return pd.Series(self.time[np.where(ok, idx, 0)].where(ok))


def coded(values: np.ndarray) -> pd.Categorical:
    """A text column of few distinct values (units, kinds, levels, categories) as codes into
    its sorted values: one or two bytes a case instead of the text. Sorted, the codes group
    and sort as the text does; the parts' codes are joined by ``procmine.audit``'s
    ``_concat`` (the text of the ids, citizens and addresses, mostly distinct, stays text).
    Values that cannot be sorted together (text and numbers) stay as they are."""
    try:
        return pd.Categorical(values)
    except TypeError:
        return values


def case_table(part: Any, calendar: Any, *, allowance: dict[str, float],
               aliases: dict[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-case table (:data:`CASE_COLUMNS`) and the bounces of one part of the log.

    ``allowance`` maps a category to its deadline in working seconds (for late extensions).
    ``part`` is an ``EventLog`` or its :class:`EventPart` (made once for both tables).
    """
    p = part if isinstance(part, EventPart) else EventPart(part, aliases)
    dispatch = p.first(p.is_("dispatch"))
    receive = p.is_("sign", "return", "handle")
    first_unit = p.first(receive & (p.index > dispatch[p.case]))
    handle = p.first(p.is_("handle"))
    signed = p.last(p.is_("sign") & (p.index < handle[p.case]))
    accept = np.where(signed >= 0, signed, handle)
    category = p.at(CATEGORY, p.starts)
    out = pd.DataFrame({
        "case": p.ids, "category": coded(category),
        "citizen": p.at(CITIZEN, p.starts), "address": p.at(ADDRESS, p.starts),
        "report": p.stamp(p.starts), "first_close": p.stamp(p.first(p.is_("close"))),
        "last_close": p.stamp(p.last(p.is_("close"))),
        "first_unit": coded(p.at(RESOURCE, first_unit)),
        "first_kind": coded(p.at(KIND, first_unit)),
        "first_level": coded(p.at(LEVEL, first_unit)),
        "accept_unit": coded(p.at(RESOURCE, accept)), "handler": coded(p.at(RESOURCE, handle)),
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
    return out[list(CASE_COLUMNS)], _bounces(p, accept, category)


def _suspended(p: EventPart, calendar: Any, first_close: pd.Series) -> np.ndarray:
    """Working seconds from each park (挂账) to the case's next step, before the first closure."""
    park = np.flatnonzero(p.is_("park"))
    nxt = park + 1
    ok = (nxt < len(p.case)) & (p.case[np.minimum(nxt, len(p.case) - 1)] == p.case[park])
    park, nxt = park[ok], nxt[ok]
    before = np.asarray(p.time[park] < pd.DatetimeIndex(first_close)[p.case[park]])
    park, nxt = park[before], nxt[before]
    spans = calendar.working_seconds(pd.Series(p.time[park]), pd.Series(p.time[nxt])).to_numpy()
    return np.bincount(p.case[park], weights=spans, minlength=p.n)


def _late_extensions(p: EventPart, calendar: Any, accepted: pd.Series, category: np.ndarray,
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


def _bounces(p: EventPart, accept: np.ndarray, category: np.ndarray) -> pd.DataFrame:
    """One row per return before acceptance: from the returning unit to the next receiving unit."""
    returns = np.flatnonzero(p.is_("return") & (p.index < accept[p.case]))
    receive = np.flatnonzero(p.is_("sign", "return", "handle"))
    pos = np.searchsorted(receive, returns, side="right")
    nxt = receive[np.minimum(pos, max(len(receive) - 1, 0))] if len(receive) else returns
    ok = (pos < len(receive)) & (p.case[nxt] == p.case[returns])

    def target(name: str) -> np.ndarray:
        out = np.full(len(returns), None, dtype=object)
        out[ok] = p.values(name, nxt[ok])
        return out

    return pd.DataFrame({
        "case": p.ids[p.case[returns]], "category": category[p.case[returns]],
        "from_unit": p.values(RESOURCE, returns), "from_kind": p.values(KIND, returns),
        "from_level": p.values(LEVEL, returns), "to_unit": target(RESOURCE),
        "to_kind": target(KIND), "to_level": target(LEVEL)})


#: Times per call of the calendar in :func:`working_positions`.
CHUNK = 1 << 16


def working_positions(calendar: Any, origin: pd.Timestamp, times: pd.DatetimeIndex) -> np.ndarray:
    """Working seconds of each of ``times`` from ``origin``, :data:`CHUNK` times at a time (the
    calendar's temporaries are some ten arrays as long as what it is given). Each call is
    given the earliest and the latest of all the times too, so that the calendar covers
    the same days as in one call over all of them: the numbers are the same."""
    out = np.empty(len(times))
    ends = pd.DatetimeIndex([times.min(), times.max()]) if len(times) else times
    for lo in range(0, len(times), CHUNK):
        chunk = times[lo:lo + CHUNK].append(ends)
        # (the origin once, broadcast by the calendar: the numbers of a column of it)
        seconds = calendar.working_seconds(pd.DatetimeIndex([origin]), pd.Series(chunk))
        out[lo:lo + CHUNK] = np.asarray(seconds, dtype=float)[:-2]
    return out
