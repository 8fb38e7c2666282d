"""The variants table of ``procmine variants``: counts, shares and median case durations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from procmine.errors import SpecError

if TYPE_CHECKING:
    from procmine.engines import Engine
    from procmine.log import EventLog


@dataclass(frozen=True)
class VariantSummary:
    """The variants of a log with their counts and case durations.

    ``table`` columns: ``variant`` (0 = most frequent), ``cases``, ``share``,
    ``cumulative`` (share of cases in this and all more frequent variants),
    ``median_duration`` (seconds, first to last event), ``length`` (events) and
    ``activities`` (the sequence joined by `` → ``).
    """

    table: pd.DataFrame
    cases: int
    variants: int


def variant_summary(log: EventLog | Engine, *, top: int | None = None) -> VariantSummary:
    """Each variant of ``log`` with count, share, cumulative share and median case duration.

    ``log`` is an EventLog or an open engine (:mod:`procmine.engines`).

    >>> from procmine.read import read_log
    >>> s = variant_summary(read_log("logs/sample.csv"), top=3)
    >>> s.table.columns.tolist()[:4]
    ['variant', 'cases', 'share', 'cumulative']
    """
    if top is not None and top < 1:
        raise SpecError(f"top={top}: give a positive number of variants")
    from procmine.engines import as_engine

    engine = as_engine(log)
    v, per_case = engine.variants(), engine.cases(columns=["variant", "duration"])
    median = per_case.groupby("variant")["duration"].median()
    table = v.table
    total = int(table["cases"].sum()) if len(table) else 0
    out = pd.DataFrame({
        "variant": table["variant"].astype(int),
        "cases": table["cases"].astype(int),
        "share": table["share"].astype(float),
        "cumulative": table["cases"].cumsum() / total if total else table["share"],
        "median_duration": table["variant"].map(median).astype(float),
        "length": table["length"].astype(int),
        "activities": [" → ".join(map(str, a)) for a in table["activities"]],
    })
    if top is not None:
        out = out.head(top)
    return VariantSummary(out.reset_index(drop=True), total, len(table))
