"""A log without times, read with the order of its events as time (``order_as_time``).

Some exports (XES from a modeller, a CSV of steps) carry no time at all. With
``read_log(..., order_as_time=True)`` (``--order-as-time``) the position of each
record in the file stands for its time: record *n* gets the instant
2000-01-01 00:00:00 UTC plus *n* seconds, in the column :data:`ORDER_COLUMN`,
mapped as the time. The events of a case keep the file's order, so variants,
maps, models and conformance are those of the file; durations, waits and deadlines
mean nothing, and the analyses that measure them refuse such a log
(:meth:`procmine.engines.Engine.require_times`) or leave them empty. The load
report says so (``time_from_order``, and a note).

>>> import pandas as pd
>>> from procmine.log import LoadReport
>>> frame = pd.DataFrame({"case": ["a", "a"], "activity": ["x", "y"]})
>>> given = order_as_times(frame, {}, LoadReport(path="f.csv"))
>>> given["timestamp"] == ORDER_COLUMN, str(frame[ORDER_COLUMN].iloc[1])
(True, '2000-01-01 00:00:01+00:00')
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from procmine.errors import InputError
from procmine.log import TIMESTAMP, LoadReport
from procmine.read.columns import detect_columns
from procmine.vocabulary import ORDER_COLUMN as ORDER_COLUMN  # output names it too

#: The load report's note for such a log (every output that would show a duration says it)
NOTE = ("no times: the order of the events in the file stands for time (--order-as-time, "
        "order_as_time=True); durations, waits and deadlines are not measured")


def order_as_times(frame: pd.DataFrame, given: Mapping[str, str],
                   report: LoadReport) -> dict[str, str]:
    """Add :data:`ORDER_COLUMN` to ``frame`` (in file order) and return the column options
    with it as the time; refused when the file has a time column of its own."""
    if given.get("timestamp"):
        raise InputError("order_as_time=True and timestamp= exclude each other",
                         hint="order_as_time=True is for logs without times")
    columns = [c for c in frame.columns if c != "__row"]
    found = detect_columns(columns, given).get(TIMESTAMP)
    if found is not None:
        raise InputError(f"{report.path}: order_as_time=True is for logs without times, and "
                         f"this one has them (column {found!r})",
                         hint="read without order_as_time=True")
    base = pd.Timestamp("2000-01-01", tz="UTC")
    frame[ORDER_COLUMN] = base + pd.to_timedelta(np.arange(len(frame), dtype=np.int64), unit="s")
    report.time_from_order = True
    report.notes.append(NOTE)
    return {**given, "timestamp": ORDER_COLUMN}
