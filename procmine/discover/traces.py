"""The variants as pm4py meets them: counted traces in the order of their first case."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from procmine.abstractions import Variants
from procmine.log import ACTIVITY

if TYPE_CHECKING:
    from procmine.engines import Engine
    from procmine.log import EventLog

# pm4py's replayers show a tqdm progress bar unless told not to.
_QUIET = {"show_progress_bar": False}


@dataclass(frozen=True)
class _Traces:
    """The variants as pm4py meets them in a DataFrame sorted by case id.

    ``counts`` keeps each variant where its first case (in case-id order) comes;
    ``of_case`` is the position in ``counts`` of every case, in case-id order.
    pm4py sums per-case results in that order, so we do too (equal to the last bit).
    """

    counts: Counter
    of_case: np.ndarray

    @property
    def weights(self) -> list[int]:
        return list(self.counts.values())


def _traces(log: EventLog | Variants | Engine | _Traces) -> _Traces:
    from procmine.engines import as_engine

    if isinstance(log, _Traces):    # counted already (the report's model, in its own process)
        return log
    table = log if isinstance(log, Variants) else as_engine(log).variants()
    if len(table) == 0:
        return _Traces(Counter(), np.zeros(0, dtype=np.int64))
    by_case = table.of_case.sort_index(kind="stable").to_numpy()
    order = pd.unique(by_case)
    position = np.empty(len(table), dtype=np.int64)
    position[order] = np.arange(len(order))
    sequences = table.table["activities"].to_numpy()
    counts = table.table["cases"].to_numpy()
    # variant ids are row positions in the table (variant 0 is row 0)
    return _Traces(Counter({tuple(sequences[i]): int(counts[i]) for i in order}),
                   position[by_case])


def frequent_activities(traces: _Traces, n: int) -> list[str]:
    """The ``n`` activities with the most events (ties by name)."""
    events: Counter = Counter()
    for seq, count in traces.counts.items():
        for activity in seq:
            events[activity] += count
    return [a for a, _ in sorted(events.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def project_traces(traces: _Traces, keep: set[str]) -> _Traces:
    """The traces with only the activities in ``keep``; variants that become equal merge
    (where the first of them was), and every case follows its variant."""
    counts: Counter = Counter()
    moved = np.empty(len(traces.counts), dtype=np.int64)
    slots: dict[tuple, int] = {}
    for i, (seq, count) in enumerate(traces.counts.items()):
        kept = tuple(a for a in seq if a in keep)
        moved[i] = slots.setdefault(kept, len(slots))
        counts[kept] += count
    return _Traces(counts, moved[traces.of_case])


def trace_counts(log: EventLog | Variants | Engine) -> Counter:
    """``Counter({activity tuple: cases})`` in the order pm4py builds it from a DataFrame.

    pm4py's inductive miner sorts the events by case id, then keeps each variant
    where its first case (in that order) appears; we give it the same order so
    that even ties inside the miner break the same way.

    >>> from procmine.read import read_log
    >>> trace_counts(read_log("logs/sample.csv")).most_common(1)
    [(('上报', '受理', '立案', '派遣', '签收', '处置', '反馈', '核查', '结案'), 865)]
    """
    return _traces(log).counts


def _variant_log(counts: Counter):
    """A pm4py EventLog with one trace per variant (the order of ``counts``)."""
    from pm4py.objects.log.obj import Event, EventLog, Trace

    return EventLog([Trace([Event({ACTIVITY: a}) for a in seq]) for seq in counts])
