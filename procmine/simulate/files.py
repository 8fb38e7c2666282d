"""Writing a simulated log: :func:`write_simulation` and :func:`truth_path`.

The log goes to CSV (UTF-8 with a BOM, through pyarrow), Parquet or XES (plain
XES 1.0, optionally gzipped, written with numpy and pyarrow string operations),
chosen by the file's extension, and the truth table to ``<name>.truth.csv``
beside it; both atomically, with the usual permissions (:mod:`procmine.files`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from procmine.calendar import DAY
from procmine.log import (
    ACTIVITY,
    CASE,
    CATEGORY,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    SOURCE,
    TIMESTAMP,
)
from procmine.simulate.model import HEADERS

if TYPE_CHECKING:
    from procmine.simulate import SimulationResult


def truth_path(path: str | os.PathLike) -> Path:
    """Where the truth file of a simulated log goes: ``<name>.truth.csv`` beside it.

    >>> str(truth_path("out/city.parquet")), str(truth_path("a.xes.gz"))
    ('out/city.truth.csv', 'a.truth.csv')
    """
    p = Path(path)
    name = p.name
    for suffix in (".xes.gz", ".csv.gz", ".parquet", ".xes", ".csv", ".pq"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    else:
        name = p.stem
    return p.with_name(name + ".truth.csv")


_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xes": "xes",
            ".xes.gz": "xes.gz"}


def write_simulation(result: SimulationResult, path: str | os.PathLike) -> tuple[Path, Path]:
    """Write the log (CSV, Parquet or XES by extension) and its truth file, atomically.

    CSV is UTF-8 with a BOM (Excel shows the Chinese), times as local
    ``YYYY-MM-DD HH:MM:SS`` without offset. Returns (log path, truth path).

    >>> import tempfile, os
    >>> from procmine.simulate import simulate_log
    >>> out = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> [p.name for p in write_simulation(simulate_log(cases=10, seed=1), out)]
    ['s.csv', 's.truth.csv']
    """
    from procmine.files import atomic_path, atomic_write, output_format

    target = Path(path)
    fmt = _FORMATS[output_format(target, "simulated log")]
    truth = truth_path(target)
    if fmt == "csv":
        with atomic_path(target) as tmp:
            _write_csv(result.events, tmp)
    elif fmt == "parquet":
        with atomic_path(target) as tmp:
            result.events.to_parquet(tmp, index=False)
    else:
        with atomic_path(target) as tmp:
            _write_xes(result, tmp, compress=fmt == "xes.gz")
    with atomic_write(truth, encoding="utf-8") as f:
        f.write(result.truth.to_csv(index=False, lineterminator="\n"))
    return target, truth


def _write_csv(events: pd.DataFrame, path: str) -> None:
    """CSV through pyarrow (fast); pandas' quoting takes over if a value needs quotes."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = {}
    for name in events.columns:
        values = events[name]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            columns[name] = _time_text(values)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            columns[name] = pa.array(values).cast(pa.string())
        else:
            columns[name] = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.string())
    table = pa.table(columns)
    with open(path, "wb") as f:
        f.write(("\ufeff" + ",".join(events.columns) + "\n").encode("utf-8"))
        try:
            pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=False, quoting_style="none"))
            return
        except pa.ArrowInvalid:  # a value holds a comma, quote or newline
            pass
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        table.to_pandas().to_csv(f, index=False, lineterminator="\n")


