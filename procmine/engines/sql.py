"""SQL shared by the DuckDB and Spark engines.

Both engines first build a view ``ev`` with one row per kept event
(:func:`procmine.read.load_events`; the short names are ``procmine.read.EV_COLUMNS``):

====== ==============================================================
``c``   case id (text)
``r``   file row (orders ties of time within a case, as read_log does)
``a``   activity
``t``   completion, UTC microseconds since the epoch (BIGINT)
``res`` unit (text, NULL when missing); ``lvl`` level rank (-1 unknown)
``cat``, ``src``, ``due``: case category, source, deadline (text / µs)
``pa``, ``pt``: activity and ``t`` of the previous event
``is_last``: no later event in the case
``f``   first file row of the case (orders cases as read_log does)
``st``  start of the step (UTC µs, NULL when unknown); ``lvn``, ``knd``: the
        level and unit kind as read_log names them
====== ==============================================================

The queries below read only ``ev`` (and ``days``, the working-day table of
:func:`procmine.engines.shared.working_days`), so the two dialects differ only in the
quantile function (``SqlDialect.quantile``, a format string with ``{x}`` and ``{q}``;
kept for callers, the queries compute exact quantiles by sorting, see :func:`grouped`),
and in the expression of local wall-clock seconds of a UTC-microsecond column in
a timezone, ``SqlDialect.local`` (a format string with ``{us}`` and ``{tz}``).
Working time is measured in the calendar's timezone, as ``procmine.calendar`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from procmine.engines import position_sql
from procmine.read import EV_COLUMNS

#: The window that orders a case: time, then file row.
CASE_ORDER = "PARTITION BY f ORDER BY t, r"


def narrowed(where: str, order: str) -> str:
    """The events of ``ev`` that meet ``where``, with the previous event and the last
    event of each case found anew; ``f`` (the case's first file row) is kept, so cases
    stay in the order read_log gives them."""
    return (f"SELECT c, r, f, a, t, st, res, lvl, lvn, knd, cat, src, due, ctz, adr, "
            f"lag(a) OVER w AS pa, lag(t) OVER w AS pt, lead(r) OVER w IS NULL AS is_last "
            f"FROM ev WHERE {where} WINDOW w AS ({CASE_ORDER}){order}")


def local_seconds(local: str, us: str, calendar: Any) -> str:
    """Local wall-clock seconds of ``us`` in the calendar's timezone."""
    return local.format(us=us, tz="'" + calendar.timezone.replace("'", "''") + "'")


def span(local: str, calendar: Any) -> str:
    """First and last local time of the log (to build the working-day table)."""
    return (f"SELECT min({local_seconds(local, 't', calendar)}) AS lo, "
            f"max({local_seconds(local, 't', calendar)}) AS hi FROM ev")


def follows(quantile: str, *, calendar: Any = None, local: str = "",
            ranked: Callable[[str, tuple[str, ...], dict[str, float]], str] | None = None) -> str:
    """Directly-follows pairs with count, cases and the statistics of the wait (seconds).

    ``ranked`` makes the quantiles' subquery (default :func:`ranked_quantiles`; see
    :func:`grouped`)."""
    if calendar is None:
        waits = "SELECT pa AS source, a AS target, f AS c, (t - pt) / 1e6 AS w FROM ev WHERE pa IS NOT NULL"
    else:
        stamps = (f"SELECT pa, a, f AS c, {local_seconds(local, 't', calendar)} AS lt, "
                  f"{local_seconds(local, 'pt', calendar)} AS plt FROM ev WHERE pa IS NOT NULL")
        here = position_sql("e.lt", calendar, day="d1")
        before = position_sql("e.plt", calendar, day="d0")
        waits = (f"SELECT e.pa AS source, e.a AS target, e.c, {here} - {before} AS w "
                 f"FROM ({stamps}) e "
                 "JOIN days d1 ON d1.day = CAST(floor(e.lt / 86400) AS BIGINT) "
                 "JOIN days d0 ON d0.day = CAST(floor(e.plt / 86400) AS BIGINT)")
    return grouped(waits, ("source", "target"), {"median": 0.5, "p90": 0.9},
                   "count(*) AS count, avg(w) AS mean, sum(w) AS total, min(w) AS min, "
                   "max(w) AS max", ranked=ranked)


def grouped(rows: str, keys: tuple[str, ...], quantiles: dict[str, float], simple: str, *,
            ranked: Callable[[str, tuple[str, ...], dict[str, float]], str] | None = None) -> str:
    """Per group of ``keys`` over ``rows`` (with columns ``c`` and ``w``): the ``simple``
    aggregates, ``cases`` (distinct ``c``) and exact quantiles of ``w``.

    Distinct cases are counted by grouping first (that spills to disk, where
    DuckDB's count(DISTINCT) holds every value of a group in memory). The quantiles
    come from ``ranked(rows, keys, quantiles)``, a subquery of ``keys`` and one column
    per quantile: by default :func:`ranked_quantiles`, which sorts.
    """
    k = ", ".join(keys)
    quant = (ranked or ranked_quantiles)(rows, keys, quantiles)
    cases = (f"SELECT {k}, count(*) AS cases FROM (SELECT DISTINCT {k}, c FROM ({rows}) x) d "
             f"GROUP BY {k}")
    base = f"SELECT {k}, {simple} FROM ({rows}) x GROUP BY {k}"
    return (f"SELECT * FROM ({base}) b JOIN ({cases}) n USING ({k}) "
            f"JOIN ({quant}) q USING ({k})")


def ranked_quantiles(rows: str, keys: tuple[str, ...], quantiles: dict[str, float]) -> str:
    """The quantiles of ``w`` per group of ``keys`` over ``rows``, one column per name of
    ``quantiles``: linear interpolation between the two nearest sorted values,
    ``a * (1 - t) + b * t``, computed by sorting (row_number) rather than with a
    quantile aggregate: that spills to disk, where DuckDB's quantile holds every
    value of a group in memory."""
    k = ", ".join(keys)
    ranked = (f"SELECT {k}, w, row_number() OVER (PARTITION BY {k} ORDER BY w) - 1 AS i, "
              f"count(*) OVER (PARTITION BY {k}) AS n FROM ({rows}) x")
    parts = []
    for name, q in quantiles.items():
        lo, frac = interpolation(q)
        parts.append(f"sum(CASE WHEN i = {lo} THEN w * (1 - {frac}) WHEN i = {lo} + 1 "
                     f"THEN w * {frac} ELSE 0 END) AS {name}")
    return f"SELECT {k}, {', '.join(parts)} FROM ({ranked}) r GROUP BY {k}"


def interpolation(share: float) -> tuple[str, str]:
    """The 0-based rank below quantile ``share`` of ``n`` sorted values, and the fraction
    of the way to the next (pandas' linear interpolation), as SQL over a column ``n``."""
    h = f"((n - 1) * {share})"
    lo = f"floor({h})"
    return lo, f"({h} - {lo})"


STARTS = "SELECT a AS activity, count(*) AS n FROM ev WHERE pa IS NULL GROUP BY a"
ENDS = "SELECT a AS activity, count(*) AS n FROM ev WHERE is_last GROUP BY a"
#: (a case has one last event)
TOTALS = ("SELECT count(*) AS events, coalesce(sum(CASE WHEN is_last THEN 1 ELSE 0 END), 0) AS cases, "
          "count(DISTINCT a) AS activities, count(DISTINCT res) AS units, min(t) AS first, "
          "max(t) AS last FROM ev")

#: the columns of :func:`cases` counted over each case's events (the others are its first event's)
_COUNTED = {"events": "count(*) AS events", "start": "min(t) AS start", "stop": "max(t) AS stop"}


def cases(columns: Collection[str], *, first_row: bool = False) -> str:
    """One row per case (order of first appearance): its id ``c`` and those of
    ``columns`` asked for: ``events``, ``start``, ``stop`` (counted over its events),
    and its first event's ``cat``, ``src`` and ``due`` (category, source, deadline). No
    count over the events when none of them is asked for. ``first_row``: the case's
    number ``f`` (its first file row) besides.

    >>> cases(["cat"])
    'SELECT e.c, e.cat FROM ev e WHERE e.pa IS NULL ORDER BY e.f'
    """
    first = ["e.f"] * first_row + [f"e.{name}" for name in ("cat", "src", "due") if name in columns]
    counted = [name for name in _COUNTED if name in columns]
    if not counted:
        return f"SELECT {', '.join(['e.c', *first])} FROM ev e WHERE e.pa IS NULL ORDER BY e.f"
    return (f"SELECT {', '.join(['e.c', *(f'g.{n}' for n in counted), *first])} FROM "
            f"(SELECT f, {', '.join(_COUNTED[n] for n in counted)} FROM ev GROUP BY f) g "
            "JOIN ev e ON e.f = g.f AND e.pa IS NULL ORDER BY e.f")




def part_bounds(max_events: int) -> str:
    """Parts of whole cases, in case order, of about ``max_events`` events: ``lo``, ``hi``
    (the range of ``f``), ``events``."""
    running = ("SELECT f, n, sum(n) OVER (ORDER BY f ROWS BETWEEN UNBOUNDED PRECEDING AND "
               "CURRENT ROW) - n AS before FROM (SELECT f, count(*) AS n FROM ev GROUP BY f) x")
    return (f"SELECT min(f) AS lo, max(f) AS hi, sum(n) AS events FROM (SELECT f, n, "
            f"CAST(floor(before / {int(max_events)}) AS BIGINT) AS b FROM ({running}) y) z "
            f"GROUP BY b ORDER BY b")


def part(lo: int, hi: int) -> str:
    """The events of the cases with ``lo <= f <= hi``, in read_log's order."""
    return (f"SELECT {', '.join(EV_COLUMNS.values())} FROM ev "
            f"WHERE f BETWEEN {int(lo)} AND {int(hi)} ORDER BY f, t, r")


#: Events and distinct cases per activity (distinct by grouping first: that spills).
ACTIVITIES = ("SELECT e.a AS activity, e.n AS count, d.cases FROM "
              "(SELECT a, count(*) AS n FROM ev GROUP BY a) e JOIN "
              "(SELECT a, count(*) AS cases FROM (SELECT DISTINCT a, f FROM ev) x GROUP BY a) d "
              "ON d.a = e.a")


def group_counts(column: str) -> str:
    """Events per (activity, value of ``column``), where the value is known."""
    return (f"SELECT a AS activity, {column} AS value, count(*) AS n FROM ev "
            f"WHERE {column} IS NOT NULL GROUP BY a, {column}")


#: Exact duplicate events (same case, activity, time and unit), as read_log counts them;
#: only events of a case and time shared with the event before are looked at.
DUPLICATES = ("SELECT coalesce(sum(n - 1), 0) AS duplicates FROM (SELECT count(*) AS n FROM ev "
              "JOIN (SELECT DISTINCT f, t FROM ev WHERE t = pt) k USING (f, t) "
              "GROUP BY f, a, t, res HAVING count(*) > 1) x")


#: Events per case: the fewest, the median (interpolated) and the most.
SPREAD = ("SELECT min(n) AS lo, {median} AS mid, max(n) AS hi FROM "
          "(SELECT count(*) AS n FROM ev GROUP BY f) x")


def cases_by(column: str) -> str:
    """Cases per value of ``column`` on each case's first event (a case attribute)."""
    return (f"SELECT {column} AS value, count(*) AS n FROM ev WHERE pa IS NULL "
            f"AND {column} IS NOT NULL GROUP BY {column}")
