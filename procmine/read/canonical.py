"""From a raw frame to canonical events: columns renamed, text trimmed, times parsed, rows
that cannot be events dropped (and counted), unit kinds and levels named, each case sorted
by time keeping file order for ties. Also the level and kind tables the SQL engines join.

>>> level_table(["网格", "街道"])[1]
('网格', '街道')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procmine.errors import InputError
from procmine.log import (
    ACTIVITY,
    ADDRESS,
    CASE,
    CATEGORY,
    CITIZEN,
    DEADLINE,
    DEFAULT_LEVELS,
    KIND,
    KIND_ALIASES,
    LEVEL,
    LEVEL_ALIASES,
    RESOURCE,
    SOURCE,
    START,
    TIMESTAMP,
    LoadReport,
)
from procmine.read.times import offset_note, parse_timestamps, text_offsets


@dataclass
class _Dropping:
    """Drops rows that cannot be events: counts them with examples, or raises (strict)."""

    frame: pd.DataFrame
    rows: np.ndarray
    keep: np.ndarray
    mapping: Mapping[str, str]
    report: LoadReport
    strict: bool
    path: str

    def drop(self, mask: np.ndarray, reason: str, column: str,
             shown: pd.Series | None = None) -> None:
        """Drop the rows of ``mask`` still kept; ``shown`` are the values to quote."""
        new = mask & self.keep
        count = int(new.sum())
        if not count:
            return
        values = self.frame[column] if shown is None else shown
        index = np.flatnonzero(new)
        source = self.mapping.get(column, column)
        if self.strict:
            i = index[0]
            raise InputError(f"{self.path}: {_where(self.report.format)} {self.rows[i]}, column "
                             f"{source!r}: {reason} (value {_show(values.iloc[i])})",
                             hint="fix the row, or read with strict=False to skip bad rows")
        xes = self.report.format == "xes"
        examples = [(int(self.rows[i]), str(source), _show(values.iloc[i])
                     + (f" in trace {self.frame[CASE].iloc[i]}" if xes else ""))
                    for i in index[:5]]
        self.report.drop(reason, count, examples)
        self.keep &= ~mask


def canonical_events(frame: pd.DataFrame, mapping: Mapping[str, str], report: LoadReport, *,
                     timezone: str, strict: bool, path: str) -> pd.DataFrame:
    """The events of a raw frame (with ``__row``) under canonical names, in read_log's order."""
    rename = {source: canonical for canonical, source in mapping.items()}
    # A canonical name already used by another column keeps that column under a new name.
    clashes = {c: f"{c} (original)" for c in frame.columns
               if c in set(mapping) and c not in rename and c != "__row"}
    frame = frame.rename(columns={**clashes, **rename})
    rows = frame.pop("__row").to_numpy()
    dropping = _Dropping(frame, rows, np.ones(len(frame), dtype=bool), mapping, report, strict,
                         path)
    for column, reason in ((CASE, "no case id"), (ACTIVITY, "no activity")):
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            text = values.astype("string").str.strip()
        else:
            text = values.astype("string")
        frame[column] = text
        dropping.drop((text.isna() | (text == "")).to_numpy(dtype=bool), reason, column)
    raw_time = frame[TIMESTAMP]
    parsed, report.timezone_assumed = parse_timestamps(raw_time, timezone=timezone)
    note = offset_note(text_offsets(raw_time), timezone)
    if note and note not in report.notes:
        report.notes.append(note)
    frame[TIMESTAMP] = parsed
    missing_time = raw_time.isna().to_numpy(dtype=bool)
    dropping.drop(missing_time, "no time", TIMESTAMP, shown=parsed)
    bad_time = parsed.isna().to_numpy(dtype=bool) & ~missing_time
    dropping.drop(bad_time, "unparsable time", TIMESTAMP, shown=raw_time)
    _optional_times(frame, mapping, report, timezone)
    _trim_text(frame, report)
    _count_lost_cases(frame[CASE], dropping.keep, report)
    # a boolean filter copies every column: only when a row is dropped
    return _sorted(frame if dropping.keep.all() else frame[dropping.keep], report)


def _count_lost_cases(cases: pd.Series, keep: np.ndarray, report: LoadReport) -> None:
    """Cases none of whose events is kept: counted, and said in the notes."""
    if keep.all():
        return
    present = cases.notna().to_numpy(dtype=bool) & (cases != "").to_numpy(dtype=bool, na_value=False)
    kept = set(cases[keep & present].unique())
    lost = [c for c in cases[present].unique() if c not in kept]   # in file order
    if lost:
        report.cases_lost = len(lost)
        report.notes.append(lost_cases_note(len(lost), lost[0]))


def lost_cases_note(lost: int, example: Any) -> str:
    """The load report's line on cases all of whose events were dropped (every engine).

    >>> lost_cases_note(2, "GD7")
    '2 cases lost: all their events were dropped (e.g. case GD7)'
    """
    return (f"{lost:,} case{'s' if lost > 1 else ''} lost: all "
            f"{'their' if lost > 1 else 'its'} events were dropped (e.g. case {_show(example)})")


def _optional_times(frame: pd.DataFrame, mapping: Mapping[str, str], report: LoadReport,
                    timezone: str) -> None:
    """Start and deadline parsed; a deadline column of no times stays text."""
    for column in (START, DEADLINE):
        if column not in frame.columns:
            continue
        values, _ = parse_timestamps(frame[column], timezone=timezone)
        unparsed = int((values.isna() & frame[column].notna()).sum())
        if unparsed and column == DEADLINE and unparsed == int(frame[column].notna().sum()):
            report.notes.append(f"deadline column {mapping[column]!r} holds no timestamps; "
                                "kept as text")
            continue
        if unparsed:
            report.repaired[f"{mapping[column]}: {unparsed:,} unparsable values set empty"] = unparsed
        frame[column] = values


