"""Where orders wait: waiting and service times, work in progress, deadlines.

Every duration is measured in working time (a :mod:`procmine.calendar`
working calendar: office hours, weekends, public holidays, swapped working
days) unless clock time is asked for. The definitions, per event ``e`` of a
case, with ``p`` the event before it in the same case:

- **waiting time** of ``e`` (and of the transition ``p -> e``): from the
  completion of ``p`` to the start of ``e``. Where the log has no start time
  for ``e``, the start is unknown and the whole gap from the completion of
  ``p`` to the completion of ``e`` counts as waiting (that is what every
  directly-follows graph shows). Where ``e`` started before ``p`` completed
  (parallel work), it waited 0.
- **service time** of ``e``: from its start to its completion, where the log
  has both; unknown otherwise.
- **stay** of a case at a unit: from the hand-over (completion of the event
  before the unit's first event of the run) to the completion of the unit's
  last consecutive event; work in progress (WIP) counts open stays.

The first event of a case has no waiting time. The per-transition numbers are
:func:`procmine.abstractions.follows` with :func:`waiting_times` as its
``durations`` (:func:`transition_waits`), so ``procmine map --metric p90-wait``
shows the same numbers.

A log larger than memory is measured through an engine
(:mod:`procmine.engines`), in parts of whole cases: what adds up across parts
is added, and the values quantiles and peaks need are kept out of core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from procmine.abstractions import Follows
from procmine.bottlenecks.codes import _missing
from procmine.bottlenecks.deadlines import Deadlines
from procmine.bottlenecks.deadlines import _name as _workflow_name
from procmine.bottlenecks.events import _Clock, _Events, _resolve_calendar
from procmine.bottlenecks.groupings import _Groupings
from procmine.choices import BOTTLENECK_BY, BottleneckBy
from procmine.engines import as_engine
from procmine.errors import SpecError, check_choice
from procmine.log import CATEGORY, DEADLINE, LEVEL, RESOURCE, EventLog

if TYPE_CHECKING:
    from procmine.calendar import WorkingCalendar
    from procmine.engines import Engine
    from procmine.workflow import Workflow

By = BottleneckBy
BY_CHOICES: tuple[str, ...] = BOTTLENECK_BY


@dataclass(frozen=True)
class BottleneckResult:
    """What :func:`find_bottlenecks` found. Durations are seconds of ``time_basis``.

    ``table`` is the table asked for with ``by`` (ranked, cut to ``top``).
    ``transitions`` and ``deadlines`` are always there; ``activities``,
    ``units``, ``levels``, ``categories`` and ``months`` hold every grouping in
    full, computed when first read (``None`` where the log lacks the column:
    units need ``org:resource``, levels ``org:level``, categories
    ``case:category``). ``calendar`` says which calendar measured the time.
    Of a result from an engine, those tables are read from the engine (again,
    part by part) when first asked for: ask while it is open.
    """

    by: str
    time_basis: Literal["working", "clock"]
    calendar: str
    service_time: bool
    total_wait: float
    table: pd.DataFrame
    transitions: pd.DataFrame
    deadlines: Deadlines | None
    notes: tuple[str, ...] = ()
    _tables: Any = field(default=None, repr=False, compare=False)

    @property
    def activities(self) -> pd.DataFrame:
        return self._tables.get("activity")

    @property
    def units(self) -> pd.DataFrame | None:
        return self._tables.get("unit")

    @property
    def levels(self) -> pd.DataFrame | None:
        return self._tables.get("level")

    @property
    def categories(self) -> pd.DataFrame | None:
        return self._tables.get("category")

    @property
    def months(self) -> pd.DataFrame:
        return self._tables.get("month")

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "time_basis": self.time_basis,
            "calendar": self.calendar,
            "service_time": self.service_time,
            "total_wait": self.total_wait,
            "table": self.table,
            "deadlines": self.deadlines.to_dict() if self.deadlines is not None else None,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- API


def waiting_times(log: EventLog, *, working_time: bool = True,
                  calendar: WorkingCalendar | str | None = "cn") -> np.ndarray:
    """Seconds each event waited after the previous event of its case (NaN for a first event).

    Waiting runs from the completion of the previous event to the start of
    this one (to its completion where the log has no start time), in working
    time unless ``working_time=False``. Pass it as ``durations`` to
    :func:`procmine.abstractions.follows` to get the per-transition numbers of
    :func:`find_bottlenecks`.

    >>> from procmine.abstractions import follows
    >>> from procmine.simulate import simulate_log
    >>> log = simulate_log(cases=50, seed=1).to_event_log()
    >>> waits = waiting_times(log, calendar="cn")
    >>> bool(np.isnan(waits[0])), len(waits) == log.n_events
    (True, True)
    >>> table = follows(log, durations=waits).table       # what find_bottlenecks ranks
    >>> list(table.columns[:3])
    ['source', 'target', 'count']
    """
    cal, _ = _resolve_calendar(calendar, working_time)
    return _Events(log, _Clock(cal, log.timezone)).wait


def transition_waits(source: EventLog | Engine, *, working_time: bool = True,
                     calendar: WorkingCalendar | str | None = "cn",
                     part_events: int | None = None) -> Follows:
    """The directly-follows table with waiting times (seconds) per pair, as the process map draws it.

    For an ``EventLog`` it is ``follows(log, durations=waiting_times(log, ...))``
    (the log is one part of the pandas engine); for another
    :class:`~procmine.engines.Engine` the same table, computed part by part over
    ``engine.event_logs(max_events=part_events)`` (by default as many events as
    the engine's ``memory_limit`` allows): counts, distinct cases, sums, minima
    and maxima add up, and the medians and p90 come from every wait, kept in the
    engine's collector.

    >>> from procmine.engines import get_engine
    >>> from procmine.read import read_log
    >>> with get_engine("duckdb", "logs/sample.csv") as engine:
    ...     parts = transition_waits(engine, working_time=False, part_events=5000).table
    >>> row = parts.iloc[0]
    >>> row["source"], row["target"], int(row["count"]), float(row["median"])
    ('处置', '反馈', 3420, 1406.5)
    >>> parts.equals(transition_waits(read_log("logs/sample.csv"), working_time=False).table)
    True
    """
    engine = as_engine(source)
    cal, _ = _resolve_calendar(calendar, working_time)
    groupings = _Groupings(engine, clock=_Clock(cal, engine.source.timezone),
                           part_events=part_events)
    return groupings.get("follows")


def find_bottlenecks(
    log: EventLog | Engine,
    *,
    by: By = "transition",
    working_time: bool = True,
    calendar: WorkingCalendar | str | None = "cn",
    workflow: Workflow | None = None,
    top: int | None = None,
    part_events: int | None = None,
    include_followup: bool = False,
) -> BottleneckResult:
    """Where the orders of ``log`` wait, at which units and levels, and which deadlines slip.

    ``by`` picks the table in ``result.table``: ``transition`` (a -> b, ranked
    by total waiting time), ``activity``, ``unit``, ``level``, ``category`` or
    ``month``. Times are working seconds of ``calendar`` (``"cn"``, ``"none"``,
    a calendar file, or a :class:`procmine.calendar.WorkingCalendar`), or
    clock seconds with ``working_time=False``. Deadlines come from
    ``workflow`` (a parsed workflow spec with deadlines per category) or else
    from the ``case:deadline`` column.

    ``log`` is an ``EventLog`` or an open :class:`~procmine.engines.Engine`,
    for a log larger than memory: the engine hands out the log in parts of
    whole cases, ``part_events`` events each (by default as many as its
    ``memory_limit`` allows), and the result is the same as in memory. The
    ``by`` table, the transitions and the deadlines come from one pass over the
    parts; each other table (``result.units``, ...) reads the parts again
    when first asked for, so ask while the engine is open.

    >>> from procmine.simulate import simulate_log
    >>> log = simulate_log(cases=300, seed=1).to_event_log()
    >>> result = find_bottlenecks(log, by="unit", top=3)
    >>> result.table["unit"].iloc[0], result.time_basis, result.calendar[:3]
    ('房管办', 'working', 'cn:')
    >>> round(result.deadlines.on_time_rate, 2) <= 1
    True

    The wait before a follow-up step (回访 after closure, 督办, 催办: by role, see
    :data:`procmine.vocabulary.FOLLOWUP_ROLES`) is not the following unit's
    slowness: the units' and levels' waits leave it out unless ``include_followup``
    (the transitions keep it).
    """
    check_choice("by", by, BY_CHOICES)
    if top is not None and top < 1:
        raise SpecError(f"top={top}: give at least 1")
    engine = as_engine(log)
    engine.require_times("bottlenecks")
    cal, basis = _resolve_calendar(calendar, working_time)
    clock = _Clock(cal, engine.source.timezone)
    # deadlines in working days need the calendar even when durations are shown in clock time
    due_clock = clock
    if workflow is not None and basis == "clock" and calendar is not None:
        due_clock = _Clock(_resolve_calendar(calendar, True)[0], engine.source.timezone)
    # a workflow without deadlines (a BPMN or PNML model, a spec without them) leaves them
    # to the log's deadline column
    timed_by = workflow if getattr(workflow, "deadlines", None) else None
    tables = _Groupings(engine, clock=clock, due_clock=due_clock, workflow=workflow,
                        deadlines_of=timed_by, part_events=part_events,
                        include_followup=include_followup,
                        require={"unit": RESOURCE, "level": LEVEL, "category": CATEGORY}.get(by))
    from procmine.calendar import describe_calendar, fallback_years

    with fallback_years() as fallback:     # the years of this log the calendar lacks
        tables.run(("totals", "deadlines", "follows", *((by,) if by != "transition" else ())))
    chosen = tables.get(by)
    if chosen is None:
        raise _missing(by)
    totals = tables.get("totals")
    return BottleneckResult(
        by=by, time_basis=basis, calendar=describe_calendar(cal, fallback), service_time=totals["service"],
        total_wait=totals["total_wait"],
        table=chosen.head(top).reset_index(drop=True) if top else chosen,
        transitions=tables.get("transition"), deadlines=tables.get("deadlines"),
        notes=_notes(totals) + _deadline_notes(workflow, timed_by, engine), _tables=tables,
    )


def _deadline_notes(workflow: Any, timed_by: Any, engine: Engine) -> tuple[str, ...]:
    """Where the deadlines came from when a workflow was given without any."""
    if workflow is None or timed_by is not None:
        return ()
    name = _workflow_name(workflow)
    if engine.has(DEADLINE):
        return (f"{name}: the workflow sets no deadlines: the log's deadline column is used",)
    return (f"{name}: the workflow sets no deadlines, and the log has no deadline column: "
            "no deadlines are measured",)


def _notes(totals: dict[str, Any]) -> tuple[str, ...]:
    missing = totals["missing_start"]
    if totals["service"] and missing:
        return (f"{missing:,} event{' has' if missing == 1 else 's have'} no start time: "
                "waiting runs to the completion and includes the service time",)
    return ()
