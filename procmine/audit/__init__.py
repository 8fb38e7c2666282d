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
   and reopening, the true resolution rate;
4. ``citizens``: citizens' orders against internal ones (政民互动实效), with tests
   (``procmine.audit.citizens``);
5. ``burden``: the online burden, platform against field work per unit and level
   (``procmine.audit.burden``);
6. ``overload``: work in progress per unit and where load breaks performance
   (``procmine.audit.overload``).

The log is read part by part through its engine (``Engine.event_logs``); the
per-case facts of every part are laid end to end, so every engine gives the
same numbers. Definitions and limits: docs/audit.md.

>>> from procmine.read import read_log
>>> result = audit_log(read_log("logs/sample.csv"), responsibility="logs/responsibility.yaml")
>>> result.n_cases
3000
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pandas.api.types import union_categoricals

from procmine.audit.burden import BURDEN_COLUMNS, burden
from procmine.audit.cases import CASE_COLUMNS, EventPart, case_table
from procmine.audit.citizens import FLAG_COLUMNS, citizens, order_flags
from procmine.audit.governance import Governance, read_governance
from procmine.audit.measures import (
    LINK_COLUMNS,
    clocks,
    dispatch_accuracy,
    link_repeats,
    repeats,
)
from procmine.audit.orders import ORDER_COLUMNS, SHARED_COLUMNS, UNIT_COLUMNS, order_table
from procmine.audit.overload import (
    HELD_COLUMNS,
    OVERLOAD_COLUMNS,
    WIP_COLUMNS,
    held,
    overload,
    wip_daily,
)
from procmine.audit.responsibility import ResponsibilityList, read_responsibility
from procmine.engines import as_engine, resolve_calendar
from procmine.errors import ChoiceError, SpecError
from procmine.vocabulary import AUDIT_SECTIONS

Section = Literal["dispatch", "clocks", "repeats", "citizens", "burden", "overload"]
#: The sections that need the per-order facts of ``procmine.audit.orders``.
_ORDER_SECTIONS = ("citizens", "burden", "overload")
SECTIONS: tuple[str, ...] = AUDIT_SECTIONS
#: The entries of a section that are per case or per day (not in ``AuditResult.to_dict``).
PER_CASE = ("cases", "bounces", "load", "wip_daily")
#: What the audit holds per case while it runs (its per-case and per-order tables and
#: the analyses' copies of them): ``procmine audit`` counts it against the engine's memory
#: limit (``Engine.hold_outside``). Measured on a 175,000-case log (2M events) read from
#: DuckDB in parts of 50,000 events: at the peak of each pass (per-case sections, then
#: per-order sections) the audit's own allocations (numpy and Python by tracemalloc, plus
#: the Arrow pool's peak) are 420 and 510 bytes a case (640 before the tables held codes
#: for their text and were joined column by column); 640 leaves a quarter for the
#: allocator's fragmentation. In ``procmine report --memory-limit 512MiB`` (Arrow from the
#: C heap, branch s6-mem2) the process's peak while the audit runs grows by more: 431 MiB
#: at 175,000 cases, 699 at 430,000 (VmRSS sampled; about 1.1 KB a case between them).
#: Since the analyses drop each per-order column once read (``per_case=False``) and DuckDB
#: gives back its cache of the log after the parts (``Engine.release_buffers``), 562 at
#: 430,000. The count stays 640: it sizes the parts and DuckDB's share, not the peak.
HELD_PER_CASE = 640

