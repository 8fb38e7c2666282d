"""One writer of results: readable tables, JSON and CSV; human durations.

Data goes to stdout; messages go to stderr (the CLI decides). Files are written
atomically by :mod:`procmine.files`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from procmine.files import atomic_write

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Make a CSV cell safe for spreadsheets: text starting with = + - @ gets a quote.

    Numbers are left alone (``-3`` stays a number).

    >>> neutralise("=HYPERLINK(1)"), neutralise(-3), neutralise("ok")
    ("'=HYPERLINK(1)", -3, 'ok')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def _plain(value: Any) -> Any:
    """Turn numpy/pandas scalars and timestamps into JSON-able values."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
            return None
    except (ImportError, TypeError, ValueError):
        pass
    return value


def _plain_column(column: Any, *, each: Any = None) -> list[Any]:
    """:func:`_plain` of each value of a column (a Series): numpy numbers all at once (one
    call per value took most of the time of a CSV of thousands of rows), others one by one
    (with ``each`` instead of :func:`_plain` when given)."""
    import numpy as np

    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else None
    if kind in ("i", "u", "b"):
        return column.to_numpy().tolist()
    if kind == "f":
        values = column.to_numpy()
        plain = values.tolist()
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            plain[i] = None     # NaN and infinity, as _plain
        return plain
    return [(each or _plain)(v) for v in column]


def to_jsonable(obj: Any) -> Any:
    """Recursively convert dataclasses, DataFrames and numpy values for ``json.dumps``."""
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    if type(obj).__name__ == "DataFrame":
        names = [str(c) for c in obj.columns]
        if not names:
            return [{} for _ in range(len(obj))]
        values = [_plain_column(obj.iloc[:, i], each=to_jsonable) for i in range(len(names))]
        return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
    if type(obj).__name__ == "Series":
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return _plain(obj)


def dumps(obj: Any) -> str:
    """JSON text of a result, UTF-8 characters kept readable."""
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2)


def rows_of(table: Any) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows of a DataFrame or a list of dicts."""
    if type(table).__name__ == "DataFrame":
        columns = [str(c) for c in table.columns]
        if not columns:
            return columns, [[] for _ in range(len(table))]
        values = [_plain_column(table.iloc[:, i]) for i in range(len(columns))]
        return columns, [list(row) for row in zip(*values, strict=True)]
    records = list(table)
    columns: list[str] = []
    for rec in records:
        for key in rec:
            if key not in columns:
                columns.append(key)
    return columns, [[_plain(rec.get(c)) for c in columns] for rec in records]


def csv_text(table: Any) -> str:
    """CSV of a table, with spreadsheet formulas neutralised."""
    columns, rows = rows_of(table)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buf.getvalue()


def write_csv(table: Any, path: str | os.PathLike, *, inputs: Iterable[str] = (),
              private: bool = False) -> None:
    """Write a table as a UTF-8 CSV file (with BOM so Excel shows Chinese), atomically;
    ``private``: readable by the owner only (mode 0600)."""
    with atomic_write(path, inputs=inputs, encoding="utf-8-sig", private=private) as f:
        f.write(csv_text(table))


def write_table(sheets: Mapping[str, Any], path: str | os.PathLike, *, inputs: Iterable[str] = (),
                formats: Mapping[str, str] | None = None, private: bool = False) -> None:
    """Write a table to ``path`` by its ending: ``.xlsx``, a workbook of ``sheets`` (one
    sheet per table, the first one first); ``.csv``, the first table as CSV (:func:`write_csv`).
    Any other ending is refused (:func:`procmine.files.output_format`), never CSV text under
    another format's name. ``private``: readable by the owner only.

    >>> import pandas as pd
    >>> write_table({"v": pd.DataFrame({"n": [1]})}, "/tmp/procmine-doctest.csv")
    >>> open("/tmp/procmine-doctest.csv", encoding="utf-8-sig").read()
    'n\\n1\\n'
    """
    from procmine.files import output_format

    if output_format(path, "table") == ".xlsx":
        write_xlsx(sheets, path, inputs=inputs, formats=formats, private=private)
    else:
        write_csv(next(iter(sheets.values())), path, inputs=inputs, private=private)


def write_xlsx(sheets: Mapping[str, Any], path: str | os.PathLike, *, inputs: Iterable[str] = (),
               formats: Mapping[str, str] | None = None, private: bool = False) -> None:
    """Write tables as the sheets of one Excel workbook, atomically: numbers stay numbers
    (``formats``: an Excel number format per column name, e.g. ``{"share": "0.0%"}``),
    times become Excel date-times in their own zone, text is neutralised like CSV cells.

    >>> import pandas as pd
    >>> write_xlsx({"表": pd.DataFrame({"步骤": ["上报"], "share": [0.25]})}, "/tmp/procmine-doctest.xlsx",
    ...            formats={"share": "0.0%"})
    >>> import openpyxl; openpyxl.load_workbook("/tmp/procmine-doctest.xlsx")["表"]["A2"].value
    '上报'
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, table in sheets.items():
        sheet = book.create_sheet(title=str(name)[:31])
        header, rows = _xlsx_rows(table)
        sheet.append(header)
        column_formats = [(formats or {}).get(h) for h in header]
        for row in rows:
            sheet.append([_xlsx_cell(v, fmt, sheet) for v, fmt in zip(row, column_formats, strict=True)])
    with atomic_write(path, "wb", inputs=inputs, private=private) as f:
        book.save(f)


