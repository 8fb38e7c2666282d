"""From a raw frame to canonical events: columns renamed, text trimmed, times parsed, rows
that cannot be events dropped (and counted), unit kinds and levels named, each case sorted
by time keeping file order for ties. Also the level and kind tables the SQL engines join.

>>> level_table(["网格", "街道"])[1]
('网格', '街道')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procmine.errors import InputError, SpecError
from procmine.grouping import sorted_present
from procmine.hands import each
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
    canonical_names,
    coded_text,
)
from procmine.read.sorting import sorted_events
from procmine.read.times import offset_note, parse_timestamps, text_offsets

#: The canonical text columns reading trims (and, but for the ids, reads empty as missing).
TEXT_COLUMNS = (CASE, ACTIVITY, RESOURCE, LEVEL, KIND, CATEGORY, SOURCE, CITIZEN, ADDRESS)


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
                             f"{source!r}: {reason} (value {shown_value(values.iloc[i])})",
                             hint="fix the row, or read with strict=False to skip bad rows")
        xes = self.report.format == "xes"
        examples = [(int(self.rows[i]), str(source), shown_value(values.iloc[i])
                     + (f" in trace {self.frame[CASE].iloc[i]}" if xes else ""))
                    for i in index[:5]]
        self.report.drop(reason, count, examples)
        self.keep &= ~mask


def canonical_events(frame: pd.DataFrame, mapping: Mapping[str, str], report: LoadReport, *,
                     timezone: str, strict: bool, path: str) -> pd.DataFrame:
    """The events of a raw frame (with ``__row``) under canonical names, in read_log's order."""
    # A canonical name already used by another column keeps that column under a new name.
    frame = frame.rename(columns=canonical_names([c for c in frame.columns if c != "__row"],
                                                 mapping))
    rows = frame.pop("__row").to_numpy()
    made = _Made(frame, timezone)
    dropping = _Dropping(frame, rows, np.ones(len(frame), dtype=bool), mapping, report, strict,
                         path)
    for column, reason in ((CASE, "no case id"), (ACTIVITY, "no activity")):
        text = made.column(_TEXT, column)
        frame[column] = text.values
        dropping.drop(text.blank, reason, column)
    raw_time = frame[TIMESTAMP]
    times = made.column(_TIMES, TIMESTAMP)
    parsed, report.timezone_assumed = times.values, times.assumed
    note = offset_note(text_offsets(raw_time), timezone)
    if note and note not in report.notes:
        report.notes.append(note)
    frame[TIMESTAMP] = parsed
    dropping.drop(times.missing, "no time", TIMESTAMP, shown=parsed)
    dropping.drop(times.unparsed, "unparsable time", TIMESTAMP, shown=raw_time)
    _optional_times(frame, mapping, report, made)
    if START in frame.columns:
        _unknown_late_starts(frame, dropping.keep, mapping, report)
    _trim_text(frame, report, made)
    _count_lost_cases(frame[CASE], dropping.keep, report)
    # a boolean filter copies every column: only when a row is dropped
    return sorted_events(frame if dropping.keep.all() else frame[dropping.keep], report)


def no_events_error(where: str, rows_read: int) -> InputError:
    """The error of a source none of whose rows is an event (every engine): it has no
    rows at all (a header alone), or all were dropped.

    >>> str(no_events_error("x.csv", 0))
    'x.csv: the file has no rows, only its columns (export the log again with its rows)'
    """
    if rows_read == 0:
        return InputError(f"{where}: the file has no rows, only its columns",
                          hint="export the log again with its rows")
    return InputError(f"{where}: no usable events ({rows_read} rows read, all dropped)",
                      hint="check the column mapping and the timestamp format")


def late_starts_note(count: int, column: str) -> str:
    """The load report's line on steps that start after they end (every engine).

    >>> late_starts_note(3, "受理时间")
    "3 steps start after they end (column '受理时间'): their start is taken as unknown"
    """
    many = count > 1
    return (f"{count:,} step{'s' if many else ''} start{'' if many else 's'} after "
            f"{'they end' if many else 'it ends'} (column {column!r}): "
            f"{'their' if many else 'its'} start is taken as unknown")


