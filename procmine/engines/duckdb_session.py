"""The DuckDB database as :func:`procmine.read.load_events` uses it (a
:class:`~procmine.read.SqlSession`): tables by name, and the rows its CSV reader rejected."""

from __future__ import annotations

from typing import Any

import pandas as pd

from procmine.read.readers import count_fields, past_skipped, ragged_said

#: The rows of ``rejected_rows`` from the last CSV scan (a load may scan twice: mended bytes)
LAST_SCAN = "scan_id = (SELECT max(scan_id) FROM rejected_scans)"


class DuckDBSession:
    """The DuckDB database as :func:`procmine.read.load_events` uses it (tables by name)."""

    def __init__(self, con: Any, kind: str | None, delimiter: str = ","):
        self.con, self.kind, self.delimiter = con, kind, delimiter

    def rows(self, query: str) -> list[Any]:
        return self.con.execute(query).fetchall()

    def create(self, name: str, query: str) -> str:
        # insertion order is file order, so rowid is the row in the file
        self.con.execute(f"CREATE TABLE {name} AS {query}")
        return name

    def put(self, name: str, frame: pd.DataFrame) -> str:
        self.con.register(f"{name}_frame", frame)
        self.con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")
        self.con.unregister(f"{name}_frame")
        return name

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE {name}")

    def rejected(self) -> int:
        """Rows of the last CSV scan DuckDB rejected (wrong number of fields, bad quoting)."""
        if self.kind == "parquet":
            return 0
        found = self.con.execute(
            f"SELECT count(DISTINCT line) FROM rejected_rows WHERE {LAST_SCAN}").fetchall()
        return int(found[0][0]) if found else 0

    def ragged_examples(self, parsed: str, fields: int) -> list[tuple[int, str, str]]:
        """The first five rejected rows as read_log quotes them (their fields counted as
        Arrow's reader counts them)."""
        found = self.con.execute(
            f"SELECT line, any_value(csv_line) FROM rejected_rows WHERE {LAST_SCAN} "
            "GROUP BY line ORDER BY line LIMIT 5"
        ).fetchall()
        return [(int(line), "*", ragged_said(count_fields(text, self.delimiter), fields, text))
                for line, text in found]

    def file_rows(self, parsed: str, rows: list[int]) -> list[int]:
        """A CSV's data starts at row 2 (the header is row 1) and its rejected rows
        keep their numbers; a Parquet file's records count from 1. (``rowid`` is the
        position in the parsed table, which holds the rows in file order.)"""
        if self.kind == "parquet":
            return [row + 1 for row in rows]
        skipped = [line for (line,) in self.con.execute(
            f"SELECT DISTINCT line FROM rejected_rows WHERE {LAST_SCAN} "
            "ORDER BY line").fetchall()]
        return [past_skipped(row + 2, skipped) for row in rows]
