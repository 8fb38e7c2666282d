"""What no tool measures: dispatch against the responsibility list, the two clocks, repeats.

Three analyses of the digital suspension (数字悬浮) a dispatch log can show:

1. ``dispatch``: first-dispatch accuracy against the responsibility list
   (权责清单), the bounce-backs (退单/改派) and the boundary each crosses
   (条→块, 块→条, level up or down, same kind), the time in transit before a
   unit accepts;
2. ``clocks``: the official clock (from acceptance, suspensions taken out,
   extensions added to the allowance, in working time) beside the citizen's
   clock (from the report to the last closure of the demand, repeats
   included), and their on-time rates per unit;
3. ``repeats``: orders closed but demanded again by the same citizen, at the
   same address, about the same category, within N days; with dissatisfaction
   and reopening, the true resolution rate.

The log is read part by part through its engine (``Engine.event_logs``); the
per-case facts of every part are laid end to end, so every engine gives the
same numbers. Definitions and limits: docs/audit.md.

>>> from procmine.read import read_log
>>> result = audit_log(read_log("logs/sample.csv"), responsibility="logs/responsibility.yaml")
>>> result.n_cases
3000
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from procmine.audit.cases import CASE_COLUMNS, case_table
from procmine.audit.measures import clocks, dispatch_accuracy, link_repeats, repeats
from procmine.audit.responsibility import ResponsibilityList, read_responsibility
from procmine.engines import as_engine, resolve_calendar
from procmine.errors import ChoiceError, SpecError
from procmine.vocabulary import AUDIT_SECTIONS

Section = Literal["dispatch", "clocks", "repeats"]
SECTIONS: tuple[str, ...] = AUDIT_SECTIONS

__all__ = ["SECTIONS", "AuditResult", "ResponsibilityList", "audit_log", "read_responsibility"]


@dataclass(frozen=True)
class AuditResult:
    """The audit of a log: one dict of tables per section that was asked for.

    Each section has a ``summary`` (headline numbers) and tables per unit and
    category; ``notes`` say what could not be measured and why.
    """

    n_cases: int
    repeat_days: float
    dispatch: dict[str, Any] | None = None
    clocks: dict[str, Any] | None = None
    repeats: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    cases: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Summaries and tables (not the per-case rows) for JSON."""
        out: dict[str, Any] = {"cases": self.n_cases, "repeat_days": self.repeat_days}
        for name in SECTIONS:
            section = getattr(self, name)
            if section is not None:
                out[name] = {k: v for k, v in section.items() if k not in ("cases", "bounces")}
        out["notes"] = list(self.notes)
        return out


def audit_log(log: Any, *, responsibility: ResponsibilityList | str | Path | None = None,
              repeat_days: float = 30.0, calendar: Any = "cn",
              sections: Iterable[str] = SECTIONS, aliases: Mapping[str, str] | None = None,
              max_events: int = 1_000_000) -> AuditResult:
    """Audit a log (an ``EventLog`` or an open engine): dispatch, clocks and repeats.

    ``responsibility`` is the list (a file or a :class:`ResponsibilityList`); the
    dispatch section needs it and the clocks need its deadlines. ``repeat_days``
    is the linking window after a closure; ``calendar`` the working calendar
    (``"cn"``, ``"none"``, a file or a ``WorkingCalendar``); ``aliases`` extra
    activity names per role.
    """
    sections = tuple(dict.fromkeys(sections))
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ChoiceError(f"unknown audit section(s): {', '.join(sorted(unknown))}",
                        hint=f"choose among {', '.join(SECTIONS)}")
    if not repeat_days >= 0:
        raise SpecError(f"repeat_days {repeat_days!r}: expected a number of days, 0 or more")
    engine = as_engine(log)
    rules = (read_responsibility(responsibility) if isinstance(responsibility, (str, Path))
             else responsibility)
    cal = resolve_calendar(calendar, timezone=engine.source.timezone)
    allowance = {r.category: r.deadline_hours * 3600.0 for r in (rules.rules if rules else ())
                 if r.deadline_hours}
    tables, bounce_tables = [], []
    for part in engine.event_logs(max_events=max_events):
        table, bounces = case_table(part, cal, allowance=allowance, aliases=dict(aliases or {}))
        tables.append(table)
        bounce_tables.append(bounces)
    cases = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=CASE_COLUMNS)
    bounces = pd.concat(bounce_tables, ignore_index=True)
    return _analyse(cases, bounces, rules, cal, sections, repeat_days, engine.levels)


def _analyse(cases: pd.DataFrame, bounces: pd.DataFrame, rules: ResponsibilityList | None,
             cal: Any, sections: tuple[str, ...], repeat_days: float,
             levels: tuple[str, ...]) -> AuditResult:
    notes: list[str] = []
    links = link_repeats(cases, repeat_days=repeat_days)
    if cases["citizen"].isna().all() or cases["address"].isna().all():
        notes.append("the log has no citizen or no address column: no order can be linked "
                     "to an earlier one (the citizen's clock ends at its own closure)")
    out: dict[str, Any] = {}
    if rules is None and ("dispatch" in sections or "clocks" in sections):
        notes.append("no responsibility list (--responsibility): dispatch accuracy and the "
                     "clocks' deadlines are not measured")
    if rules is not None and "dispatch" in sections:
        out["dispatch"] = dispatch_accuracy(cases, bounces, rules, levels)
    timed = None
    if rules is not None and ("clocks" in sections or "repeats" in sections):
        timed = clocks(cases, links, rules, cal)
        if "clocks" in sections:
            out["clocks"] = timed
    if "repeats" in sections:
        on_time = (timed["cases"]["official_on_time"] if timed is not None
                   else pd.Series(False, index=cases.index))
        out["repeats"] = repeats(cases, links, on_time)
    return AuditResult(n_cases=len(cases), repeat_days=float(repeat_days), notes=tuple(notes),
                       cases=cases, **out)
