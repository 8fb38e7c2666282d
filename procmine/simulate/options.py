"""The options of a simulation: pattern rates and reforms, read from files and validated.

:func:`check_rates` and :func:`read_rates` give the rates of the injected patterns
(and ``bottleneck_slowdown``) over :data:`~procmine.simulate.model.DEFAULT_RATES`;
:class:`Reform` is a change of rates and units' service times from a date on,
validated by :func:`check_reform` (unit names become keys of
:data:`~procmine.simulate.model.UNITS`) and read by :func:`read_reform`. Each
error is a ``SpecError`` that says which key or value is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from procmine.errors import SpecError
from procmine.simulate.governance import GOVERNANCE_RATES, RANGES
from procmine.simulate.model import DEFAULT_RATES, UNITS
from procmine.vocabulary import PATTERN_ALIASES


def read_rates(path: str | os.PathLike) -> dict[str, float]:
    """Pattern rates from a YAML or JSON file: ``{pattern: share of cases}``.

    Keys are those of :data:`DEFAULT_RATES`; missing keys keep their default.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "rates.yaml")
    >>> _ = open(p, "w").write("escalation: 0.2\\nbottleneck_slowdown: 6\\n")
    >>> read_rates(p)["escalation"]
    0.2
    """
    path = Path(path)
    data = _read_mapping(path, "rates", "a mapping like 'escalation: 0.05'")
    try:
        return check_rates(data)
    except SpecError as e:
        raise SpecError(f"{path}: {e.message}", hint=e.hint) from None


def check_rates(rates: Mapping[str, Any] | None) -> dict[str, float]:
    """The default rates updated with ``rates``, validated.

    >>> check_rates({"reopen": 0.1})["reopen"]
    0.1
    >>> check_rates({"ping_pong": 0.02})["pingpong"]       # an older spelling
    0.02
    """
    out = dict(DEFAULT_RATES)
    for key, value in (rates or {}).items():
        key = _pattern(key)
        if key not in DEFAULT_RATES and key not in GOVERNANCE_RATES:
            raise SpecError(f"unknown rate {key!r}",
                            hint=f"known: {', '.join([*DEFAULT_RATES, *GOVERNANCE_RATES])}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SpecError(f"rate {key}: {value!r} is not a number") from None
        if key in RANGES:       # issue 24's effects: a factor or a number of steps
            lo, hi = RANGES[key]
            if not lo <= number <= hi:
                raise SpecError(f"{key} {number:g}: expected a number from {lo:g} to {hi:g}")
        elif key == "bottleneck_slowdown":
            if not 1 <= number <= 20:
                raise SpecError(f"bottleneck_slowdown {number:g}: expected a factor from 1 to 20")
        elif not 0 <= number <= 0.5:
            raise SpecError(f"rate {key} {number:g}: expected a share of cases from 0 to 0.5")
        out[key] = number
    return out


@dataclass(frozen=True)
class Reform:
    """A change that applies to the cases reported on or after ``date``.

    ``rates``: the pattern rates (and ``bottleneck_slowdown``) that change, as in
    :data:`DEFAULT_RATES`; the others keep the run's rates. ``service``: a factor
    per unit key of :data:`UNITS` (``{"housing": 0.5}`` halves the housing office's
    handling time and the time it takes to sign, return and report back).

    >>> Reform(date="2024-02-01", rates={"pingpong": 0.02}, service={"housing": 0.5}).to_dict()["service"]
    {'housing': 0.5}
    """

    date: str
    rates: Mapping[str, float] = field(default_factory=dict)
    service: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"date": str(self.date), "rates": dict(self.rates), "service": dict(self.service)}


def _pattern(key: str) -> str:
    return PATTERN_ALIASES.get(key, key)


def _unit_key(name: str) -> str | None:
    """The key of a unit named by its key, Chinese or English name."""
    if name in UNITS:
        return name
    for key, unit in UNITS.items():
        if name in (unit.zh, unit.en):
            return key
    return None


def check_reform(reform: Reform | Mapping[str, Any]) -> Reform:
    """A validated :class:`Reform` (unit names turned into keys) from a Reform or a mapping.

    >>> check_reform({"date": "2024-03-01", "service": {"房管办": 0.5}}).service
    {'housing': 0.5}
    """
    if isinstance(reform, Reform):
        data: Mapping[str, Any] = reform.to_dict()
    elif isinstance(reform, Mapping):
        data = reform
    else:
        raise SpecError("reform: expected a mapping with date, rates and service")
    unknown = sorted(set(data) - {"date", "rates", "service"})
    if unknown:
        raise SpecError(f"reform: unknown key {unknown[0]!r}", hint="expected date, rates and service")
    rates = data.get("rates") or {}
    service = data.get("service") or {}
    if not isinstance(rates, Mapping) or not isinstance(service, Mapping):
        raise SpecError("reform: rates and service must be mappings like 'pingpong: 0.02'")
    checked = check_rates(rates)
    factors: dict[str, float] = {}
    for name, value in service.items():
        key = _unit_key(str(name))
        if key is None:
            raise SpecError(f"reform service: unknown unit {name!r}",
                            hint="name a unit by its key (housing), Chinese (房管办) or English name")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SpecError(f"reform service {name}: {value!r} is not a number") from None
        if not 0.05 <= number <= 20:
            raise SpecError(f"reform service {name} {number:g}: expected a factor from 0.05 to 20")
        factors[key] = number
    date = data.get("date")
    if date is None or str(date).strip() == "":
        raise SpecError("reform: no date", hint="give date='YYYY-MM-DD' or 'date:' in the file")
    try:
        pd.Timestamp(str(date))
    except (ValueError, TypeError):
        raise SpecError(f"reform date {date!r}: not a date (YYYY-MM-DD)") from None
    return Reform(date=str(date).strip(), rates={k: checked[k] for k in map(_pattern, rates)}, service=factors)


def read_reform(path: str | os.PathLike, *, date: str | None = None) -> Reform:
    """A reform from a YAML or JSON file: ``rates`` and ``service`` factors (and ``date``).

    ``date`` (from ``--reform-date``) overrides a ``date:`` in the file.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "reform.yaml")
    >>> _ = open(p, "w").write("rates:\\n  pingpong: 0.02\\nservice:\\n  housing: 0.5\\n")
    >>> r = read_reform(p, date="2024-03-01")
    >>> r.rates, r.service
    ({'pingpong': 0.02}, {'housing': 0.5})
    """
    path = Path(path)
    data = _read_mapping(path, "reform", "a mapping with 'rates:' and 'service:'")
    if date is not None:
        data = {**data, "date": date}
    try:
        return check_reform(data)
    except SpecError as e:
        raise SpecError(f"{path}: {e.message}", hint=e.hint) from None


def _read_mapping(path: Path, what: str, expected: str) -> dict:
    """The YAML (or JSON) mapping in ``path``; an empty file is an empty mapping."""
    import yaml

    from procmine.yamlsafe import check_yaml_text, describe_yaml_error

    try:
        text = path.read_text(encoding="utf-8-sig")
        check_yaml_text(text, str(path))
        data = yaml.safe_load(text)
    except OSError as e:
        raise SpecError(f"{path}: cannot read the {what} file: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML or JSON: {describe_yaml_error(e)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected {expected}")
    return data
