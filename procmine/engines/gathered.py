"""Rows gathered in memory before one INSERT into a DuckDB collector's table.

An INSERT of a pandas frame costs DuckDB a few milliseconds whatever its size
(registering the frame, planning and running the statement). The loops analysis adds
eleven tables per part of the log: at 10M events in 200 parts that was 2,200 INSERTs,
about 7 CPU s of 45 (benchmarks/RESULTS.md, session 8). :class:`GatheredRows` lays the
frames of a table end to end, up to a few MiB in all, so that they go in with one
INSERT: the same rows in the same order, of the same column types, since only frames
of the same columns and dtypes are joined.

>>> gathered = GatheredRows(limit_bytes=20)
>>> gathered.add("t", pd.DataFrame({"x": [1, 2]}))         # 16 bytes wait
[]
>>> [(name, rows["x"].tolist()) for name, rows in gathered.add("t", pd.DataFrame({"x": [3]}))]
[('t', [1, 2, 3])]
>>> gathered.add("t", pd.DataFrame({"x": [4]})), gathered.take("t")["x"].tolist()
([], [4])
"""

from __future__ import annotations

import pandas as pd

#: How much is gathered, over every table, before it is inserted.
LIMIT_BYTES = 8 << 20


class GatheredRows:
    """Frames waiting to be inserted, per table name, in the order they came.

    :meth:`add` says which frames must go in now (before the rows it keeps);
    :meth:`take` gives a table's waiting rows before that table is read;
    :meth:`forget` drops them (a dropped or closed table).
    """

    def __init__(self, limit_bytes: int = LIMIT_BYTES):
        self.limit_bytes = limit_bytes
        self._frames: dict[str, list[pd.DataFrame]] = {}
        self._bytes = 0

    def add(self, name: str, frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
        """Keep ``frame`` for table ``name``; the (name, rows) to insert now, in order.

        A frame of other columns or dtypes than those waiting sends those first. A frame
        with an ``object`` column is not kept (DuckDB infers such a column's type from a
        sample of its rows, which more rows could change): it goes in at once, after what
        waits for its table."""
        now: list[tuple[str, pd.DataFrame]] = []
        waiting = self._frames.get(name)
        if waiting and not _same_types(waiting[0], frame):
            now.append((name, self.take(name)))
        if any(pd.api.types.is_object_dtype(dtype) for dtype in frame.dtypes):
            if name in self._frames:
                now.append((name, self.take(name)))
            return [*now, (name, frame)]
        self._frames.setdefault(name, []).append(frame)
        self._bytes += int(frame.memory_usage(index=False).sum())
        if self._bytes > self.limit_bytes:
            now += [(table, self.take(table)) for table in list(self._frames)]
        return now

    def take(self, name: str) -> pd.DataFrame | None:
        """The rows waiting for table ``name`` as one frame (None if none), no longer kept."""
        frames = self._frames.pop(name, None)
        if not frames:
            return None
        self._bytes -= sum(int(f.memory_usage(index=False).sum()) for f in frames)
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def forget(self, name: str | None = None) -> None:
        """Drop the rows waiting for ``name`` (for every table without it)."""
        for table in [name] if name is not None else list(self._frames):
            self.take(table)


def _same_types(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return list(a.columns) == list(b.columns) and a.dtypes.equals(b.dtypes)
