"""The choices of the library's parameters, defined once, as ``Literal`` types and tuples.

The analyses annotate their parameters with these types and check values against
the tuples; the command line builds its ``click.Choice`` lists from the same
tuples, so an option offers exactly what the function accepts. This module imports
nothing heavy (``procmine --help`` loads no pandas, numpy or pm4py).

>>> ALGORITHMS
('inductive', 'heuristics', 'alpha', 'dfg')
>>> "median-wait" in METRICS
True
"""

from __future__ import annotations

from typing import Literal, get_args

#: ``get_engine(name)`` and ``--engine``: ``auto`` picks pandas or DuckDB by size.
EngineName = Literal["auto", "pandas", "duckdb", "spark"]
ENGINES: tuple[str, ...] = get_args(EngineName)

#: ``discover_map(metric=)`` and ``procmine map --metric``.
Metric = Literal["frequency", "cases", "mean-wait", "median-wait", "p90-wait", "total-wait"]
METRICS: tuple[str, ...] = get_args(Metric)
#: ``discover_map(by=)``: split the map's counts by unit or level.
GroupBy = Literal["unit", "level"]
MAP_BY: tuple[str, ...] = get_args(GroupBy)

#: ``discover_model(algorithm=)`` and ``procmine discover --algorithm``.
Algorithm = Literal["inductive", "heuristics", "alpha", "dfg"]
ALGORITHMS: tuple[str, ...] = get_args(Algorithm)
#: How a discovered model is drawn (``render_model(notation=)``).
Notation = Literal["petri", "bpmn", "tree"]
NOTATIONS: tuple[str, ...] = get_args(Notation)
#: How an intended workflow is drawn (``render_workflow(notation=)``).
WorkflowNotation = Literal["bpmn", "petri"]
WORKFLOW_NOTATIONS: tuple[str, ...] = get_args(WorkflowNotation)

#: ``check_conformance(method=)`` and ``procmine conform --method``.
ConformMethod = Literal["alignments", "tokens"]
CONFORM_METHODS: tuple[str, ...] = get_args(ConformMethod)

#: ``find_bottlenecks(by=)`` and ``procmine bottlenecks --by``.
BottleneckBy = Literal["transition", "activity", "unit", "level", "category", "month"]
BOTTLENECK_BY: tuple[str, ...] = get_args(BottleneckBy)
#: ``find_loops(by=)`` and ``procmine loops --by``.
LoopBy = Literal["unit", "level", "category", "month", "source"]
LOOP_BY: tuple[str, ...] = get_args(LoopBy)

#: ``unit_network(kind=)`` and ``procmine network --type``.
NetworkKind = Literal["handover", "together", "escalation"]
NETWORK_KINDS: tuple[str, ...] = get_args(NetworkKind)

#: The language of labels in reports and simulated logs.
Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = get_args(Lang)

#: ``TimeFrame(mode=)`` and ``--time-mode``: which cases a period keeps (docs/filters.md).
TimeMode = Literal["contained", "intersecting", "started", "completed", "trim"]
TIME_MODES: tuple[str, ...] = get_args(TimeMode)
