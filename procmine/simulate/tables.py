"""The tables of a simulated log: the events and the truth as DataFrames, in zh or en.

``_tables`` turns the integer codes of a ``_Built`` run into the event table
(headers of :data:`~procmine.simulate.model.HEADERS`, categorical columns, local
timezone-aware times) and the truth table (one row per case, names in place of
codes); ``_level_text`` gives the level names in English.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from procmine.calendar import WorkingCalendar
from procmine.log import (
    ACTIVITY,
    CASE,
    CATEGORY,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    SOURCE,
    TIMESTAMP,
)
from procmine.simulate.model import _KEYS, _ROLES, CATEGORIES, HEADERS, SOURCES, UNITS
from procmine.vocabulary import OVERLOADED, PLATFORM_EXTRA, UPWARD_SLOWED, label

if TYPE_CHECKING:
    from procmine.simulate.simulation import _Built

_LEVEL_EN = {"网格": "grid", "居村": "community", "街镇": "street", "区": "district", "市": "city"}
_KIND_LABEL = {"zh": {"line": "条", "block": "块"}, "en": {"line": "line", "block": "block"}}


def _tables(b: _Built, lang: str, cal: WorkingCalendar) -> tuple[pd.DataFrame, pd.DataFrame]:
    h = HEADERS[lang]
    width = max(7, len(str(b.n)))
    case_ids = np.array([f"GD{i + 1:0{width}d}" for i in range(b.n)], dtype=object)
    unit_names = [UNITS[k].zh if lang == "zh" else UNITS[k].en for k in _KEYS]
    level_names = [UNITS[k].level if lang == "zh" else _LEVEL_EN[UNITS[k].level] for k in _KEYS]
    kind_names = [_KIND_LABEL[lang][UNITS[k].kind] for k in _KEYS]
    cat_names = [c.zh if lang == "zh" else c.en for c in CATEGORIES.values()]
    src_names = [s.zh if lang == "zh" else s.en for s in SOURCES.values()]
    role_names = [label(r, lang) for r in _ROLES]

    def categorical(codes: np.ndarray, names: list[str]) -> pd.Categorical:
        used = sorted(set(names))  # categories in a fixed order, without duplicates
        remap = np.array([used.index(x) for x in names])
        return pd.Categorical.from_codes(remap[codes], categories=used)

    def stamps(local: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(local.astype("datetime64[s]")).tz_localize(cal.timezone)

    c = b.case_of_event
    events = pd.DataFrame({
        h[CASE]: case_ids[c],
        h[ACTIVITY]: categorical(b.roles, role_names),
        h[TIMESTAMP]: stamps(b.times),
        h[RESOURCE]: categorical(b.units, unit_names),
        h[LEVEL]: categorical(b.units, level_names),
        h[KIND]: categorical(b.units, kind_names),
        h[CATEGORY]: categorical(b.category[c], cat_names),
        h[SOURCE]: categorical(b.source[c], src_names),
        h[DEADLINE]: stamps(b.deadline)[c],
    })
    t = b.truth
    names = np.array(unit_names + [""], dtype=object)

    def unit(codes: np.ndarray) -> np.ndarray:
        return names[np.where(codes >= 0, codes, len(unit_names))]

    truth = pd.DataFrame({
        "case_id": case_ids,
        "escalation": t["escalation"].astype(np.int8),
        "pingpong": t["pingpong"].astype(np.int8),
        "dumping": t["dumping"].astype(np.int8),
        "rework": t["rework"].astype(np.int8),
        "reopen": t["reopen"].astype(np.int8),
        "hugging": t["hugging"].astype(np.int8),
        "desk": t["desk"].astype(np.int8),
        "bottleneck": t["bottleneck"].astype(np.int8),
        "category": np.array(cat_names, dtype=object)[b.category],
        "source": np.array(src_names, dtype=object)[b.source],
        "handler": unit(t["handler"]),
        "escalation_unit": unit(t["escalation_unit"]),
        "escalation_from_level": _level_text(t["escalation_from_level"], lang),
        "escalation_to_level": _level_text(t["escalation_to_level"], lang),
        "escalation_levels": t["escalation_levels"].astype(np.int8),
        "pingpong_a": unit(t["pingpong_a"]),
        "pingpong_b": unit(t["pingpong_b"]),
        "dumping_line_unit": unit(t["dumping_line_unit"]),
        "dumping_block_unit": unit(t["dumping_block_unit"]),
        "rework_count": t["rework_count"].astype(np.int8),
        "window_used": np.round(t["window_used"], 4),
        "desk_seconds": np.round(t["desk_seconds"]),
        "allowed_hours": np.round(t["allowed_hours"], 2),
        "extra_hours": np.round(t["extra_hours"], 2),
    })
    for name in (UPWARD_SLOWED, PLATFORM_EXTRA, OVERLOADED, "overload_capacity"):
        if name in t:       # issue 24's effects, when the run had them
            truth[name] = t[name]
    return events, truth


def _level_text(values: np.ndarray, lang: str) -> np.ndarray:
    if lang == "zh":
        return values
    return np.array([_LEVEL_EN.get(v, v) for v in values], dtype=object)
