"""The groupings of one analysis, each computed the first time it is asked for.

:class:`_Groupings` holds the totals, transitions, activities, units, levels,
categories, months and deadlines of an engine's log: it measures each table in
every part the engine hands out (``_measure_<name>``: what adds up, the rest
sent to the engine's collector) and aggregates the measures (``_finish_<name>``).
The quantiles of a store are laid out by table row and the transitions ranked by
:mod:`procmine.bottlenecks.stats`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.abstractions import Follows, follows
from procmine.bottlenecks.codes import (
    _MONTH0,
    _add,
    _Codes,
    _missing,
    _Part,
    _spread,
    _summed,
)
from procmine.bottlenecks.deadline_measures import _DeadlineMeasures
from procmine.bottlenecks.events import _NAT, _Clock
from procmine.bottlenecks.stats import (
    _distinct_cases,
    _month_codes,
    _quantile_rows,
    _rank,
    _stays,
    _transitions,
)
from procmine.engines.collector import log_parts
from procmine.log import ACTIVITY, CATEGORY, LEVEL, RESOURCE, EventLog

if TYPE_CHECKING:
    from procmine.engines import Engine


class _Groupings(_DeadlineMeasures):
    """The tables of one analysis, each computed the first time it is asked for.

    Computing a table measures it in every part the engine hands out and then
    aggregates the measures: ``_measure_<name>(part, values)`` returns what
    adds up and sends the rest to ``values`` (the engine's collector);
    ``_finish_<name>(measures, values)`` makes the table. :meth:`run` measures
    several tables in one pass. A log of one part (a log in memory) keeps that
    part between passes; the parts of a larger log are read again.
    """

    def __init__(self, engine: Engine, *, clock: _Clock, due_clock: _Clock | None = None,
                 workflow: Any = None, deadlines_of: Any = None, part_events: int | None = None,
                 require: str | None = None, include_followup: bool = False):
        self.engine, self.clock, self.workflow = engine, clock, workflow
        self.deadlines_of = deadlines_of    # the workflow whose deadlines count, else the column
        self.due_clock, self.include_followup = due_clock or clock, include_followup
        self.require, self.part_events = require, part_events
        self.codes: dict[str, _Codes] = defaultdict(_Codes)
        self.present: set[str] = set()  # columns with a value in some part
        self.levels: tuple[str, ...] = ()
        self.cache: dict[str, Any] = {}
        self.kept: _Part | None = None
        self.parts_seen = 0    # parts of the pass under way so far
        #: the first part's transitions and waits, sent once a second part comes
        self.first_waits: tuple | None = None

    def get(self, name: str) -> Any:
        if name not in self.cache:
            if name == "transition":
                self.cache[name] = _transitions(self.get("follows").table, self.total_wait)
            else:
                self.run((name,))
        return self.cache[name]

    def taken(self, name: str) -> Any:
        """The table ``name`` as :meth:`get` gives it, not kept here (a per-case table)."""
        self.get(name)
        return self.cache.pop(name)

    def run(self, names: Sequence[str]) -> None:
        """Measure the tables ``names`` in one pass over the parts, then aggregate them."""
        names = [n for n in names if n not in self.cache]
        if not names:
            return
        measures: dict[str, list[Any]] = {name: [] for name in names}
        with self.engine.collector() as values:
            for part in self._parts():
                for name in names:
                    measures[name].append(getattr(self, f"_measure_{name}")(part, values))
            for name in names:
                self.cache[name] = getattr(self, f"_finish_{name}")(measures[name], values)

    def _parts(self) -> Iterator[_Part]:
        if self.kept is not None:
            self.parts_seen = 1
            yield self.kept
            return
        parts, part = 0, None
        self.parts_seen = 0
        for log in log_parts(self.engine, self.part_events):
            part = self._part(log)
            parts += 1
            self.parts_seen = parts
            yield part
        # a log of one part (a log in memory): its events are measured once
        self.kept = part if parts == 1 else None

    def _part(self, log: EventLog) -> _Part:
        if self.require and self.require not in log.column_names:
            raise _missing({RESOURCE: "unit", LEVEL: "level", CATEGORY: "category"}[self.require])
        self.present.update(c for c in log.column_names if log.has(c))
        self.levels = log.levels
        return _Part(log, self.clock, self.codes)

    # ------------------------------------------------------------------ totals

    @property
    def total_wait(self) -> float:
        return self.get("totals")["total_wait"]

    def _measure_totals(self, part: _Part, values: Any) -> tuple:
        ev = part.ev
        earliest = np.where(ev.start != _NAT, np.minimum(ev.start, ev.ts), ev.ts)
        return (float(np.nansum(ev.wait)), bool((ev.start != _NAT).any()),
                int(((ev.start == _NAT) & ~ev.first).sum()),
                int(earliest.min()) if ev.n else None, int(ev.ts.max()) if ev.n else None)

    def _finish_totals(self, measures: list[tuple], values: Any) -> dict[str, Any]:
        firsts = [m[3] for m in measures if m[3] is not None]
        lasts = [m[4] for m in measures if m[4] is not None]
        return {
            "total_wait": sum(m[0] for m in measures),
            "service": any(m[1] for m in measures),
            "missing_start": sum(m[2] for m in measures),
            # the log's span, from its first start (or completion) to its last completion
            "span": float(max(lasts) - min(firsts)) / 1e9 if firsts else 0.0,
        }

    # ------------------------------------------------------------------ transitions

    def _measure_follows(self, part: _Part, values: Any) -> Follows:
        ev = part.ev
        act, names = ev.codes(ACTIVITY)
        i = np.flatnonzero(~ev.first)
        k = max(len(names), 1)
        waits = (act[i - 1] * k + act[i], names, k, ev.wait[i])
        # a log of one part is its own table: its waits go to the collector (for the
        # quantiles over every part) once a second part shows there are more
        if self.parts_seen == 1:
            self.first_waits = waits
        else:
            if self.first_waits is not None:
                self._send_waits(values, *self.first_waits)
                self.first_waits = None
            self._send_waits(values, *waits)
        return follows(part.log, durations=ev.wait)

    def _send_waits(self, values: Any, pair: np.ndarray, names: np.ndarray, k: int,
                    wait: np.ndarray) -> None:
        local, pairs = pd.factorize(pair)
        keys = self.codes["pair"].of([(names[p // k], names[p % k]) for p in pairs])
        _add(values, "follows", np.append(keys, -1)[local], wait)

    def _finish_follows(self, measures: list[Follows], values: Any) -> Follows:
        if len(measures) == 1:
            return measures[0]  # a single part is its own table (a log in memory)
        from procmine.engines import finish_follows

        frame = pd.concat([m.table for m in measures], ignore_index=True)
        table = frame.groupby(["source", "target"], sort=False).agg(
            count=("count", "sum"), cases=("cases", "sum"), total=("total", "sum"),
            min=("min", "min"), max=("max", "max")).reset_index()
        q = values.quantiles("follows", "key", "value", (0.5, 0.9))
        pairs = [self.codes["pair"].names[k] for k in q["key"].astype(np.int64)]
        found = pd.DataFrame({"source": [p[0] for p in pairs], "target": [p[1] for p in pairs],
                              "n": q["n"].to_numpy(), "median": q["q0"].to_numpy(),
                              "p90": q["q1"].to_numpy()})
        table = table.merge(found, on=["source", "target"], how="left")
        with np.errstate(invalid="ignore", divide="ignore"):
            table["mean"] = table["total"] / table["n"]  # a mean over the waits known, as pandas
        starts, ends = Counter(), Counter()
        for m in measures:
            starts.update(m.starts)
            ends.update(m.ends)
        return finish_follows(table, *(pd.DataFrame({"activity": list(c), "n": list(c.values())})
                                       for c in (starts, ends)))

    # ------------------------------------------------------------------ activities

    def _measure_activity(self, part: _Part, values: Any) -> pd.DataFrame:
        ev = part.ev
        act, names = ev.codes(ACTIVITY)
        code = part.code(ACTIVITY)
        _add(values, "activity", code, ev.wait)
        _add(values, "activity_service", code, ev.service)
        return pd.DataFrame({"key": part.keys(ACTIVITY),
                             "count": np.bincount(act[act >= 0], minlength=len(names))})

    def _finish_activity(self, measures: list[pd.DataFrame], values: Any) -> pd.DataFrame:
        names, row = self.codes[ACTIVITY].ordered()
        k = len(names)
        s = _summed(measures)
        table = pd.DataFrame({"activity": names,
                              "count": _spread(s.index, s["count"], row, k, 0, np.int64)})
        for column, data in self._waits(values, "activity", row, k).items():
            table[column] = data
        if self.get("totals")["service"]:
            total, (median, p90) = _quantile_rows(values, "activity_service", row, k, (0.5, 0.9))
            table["service_median"] = median
            table["service_p90"] = p90
            table["service_total"] = total
        return _rank(table, "wait_total", "activity")

    def _waits(self, values: Any, name: str, row: Any, k: int) -> dict[str, np.ndarray]:
        total, (median, p90) = _quantile_rows(values, name, row, k, (0.5, 0.9))
        total_wait = self.total_wait
        share = total / total_wait if total_wait > 0 else np.full(k, np.nan)
        return {"wait_median": median, "wait_p90": p90, "wait_total": total, "wait_share": share}

    # ------------------------------------------------------------------ units and levels

    def _measure_unit(self, part: _Part, values: Any) -> pd.DataFrame | None:
        return self._measure_organisation(part, values, RESOURCE, "unit")

    def _measure_level(self, part: _Part, values: Any) -> pd.DataFrame | None:
        return self._measure_organisation(part, values, LEVEL, "level")

    def _measure_organisation(self, part: _Part, values: Any, column: str,
                              label: str) -> pd.DataFrame | None:
        if not part.has(column):
            return None
        ev = part.ev
        group, names = ev.codes(column)
        k = len(names)
        code = np.append(part.keys(column), -1)
        stay, begin, end = _stays(group, ev)
        frame = pd.DataFrame({"key": part.keys(column),
                              "events": np.bincount(group[group >= 0], minlength=k),
                              "cases": _distinct_cases(group, ev.case, k),
                              "busy": np.bincount(stay, weights=(end - begin) / 1e9, minlength=k)})
        deadline = self._deadline(part)
        if deadline is not None:
            frame["overdue_cases"] = _distinct_cases(group, ev.case, k, among=deadline[3])
        _add(values, label, self._not_followup(part, code[group]), ev.wait)
        ones = np.ones(len(stay), dtype=np.int64)
        values.add(f"{label}_stays", pd.DataFrame({"key": code[np.concatenate((stay, stay))],
                                                   "time": np.concatenate((begin, end)),
                                                   "delta": np.concatenate((ones, -ones))}))
        return frame

    def _not_followup(self, part: _Part, keys: np.ndarray) -> np.ndarray:
        """``keys`` with the follow-up steps' set to -1 (their waits left out), unless
        ``include_followup``."""
        if self.include_followup:
            return keys
        from procmine.vocabulary import is_followup

        aliases = getattr(self.workflow, "aliases", None) or None
        act, names = part.ev.codes(ACTIVITY)
        flags = is_followup(names, aliases)
        followup = np.array([flags[a] for a in names] + [False], dtype=bool)[act]
        return np.where(followup, -1, keys)

    def _finish_unit(self, measures: list[Any], values: Any) -> pd.DataFrame | None:
        units = self._finish_organisation(measures, values, RESOURCE, "unit")
        if units is None:
            return None
        # a bottleneck unit is slow with each order, whatever its volume: rank by the
        # median wait before it acts (then by total); the busiest units lead on total
        return units.sort_values(["wait_median", "wait_total", "unit"],
                                 ascending=[False, False, True], kind="stable",
                                 na_position="last").reset_index(drop=True)

    def _finish_level(self, measures: list[Any], values: Any) -> pd.DataFrame | None:
        levels = self._finish_organisation(measures, values, LEVEL, "level")
        if levels is None:
            return None
        order = {name: i for i, name in enumerate(self.levels)}
        levels = levels.assign(_o=levels["level"].map(order).fillna(len(order)))
        levels = levels.sort_values(["_o", "level"], kind="stable").drop(columns="_o")
        return levels.reset_index(drop=True)

    def _finish_organisation(self, measures: list[Any], values: Any, column: str,
                             label: str) -> pd.DataFrame | None:
        if column not in self.present:
            return None
        names, row = self.codes[column].ordered()
        k = len(names)
        s = _summed(measures)
        table = pd.DataFrame({label: names,
                              "events": _spread(s.index, s["events"], row, k, 0, np.int64),
                              "cases": _spread(s.index, s["cases"], row, k, 0, np.int64)})
        # work in progress: mean over the log's span (total stay time / span), and peak
        span = self.get("totals")["span"]
        busy = _spread(s.index, s["busy"], row, k, 0.0)
        table["wip_mean"] = busy / span if span > 0 else np.full(k, np.nan)
        peaks = values.peaks(f"{label}_stays", "key", "time", "delta")
        table["wip_peak"] = _spread(peaks["key"], peaks["peak"], row, k, 0, np.int64)
        for name, data in self._waits(values, label, row, k).items():
            table[name] = data
        deadlines = self.get("deadlines")
        if deadlines is not None:
            n_late = deadlines.n_overdue
            table["overdue_cases"] = _spread(s.index, s["overdue_cases"], row, k, 0, np.int64)
            table["overdue_share"] = table["overdue_cases"] / n_late if n_late else np.nan
        return table

    # ------------------------------------------------------------------ categories and months

    def _measure_category(self, part: _Part, values: Any) -> pd.DataFrame | None:
        if not part.has(CATEGORY):
            return None
        ev = part.ev
        group, names = ev.codes(CATEGORY)
        code = np.append(part.keys(CATEGORY), -1)
        _add(values, "category", code[group], ev.wait)
        first, last = ev.first_idx, ev.last_idx
        begin = np.where(ev.start[first] != _NAT, ev.start[first], ev.ts[first])
        _add(values, "category_case", code[group[first]], self.clock.span(begin, ev.ts[last]))
        return pd.DataFrame({"key": part.keys(CATEGORY),
                             "cases": _distinct_cases(group, ev.case, len(names))})

    def _finish_category(self, measures: list[Any], values: Any) -> pd.DataFrame | None:
        if CATEGORY not in self.present:
            return None
        names, row = self.codes[CATEGORY].ordered()
        k = len(names)
        s = _summed(measures)
        table = pd.DataFrame({"category": names,
                              "cases": _spread(s.index, s["cases"], row, k, 0, np.int64)})
        _, (median,) = _quantile_rows(values, "category_case", row, k, (0.5,))
        table["case_median"] = median
        for name, data in self._waits(values, "category", row, k).items():
            table[name] = data
        deadlines = self.get("deadlines")
        if deadlines is not None:
            by = deadlines.by_category.set_index("category")
            for column in ("deadline_cases", "overdue_cases", "on_time_rate", "overdue_median"):
                table[column] = by[column].reindex(names).to_numpy()
            for column in ("deadline_cases", "overdue_cases"):
                table[column] = table[column].fillna(0).astype("int64")
        return _rank(table, "wait_total", "category")

    def _measure_month(self, part: _Part, values: Any) -> pd.DataFrame:
        ev = part.ev
        month = _month_codes(ev.ts, self.clock.timezone) + _MONTH0
        keys, group = np.unique(month, return_inverse=True)
        _add(values, "month", month, ev.wait)
        table = pd.DataFrame({"key": keys, "events": np.bincount(group, minlength=len(keys)),
                              "cases_closed": np.bincount(group[ev.last], minlength=len(keys))})
        deadline = self._deadline(part)
        if deadline is None:
            return table, None
        window, on_time = deadline[0], deadline[1]
        end = _month_codes(window.end, self.clock.timezone) + _MONTH0
        ends, at = np.unique(end, return_inverse=True)
        return table, pd.DataFrame({"key": ends, "n": np.bincount(at, minlength=len(ends)),
                                    "on_time": np.bincount(at, weights=on_time,
                                                           minlength=len(ends))})

    def _finish_month(self, measures: list[tuple], values: Any) -> pd.DataFrame:
        s = _summed([m[0] for m in measures])
        keys = s.index.to_numpy(dtype=np.int64)
        base = int(keys.min()) if len(keys) else 0
        k = int(keys.max()) - base + 1 if len(keys) else 0
        row = np.arange(k) if k else np.zeros(0, dtype=np.int64)
        at = keys - base
        table = pd.DataFrame({
            "month": np.datetime_as_string((np.arange(k) + base - _MONTH0).astype("datetime64[M]")),
            "events": _spread(at, s["events"], row, k, 0, np.int64),
            "cases_closed": _spread(at, s["cases_closed"], row, k, 0, np.int64),
        })
        for name, data in self._waits(values, "month", lambda key: key - base, k).items():
            table[name] = data
        ends = [m[1] for m in measures if m[1] is not None]
        deadlines = self.get("deadlines")
        if deadlines is not None and deadlines.n_cases:
            d = _summed(ends)
            end = d.index.to_numpy(dtype=np.int64) - base
            inside = (end >= 0) & (end < k)
            n = np.bincount(end[inside], weights=d["n"].to_numpy()[inside], minlength=k)
            table["deadline_cases"] = n.astype(np.int64)
            with np.errstate(invalid="ignore", divide="ignore"):
                table["on_time_rate"] = np.bincount(end[inside], weights=d["on_time"].to_numpy()
                                                    [inside], minlength=k) / n
        return table[table["events"] > 0].reset_index(drop=True)
