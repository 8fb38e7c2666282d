"""A filter chain: filters applied in order, each to what the one before it kept."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from procmine.errors import SpecError


@dataclass(frozen=True)
class FilterChain:
    """Filters in the order they apply (a filter set file, or the command-line options).

    >>> from procmine.filters import FilterChain, TopVariants
    >>> bool(FilterChain()), len(FilterChain((TopVariants(10),)))
    (False, 1)
    """

    filters: tuple[Any, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.filters)

    def __len__(self) -> int:
        return len(self.filters)

    def __add__(self, other: FilterChain) -> FilterChain:
        return FilterChain(self.filters + other.filters)

    @classmethod
    def from_yaml(cls, path: str, *, timezone: str = "Asia/Shanghai") -> FilterChain:
        """Read a filter set: a YAML list (or ``filters:`` list) of one-key entries named
        as the command-line options, applied in the order written::

            filters:
              - time: {from: 2024-01-01, to: 2024-06-30, mode: contained}
              - where: 类别=占道经营,违章搭建
              - top-variants: 10
              - ends-with: 结案
        """
        import yaml

        from procmine.errors import InputError
        from procmine.yamlsafe import check_yaml_text, describe_yaml_error

        try:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
        except OSError as e:
            raise InputError(f"{path}: {e.strerror or e}") from None
        check_yaml_text(text, path)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise SpecError(f"{path}: {describe_yaml_error(e)}") from None
        if isinstance(data, dict):
            data = data.get("filters")
        if not isinstance(data, list):
            raise SpecError(f"{path}: a filter set is a list of filters",
                            hint="write 'filters:' and one '- name: value' line per filter "
                                 "(docs/filters.md)")
        return cls(tuple(_entry(item, path, timezone) for item in data))


def _entry(item: Any, path: str, timezone: str) -> Any:
    from procmine.filters.text import build_filter

    if not isinstance(item, dict) or len(item) != 1:
        raise SpecError(f"{path}: each filter is one 'name: value' entry, not {item!r}")
    (name, value), = item.items()
    if name in ("from", "to"):
        raise SpecError(f"{path}: write a period as 'time: {{from: ..., to: ..., mode: ...}}'")
    try:
        return build_filter(str(name), value, timezone=timezone)
    except SpecError as e:
        raise SpecError(f"{path}: {e.message}", hint=e.hint) from None


@dataclass(frozen=True)
class Step:
    """What one filter kept: its description, and the cases and events left after it."""

    filter: str
    cases: int
    events: int

    def to_dict(self) -> dict[str, Any]:
        return {"filter": self.filter, "cases": self.cases, "events": self.events}


@dataclass(frozen=True)
class Filtered:
    """The engine over the kept events, and the steps (cases and events before: ``before``)."""

    engine: Any
    steps: tuple[Step, ...] = ()
    before: tuple[int, int] = (0, 0)

    def lines(self) -> list[str]:
        """One line per step, for stderr."""
        cases, events = self.before
        out = []
        for step in self.steps:
            out.append(f"Filter {step.filter}: kept {step.cases:,} of {cases:,} cases, "
                       f"{step.events:,} of {events:,} events")
            cases, events = step.cases, step.events
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"before": {"cases": self.before[0], "events": self.before[1]},
                "steps": [s.to_dict() for s in self.steps]}


def apply_filters(log: Any, chain: FilterChain | Iterable[Any], *,
                  progress: Callable[[str], None] | None = None) -> Filtered:
    """Apply the filters in order; each engine narrows itself to what each one keeps.

    ``log`` is an EventLog or an open engine; the result's ``engine`` answers for the
    kept events only (the pandas engine: a new log; DuckDB and Spark narrow their own
    event table, so the engine given is the engine returned).

    >>> from procmine.read import read_log
    >>> from procmine.filters import FilterChain, TopVariants, apply_filters
    >>> done = apply_filters(read_log("logs/sample.csv"), FilterChain((TopVariants(3),)))
    >>> done.steps[0].filter, done.steps[0].cases
    ('top 3 variants', 1511)
    """
    from procmine.engines import as_engine

    engine = as_engine(log)
    filters = chain.filters if isinstance(chain, FilterChain) else tuple(chain)
    totals = engine.totals()
    before = (totals.cases, totals.events)
    steps = []
    # the parts a filter reads are not the analysis the engine's progress reports
    reporter, engine.progress = engine.progress, None
    for item in filters:
        if progress is not None:
            progress(f"filter {item.describe()}")
        engine = engine.narrowed(item.select(engine))
        engine.progress = None
        totals = engine.totals()
        steps.append(Step(item.describe(), totals.cases, totals.events))
    engine.progress = reporter
    return Filtered(engine, tuple(steps), before)


def filtered_events(engine: Any) -> pd.DataFrame:
    """The kept events of an engine as one table (to write the filtered log)."""
    frames = [part.events for part in engine.event_logs()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