def _xlsx_rows(table: Any) -> tuple[list[str], list[list[Any]]]:
    import pandas as pd

    if isinstance(table, pd.DataFrame):
        frame = table.copy()
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype):   # Excel has no zones
                frame[column] = frame[column].dt.tz_localize(None)
        rows = [[None if _missing(v) else v for v in row] for row in frame.astype(object).to_numpy().tolist()]
        return [str(c) for c in frame.columns], rows
    return rows_of(table)


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _xlsx_cell(value: Any, fmt: str | None, sheet: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        value = neutralise(value)
    elif hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    elif hasattr(value, "item"):   # numpy scalars
        value = value.item()
    if fmt is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = fmt
    return cell


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


_DURATION = re.compile(r"^(-?[\d,.]+) (s|min|h|d|working min|working h|working days)$")


def _said(text: str) -> str:
    """A cell's text in the output language: durations in Chinese units for ``zh``."""
    from procmine import i18n

    if i18n.language() != "zh":
        return text
    found = _DURATION.match(text)
    if not found:
        return text
    units = dict(zip(_CLOCK_UNITS["en"] + _WORKING_UNITS["en"], _CLOCK_UNITS["zh"] + _WORKING_UNITS["zh"],
                     strict=True))
    return found.group(1) + (" " if found.group(2).startswith("working") else "") + units[found.group(2)]


def format_table(table: Any, *, title: str | None = None, max_rows: int | None = None) -> str:
    """A plain-text table for people, aligned for CJK (wide) characters too.

    >>> print(format_table([{"step": "派遣", "cases": 1200}]))
    step  cases
    ----  -----
    派遣  1,200
    """
    from procmine import i18n

    columns, rows = rows_of(table)
    if max_rows is not None and len(rows) > max_rows:
        rows = rows[:max_rows]
    cells = [[_said(_cell(i18n.cell(columns[i], v))) for i, v in enumerate(row)] for row in rows]
    columns = [i18n.header(c) for c in columns]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r[i], (int, float)) or r[i] is None for r in rows) and rows
               for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - _width(v))
            parts.append(pad + v if numeric[i] else v + pad)
        return "  ".join(parts).rstrip()

    out = []
    if title:
        out.append(title)
    out.append(line(columns))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def format_pairs(pairs: Iterable[tuple[str, Any]]) -> str:
    """Aligned ``key  value`` lines."""
    from procmine import i18n

    pairs = [(i18n.header(k), _said(_cell(i18n.cell(k, _plain(v))))) for k, v in pairs]
    width = max((_width(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k}{' ' * (width - _width(k))}  {v}" for k, v in pairs)


_CLOCK_UNITS = {"en": ("s", "min", "h", "d"), "zh": ("秒", "分钟", "小时", "天")}
_WORKING_UNITS = {"en": ("working min", "working h", "working days"),
                  "zh": ("工作分钟", "工作小时", "工作日")}


def human_duration(seconds: float | None, *, basis: str = "clock",
                   day_seconds: float | None = None, lang: str = "en") -> str:
    """A duration in human units: the one rule for every table and text.

    Clock time (``basis="clock"``) is given in s, min, h and d (24 hours).
    Working time (``basis="working"``) is given in working minutes, working hours,
    and, from one working day on, in working days of ``day_seconds`` (the
    calendar's day length, e.g. 25,200 s for cn office hours); never in "d".
    ``lang`` is ``en`` or ``zh``.

    >>> human_duration(45 * 60), human_duration(3.2 * 3600), human_duration(2.1 * 86400)
    ('45 min', '3.2 h', '2.1 d')
    >>> human_duration(12)
    '12 s'
    >>> human_duration(1012.5 * 3600, basis="working", day_seconds=7 * 3600)
    '144.6 working days'
    >>> human_duration(5 * 3600, basis="working", day_seconds=7 * 3600, lang="zh")
    '5.0 工作小时'
    """
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    s = float(seconds)
    sign = "-" if s < 0 else ""
    s = abs(s)
    zh = lang.startswith("zh")
    sep = "" if zh else " "
    if basis == "working" and s >= 60:
        minutes, hours, days = _WORKING_UNITS["zh" if zh else "en"]
        if s < 3600:
            return f"{sign}{s / 60:.0f} {minutes}"
        if not day_seconds or s < day_seconds:
            return f"{sign}{s / 3600:,.1f} {hours}"
        return f"{sign}{s / day_seconds:,.1f} {days}"
    unit_s, unit_min, unit_h, unit_d = _CLOCK_UNITS["zh" if zh else "en"]
    if s < 60:
        return f"{sign}{s:.0f}{sep}{unit_s}"
    if s < 3600:
        return f"{sign}{s / 60:.0f}{sep}{unit_min}"
    if s < 86400:
        return f"{sign}{s / 3600:.1f}{sep}{unit_h}"
    return f"{sign}{s / 86400:.1f}{sep}{unit_d}"


def source_column(name: str) -> str:
    """A mapped column's source as a person reads it: the file's column name, or, for a
    log read with ``--order-as-time``, "the order in the file" in the output language."""
    from procmine.i18n import message
    from procmine.vocabulary import ORDER_COLUMN

    return message("load.order_column") if name == ORDER_COLUMN else name


def _example(value: Any) -> str:
    """A dropped row's value as quoted in the load report: an empty one said as empty
    (``(empty)`` is the reader's mark for it), an XES event's trace after it."""
    from procmine.i18n import message

    text, _, trace = str(value).partition(" in trace ")
    shown = message("load.empty") if text == "(empty)" else repr(text)
    return shown + (message("load.in_trace", case=trace) if trace else "")


def describe_drops(dropped: Mapping[str, int], examples: Mapping[str, list[Any]],
                   fmt: str | None) -> list[str]:
    """A line per reason rows were dropped, with the first three examples (file row,
    column, value; a record of Parquet, an event of XES) in the output language."""
    from procmine.i18n import message, say

    unit = message("load.unit." + {"xes": "event", "parquet": "record"}.get(fmt or "", "row"))
    lines = []
    for reason, count in dropped.items():
        shown = "; ".join(message("load.example", unit=unit, row=r, column=c, value=_example(v))
                          for r, c, v in examples.get(reason, [])[:3])
        lines.append(message("load.dropped", count=count, reason=say(reason))
                     + (message("load.examples", examples=shown) if shown else ""))
    return lines


def describe_load(report: Any) -> str:
    """One or a few lines for stderr: what was read, mapped, repaired and dropped
    (in the output language: :func:`procmine.i18n.message`)."""
    from procmine.i18n import message

    mapped = ", ".join(f"{canon}←{source_column(col)}" for canon, col in report.mapping.items())
    how = f"{report.format}" + (f", {report.encoding}" if report.encoding else "")
    lines = [message("load.read", rows=report.rows_read, path=report.path, how=how,
                     kept=report.rows_kept, dropped=report.rows_dropped),
             message("load.columns", mapped=mapped)]
    if report.timezone_assumed:
        lines.append(message("load.timezone", zone=report.timezone))
    return "\n".join(lines + load_changes(report, duplicates=True))


def load_changes(report: Any, *, duplicates: bool = False) -> list[str]:
    """The lines of :func:`describe_load` on what reading dropped, repaired or noted (and
    with ``duplicates``, the duplicate events it kept): said even with --json or --csv,
    where the rest of the load report is not (nothing is dropped without a word)."""
    from procmine.i18n import message, say

    lines = describe_drops(report.dropped, report.examples, report.format)
    for what, count in report.repaired.items():
        lines.append(message("load.repaired", count=count, what=say(what)))
    if report.duplicates and duplicates:
        lines.append(message("load.duplicates", count=report.duplicates))
    lines.extend(message("note", note=say(n)) for n in report.notes)
    return lines
