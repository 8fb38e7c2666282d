"""The one collector of part-by-part work, and the one quantile arithmetic.

An engine hands out the log in parts of whole cases
(:meth:`procmine.engines.Engine.event_logs`; the pandas engine's log in memory is
one part). What is per case (a loop pattern, a deadline) is then exact in each
part, and counts and sums add up across parts. Three things do not add up:
quantiles (the median wait of a unit), medians as pandas takes them, and the peak
of a running count (the most orders a unit held at once). A :class:`Collector`
keeps the rows those need and computes them over every part at the end:

- :class:`MemoryCollector` keeps the rows in memory (the pandas engine's);
- :class:`DuckDBCollector` keeps them in a DuckDB database, out of core (the
  DuckDB engine's own database, or one on disk for the other engines).

Both take quantiles with :func:`interpolate`, numpy's linear interpolation (``a + (b - a) * t``),
or for a median the mean of the two middle values, as pandas' groupby median does.

>>> with MemoryCollector() as values:
...     values.add("wait", pd.DataFrame({"unit": [0, 0, 1], "w": [1.0, 3.0, 5.0]}))
...     values.add("wait", pd.DataFrame({"unit": [0], "w": [2.0]}))
...     values.quantiles("wait", "unit", "w", (0.5,))[["unit", "n", "total", "q0"]].values.tolist()
[[0.0, 3.0, 6.0, 2.0], [1.0, 1.0, 5.0, 5.0]]
>>> with DuckDBCollector() as values:
...     values.add("wait", pd.DataFrame({"unit": [0, 0, 1], "w": [1.0, 3.0, 5.0]}))
...     values.add("wait", pd.DataFrame({"unit": [0], "w": [2.0]}))
...     values.quantiles("wait", "unit", "w", (0.5,))[["unit", "n", "total", "q0"]].values.tolist()
[[0.0, 3.0, 6.0, 2.0], [1.0, 1.0, 5.0, 5.0]]
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from procmine.engines import nearest
from procmine.engines.gathered import GatheredRows
from procmine.errors import ProcmineError
from procmine.files import ScratchFolder
from procmine.grouping import group_peaks as group_peaks
from procmine.grouping import group_quantiles as group_quantiles
from procmine.grouping import interpolate as interpolate
from procmine.log import ACTIVITY, CASE, DEFAULT_LEVELS, TIMESTAMP, EventLog

#: Events per part when no memory budget is given (about 1 GiB of pandas per million events).
DEFAULT_PART_EVENTS = 1_000_000
#: The least share of the memory limit the parts are sized from when a caller holds
#: memory outside the engine (``Engine.hold_outside``).
MIN_PART_SHARE = 0.2
#: Parts between two releases of what the engine cached while the parts stream
#: (:func:`log_parts`). DuckDB keeps the blocks of the log it has read, and the collector's
#: rows added since, until they fill its share of the memory limit, though nothing reads
#: them again before the parts end: on 5M events at 512MiB (342 parts) its share (102 MiB)
#: was full half-way through each pass of the bottlenecks and the patterns, and the
#: bottlenecks' peak 613 MiB; released every 8 parts, DuckDB held about 30 MiB, the rows
#: beyond it went to its temp directory, and the peak while the parts stream was 552 MiB.
RELEASE_EVERY = 8
#: Rows per batch :meth:`DuckDBCollector.peaks` reads from DuckDB's sort (the running sums
#: carry from batch to batch); 1 << 20 took about 40 MiB at once in numpy and Arrow.
PEAK_BATCH_ROWS = 1 << 16


def part_events(memory_limit: str | None) -> int:
    """Events per part for a memory budget: a quarter of it at about 1 KiB per event.

    >>> part_events("4GiB"), part_events(None)
    (1048576, 1000000)
    """
    if not memory_limit:
        return DEFAULT_PART_EVENTS
    from procmine.engines import parse_memory_limit

    return max(10_000, parse_memory_limit(memory_limit) // 4 // 1024)


def log_parts(engine: Any, part_events: int | None = None) -> Iterator[EventLog]:
    """The parts of whole cases part-by-part work goes through:
    ``engine.event_logs`` with ``engine.part_events(part_events)`` events each, or
    one log without events (of the engine's time zone and levels) when the log has
    none, so that an empty log gives empty tables on every engine. Every
    :data:`RELEASE_EVERY` parts, and after the last, the engine gives back what it
    cached (``Engine.release_buffers``)."""
    empty = True
    for i, log in enumerate(engine.event_logs(max_events=engine.part_events(part_events)), 1):
        empty = False
        yield log
        if i % RELEASE_EVERY == 0:
            engine.release_buffers()
    engine.release_buffers()
    if empty:
        tz = engine.source.timezone
        events = pd.DataFrame({CASE: pd.Series([], dtype="string"),
                               ACTIVITY: pd.Series([], dtype="string"),
                               TIMESTAMP: pd.Series([], dtype=f"datetime64[ns, {tz}]")})
        yield EventLog(events, levels=tuple(engine.source.levels or DEFAULT_LEVELS), timezone=tz)


# --------------------------------------------------------------------------- arithmetic


def any_true(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The rows of ``frame`` in which one of the boolean ``columns`` is true (missing: false)."""
    found = np.zeros(len(frame), dtype=bool)
    for column in columns:
        found |= frame[column].fillna(False).to_numpy(dtype=bool)
    return found


# --------------------------------------------------------------------------- the interface


class Collector:
    """Rows gathered from the parts of a log, for exact statistics over all of them.

    ``add(name, frame)`` appends a frame's rows to the table ``name`` (the same
    columns each time); :meth:`quantiles`, :meth:`medians` and :meth:`peaks`
    compute over every row added, :meth:`frame` gives them back. Use it as a
    context manager, or :meth:`close` it. Get one from ``engine.collector()``.
    """

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Forget every row."""
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        """True once the rows are gone."""
        raise NotImplementedError

    def add(self, name: str, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` to the table ``name``."""
        raise NotImplementedError

    def rows(self, name: str) -> int:
        """Rows added to ``name`` so far (0 if none)."""
        raise NotImplementedError

    def frame(self, name: str, columns: Sequence[str] | None = None, *,
              any_of: Sequence[str] | None = None) -> pd.DataFrame | None:
        """Every row added to ``name`` (only its ``columns`` when given), in the order
        added; None if none were. With ``any_of`` (boolean columns), only the rows in which
        one of them is true, read without the others. Raises ``ProcmineError`` once the
        collector, or the engine whose database it shares, is closed: the rows went with it."""
        raise NotImplementedError

    def drop(self, name: str) -> None:
        """Forget the rows of ``name`` (once what needed them is computed)."""
        raise NotImplementedError

    def quantiles(self, name: str, key: str, value: str, qs: Sequence[float]) -> pd.DataFrame:
        """Per ``key`` (a non-negative integer code; rows with a missing key or value
        left out): ``n``, ``total`` and the quantiles ``q0``, ``q1``, ... of ``value``
        (:func:`interpolate`). Rows come sorted by ``key``; a key without values has no row.
        """
        raise NotImplementedError

    def medians(self, name: str, keys: Sequence[str], value: str) -> pd.DataFrame:
        """Per group of ``keys``: ``rows`` (all rows) and ``median`` of ``value`` as pandas'
        groupby median takes it (:func:`interpolate` with ``midpoint``). Sorted by
        ``keys``; with no ``keys``, one row over every row of ``name``."""
        raise NotImplementedError

    def peaks(self, name: str, key: str, time: str, delta: str) -> pd.DataFrame:
        """Per ``key``: ``peak``, the highest running sum of ``delta`` in order of ``time``
        (at one instant a -1 counts before a +1: a hand-over is not two at once)."""
        raise NotImplementedError

    def _gone(self, name: str) -> ProcmineError:
        return ProcmineError(f"the rows of {name!r} are gone: the engine that kept them was "
                             "closed", hint="read them while the engine is open")


class MemoryCollector(Collector):
    """A :class:`Collector` that keeps the rows in memory and computes with numpy."""

    def __init__(self) -> None:
        self._frames: dict[str, list[pd.DataFrame]] | None = {}

    def close(self) -> None:
        self._frames = None

    @property
    def closed(self) -> bool:
        return self._frames is None

    def add(self, name: str, frame: pd.DataFrame) -> None:
        self._frames.setdefault(name, []).append(frame)

    def rows(self, name: str) -> int:
        return sum(len(f) for f in self._frames.get(name, []))

    def frame(self, name: str, columns: Sequence[str] | None = None, *,
              any_of: Sequence[str] | None = None) -> pd.DataFrame | None:
        if self.closed:
            raise self._gone(name)
        frames = self._frames.get(name)
        if not frames:
            return None
        if any_of is not None:
            frames = [f[any_true(f, any_of)].reset_index(drop=True) for f in frames]
        if columns is not None:
            frames = [f[list(columns)] for f in frames]
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def drop(self, name: str) -> None:
        self._frames.pop(name, None)

    def _arrays(self, name: str, *columns: str) -> list[np.ndarray]:
        frames = self._frames.get(name, [])
        return [np.concatenate([f[c].to_numpy() for f in frames]) if frames
                else np.zeros(0, dtype=np.int64) for c in columns]

    def quantiles(self, name: str, key: str, value: str, qs: Sequence[float]) -> pd.DataFrame:
        group, values = self._arrays(name, key, value)
        group = group.astype(np.int64)
        k = int(group.max()) + 1 if len(group) else 0
        sizes, total, found = group_quantiles(group, values.astype(np.float64), k, tuple(qs))
        has = np.flatnonzero(sizes)
        return pd.DataFrame({key: has, "n": sizes[has], "total": total[has],
                             **{f"q{i}": q[has] for i, q in enumerate(found)}})

    def medians(self, name: str, keys: Sequence[str], value: str) -> pd.DataFrame:
        keys = list(keys)
        frame = self.frame(name)
        if frame is None or not len(frame):
            return pd.DataFrame(columns=[*keys, "rows", "median"])
        values = frame[value].to_numpy(dtype=np.float64)
        if not keys:
            _, _, (median,) = group_quantiles(np.zeros(len(values), dtype=np.int64), values, 1,
                                              (0.5,), midpoint=True)
            return pd.DataFrame({"rows": [len(values)], "median": median})
        grouped = frame.groupby(keys)
        out = grouped.size().rename("rows").reset_index()
        _, _, (median,) = group_quantiles(grouped.ngroup().to_numpy(dtype=np.int64), values,
                                          len(out), (0.5,), midpoint=True)
        out["median"] = median
        return out

    def peaks(self, name: str, key: str, time: str, delta: str) -> pd.DataFrame:
        group, t, d = (a.astype(np.int64) for a in self._arrays(name, key, time, delta))
        k = int(group.max()) + 1 if len(group) else 0
        has = np.flatnonzero(np.bincount(group, minlength=k))
        return pd.DataFrame({key: has, "peak": group_peaks(group, t, d, k)[has]})


class _RunningPeaks:
    """Per group, the highest running sum of rows that come sorted by group, in batches:
    the sum of a group that spans batches carries over (``group_peaks`` on sorted rows)."""

    def __init__(self) -> None:
        self.groups: list[np.ndarray] = []
        self.peaks: list[np.ndarray] = []
        self.last: Any = None      # the group the previous batch ended in, and its level
        self.level = 0

    def add(self, group: np.ndarray, delta: np.ndarray) -> None:
        if not len(group):
            return
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        level = np.cumsum(delta)
        before = np.where(starts > 0, level[np.maximum(starts - 1, 0)], 0)
        level = level - np.repeat(before, np.diff(np.r_[starts, len(group)]))
        carried = self.last is not None and group[0] == self.last
        if carried:
            level[:starts[1] if len(starts) > 1 else len(level)] += self.level
        peaks = np.maximum.reduceat(level, starts)
        if carried:                 # the group's peak so far, in the batches before
            peaks[0] = max(peaks[0], self.peaks[-1][-1])
            self.peaks[-1] = self.peaks[-1][:-1]
            self.groups[-1] = self.groups[-1][:-1]
        self.groups.append(group[starts])
        self.peaks.append(peaks)
        self.last, self.level = group[-1], int(level[-1])

    def frame(self, key: str) -> pd.DataFrame:
        groups = np.concatenate(self.groups) if self.groups else np.array([], dtype=np.int64)
        peaks = np.concatenate(self.peaks) if self.peaks else np.array([], dtype=np.int64)
        return pd.DataFrame({key: groups, "peak": peaks.astype(np.int64)})


class DuckDBCollector(Collector):
    """A :class:`Collector` that keeps the rows in DuckDB, out of core.

    The database lives in a temporary folder (``temp_directory``) removed on
    :meth:`close`; DuckDB keeps within ``memory_limit`` and spills. With ``con``
    (the DuckDB engine's own connection, so that one memory limit holds) the
    tables go there and are dropped on close. DuckDB ranks the values; the
    quantiles come from the nearest values by :func:`interpolate`. The frames added
    wait in memory, a few MiB at most, and go in together (:mod:`procmine.engines.gathered`).
    """

    def __init__(self, *, memory_limit: str | None = None, temp_directory: str | None = None,
                 con=None):
        self._tables: set[str] = set()
        self._waiting = GatheredRows()
        self._prefix = f"parts{next(_COUNTER)}_"
        self._own = con is None
        self._folder = None
        if con is not None:
            self.con = con
            return
        import duckdb

        self._scratch = ScratchFolder("procmine-parts-", temp_directory)
        self._folder = self._scratch.path
        config = {"temp_directory": os.path.join(self._folder, "spill")}
        if memory_limit:
            config["memory_limit"] = str(memory_limit)
        self.con = duckdb.connect(os.path.join(self._folder, "parts.duckdb"), config=config)
        # DuckDB may draw a progress bar on stdout, which carries our data (ours is on stderr)
        self.con.execute("SET enable_progress_bar = false")

    def close(self) -> None:
        if getattr(self, "_waiting", None) is not None:
            self._waiting.forget()
        if getattr(self, "con", None) is not None:
            if self._own:
                self.con.close()
            else:
                for name in self._tables:
                    self.con.execute(f"DROP TABLE IF EXISTS {self._name(name)}")
            self.con = None
        if getattr(self, "_folder", None):
            self._scratch.remove()
            self._folder = None

    def __del__(self) -> None:  # a forgotten collector still removes its folder
        try:
            self.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        if getattr(self, "con", None) is None:
            return True
        try:
            self.con.execute("SELECT 1").fetchall()   # (a result left open would stop a register)
        except Exception:       # duckdb.ConnectionException: the engine closed it
            return True
        return False

    def add(self, name: str, frame: pd.DataFrame) -> None:
        for table, rows in self._waiting.add(name, frame):
            self._insert(table, rows)

    def _insert(self, name: str, frame: pd.DataFrame) -> None:
        table = self._name(name)
        self.con.register("incoming", frame)
        try:
            if name in self._tables:
                self.con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            else:
                # a temporary table: no write-ahead log nor checkpoint, half the CPU of a
                # table of the database; it spills to the temp directory within the limit
                self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM incoming")
                self._tables.add(name)
        finally:
            self.con.unregister("incoming")

    def _inserted(self, name: str) -> None:
        """Insert the rows waiting for table ``name``: before it is read."""
        rows = self._waiting.take(name)
        if rows is not None:
            self._insert(name, rows)

    def rows(self, name: str) -> int:
        self._inserted(name)
        if name not in self._tables:
            return 0
        return int(self.con.execute(f"SELECT count(*) FROM {self._name(name)}").fetchall()[0][0])

    def frame(self, name: str, columns: Sequence[str] | None = None, *,
              any_of: Sequence[str] | None = None) -> pd.DataFrame | None:
        if self.closed:
            raise self._gone(name)
        self._inserted(name)
        if name not in self._tables:
            return None
        chosen = "*" if columns is None else ", ".join(_quote(c) for c in columns)
        where = "" if any_of is None else " WHERE " + (
            " OR ".join(f"coalesce({_quote(c)}, false)" for c in any_of) or "false")
        # DuckDB keeps the order of insertion in a scan (preserve_insertion_order)
        return self.con.execute(f"SELECT {chosen} FROM {self._name(name)}{where}").df()

    def drop(self, name: str) -> None:
        self._waiting.forget(name)
        if name in self._tables:
            self.con.execute(f"DROP TABLE IF EXISTS {self._name(name)}")
            self._tables.discard(name)

    def quantiles(self, name: str, key: str, value: str, qs: Sequence[float]) -> pd.DataFrame:
        columns = [key, "n", "total", *(f"q{i}" for i in range(len(qs)))]
        self._inserted(name)
        if name not in self._tables:
            return pd.DataFrame(columns=columns)
        table, k, v = self._name(name), _quote(key), _quote(value)
        kept = f"SELECT {k} AS g, {v} AS v FROM {table} WHERE {k} IS NOT NULL AND {v} IS NOT NULL " \
               f"AND NOT isnan({v})"
        if pd.api.types.is_integer_dtype(self._type(name, key)):
            kept += f" AND {k} >= 0"
        sums = self.con.execute(f"SELECT g, sum(v) AS total, count(*) AS n FROM ({kept}) x "
                                "GROUP BY g ORDER BY g").df()
        out = pd.DataFrame({key: sums["g"].to_numpy(), "total": sums["total"].to_numpy(float)})
        sizes, found = self._nearest(kept, ["g"], out.rename(columns={key: "g"}), qs,
                                     midpoint=False, rows=int(sums["n"].sum()))
        out.insert(1, "n", sizes)
        for j, data in enumerate(found):
            out[f"q{j}"] = data
        return out[columns]

    def medians(self, name: str, keys: Sequence[str], value: str) -> pd.DataFrame:
        keys = list(keys)
        if self.rows(name) == 0:
            return pd.DataFrame(columns=[*keys, "rows", "median"])
        table = self._name(name)
        if not keys:
            table = f"(SELECT 0 AS _all, {_quote(value)} FROM {table}) every"
        by = keys or ["_all"]
        k, v = ", ".join(_quote(key) for key in by), _quote(value)
        rows = self.con.execute(f"SELECT {k}, count(*) AS rows FROM {table} GROUP BY {k}").df()
        rows = rows.sort_values(by, kind="stable").reset_index(drop=True)
        kept = f"SELECT {k}, {v} AS v FROM {table} WHERE {v} IS NOT NULL AND NOT isnan({v})"
        sizes, (median,) = self._nearest(kept, by, rows, (0.5,), midpoint=True,
                                         rows=int(rows["rows"].sum()))
        rows["median"] = np.where(sizes > 0, median, np.nan)
        return rows[[*keys, "rows", "median"]]

    def _nearest(self, kept: str, keys: list[str], groups: pd.DataFrame, qs: Sequence[float], *,
                 midpoint: bool, rows: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """Per row of ``groups`` (by ``keys``): the number of values of ``kept`` (the
        query of the groups' values ``v``; ``rows`` of them at most) and their quantiles
        ``qs``, from the values nearest to each (0 and NaN for a group without values):
        found by :func:`procmine.engines.nearest.near_values` when the values fit in
        memory, else ranked by DuckDB."""
        near = (nearest.near_values(self.con, kept, keys, qs)
                if nearest.quantiles_fit(self.con, rows) else None)
        if near is None:
            k = ", ".join(_quote(key) for key in keys)
            ranked = (f"SELECT {k}, v, row_number() OVER (PARTITION BY {k} ORDER BY v) - 1 AS i, "
                      f"count(*) OVER (PARTITION BY {k}) AS n FROM ({kept}) x")
            wanted = " OR ".join(f"i = floor((n - 1) * {float(q)!r}) OR i = ceil((n - 1) * "
                                 f"{float(q)!r})" for q in qs)
            near = self.con.execute(f"SELECT {k}, i, v, n FROM ({ranked}) r WHERE {wanted}").df()
        slot = groups[keys].reset_index(drop=True).reset_index().rename(columns={"index": "_slot"})
        near = near.merge(slot, on=keys)
        sizes = np.zeros(len(groups), dtype=np.int64)
        sizes[near["_slot"].to_numpy()] = near["n"].to_numpy(dtype=np.int64)
        at = dict(zip(zip(near["_slot"], near["i"].astype(np.int64), strict=True),
                      near["v"].astype(float), strict=True))
        has = np.flatnonzero(sizes)
        out = []
        for q in qs:
            data = np.full(len(groups), np.nan)
            data[has] = interpolate(sizes[has], q, lambda j, rank: [
                at[(s, r)] for s, r in zip(has[j], rank, strict=True)], midpoint=midpoint)
            out.append(data)
        return sizes, out

    def peaks(self, name: str, key: str, time: str, delta: str) -> pd.DataFrame:
        # an exact integer running sum, as group_peaks takes it: DuckDB sorts (out of
        # core) and streams the rows; the sums run in numpy, carried from batch to batch.
        # (A window `sum() OVER (PARTITION BY key ORDER BY time ROWS UNBOUNDED
        # PRECEDING)` spilled into DuckDB's segment tree: 21.7 of 46 s of bottlenecks on
        # 10M events at 400MiB, and most of the run at 100M.)
        self._inserted(name)
        if name not in self._tables:
            return pd.DataFrame(columns=[key, "peak"])
        table, k, t, d = self._name(name), _quote(key), _quote(time), _quote(delta)
        reader = self.con.sql(f"SELECT {k} AS g, {d} AS d FROM {table} "
                              f"ORDER BY {k}, {t}, {d}").to_arrow_reader(PEAK_BATCH_ROWS)
        running = _RunningPeaks()
        for batch in reader:
            running.add(batch.column(0).to_numpy(zero_copy_only=False),
                        batch.column(1).to_numpy(zero_copy_only=False).astype(np.int64))
        return running.frame(key)

    def _name(self, name: str) -> str:
        return _quote(self._prefix + name)

    def _type(self, name: str, column: str):
        frame = self.con.execute(f"SELECT {_quote(column)} FROM {self._name(name)} LIMIT 0").df()
        return frame[column].dtype


_COUNTER = itertools.count()


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'
