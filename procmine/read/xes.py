"""The XES reader: the Rust reader (``rustxes``) for speed, and a streaming Python reader
for the files it reads wrongly or not at all.

The Rust reader turns every time with an offset into UTC and keeps times without one as
they are written, so the file's dates are looked at first (in the same pass that checks
the XML for safety, :func:`procmine.xmlsafe.check_xml_file`):

- all dates carry an offset: the Rust reader's times are UTC;
- no date carries one: its times are wall times, read in ``--timezone`` like a CSV's;
- both kinds: the Python reader keeps each value's text, and
  :func:`~procmine.read.times.parse_timestamps` reads each as it is written.

The Python reader is used too when the Rust reader fails (a time outside 1678-2262
makes it panic; the time drops only its own row here) or when an attribute mixes types
(it would quote the text values: ``"007"``). What the Rust reader prints on stderr is
captured, never shown.

>>> shapes = DateShapes()
>>> shapes.inspect(b'<date key="time:timestamp" value="2024-01-01T10:00:00+01:00"/>')
>>> shapes.naive, shapes.offset, shapes.offsets
(False, True, {'+01:00'})
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from procmine import xmlsafe
from procmine.errors import InputError
from procmine.limits import check_frame_fields
from procmine.log import ACTIVITY, CASE, TIMESTAMP, LoadReport
from procmine.read.times import offset_note

_NAIVE_DATE = re.compile(rb'value="\d{4}-\d\d-\d\dT[\d:.]*"')
_OFFSET_DATE = re.compile(rb'<date\s[^>]*?value="[^"]*?([+-]\d\d:?\d\d|Z)"')
_MIXED_TYPES = re.compile(r"Attribute (\S+) contains values of different dtypes")


@dataclass
class DateShapes:
    """Whether an XES file's dates carry UTC offsets: seen while its XML is checked."""

    naive: bool = False
    offset: bool = False
    offsets: set[str] = field(default_factory=set)  #: offsets seen (first chunk only)
    chunks: int = 0

    def inspect(self, window: bytes) -> None:
        """Look at one window of the file's bytes."""
        if not self.naive and _NAIVE_DATE.search(window):
            self.naive = True
        if self.chunks == 0:
            self.offsets.update(m.decode() for m in _OFFSET_DATE.findall(window))
        if not self.offset and (self.offsets or _OFFSET_DATE.search(window)):
            self.offset = True
        self.chunks += 1


def read_xes(path: str, report: LoadReport, *, timezone: str,
             times_needed: bool = True) -> pd.DataFrame:
    """The events of an XES file (plain or gzip) as a frame with ``__row`` (position of the
    event in its trace); dates as instants when they carry offsets, else wall times. A
    file without times is refused unless ``times_needed`` is false."""
    shapes = DateShapes()
    xmlsafe.check_xml_file(path, inspect=shapes.inspect)
    _offset_note(shapes, report, timezone)
    frame, why = (None, "its dates mix times with and without a UTC offset") \
        if shapes.naive and shapes.offset else _rust_frame(path, report)
    if frame is None:
        frame = _python_frame(path, report, why)
    elif shapes.offset:
        for column in frame.columns:
            values = frame[column]
            if pd.api.types.is_datetime64_dtype(values.dtype) and values.dt.tz is None:
                frame[column] = values.dt.tz_localize("UTC")  # the Rust reader's UTC
    check_frame_fields(path, frame)
    if TIMESTAMP not in frame.columns and times_needed:
        raise InputError(f"{path}: the log has no times (no event has a time:timestamp)",
                         hint="export the log with its timestamps, or read it with "
                              "order_as_time=True to take the order of the events in each "
                              "trace as time (durations are then not measured)")
    if CASE in frame.columns:
        position = frame.groupby(CASE, sort=False, dropna=False).cumcount() + 1
        frame["__row"] = position.to_numpy()
    else:
        frame["__row"] = np.arange(len(frame), dtype=np.int64) + 1
    report.rows_read = len(frame)
    return frame


def _offset_note(shapes: DateShapes, report: LoadReport, timezone: str) -> None:
    """Say once when the file's offsets are not those of ``timezone``."""
    note = offset_note(shapes.offsets, timezone)
    if note:
        report.notes.append(note)


# --------------------------------------------------------------------------- the Rust reader


def _rust_frame(path: str, report: LoadReport) -> tuple[pd.DataFrame | None, str]:
    """The Rust reader's frame, or None and why it cannot be used."""
    try:
        import rustxes
    except ImportError:  # pragma: no cover - rustxes is a dependency
        return None, "the Rust XES reader is not installed"
    with _captured_stderr() as said:
        try:
            frame, meta = rustxes.import_xes(path)
            frame = frame.select(column_order(frame.columns)).to_pandas()
        except KeyboardInterrupt:
            raise
        except BaseException:  # rustxes raises a pyo3 PanicException on some files
            frame, meta = None, None
    mixed = _MIXED_TYPES.findall(said.text)
    if mixed:
        return None, f"attribute {', '.join(mixed[:3])} mixes value types"
    if frame is None:
        return None, "the Rust XES reader failed on it"
    _unfill_globals(frame, meta, report)
    return frame, ""


