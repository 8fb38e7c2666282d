"""The responsibility list (权责清单): which units are responsible for which category.

A YAML file (``rules:``, a list of ``category``, ``units`` and an optional
``deadline_hours``) or a CSV file (one row per category and unit: ``category``,
``unit``, ``kind``, ``level``, ``deadline_hours``). Kinds are 条/块 or line/block;
levels as in the log (网格 居村 街镇 区 市, or their English aliases).

>>> rules = read_responsibility("logs/responsibility.yaml")
>>> len(rules.rules), rules.deadline_seconds("暴露垃圾")
(12, 14400.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procmine.errors import SpecError
from procmine.log import KIND_ALIASES, LEVEL_ALIASES
from procmine.yamlsafe import as_list


@dataclass(frozen=True)
class ResponsibleUnit:
    """A unit the list names: its name, kind (line/block) and level (as the log names it)."""

    unit: str
    kind: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class Rule:
    """One category of matter, the units responsible for it and its deadline (working hours)."""

    category: str
    units: tuple[ResponsibleUnit, ...]
    deadline_hours: float | None = None


@dataclass(frozen=True)
class ResponsibilityList:
    """The rules by category; ``path`` says where they were read from."""

    rules: tuple[Rule, ...]
    path: str | None = None
    _by_category: dict[str, Rule] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_category.update({r.category: r for r in self.rules})

    def rule(self, category: Any) -> Rule | None:
        """The rule of a category, or None when the list has none."""
        return self._by_category.get(str(category)) if category is not None else None

    def units_of(self, category: Any) -> frozenset[str]:
        rule = self.rule(category)
        return frozenset(u.unit for u in rule.units) if rule else frozenset()

    def deadline_seconds(self, category: Any) -> float | None:
        rule = self.rule(category)
        if rule is None or rule.deadline_hours is None:
            return None
        return float(rule.deadline_hours) * 3600.0

    def unit_table(self) -> dict[str, ResponsibleUnit]:
        """Every unit the list names, by name (kind and level as the list gives them)."""
        return {u.unit: u for r in self.rules for u in r.units}


def read_responsibility(path: str | Path) -> ResponsibilityList:
    """Read a responsibility list from YAML (or JSON) or CSV; errors say file and entry."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise SpecError(f"{path}: cannot read the responsibility list: {e.strerror or e}") from None
    if path.suffix.lower() in (".csv", ".tsv"):
        return ResponsibilityList(_rules_from_csv(path, text), str(path))
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML or JSON: {e}") from None
    if not isinstance(data, dict) or not data.get("rules"):
        raise SpecError(f"{path}: expected 'rules:', a list of categories and their units",
                        hint="see docs/audit.md for the format")
    rules = as_list(data["rules"])
    return ResponsibilityList(tuple(_rule(path, i, r) for i, r in enumerate(rules, 1)),
                              str(path))


def _rule(path: Path, number: int, entry: Any) -> Rule:
    where = f"{path}: rule {number}"
    if not isinstance(entry, dict) or not entry.get("category") or not entry.get("units"):
        raise SpecError(f"{where}: expected 'category' and 'units'")
    units = []
    for unit in as_list(entry["units"]):
        if isinstance(unit, str):
            units.append(ResponsibleUnit(unit.strip()))
        elif isinstance(unit, dict) and unit.get("unit"):
            units.append(_unit(where, unit.get("unit"), unit.get("kind"), unit.get("level")))
        else:
            raise SpecError(f"{where}: a unit is a name or 'unit:' with optional 'kind', 'level'")
    return Rule(str(entry["category"]).strip(), tuple(units), _hours(where, entry))


def _unit(where: str, name: Any, kind: Any, level: Any) -> ResponsibleUnit:
    kind_name = KIND_ALIASES.get(str(kind).strip().lower()) if kind not in (None, "") else None
    if kind not in (None, "") and kind_name is None:
        raise SpecError(f"{where}: kind {kind!r} of {name}: expected 条/块 or line/block")
    level_name = None
    if level not in (None, ""):
        level_name = LEVEL_ALIASES.get(str(level).strip().lower(), str(level).strip())
    return ResponsibleUnit(str(name).strip(), kind_name, level_name)


def _hours(where: str, entry: dict) -> float | None:
    value = entry.get("deadline_hours")
    if value in (None, ""):
        return None
    try:
        hours = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{where}: deadline_hours {value!r}: expected working hours") from None
    if not hours > 0:
        raise SpecError(f"{where}: deadline_hours {value!r}: expected a positive number")
    return hours


def _rules_from_csv(path: Path, text: str) -> tuple[Rule, ...]:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or not {"category", "unit"} <= set(rows[0]):
        raise SpecError(f"{path}: expected the columns category, unit (kind, level, "
                        "deadline_hours optional)")
    by: dict[str, list[ResponsibleUnit]] = {}
    hours: dict[str, float | None] = {}
    for number, row in enumerate(rows, 2):
        where = f"{path}: row {number}"
        category = (row.get("category") or "").strip()
        if not category or not (row.get("unit") or "").strip():
            raise SpecError(f"{where}: category and unit must not be empty")
        by.setdefault(category, []).append(_unit(where, row["unit"], row.get("kind"),
                                                 row.get("level")))
        hours[category] = _hours(where, row) if hours.get(category) is None else hours[category]
    return tuple(Rule(c, tuple(u), hours[c]) for c, u in by.items())
