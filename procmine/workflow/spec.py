"""The YAML spec: :func:`parse_workflow` and the parser behind it, which walks the
YAML nodes (they keep their line numbers) and checks every section (steps,
exceptions, extra paths, aliases, roles, deadlines, levels), raising SpecError
with the file, the line and what to do; docs/workflow.md describes the format.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from procmine.errors import SpecError
from procmine.limits import MAX_WORKFLOW_STEPS
from procmine.log import DEFAULT_LEVELS, LEVEL_ALIASES
from procmine.vocabulary import STEPS, role_of
from procmine.workflow.deadline import Deadline, make_deadline, parse_deadline
from procmine.workflow.model import ExtraPath, Workflow
from procmine.workflow.tree import Node, _build_line, _labels, _outline, _seq, _simplify

MAX_SPEC_BYTES = 1 << 20
_MAX_NODES = 50_000
_ARROW = re.compile(r"\s*(?:->|→|=>|➜)\s*")
_START = {"start", "开始", "begin"}
_END = {"end", "结束", "finish"}
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}
_KNOWN_KEYS = ("name", "description", "language", "steps", "exceptions", "paths", "aliases",
               "roles", "deadlines", "levels")


def parse_workflow(text: str, *, source: str = "<spec>") -> Workflow:
    """Parse and validate a YAML workflow spec given as text.

    >>> parse_workflow("steps: [上报, 结案]").steps
    ('上报', '结案')
    """
    import yaml

    from procmine.yamlsafe import check_yaml_text, describe_yaml_error

    if len(text.encode("utf-8", "ignore")) > MAX_SPEC_BYTES:
        raise SpecError(f"{source}: the spec is too large (at most {MAX_SPEC_BYTES:,} bytes)")
    check_yaml_text(text, source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = describe_yaml_error(e).removeprefix(f"line {mark.line + 1}: " if mark else "")
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
        if len(self.declared) > MAX_WORKFLOW_STEPS:
            raise self.fail(node, f"more than {MAX_WORKFLOW_STEPS:,} steps, more than "
                            "`workflow check` can explore in reasonable time",
                            hint="a closed loop has tens of steps; split the workflow")

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
                parts = (self.text(fields["from"][1], "a step"), self.text(fields["to"][1], "a step"),
                         self.text(fields["within"][1], "a duration"))
                where = fields["within"][1]
            else:
                parts = None
                text = self.text(v, "a deadline like '派遣 -> 结案 within 5 working days'")
                where = v
            try:
                if parts is not None:  # the structured form needs no splitting
                    d = make_deadline(*parts, category=cat, line=self.line(where))
                else:
                    d = parse_deadline(text, category=cat, line=self.line(where), steps=known)
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