def _trim_text(frame: pd.DataFrame, report: LoadReport) -> None:
    """Text columns trimmed (empty as missing); unit kinds named line or block."""
    for column in (RESOURCE, LEVEL, KIND, CATEGORY, SOURCE, CITIZEN, ADDRESS):
        if column in frame.columns:
            text = frame[column].astype("string").str.strip()
            frame[column] = text.mask(text == "", pd.NA)
    if KIND in frame.columns:
        kinds = map_values(frame[KIND].str.lower(), KIND_ALIASES)
        unknown = frame[KIND].notna() & kinds.isna()
        if unknown.any():
            report.notes.append(f"{int(unknown.sum()):,} unit kinds not line/block (条/块) set empty: "
                                f"{', '.join(map(str, frame.loc[unknown, KIND].unique()[:5]))}")
        frame[KIND] = kinds.astype("string")


def _sorted(events: pd.DataFrame, report: LoadReport) -> pd.DataFrame:
    """Each case sorted by time, keeping file order for ties; cases in order of appearance."""
    case_codes, _ = pd.factorize(events[CASE], sort=False)
    ts = events[TIMESTAMP].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    step = np.diff(case_codes)
    if (step >= 0).all() and (np.diff(ts)[step == 0] >= 0).all():
        order = np.arange(len(events))     # already in order (most exports): no sort
    else:
        order = np.lexsort((np.arange(len(events)), ts, case_codes))
    if not np.array_equal(order, np.arange(len(order))):
        events = events.iloc[order]
    events = events.reset_index(drop=True)
    report.duplicates = count_duplicates(events, case_codes[order])
    return events


def count_duplicates(events: pd.DataFrame, case: np.ndarray) -> int:
    """Exact duplicate events (same case, activity, time and unit).

    Duplicates share case and time, so only events whose time repeats within
    their case (adjacent after sorting) need the full comparison.
    """
    if len(events) < 2:
        return 0
    ts = events[TIMESTAMP].to_numpy(dtype="datetime64[ns]")
    tie = (ts[1:] == ts[:-1]) & (case[1:] == case[:-1])
    suspects = np.zeros(len(events), dtype=bool)
    suspects[1:] |= tie
    suspects[:-1] |= tie
    if not suspects.any():
        return 0
    key = [c for c in (CASE, ACTIVITY, TIMESTAMP, RESOURCE) if c in events.columns]
    return int(events.loc[suspects, key].duplicated().sum())


def map_values(values: pd.Series, table: Mapping[str, str]) -> pd.Series:
    """Map a text column through ``table`` (unknown values become NA), once per distinct value.

    >>> map_values(pd.Series(["a", "b"]), {"a": "x"}).tolist()
    ['x', <NA>]
    """
    codes, uniques = pd.factorize(values)
    mapped = np.array([table.get(str(u)) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype="string")


def _where(fmt: str | None) -> str:
    return {"xes": "event", "parquet": "record"}.get(fmt or "", "row")


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(empty)"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def name_levels(events: pd.DataFrame, levels: Sequence[str] | None,
                report: LoadReport) -> tuple[str, ...]:
    """Normalise level names; returns the ordered level list of the log."""
    if levels:
        names = tuple(levels)
        if LEVEL in events.columns:
            present = set(events[LEVEL].dropna().unique())
            unknown = present - set(names)
            if unknown:
                report.notes.append(f"levels not in --levels (treated as unknown): "
                                    f"{', '.join(sorted(map(str, unknown))[:5])}")
        return names
    if LEVEL not in events.columns:
        return DEFAULT_LEVELS
    values = events[LEVEL]
    mapped = map_values(values.str.lower(), LEVEL_ALIASES)
    unknown = values.notna() & mapped.isna()
    if unknown.any():
        report.notes.append(
            f"{int(unknown.sum()):,} level values not in 网格<居村<街镇<区<市 "
            f"({', '.join(map(str, values[unknown].unique()[:5]))}); give --levels bottom up")
        events[LEVEL] = values.where(unknown, mapped).astype("string")
        return DEFAULT_LEVELS
    events[LEVEL] = mapped.astype("string")
    return DEFAULT_LEVELS


def level_table(levels: Sequence[str] | None) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``raw`` (lower-cased value as read) -> ``rank`` and ``name``, and the level names,
    as read_log maps them.

    Without ``levels`` the aliases of ``procmine.log`` (grid, 街道, ...) map onto
    the default levels; with ``levels`` each value is its own name (``exact``).
    """
    if levels:
        names = tuple(levels)
        return pd.DataFrame({"raw": list(names), "rank": np.arange(len(names)),
                             "name": list(names), "exact": True}), names
    rank = {name: i for i, name in enumerate(DEFAULT_LEVELS)}
    raw = list(LEVEL_ALIASES)
    return pd.DataFrame({"raw": raw, "rank": [rank[LEVEL_ALIASES[r]] for r in raw],
                         "name": [LEVEL_ALIASES[r] for r in raw], "exact": False}), DEFAULT_LEVELS


def kind_table() -> pd.DataFrame:
    """``raw`` (lower-cased) -> ``name`` (line or block): read_log's 条/块 aliases."""
    return pd.DataFrame({"raw": list(KIND_ALIASES), "name": list(KIND_ALIASES.values())})