__all__ = ["HELD_PER_CASE", "SECTIONS", "AuditResult", "Governance", "ResponsibilityList", "audit_log",
           "read_governance", "read_responsibility"]


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
    citizens: dict[str, Any] | None = None
    burden: dict[str, Any] | None = None
    overload: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    cases: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: Per order, the facts of the sections citizens, burden and overload (procmine.audit.orders).
    orders: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Summaries and tables (not the per-case rows) for JSON."""
        out: dict[str, Any] = {"cases": self.n_cases, "repeat_days": self.repeat_days}
        for name in SECTIONS:
            section = getattr(self, name)
            if section is not None:
                out[name] = {k: v for k, v in section.items() if k not in PER_CASE}
        out["notes"] = list(self.notes)
        return out

    def summaries(self) -> AuditResult:
        """This result without its per-case and per-day tables (``cases``, ``orders`` and
        the sections' :data:`PER_CASE` entries): what ``to_dict`` gives, and no more."""
        slim = {name: {k: v for k, v in getattr(self, name).items() if k not in PER_CASE}
                for name in SECTIONS if getattr(self, name) is not None}
        return replace(self, cases=pd.DataFrame(), orders=pd.DataFrame(), **slim)


def audit_log(log: Any, *, responsibility: ResponsibilityList | str | Path | None = None,
              repeat_days: float = 30.0, calendar: Any = "cn",
              sections: Iterable[str] = SECTIONS, aliases: Mapping[str, str] | None = None,
              vocabulary: Governance | str | Path | None = None,
              max_events: int | None = None, per_case: bool = True,
              on_part: Callable[[Any], None] | None = None) -> AuditResult:
    """Audit a log (an ``EventLog`` or an open engine): the sections of :data:`SECTIONS`.

    ``responsibility`` is the list (a file or a :class:`ResponsibilityList`); the
    dispatch section needs it and the clocks need its deadlines. ``repeat_days``
    is the linking window after a closure; ``calendar`` the working calendar
    (``"cn"``, ``"none"``, a file or a ``WorkingCalendar``); ``aliases`` extra
    activity names per role; ``vocabulary`` the source groups and kinds of work
    (a file or a :class:`Governance`; default :func:`read_governance`'s). An engine's
    events are read in parts of ``max_events`` (default: as many as its ``memory_limit``
    allows, :meth:`procmine.engines.Engine.part_events`). ``per_case=False`` keeps only
    what ``to_dict`` gives (:meth:`AuditResult.summaries`), each per-case table freed as
    soon as the summaries over it are made. ``on_part(part)`` is called with each part
    (an ``EventLog`` of whole cases) as it is read: other per-part work rides on the
    audit's pass over the log instead of reading it again (the report's handling units).
    """
    sections = tuple(dict.fromkeys(sections))
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ChoiceError(f"unknown audit section(s): {', '.join(sorted(unknown))}",
                        hint=f"choose among {', '.join(SECTIONS)}")
    if not repeat_days >= 0:
        raise SpecError(f"repeat_days {repeat_days!r}: expected a number of days, 0 or more")
    engine = as_engine(log)
    engine.require_times("audit")
    rules = (read_responsibility(responsibility) if isinstance(responsibility, (str, Path))
             else responsibility)
    cal = resolve_calendar(calendar, timezone=engine.source.timezone)
    allowance = {r.category: r.deadline_hours * 3600.0 for r in (rules.rules if rules else ())
                 if r.deadline_hours}
    vocab = (replace(vocabulary, aliases={**vocabulary.aliases, **dict(aliases or {})})
             if isinstance(vocabulary, Governance)
             else read_governance(vocabulary, aliases=dict(aliases or {})))
    with_orders = any(s in _ORDER_SECTIONS for s in sections)
    with_cases = any(s in ("dispatch", "clocks", "repeats") for s in sections)
    tables, bounce_tables, order_tables, step_tables = [], [], [], []
    for part in engine.event_logs(max_events=engine.part_events(max_events)):
        events = EventPart(part, vocab.aliases or None)     # one for both tables
        if with_cases:
            table, bounces = case_table(events, cal, allowance=allowance)
            tables.append(table)
            bounce_tables.append(bounces)
        if with_orders:     # the columns the cases have too are not kept twice
            _append(order_tables, step_tables,
                    order_table(events, cal, vocab, shared=not with_cases))
        del events
        if on_part is not None:
            on_part(part)
        del part                            # freed before the next part is read
    engine.release_buffers()                # what DuckDB cached of the log, before the analyses
    orders = _concat(order_tables, ORDER_COLUMNS)
    if with_cases:
        cases = _concat(tables, CASE_COLUMNS)
        if with_orders:
            orders = _with_shared(orders, cases)
        result, links = _analyse(cases, _concat(bounce_tables, ()), rules, cal, sections,
                                 repeat_days, engine.levels, per_case=per_case)
        del cases
    else:
        result, links = AuditResult(n_cases=len(orders), repeat_days=float(repeat_days),
                                    notes=tuple(_link_notes(orders))), None
    result = result if per_case else result.summaries()
    if not with_orders:
        return result
    steps = _concat(step_tables, UNIT_COLUMNS)
    notes = result.notes + tuple(_order_notes(orders, sections))
    if not per_case:                    # the analyses free the columns they are done with
        return replace(result, notes=notes, **_governance(
            _Narrowed(orders), steps, cal, sections, repeat_days, links)).summaries()
    return replace(result, orders=orders, notes=notes,
                   **_governance(orders, steps, cal, sections, repeat_days, links))


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    """The parts' tables laid end to end, column by column: each part's column is dropped
    as soon as it is joined (the columns of one dtype one after the other, so that the
    parts' blocks of that dtype are freed together), so the parts and the whole are not
    held at once. The list is emptied. Coded columns (``procmine.audit.cases.coded``) are
    joined on the union of their values, sorted (pd.concat would make text of them)."""
    if not frames:
        return pd.DataFrame(columns=list(columns) or None)
    order = list(frames[0].columns)
    out = pd.DataFrame(index=pd.RangeIndex(sum(len(f) for f in frames)))
    for name in sorted(order, key=lambda c: str(frames[0][c].dtype)):
        parts = [f[name] for f in frames]
        out[name] = _join(parts)
        del parts
        for f in frames:
            del f[name]
    frames.clear()
    return out[order]


def _join(parts: list[pd.Series]) -> Any:
    """One column of the parts laid end to end: codes on the union of their values, sorted,
    when every part has codes of one kind of value (a part without any value takes that
    kind); else as the values themselves, as pd.concat makes them."""
    if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
        kinds = [p.cat.categories.dtype for p in parts if len(p.cat.categories)]
        if all(k == kinds[0] for k in kinds):
            none = pd.Index([], dtype=kinds[0] if kinds else object)
            try:
                return union_categoricals([p if len(p.cat.categories)
                                           else p.cat.set_categories(none) for p in parts],
                                          sort_categories=True)
            except TypeError:       # values that cannot be sorted together
                pass
        parts = [p.astype(object) for p in parts]
    return pd.concat(parts, ignore_index=True)


def _with_shared(orders: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """The per-order table with its :data:`~procmine.audit.orders.SHARED_COLUMNS` from the
    per-case table (the same cases in the same order; the columns are shared, not copied)."""
    if len(orders) != len(cases):       # an empty log: no part, no rows
        return orders.reindex(columns=list(ORDER_COLUMNS))
    return orders.assign(**{c: cases[c] for c in SHARED_COLUMNS})[list(ORDER_COLUMNS)]


def _append(orders: list, steps: list, tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    orders.append(tables[0])
    steps.append(tables[1])


def _order_notes(orders: pd.DataFrame, sections: tuple[str, ...]) -> list[str]:
    notes = []
    if "citizens" in sections and orders["source"].isna().all():
        notes.append("the log has no source column (来源): citizens' and internal orders "
                     "cannot be told apart")
    if orders["unit"].isna().all():
        notes.append("the log has no unit column (承办单位): the burden and the overload "
                     "are not measured per unit")
    return notes


def _link_notes(cases: pd.DataFrame) -> list[str]:
    if cases["citizen"].isna().all() or cases["address"].isna().all():
        return ["the log has no citizen or no address column: no order can be linked "
                "to an earlier one (the citizen's clock ends at its own closure)"]
    return []


class _Narrowed:
    """The per-order table of a :func:`audit_log` that keeps no per-case table
    (``per_case=False``): :meth:`done` drops the columns no analysis still to come reads,
    so that the last analyses (the overload's, the largest) are not stacked on columns
    only the first ones needed. The table is the audit's own: nothing else holds it."""

    def __init__(self, orders: pd.DataFrame):
        self.orders = orders

    def done(self, *still: tuple[str, ...]) -> pd.DataFrame:
        """The table with only the columns of ``still`` (those of the analyses to come)."""
        needed = {c for columns in still for c in columns}
        for name in [c for c in self.orders.columns if c not in needed]:
            del self.orders[name]
        return self.orders


#: The per-order columns each analysis of :func:`_governance` reads, in the order they run.
_READS = {"held": HELD_COLUMNS, "linking": LINK_COLUMNS, "citizens": FLAG_COLUMNS,
          "burden": BURDEN_COLUMNS, "overload": WIP_COLUMNS + OVERLOAD_COLUMNS}


def _governance(orders: pd.DataFrame | _Narrowed, steps: pd.DataFrame, cal: Any,
                sections: tuple[str, ...], repeat_days: float,
                links: pd.DataFrame | None = None) -> dict[str, Any]:
    """The sections of issue 24 over the per-order table of the whole log; a
    :class:`_Narrowed` table loses each column once the analyses that read it are done.
    ``links``: the per-case table's :func:`link_repeats`, when it was made (the orders
    have its columns: the links are the same)."""
    def table(*still: str) -> pd.DataFrame:
        """The table for the analyses ``still`` to come (those of ``sections`` only)."""
        if not isinstance(orders, _Narrowed):
            return orders
        return orders.done(*(_READS[s] for s in still if s in sections or s not in SECTIONS))

    out: dict[str, Any] = {}
    load = held(table("held", "linking", "citizens", "burden", "overload"))
    if "citizens" in sections:
        linking = table("linking", "citizens", "burden", "overload")
        if links is None:
            links = link_repeats(linking, repeat_days=repeat_days)   # the audit's linking
        flags = order_flags(table("citizens", "burden", "overload"), links)
        del links
        table("burden", "overload")     # the flags have what the citizens' tests read
        out["citizens"] = citizens(flags)
        del flags
    if "burden" in sections:
        out["burden"] = burden(table("burden", "overload"), steps, load)
    if "overload" in sections:
        last = table("overload")
        out["overload"] = overload(last, load, wip_daily(last, cal))
    return out


def _analyse(cases: pd.DataFrame, bounces: pd.DataFrame, rules: ResponsibilityList | None,
             cal: Any, sections: tuple[str, ...], repeat_days: float,
             levels: tuple[str, ...], *, per_case: bool = True
             ) -> tuple[AuditResult, pd.DataFrame]:
    """The per-case sections, and the links between repeated orders they used;
    ``per_case=False`` drops each section's per-case tables (:data:`PER_CASE`) as soon
    as no analysis to come reads them."""
    def kept(section: dict[str, Any]) -> dict[str, Any]:
        return section if per_case else {k: v for k, v in section.items() if k not in PER_CASE}

    notes = _link_notes(cases)
    links = link_repeats(cases, repeat_days=repeat_days)
    out: dict[str, Any] = {}
    if rules is None and ("dispatch" in sections or "clocks" in sections):
        notes.append("no responsibility list (--responsibility): dispatch accuracy and the "
                     "clocks' deadlines are not measured")
    if rules is not None and "dispatch" in sections:
        out["dispatch"] = kept(dispatch_accuracy(cases, bounces, rules, levels))
    del bounces
    on_time = pd.Series(False, index=cases.index)
    if rules is not None and ("clocks" in sections or "repeats" in sections):
        timed = clocks(cases, links, rules, cal)
        on_time = timed["cases"]["official_on_time"]
        if "clocks" in sections:
            out["clocks"] = kept(timed)
        del timed
    if "repeats" in sections:
        out["repeats"] = repeats(cases, links, on_time)
    return AuditResult(n_cases=len(cases), repeat_days=float(repeat_days), notes=tuple(notes),
                       cases=cases, **out), links
