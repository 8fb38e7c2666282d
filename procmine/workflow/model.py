"""The intended workflow as data: the :class:`Workflow` read from a YAML spec, a BPMN
or a PNML file, its legitimate extra paths (:class:`ExtraPath`) and its Petri net
(:class:`PetriNetModel`), which a workflow from YAML builds from its process tree
once and keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from procmine.errors import SpecError
from procmine.workflow.deadline import Deadline
from procmine.workflow.tree import Node, _to_pm4py_tree, _tree_to_net


@dataclass(frozen=True)
class ExtraPath:
    """A legitimate extra path: leave the main line after ``source``, take ``steps``,
    rejoin at ``target``. ``kind`` is ``back`` (a loop: the target is at or before the
    source) or ``ahead`` (a detour instead of the steps between source and target).
    ``distinct_units``: each time the path is taken, the order must reach a unit that
    has not returned it before (a unit that returned it and gets it back is ping-pong).
    """

    source: str
    steps: tuple[str, ...]
    target: str
    kind: Literal["back", "ahead"]
    repeat: bool = False
    distinct_units: bool = False
    line: int | None = None

    def __str__(self) -> str:
        return " -> ".join((self.source, *self.steps, self.target))


@dataclass(frozen=True)
class PetriNetModel:
    """A pm4py Petri net with its initial and final marking."""

    net: Any
    initial: Any
    final: Any

    @property
    def n_places(self) -> int:
        return len(self.net.places)

    @property
    def n_transitions(self) -> int:
        return len(self.net.transitions)

    @property
    def n_silent(self) -> int:
        return sum(1 for t in self.net.transitions if t.label is None)


@dataclass(frozen=True)
class Workflow:
    """An intended workflow, read from YAML, BPMN or PNML.

    ``steps``: every step of the model, in the order of the spec; ``main``: the
    main line (``steps:`` of the YAML); ``names``: each known spelling -> step
    name; ``aliases``: each spelling -> role of procmine.vocabulary (for the loops
    and bottlenecks analyses); ``tree``: the process tree (YAML only).
    """

    name: str
    path: str | None
    format: Literal["yaml", "bpmn", "pnml"]
    steps: tuple[str, ...]
    main: tuple[str, ...] = ()
    outline: str = ""
    exceptions: tuple[str, ...] = ()
    optional: frozenset[str] = frozenset()
    repeatable: frozenset[str] = frozenset()
    paths: tuple[ExtraPath, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    deadlines: tuple[Deadline, ...] = ()
    levels: tuple[str, ...] | None = None
    tree: Node | None = None
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def step_of(self, name: str) -> str | None:
        """The step a spelling stands for (the step itself, an alias), or None."""
        key = str(name).strip()
        return self.names.get(key) or self.names.get(key.lower())

    def deadline_for(self, category: str | None) -> Deadline | None:
        """The deadline of a category, else the catch-all one, else None."""
        for d in self.deadlines:
            if d.category is not None and d.category == category:
                return d
        return next((d for d in self.deadlines if d.category is None), None)

    def petri_net(self) -> PetriNetModel:
        """The workflow as a pm4py Petri net (built once, then cached)."""
        if "net" not in self._cache:
            if self.tree is None:  # pragma: no cover - BPMN/PNML nets are set when read
                raise SpecError(f"{self.path}: no model")
            self._cache["net"] = PetriNetModel(*_tree_to_net(self.tree))
        return self._cache["net"]

    def bpmn(self) -> Any:
        """The workflow as a pm4py BPMN graph (for drawing)."""
        if "bpmn" not in self._cache:
            import pm4py

            if self.tree is not None:
                self._cache["bpmn"] = pm4py.convert_to_bpmn(_to_pm4py_tree(self.tree))
            else:
                m = self.petri_net()
                self._cache["bpmn"] = pm4py.convert_to_bpmn(m.net, m.initial, m.final)
        return self._cache["bpmn"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "path": self.path, "format": self.format,
            "steps": list(self.steps), "main": list(self.main), "outline": self.outline, "exceptions": list(self.exceptions),
            "optional": sorted(self.optional), "repeatable": sorted(self.repeatable),
            "paths": [{"path": str(p), "kind": p.kind, "repeat": p.repeat,
                       "distinct_units": p.distinct_units} for p in self.paths],
            "aliases": dict(self.names),
            "roles": dict(self.aliases),
            "deadlines": [{"category": d.category or "*", "from": d.start, "to": d.end,
                           "amount": d.amount, "unit": d.unit, "working": d.working,
                           "text": d.text} for d in self.deadlines],
            "levels": list(self.levels) if self.levels else None,
            "tree": str(self.tree) if self.tree is not None else None,
        }
