"""Writing an event table back to a file (CSV, Parquet or XES), atomically."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import pandas as pd

from procmine.errors import InputError

#: Characters XML 1.0 cannot hold, not even escaped (control characters but tab and line
#: breaks, lone surrogates, U+FFFE and U+FFFF): an XES file with one is not well-formed
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: What such a character becomes in an XES file
XML_REPLACEMENT = "\ufffd"


def write_log(events: pd.DataFrame, path: str | os.PathLike, *,
              inputs: Sequence[str] = ()) -> list[str]:
    """Write an event table as CSV (UTF-8 with BOM), Parquet or XES, by extension, atomically;
    returns notes on what the format made change (none for CSV and Parquet).

    Timestamps are written as ISO 8601 with their offset. Refuses to overwrite
    any path in ``inputs``. XML cannot hold control characters (but tab and line
    breaks): in an XES file each becomes U+FFFD (�), and a note counts the values
    and column names changed.

    >>> from procmine.read import read_log
    >>> write_log(read_log("tests/fixtures/orders16.csv").events, "/tmp/procmine-copy.parquet")
    []
    """
    from procmine.files import atomic_path, output_format
    from procmine.output import neutralise

    name = str(path).lower()
    if not name:
        raise InputError("the output path is empty",
                         hint="give a file name ending in .csv, .parquet or .xes")
    suffix = output_format(path, "log")
    kind = {".parquet": "parquet", ".pq": "parquet", ".xes": "xes", ".xes.gz": "xes"}.get(suffix, "csv")
    if kind == "xes" and "time:timestamp" not in events.columns:
        raise InputError(f"{path}: the log has no times, and XES is written with times only",
                         hint="use .csv or .parquet")
    notes = []
    if kind == "xes":
        events, values, names = xml_safe(events)
        if values or names:
            notes.append(f"{path}: control characters, which XML cannot hold, in {values} "
                         f"values and {names} column names; each became U+FFFD in the XES")
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
    return notes


def xml_safe(events: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """``events`` with every character XML cannot hold, in text values and column names,
    replaced by U+FFFD; and how many values and column names changed.

    >>> frame, values, names = xml_safe(pd.DataFrame({"unit\\x01": ["a\\x0bb", "ok", None]}))
    >>> values, names, frame.iloc[0, 0] == "a\\ufffdb", frame.columns[0] == "unit\\ufffd"
    (1, 1, True, True)
    """
    import numpy as np

    values = 0
    changed: dict[str, pd.Series] = {}
    for column in events.columns:
        series = events[column]
        if not (series.dtype == object or isinstance(series.dtype, pd.CategoricalDtype)
                or pd.api.types.is_string_dtype(series.dtype)):
            continue
        codes, uniques = pd.factorize(series)     # each distinct value searched once
        unsafe = np.array([isinstance(u, str) and _NOT_IN_XML.search(u) is not None
                           for u in uniques], dtype=bool)
        if not unsafe.any():
            continue
        bad = (codes >= 0) & unsafe[np.maximum(codes, 0)]
        values += int(bad.sum())
        fixed = series.astype(object)
        fixed[bad] = [_NOT_IN_XML.sub(XML_REPLACEMENT, v) for v in fixed[bad]]
        changed[column] = fixed
    names = sum(1 for c in events.columns if _NOT_IN_XML.search(str(c)))
    if changed:
        events = events.assign(**changed)
    if names:
        events = events.rename(columns=lambda c: _NOT_IN_XML.sub(XML_REPLACEMENT, str(c)))
    return events, values, names


def _whole_microseconds(times: pd.Series) -> bool:
    """Whether every time of ``times`` is a whole number of microseconds."""
    values = times.to_numpy(dtype="datetime64[ns]").view("int64")
    return not (values[~pd.isna(times).to_numpy()] % 1000).any()
