"""Every message procmine words for people, found in its source: the message and the
``hint=`` of each ``raise`` of a :mod:`procmine.errors` class, and the notes appended
to a list named ``notes`` (the notes the CLI prints). An f-string becomes an example:
its placeholders filled with sample values. Used by tests/test_messages_chinese.py.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from procmine import errors

ROOT = Path(__file__).resolve().parents[1]

#: the error classes (every ProcmineError subclass of procmine.errors)
ERRORS = {name for name, value in vars(errors).items()
          if isinstance(value, type) and issubclass(value, errors.ProcmineError)}

#: what a placeholder is filled with: a text, a count, a path (one example each)
FILLINGS = ("x", "3", "logs/a.csv")


@dataclass
class Template:
    """One message as written in the source: its pieces (text) and placeholders (None)."""

    where: str                      # file:line
    kind: str                       # "error", "hint", "note" or "part" (of an error)
    pieces: list = field(default_factory=list)   # str and Slot

    @property
    def shape(self) -> str:
        return "".join(p if isinstance(p, str) else "{}" for p in self.pieces)

    def examples(self) -> list[tuple[str, list[str]]]:
        """The message with its placeholders filled, one way per filling: (text, values)."""
        out = []
        for filling in FILLINGS:
            values = [_sample(filling, p) for p in self.pieces if not isinstance(p, str)]
            it = iter(values)
            out.append(("".join(p if isinstance(p, str) else next(it) for p in self.pieces), values))
        return out


def _sample(filling: str, slot: Slot) -> str:
    return repr(filling) if slot.repr else filling


def _pieces(node: ast.expr, names: dict | None = None) -> list[list] | None:
    """The ways a string expression reads, each a list of pieces (texts and Slots): one,
    or one per branch of a conditional; None when it is not built from literals here (a
    variable)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [[node.value]]
    if isinstance(node, ast.JoinedStr):
        ways: list[list] = [[]]
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts = [[value.value]]
            elif isinstance(value.value, ast.Name) and value.conversion == -1 \
                    and value.format_spec is None and names and value.value.id in names:
                parts = _pieces(value.value, names) or [[Slot()]]   # a wording chosen above
            elif isinstance(value.value, ast.IfExp) and value.conversion == -1 \
                    and value.format_spec is None:                     # {'s' if n > 1 else ''}
                parts = _pieces(value.value, names) or [[Slot()]]
            else:
                parts = [[Slot(value.conversion == ord("r"))]]
            ways = [way + part for way in ways for part in parts]
        return ways
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _pieces(node.left, names), _pieces(node.right, names)
        if left is None and right is None:
            return None
        return [a + b for a in (left or [[Slot()]]) for b in (right or [[Slot()]])]
    if isinstance(node, ast.IfExp):
        body, orelse = _pieces(node.body, names), _pieces(node.orelse, names)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "join" and isinstance(node.func.value, ast.Constant):
        return [[Slot()]]        # ", ".join(names): a list of names
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "format" and not node.keywords:      # "... {} ...".format(a, b)
        formats = _pieces(node.func.value, names)
        if not formats or any(not all(isinstance(p, str) for p in f) for f in formats):
            return None
        args = [_pieces(a, names) or [[Slot()]] for a in node.args]
        ways = []
        for text in ("".join(f) for f in formats):
            texts = text.split("{}")
            if len(texts) != len(args) + 1:
                return None
            filled: list[list] = [[texts[0]]]
            for arg, after in zip(args, texts[1:], strict=True):
                filled = [way + a + [after] for way in filled for a in arg]
            ways += filled
        return ways
    if isinstance(node, ast.Name) and names and node.id in names:
        ways = [_pieces(value, {k: v for k, v in names.items() if k != node.id})
                for value in names[node.id]]
        return None if None in ways else [way for w in ways for way in w]
    return None


