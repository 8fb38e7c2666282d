"""The layers of docs/architecture.md, held by a test: which package may import which.

Every ``import procmine.X`` and ``from procmine.X import ...`` in procmine/ counts,
at module level or inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "procmine"

#: The analyses: they take an engine and return result objects.
ANALYSES = {"summary", "discover", "conform", "bottlenecks", "loops", "network", "compare",
            "audit", "anonymize", "filters"}
#: Presentation: drawings, the report, the command line.
PRESENTATION = {"render", "report", "cli"}


def _component(module: str) -> str:
    """``procmine.loops.context`` -> ``loops`` (the first name under procmine)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports() -> dict[str, set[tuple[str, str]]]:
    """component -> {(imported component, 'file:line')} for every procmine import."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts)
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: resolve against the package
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    names = [".".join(base + ([node.module] if node.module else []))]
                elif node.module:
                    names = [node.module]
                if names == ["procmine"]:  # from procmine import x: x is the component
                    names = [f"procmine.{a.name}" for a in node.names]
            for name in names:
                if name.startswith("procmine.") and _component(name) != _component(module):
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    found[_component(module)].add((_component(name), where))
    return found


IMPORTS = _imports()


def _offenders(importers: set[str], forbidden: set[str]) -> list[str]:
    return sorted(f"{where} ({src} imports {dst})" for src in importers
                  for dst, where in IMPORTS.get(src, ()) if dst in forbidden)


def test_nothing_but_the_entry_points_imports_the_command_line():
    importers = set(IMPORTS) - {"cli", "__main__"}
    assert _offenders(importers, {"cli"}) == []


def test_analyses_do_not_draw_or_report():
    assert _offenders(ANALYSES, PRESENTATION) == []


def test_engines_do_not_import_analyses_or_presentation():
    assert _offenders({"engines", "abstractions"}, ANALYSES | PRESENTATION) == []


def test_reading_imports_no_analysis_and_no_engine():
    assert _offenders({"read"}, ANALYSES | PRESENTATION | {"engines", "abstractions"}) == []


def test_the_simulator_and_the_detectors_do_not_import_each_other():
    assert _offenders({"simulate"}, {"loops", "audit", "conform", "bottlenecks"}) == []
    assert _offenders({"loops", "audit"}, {"simulate"}) == []


def test_only_the_engines_ask_which_kind_of_log_they_have():
    import re

    branch = re.compile(r"is_engine\(|isinstance\([^)]*\bEventLog\b")
    places = sorted(str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py")
                    if branch.search(p.read_text(encoding="utf-8")))
    assert places == ["procmine/engines/__init__.py"]


def test_the_packages_form_no_import_cycle():
    graph = {src: {dst for dst, _ in edges if dst} for src, edges in IMPORTS.items() if src}
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if seen.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in seen and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        seen[node] = 2
        return None

    for start in sorted(graph):
        if start not in seen and (cycle := visit(start)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def _returns_per_case(log):
    """docs/architecture.md's example: one new per-case measure, written once."""
    import pandas as pd

    from procmine.engines import as_engine
    from procmine.vocabulary import role_of

    engine = as_engine(log)
    counts = []
    for part in engine.event_logs():
        events = part.events
        is_return = events["concept:name"].map(role_of).eq("return")
        counts.append(is_return.groupby(events["case:concept:name"], sort=False).sum())
    return pd.concat(counts) if counts else pd.Series(dtype="int64")


def test_a_new_measure_written_once_runs_on_every_engine():
    from procmine.engines import get_engine
    from procmine.read import read_log

    sample = PACKAGE.parent / "logs" / "sample.csv"
    log = read_log(sample)
    in_memory = _returns_per_case(log)
    truth = log.events[log.events["concept:name"] == "退单"].groupby("case:concept:name").size()
    assert in_memory.sum() == len(log.events[log.events["concept:name"] == "退单"]) > 0
    assert (in_memory[truth.index] == truth).all()
    with get_engine("duckdb", str(sample)) as engine:
        assert _returns_per_case(engine).equals(in_memory)


def test_command_line_choices_come_from_the_library():
    """click choices are the library's tuples (procmine.choices, procmine.vocabulary), not copies."""
    import re

    copies = [f"{path.name}:{n}" for path in sorted((PACKAGE / "cli").glob("*.py"))
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"click\.Choice\(\s*[\[(]", line) and "--table" not in line]
    assert copies == []
