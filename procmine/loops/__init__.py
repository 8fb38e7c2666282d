"""Upward-accountability loops and governance patterns, found per case and aggregated.

Each pattern of ``docs/loops.md`` becomes a per-case flag with its evidence (the
events that make it) and a time cost, then a summary per pattern and, on demand,
a table by unit, level, category, month or source:

- ``escalation``: 提级 by unit U, the order sits at a higher level with no
  handling there, then 下派 back to the SAME unit U (向上负责).
- ``pingpong``: 退单 by A, 退单 by B, the order back at A (推诿); with the number
  of distinct units before one signs and the pre-sign dwell. On logs without
  return steps: A -> B -> A handovers of ``org:resource``.
- ``dumping``: a line unit (条) returns, a block unit (块) finally handles (漏斗效应).
- ``rework``: 核查不通过 then handled again, or the same unit handles twice within
  one closure; on logs without roles, the same activity repeated in a case.
- ``reopen``: 结案, then 不满意/重办, then handled again.
- ``hugging``: the final 结案 in the last 10% of the allowed working window.
- ``desk``: 核查 within minutes of 反馈, or a closure with no field step at all.
- ``supervision``: supervised (督办/催办) orders against ordinary ones of the same
  category.

Everything is computed with numpy over the event table (shifts, cumulative sums
and group-bys), never with a Python loop per case. One pass (``_analyse``) finds
everything per case; ``_finish`` decides which patterns the log allows and makes the
tables. The pass runs on each part of whole cases the engine hands out (a log in
memory is one part of the pandas engine) and ``procmine.loops.merge`` merges the
parts before ``_finish``: the same result on every engine and part size, to the
last bit.

The package: ``context`` reads the event table into numpy arrays, ``patterns`` holds
one detector per pattern, ``evidence`` makes the evidence rows of each flagged case,
``aggregates`` the summary, ``by``, flows and handover tables (:func:`procmine.render.render_loops` draws them), ``merge``
runs the parts and merges them, ``result`` holds :class:`LoopsResult`; this module holds
the pass and :func:`find_loops`.

>>> from procmine.simulate import simulate_log
>>> log = simulate_log(cases=300, seed=5).to_event_log()
>>> result = find_loops(log, patterns=("escalation", "pingpong"))
>>> result.summary["pattern"].tolist()
['escalation', 'pingpong']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from procmine.choices import LOOP_BY, LoopBy
from procmine.engines import as_engine
from procmine.errors import SpecError, check_choice
from procmine.log import CATEGORY, DEADLINE, KIND, LEVEL, RESOURCE, EventLog
from procmine.loops.aggregates import Medians as Medians
from procmine.loops.aggregates import (
    _attrs,
    _by_base,
    _by_table,
    _flows_empty,
    _flows_table,
    _handover_table,
    _handovers,
    _level_moves,
    _no_handovers,
    _summary,
    _supervision_table,
    _Tally,
    _tally,
)
from procmine.loops.context import _context
from procmine.loops.evidence import _no_evidence, _per_case
from procmine.loops.patterns import DESCRIPTIONS as DESCRIPTIONS
from procmine.loops.patterns import PATTERNS as PATTERNS
from procmine.loops.patterns import Pattern as Pattern
from procmine.loops.patterns import (
    _desk,
    _dumping,
    _escalation,
    _Found,
    _hugging,
    _hugging_details,
    _pingpong,
    _presign,
    _reopen,
    _rework,
    _rework_by_activity,
    _supervision,
)
from procmine.loops.result import LoopsResult as LoopsResult

if TYPE_CHECKING:
    from procmine.engines import Engine

By = LoopBy
BY_CHOICES: tuple[str, ...] = LOOP_BY


def _choose(patterns: str | Sequence[str]) -> list[str]:
    chosen = [patterns] if isinstance(patterns, str) else list(patterns)
    if "all" in chosen:
        return list(PATTERNS)
    for pattern in chosen:
        check_choice("patterns", pattern, ("all", *PATTERNS))
    return [p for p in PATTERNS if p in chosen]


# --------------------------------------------------------------------------- one pass, then the result

#: What each pattern needs: columns with a value, then a role of each group.
_NEEDS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "escalation": ((LEVEL, RESOURCE), (("escalate",), ("assign_down",))),
    "pingpong": ((RESOURCE,), ()),
    "dumping": ((KIND,), (("return",), ("handle",))),
    "rework": ((), ()),
    "reopen": ((), (("close",), ("dissatisfied", "reopen"), ("handle",))),
    "hugging": ((DEADLINE,), (("close",),)),
    "desk": ((), (("close", "check"),)),
    "supervision": ((), (("urge", "supervise"),)),
}
_NO_COLUMN = {
    LEVEL: "the log has no org:level column (map it with --level)",
    RESOURCE: "the log has no org:resource column (map it with --resource)",
    KIND: "the log has no org:kind column (条/块; map it with --kind)",
    DEADLINE: "the log has no case:deadline column (map it with --deadline)",
}
_PRESIGN = ("units_before_sign", "presign_dwell_s", "presign_dwell_work_s")
#: Patterns whose definition depends on the log having dispatch steps (see ``_Part.dispatch``)
_DISPATCH_DEFINED = ("pingpong", "rework")


@dataclass(frozen=True)
class _Options:
    """The options of :func:`find_loops`, checked."""

    patterns: tuple[str, ...]
    by: str | None
    calendar: Any
    aliases: Mapping[str, str] | None
    last_share: float
    window_start: str
    extension_hours: float
    desk_minutes: float


@dataclass(frozen=True)
class _Part:
    """What one pass over events found in one part of whole cases.

    Per case, everything is final: ``kept`` holds the rows, ``cases`` (measures, and a
    flag for each pattern computed) and ``evidence_<pattern>`` (the cost of a supervised
    case is still its cycle time; :func:`_finish` takes the ordinary median off); they
    go to the engine's collector. What the tables need of them is in counts that add
    up over parts: ``tally`` (flagged cases,
    exact cost sums, units and levels), ``signs`` (cases by units before one signs), as
    ``handovers``, ``flows``, ``hugging``, ``by`` and ``rework``; ``values`` are the rows
    medians are taken over. Which patterns ran is decided by :func:`_finish` from
    ``has``, ``roles`` and ``dispatch``: a part may lack a role the log has.
    """

    n_cases: int
    levels: tuple[str, ...]
    has: dict[str, bool]               # canonical column -> it holds a value
    roles: frozenset[str]              # roles of the activities that occur
    dispatch: bool                     # steps of the dispatch loop occur (pingpong, rework read them)
    activities: tuple[str, ...]        # in order of first appearance
    rework: dict[str, int]             # activity -> cases in which it repeats
    tally: _Tally                      # of the evidence rows
    signs: dict[str, int]              # "1", "2", "3+" -> cases by units before sign
    handovers: pd.DataFrame            # source, target, count
    flows: pd.DataFrame                # see _level_moves
    hugging: dict[str, int]            # see _hugging
    by: pd.Series | None               # cases per group of ``by``
    values: dict[str, pd.DataFrame]    # "waits" (between levels), "cycles" (for supervision)
    kept: dict[str, pd.DataFrame]      # "cases", "evidence_<pattern>": rows per case


def _analyse(log: EventLog, o: _Options) -> _Part:
    """Every chosen pattern on ``log``, whatever its roles (what ran is :func:`_finish`'s call)."""
    ctx = _context(log, o.calendar, o.aliases)
    attrs = _attrs(ctx)
    cases: dict[str, np.ndarray] = {"case": ctx.case_ids}   # the columns of the case rows
    found: dict[str, _Found] = {}
    hugging: dict[str, int] = {}
    values: dict[str, pd.DataFrame] = {}
    rework, generic_rework = _rework_by_activity(ctx)
    for pattern in o.patterns:
        if pattern == "escalation":
            found[pattern] = _escalation(ctx)
        elif pattern == "pingpong":
            found[pattern] = _pingpong(ctx)
            cases.update(_presign(ctx))
        elif pattern == "dumping":
            found[pattern] = _dumping(ctx)
        elif pattern == "rework":
            found[pattern] = _rework(ctx) if ctx.dispatch_log else generic_rework
        elif pattern == "reopen":
            found[pattern] = _reopen(ctx)
        elif pattern == "hugging" and DEADLINE in ctx.log.column_names:
            found[pattern], measures, hugging = _hugging(
                ctx, last_share=o.last_share, window_start=o.window_start,
                extension_hours=o.extension_hours)
            cases.update(measures)
        elif pattern == "desk":
            found[pattern] = _desk(ctx, desk_minutes=o.desk_minutes)
        elif pattern == "supervision":
            found[pattern], values["cycles"] = _supervision(ctx, attrs["category"])
    evidence = {}
    for pattern, f in found.items():
        rows = _per_case(ctx, pattern, f, attrs)
        flag = np.zeros(len(ctx.starts), dtype=bool)
        flag[rows.pop("_code").to_numpy(dtype=np.int64)] = True
        cases[pattern] = flag
        evidence[pattern] = rows
    flows, values["waits"] = _level_moves(ctx)
    signs = {}
    if "units_before_sign" in cases:
        units = np.asarray(cases["units_before_sign"], dtype=float)
        signs = {"1": int((units == 1).sum()), "2": int((units == 2).sum()),
                 "3+": int((units >= 3).sum())}
    return _Part(
        n_cases=len(ctx.starts), levels=tuple(ctx.log.levels),
        has={c: ctx.log.has(c) for c in (LEVEL, RESOURCE, KIND, DEADLINE, CATEGORY)},
        roles=frozenset(r for r in ctx.act_roles if r is not None), dispatch=ctx.dispatch_log,
        activities=tuple(str(a) for a in ctx.act_names), rework=rework,
        tally=_tally(evidence, o.by), signs=signs,
        handovers=_handovers(ctx, found["pingpong"]) if "pingpong" in found else _no_handovers(),
        flows=flows, hugging=hugging, by=_by_base(ctx, o.by, attrs) if o.by else None,
        values=values,
        kept={"cases": pd.DataFrame(cases),
              **{f"evidence_{p}": rows for p, rows in evidence.items()}})


def _skip_reason(pattern: str, part: _Part) -> str | None:
    columns, roles = _NEEDS[pattern]
    for column in columns:
        if not part.has[column]:
            return _NO_COLUMN[column]
    for group in roles:
        if not part.roles & set(group):
            return (f"no activity maps to the role {'/'.join(group)} (name it in the workflow "
                    "spec's aliases)")
    return None


def _notes(part: _Part, o: _Options, ran: list[str]) -> list[str]:
    """How the patterns that ran were computed on this log."""
    notes: list[str] = []
    if o.calendar is None:
        notes.append("no working calendar: working-time costs are empty and the hugging window is "
                     "in clock time")
    if "pingpong" in ran and not part.dispatch:
        notes.append("pingpong: no dispatch step in the log, so ping-pong is an A→B→A "
                     "handover of org:resource")
    if "rework" in ran and not part.dispatch:
        notes.append("rework: no dispatch step in the log, so rework is an activity "
                     "repeated within a case (as pm4py's get_rework_cases_per_activity)")
    if not part.roles:
        notes.append("no activity name maps to a dispatch role; only unit- and activity-based "
                     "patterns ran")
    return notes


def _finish(part: _Part, o: _Options, medians: Medians,
            rows: Callable[..., pd.DataFrame | None]) -> LoopsResult:
    """The result of what was found: which patterns ran, the summary, the ``by`` table,
    the details and the flows, from the counts of ``part`` and ``medians``; the case and
    evidence tables from ``rows(name)`` (the kept rows ``name``, None if there are none),
    when first read."""
    skipped = {p: why for p in o.patterns if (why := _skip_reason(p, part))}
    ran = [p for p in o.patterns if p not in skipped]
    details: dict[str, Any] = {}
    measures: list[str] = []
    if "pingpong" in ran and "sign" in part.roles:
        measures += _PRESIGN
        details["pingpong"] = _pingpong_details(part.signs, medians)
    if "hugging" in ran:
        measures += ["window_used", "late_extension"]
        details["hugging"] = _hugging_details(
            part.hugging, last_share=o.last_share, window_start=o.window_start,
            extension_hours=o.extension_hours, working_time=o.calendar is not None)
    less = None
    by_category = part.has[CATEGORY]
    if "supervision" in ran:
        table = _supervision_table(medians, by_category=by_category)
        details["supervision"] = {"by_category": table}
        ordinary = {"cost_s": table.set_index("category")["ordinary_median_s"],
                    "cost_work_s": table.set_index("category")["ordinary_median_work_s"]}

        def less(column: str, category: str) -> float:
            return float(ordinary[column].get(category if by_category else "(all)", np.nan))

    def cases() -> pd.DataFrame:
        return rows("cases")[["case", *ran, *measures]]

    def evidence() -> pd.DataFrame:
        found = {p: rows(f"evidence_{p}") for p in ran}
        found = {p: _no_evidence() if frame is None else frame for p, frame in found.items()}
        if "supervision" in ran:
            found["supervision"] = _less_ordinary(found["supervision"], table,
                                                  by_category=by_category)
        frames = [found[p] for p in ran]
        return pd.concat(frames, ignore_index=True) if frames else _no_evidence()

    return LoopsResult(
        _cases=cases, _evidence=evidence, _flags=lambda: rows("cases", ["case", *ran], any_of=ran),
        summary=_summary(part.tally, ran, part.n_cases, less),
        by=_by_table(part.tally, ran, o.by, part.by, less) if o.by else None,
        flows=_flows_table(part.flows, medians, part.levels) if part.has[LEVEL] else _flows_empty(),
        handovers=_handover_table(part.handovers) if "pingpong" in ran else _no_handovers(),
        rework_by_activity=dict(part.rework), details=details, skipped=skipped,
        notes=tuple(_notes(part, o, ran)), n_cases=part.n_cases, levels=part.levels)


def _pingpong_details(signs: dict[str, int], medians: Medians) -> dict[str, Any]:
    def median(column: str) -> float | None:
        found = medians("cases", [], column)["median"]
        return float(found.iloc[0]) if len(found) and pd.notna(found.iloc[0]) else None

    return {
        "cases_by_units_before_sign": dict(signs),
        "median_units_before_sign": median("units_before_sign"),
        "median_presign_dwell_s": median("presign_dwell_s"),
        "median_presign_dwell_work_s": median("presign_dwell_work_s"),
    }


def _less_ordinary(rows: pd.DataFrame, table: pd.DataFrame, *, by_category: bool) -> pd.DataFrame:
    """Supervised cases' cost: their cycle time less the ordinary median of their category."""
    if rows.empty:
        return rows
    group = rows["category"] if by_category else pd.Series("(all)", index=rows.index)
    ordinary = table.set_index("category")
    rows = rows.copy()
    for column, median in (("cost_s", "ordinary_median_s"), ("cost_work_s", "ordinary_median_work_s")):
        rows[column] = (rows[column].to_numpy(dtype=float)
                        - group.map(ordinary[median]).to_numpy(dtype=float))
    return rows


def _amount(value: Any) -> bool:
    """True for a finite number, 0 or more (-5, nan and inf make no desk or extension window)."""
    return (isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def find_loops(
    log: EventLog | Engine,
    *,
    patterns: str | Sequence[str] = ("all",),
    by: By | None = None,
    calendar: Any = "cn",
    aliases: Mapping[str, str] | None = None,
    last_share: float = 0.1,
    window_start: Literal["dispatch", "case"] = "dispatch",
    extension_hours: float = 4.0,
    desk_minutes: float = 10.0,
    part_events: int | None = None,
) -> LoopsResult:
    """Find the governance patterns of ``log`` per case, and aggregate them.

    ``log`` is an ``EventLog``, or an open engine (``procmine.engines.get_engine``) for
    a log larger than memory: the engine hands the log out in parts of whole cases,
    ``part_events`` events each (by default from the engine's memory limit), and the
    result is the same, figure for figure, as on the log read into memory.

    ``calendar`` (a ``procmine.calendar.WorkingCalendar``, or ``"cn"``, ``"none"``
    or a calendar file as for ``--calendar``) gives working time; with
    ``calendar=None``, working-time columns are NaN and the hugging window is in
    clock time. ``aliases`` maps further activity names to roles (``{"上报区级": "escalate"}``),
    e.g. from a workflow spec. ``last_share`` is the hugging band (the last 10% of
    the window from the first dispatch (派遣) to ``case:deadline``, or from the
    case's first event with ``window_start="case"``); ``extension_hours`` the working hours before the
    deadline in which an extension request counts as late; ``desk_minutes`` how soon
    after feedback a check counts as done at the desk. Patterns whose columns or
    steps the log lacks are skipped with the reason in ``skipped``.

    >>> from procmine.simulate import simulate_log
    >>> log = simulate_log(cases=300, seed=5).to_event_log()
    >>> r = find_loops(log, patterns=["escalation", "reopen"], by="level")
    >>> r.summary.columns.tolist()[:3]
    ['pattern', 'cases', 'share']
    >>> r.by.columns.tolist()[:4]
    ['pattern', 'level', 'cases', 'flagged']
    >>> from procmine.engines import get_engine
    >>> from procmine.read import read_log
    >>> with get_engine("duckdb", "logs/sample.csv") as engine:
    ...     parts = find_loops(engine, patterns="reopen", part_events=10_000)
    >>> parts.summary.equals(find_loops(read_log("logs/sample.csv"), patterns="reopen").summary)
    True
    """
    from procmine.calendar import as_calendar

    calendar = as_calendar(calendar)
    if by is not None:
        check_choice("by", by, BY_CHOICES)
    if not _amount(desk_minutes):
        raise SpecError(f"desk_minutes {desk_minutes!r}: expected minutes, 0 or more")
    if not _amount(extension_hours):
        raise SpecError(f"extension_hours {extension_hours!r}: expected working hours, 0 or more")
    options = _Options(patterns=tuple(_choose(patterns)), by=by, calendar=calendar,
                       aliases=aliases, last_share=last_share, window_start=window_start,
                       extension_hours=extension_hours, desk_minutes=desk_minutes)
    from procmine.loops.merge import find_loops_in_parts

    engine = as_engine(log)
    engine.require_times("loops")
    return find_loops_in_parts(engine, options, part_events=part_events)
