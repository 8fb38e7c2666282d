"""Writing an event table back to a file (CSV, Parquet or XES), atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from procmine.errors import InputError


def write_log(events: pd.DataFrame, path: str | os.PathLike, *, inputs: Sequence[str] = ()) -> None:
    """Write an event table as CSV (UTF-8 with BOM), Parquet or XES, by extension, atomically.

    Timestamps are written as ISO 8601 with their offset. Refuses to overwrite
    any path in ``inputs``.

    >>> from procmine.read import read_log
    >>> write_log(read_log("tests/fixtures/orders16.csv").events, "/tmp/procmine-copy.parquet")
    """
    from procmine.files import atomic_path
    from procmine.output import neutralise

    name = str(path).lower()
    if not name:
        raise InputError("the output path is empty",
                         hint="give a file name ending in .csv, .parquet or .xes")
    if name.endswith((".parquet", ".pq")):
        kind = "parquet"
    elif name.endswith((".xes", ".xes.gz")):
        kind = "xes"
    elif name.endswith((".csv", ".txt", ".tsv", ".csv.gz")):
        kind = "csv"
    else:
        raise InputError(f"{path}: unknown output format", hint="use .csv, .parquet or .xes")
    if kind == "xes" and "time:timestamp" not in events.columns:
        raise InputError(f"{path}: the log has no times, and XES is written with times only",
                         hint="use .csv or .parquet")
    with atomic_path(path, inputs=inputs) as tmp:
        if kind == "parquet":
            # times in microseconds where no value has a finer part: the unit every engine
            # reads (Spark refuses nanoseconds), nothing cut
            exact = all(_whole_microseconds(events[c]) for c in events.columns
                        if pd.api.types.is_datetime64_any_dtype(events[c].dtype))
            events.to_parquet(tmp, index=False, coerce_timestamps="us" if exact else None)
        elif kind == "xes":
            import warnings

            import pm4py

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pm4py.write_xes(events, tmp)
        else:
            out = events.copy()
            for column in out.columns:
                if isinstance(out[column].dtype, pd.DatetimeTZDtype):
                    out[column] = out[column].map(lambda t: t.isoformat(), na_action="ignore")
                elif out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
                    out[column] = out[column].map(neutralise, na_action="ignore")
            sep = "\t" if name.endswith(".tsv") else ","
            out.to_csv(tmp, index=False, sep=sep, encoding="utf-8-sig",
                       compression="gzip" if name.endswith(".gz") else None)


def _whole_microseconds(times: pd.Series) -> bool:
    """Whether every time of ``times`` is a whole number of microseconds."""
    values = times.to_numpy(dtype="datetime64[ns]").view("int64")
    return not (values[~pd.isna(times).to_numpy()] % 1000).any()
