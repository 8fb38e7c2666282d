"""Analyses of a log larger than memory, part by part, with exact results.

An engine hands out the log in parts of whole cases
(:meth:`procmine.engines.Engine.event_logs`). What is per case (a loop pattern,
a deadline) is then exact in each part, and counts and sums add up across
parts. Two things do not add up: quantiles (the median wait of a unit) and the
peak of a running count (the most orders a unit held at once). A
:class:`Collector` keeps the values those need in a DuckDB database on disk,
out of core, and computes them over all parts at the end, with the same
arithmetic as the in-memory code (numpy's linear interpolation between the two
nearest values).

>>> import numpy as np
>>> with Collector() as values:
...     values.add("wait", pd.DataFrame({"unit": [0, 0, 1], "w": [1.0, 3.0, 5.0]}))
...     values.add("wait", pd.DataFrame({"unit": [0], "w": [2.0]}))
...     values.quantiles("wait", "unit", "w", (0.5,))[["unit", "n", "total", "q0"]].values.tolist()
[[0.0, 3.0, 6.0, 2.0], [1.0, 1.0, 5.0, 5.0]]
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Events per part when no memory budget is given (about 1 GiB of pandas per million events).
DEFAULT_PART_EVENTS = 1_000_000


def part_events(memory_limit: str | None) -> int:
    """Events per part for a memory budget: a quarter of it at about 1 KiB per event.

    >>> part_events("4GiB"), part_events(None)
    (1048576, 1000000)
    """
    if not memory_limit:
        return DEFAULT_PART_EVENTS
    from procmine.engines import parse_memory_limit

    return max(10_000, parse_memory_limit(memory_limit) // 4 // 1024)


class Collector:
    """Rows gathered from the parts of a log, kept out of core, for exact statistics.

    ``add(name, frame)`` appends a frame's rows to the table ``name`` (the same
    columns each time); :meth:`quantiles` and :meth:`peaks` then compute over
    every row added. The database lives in a temporary folder (``temp_directory``)
    removed on :meth:`close`; DuckDB keeps within ``memory_limit`` and spills.
    With ``con`` (the DuckDB engine's own connection, so that one memory limit
    holds) the tables go there and are dropped on close.
    """

    def __init__(self, *, memory_limit: str | None = None, temp_directory: str | None = None,
                 con=None):
        self._tables: set[str] = set()
        self._prefix = f"parts{next(_COUNTER)}_"
        self._own = con is None
        self._folder = None
        if con is not None:
            self.con = con
            return
        import duckdb

        self._folder = tempfile.mkdtemp(prefix="procmine-parts-", dir=temp_directory)
        config = {"temp_directory": os.path.join(self._folder, "spill")}
        if memory_limit:
            config["memory_limit"] = str(memory_limit)
        self.con = duckdb.connect(os.path.join(self._folder, "parts.duckdb"), config=config)
        # DuckDB may draw a progress bar on stdout, which carries our data (ours is on stderr)
        self.con.execute("SET enable_progress_bar = false")

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "con", None) is not None:
            if self._own:
                self.con.close()
            else:
                for name in self._tables:
                    self.con.execute(f"DROP TABLE IF EXISTS {self._name(name)}")
            self.con = None
        if getattr(self, "_folder", None):
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __del__(self) -> None:  # a forgotten collector still removes its folder
        try:
            self.close()
        except Exception:
            pass

    def add(self, name: str, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` to the table ``name``."""
        table = self._name(name)
        self.con.register("incoming", frame)
        try:
            if name in self._tables:
                self.con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            else:
                self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")
                self._tables.add(name)
        finally:
            self.con.unregister("incoming")

    def rows(self, name: str) -> int:
        """Rows added to ``name`` so far (0 if none)."""
        if name not in self._tables:
            return 0
        return int(self.con.execute(f"SELECT count(*) FROM {self._name(name)}").fetchall()[0][0])

    def quantiles(self, name: str, key: str, value: str, qs: Sequence[float]) -> pd.DataFrame:
        """Per ``key`` (rows with a missing key or value left out): ``n``, ``total`` and
        the quantiles ``q0``, ``q1``, ... of ``value``, interpolated as numpy does.

        Rows come sorted by ``key``; a key without values has no row.
        """
        columns = [key, "n", "total", *(f"q{i}" for i in range(len(qs)))]
        if name not in self._tables:
            return pd.DataFrame(columns=columns)
        table, k, v = self._name(name), _quote(key), _quote(value)
        kept = f"SELECT {k} AS g, {v} AS v FROM {table} WHERE {k} IS NOT NULL AND {v} IS NOT NULL " \
               f"AND NOT isnan({v})"
        if pd.api.types.is_integer_dtype(self._type(name, key)):
            kept += f" AND {k} >= 0"
        ranked = ("SELECT g, v, row_number() OVER (PARTITION BY g ORDER BY v) - 1 AS i, "
                  f"count(*) OVER (PARTITION BY g) AS n FROM ({kept}) x")
        wanted = " OR ".join(f"i = floor((n - 1) * {float(q)!r}) OR i = ceil((n - 1) * {float(q)!r})"
                             for q in qs)
        near = self.con.execute(f"SELECT g, i, v, n FROM ({ranked}) r WHERE {wanted} "
                                "ORDER BY g, i").df()
        sums = self.con.execute(f"SELECT g, sum(v) AS total FROM ({kept}) x GROUP BY g "
                                "ORDER BY g").df()
        out = pd.DataFrame({key: sums["g"].to_numpy(), "total": sums["total"].to_numpy(float)})
        groups = out[key].to_numpy()
        at = {(g, int(i)): float(x) for g, i, x in zip(near["g"], near["i"], near["v"], strict=True)}
        sizes = dict(zip(near["g"], near["n"].astype(np.int64), strict=True))
        out.insert(1, "n", np.array([sizes[g] for g in groups], dtype=np.int64))
        for j, q in enumerate(qs):
            values = []
            for g, n in zip(groups, out["n"], strict=True):
                pos = (n - 1) * q
                lo, hi = int(np.floor(pos)), int(np.ceil(pos))
                a, b = at[(g, lo)], at[(g, hi)]
                values.append(a + (b - a) * (pos - lo))
            out[f"q{j}"] = np.array(values, dtype=float)
        return out[columns]

    def medians(self, name: str, keys: Sequence[str], value: str) -> pd.DataFrame:
        """Per group of ``keys``: ``rows`` (all rows) and ``median`` of ``value`` as pandas'
        groupby median takes it: the middle value, or the mean of the two middle values
        (:meth:`quantiles` interpolates as ``a + (b - a) * t``, which differs from
        ``(a + b) / 2`` in the last bit when ``b > 2a``). Sorted by ``keys``; with no
        ``keys``, one row over every row of ``name``."""
        keys = list(keys)
        if self.rows(name) == 0:
            return pd.DataFrame(columns=[*keys, "rows", "median"])
        if not keys:
            every = f"(SELECT 0 AS _all, {_quote(value)} FROM {self._name(name)}) every"
            return self._medians(every, ["_all"], value).drop(columns="_all")
        return self._medians(self._name(name), keys, value)

    def _medians(self, table: str, keys: list[str], value: str) -> pd.DataFrame:
        k = ", ".join(_quote(key) for key in keys)
        v = _quote(value)
        rows = self.con.execute(f"SELECT {k}, count(*) AS rows FROM {table} GROUP BY {k}").df()
        kept = f"SELECT {k}, {v} AS v FROM {table} WHERE {v} IS NOT NULL AND NOT isnan({v})"
        ranked = (f"SELECT {k}, v, row_number() OVER (PARTITION BY {k} ORDER BY v) - 1 AS i, "
                  f"count(*) OVER (PARTITION BY {k}) AS n FROM ({kept}) x")
        middle = self.con.execute(f"SELECT {k}, i, v, n FROM ({ranked}) r "
                                  "WHERE i = (n - 1) // 2 OR i = n // 2").df()
        low = middle[middle["i"] == (middle["n"] - 1) // 2]
        high = middle[middle["i"] == middle["n"] // 2]
        both = low.merge(high, on=keys, suffixes=("_low", "_high"))
        both["median"] = np.where(both["n_low"] % 2 == 1, both["v_low"],
                                  (both["v_high"] + both["v_low"]) / 2)
        out = rows.merge(both[[*keys, "median"]], on=keys, how="left")
        return out.sort_values(keys, kind="stable").reset_index(drop=True)[[*keys, "rows", "median"]]

    def frame(self, name: str) -> pd.DataFrame | None:
        """Every row added to ``name``, in the order added (None if none were).

        Raises ``ProcmineError`` once the collector, or the engine whose database it
        shares, is closed: the rows went with it.
        """
        if self.closed:
            from procmine.errors import ProcmineError

            raise ProcmineError(f"the rows of {name!r} are gone: the engine that kept them was "
                                "closed", hint="read them while the engine is open")
        if name not in self._tables:
            return None
        # DuckDB keeps the order of insertion in a scan (preserve_insertion_order)
        return self.con.execute(f"SELECT * FROM {self._name(name)}").df()

    def drop(self, name: str) -> None:
        """Forget the rows of ``name`` (once what needed them is computed)."""
        if name in self._tables:
            self.con.execute(f"DROP TABLE IF EXISTS {self._name(name)}")
            self._tables.discard(name)

    @property
    def closed(self) -> bool:
        """True once the rows are gone: the collector, or the shared connection, closed."""
        if getattr(self, "con", None) is None:
            return True
        try:
            self.con.execute("SELECT 1")
        except Exception:       # duckdb.ConnectionException: the engine closed it
            return True
        return False

    def peaks(self, name: str, key: str, time: str, delta: str) -> pd.DataFrame:
        """Per ``key``: ``peak``, the highest running sum of ``delta`` in order of ``time``
        (at one instant a -1 counts before a +1: a hand-over is not two at once)."""
        if name not in self._tables:
            return pd.DataFrame(columns=[key, "peak"])
        table, k, t, d = self._name(name), _quote(key), _quote(time), _quote(delta)
        running = (f"SELECT {k} AS g, sum({d}) OVER (PARTITION BY {k} ORDER BY {t}, {d} ROWS "
                   f"BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS level FROM {table}")
        frame = self.con.execute(f"SELECT g, max(level) AS peak FROM ({running}) x GROUP BY g "
                                 "ORDER BY g").df()
        return pd.DataFrame({key: frame["g"].to_numpy(),
                             "peak": frame["peak"].to_numpy(dtype=np.int64)})

    def _name(self, name: str) -> str:
        return _quote(self._prefix + name)

    def _type(self, name: str, column: str):
        frame = self.con.execute(f"SELECT {_quote(column)} FROM {self._name(name)} LIMIT 0").df()
        return frame[column].dtype


_COUNTER = itertools.count()


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'
