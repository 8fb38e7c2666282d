"""The pieces every engine shares: the columns of the case table, the variant table ranked
as the pandas path ranks it, engine rows finished into a
:class:`~procmine.abstractions.Follows`, and the working calendar as a day table and as SQL.
They are importable from :mod:`procmine.engines`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from procmine.abstractions import Follows

#: Columns of :meth:`Engine.follows` tables.
FOLLOW_COLUMNS = ("source", "target", "count", "cases", "mean", "median", "p90", "total", "min",
                  "max")


#: The columns of :meth:`Engine.cases`, in order (``category``, ``source`` and ``deadline``
#: only where the log has them).
CASE_COLUMNS = ("case", "events", "start", "end", "duration", "variant", "category", "source",
                "deadline")


def case_columns(table: pd.DataFrame, columns: Iterable[str] | None) -> pd.DataFrame:
    """``table`` (a case table) with only ``columns`` (:meth:`Engine.cases`), in its order.

    >>> case_columns(pd.DataFrame({"case": ["a"], "events": [2], "start": [0]}),
    ...              ["start", "case", "source"]).columns.tolist()
    ['case', 'start']
    """
    if columns is None:
        return table
    wanted = checked_case_columns(columns)
    return table[[name for name in table.columns if name in wanted]]


def checked_case_columns(columns: Iterable[str]) -> set[str]:
    """``columns`` as a set, each a name of :data:`CASE_COLUMNS` (else ValueError)."""
    wanted = set(columns)
    unknown = sorted(wanted.difference(CASE_COLUMNS))
    if unknown:
        raise ValueError(f"not a column of the case table: {', '.join(unknown)} "
                         f"(the columns are {', '.join(CASE_COLUMNS)})")
    return wanted


def rank_variants(frame: pd.DataFrame, separator: str) -> tuple[pd.DataFrame, pd.Series]:
    """The variant table from ``seq`` (activities joined by ``separator``) and ``cases``.

    Orders variants exactly as :func:`procmine.abstractions.variants` does (most
    cases first, then by the activities joined with spaces) so every engine gives
    the same ids. Returns the table and a Series ``seq -> variant id``.
    """
    if frame.empty:
        table = pd.DataFrame({"variant": [], "activities": [], "cases": [], "share": [],
                              "length": []})
        return table, pd.Series(dtype="int64")
    activities = [tuple(s.split(separator)) for s in frame["seq"]]
    spaced = np.array([" ".join(a) for a in activities])
    counts = frame["cases"].to_numpy(dtype=np.int64)
    order = np.lexsort((spaced, -counts))
    total = counts.sum()
    lengths = np.array([len(a) for a in activities], dtype=np.int64)
    table = pd.DataFrame({
        "variant": np.arange(len(order)),
        "activities": [activities[i] for i in order],
        "cases": counts[order],
        "share": counts[order] / total,
        "length": lengths[order],
    })
    ids = pd.Series(np.arange(len(order)), index=frame["seq"].to_numpy()[order])
    return table, ids


def finish_follows(table: pd.DataFrame, starts: pd.DataFrame, ends: pd.DataFrame) -> Follows:
    """A Follows from engine rows: column order, types and sort order of the pandas path."""
    from procmine.abstractions import Follows

    table = table[list(FOLLOW_COLUMNS)].copy()
    table["source"] = table["source"].astype(str)
    table["target"] = table["target"].astype(str)
    for column in ("count", "cases"):
        table[column] = table[column].astype(np.int64)
    for column in FOLLOW_COLUMNS[4:]:
        table[column] = table[column].astype(np.float64)
    table = table.sort_values(["count", "source", "target"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)

    def counted(frame: pd.DataFrame) -> dict[str, int]:
        frame = frame.sort_values(["n", "activity"], ascending=[False, True], kind="stable")
        return {str(a): int(n) for a, n in zip(frame["activity"], frame["n"], strict=True)}

    return Follows(table, counted(starts), counted(ends))



def resolve_calendar(calendar: Any, *, timezone: str | None = None) -> Any:
    """A WorkingCalendar from a calendar or an option string (``cn``, ``none``, a file;
    ``None`` is clock time: :func:`procmine.calendar.as_calendar`), counting on the wall
    clock of ``timezone`` (the log's office zone) when given."""
    from procmine.calendar import WorkingCalendar, as_calendar

    calendar = as_calendar(calendar) or WorkingCalendar(kind="none")
    return calendar.in_zone(timezone) if timezone else calendar


def working_days(calendar: Any, first_local_s: float, last_local_s: float) -> pd.DataFrame:
    """Per day from before ``first`` to after ``last`` (local seconds since the epoch):
    ``day`` (days since 1970-01-01), ``working`` (bool) and ``cumulative`` (working
    seconds before the day), the table SQL engines join to measure working time."""
    import datetime as dt

    epoch = dt.date(1970, 1, 1)
    first = epoch + dt.timedelta(days=int(np.floor(first_local_s / 86400)) - 1)
    last = epoch + dt.timedelta(days=int(np.floor(last_local_s / 86400)) + 1)
    timeline = calendar.timeline(first, last)
    n = len(timeline.working)
    return pd.DataFrame({
        "day": np.arange(timeline.first_day, timeline.first_day + n, dtype=np.int64),
        "working": timeline.working.astype(bool),
        "cumulative": timeline.cumulative[:n].astype(np.float64),
    })


def position_sql(local_seconds: str, calendar: Any, *, day: str = "d") -> str:
    """SQL for the working position of ``local_seconds`` joined to the day table ``day``.

    The same arithmetic as ``procmine.calendar.Timeline.position``: working time
    before the day, plus the part of each office-hour interval already past.
    """
    tod = f"({local_seconds} - {day}.day * 86400.0)"
    within = " + ".join(f"least(greatest({tod} - {a}.0, 0.0), {b - a}.0)"
                        for a, b in calendar.hours)
    return f"({day}.cumulative + CASE WHEN {day}.working THEN {within} ELSE 0.0 END)"


#: Characters that never occur in activity names; joins activities into a variant key.
SEPARATOR = "\x1f"