def _unknown_late_starts(frame: pd.DataFrame, keep: np.ndarray, mapping: Mapping[str, str],
                         report: LoadReport) -> None:
    """A start after its step's time is no start (its handling time would be negative):
    set missing, and the kept steps so read counted in the notes."""
    late = (frame[START] > frame[TIMESTAMP]).to_numpy(dtype=bool, na_value=False)
    if late.any():
        frame[START] = frame[START].mask(late)
        counted = int(np.count_nonzero(late & keep))
        if counted:
            report.notes.append(late_starts_note(counted, mapping[START]))


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
            f"{'their' if lost > 1 else 'its'} events were dropped (e.g. case {shown_value(example)})")


def _optional_times(frame: pd.DataFrame, mapping: Mapping[str, str], report: LoadReport,
                    made: _Made) -> None:
    """Start and deadline parsed; a deadline column of no times stays text."""
    for column in (START, DEADLINE):
        if column not in frame.columns:
            continue
        times = made.column(_TIMES, column)
        values, unparsed = times.values, int(np.count_nonzero(times.unparsed))
        if unparsed and column == DEADLINE and unparsed == len(values) - int(
                np.count_nonzero(times.missing)):
            report.notes.append(f"deadline column {mapping[column]!r} holds no timestamps; "
                                "kept as text")
            continue
        if unparsed:
            report.repaired[f"{mapping[column]}: {unparsed:,} unparsable values set empty"] = unparsed
        frame[column] = values


def _trim_text(frame: pd.DataFrame, report: LoadReport, made: _Made) -> None:
    """Text columns trimmed (empty as missing); unit kinds named line or block."""
    for column in TEXT_COLUMNS[2:]:
        if column in frame.columns:
            frame[column] = made.column(_TEXT, column).values
    if KIND in frame.columns:
        kinds = made.column(_TEXT, KIND).kinds
        unknown = frame[KIND].notna() & kinds.isna()
        if unknown.any():
            report.notes.append(f"{int(unknown.sum()):,} unit kinds not line/block (条/块) set empty: "
                                f"{', '.join(map(str, frame.loc[unknown, KIND].unique()[:5]))}")
        frame[KIND] = kinds


class _Made:
    """The columns :func:`canonical_events` makes from the raw ones, each on its own (text
    trimmed per distinct value, times parsed), made at once on two hands
    (:func:`~procmine.hands.each`) and taken in the steps' order, so the report and
    any error are as when each was made at its step. Times read from text are made at
    their step, in this thread (their parse is Python's, and uses a warnings filter)."""

    def __init__(self, frame: pd.DataFrame, timezone: str) -> None:
        self.frame, self.timezone = frame, timezone
        text = [c for c in TEXT_COLUMNS if c in frame.columns]
        times = [c for c in (TIMESTAMP, START, DEADLINE)
                 if c in frame.columns and not _text_times(frame[c])]
        jobs = [*((_TEXT, c) for c in text), *((_TIMES, c) for c in times)]
        # (the columns taken here: the other hand reads no frame)
        made = each(self._made_or_error, [(job, frame[job[1]]) for job in jobs])
        self.done = dict(zip(jobs, made, strict=True))

    def _made_or_error(self, job: tuple[tuple[str, str], pd.Series]) -> _Column | _Failed:
        (kind, column), values = job
        try:
            return self._make(kind, column, values)
        except Exception as e:      # raised when its step takes the column
            return _Failed(e)

    def _make(self, kind: str, column: str, values: pd.Series) -> _Column:
        if kind == _TIMES:
            return _times(values, self.timezone)
        if column in (CASE, ACTIVITY):
            text = per_value(values, _strip)
            return _Column(text, blank=_blank(text))
        trimmed = per_value(values, _strip_to_missing)
        if column == KIND:      # the kinds named line or block, from the trimmed ones
            return _Column(trimmed, kinds=per_value(
                trimmed, lambda distinct: _lookup(distinct.str.lower(), KIND_ALIASES)))
        return _Column(trimmed)

    def column(self, kind: str, column: str) -> _Column:
        """The column made (its error raised now); times read from text made now."""
        made = self.done.get((kind, column))
        if made is None and kind == _TIMES:
            return _times(self.frame[column], self.timezone)
        if isinstance(made, _Failed):
            raise made.error
        return made


@dataclass(frozen=True)
class _Column:
    """A column :class:`_Made` made, and what its step looks at."""

    values: pd.Series                   #: the text trimmed, or the times parsed
    blank: np.ndarray | None = None     #: case and activity: missing or empty
    kinds: pd.Series | None = None      #: the unit kinds named line or block
    assumed: bool = False               #: times: some read in the zone
    missing: np.ndarray | None = None   #: times: no value
    unparsed: np.ndarray | None = None  #: times: a value that is no time


