"""The event log: canonical column names, the ``EventLog`` and its ``LoadReport``.

Inside procmine every log uses pm4py's XES names, so each pm4py function takes
``log.events`` as it is. User column names are mapped once, at the edge (``procmine.read``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

CASE = "case:concept:name"
ACTIVITY = "concept:name"
TIMESTAMP = "time:timestamp"
START = "start_timestamp"
RESOURCE = "org:resource"
LEVEL = "org:level"
KIND = "org:kind"
CATEGORY = "case:category"
SOURCE = "case:source"
DEADLINE = "case:deadline"
#: Who made the demand (a hashed phone or ID) and where (an address or grid cell).
CITIZEN = "case:citizen"
ADDRESS = "case:address"

REQUIRED = (CASE, ACTIVITY, TIMESTAMP)
OPTIONAL = (START, RESOURCE, LEVEL, KIND, CATEGORY, SOURCE, DEADLINE, CITIZEN, ADDRESS)

#: Administrative levels, bottom up. Chinese names and their English aliases.
DEFAULT_LEVELS = ("网格", "居村", "街镇", "区", "市")
LEVEL_ALIASES = {
    "grid": "网格", "网格": "网格",
    "community": "居村", "village": "居村", "居村": "居村", "居委": "居村", "村委": "居村",
    "社区": "居村", "居委/村委": "居村",
    "street": "街镇", "town": "街镇", "街镇": "街镇", "街道": "街镇", "镇": "街镇",
    "district": "区", "区": "区", "县": "区",
    "city": "市", "市": "市",
}
#: 条 (line: functional department) and 块 (block: territorial government).
KIND_ALIASES = {
    "line": "line", "条": "line", "department": "line", "部门": "line",
    "block": "block", "块": "block", "territorial": "block", "属地": "block",
}


@dataclass
class LoadReport:
    """What reading a file did: mapping chosen, rows read, kept and dropped per reason.

    ``examples`` holds the first few dropped rows per reason as
    ``(file_row, column, value)``; ``file_row`` counts from 1 at the first data row
    of a table file (the header is row 1, so the first data row is row 2).
    """

    path: str | None = None
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    timezone: str | None = None
    timezone_assumed: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    mapping_detected: dict[str, bool] = field(default_factory=dict)
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    duplicates: int = 0
    cases_lost: int = 0
    #: the log had no times: the order of its events stands for them (``order_as_time``)
    time_from_order: bool = False
    repaired: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the file's columns in order, read or not (not in :meth:`to_dict`, as the two below)
    columns: list[str] = field(default_factory=list)
    #: the file's columns ``read_log(..., needs=...)`` left out, in file order (they keep
    #: their place in ``mapping`` and in ``EventLog.attributes``)
    not_read: list[str] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def column_named(self, name: str) -> str:
        """The events' column the file's header ``name`` was read into: a mapped header
        its canonical name, any other name as it is.

        >>> LoadReport(mapping={CASE: "工单编号"}).column_named("工单编号")
        'case:concept:name'
        """
        return next((canonical for canonical, header in self.mapping.items() if header == name), name)

    def drop(self, reason: str, count: int, examples: list[tuple[int, str, str]]) -> None:
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)
            self.examples.setdefault(reason, []).extend(examples[: 5 - len(self.examples.get(reason, []))])

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "timezone": self.timezone,
            "timezone_assumed": self.timezone_assumed,
            "mapping": self.mapping,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_dropped": self.rows_dropped,
            "dropped": self.dropped,
            "examples": {k: [list(e) for e in v] for k, v in self.examples.items()},
            "duplicates": self.duplicates,
            "cases_lost": self.cases_lost,
            "repaired": self.repaired,
            "notes": self.notes,
            # only when set: the JSON of every log with times stays as it was
            **({"time_from_order": True} if self.time_from_order else {}),
        }


class CaseCodes(NamedTuple):
    """The cases of an event log as positions (see :meth:`EventLog.case_codes`)."""

    codes: np.ndarray      #: per event, the case code (0 = the first case)
    starts: np.ndarray     #: per case, the index of its first event
    lengths: np.ndarray    #: per case, its number of events


#: one column made text at a time (see :meth:`EventLog._make_text`)
_MAKING_TEXT = threading.Lock()


class _Events:
    """``EventLog.events``. Set, the frame is kept with its text in pandas' ``str``
    (:func:`pm4py_strings`); got, the text columns a reader left coded
    (:meth:`EventLog.keep_coded`) are made text first, in place: the frame is the same
    object before and after, and the same to every caller."""

    def __get__(self, log: Any, owner: Any = None) -> pd.DataFrame:
        if log is None:
            raise AttributeError("events")   # (so the dataclass field has no default)
        for column in list(log.__dict__["_coded"]):
            log._make_text(column)
        return log.__dict__["_events"]

    def __set__(self, log: Any, frame: pd.DataFrame) -> None:
        log.__dict__["_events"] = pm4py_strings(frame)
        log.__dict__["_coded"] = []


@dataclass
class EventLog:
    """An event log in canonical columns, one row per event.

    ``events`` is sorted by case (in order of first appearance), then timestamp;
    events of a case with equal timestamps keep file order. ``time:timestamp`` is
    timezone-aware in ``timezone``. ``org:level`` (when present) holds level names
    from ``levels``, ordered bottom up.

    >>> from procmine.read import read_log
    >>> log = read_log("logs/sample.csv")
    >>> log.n_cases, log.n_events
    (3000, 34609)
    """

    events: pd.DataFrame = _Events()   # type: ignore[assignment]
    report: LoadReport = field(default_factory=LoadReport)
    levels: tuple[str, ...] = DEFAULT_LEVELS
    timezone: str = "Asia/Shanghai"

    @property
    def n_events(self) -> int:
        return len(self.__dict__["_events"])

    @property
    def n_cases(self) -> int:
        codes = self.case_codes().codes
        return int(codes.max()) + 1 if len(codes) else 0

    @property
    def n_activities(self) -> int:
        # (a Categorical counts the values present, as the text would)
        return int(self.__dict__["_events"][ACTIVITY].nunique())

    def has(self, column: str) -> bool:
        """True when the log has the column with at least one value."""
        frame = self.__dict__["_events"]
        return column in frame.columns and bool(frame[column].notna().any())

    def is_text(self, name: str) -> bool:
        """Whether column ``name`` holds text (pandas' string dtypes), or will when it is
        used (a column a reader left coded), without making that text."""
        import pandas as pd

        return (name in self.__dict__["_coded"]
                or isinstance(self.__dict__["_events"][name].dtype, pd.StringDtype))

    @property
    def column_names(self) -> list[str]:
        """The names of the columns of ``events`` (none of its text is made for them)."""
        return list(self.__dict__["_events"].columns)

    def column(self, name: str, *, rows: np.ndarray | None = None) -> pd.Series:
        """``events[name]``, or ``events[name].iloc[rows]`` with ``rows`` (positions),
        without making the text of the columns a reader left coded but this one (of
        this one, with ``rows``, only that of the rows asked for).

        >>> from procmine.read import read_log
        >>> log = read_log("tests/fixtures/orders16.csv")
        >>> log.column(CASE, rows=[0, 15]).tolist()
        ['GD001', 'GD003']
        """
        frame = self.__dict__["_events"]
        if name not in self.__dict__["_coded"]:
            return frame[name] if rows is None else frame[name].iloc[rows]
        return self._make_text(name) if rows is None else coded_text(frame[name].iloc[rows])

    def factorized(self, name: str, *, sort: bool) -> tuple[np.ndarray, np.ndarray]:
        """``pd.factorize(events[name], sort=sort)``: per event, a code (-1 where missing),
        and the distinct values as an object array. A column a reader left coded is coded
        from its Categorical's codes: no pass over the text, and none of it made.

        >>> import pandas as pd
        >>> log = EventLog(pd.DataFrame({CASE: ["a", "a", "b"],
        ...                              ACTIVITY: pd.Categorical(["y", None, "x"])}))
        >>> log.keep_coded([ACTIVITY])
        >>> codes, names = log.factorized(ACTIVITY, sort=False)
        >>> codes.tolist(), names.tolist()
        ([0, -1, 1], ['y', 'x'])
        """
        import numpy as np
        import pandas as pd

        with _MAKING_TEXT:          # (another thread may be making the column text)
            coded = name in self.__dict__["_coded"]
            values = self.__dict__["_events"][name]
        if not coded:
            codes, uniques = pd.factorize(self.column(name), sort=sort)
            return codes, np.asarray(uniques, dtype=object)
        from procmine.grouping import first_appearance, sorted_present

        renumbered = sorted_present if sort else first_appearance
        return renumbered(values.cat.codes.to_numpy(), np.asarray(values.cat.categories, dtype=object))

    @property
    def attributes(self) -> list[str]:
        """Columns beyond the canonical ones, kept as they were read; with those
        ``read_log(..., needs=...)`` left out (``report.not_read``), in file order."""
        canonical = set(REQUIRED) | set(OPTIONAL)
        read = [c for c in self.column_names if c not in canonical]
        if not self.report.not_read:
            return read
        names = canonical_names(self.report.columns, self.report.mapping).values()
        in_file = [n for n in names if n not in canonical]
        return in_file + [c for c in read if c not in in_file]

    def keep_coded(self, columns: Sequence[str]) -> None:
        """Keep the Categorical text ``columns`` of ``events`` as they are until they are
        used: ``events`` (or :meth:`column`) then makes each one pandas' ``str``, a value
        per row. A reader whose text columns are coded spares the commands that never look
        at a column's text its time and memory (at 5M events, 0.4 s and 400 MB)."""
        import pandas as pd

        frame = self.__dict__["_events"]
        self.__dict__["_coded"] = [c for c in columns if c in frame.columns
                                   and isinstance(frame[c].dtype, pd.CategoricalDtype)]

    def _make_text(self, name: str) -> pd.Series:
        """The coded column ``name`` made text in ``events``, in place (once, whichever
        threads ask at the same time)."""
        frame = self.__dict__["_events"]
        with _MAKING_TEXT:
            if name in self.__dict__["_coded"]:
                frame[name] = coded_text(frame[name])
                self.__dict__["_coded"].remove(name)
        return frame[name]

    def case_codes(self) -> CaseCodes:
        """Where the cases are: the case code of each event (0, 1, ... in order of first
        appearance), and the first event and number of events of each case.

        Events are grouped by case (``read_log`` sorts them so), so each case is one
        run of rows. Computed once and kept with the log (until ``events`` is replaced).

        >>> import pandas as pd
        >>> log = EventLog(pd.DataFrame({CASE: ["a", "a", "b", "c", "c", "c"]}))
        >>> codes = log.case_codes()
        >>> codes.codes.tolist(), codes.starts.tolist(), codes.lengths.tolist()
        ([0, 0, 1, 2, 2, 2], [0, 2, 3], [2, 1, 3])
        """
        kept = self._kept()
        if "case" in kept:
            return kept["case"]
        import pandas as pd

        return self.know_case_codes(pd.factorize(self.column(CASE), sort=False)[0])

    def know_case_codes(self, codes: np.ndarray) -> CaseCodes:
        """Keep ``codes`` (each event's case, numbered 0, 1, ... in order of first
        appearance, as ``pd.factorize`` gives them) as the log's :meth:`case_codes`: a
        reader that has them spares the analyses a pass over the case ids."""
        import numpy as np

        codes = np.asarray(codes).astype(np.int64, copy=False)
        if len(codes) == 0:
            starts = np.zeros(0, dtype=np.int64)
        else:
            # neighbours compared, not subtracted: no array of differences in int64
            starts = np.concatenate(([0], np.flatnonzero(codes[1:] != codes[:-1]) + 1)).astype(np.int64)
        lengths = np.diff(np.append(starts, len(codes))).astype(np.int64)
        result = CaseCodes(codes, starts, lengths)
        self._kept()["case"] = result
        return result

    def kept_column_codes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The codes of columns kept with the log, by column (see
        :func:`procmine.abstractions.column_codes`): emptied when ``events`` is replaced."""
        return self._kept().setdefault("columns", {})

    def _kept(self) -> dict[str, Any]:
        """What is kept with the log about its events (case and column codes), emptied
        when ``events`` is replaced or changes length: the one rule for both."""
        kept = self.__dict__.get("_kept_codes")
        events = self.__dict__["_events"]
        if kept is None or kept[0] is not events or kept[1] != len(events):
            kept = (events, len(events), {})
            self.__dict__["_kept_codes"] = kept
        return kept[2]

    def know_column_codes(self, column: str, codes: np.ndarray, names: Sequence[Any]) -> None:
        """Keep ``codes`` (each event's code of ``column``, -1 where missing) and ``names``
        (the distinct values, sorted, as ``pd.factorize(..., sort=True)`` gives them) as
        the column's :func:`procmine.abstractions.column_codes`: an engine that has them
        (the DuckDB engine's ENUM columns) spares the analyses a pass over the text.

        >>> import pandas as pd
        >>> log = EventLog(pd.DataFrame({CASE: ["a", "a", "b"], ACTIVITY: ["y", None, "x"]}))
        >>> log.know_column_codes(ACTIVITY, [1, -1, 0], ["x", "y"])
        >>> log.kept_column_codes()[ACTIVITY][1].tolist()
        ['x', 'y']
        >>> log.events = log.events.iloc[:2]        # other events: the codes are dropped
        >>> log.kept_column_codes()
        {}
        """
        import numpy as np

        codes = np.asarray(codes).astype(np.int64, copy=False)
        codes.flags.writeable = False   # shared: no analysis may change them
        self.kept_column_codes()[column] = (codes, np.asarray(names, dtype=object))

    def level_rank(self) -> pd.Series:
        """The level of each event as its rank (0 = lowest), -1 where unknown."""
        import numpy as np
        import pandas as pd

        if LEVEL not in self.column_names:
            return pd.Series(-1, index=self.__dict__["_events"].index, dtype="int64")
        codes, uniques = pd.factorize(self.column(LEVEL))
        ranks = {name: i for i, name in enumerate(self.levels)}
        lookup = np.array([ranks.get(u, -1) for u in uniques] + [-1], dtype=np.int64)
        return pd.Series(lookup[codes], index=self.__dict__["_events"].index)


def canonical_names(columns: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """The name each of a file's ``columns`` has among the events under ``mapping``
    ({canonical: file column}): mapped columns their canonical name; a column that happens
    to carry a canonical name mapped from another column becomes ``NAME (original)``.

    >>> canonical_names(["单号", "concept:name", "环节"], {CASE: "单号", ACTIVITY: "环节"})
    {'单号': 'case:concept:name', 'concept:name': 'concept:name (original)', '环节': 'concept:name'}
    """
    rename = {source: canonical for canonical, source in mapping.items()}
    return {c: rename.get(c, f"{c} (original)" if c in mapping else c) for c in columns}


def pm4py_strings(events: pd.DataFrame) -> pd.DataFrame:
    """``events`` with its text columns in pandas' own ``str`` dtype (Arrow, NaN for missing).

    pm4py's organisational functions (handover, working together, subcontracting)
    and its variant filters fail on the ``string`` dtype (``pd.NA`` for missing):
    a list of such values becomes an Arrow list that cannot be counted. The ``str``
    dtype holds the same Arrow array, so the change copies nothing.

    >>> import pandas as pd
    >>> pm4py_strings(pd.DataFrame({"a": pd.Series(["x", None], dtype="string")}))["a"].dtype
    <StringDtype(na_value=nan)>
    """
    import pandas as pd

    text = {c: "str" for c, dtype in events.dtypes.items()
            if isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA}
    return events.astype(text) if text else events


def coded_text(values: pd.Series) -> pd.Series:
    """A Categorical text column as pandas' ``str`` (Arrow, NaN for missing), each value
    written once per row. In this thread: Arrow's allocator gives each thread its own
    memory, and fresh threads took fresh pages of the system for the 500 MB of a 5M-event
    log's text (0.4 s more system time than in one thread, benchmarks/RESULTS.md).

    >>> import pandas as pd
    >>> coded_text(pd.Series(["b", None, "a"], dtype="category")).tolist()
    ['b', nan, 'a']
    """
    import pandas as pd
    import pyarrow as pa

    codes = values.cat.codes.to_numpy()
    distinct = pa.array(values.cat.categories.astype("str"), type=pa.large_string())
    text = distinct.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(text, dtype="str"), index=values.index, name=values.name)
