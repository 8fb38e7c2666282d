"""The process tree of a YAML spec: :class:`Node` (a step, nothing, a sequence, a
choice, parallel steps, a loop), the main line with the extra paths applied as
loops and choices, flattening, the one-line outline of a step list, and the
conversion to pm4py's process tree and from there to a sound workflow net.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from procmine.workflow.model import ExtraPath


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