def _times(raw: pd.Series, timezone: str) -> _Column:
    """A column of times parsed, and which of its values are missing or no time."""
    parsed, assumed = parse_timestamps(raw, timezone=timezone)
    missing = raw.isna().to_numpy(dtype=bool)
    return _Column(parsed, assumed=assumed, missing=missing,
                   unparsed=parsed.isna().to_numpy(dtype=bool) & ~missing)


@dataclass(frozen=True)
class _Failed:
    """A column :class:`_Made` could not make: its error, raised at the column's step."""

    error: Exception


_TEXT, _TIMES = "text", "times"


def _text_times(values: pd.Series) -> bool:
    """Whether a column of times holds text (parsed at its step, in this thread)."""
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def per_value(values: pd.Series, change: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``change`` (text -> text) applied once per distinct value of a column, as a Categorical.

    A log has few distinct units, steps or cases next to its rows, so trimming and
    mapping the distinct values is cheap; the codes say which row holds which.
    Arrow's dictionary columns come as Categoricals already; :func:`as_text` makes the
    column plain text again.

    >>> trimmed = per_value(pd.Series([" a", "a ", None]), _strip)
    >>> trimmed.tolist(), list(trimmed.cat.categories)
    (['a', 'a', <NA>], ['a'])
    """
    # the values stay distinct as text: those of a factorize, and a Categorical's of text
    # (1 and "1" would not)
    distinct_text = True
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        distinct = pd.Series(values.cat.categories).astype("string")
        distinct_text = _is_text(values.cat.categories.dtype)
    else:
        if not pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
            values = values.astype("string")
        codes, uniques = pd.factorize(values)
        distinct = pd.Series(uniques, dtype="string")
    distinct = distinct.reset_index(drop=True)
    after = change(distinct)
    if after.equals(distinct):      # nothing changed (most columns): the codes stay
        remap, changed = None, distinct.array
    else:
        remap, changed = pd.factorize(after)
    # a missing value (code -1) stays missing; codes as small as the Categorical keeps them
    small = next(t for t in (np.int8, np.int16, np.int32, np.int64)
                 if len(changed) < np.iinfo(t).max)
    codes = (codes if remap is None else np.append(remap, -1)[codes]).astype(small, copy=False)
    made = (distinct_categorical(codes, changed) if remap is not None or distinct_text
            else pd.Categorical.from_codes(codes, categories=changed, validate=False))
    return pd.Series(made, index=values.index, name=values.name)


def _is_text(dtype: Any) -> bool:
    """pandas' text dtypes (``str``, ``string``), not object."""
    return isinstance(dtype, pd.StringDtype)


def distinct_categorical(codes: np.ndarray, categories: Any) -> pd.Categorical:
    """``pd.Categorical.from_codes(codes, categories, validate=False)`` for ``categories``
    known to be distinct and never missing (an Arrow dictionary, a factorize's values):
    pandas' check of them, a hash of each (0.03 s for the 430,000 case ids of a
    5M-event log, each time a Categorical of them is made), is left out where this
    pandas lets it be; the same Categorical.

    >>> distinct_categorical(np.array([1, -1, 0], dtype=np.int8), ["a", "b"]).tolist()
    ['b', nan, 'a']
    """
    index = pd.Index(categories)
    try:
        dtype = pd.CategoricalDtype._from_fastpath(index, ordered=False)
    except AttributeError:      # (a pandas without it: checked)
        dtype = pd.CategoricalDtype(index, ordered=False)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def sorted_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)`` of a Categorical text column, from its codes
    (no pass over the text): a code per row (-1: missing) and the distinct values present,
    sorted, as :func:`procmine.abstractions.column_codes` keeps them.

    >>> codes, names = sorted_codes(pd.Series(["b", None, "a", "b"], dtype="category"))
    >>> codes.tolist(), names.tolist()
    ([1, -1, 0, 1], ['a', 'b'])
    """
    return sorted_present(values.cat.codes.to_numpy(),
                          np.asarray(values.cat.categories, dtype=object))


def as_text(events: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The Categorical ``columns`` of ``events`` as plain text (pandas' ``str``), in place
    (:func:`~procmine.log.coded_text`); ``read_log`` leaves this to the log
    (:meth:`~procmine.log.EventLog.keep_coded`), which does it on first use."""
    for column in columns:
        if column in events.columns and isinstance(events[column].dtype, pd.CategoricalDtype):
            events[column] = coded_text(events[column])
    return events


