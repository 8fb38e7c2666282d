"""The case and deviation tables of a conformance check, as files an auditor opens.

``case_sheet`` and ``deviation_sheet`` are the two tables; ``write_audit_file``
writes one as CSV (UTF-8 with a BOM, so Excel shows Chinese; percentages and
durations in words) or, for a ``.xlsx`` path, as an Excel workbook with both
sheets (numbers stay numbers, shown as percentages, days and dates). JSON keeps
the raw values (``ConformanceResult.to_dict``).
"""

from __future__ import annotations

import os
from typing import Literal

import pandas as pd

from procmine.conform.result import ConformanceResult

#: Excel number formats of the workbook's columns
XLSX_FORMATS = {"fitness": "0.0%", "share": "0.0%", "duration (days)": "0.00",
                "start": "yyyy-mm-dd hh:mm", "end": "yyyy-mm-dd hh:mm"}


def case_sheet(result: ConformanceResult, *, style: Literal["text", "xlsx"] = "text") -> pd.DataFrame:
    """One row per case: verdict, deviations, trail, units, category, source, start, end,
    duration. ``style="text"``: fitness as "74.1%", duration as "3.2 d", times to the
    minute; ``"xlsx"``: raw numbers (duration in days) for Excel's own formats.

    >>> from procmine.read import read_log
    >>> from procmine.conform import check_conformance
    >>> r = check_conformance(read_log("logs/sample.csv"), "logs/workflow.yaml", precision=False)  # doctest: +SKIP
    >>> case_sheet(r).loc[0, "fitness"]                                                          # doctest: +SKIP
    '100.0%'
    """
    from procmine.output import human_duration

    out = result.cases_table.copy()
    if style == "xlsx":
        if "duration" in out:
            out["duration"] = out["duration"] / 86400.0
            out = out.rename(columns={"duration": "duration (days)"})
        return out
    out["fitness"] = [("–" if pd.isna(f) else f"{f:.1%}") for f in out["fitness"]]
    if "duration" in out:
        out["duration"] = [human_duration(s) for s in out["duration"]]
    for column in ("start", "end"):
        if column in out:
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M")
    return out


def deviation_sheet(result: ConformanceResult, *, style: Literal["text", "xlsx"] = "text") -> pd.DataFrame:
    """One row per kind of deviation: what, how many cases, share, the units where it
    happened most, an example case."""
    return pd.DataFrame({
        "deviation": [d.text for d in result.deviations],
        "kind": [d.kind for d in result.deviations],
        "step": [d.step for d in result.deviations],
        "cases": [d.cases for d in result.deviations],
        "share": [d.share if style == "xlsx" else f"{d.share:.1%}" for d in result.deviations],
        "units where most": [", ".join(f"{u} ({n:,})" for u, n in d.units) for d in result.deviations],
        "example case": [d.example or "" for d in result.deviations],
    })


def write_audit_file(result: ConformanceResult, path: str | os.PathLike, *,
                     table: Literal["cases", "deviations"], inputs: tuple[str, ...] = ()) -> None:
    """Write the ``table`` of ``result`` to ``path``: a ``.xlsx`` workbook (both tables,
    ``table`` first) or a CSV with a BOM for Excel."""
    from procmine.files import output_format
    from procmine.output import write_table

    if output_format(path, "table") == ".xlsx":
        sheets = {"cases": case_sheet(result, style="xlsx"),
                  "deviations": deviation_sheet(result, style="xlsx")}
        if table == "deviations":
            sheets = {"deviations": sheets["deviations"], "cases": sheets["cases"]}
        write_table(sheets, path, inputs=inputs, formats=XLSX_FORMATS)
        return
    frame = case_sheet(result) if table == "cases" else deviation_sheet(result)
    write_table({table: frame}, path, inputs=inputs)
