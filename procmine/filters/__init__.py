"""Filters: engine operations that narrow a log to some of its cases and events.

Each filter is a small frozen dataclass; :class:`FilterChain` applies them in
order (a filter set file, docs/filters.md), and :func:`apply_filters` narrows an
engine to what they keep, the same on pandas, DuckDB and Spark, so every
analysis after it sees a smaller log.

>>> from procmine.read import read_log
>>> from procmine.filters import Endpoint, FilterChain, TopVariants, apply_filters
>>> done = apply_filters(read_log("logs/sample.csv"),
...                      FilterChain((TopVariants(5), Endpoint(("结案",), end=True))))
>>> [step.cases for step in done.steps]
[1761, 1115]
"""

from procmine.filters.chain import FilterChain, Filtered, Step, apply_filters, filtered_events
from procmine.filters.definitions import (
    TIME_MODES,
    Activities,
    ActivityCoverage,
    CaseAttribute,
    CaseIds,
    Duration,
    Endpoint,
    EventCount,
    EventValues,
    Follows,
    TimeFrame,
    TopVariants,
    VariantCoverage,
    VariantIds,
    VariantMinShare,
    WithEvent,
)
from procmine.filters.selection import EventRule, Selection, TimeWithin, ValuesIn
from procmine.filters.text import FILTER_NAMES, build_filter

__all__ = [
    "FILTER_NAMES", "TIME_MODES", "Activities", "ActivityCoverage", "CaseAttribute", "CaseIds",
    "Duration", "Endpoint", "EventCount", "EventRule", "EventValues", "FilterChain", "Filtered",
    "Follows", "Selection", "Step", "TimeFrame", "TimeWithin", "TopVariants", "ValuesIn",
    "VariantCoverage", "VariantIds", "VariantMinShare", "WithEvent", "apply_filters",
    "build_filter", "filtered_events",
]
