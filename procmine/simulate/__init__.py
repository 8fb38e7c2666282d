"""Simulated dispatch logs of a street operations centre, with the ground truth per case.

No public Chinese dispatch log exists, so procmine makes realistic ones: one street
operations centre (街道城运中心) takes reports from grid patrols, the 12345 hotline,
video AI and other channels, registers them and dispatches them to line departments
(条) and territorial units (块) at the levels 网格 < 居村 < 街镇 < 区 < 市. Units
queue their work, so work in progress raises waiting; every step after the report
happens in office hours of the working calendar, and deadlines count working time.

Seven governance patterns are injected at configurable rates, and one unit (the
housing office, 房管办) is a bottleneck. The truth table says, per case, which
pattern was injected and the details (units, levels, share of the window used).
The exact definitions the events satisfy are in docs/simulate.md; a case without
a flag never satisfies a pattern's definition.

Everything is vectorised with numpy: a case is a row of at most 40 possible steps
(a column per step, a mask per case), times are cumulative working seconds mapped
to clock time by the calendar. One seed gives the same log, byte for byte.

The package: ``model`` holds the units, categories, channels, patterns and their
rates; ``options`` reads and checks rates and reforms; ``simulation`` is the run
itself, over the steps of ``plan``; ``demands`` adds citizens, addresses and the
audit's truth, ``governance`` the effects of upward orientation, online burden and
overload (off by default); ``tables`` makes the event and truth DataFrames and
``files`` writes them (:func:`write_simulation`). This module holds :func:`simulate_log` and
:class:`SimulationResult`.

>>> result = simulate_log(cases=200, seed=1)
>>> result.events.columns[:4].tolist()
['工单编号', '环节', '时间', '承办单位']
>>> int(result.truth["escalation"].sum()) > 0
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procmine.calendar import WorkingCalendar, as_calendar, fallback_years
from procmine.calendar.days import cn_fallback_note
from procmine.choices import LANGS, Lang
from procmine.errors import SpecError, check_choice
from procmine.log import (
    ACTIVITY,
    ADDRESS,
    CASE,
    CATEGORY,
    CITIZEN,
    KIND,
    KIND_ALIASES,
    LEVEL,
    LEVEL_ALIASES,
    RESOURCE,
    SOURCE,
    EventLog,
)
from procmine.simulate.demands import REPEAT_DAYS as REPEAT_DAYS
from procmine.simulate.demands import responsibility_list as responsibility_list
from procmine.simulate.demands import with_demands
from procmine.simulate.demands import write_responsibility as write_responsibility
from procmine.simulate.files import truth_path as truth_path
from procmine.simulate.files import write_simulation as write_simulation
from procmine.simulate.model import BASE_RATES as BASE_RATES
from procmine.simulate.model import BOTTLENECK_UNIT as BOTTLENECK_UNIT
from procmine.simulate.model import CATEGORIES as CATEGORIES
from procmine.simulate.model import COMMUNITIES as COMMUNITIES
from procmine.simulate.model import DEFAULT_RATES as DEFAULT_RATES
from procmine.simulate.model import GRIDS as GRIDS
from procmine.simulate.model import GRIDS_PER_COMMUNITY as GRIDS_PER_COMMUNITY
from procmine.simulate.model import HEADERS as HEADERS
from procmine.simulate.model import PATTERNS as PATTERNS
from procmine.simulate.model import SOURCES as SOURCES
from procmine.simulate.model import UNITS as UNITS
from procmine.simulate.model import Category as Category
from procmine.simulate.model import Source as Source
from procmine.simulate.model import Unit as Unit
from procmine.simulate.options import Reform as Reform
from procmine.simulate.options import check_rates as check_rates
from procmine.simulate.options import check_reform as check_reform
from procmine.simulate.options import read_rates as read_rates
from procmine.simulate.options import read_reform as read_reform
from procmine.simulate.simulation import _Simulation
from procmine.simulate.tables import _tables

# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SimulationResult:
    """A simulated log and its ground truth.

    ``events``: one row per event, sorted by case then time, headers in ``lang``
    (:data:`HEADERS`), times timezone-aware. ``truth``: one row per case,
    ``case_id``, one 0/1 column per pattern (:data:`PATTERNS`) plus ``bottleneck``,
    and detail columns (see docs/simulate.md). ``bottleneck_unit`` is the slow
    unit's name; ``calendar`` says which calendar timed the log; ``notes`` what a
    user should know (years without holiday data).
    """

    events: pd.DataFrame
    truth: pd.DataFrame
    seed: int
    lang: str
    rates: dict[str, float]
    bottleneck_unit: str
    calendar: str
    notes: tuple[str, ...] = ()
    timezone: str = "Asia/Shanghai"
    reform: Reform | None = None

    @property
    def n_cases(self) -> int:
        return len(self.truth)

    @property
    def n_events(self) -> int:
        return len(self.events)

    def to_event_log(self) -> EventLog:
        """The events in canonical columns (``org:kind`` line/block, zh level names).

        >>> simulate_log(cases=20, seed=3).to_event_log().n_cases
        20
        """
        names = {v: k for k, v in HEADERS[self.lang].items()}
        events = self.events.rename(columns=names)
        for column in (RESOURCE, CATEGORY, SOURCE, ACTIVITY):
            events[column] = events[column].astype(str)
        events[KIND] = events[KIND].astype(str).map(KIND_ALIASES)
        events[LEVEL] = events[LEVEL].astype(str).map(LEVEL_ALIASES)
        events[CASE] = events[CASE].astype(str)
        for column in (CITIZEN, ADDRESS):   # as read_log reads them: no value is missing
            events[column] = events[column].astype("string").replace("", pd.NA)
        return EventLog(events=events, timezone=self.timezone)

    def to_dict(self) -> dict[str, Any]:
        flags = {p: int(self.truth[p].sum()) for p in (*PATTERNS, "bottleneck")}
        out = {"cases": self.n_cases, "events": self.n_events, "seed": self.seed,
               "lang": self.lang, "rates": self.rates, "flagged": flags,
               "bottleneck_unit": self.bottleneck_unit, "calendar": self.calendar,
               "notes": list(self.notes)}
        if self.reform is not None:
            out["reform"] = self.reform.to_dict() | {
                "cases_after": int(self.truth["reformed"].sum())}
        return out


# --------------------------------------------------------------------------- the simulator


#: the days a log's times can hold (pandas counts nanoseconds in 64 bits)
FIRST_DAY, LAST_DAY = pd.Timestamp("1678-01-01"), pd.Timestamp.max.normalize()
#: days after the last report that the simulation may still run (handling, rework, reopening)
_TAIL_DAYS = 366


def _check_span(start: object, first_day: pd.Timestamp, cases: int, cases_per_day: float) -> None:
    """Raise SpecError unless the log from ``first_day`` fits in the times pandas holds."""
    hint = (f"give a start between {FIRST_DAY:%Y-%m-%d} and {LAST_DAY:%Y-%m-%d}, "
            "fewer cases or more cases per day")
    if first_day < FIRST_DAY:
        raise SpecError(f"start {start!r}: before {FIRST_DAY:%Y-%m-%d}, the first day a "
                        "log's times can hold", hint=hint)
    if cases / cases_per_day + _TAIL_DAYS > (LAST_DAY.date() - first_day.date()).days:
        raise SpecError(f"start {start!r}: {cases:,} cases at {cases_per_day:g} a day and their "
                        f"handling run past {LAST_DAY:%Y-%m-%d}, the last day a log's times "
                        "can hold", hint=hint)


def simulate_log(
    *,
    cases: int,
    seed: int = 0,
    start: str = "2024-01-01",
    lang: Lang = "zh",
    rates: Mapping[str, float] | None = None,
    cases_per_day: float = 60.0,
    calendar: WorkingCalendar | str = "cn",
    reform: Reform | Mapping[str, Any] | None = None,
) -> SimulationResult:
    """Simulate ``cases`` work orders of one street operations centre, from ``start`` on.

    ``cases_per_day`` sets the arrival rate (and so the span of the log);
    ``rates`` overrides :data:`DEFAULT_RATES` (pattern shares, and
    ``bottleneck_slowdown``, the factor by which the bottleneck unit is slower);
    ``calendar`` is a :class:`~procmine.calendar.WorkingCalendar` or ``"cn"``,
    ``"none"`` or a calendar file. ``reform`` (a :class:`Reform`) changes rates and
    units' service times for the cases reported on or after its date (local time);
    without it, the random numbers are drawn exactly as before reforms existed, so
    old seeds give the same logs. Same arguments, same log.

    >>> r = simulate_log(cases=500, seed=7, lang="en")
    >>> r.events["activity"].iloc[0], r.bottleneck_unit
    ('report', 'housing office')
    >>> sorted(r.truth.columns[:4])
    ['case_id', 'dumping', 'escalation', 'pingpong']
    """
    check_choice("lang", lang, LANGS)
    if not isinstance(cases, (int, np.integer)) or cases < 1:
        raise SpecError(f"cases {cases!r}: expected a positive number of cases")
    if not cases_per_day > 0:
        raise SpecError(f"cases_per_day {cases_per_day!r}: expected a positive number")
    try:
        first_day = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise SpecError(f"start {start!r}: not a date (YYYY-MM-DD)") from None
    if first_day.tzinfo is not None:
        first_day = first_day.tz_localize(None)
    first_day = first_day.normalize()
    _check_span(start, first_day, cases, cases_per_day)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise SpecError(f"seed {seed!r}: expected a whole number, 0 or more")
    rates = check_rates(rates)
    reform = check_reform(reform) if reform is not None else None
    cal = as_calendar(calendar)
    with fallback_years() as fallback:   # years the calendar had no holiday data for
        built = _Simulation(int(cases), int(seed), first_day, rates, cases_per_day, cal,
                            reform).run()
    # of those, the years the log reaches
    first_year = int(str(np.datetime64(int(built.times.min()), "s"))[:4])
    last_year = int(str(np.datetime64(int(max(built.times.max(), built.deadline.max())), "s"))[:4])
    reached = [year for year in fallback if first_year <= year <= last_year]
    notes = (cn_fallback_note(reached),) if reached else ()
    events, truth = _tables(built, lang, cal)
    with_demands(events, truth, built, int(seed), lang)   # its own random stream
    if reform is not None:
        truth["reformed"] = built.reformed.astype(np.int8)
        after = int(built.reformed.sum())
        if after in (0, built.n):
            notes += (f"reform date {reform.date}: {'no' if after == 0 else 'every'} case was "
                      "reported on or after it",)
    unit = UNITS[BOTTLENECK_UNIT]
    return SimulationResult(events=events, truth=truth, seed=int(seed), lang=lang, rates=rates,
                            bottleneck_unit=unit.zh if lang == "zh" else unit.en,
                            calendar=cal.describe(fallback_years=fallback), notes=notes, timezone=cal.timezone,
                            reform=reform)