class _captured_stderr:
    """What native code writes to file descriptor 2 while inside, kept (``.text``) and
    never shown."""

    def __enter__(self) -> _captured_stderr:
        sys.stderr.flush()
        self.file = tempfile.TemporaryFile()
        self.saved = os.dup(2)
        os.dup2(self.file.fileno(), 2)
        self.text = ""
        return self

    def __exit__(self, *exc: Any) -> None:
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.file.seek(0)
        self.text = self.file.read(1 << 16).decode("utf-8", errors="replace")
        self.file.close()


def _unfill_globals(frame: pd.DataFrame, meta: str, report: LoadReport) -> None:
    """Undo the XES global defaults that the reader filled into missing names.

    An event without ``concept:name`` gets the global default (often 'UNKNOWN');
    procmine treats it as an event without an activity, to be dropped and named.
    """
    try:
        info = json.loads(meta)
    except (TypeError, ValueError):
        return
    for scope, key, column in (("global_event_attrs", "concept:name", ACTIVITY),
                               ("global_trace_attrs", "concept:name", CASE)):
        default = next((g.get("value", {}).get("content") for g in info.get(scope) or []
                        if g.get("key") == key), None)
        if default is None or column not in frame.columns:
            continue
        filled = frame[column] == default
        if filled.any():
            frame.loc[filled, column] = None
            report.notes.append(f"{int(filled.sum()):,} events had no {key} (the XES global "
                                f"default {default!r} stood in)")


# --------------------------------------------------------------------------- the Python reader

_ATTRIBUTES = {"string", "date", "int", "float", "boolean", "id"}


def _python_frame(path: str, report: LoadReport, why: str) -> pd.DataFrame:
    """Every event with its trace's attributes (``case:`` + key), each value's text as
    written (numbers and booleans typed when a column holds nothing else)."""
    import xml.parsers.expat as expat

    found = _Found()
    parser = expat.ParserCreate()
    parser.StartElementHandler = found.start
    parser.EndElementHandler = found.end
    try:
        for chunk in xmlsafe.file_chunks(path):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as e:
        raise InputError(f"{path}: not a readable XES file ({why}; not well-formed XML: "
                         f"{expat.ErrorString(e.code)}, line {e.lineno})",
                         hint="check that the file is complete XES (gzip if .xes.gz)") from None
    report.notes.append(f"read by procmine's own XES reader: {why}")
    frame = found.frame()
    return frame[column_order(frame.columns)]


def column_order(names: Iterable[str]) -> list[str]:
    """The columns of an XES log in the order procmine gives them: the events' attributes,
    then the traces' (``case:``), each by name. The Rust reader's order follows its hash
    maps and changed from run to run (the report's list of other attributes, the columns
    of ``procmine filter``'s CSV); both readers now give this one.

    >>> column_order(["time:timestamp", "case:concept:name", "concept:name", "case:a"])
    ['concept:name', 'time:timestamp', 'case:a', 'case:concept:name']
    """
    return sorted(names, key=lambda name: (name.startswith("case:"), name))


class _Found:
    """The events and traces of an XES file, as expat reports its elements."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []
        self.traces: list[dict[str, str]] = []
        self.starts: list[int] = []   # per trace, the index of its first event
        self.kinds: dict[str, set[str]] = {}
        self.stack: list[str] = []
        self.trace: dict[str, str] = {}
        self.event: dict[str, str] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.stack.append(name)
        where = tuple(self.stack[:-1])
        if where == ("log",) and name == "trace":
            self.trace, self.start_at = {}, len(self.rows)
        elif where == ("log", "trace") and name == "event":
            self.event = {}
        elif name in _ATTRIBUTES and "key" in attrs and "value" in attrs:
            if where == ("log", "trace", "event"):
                self._keep(self.event, attrs["key"], attrs["value"], name)
            elif where == ("log", "trace"):
                self._keep(self.trace, "case:" + attrs["key"], attrs["value"], name)

    def _keep(self, into: dict[str, str], key: str, value: str, kind: str) -> None:
        into[key] = value
        self.kinds.setdefault(key, set()).add(kind)

    def end(self, name: str) -> None:
        self.stack.pop()
        if name == "event" and tuple(self.stack) == ("log", "trace"):
            self.rows.append(self.event)
        elif name == "trace" and self.stack == ["log"]:
            self.traces.append(self.trace)
            self.starts.append(self.start_at)

    def frame(self) -> pd.DataFrame:
        events = pd.DataFrame.from_records(self.rows) if self.rows else pd.DataFrame()
        if self.traces and self.rows:
            owner = np.searchsorted(np.asarray(self.starts), np.arange(len(self.rows)),
                                    side="right") - 1
            traces = pd.DataFrame.from_records(self.traces)
            for column in traces.columns:
                events[column] = traces[column].to_numpy(dtype=object)[owner]
        for column in events.columns:
            declared = self.kinds.get(column, {"string"})
            if declared <= {"int", "float"}:
                events[column] = pd.to_numeric(events[column], errors="coerce")
            elif declared == {"boolean"}:
                events[column] = events[column].map({"true": True, "false": False})
            else:
                events[column] = events[column].astype("string")
        return events