def _wordings(scope: ast.AST) -> dict[str, list[ast.expr]]:
    """The names a function (or a module) gives wordings: each a list of the expressions
    assigned to it (a local hint, a conditional phrase), or the literal values a loop
    takes (``for s, end in ((a, "leave from"), (b, "return to"))``)."""
    seen: dict[str, list[ast.expr]] = {}
    for node in ast.walk(scope):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    seen.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.For) and isinstance(node.iter, (ast.Tuple, ast.List)):
            rows = node.iter.elts
            targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
            for i, target in enumerate(targets):
                if isinstance(target, ast.Name):
                    values = [r.elts[i] if isinstance(r, ast.Tuple) else r for r in rows]
                    seen.setdefault(target.id, []).extend(values)
    for node in ast.walk(scope):        # any other loop's or a function's variable is no wording
        if isinstance(node, ast.comprehension) or (
                isinstance(node, ast.For) and not isinstance(node.iter, (ast.Tuple, ast.List))):
            seen.update({n.id: [ast.Name("?")] for n in ast.walk(node.target)
                         if isinstance(n, ast.Name)})
        elif isinstance(node, ast.arg):
            seen[node.arg] = [ast.Name("?")]
    return seen


@dataclass(frozen=True)
class Slot:
    """A placeholder; ``repr``: written with ``!r`` (a quoted value)."""

    repr: bool = False


def _is_error(call: ast.expr) -> bool:
    if not isinstance(call, ast.Call):
        return False
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    return name in ERRORS


#: the workflow spec's readers, whose second argument (what was expected) is part of a message
_PARTS = ("text", "seq", "mapping", "flag")


def _is_method(call: ast.Call, name: str, args: int) -> bool:
    """``self.name(...)`` with at least ``args`` arguments, the last of them words."""
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == name and isinstance(f.value, ast.Name)
            and f.value.id == "self" and len(call.args) >= args
            and isinstance(call.args[args - 1], (ast.Constant, ast.JoinedStr)))


def _is_note(call: ast.Call) -> bool:
    f = call.func
    if not (isinstance(f, ast.Attribute) and f.attr == "append" and len(call.args) == 1):
        return False
    target = f.value
    return (isinstance(target, ast.Name) and target.id == "notes") or \
        (isinstance(target, ast.Attribute) and target.attr == "notes")


#: the functions that word a note (their return value)
_NOTE_MAKERS = re.compile(r"\w*_note|message")


def _calls(node: ast.AST, names: dict, scopes: dict, maker: bool = False):
    """Each call under ``node`` with the wordings of its innermost function, and the
    return statements of the functions that word a note."""
    for child in ast.iter_child_nodes(node):
        inner = scopes.get(id(child), names)
        if isinstance(child, ast.Call) or (maker and isinstance(child, ast.Return)):
            yield child, inner
        inside = _NOTE_MAKERS.fullmatch(child.name) is not None if isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef)) else maker
        yield from _calls(child, inner, scopes, inside)


def templates(root: Path = ROOT / "procmine") -> tuple[list[Template], list[str]]:
    """Every template under ``root``, and where a message is a variable (not checked)."""
    found: list[Template] = []
    unknown: list[str] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(root.parent)
        module = {k: v for k, v in _wordings(tree).items() if len(v) == 1}
        scopes = {id(node): {**module, **_wordings(node)} for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for node, names in _calls(tree, module, scopes):
            where = f"{rel}:{node.lineno}"
            if isinstance(node, ast.Return):        # a note's wording
                texts = [("note", node.value)] if node.value is not None else []
            elif _is_error(node):
                texts = [("error", node.args[0])] if node.args else []
                texts += [("hint", k.value) for k in node.keywords if k.arg == "hint"]
            elif _is_method(node, "fail", 2):      # the workflow spec's errors, with their line
                texts = [("error", node.args[1])] + [("hint", a) for a in node.args[2:3]]
                texts += [("hint", k.value) for k in node.keywords if k.arg == "hint"]
            elif any(_is_method(node, name, 2) for name in _PARTS):
                texts = [("part", node.args[1])]
            elif _is_note(node):
                texts = [("note", node.args[0])]

            else:
                continue
            for kind, expr in texts:
                if isinstance(expr, ast.Constant) and expr.value is None:
                    continue
                pieces = _pieces(expr, names)
                if pieces is None:
                    unknown.append(f"{where} {kind}: {ast.unparse(expr)}")
                else:
                    found += [Template(where, kind, way) for way in pieces]
    return found, unknown
