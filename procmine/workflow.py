"""The intended workflow: a small YAML spec, validated, turned into a Petri net and BPMN.

An analyst writes the closed loop as the rules intend it, in their own language:
the steps in order, the steps that may be skipped or repeated, alternatives,
parallel steps, the legitimate extra paths (a check fails and the unit handles
again; a unit returns the order and the centre redispatches it), aliases,
deadlines per category in working time, and the order of the levels.
docs/workflow.md describes the format; ``logs/workflow.yaml`` is a full example.

The spec becomes a process tree (sequence, choice, parallel, loop), which pm4py
turns into a sound workflow net: every step can happen and the end is always
reachable. A BPMN 2.0 file from a modeller (bpmn.io, Camunda Modeler) or a PNML
file can stand in for the YAML; XML is checked for entity bombs and external
entities before any parser sees it.

>>> wf = parse_workflow('''
... steps: [上报, 派遣, {step: 核查, optional: true}, 结案]
... exceptions: [退单, 改派]
... paths: ["派遣 -> 退单 -> 改派 -> 派遣"]
... ''')
>>> wf.main, sorted(wf.optional)
(('上报', '派遣', '核查', '结案'), ['核查'])
>>> wf.aliases["派遣"]
'dispatch'
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from procmine.errors import DependencyError, InputError, OutputError, SpecError
from procmine.log import DEFAULT_LEVELS, LEVEL_ALIASES
from procmine.vocabulary import STEPS, role_of

MAX_SPEC_BYTES = 1 << 20
MAX_MODEL_BYTES = 32 << 20
_MAX_NODES = 50_000
_ARROW = re.compile(r"\s*(?:->|→|=>|➜)\s*")
_START = {"start", "开始", "begin"}
_END = {"end", "结束", "finish"}
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}
_KNOWN_KEYS = ("name", "description", "language", "steps", "exceptions", "paths", "aliases",
               "roles", "deadlines", "levels")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Node:
    """A process-tree node: ``step`` (a visible step), ``tau`` (nothing), ``seq``,
    ``xor`` (one of), ``and`` (parallel) or ``loop`` (children: do, redo)."""

    kind: Literal["step", "tau", "seq", "xor", "and", "loop"]
    label: str | None = None
    children: tuple[Node, ...] = ()

    def __str__(self) -> str:
        if self.kind == "step":
            return str(self.label)
        if self.kind == "tau":
            return "τ"
        sign = {"seq": "→", "xor": "×", "and": "∧", "loop": "↺"}[self.kind]
        return f"{sign}(" + ", ".join(str(c) for c in self.children) + ")"


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
class Deadline:
    """A time limit from one step to another for one category (``None``: every
    category without its own rule). ``unit`` is ``hours`` or ``days``; ``working``
    says whether the amount counts working time (the usual case in city rules) or
    clock time. One working day is the length of one day's office hours of the
    working calendar (see procmine.calendar).

    >>> d = parse_deadline("派遣 -> 结案 within 5 working days", category="噪声扰民")
    >>> d.start, d.end, d.amount, d.unit, d.working
    ('派遣', '结案', 5.0, 'days', True)
    """

    category: str | None
    start: str
    end: str
    amount: float
    unit: Literal["hours", "days"]
    working: bool
    text: str = ""
    line: int | None = None

    def working_seconds(self, day_seconds: float = 7 * 3600) -> float | None:
        """The limit in seconds of working time, None for a clock-time limit."""
        if not self.working:
            return None
        return self.amount * (day_seconds if self.unit == "days" else 3600.0)

    def clock_seconds(self) -> float | None:
        """The limit in seconds of clock time, None for a working-time limit."""
        if self.working:
            return None
        return self.amount * (86_400.0 if self.unit == "days" else 3600.0)


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


# --------------------------------------------------------------------------- reading


def read_workflow(path: str | Path) -> Workflow:
    """Read an intended workflow: YAML (``.yaml``/``.yml``), BPMN 2.0 (``.bpmn``) or PNML.

    Raises SpecError naming the file, the line and the problem.

    >>> wf = read_workflow("logs/workflow.yaml")      # doctest: +SKIP
    >>> wf.main[:3]                                    # doctest: +SKIP
    ('上报', '受理', '核实')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".bpmn", ".pnml", ".xml"):
        data = _read_bytes(path, MAX_MODEL_BYTES)
        kind = "pnml" if suffix == ".pnml" or b"<pnml" in data[:4096] else "bpmn"
        return _read_pnml(data, path) if kind == "pnml" else _read_bpmn(data, path)
    data = _read_bytes(path, MAX_SPEC_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: not UTF-8 text (byte {e.start})",
                        hint="save the spec as UTF-8") from None
    return parse_workflow(text, source=str(path))


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise SpecError(f"{path}: {size:,} bytes is too large for a workflow "
                            f"(at most {limit:,})")
        return path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a folder, not a workflow file") from None
    except OSError as e:
        raise SpecError(f"{path}: cannot read: {e.strerror or e}") from None


def parse_workflow(text: str, *, source: str = "<spec>") -> Workflow:
    """Parse and validate a YAML workflow spec given as text.

    >>> parse_workflow("steps: [上报, 结案]").steps
    ('上报', '结案')
    """
    import yaml

    if len(text.encode("utf-8", "ignore")) > MAX_SPEC_BYTES:
        raise SpecError(f"{source}: the spec is too large (at most {MAX_SPEC_BYTES:,} bytes)")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise SpecError(f"{source}{where}: not valid YAML: {problem}") from None
    return _SpecParser(source).parse(root)