def _strip(text: pd.Series) -> pd.Series:
    return text.str.strip()


def _strip_to_missing(text: pd.Series) -> pd.Series:
    text = text.str.strip()
    return text.mask(text == "", pd.NA)


def _blank(values: pd.Series) -> np.ndarray:
    """Rows of a Categorical text column that are missing or empty."""
    codes = values.cat.codes.to_numpy()
    empty = np.append((values.cat.categories == "").to_numpy(dtype=bool), True)
    return empty[codes]


def map_values(values: pd.Series, table: Mapping[str, str]) -> pd.Series:
    """Map a text column through ``table`` (unknown values become NA), once per distinct value.

    >>> map_values(pd.Series(["a", "b"]), {"a": "x"}).tolist()
    ['x', <NA>]
    """
    return per_value(values, lambda distinct: _lookup(distinct, table)).astype("string")


def _lookup(distinct: pd.Series, table: Mapping[str, str]) -> pd.Series:
    return pd.Series([table.get(str(u)) for u in distinct], index=distinct.index, dtype="string")


def _where(fmt: str | None) -> str:
    return {"xes": "event", "parquet": "record"}.get(fmt or "", "row")


def shown_value(value: Any) -> str:
    """A value as the load report quotes it: ``(empty)`` when missing, cut at 40 characters.

    >>> shown_value(None), shown_value("x" * 41)[-5:]
    ('(empty)', 'xx...')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(empty)"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_levels(levels: Sequence[str]) -> tuple[str, ...]:
    """The levels as given, bottom up; SpecError when one is empty or named twice (its
    rank would be ambiguous).

    >>> check_levels(["网格", "街镇"])
    ('网格', '街镇')
    """
    names = tuple(str(name).strip() for name in levels)
    hint = "name each level once, bottom up, e.g. --levels 网格,居村,街镇,区,市"
    if "" in names:
        raise SpecError(f"levels {','.join(names)}: a level without a name", hint=hint)
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise SpecError(f"levels {','.join(names)}: {', '.join(twice)} named twice", hint=hint)
    return names


def name_levels(events: pd.DataFrame, levels: Sequence[str] | None,
                report: LoadReport) -> tuple[str, ...]:
    """Normalise level names; returns the ordered level list of the log."""
    if levels:
        names = check_levels(levels)
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
    mapped = per_value(values, lambda distinct: _lookup(distinct.str.lower(), LEVEL_ALIASES))
    unknown = values.notna() & mapped.isna()
    if unknown.any():
        report.notes.append(
            f"{int(unknown.sum()):,} level values not in 网格<居村<街镇<区<市 "
            f"({', '.join(map(str, values[unknown].unique()[:5]))}); give --levels bottom up")
        # the values of no level keep their text
        mapped = per_value(values, lambda distinct: _lookup(distinct.str.lower(), LEVEL_ALIASES)
                           .fillna(distinct))
    events[LEVEL] = mapped
    return DEFAULT_LEVELS


def level_table(levels: Sequence[str] | None) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``raw`` (lower-cased value as read) -> ``rank`` and ``name``, and the level names,
    as read_log maps them.

    Without ``levels`` the aliases of ``procmine.log`` (grid, 街道, ...) map onto
    the default levels; with ``levels`` each value is its own name (``exact``).
    """
    if levels:
        names = check_levels(levels)
        return pd.DataFrame({"raw": list(names), "rank": np.arange(len(names)),
                             "name": list(names), "exact": True}), names
    rank = {name: i for i, name in enumerate(DEFAULT_LEVELS)}
    raw = list(LEVEL_ALIASES)
    return pd.DataFrame({"raw": raw, "rank": [rank[LEVEL_ALIASES[r]] for r in raw],
                         "name": [LEVEL_ALIASES[r] for r in raw], "exact": False}), DEFAULT_LEVELS


def kind_table() -> pd.DataFrame:
    """``raw`` (lower-cased) -> ``name`` (line or block): read_log's 条/块 aliases."""
    return pd.DataFrame({"raw": list(KIND_ALIASES), "name": list(KIND_ALIASES.values())})