def _time_text(values: pd.Series, sep: str = " "):
    """Local wall-clock times as 'YYYY-MM-DD HH:MM:SS' (pyarrow strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    secs = values.dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    day = secs // DAY
    tod = secs - day * DAY
    first = int(day.min()) if len(day) else 0
    last = int(day.max()) if len(day) else 0
    dates = pa.array(np.datetime_as_string(np.arange(first, last + 1).astype("datetime64[D]"))
                     .astype(object))
    clock = pa.array([f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60)
                      for s in range(60)])
    return pc.binary_join_element_wise(dates.take(pa.array(day - first)),
                                       clock.take(pa.array(tod)), sep)


_XES_PROLOGUE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n'
    '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
    '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
    '<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n')


def _write_xes(result: SimulationResult, path: str, *, compress: bool = False,
               chunk: int = 200_000) -> None:
    """A plain XES 1.0 file: canonical keys, values in the log's language, local offsets.

    Written with numpy/pyarrow string operations, ``chunk`` events (whole cases) at a
    time (not pm4py's writer, whose attribute order changes from run to run); every
    value is XML-escaped.
    """
    import gzip

    ev = result.events
    codes, _ = pd.factorize(ev[HEADERS[result.lang][CASE]], sort=False)
    starts = np.flatnonzero(np.diff(codes, prepend=-1) != 0)
    at = np.searchsorted(starts, np.arange(chunk, len(ev), chunk))
    cuts = np.unique(starts[at[at < len(starts)]])
    bounds = np.concatenate(([0], cuts, [len(ev)]))
    with open(path, "wb") as raw:
        out = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw
        try:
            out.write(_XES_PROLOGUE.encode("utf-8"))
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                if hi > lo:
                    out.write(_xes_traces(ev.iloc[lo:hi], HEADERS[result.lang]))
            out.write(b"</log>\n")
        finally:
            if compress:
                out.close()


def _xes_traces(ev: pd.DataFrame, h: dict[str, str]) -> bytes:
    """The <trace> elements of whole cases, one event per line."""
    from xml.sax.saxutils import quoteattr

    import pyarrow as pa
    import pyarrow.compute as pc

    def date(key: str, values: pd.Series) -> Any:
        text = pc.binary_join_element_wise(_time_text(values, sep="T"), _offsets(values), "")
        return pc.binary_join_element_wise(f'<date key="{key}" value="', text, '"/>', "")

    def strings(pairs: list[tuple[str, pd.Series]]) -> Any:
        """String attributes of several columns, escaped once per distinct combination."""
        combined = np.zeros(len(pairs[0][1]), dtype=np.int64)
        parts = []
        for _, values in pairs:
            codes, uniques = pd.factorize(values, sort=False)
            combined = combined * (len(uniques) + 1) + codes
            parts.append((codes, uniques))
        _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        text = ["".join(f'<string key="{key}" value={quoteattr(str(uniques[codes[i]]))}/>'
                        for (key, _), (codes, uniques) in zip(pairs, parts, strict=True))
                for i in first]
        return pa.array(text, type=pa.string()).take(pa.array(inverse.ravel()))

    event = pc.binary_join_element_wise(
        "<event>", strings([("concept:name", ev[h[ACTIVITY]])]), date("time:timestamp", ev[h[TIMESTAMP]]),
        strings([("org:resource", ev[h[RESOURCE]]), ("org:level", ev[h[LEVEL]]), ("org:kind", ev[h[KIND]])]),
        "</event>", "")
    codes, _ = pd.factorize(ev[h[CASE]], sort=False)
    first = np.ones(len(codes), dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    last = np.ones(len(codes), dtype=bool)
    last[:-1] = first[1:]
    heads = ev.iloc[np.flatnonzero(first)]
    opening = pc.binary_join_element_wise(
        "<trace>", strings([("concept:name", heads[h[CASE]])]),
        strings([("category", heads[h[CATEGORY]]), ("source", heads[h[SOURCE]])]),
        date("deadline", heads[h[DEADLINE]]), "\n", "")
    head = pc.if_else(pa.array(first), opening.take(pa.array(codes)), "")
    tail = pc.if_else(pa.array(last), "\n</trace>", "")
    lines = pc.binary_join_element_wise(head, event, tail, "")
    whole = pa.LargeListArray.from_arrays(pa.array([0, len(lines)], type=pa.int64()),
                                          lines.cast(pa.large_string()))
    body = pc.binary_join(whole, pa.scalar("\n", type=pa.large_string()))[0].as_buffer()
    return bytes(body) + b"\n"


def _offsets(values: pd.Series):
    """The UTC offset of each timestamp as '+08:00' (pyarrow strings)."""
    import pyarrow as pa

    local = values.dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    minutes = (local - utc) // 60
    kinds, index = np.unique(minutes, return_inverse=True)
    text = [f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in kinds]
    return pa.array(text, type=pa.string()).take(pa.array(index.ravel()))