class _SpecParser:
    """Walks the YAML nodes (which keep their line numbers) and builds the workflow."""

    def __init__(self, source: str):
        self.source = source
        self.visits = 0
        self.declared: dict[str, int] = {}   # step -> line of first mention
        self.used: set[str] = set()
        self.optional: set[str] = set()
        self.repeatable: set[str] = set()
        self.item_aliases: dict[str, list[tuple[str, int]]] = {}
        self.item_roles: dict[str, tuple[str, int]] = {}

    # -- helpers -------------------------------------------------------------
    def fail(self, node: Any, message: str, hint: str | None = None) -> SpecError:
        line = f", line {node.start_mark.line + 1}" if node is not None else ""
        return SpecError(f"{self.source}{line}: {message}", hint=hint)

    def line(self, node: Any) -> int:
        return node.start_mark.line + 1

    def visit(self, node: Any) -> None:
        self.visits += 1
        if self.visits > _MAX_NODES:
            raise self.fail(node, "the spec is too large or expands too many YAML aliases")
        if str(node.tag) not in _PLAIN_TAGS:
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}", hint="write plain values")

    def scalar(self, node: Any) -> Any:
        import yaml

        self.visit(node)
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, "expected a single value here")
        return yaml.constructor.SafeConstructor().construct_object(node)

    def text(self, node: Any, what: str) -> str:
        value = self.scalar(node)
        if value is None or isinstance(value, (bool, dict, list)) or str(value).strip() == "":
            raise self.fail(node, f"expected {what}, found {value!r}")
        return str(value).strip()

    def flag(self, node: Any, what: str) -> bool:
        value = self.scalar(node)
        if not isinstance(value, bool):
            raise self.fail(node, f"{what}: expected true or false, found {value!r}")
        return value

    def seq(self, node: Any, what: str) -> list[Any]:
        import yaml

        self.visit(node)
        if isinstance(node, yaml.ScalarNode) and node.value.strip() and node.tag.endswith(":str"):
            return [node]
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what}: expected a list")
        return list(node.value)

    def mapping(self, node: Any, what: str) -> list[tuple[str, Any, Any]]:
        import yaml

        self.visit(node)
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what}: expected a mapping (key: value)")
        out, seen = [], set()
        for key_node, value_node in node.value:
            key = self.text(key_node, "a key")
            if key in seen:
                raise self.fail(key_node, f"{what}: key {key!r} appears twice")
            seen.add(key)
            out.append((key, key_node, value_node))
        return out

    def declare(self, name: str, node: Any) -> None:
        if name.lower() in _START | _END:
            raise self.fail(node, f"{name!r} is reserved for the start or end of a path",
                            hint="give the step another name")
        self.declared.setdefault(name, self.line(node))

    # -- the spec ------------------------------------------------------------
    def parse(self, root: Any) -> Workflow:
        if root is None:
            raise SpecError(f"{self.source}: the spec is empty", hint="start with 'steps: [...]'")
        top = {key: (k, v) for key, k, v in self.mapping(root, "the spec")}
        for key, (k, _) in top.items():
            if key not in _KNOWN_KEYS:
                raise self.fail(k, f"unknown section {key!r}", hint="known: " + ", ".join(_KNOWN_KEYS))
        if "steps" not in top:
            raise self.fail(root, "the spec has no 'steps:'", hint="list the steps of the loop in order")
        name = self.text(top["name"][1], "a name") if "name" in top else Path(self.source).stem
        exceptions = []
        if "exceptions" in top:
            for node in self.seq(top["exceptions"][1], "exceptions"):
                step = self.text(node, "a step name")
                self.declare(step, node)
                exceptions.append(step)
        # the main line: a sequence whose named items can be the ends of extra paths
        main_nodes = self.seq(top["steps"][1], "steps")
        if not main_nodes:
            raise self.fail(top["steps"][1], "steps: the list is empty")
        items, main, positions = [], [], {}
        for i, node in enumerate(main_nodes):
            tree, label = self.item(node)
            items.append(tree)
            if label is not None:
                if label in positions:
                    raise self.fail(node, f"step {label!r} is on the main line twice",
                                    hint="use 'repeat: true' or an extra path instead")
                positions[label] = i
                main.append(label)
        paths = self.paths(top["paths"][1], positions, len(items)) if "paths" in top else []
        tree = _simplify(_build_line(items, paths))
        unused = [s for s in exceptions if s not in self.used]
        if unused:
            s = unused[0]
            raise SpecError(f"{self.source}, line {self.declared[s]}: step {s!r} is unreachable: "
                            "no step list or path uses it",
                            hint="add a path through it, or remove it from exceptions")
        steps = tuple(dict.fromkeys(_labels(tree)))
        names, roles = self.aliases(top.get("aliases"), top.get("roles"), steps)
        deadlines = self.deadlines(top["deadlines"][1], steps) if "deadlines" in top else ()
        levels = self.levels(top["levels"][1]) if "levels" in top else None
        outline = " → ".join(_outline(item) for item in items)
        return Workflow(name=name, path=self.source, format="yaml", steps=steps, main=tuple(main),
                        outline=outline,
                        exceptions=tuple(exceptions), optional=frozenset(self.optional),
                        repeatable=frozenset(self.repeatable), paths=tuple(p for p, _ in paths),
                        names=names, aliases=roles, deadlines=tuple(deadlines), levels=levels,
                        tree=tree)

    def item(self, node: Any) -> tuple[Node, str | None]:
        """One entry of a step list: a name, ``{step: ...}``, ``{one_of|parallel|sequence: ...}``."""
        import yaml

        self.visit(node)
        if isinstance(node, yaml.ScalarNode):
            name = self.text(node, "a step name")
            self.declare(name, node)
            self.used.add(name)
            return Node("step", name), name
        if isinstance(node, yaml.SequenceNode):
            return _seq([self.item(n)[0] for n in node.value]), None
        entries = {key: (k, v) for key, k, v in self.mapping(node, "a step")}
        blocks = [k for k in ("step", "one_of", "parallel", "sequence") if k in entries]
        if len(blocks) != 1:
            raise self.fail(node, "a step entry needs exactly one of step:, one_of:, parallel:, sequence:")
        allowed = {"step": ("step", "optional", "repeat", "aliases", "role")}.get(
            blocks[0], (blocks[0], "optional", "repeat"))
        for key, (k, _) in entries.items():
            if key not in allowed:
                raise self.fail(k, f"unknown key {key!r} in a {blocks[0]} entry",
                                hint="known: " + ", ".join(allowed))
        optional = self.flag(entries["optional"][1], "optional") if "optional" in entries else False
        repeat = self.flag(entries["repeat"][1], "repeat") if "repeat" in entries else False
        kind = blocks[0]
        label = None
        if kind == "step":
            label = self.text(entries["step"][1], "a step name")
            self.declare(label, entries["step"][1])
            self.used.add(label)
            tree = Node("step", label)
            if "aliases" in entries:
                for a in self.seq(entries["aliases"][1], "aliases"):
                    self.item_aliases.setdefault(label, []).append((self.text(a, "an alias"), self.line(a)))
            if "role" in entries:
                v = entries["role"][1]
                self.item_roles[label] = (self.text(v, "a role"), self.line(v))
            if optional:
                self.optional.add(label)
            if repeat:
                self.repeatable.add(label)
        elif kind == "sequence":
            tree = _seq([self.item(n)[0] for n in self.seq(entries["sequence"][1], "sequence")])
        else:
            branches = [self.branch(n) for n in self.seq(entries[kind][1], kind)]
            if len(branches) < 2 and not (kind == "one_of" and optional):
                raise self.fail(entries[kind][0], f"{kind}: give at least two branches")
            tree = Node("xor" if kind == "one_of" else "and", None, tuple(branches))
        if repeat:
            tree = Node("loop", None, (tree, Node("tau")))
        if optional:
            tree = Node("xor", None, (tree, Node("tau")))
        return tree, label

    def branch(self, node: Any) -> Node:
        import yaml

        if isinstance(node, yaml.SequenceNode):
            self.visit(node)
            return _seq([self.item(n)[0] for n in node.value])
        return self.item(node)[0]

    def paths(self, node: Any, positions: dict[str, int],
              n_items: int) -> list[tuple[ExtraPath, tuple[int, int]]]:
        import yaml

        out = []
        last = n_items - 1
        for entry in self.seq(node, "paths"):
            repeat = distinct = False
            text_node = entry
            if isinstance(entry, yaml.MappingNode):
                fields = {key: (k, v) for key, k, v in self.mapping(entry, "a path")}
                for key, (k, _) in fields.items():
                    if key not in ("path", "repeat", "distinct_units"):
                        raise self.fail(k, f"unknown key {key!r} in a path",
                                        hint="known: path, repeat, distinct_units")
                if "path" not in fields:
                    raise self.fail(entry, "a path entry needs 'path: A -> X -> B'")
                text_node = fields["path"][1]
                repeat = self.flag(fields["repeat"][1], "repeat") if "repeat" in fields else False
                distinct = (self.flag(fields["distinct_units"][1], "distinct_units")
                            if "distinct_units" in fields else False)
            text = self.text(text_node, "a path like 'A -> X -> B'")
            names = [s.strip() for s in _ARROW.split(text)]
            if len(names) < 2 or any(not s for s in names):
                raise self.fail(text_node, f"path {text!r}: write it as 'A -> X -> B'")
            source, *middle, target = names
            for s in middle:
                if s not in self.declared:
                    raise self.fail(text_node, f"unknown step {s!r} in path {text!r}",
                                    hint="declare it under exceptions: or fix the spelling")
                self.used.add(s)
            for s, end in ((source, "leave from"), (target, "return to")):
                if s.lower() not in _START | _END and s not in positions:
                    where = ("is not a step" if s not in self.declared
                             else "is not on the main line (steps:)")
                    raise self.fail(text_node, f"path {text!r}: {s!r} {where}",
                                    hint=f"a path must {end} a step listed directly under steps:, "
                                         "or start/end")
            if source.lower() in _END or target.lower() in _START:
                raise self.fail(text_node, f"path {text!r}: a path cannot leave from the end "
                                           "or return to the start")
            a = -1 if source.lower() in _START else positions[source]
            b = last + 1 if target.lower() in _END else positions[target]
            if b > a:
                kind, span = "ahead", (2 * a + 2, 2 * b)
            else:
                kind, span = "back", (2 * b + 1, 2 * a + 1)
            path = ExtraPath(source, tuple(middle), target, kind, repeat, distinct, self.line(text_node))
            if kind == "back":
                for s in middle:
                    self.repeatable.add(s)
            out.append((path, span))
        # paths must nest like brackets
        spans = sorted({span for _, span in out}, key=lambda s: (s[0], -s[1]))
        for i, (s1, e1) in enumerate(spans):
            for s2, e2 in spans[i + 1:]:
                if s1 < s2 <= e1 < e2:
                    p = next(p for p, sp in out if sp == (s1, e1))
                    q = next(p for p, sp in out if sp == (s2, e2))
                    raise SpecError(f"{self.source}, line {q.line}: path '{q}' crosses path '{p}' "
                                    f"(line {p.line})",
                                    hint="extra paths must nest inside each other or not overlap")
        return out

    def aliases(self, aliases: tuple[Any, Any] | None, roles: tuple[Any, Any] | None,
                steps: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
        names: dict[str, str] = {}
        for s in steps:
            names[s] = s
        pairs: list[tuple[str, str, int]] = []
        for step, spellings in self.item_aliases.items():
            pairs.extend((step, a, line) for a, line in spellings)
        if aliases is not None:
            for step, k, v in self.mapping(aliases[1], "aliases"):
                if step not in steps:
                    raise self.fail(k, f"aliases: {step!r} is not a step of the workflow",
                                    hint="aliases are listed under the step's own name")
                for a in self.seq(v, f"aliases of {step}"):
                    pairs.append((step, self.text(a, "an alias"), self.line(a)))
        for step, alias, line in pairs:
            for key in {alias, alias.lower()}:
                if key in names and names[key] != step:
                    raise SpecError(f"{self.source}, line {line}: alias {alias!r} of {step!r} is "
                                    f"already the name or an alias of {names[key]!r}")
                names[key] = step
        explicit: dict[str, str] = {}
        for step, (role, line) in self.item_roles.items():
            explicit[step] = self.role(role, line)
        if roles is not None:
            for step, k, v in self.mapping(roles[1], "roles"):
                if step not in steps:
                    raise self.fail(k, f"roles: {step!r} is not a step of the workflow")
                explicit[step] = self.role(self.text(v, "a role"), self.line(v))
        role_map: dict[str, str] = {}
        for spelling, step in names.items():
            role = explicit.get(step) or role_of(step)
            if role is None:
                # an alias may be a known spelling even when the step's own name is not
                role = next((role_of(a) for a, s in names.items() if s == step and role_of(a)), None)
            if role is not None:
                role_map[spelling] = role
        return names, role_map

    def role(self, role: str, line: int) -> str:
        found = role if role in STEPS else role_of(role)
        if found is None:
            raise SpecError(f"{self.source}, line {line}: unknown role {role!r}",
                            hint="roles: " + ", ".join(STEPS))
        return found

    def deadlines(self, node: Any, steps: tuple[str, ...]) -> list[Deadline]:
        import yaml

        out: list[Deadline] = []
        known = set(steps)
        for category, k, v in self.mapping(node, "deadlines"):
            cat = None if category in ("*", "default", "其他类别", "所有") else category
            if isinstance(v, yaml.MappingNode):
                fields = {key: (kk, vv) for key, kk, vv in self.mapping(v, f"deadline of {category}")}
                for key, (kk, _) in fields.items():
                    if key not in ("from", "to", "within"):
                        raise self.fail(kk, f"unknown key {key!r} in a deadline",
                                        hint="known: from, to, within")
                missing = [key for key in ("from", "to", "within") if key not in fields]
                if missing:
                    raise self.fail(v, f"deadline of {category!r}: missing {', '.join(missing)}")
                text = (f"{self.text(fields['from'][1], 'a step')} -> "
                        f"{self.text(fields['to'][1], 'a step')} within "
                        f"{self.text(fields['within'][1], 'a duration')}")
                where = fields["within"][1]
            else:
                text = self.text(v, "a deadline like '派遣 -> 结案 within 5 working days'")
                where = v
            try:
                d = parse_deadline(text, category=cat, line=self.line(where))
            except SpecError as e:
                raise self.fail(where, f"deadline of {category!r}: {e.message}", hint=e.hint) from None
            for s in (d.start, d.end):
                if s not in known:
                    raise self.fail(where, f"deadline of {category!r}: unknown step {s!r}",
                                    hint="use a step of the workflow")
            if any(x.category == cat for x in out):
                raise self.fail(k, f"category {category!r} has two deadlines")
            out.append(d)
        return out

    def levels(self, node: Any) -> tuple[str, ...]:
        out = []
        for item in self.seq(node, "levels"):
            name = self.text(item, "a level name")
            canon = LEVEL_ALIASES.get(name, LEVEL_ALIASES.get(name.lower(), name))
            if canon in out:
                raise self.fail(item, f"level {name!r} appears twice")
            out.append(canon)
        if len(out) < 2:
            raise self.fail(node, "levels: give at least two levels, bottom up",
                            hint="e.g. [" + ", ".join(DEFAULT_LEVELS) + "]")
        return tuple(out)


# --------------------------------------------------------------------------- durations

_UNITS = {
    "min": ("hours", 1 / 60), "mins": ("hours", 1 / 60), "minute": ("hours", 1 / 60),
    "minutes": ("hours", 1 / 60), "分钟": ("hours", 1 / 60), "分": ("hours", 1 / 60),
    "h": ("hours", 1), "hr": ("hours", 1), "hrs": ("hours", 1), "hour": ("hours", 1),
    "hours": ("hours", 1), "小时": ("hours", 1), "时": ("hours", 1),
    "d": ("days", 1), "day": ("days", 1), "days": ("days", 1), "天": ("days", 1),
    "日": ("days", 1),
    "w": ("weeks", 1), "week": ("weeks", 1), "weeks": ("weeks", 1), "周": ("weeks", 1),
    "星期": ("weeks", 1),
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*个?\s*(working|work|business|工作)?\s*([a-z\u4e00-\u9fff]+)\s*$",
                       re.IGNORECASE)


def parse_duration(text: str) -> tuple[float, Literal["hours", "days"], bool]:
    """``(amount, unit, working)`` of a duration such as ``'4h'``, ``'2 working hours'``,
    ``'5d'``, ``'5 working days'``, ``'15 工作日'``, ``'2个工作小时'``, ``'30 min'``.

    Without ``working``/``工作`` the duration counts clock time. Minutes become
    hours; weeks become 7 days, or 5 working days.

    >>> parse_duration("15 工作日"), parse_duration("4h"), parse_duration("30 min")
    ((15.0, 'days', True), (4.0, 'hours', False), (0.5, 'hours', False))
    >>> parse_duration("5 weeks of fun")
    Traceback (most recent call last):
    ...
    procmine.errors.SpecError: bad duration '5 weeks of fun' (write e.g. 4h, 2 working hours, 5d, 5 working days, 15 工作日)
    """
    hint = "write e.g. 4h, 2 working hours, 5d, 5 working days, 15 工作日"
    raw = str(text)
    m = _DURATION.match(raw)
    unit_word = m.group(3).lower() if m else ""
    working = bool(m and m.group(2))
    if m and not working and unit_word in ("工作日", "工作天"):
        working, unit_word = True, "日"
    if m and not working and unit_word in ("工作小时", "工时"):
        working, unit_word = True, "小时"
    if not m or unit_word not in _UNITS:
        raise SpecError(f"bad duration {raw!r}", hint=hint)
    amount = float(m.group(1))
    if amount <= 0:
        raise SpecError(f"bad duration {raw!r}: must be more than zero", hint=hint)
    unit, factor = _UNITS[unit_word]
    if unit == "weeks":
        return amount * (5 if working else 7), "days", working
    return amount * factor, unit, working  # type: ignore[return-value]


_DEADLINE = re.compile(r"^(.+?)\s*(?:->|→|=>|到|至)\s*(.+?)\s*(?:within|in|:|：|不超过|内|限)\s*(.+)$")


def parse_deadline(text: str, *, category: str | None = None, line: int | None = None) -> Deadline:
    """A deadline written as ``'派遣 -> 结案 within 5 working days'``.

    >>> parse_deadline("派遣 -> 结案 within 4h").working
    False
    """
    m = _DEADLINE.match(str(text).strip())
    if not m:
        raise SpecError(f"cannot read deadline {text!r}",
                        hint="write it as '派遣 -> 结案 within 5 working days'")
    start, end, within = (g.strip() for g in m.groups())
    if start == end:
        raise SpecError(f"deadline {text!r}: from and to are the same step")
    amount, unit, working = parse_duration(within)
    return Deadline(category, start, end, amount, unit, working, str(text).strip(), line)


# --------------------------------------------------------------------------- trees


def _seq(children: Iterable[Node]) -> Node:
    return Node("seq", None, tuple(children))


def _build_line(items: list[Node], paths: list[tuple[ExtraPath, tuple[int, int]]]) -> Node:
    """The main line with the extra paths applied as loops (back) and choices (ahead).

    Coordinates: item i sits at 2i+1, the gap after item i at 2i+2 (the gap before
    the first item at 0). A back path spans items, an ahead path spans gaps.
    """
    groups: dict[tuple[int, int], list[ExtraPath]] = {}
    for path, span in paths:
        groups.setdefault(span, []).append(path)

    def build(lo: int, hi: int, spans: list[tuple[int, int]]) -> list[Node]:
        out: list[Node] = []
        x = lo
        while x <= hi:
            here = [s for s in spans if s[0] == x]
            if here:
                s, e = max(here, key=lambda s: s[1])
                inner = [t for t in spans if t != (s, e) and s <= t[0] and t[1] <= e]
                out.append(block((s, e), build(s, e, inner) if (s, e) else []))
                spans = [t for t in spans if t not in inner and t != (s, e)]
                x = e + 1
                continue
            if x % 2 == 1 and 0 <= (x - 1) // 2 < len(items):
                out.append(items[(x - 1) // 2])
            x += 1
        return out

    def block(span: tuple[int, int], inside: list[Node]) -> Node:
        detours = []
        for p in groups[span]:
            body = _seq(Node("step", s) for s in p.steps) if p.steps else Node("tau")
            if p.kind == "ahead" and p.repeat:
                body = Node("loop", None, (body, Node("tau")))
            detours.append(body)
        alternatives = detours[0] if len(detours) == 1 else Node("xor", None, tuple(detours))
        if groups[span][0].kind == "back":
            return Node("loop", None, (_seq(inside), alternatives))
        return Node("xor", None, (_seq(inside), *detours))

    return _seq(build(0, 2 * len(items), sorted(groups, key=lambda s: (s[0], -s[1]))))


def _labels(node: Node) -> list[str]:
    if node.kind == "step":
        return [str(node.label)]
    return [label for c in node.children for label in _labels(c)]


def _outline(node: Node) -> str:
    """A step list in one line: ``a?`` optional, ``a+`` repeatable, ``(a | b)`` one of,
    ``(a ∥ b)`` parallel."""
    if node.kind == "step":
        return str(node.label)
    if node.kind == "tau":
        return "τ"
    kids = node.children
    if node.kind == "xor" and len(kids) == 2 and kids[1].kind == "tau":
        inner = _outline(kids[0])
        return inner + "?" if inner.endswith((")", "+")) or " " not in inner else f"({inner})?"
    if node.kind == "loop" and len(kids) == 2 and kids[1].kind == "tau":
        inner = _outline(kids[0])
        return inner + "+" if " " not in inner else f"({inner})+"
    sep = {"seq": " → ", "xor": " | ", "and": " ∥ ", "loop": " ↺ "}[node.kind]
    return "(" + sep.join(_outline(c) for c in kids) + ")"


def _simplify(node: Node) -> Node:
    """Flatten nested sequences and choices, drop silent steps from sequences."""
    if node.kind in ("step", "tau"):
        return node
    children = [_simplify(c) for c in node.children]
    if node.kind == "seq":
        flat: list[Node] = []
        for c in children:
            if c.kind == "seq":
                flat.extend(c.children)
            elif c.kind != "tau":
                flat.append(c)
        if not flat:
            return Node("tau")
        return flat[0] if len(flat) == 1 else Node("seq", None, tuple(flat))
    if node.kind == "xor":
        flat = []
        for c in children:
            for x in (c.children if c.kind == "xor" else (c,)):
                if not (x.kind == "tau" and any(y.kind == "tau" for y in flat)):
                    flat.append(x)
        return flat[0] if len(flat) == 1 else Node("xor", None, tuple(flat))
    if node.kind == "and":
        kept = [c for c in children if c.kind != "tau"] or [Node("tau")]
        return kept[0] if len(kept) == 1 else Node("and", None, tuple(kept))
    return Node(node.kind, None, tuple(children))


def _to_pm4py_tree(node: Node) -> Any:
    from pm4py.objects.process_tree.obj import Operator, ProcessTree

    ops = {"seq": Operator.SEQUENCE, "xor": Operator.XOR, "and": Operator.PARALLEL,
           "loop": Operator.LOOP}

    def convert(n: Node, parent: Any) -> Any:
        if n.kind == "step":
            return ProcessTree(parent=parent, label=n.label)
        if n.kind == "tau":
            return ProcessTree(parent=parent)
        tree = ProcessTree(operator=ops[n.kind], parent=parent)
        for c in n.children:
            tree.children.append(convert(c, tree))
        return tree

    return convert(node, None)


def _tree_to_net(node: Node) -> tuple[Any, Any, Any]:
    import pm4py

    return pm4py.convert_to_petri_net(_to_pm4py_tree(node))


# --------------------------------------------------------------------------- BPMN, PNML


def _safe_xml(data: bytes, path: Path) -> None:
    """Refuse DTDs and entities (billion laughs, XXE) and malformed XML, before pm4py's lxml."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    from procmine.xmlsafe import check_xml_bytes

    try:
        check_xml_bytes(data[: 1 << 16], str(path))
        SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except InputError as e:
        raise SpecError(e.message, hint=e.hint) from None
    except DefusedXmlException as e:
        raise SpecError(f"{path}: unsafe XML refused ({type(e).__name__})",
                        hint="remove the <!DOCTYPE ...> block") from None
    except SafeET.ParseError as e:
        raise SpecError(f"{path}: not well-formed XML ({e})") from None


def _read_bpmn(data: bytes, path: Path) -> Workflow:
    import pm4py
    from pm4py.objects.bpmn.importer.variants import lxml as bpmn_importer

    _safe_xml(data, path)
    try:
        bpmn = bpmn_importer.import_from_string(data)
        tasks = [n for n in bpmn.get_nodes() if type(n).__name__.endswith("Task")]
        if not tasks:
            raise SpecError(f"{path}: the BPMN file has no tasks",
                            hint="export the process from the modeller as BPMN 2.0")
        net, im, fm = pm4py.convert_to_petri_net(bpmn)
    except SpecError:
        raise
    except Exception as e:  # pm4py raises bare exceptions on models it cannot convert
        raise SpecError(f"{path}: cannot read the BPMN model ({type(e).__name__}: {e})",
                        hint="check that every task and gateway is connected by sequence flows") from None
    unnamed = [t for t in tasks if not (t.get_name() or "").strip()]
    if unnamed:
        raise SpecError(f"{path}: task {unnamed[0].get_id()!r} has no name",
                        hint="name every task after the step it stands for")
    return _from_net(net, im, fm, path, "bpmn", bpmn=bpmn)


def _read_pnml(data: bytes, path: Path) -> Workflow:
    from pm4py.objects.petri_net.importer.variants import pnml as pnml_importer

    _safe_xml(data, path)
    try:
        net, im, fm = pnml_importer.import_net_from_string(data)
    except Exception as e:
        raise SpecError(f"{path}: cannot read the PNML model ({type(e).__name__}: {e})") from None
    if not im:
        raise SpecError(f"{path}: the Petri net has no initial marking",
                        hint="put a token in the start place")
    if not fm:
        from pm4py.objects.petri_net.obj import Marking

        fm = Marking({p: 1 for p in net.places if not p.out_arcs})
        if not fm:
            raise SpecError(f"{path}: the Petri net has no final marking and no sink place")
    return _from_net(net, im, fm, path, "pnml")


def _from_net(net: Any, im: Any, fm: Any, path: Path, fmt: Literal["bpmn", "pnml"],
              bpmn: Any = None) -> Workflow:
    labels = sorted({t.label for t in net.transitions if t.label is not None})
    if not labels:
        raise SpecError(f"{path}: the model has no named steps")
    graph = reachability(net, im, limit=200_000)
    if graph is not None:
        if graph.final_index(fm) is None:
            raise SpecError(f"{path}: unreachable end: no run of the model from its start "
                            "reaches its end", hint="check the gateways and arcs near the end")
        fired = {net_label for net_label in graph.fired_labels()}
        dead = [lab for lab in labels if lab not in fired]
        if dead:
            raise SpecError(f"{path}: step {dead[0]!r} can never happen",
                            hint="connect it to the flow or remove it")
        if not graph.can_finish(fm):
            raise SpecError(f"{path}: unreachable end: some runs of the model get stuck "
                            "before its end", hint="check that every branch reaches the end")
    names = {lab: lab for lab in labels}
    roles = {lab: role_of(lab) for lab in labels if role_of(lab)}
    wf = Workflow(name=path.stem, path=str(path), format=fmt, steps=tuple(labels), names=names,
                  aliases=roles)  # type: ignore[arg-type]
    wf._cache["net"] = PetriNetModel(net, im, fm)
    if bpmn is not None:
        wf._cache["bpmn"] = bpmn
    return wf


# --------------------------------------------------------------------------- reachability


@dataclass
class ReachabilityGraph:
    """The reachable markings of a bounded net: ``markings`` (tuples of token counts
    per place index), ``edges`` as (source, transition index, target)."""

    places: list[Any]
    transitions: list[Any]
    markings: list[tuple[int, ...]]
    edges: list[tuple[int, int, int]]
    index: dict[tuple[int, ...], int]

    def vector(self, marking: Any) -> tuple[int, ...]:
        pos = {id(p): i for i, p in enumerate(self.places)}
        v = [0] * len(self.places)
        for p, n in marking.items():
            v[pos[id(p)]] = n
        return tuple(v)

    def final_index(self, marking: Any) -> int | None:
        return self.index.get(self.vector(marking))

    def fired_labels(self) -> set[str]:
        return {self.transitions[t].label for _, t, _ in self.edges if self.transitions[t].label}

    def can_finish(self, final: Any) -> bool:
        """True when the final marking stays reachable from every reachable marking."""
        target = self.final_index(final)
        if target is None:
            return False
        back: dict[int, list[int]] = {}
        for s, _, d in self.edges:
            back.setdefault(d, []).append(s)
        seen, todo = {target}, [target]
        while todo:
            for s in back.get(todo.pop(), ()):
                if s not in seen:
                    seen.add(s)
                    todo.append(s)
        return len(seen) == len(self.markings)


def reachability(net: Any, initial: Any, *, limit: int = 20_000) -> ReachabilityGraph | None:
    """All markings reachable from ``initial``, or None when there are more than ``limit``
    (an unbounded net, or a model with much parallelism)."""
    places = sorted(net.places, key=lambda p: str(p.name))
    transitions = sorted(net.transitions, key=lambda t: str(t.name))
    pos = {id(p): i for i, p in enumerate(places)}
    pre = [[(pos[id(a.source)], a.weight) for a in t.in_arcs] for t in transitions]
    post = [[(pos[id(a.target)], a.weight) for a in t.out_arcs] for t in transitions]
    start = [0] * len(places)
    for p, n in initial.items():
        start[pos[id(p)]] = n
    first = tuple(start)
    index = {first: 0}
    markings = [first]
    edges: list[tuple[int, int, int]] = []
    todo = [0]
    while todo:
        i = todo.pop()
        m = markings[i]
        for t in range(len(transitions)):
            if all(m[p] >= w for p, w in pre[t]):
                nxt = list(m)
                for p, w in pre[t]:
                    nxt[p] -= w
                for p, w in post[t]:
                    nxt[p] += w
                key = tuple(nxt)
                j = index.get(key)
                if j is None:
                    if len(markings) >= limit:
                        return None
                    j = index[key] = len(markings)
                    markings.append(key)
                    todo.append(j)
                edges.append((i, t, j))
    return ReachabilityGraph(places, transitions, markings, edges, index)


@dataclass(frozen=True)
class WorkflowCheck:
    """A valid workflow and the size of its Petri net. ``markings``: reachable
    markings, None when there are too many to list (then soundness is not proven)."""

    workflow: Workflow
    places: int
    transitions: int
    silent: int
    markings: int | None

    def to_dict(self) -> dict[str, Any]:
        return {**self.workflow.to_dict(), "petri_net": {
            "places": self.places, "transitions": self.transitions, "silent": self.silent,
            "reachable_markings": self.markings}}


def check_workflow(path: str | Path) -> WorkflowCheck:
    """Read and validate a workflow file, build its Petri net and explore its states.

    Raises SpecError on the first problem (with the line for a YAML spec).

    >>> check_workflow("logs/workflow.yaml").markings       # doctest: +SKIP
    26
    """
    wf = read_workflow(path)
    m = wf.petri_net()
    graph = reachability(m.net, m.initial, limit=200_000)
    if graph is not None and not graph.can_finish(m.final):
        raise SpecError(f"{path}: unreachable end: some runs of the model get stuck before its end")
    return WorkflowCheck(wf, m.n_places, m.n_transitions, m.n_silent,
                         None if graph is None else len(graph.markings))


# --------------------------------------------------------------------------- drawing

_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei",
          "Microsoft YaHei", "PingFang SC", "SimHei", "Noto Sans Mono CJK SC")


def cjk_font() -> str:
    """A font family that has Chinese glyphs, as fontconfig knows it (else a guess)."""
    try:
        from procmine import render  # the shared renderer, when present

        font = getattr(render, "cjk_font", None)
        if callable(font) and font is not cjk_font:
            return str(font())
    except ImportError:
        pass
    import subprocess

    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                                 timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        families = {f.strip() for line in out.splitlines() for f in line.split(",")}
        for name in _FONTS:
            if name in families:
                return name
        if families:
            return sorted(families)[0]
    return _FONTS[0]


@dataclass(frozen=True)
class Overlay:
    """Counts drawn over the intended model: per step the cases in which it was
    skipped, repeated, out of order; and unexpected steps with the step they followed."""

    skipped: Mapping[str, int] = field(default_factory=dict)
    repeated: Mapping[str, int] = field(default_factory=dict)
    misplaced: Mapping[str, int] = field(default_factory=dict)
    unexpected: tuple[tuple[str, str | None, int], ...] = ()
    title: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)


def workflow_dot(workflow: Workflow, *, notation: Literal["bpmn", "petri"] = "bpmn",
                 overlay: Overlay | None = None) -> Any:
    """A graphviz ``Digraph`` of the workflow (BPMN-like or the Petri net), with ``overlay``."""
    import graphviz

    font = cjk_font()
    g = graphviz.Digraph("workflow", graph_attr={"rankdir": "LR", "fontname": font, "fontsize": "12",
                                                 "label": overlay.title if overlay and overlay.title else workflow.name,
                                                 "labelloc": "t"},
                         node_attr={"fontname": font, "fontsize": "11"},
                         edge_attr={"fontname": font, "fontsize": "10", "color": "#555555"})
    task_of: dict[str, str] = {}
    if notation == "bpmn":
        bpmn = workflow.bpmn()
        ids = {id(n): f"n{i}" for i, n in enumerate(bpmn.get_nodes())}
        for n in bpmn.get_nodes():
            kind = type(n).__name__
            nid = ids[id(n)]
            if kind.endswith("Task"):
                name = n.get_name()
                task_of.setdefault(name, nid)
                g.node(nid, graphviz.nohtml(name), shape="box", style="rounded,filled", fillcolor="#eef3fb")
            elif "Gateway" in kind:
                sign = {"ExclusiveGateway": "×", "ParallelGateway": "+", "InclusiveGateway": "○"}.get(kind, "◇")
                g.node(nid, sign, shape="diamond", width="0.4", height="0.4", fixedsize="true")
            elif "End" in kind:
                g.node(nid, "", shape="circle", penwidth="3", width="0.3", fixedsize="true")
            else:
                g.node(nid, "", shape="circle", width="0.3", fixedsize="true")
        for f in bpmn.get_flows():
            g.edge(ids[id(f.get_source())], ids[id(f.get_target())])
    else:
        m = workflow.petri_net()
        ids = {id(p): f"p{i}" for i, p in enumerate(m.net.places)}
        for p in m.net.places:
            mark = "●" if p in m.initial else ("■" if p in m.final else "")
            g.node(ids[id(p)], mark, shape="circle", width="0.3", fixedsize="true")
        for i, t in enumerate(m.net.transitions):
            ids[id(t)] = f"t{i}"
            if t.label is None:
                g.node(f"t{i}", "", shape="box", style="filled", fillcolor="#333333", width="0.1",
                       height="0.4")
            else:
                task_of.setdefault(t.label, f"t{i}")
                g.node(f"t{i}", graphviz.nohtml(t.label), shape="box", style="filled", fillcolor="#eef3fb")
        for a in m.net.arcs:
            g.edge(ids[id(a.source)], ids[id(a.target)])
    if overlay is not None:
        _overlay(g, task_of, overlay)
    return g


def _overlay(g: Any, task_of: dict[str, str], overlay: Overlay) -> None:
    for step, nid in task_of.items():
        notes = []
        for what, table in (("skipped", overlay.skipped), ("repeated", overlay.repeated),
                            ("out of order", overlay.misplaced)):
            if table.get(step):
                notes.append(f"{what} {table[step]:,}")
        if overlay.notes.get(step):
            notes.append(overlay.notes[step])
        if notes:
            heavy = overlay.skipped.get(step, 0) or overlay.misplaced.get(step, 0)
            g.node(nid, _plain_label(step + "\n" + "\n".join(notes)), style="rounded,filled",
                   fillcolor="#f8c9c4" if heavy else "#fde7c2", color="#c0392b", penwidth="2")
    for i, (step, after, count) in enumerate(overlay.unexpected):
        nid = f"x{i}"
        g.node(nid, _plain_label(f"{step}\nunexpected {count:,}"), shape="box", style="rounded,dashed,filled",
               fillcolor="#f8c9c4", color="#c0392b")
        if after and after in task_of:
            g.edge(task_of[after], nid, style="dashed", color="#c0392b", label=f"{count:,}",
                   fontcolor="#c0392b")


def draw_workflow(workflow: Workflow, output: str | Path, *,
                  notation: Literal["bpmn", "petri"] | None = None, overlay: Overlay | None = None,
                  inputs: Iterable[str] = ()) -> Path:
    """Draw the workflow to ``output``; the format follows the suffix (svg, png, pdf, dot).

    ``notation``: ``bpmn`` (tasks and gateways) or ``petri``; by default BPMN, and
    the Petri net for a workflow read from PNML.

    >>> draw_workflow(read_workflow("logs/workflow.yaml"), "/tmp/wf.svg")   # doctest: +SKIP
    PosixPath('/tmp/wf.svg')
    """
    from procmine.output import atomic_write

    output = Path(output)
    fmt = output.suffix.lower().lstrip(".") or "svg"
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise OutputError(f"{output}: unknown drawing format {fmt!r}", hint="use .svg, .png, .pdf or .dot")
    if notation is None:
        notation = "petri" if workflow.format == "pnml" else "bpmn"
    g = workflow_dot(workflow, notation=notation, overlay=overlay)
    if fmt in ("dot", "gv"):
        with atomic_write(output, inputs=inputs) as f:
            f.write(g.source)
        return output
    if shutil.which("dot") is None:
        raise DependencyError("Graphviz 'dot' is not installed", hint="install graphviz, or write .dot")
    data = g.pipe(format=fmt)
    with atomic_write(output, "wb", inputs=inputs) as f:
        f.write(data)
    return output


def _plain_label(text: str):
    """A label Graphviz prints as text even when a step is named like ``<html>``."""
    import graphviz

    return graphviz.nohtml(text)
