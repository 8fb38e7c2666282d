"""The case and deviation tables of a conformance check, as files an auditor opens.

``case_sheet`` and ``deviation_sheet`` are the two tables; ``write_audit_file``
writes one as CSV (UTF-8 with a BOM, so Excel shows Chinese; percentages and
durations in words) or, for a ``.xlsx`` path, as an Excel workbook with both
sheets (numbers stay numbers, shown as percentages, days and dates). In Chinese
(``lang="zh"``) the column and sheet names, the deviations, yes/no and the
durations are Chinese, as ``procmine conform`` prints them. JSON keeps the raw
values and English keys (``ConformanceResult.to_dict``).
"""

from __future__ import annotations

import os
from typing import Literal

import pandas as pd

from procmine.conform.result import ConformanceResult

#: Excel number formats of the workbook's columns
XLSX_FORMATS = {"fitness": "0.0%", "share": "0.0%", "duration (days)": "0.00",
                "start": "yyyy-mm-dd hh:mm", "end": "yyyy-mm-dd hh:mm"}


def case_sheet(result: ConformanceResult, *, style: Literal["text", "xlsx"] = "text",
               lang: str = "en") -> pd.DataFrame:
    """One row per case: verdict, deviations, trail, units, category, source, start, end,
    duration. ``style="text"``: fitness as "74.1%", duration as "3.2 d", times to the
    minute; ``"xlsx"``: raw numbers (duration in days) for Excel's own formats. The
    column names stay English (``write_audit_file`` names them in ``lang``).

    >>> from procmine.read import read_log
    >>> from procmine.conform import check_conformance
    >>> r = check_conformance(read_log("logs/sample.csv"), "logs/workflow.yaml", precision=False)  # doctest: +SKIP
    >>> case_sheet(r).loc[0, "fitness"]                                                          # doctest: +SKIP
    '100.0%'
    """
    from procmine.conform.wording import case_deviations_text
    from procmine.output import human_duration

    out = result.cases_table.copy()
    if lang == "zh":
        out["deviations"] = [case_deviations_text(d, lang) for d in out["deviations"]]
        out["conforming"] = ["是" if c else "否" for c in out["conforming"]]
    if style == "xlsx":
        if "duration" in out:
            out["duration"] = out["duration"] / 86400.0
            out = out.rename(columns={"duration": "duration (days)"})
        return out
    out["fitness"] = [("–" if pd.isna(f) else f"{f:.1%}") for f in out["fitness"]]
    if "duration" in out:
        out["duration"] = [human_duration(s, lang=lang) for s in out["duration"]]
    for column in ("start", "end"):
        if column in out:
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M")
    return out


def deviation_sheet(result: ConformanceResult, *, style: Literal["text", "xlsx"] = "text",
                    lang: str = "en") -> pd.DataFrame:
    """One row per kind of deviation: what, how many cases, share, the units where it
    happened most, an example case (in ``lang``: the deviation and its kind)."""
    from procmine.conform.wording import deviation_sentence, kind_name

    return pd.DataFrame({
        "deviation": [deviation_sentence(d, lang) for d in result.deviations],
        "kind": [d.kind if lang != "zh" else kind_name(d.kind, lang) for d in result.deviations],
        "step": [d.step for d in result.deviations],
        "cases": [d.cases for d in result.deviations],
        "share": [d.share if style == "xlsx" else f"{d.share:.1%}" for d in result.deviations],
        "units where most": [", ".join(f"{u} ({n:,})" for u, n in d.units) for d in result.deviations],
        "example case": [d.example or "" for d in result.deviations],
    })


def write_audit_file(result: ConformanceResult, path: str | os.PathLike, *,
                     table: Literal["cases", "deviations"], inputs: tuple[str, ...] = (),
                     lang: str = "en") -> None:
    """Write the ``table`` of ``result`` to ``path``: a ``.xlsx`` workbook (both tables,
    ``table`` first) or a CSV with a BOM for Excel; column and sheet names in ``lang``."""
    from procmine.files import output_format
    from procmine.i18n import words
    from procmine.output import write_table

    names = words("deviations")["columns"] if lang == "zh" else {}
    if output_format(path, "table") == ".xlsx":
        sheets = {"cases": case_sheet(result, style="xlsx", lang=lang),
                  "deviations": deviation_sheet(result, style="xlsx", lang=lang)}
        if table == "deviations":
            sheets = {"deviations": sheets["deviations"], "cases": sheets["cases"]}
        titles = words("deviations")["sheets"] if lang == "zh" else {}
        write_table({titles.get(k, k): v.rename(columns=names) for k, v in sheets.items()}, path,
                    inputs=inputs, formats={names.get(k, k): f for k, f in XLSX_FORMATS.items()})
        return
    frame = case_sheet(result, lang=lang) if table == "cases" else deviation_sheet(result, lang=lang)
    write_table({table: frame.rename(columns=names)}, path, inputs=inputs)
