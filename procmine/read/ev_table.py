"""The ``ev`` table of the SQL engines, built from the parsed table of
:func:`procmine.read.dialect.load_events`: the kept events, levels and unit kinds named,
each case's order, and the previous and next event of each (:func:`ev_sql` for Spark,
:func:`sorted_ev`, one sort, for DuckDB)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from procmine.log import (
    ACTIVITY,
    ADDRESS,
    CATEGORY,
    CITIZEN,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    SOURCE,
    START,
)
from procmine.read.times import HIGHEST_US, LOWEST_US

if TYPE_CHECKING:
    from procmine.read.dialect import SqlDialect, SqlSession


def in_range(d: SqlDialect, instant: str) -> str:
    """SQL: the instant is a time pandas holds (1678-2262, as read_log); false
    when NULL. Out-of-range times are unparsable in every engine."""
    us = d.epoch_us.format(x=instant)
    return f"coalesce({us} BETWEEN {LOWEST_US} AND {HIGHEST_US}, false)"


def _names(d: SqlDialect, chosen: Mapping[str, str], *, exact: bool, levels: str,
           kinds: str) -> dict[str, tuple[str, str]]:
    """How levels and unit kinds are named: for ``lvl``, ``lvn`` and ``knd``, the join
    it needs (or "") and its SQL over the parsed row ``s``."""
    null = f"CAST(NULL AS {d.text_type})"
    t = d.epoch_us.format(x="s.ts")
    # a start after its step's time is no start (as read_log reads it: late_starts_note)
    names = {"lvl": ("", "CAST(-1 AS INT)"), "lvn": ("", null), "knd": ("", null),
             "st": ("", f"CASE WHEN s.st > {t} THEN NULL ELSE s.st END")}
    if LEVEL in chosen:
        key = "s.lvn" if exact else "lower(s.lvn)"
        join = f"LEFT JOIN {levels} lv ON lv.raw = {key}"
        names["lvl"] = (join, "CAST(coalesce(lv.rank, -1) AS INT)")
        names["lvn"] = (join, "CASE WHEN lv.exact OR lv.raw IS NULL THEN s.lvn ELSE lv.name END")
    if KIND in chosen:
        names["knd"] = (f"LEFT JOIN {kinds} kd ON kd.raw = lower(s.knd)", "kd.name")
    return names


def kept(d: SqlDialect) -> str:
    """The rows of the parsed table ``s`` that are events."""
    return f"NOT s.bad AND s.c IS NOT NULL AND s.a IS NOT NULL AND {in_range(d, 's.ts')}"


def ev_sql(d: SqlDialect, session: SqlSession, parsed: str, chosen: Mapping[str, str], *,
            exact: bool, levels: str, kinds: str) -> str:
    """The kept events with levels and kinds named, and each case's order (time, file row).

    ``f``, the first row of the case, orders cases as read_log does (first appearance).
    """
    names = _names(d, chosen, exact=exact, levels=levels, kinds=kinds)
    joins = f"{names['lvn'][0]} {names['knd'][0]}"
    r, t = d.row_in_parsed, d.epoch_us.format(x="s.ts")
    return session.create("ev", (
        f"SELECT s.c, {r} AS r, min({r}) OVER (PARTITION BY s.c) AS f, s.a, {t} AS t, "
        f"{names['st'][1]} AS st, "
        f"s.res, {names['lvl'][1]} AS lvl, {names['lvn'][1]} AS lvn, {names['knd'][1]} AS knd, "
        f"s.cat, s.src, s.due, s.ctz, s.adr, lag(s.a) OVER w AS pa, lag({t}) OVER w AS pt, "
        f"lead({r}) OVER w IS NULL AS is_last FROM {parsed} s {joins} WHERE {kept(d)} "
        f"WINDOW w AS (PARTITION BY s.c ORDER BY s.ts, {r}){d.ev_order}"))


#: ``ev``'s columns that are text of few values (kept as ENUM types by :func:`sorted_ev`)
_FEW_VALUES = ("a", "res", "lvn", "knd", "cat", "src")


def sorted_ev(d: SqlDialect, session: SqlSession, parsed: str, chosen: Mapping[str, str], *,
               exact: bool, levels: str, kinds: str) -> str:
    """``ev`` for large logs (DuckDB): the same rows and columns as :func:`ev_sql`.

    The first row of each case comes from a grouping (not a window over the text
    ids); the joined rows are sorted once by that number, time and row, stored in
    that order (the parts of the log stream from one scan), and the event before
    and after each come from its neighbours in that order (a streaming window,
    ``OVER ()``, which keeps the order it is given). Text of few values (activity,
    unit, level, kind, category, source) becomes an ENUM type, one or two bytes a
    row in the sort. The columns that are not mapped are not stored: ``ev`` is a view
    adding them as NULL over the table ``ev_sorted``.
    """
    names = _names(d, chosen, exact=exact, levels=levels, kinds=kinds)
    joins = f"{names['lvn'][0]} {names['knd'][0]}"
    firsts = session.create("case_first", f"SELECT s.c, min(s.rowid) AS f FROM {parsed} s "
                                          f"WHERE {kept(d)} GROUP BY s.c")
    names.update({k: ("", f"s.{k}") for k in ("a", "res", "cat", "src")})
    text, number = f"CAST(NULL AS {d.text_type})", "CAST(NULL AS BIGINT)"
    columns = {"a": ACTIVITY, "lvl": LEVEL, "res": RESOURCE, "lvn": LEVEL, "knd": KIND,
               "cat": CATEGORY, "src": SOURCE, "st": START, "due": DEADLINE, "ctz": CITIZEN,
               "adr": ADDRESS}
    # the distinct values of the ENUM columns, in one scan of the parsed rows
    few = [short for short in _FEW_VALUES if columns[short] in chosen]
    values = session.create("few_values", "SELECT " + ", ".join(
        f"list(DISTINCT {short}) AS {short}" for short in few) + f" FROM {parsed}")
    stored, nulls = {}, []
    for short, canonical in columns.items():
        if canonical not in chosen:
            nulls.append(f"{number if short in ('st', 'due') else text} AS {short}")
        elif short in _FEW_VALUES:
            join, expr = names[short]
            stored[short] = _as_enum(d, session, short, expr,
                                     f"(SELECT unnest({short}) AS {short} FROM {values}) s {join}")
        else:
            stored[short] = names[short][1] if short in names else f"s.{short}"
    session.drop(values)
    if "lvl" not in stored:
        nulls[nulls.index(f"{text} AS lvl")] = "CAST(-1 AS INT) AS lvl"
    t = d.epoch_us.format(x="s.ts")
    # one sort of the joined rows into case, time and row order; the previous and next
    # events then come from the rows before and after (a streaming window: no second sort)
    firsts_join = f"FROM {parsed} s JOIN {firsts} k ON k.c = s.c {joins} WHERE {kept(d)}"
    named = (f"SELECT k.f, s.c, s.rowid AS r, {t} AS t, "
             + ", ".join(f"{expr} AS {short}" for short, expr in stored.items())
             + f" {firsts_join} ORDER BY k.f, t, r")
    same = "lag(f) OVER () = f"
    session.create("ev_sorted", (
        f"SELECT *, CASE WHEN {same} THEN lag(a) OVER () END AS pa, "
        f"CASE WHEN {same} THEN lag(t) OVER () END AS pt, "
        f"coalesce(lead(f) OVER () <> f, true) AS is_last FROM ({named}) s"))
    session.drop(firsts)
    session.rows(f"CREATE VIEW ev AS SELECT *{''.join(', ' + n for n in nulls)} FROM ev_sorted")
    return "ev"


#: More distinct values than this stay text
_MOST_ENUM_VALUES = 100_000


def _as_enum(d: SqlDialect, session: SqlSession, short: str, expr: str, source: str) -> str:
    """``expr`` as an ENUM type of its values in ``source`` (sorted, so that comparing and
    ordering are those of the text), or as it is when it has none or very many."""
    values = [row[0] for row in session.rows(
        f"SELECT DISTINCT {expr} AS v FROM {source} WHERE {expr} IS NOT NULL "
        f"ORDER BY v LIMIT {_MOST_ENUM_VALUES + 1}")]
    if not values or len(values) > _MOST_ENUM_VALUES:
        return expr
    session.rows(f"CREATE TYPE enum_{short} AS ENUM ({', '.join(map(d.literal, values))})")
    return f"CAST({expr} AS enum_{short})"
