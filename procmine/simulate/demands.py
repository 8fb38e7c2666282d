"""Who made each demand, where, and what the responsibility list says: the audit's truth.

Drawn AFTER the events, from a random stream of its own (seeded from the run's seed),
so a seed gives the same events as before these columns existed:

- the citizen (a hashed phone number) of the orders reported through 12345 and other
  channels (grid patrols and video AI have none), and an address in the grid cell;
- repeat demands: a later order of the same category takes the citizen and address of
  an earlier order that closed at most :data:`REPEAT_DAYS` days before it was reported
  (and a few near misses: the same citizen and address too late, or about another
  category), so no event changes;
- the responsibility list (权责清单) derived from the model (:func:`responsibility_list`):
  a category's handlers are the units responsible for it, and a first dispatch to any
  other unit is a mis-dispatch (``misdispatch`` in the truth).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from procmine.calendar import DAY
from procmine.simulate.model import _CODE, _KEYS, _ROLE_CODE, CATEGORIES, COMMUNITIES, UNITS
from procmine.vocabulary import (
    BOUNCES,
    EXTENDED,
    FIRST_UNIT,
    MISDISPATCH,
    REPEAT,
    REPEAT_OF,
    REPEATED,
    SUSPENDED,
)

if TYPE_CHECKING:
    from procmine.simulate.simulation import _Built

#: The linking window of the simulated repeats, days after the earlier order's final closure.
REPEAT_DAYS = 30
#: Share of the orders with a citizen that are the same demand again.
REPEAT_RATE = 0.08
#: Near misses: same citizen and address but too late, or the same citizen about another category.
_LATE_RATE, _OTHER_RATE = 0.02, 0.02
#: Sources (SOURCES order) whose orders name a citizen: 12345 and other channels.
_CITIZEN_SOURCES = (1, 3)
_ROADS = {"zh": ("路", "街", "弄"), "en": ("Rd", "St", "Ln")}
_COMMUNITY_ROOTS = {"zh": ("和平", "幸福", "光明", "友谊", "东风", "新华", "团结", "红星"),
                    "en": ("Heping", "Xingfu", "Guangming", "Youyi", "Dongfeng", "Xinhua",
                           "Tuanjie", "Hongxing")}


def responsible_codes() -> dict[int, set[int]]:
    """Category index -> the unit codes the responsibility list names (every community
    for a category its residents' committees handle)."""
    communities = {_CODE[f"community{i}"] for i in range(COMMUNITIES)}
    out: dict[int, set[int]] = {}
    for c, category in enumerate(CATEGORIES.values()):
        codes: set[int] = set()
        for handler, _ in category.handlers:
            codes |= communities if handler == "community" else {_CODE[handler]}
        out[c] = codes
    return out


def responsibility_list(lang: str = "zh") -> dict[str, Any]:
    """The simulated street's responsibility list, as ``procmine.audit`` reads it (YAML).

    >>> rules = responsibility_list("en")["rules"]
    >>> rules[0]["category"], rules[0]["units"][0]
    ('exposed rubbish', {'unit': 'greening and appearance office', 'kind': 'line', 'level': 'street'})
    """
    from procmine.simulate.tables import _KIND_LABEL, _LEVEL_EN

    codes = responsible_codes()
    rules = []
    for c, category in enumerate(CATEGORIES.values()):
        units = []
        for code in sorted(codes[c], key=lambda k: (UNITS[_KEYS[k]].level != "街镇", k)):
            unit = UNITS[_KEYS[code]]
            units.append({"unit": unit.zh if lang == "zh" else unit.en,
                          "kind": _KIND_LABEL[lang][unit.kind],
                          "level": unit.level if lang == "zh" else _LEVEL_EN[unit.level]})
        rules.append({"category": category.zh if lang == "zh" else category.en, "units": units,
                      "deadline_hours": category.deadline_seconds() / 3600})
    return {"rules": rules}


def demands(built: _Built, seed: int, lang: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Per case: the citizen (hash or ""), the address, and the truth of the audit."""
    rng = np.random.default_rng([int(seed), 23])     # a stream of its own: events unchanged
    n = built.n
    has_citizen = np.isin(built.source, _CITIZEN_SOURCES)
    citizen = np.array([f"{v:016x}" for v in rng.integers(0, 2**63, n)], dtype=object)
    citizen[~has_citizen] = ""
    address = _addresses(rng, n, lang)
    report, close = _report_and_close(built)
    repeat_of = np.full(n, -1)
    last = has_citizen.copy()          # the latest order of its citizen so far
    # cases are in order of their report, so a link only ever looks back
    for j in np.flatnonzero(has_citizen & (rng.random(n) < REPEAT_RATE + _LATE_RATE + _OTHER_RATE)):
        _link(j, rng, built.category, report, close, last, repeat_of, citizen, address)
    repeat = np.zeros(n, dtype=bool)
    linked = repeat_of >= 0
    gap = report[linked] - close[repeat_of[linked]]
    repeat[np.flatnonzero(linked)] = (built.category[linked] == built.category[repeat_of[linked]]) \
        & (gap >= 0) & (gap <= REPEAT_DAYS * DAY)
    repeated = np.zeros(n, dtype=bool)
    repeated[repeat_of[repeat]] = True
    truth = _dispatch_truth(built) | {
        REPEAT: repeat, REPEAT_OF: np.where(repeat, repeat_of, -1), REPEATED: repeated,
        "citizen": citizen, "address": address}
    return citizen, address, truth


def _link(j: int, rng: np.random.Generator, category: np.ndarray, report: np.ndarray,
          close: np.ndarray, last: np.ndarray, repeat_of: np.ndarray,
          citizen: np.ndarray, address: np.ndarray) -> None:
    """Give order ``j`` the citizen and address of an earlier order: a repeat (most), one
    closed too long ago, or one of another category (near misses).

    The earlier order must be its citizen's latest so far (``last``), so that the order
    a detector finds before ``j`` is the one chosen; an order about another category
    takes a citizen with no other order, so it never meets an older one of its category.
    """
    kind = rng.random() * (REPEAT_RATE + _LATE_RATE + _OTHER_RATE)
    lo, hi = report[j] - REPEAT_DAYS * DAY, report[j]
    same = category == category[j]
    if kind >= REPEAT_RATE + _LATE_RATE:
        same = ~same & (repeat_of < 0)
    elif kind >= REPEAT_RATE:
        lo, hi = report[j] - (REPEAT_DAYS + 40) * DAY, report[j] - (REPEAT_DAYS + 1) * DAY
    pool = np.flatnonzero(same & last & (close >= lo) & (close < hi) & (report < report[j]))
    if len(pool) == 0:
        return
    i = int(pool[rng.integers(0, len(pool))])
    citizen[j], address[j] = citizen[i], address[i]
    repeat_of[j], last[i] = i, False


def _addresses(rng: np.random.Generator, n: int, lang: str) -> np.ndarray:
    """An address per order: a road of one of the communities and a house number."""
    roots = _COMMUNITY_ROOTS[lang]
    road = rng.integers(0, len(roots) * 3, n)
    number = rng.integers(1, 400, n)
    names = [(roots[r // 3], _ROADS[lang][r % 3]) for r in range(len(roots) * 3)]
    if lang == "zh":
        return np.array([f"{names[r][0]}{names[r][1]}{k}号" for r, k in zip(road, number, strict=True)],
                        dtype=object)
    return np.array([f"{k} {names[r][0]} {names[r][1]}" for r, k in zip(road, number, strict=True)],
                    dtype=object)


def _report_and_close(built: _Built) -> tuple[np.ndarray, np.ndarray]:
    """Local seconds of each order's report (first event) and final closure (last 结案)."""
    case = built.case_of_event
    report = np.full(built.n, np.inf)
    np.minimum.at(report, case, built.times.astype(np.float64))
    close = np.full(built.n, -np.inf)
    closing = built.roles == _ROLE_CODE["close"]
    np.maximum.at(close, case[closing], built.times[closing].astype(np.float64))
    return report, close


def _dispatch_truth(built: _Built) -> dict[str, Any]:
    """The first unit after the first dispatch, whether the list names it, bounces, and
    whether the order was suspended or extended."""
    n, case, roles, units = built.n, built.case_of_event, built.roles, built.units
    receive = np.isin(roles, [_ROLE_CODE[r] for r in ("sign", "return", "handle")])
    index = np.arange(len(case))
    after_first = index > _first_index(case, roles == _ROLE_CODE["dispatch"], n)[case]
    candidates = np.flatnonzero(receive & after_first)
    first_unit = np.full(n, -1)
    order = candidates[::-1]                        # the earliest candidate per case wins
    first_unit[case[order]] = units[order]
    responsible = responsible_codes()
    mis = np.array([first_unit[k] >= 0 and first_unit[k] not in responsible[int(built.category[k])]
                    for k in range(n)], dtype=bool)
    accepted = _first_index(case, roles == _ROLE_CODE["handle"], n)
    returns = roles == _ROLE_CODE["return"]
    bounces = np.bincount(case[returns & (index < accepted[case])], minlength=n)
    return {MISDISPATCH: mis, FIRST_UNIT: first_unit, BOUNCES: bounces,
            SUSPENDED: np.bincount(case[roles == _ROLE_CODE["park"]], minlength=n) > 0,
            EXTENDED: np.bincount(case[roles == _ROLE_CODE["extension_grant"]], minlength=n) > 0}


def _first_index(case: np.ndarray, where: np.ndarray, n: int) -> np.ndarray:
    """Per case, the event index of the first event where ``where`` holds (a large number if none)."""
    out = np.full(n, np.iinfo(np.int64).max)
    idx = np.flatnonzero(where)
    np.minimum.at(out, case[idx], idx)
    return out


def with_demands(events: Any, truth: Any, built: _Built, seed: int, lang: str) -> None:
    """Add the citizen and address columns to ``events`` and the audit's truth to ``truth``."""
    from procmine.log import ADDRESS, CITIZEN
    from procmine.simulate.model import HEADERS

    citizen, address, t = demands(built, seed, lang)
    h = HEADERS[lang]
    events[h[CITIZEN]] = citizen[built.case_of_event]
    events[h[ADDRESS]] = address[built.case_of_event]
    names = np.array([UNITS[k].zh if lang == "zh" else UNITS[k].en for k in _KEYS] + [""],
                     dtype=object)
    case_ids = truth["case_id"].to_numpy(dtype=object)
    truth[MISDISPATCH] = t[MISDISPATCH].astype(np.int8)
    truth[FIRST_UNIT] = names[np.where(t[FIRST_UNIT] >= 0, t[FIRST_UNIT], len(names) - 1)]
    truth[BOUNCES] = t[BOUNCES].astype(np.int8)
    truth[SUSPENDED] = t[SUSPENDED].astype(np.int8)
    truth[EXTENDED] = t[EXTENDED].astype(np.int8)
    truth[REPEAT] = t[REPEAT].astype(np.int8)
    truth[REPEAT_OF] = np.where(t[REPEAT_OF] >= 0, case_ids[np.maximum(t[REPEAT_OF], 0)], "")
    truth[REPEATED] = t[REPEATED].astype(np.int8)
    truth["citizen"] = t["citizen"]
    truth["address"] = t["address"]


def write_responsibility(path: Any, lang: str = "zh") -> None:
    """Write :func:`responsibility_list` as YAML (what ``procmine audit --responsibility`` reads).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "r.yaml")
    >>> write_responsibility(p); open(p, encoding="utf-8").readline().startswith("#")
    True
    """
    import yaml

    from procmine.output import atomic_write

    text = yaml.safe_dump(responsibility_list(lang), allow_unicode=True, sort_keys=False)
    head = ("# 权责清单 of the simulated street: category -> responsible units (kind 条/块, level),\n"
            "# deadline in working hours. Made by procmine.simulate.write_responsibility.\n")
    with atomic_write(path, encoding="utf-8") as f:
        f.write(head + text)
