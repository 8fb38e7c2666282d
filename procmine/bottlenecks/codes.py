"""Codes shared by the parts of a log, and a part coded with them.

:class:`_Codes` codes the names of a column the same way in every part and
:class:`_Part` is one part (its :class:`~procmine.bottlenecks.events._Events`
and the shared codes of its names). The helpers send the values that do not add
up across parts (waits for quantiles, stays for peaks) to the engine's
:class:`procmine.engines.collector.Collector`, and add up and lay out by table
row what the parts measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.bottlenecks.events import _Clock, _Events
from procmine.errors import ColumnError
from procmine.log import CATEGORY, LEVEL, RESOURCE, EventLog

if TYPE_CHECKING:
    from procmine.bottlenecks.deadlines import _Window


# --------------------------------------------------------------------------- parts
#
# A log is measured in parts of whole cases: an Engine hands out many
# (Engine.event_logs; the pandas engine's log in memory is one). Per part, each
# table measures what adds up across parts (counts, sums, distinct cases: no case
# lies in two parts) in a small frame keyed by group, and sends the values that do
# not add up (waits for quantiles, stays for the peak of work in progress) to the
# engine's collector. Groups are keyed by codes shared by all parts (_Codes), not
# by each part's own codes.

#: Months from year 0 to 1970: month keys stay positive (stores ignore negative keys)
_MONTH0 = 1970 * 12


class _Codes:
    """Codes of the names of one column over all parts (coded as first seen)."""

    def __init__(self) -> None:
        self.names: list[Any] = []
        self._code: dict[Any, int] = {}

    def of(self, names: Sequence[Any]) -> np.ndarray:
        """The code of each name, coding new names as they come."""
        out = np.empty(len(names), dtype=np.int64)
        for i, name in enumerate(names):
            code = self._code.get(name)
            if code is None:
                code = self._code[name] = len(self.names)
                self.names.append(name)
            out[i] = code
        return out

    def ordered(self) -> tuple[np.ndarray, np.ndarray]:
        """The names sorted, as the rows of a table list them, and the row of each code."""
        names = np.array(self.names, dtype=object)
        order = np.argsort(names, kind="stable")
        row = np.empty(len(order), dtype=np.int64)
        row[order] = np.arange(len(order))
        return names[order], row


class _Part:
    """One part of a log (whole cases): its per-event arrays and the shared codes of its names."""

    def __init__(self, log: EventLog, clock: _Clock, codes: dict[str, _Codes]):
        self.log = log
        self.ev = _Events(log, clock)
        self._codes = codes
        self._keys: dict[str, np.ndarray] = {}
        #: (window, on time, overdue, late per case) of the cases with a deadline, once measured
        self.deadline: tuple[_Window, np.ndarray, np.ndarray, np.ndarray] | None = None

    def has(self, column: str) -> bool:
        return column in self.log.column_names

    def keys(self, column: str) -> np.ndarray:
        """The shared code of each of this part's names of ``column`` (``ev.codes`` order)."""
        if column not in self._keys:
            self._keys[column] = self._codes[column].of(list(self.ev.codes(column)[1]))
        return self._keys[column]

    def code(self, column: str) -> np.ndarray:
        """The shared code of each event's ``column`` (-1 where missing)."""
        return np.append(self.keys(column), -1)[self.ev.codes(column)[0]]


def _add(values: Any, name: str, key: np.ndarray, value: np.ndarray) -> None:
    """Send the (key, value) rows that have both to the store."""
    ok = (key >= 0) & ~np.isnan(value)
    values.add(name, pd.DataFrame({"key": key[ok], "value": value[ok]}))


def _summed(frames: list[pd.DataFrame | None]) -> pd.DataFrame:
    """The parts' frames added up per ``key`` (the index)."""
    frame = pd.concat([f for f in frames if f is not None], ignore_index=True)
    return frame.groupby("key", sort=True).sum()


def _spread(keys: Any, values: Any, row: np.ndarray, k: int, fill: float = np.nan,
            dtype: Any = np.float64) -> np.ndarray:
    """Values by shared code laid out by table row (``fill`` where a row has none)."""
    out = np.full(k, fill, dtype=dtype)
    out[row[np.asarray(keys, dtype=np.int64)]] = np.asarray(values)
    return out


def _missing(by: str) -> ColumnError:
    column = {"unit": RESOURCE, "level": LEVEL, "category": CATEGORY}[by]
    option = {"unit": "resource", "level": "level", "category": "category"}[by]
    return ColumnError(f"by={by!r} needs the {column} column, and this log has none",
                       hint=f"name the column that holds it when reading the log: {option}=")
