"""Simulated dispatch logs of a street operations centre, with the ground truth per case.

No public Chinese dispatch log exists, so procmine makes realistic ones: one street
operations centre (街道城运中心) takes reports from grid patrols, the 12345 hotline,
video AI and other channels, registers them and dispatches them to line departments
(条) and territorial units (块) at the levels 网格 < 居村 < 街镇 < 区 < 市. Units
queue their work, so work in progress raises waiting; every step after the report
happens in office hours of the working calendar, and deadlines count working time.

Seven governance patterns are injected at configurable rates, and one unit (the
housing office, 房管办) is a bottleneck. The truth table says, per case, which
pattern was injected and the details (units, levels, share of the window used).
The exact definitions the events satisfy are in docs/simulate.md; a case without
a flag never satisfies a pattern's definition.

Everything is vectorised with numpy: a case is a row of at most 40 possible steps
(a column per step, a mask per case), times are cumulative working seconds mapped
to clock time by the calendar. One seed gives the same log, byte for byte.

>>> result = simulate_log(cases=200, seed=1)
>>> result.events.columns[:4].tolist()
['工单编号', '环节', '时间', '承办单位']
>>> int(result.truth["round_trip"].sum()) > 0
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from procmine.calendar import DAY, WorkingCalendar, calendar_from_option
from procmine.errors import OutputError, SpecError
from procmine.log import (
    ACTIVITY,
    CASE,
    CATEGORY,
    DEADLINE,
    KIND,
    KIND_ALIASES,
    LEVEL,
    LEVEL_ALIASES,
    RESOURCE,
    SOURCE,
    TIMESTAMP,
    EventLog,
)
from procmine.vocabulary import STEPS, label

# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Unit:
    """A unit that acts on orders: its names, level (zh, bottom up 网格..市), 条/块 and parent."""

    zh: str
    en: str
    level: str
    kind: Literal["line", "block"]
    parent: str | None = None
    speed: float = 1.0


@dataclass(frozen=True)
class Category:
    """A case category: names, the 条/块 kind of its owner, its deadline, its handlers.

    ``deadline`` counts working hours (``deadline_unit="hours"``) or working days
    (``"days"``: whole working days of office hours, see :mod:`procmine.calendar`).
    ``handlers`` are unit keys with dispatch weights; ``"community"`` means the
    residents' committee of the case's own neighbourhood.
    """

    zh: str
    en: str
    owner: Literal["line", "block"]
    deadline: float
    deadline_unit: Literal["hours", "days"]
    handlers: tuple[tuple[str, float], ...]

    def deadline_seconds(self, calendar: WorkingCalendar | None = None) -> float:
        """The deadline in working seconds of ``calendar`` (default office hours).

        >>> CATEGORIES["rubbish"].deadline_seconds()
        14400.0
        >>> CATEGORIES["structure"].deadline_seconds() / 3600    # 15 working days of 7 h
        105.0
        """
        if self.deadline_unit == "hours":
            return float(self.deadline * 3600)
        day = (calendar or WorkingCalendar()).day_seconds
        return float(self.deadline * day)

    def deadline_text(self, lang: str = "zh") -> str:
        """``'4个工作小时'`` / ``'4 working hours'``."""
        n = f"{self.deadline:g}"
        if lang == "zh":
            return f"{n}个工作小时" if self.deadline_unit == "hours" else f"{n}个工作日"
        return f"{n} working {'hours' if self.deadline_unit == 'hours' else 'days'}"


@dataclass(frozen=True)
class Source:
    """A channel that reports cases, with its share of all cases."""

    zh: str
    en: str
    share: float


def _units() -> dict[str, Unit]:
    units: dict[str, Unit] = {
        "centre": Unit("街道城运中心", "street operations centre", "街镇", "block", "district_centre"),
        "district_centre": Unit("区城运中心", "district operations centre", "区", "block",
                                "city_centre", 1.3),
        "city_centre": Unit("市城运中心", "city operations centre", "市", "block", None, 1.5),
        "hotline": Unit("12345热线", "12345 hotline", "市", "block"),
        "street_admin": Unit("街道管理办", "street management office", "街镇", "block",
                             "district_centre", 1.0),
        "street_safety": Unit("街道平安办", "street safety office", "街镇", "block",
                              "district_centre", 1.0),
        "street_self": Unit("街道自治办", "street self-governance office", "街镇", "block",
                            "district_centre", 0.9),
    }
    lines = [  # street office, district bureau, city bureau
        ("enforcement", ("城管中队", "law-enforcement squad"), ("区城管执法局", "district law enforcement bureau"),
         ("市城管执法局", "city law enforcement bureau"), 1.0),
        ("market", ("市场监管所", "market regulation office"), ("区市场监管局", "district market regulation bureau"),
         ("市市场监管局", "city market regulation bureau"), 0.9),
        ("police", ("派出所", "police station"), ("区公安分局", "district police bureau"),
         ("市公安局", "city police bureau"), 1.1),
        ("housing", ("房管办", "housing office"), ("区房管局", "district housing bureau"),
         ("市房管局", "city housing bureau"), 1.0),
        ("greening", ("绿化市容所", "greening and appearance office"),
         ("区绿化市容局", "district greening and appearance bureau"),
         ("市绿化市容局", "city greening and appearance bureau"), 0.9),
        ("water", ("水务所", "water office"), ("区水务局", "district water bureau"),
         ("市水务局", "city water bureau"), 1.0),
        ("roads", ("路政所", "roads office"), ("区路政局", "district roads bureau"),
         ("市路政局", "city roads bureau"), 1.2),
    ]
    for key, street, district, city, speed in lines:
        units[f"city_{key}"] = Unit(city[0], city[1], "市", "line", None, 1.5)
        units[f"district_{key}"] = Unit(district[0], district[1], "区", "line", f"city_{key}", 1.3)
        units[key] = Unit(street[0], street[1], "街镇", "line", f"district_{key}", speed)
    communities = [("和平", "Heping", "居委"), ("幸福", "Xingfu", "居委"), ("光明", "Guangming", "居委"),
                   ("友谊", "Youyi", "居委"), ("东风", "Dongfeng", "村委"), ("新华", "Xinhua", "居委"),
                   ("团结", "Tuanjie", "居委"), ("红星", "Hongxing", "村委")]
    for i, (zh, en, suffix) in enumerate(communities):
        kind_en = "village committee" if suffix == "村委" else "residents' committee"
        units[f"community{i}"] = Unit(zh + suffix, f"{en} {kind_en}", "居村", "block", "street_admin",
                                      1.1)
    for g in range(GRIDS):
        units[f"grid{g:02d}"] = Unit(f"第{g + 1:02d}网格", f"grid {g + 1:02d}", "网格", "block",
                                     f"community{g // GRIDS_PER_COMMUNITY}")
    return units


GRIDS_PER_COMMUNITY = 3
COMMUNITIES = 8
GRIDS = COMMUNITIES * GRIDS_PER_COMMUNITY

#: Every unit of the model by key. ``parent`` is where an escalation (提级) goes.
UNITS: dict[str, Unit] = _units()

#: The unit whose service is much slower than its peers'.
BOTTLENECK_UNIT = "housing"

#: Case categories: zh/en name, 条/块 owner, deadline in working time, handlers.
CATEGORIES: dict[str, Category] = {
    "rubbish": Category("暴露垃圾", "exposed rubbish", "line", 4, "hours",
                        (("greening", 0.6), ("community", 0.4))),
    "cleaning": Category("道路保洁", "street cleaning", "line", 2, "hours",
                         (("greening", 0.7), ("community", 0.3))),
    "water": Category("道路积水", "standing water", "line", 4, "hours",
                      (("water", 0.7), ("street_admin", 0.3))),
    "trading": Category("占道经营", "pavement trading", "line", 1, "days",
                        (("enforcement", 0.7), ("street_admin", 0.3))),
    "structure": Category("违法搭建", "illegal structure", "line", 15, "days",
                          (("enforcement", 0.55), ("housing", 0.25), ("community", 0.2))),
    "renting": Category("群租", "illegal group renting", "line", 10, "days",
                        (("housing", 0.5), ("police", 0.2), ("community", 0.3))),
    "noise": Category("噪声扰民", "noise nuisance", "line", 5, "days",
                      (("police", 0.4), ("enforcement", 0.3), ("community", 0.3))),
    "estate": Category("小区管理", "residential estate", "line", 5, "days",
                       (("housing", 0.6), ("community", 0.4))),
    "market": Category("市场监管", "market regulation", "line", 5, "days",
                       (("market", 0.8), ("street_admin", 0.2))),
    "facility": Category("公共设施损坏", "damaged public facility", "line", 3, "days",
                         (("roads", 0.7), ("street_admin", 0.3))),
    "enquiry": Category("政策咨询", "policy enquiry", "block", 1, "days",
                        (("street_self", 0.6), ("market", 0.2), ("community", 0.2))),
    "safety": Category("安全隐患", "safety hazard", "block", 3, "days",
                       (("street_safety", 0.6), ("enforcement", 0.2), ("community", 0.2))),
}

#: Reporting channels and their shares of all cases.
SOURCES: dict[str, Source] = {
    "grid": Source("网格巡查", "grid patrol", 0.45),
    "hotline": Source("12345热线", "12345 hotline", 0.30),
    "video": Source("智能发现", "video AI", 0.15),
    "other": Source("其他", "other", 0.10),      # media, leaders' instructions, hotlines of others
}

#: Category weights per source (rows need not sum to 1).
_MIX: dict[str, dict[str, float]] = {
    "grid": {"rubbish": 20, "cleaning": 15, "water": 5, "trading": 20, "structure": 10,
             "facility": 15, "safety": 10, "renting": 5},
    "hotline": {"noise": 20, "renting": 10, "estate": 20, "market": 15, "enquiry": 20,
                "structure": 5, "rubbish": 5, "safety": 5},
    "video": {"trading": 35, "rubbish": 25, "water": 15, "cleaning": 15, "facility": 10},
    "other": {"structure": 20, "safety": 20, "estate": 15, "facility": 15, "renting": 10,
              "noise": 10, "market": 10},
}

#: The injected patterns and their default rates (share of all cases).
PATTERNS: tuple[str, ...] = ("round_trip", "ping_pong", "dumping_down", "rework", "reopen",
                             "deadline_hugging", "desk_check")
DEFAULT_RATES: dict[str, float] = {
    "round_trip": 0.05, "ping_pong": 0.04, "dumping_down": 0.05, "rework": 0.08, "reopen": 0.04,
    "deadline_hugging": 0.08, "desk_check": 0.06, "bottleneck_slowdown": 4.0,
}

#: Rates of the ordinary exception paths (not patterns; their cases carry no flag).
BASE_RATES: dict[str, float] = {
    "single_return": 0.08,      # A returns, the centre redispatches to B who handles
    "double_return": 0.02,      # A and B return, C handles (three distinct units)
    "escalation_handled": 0.03,  # escalated and handled at the higher level
    "escalation_redirected": 0.015,  # escalated, assigned down to another unit
    "urge": 0.08, "supervise": 0.02, "extension": 0.03, "park": 0.01,
    "dissatisfied_only": 0.03,  # dissatisfied at callback, not reopened
}

#: Column names of the event table.
HEADERS: dict[str, dict[str, str]] = {
    "zh": {CASE: "工单编号", ACTIVITY: "环节", TIMESTAMP: "时间", RESOURCE: "承办单位",
           LEVEL: "层级", KIND: "单位类型", CATEGORY: "类别", SOURCE: "来源", DEADLINE: "时限"},
    "en": {CASE: "case_id", ACTIVITY: "activity", TIMESTAMP: "timestamp", RESOURCE: "resource",
           LEVEL: "level", KIND: "kind", CATEGORY: "category", SOURCE: "source",
           DEADLINE: "deadline"},
}
_LEVEL_EN = {"网格": "grid", "居村": "community", "街镇": "street", "区": "district", "市": "city"}
_KIND_LABEL = {"zh": {"line": "条", "block": "块"}, "en": {"line": "line", "block": "block"}}

#: Band limits kept clear of the definitions' thresholds, so rounding never flips a flag.
_HUG_BAND = (0.92, 0.99)        # injected: share of the window used at the final closure
_HUG_CLEAR = (0.85, 1.03)       # every other case stays outside this range
_DESK_SECONDS = (30.0, 240.0)   # injected desk checks: seconds after the feedback
_CHECK_MIN = 1800.0             # other checks: 30 min after the feedback (>= 15 min once compressed)

# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SimulationResult:
    """A simulated log and its ground truth.

    ``events``: one row per event, sorted by case then time, headers in ``lang``
    (:data:`HEADERS`), times timezone-aware. ``truth``: one row per case,
    ``case_id``, one 0/1 column per pattern (:data:`PATTERNS`) plus ``bottleneck``,
    and detail columns (see docs/simulate.md). ``bottleneck_unit`` is the slow
    unit's name; ``calendar`` says which calendar timed the log; ``notes`` what a
    user should know (years without holiday data).
    """

    events: pd.DataFrame
    truth: pd.DataFrame
    seed: int
    lang: str
    rates: dict[str, float]
    bottleneck_unit: str
    calendar: str
    notes: tuple[str, ...] = ()
    timezone: str = "Asia/Shanghai"
    reform: Reform | None = None

    @property
    def n_cases(self) -> int:
        return len(self.truth)

    @property
    def n_events(self) -> int:
        return len(self.events)

    def to_event_log(self) -> EventLog:
        """The events in canonical columns (``org:kind`` line/block, zh level names).

        >>> simulate_log(cases=20, seed=3).to_event_log().n_cases
        20
        """
        names = {v: k for k, v in HEADERS[self.lang].items()}
        events = self.events.rename(columns=names)
        for column in (RESOURCE, CATEGORY, SOURCE, ACTIVITY):
            events[column] = events[column].astype(str)
        events[KIND] = events[KIND].astype(str).map(KIND_ALIASES)
        events[LEVEL] = events[LEVEL].astype(str).map(LEVEL_ALIASES)
        events[CASE] = events[CASE].astype(str)
        return EventLog(events=events, timezone=self.timezone)

    def to_dict(self) -> dict[str, Any]:
        flags = {p: int(self.truth[p].sum()) for p in (*PATTERNS, "bottleneck")}
        out = {"cases": self.n_cases, "events": self.n_events, "seed": self.seed,
               "lang": self.lang, "rates": self.rates, "flagged": flags,
               "bottleneck_unit": self.bottleneck_unit, "calendar": self.calendar,
               "notes": list(self.notes)}
        if self.reform is not None:
            out["reform"] = self.reform.to_dict() | {
                "cases_after": int(self.truth["reformed"].sum())}
        return out


# --------------------------------------------------------------------------- options


def read_rates(path: str | os.PathLike) -> dict[str, float]:
    """Pattern rates from a YAML or JSON file: ``{pattern: share of cases}``.

    Keys are those of :data:`DEFAULT_RATES`; missing keys keep their default.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "rates.yaml")
    >>> _ = open(p, "w").write("round_trip: 0.2\\nbottleneck_slowdown: 6\\n")
    >>> read_rates(p)["round_trip"]
    0.2
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise SpecError(f"{path}: cannot read the rates file: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML or JSON: {e}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping like 'round_trip: 0.05'")
    try:
        return check_rates(data)
    except SpecError as e:
        raise SpecError(f"{path}: {e.message}", hint=e.hint) from None


def check_rates(rates: Mapping[str, Any] | None) -> dict[str, float]:
    """The default rates updated with ``rates``, validated.

    >>> check_rates({"reopen": 0.1})["reopen"]
    0.1
    """
    out = dict(DEFAULT_RATES)
    for key, value in (rates or {}).items():
        if key not in DEFAULT_RATES:
            raise SpecError(f"unknown rate {key!r}", hint=f"known: {', '.join(DEFAULT_RATES)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SpecError(f"rate {key}: {value!r} is not a number") from None
        if key == "bottleneck_slowdown":
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

    >>> Reform(date="2024-02-01", rates={"ping_pong": 0.02}, service={"housing": 0.5}).to_dict()["service"]
    {'housing': 0.5}
    """

    date: str
    rates: Mapping[str, float] = field(default_factory=dict)
    service: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"date": str(self.date), "rates": dict(self.rates), "service": dict(self.service)}


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
        raise SpecError("reform: rates and service must be mappings like 'ping_pong: 0.02'")
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
        raise SpecError("reform: no date", hint="give --reform-date YYYY-MM-DD or 'date:' in the file")
    try:
        pd.Timestamp(str(date))
    except (ValueError, TypeError):
        raise SpecError(f"reform date {date!r}: not a date (YYYY-MM-DD)") from None
    return Reform(date=str(date).strip(), rates={k: checked[k] for k in rates}, service=factors)


def read_reform(path: str | os.PathLike, *, date: str | None = None) -> Reform:
    """A reform from a YAML or JSON file: ``rates`` and ``service`` factors (and ``date``).

    ``date`` (from ``--reform-date``) overrides a ``date:`` in the file.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "reform.yaml")
    >>> _ = open(p, "w").write("rates:\\n  ping_pong: 0.02\\nservice:\\n  housing: 0.5\\n")
    >>> r = read_reform(p, date="2024-03-01")
    >>> r.rates, r.service
    ({'ping_pong': 0.02}, {'housing': 0.5})
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise SpecError(f"{path}: cannot read the reform file: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML or JSON: {e}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping with 'rates:' and 'service:'")
    if date is not None:
        data = {**data, "date": date}
    try:
        return check_reform(data)
    except SpecError as e:
        raise SpecError(f"{path}: {e.message}", hint=e.hint) from None


# --------------------------------------------------------------------------- building blocks


class _Plan:
    """The steps of every case as columns: role, unit, gap (working s) and presence per case."""

    def __init__(self, n: int):
        self.n = n
        self.roles: list[int] = []
        self.units: list[np.ndarray] = []
        self.gaps: list[np.ndarray] = []
        self.masks: list[np.ndarray] = []

    def add(self, role: str, unit: Any, gap: Any, mask: Any = True) -> int:
        self.roles.append(_ROLE_CODE[role])
        self.units.append(np.broadcast_to(np.asarray(unit, dtype=np.int64), (self.n,)).copy())
        self.gaps.append(np.broadcast_to(np.asarray(gap, dtype=np.float64), (self.n,)).copy())
        self.masks.append(np.broadcast_to(np.asarray(mask, dtype=bool), (self.n,)).copy())
        return len(self.roles) - 1


_ROLES = list(STEPS)
_ROLE_CODE = {r: i for i, r in enumerate(_ROLES)}
_KEYS = list(UNITS)
_CODE = {k: i for i, k in enumerate(_KEYS)}
_LEVEL_RANK = {name: i for i, name in enumerate(("网格", "居村", "街镇", "区", "市"))}


def _lognormal(rng: np.random.Generator, median: Any, sigma: float, lo: float, hi: Any) -> np.ndarray:
    median = np.asarray(median, dtype=np.float64)
    values = median * np.exp(sigma * rng.standard_normal(np.shape(median) or None))
    return np.clip(values, lo, hi)


def _pick(rng: np.random.Generator, pool: np.ndarray, n: int, exclude: list[np.ndarray]) -> np.ndarray:
    """A unit from ``pool`` per case, none of the units in ``exclude`` (vectorised rejection)."""
    out = pool[rng.integers(0, len(pool), n)]
    for _ in range(200):
        bad = np.zeros(n, dtype=bool)
        for other in exclude:
            bad |= out == other
        if not bad.any():
            return out
        out[bad] = pool[rng.integers(0, len(pool), int(bad.sum()))]
    raise RuntimeError("simulate: a unit pool is too small for the exclusions")  # pragma: no cover


def _lindley(arrival: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Waiting times of a FIFO single-server queue (arrivals sorted): Lindley's recursion, closed form."""
    if len(arrival) == 0:
        return arrival
    inc = np.zeros(len(arrival))
    inc[1:] = service[:-1] - np.diff(arrival)
    x = np.cumsum(inc)
    return x - np.minimum.accumulate(x)


# --------------------------------------------------------------------------- the simulator


def simulate_log(
    *,
    cases: int,
    seed: int = 0,
    start: str = "2024-01-01",
    lang: Literal["zh", "en"] = "zh",
    rates: Mapping[str, float] | None = None,
    cases_per_day: float = 60.0,
    calendar: WorkingCalendar | str = "cn",
    reform: Reform | Mapping[str, Any] | None = None,
) -> SimulationResult:
    """Simulate ``cases`` work orders of one street operations centre, from ``start`` on.

    ``cases_per_day`` sets the arrival rate (and so the span of the log);
    ``rates`` overrides :data:`DEFAULT_RATES` (pattern shares, and
    ``bottleneck_slowdown``, the factor by which the bottleneck unit is slower);
    ``calendar`` is a :class:`~procmine.calendar.WorkingCalendar` or ``"cn"``,
    ``"none"`` or a calendar file. ``reform`` (a :class:`Reform`) changes rates and
    units' service times for the cases reported on or after its date (local time);
    without it, the random numbers are drawn exactly as before reforms existed, so
    old seeds give the same logs. Same arguments, same log.

    >>> r = simulate_log(cases=500, seed=7, lang="en")
    >>> r.events["activity"].iloc[0], r.bottleneck_unit
    ('report', 'housing office')
    >>> sorted(r.truth.columns[:4])
    ['case_id', 'dumping_down', 'ping_pong', 'round_trip']
    """
    if lang not in ("zh", "en"):
        raise SpecError(f"lang {lang!r}: expected zh or en")
    if not isinstance(cases, (int, np.integer)) or cases < 1:
        raise SpecError(f"cases {cases!r}: expected a positive number of cases")
    if not cases_per_day > 0:
        raise SpecError(f"cases_per_day {cases_per_day!r}: expected a positive number")
    try:
        first_day = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise SpecError(f"start {start!r}: not a date (YYYY-MM-DD)") from None
    if first_day.tzinfo is not None:
        first_day = first_day.tz_localize(None)
    first_day = first_day.normalize()
    rates = check_rates(rates)
    reform = check_reform(reform) if reform is not None else None
    cal = calendar_from_option(calendar) if isinstance(calendar, str) else calendar
    known_notes = len(cal.notes)
    built = _Simulation(int(cases), int(seed), first_day, rates, cases_per_day, cal, reform).run()
    # the calendar notes years it could not cover; keep those the log reaches
    first_year = int(str(np.datetime64(int(built.times.min()), "s"))[:4])
    last_year = int(str(np.datetime64(int(max(built.times.max(), built.deadline.max())), "s"))[:4])
    notes = tuple(note for note in cal.notes[known_notes:]
                  if not note[:4].isdigit() or first_year <= int(note[:4]) <= last_year)
    events, truth = _tables(built, lang, cal)
    if reform is not None:
        truth["reformed"] = built.reformed.astype(np.int8)
        after = int(built.reformed.sum())
        if after in (0, built.n):
            notes += (f"reform date {reform.date}: {'no' if after == 0 else 'every'} case was "
                      "reported on or after it",)
    unit = UNITS[BOTTLENECK_UNIT]
    return SimulationResult(events=events, truth=truth, seed=int(seed), lang=lang, rates=rates,
                            bottleneck_unit=unit.zh if lang == "zh" else unit.en,
                            calendar=cal.describe(), notes=notes, timezone=cal.timezone,
                            reform=reform)


@dataclass
class _Built:
    n: int
    roles: np.ndarray          # per event
    units: np.ndarray          # per event (unit code)
    times: np.ndarray          # per event, local seconds (int64)
    case_of_event: np.ndarray  # per event, case index
    category: np.ndarray       # per case (index into CATEGORIES)
    source: np.ndarray         # per case (index into SOURCES)
    deadline: np.ndarray       # per case, local seconds (int64)
    truth: dict[str, np.ndarray] = field(default_factory=dict)
    reformed: np.ndarray | None = None   # per case, True when reported on/after the reform date


class _Simulation:
    """One run; methods are the stages, in order, each vectorised over all cases."""

    def __init__(self, n: int, seed: int, first_day: pd.Timestamp, rates: dict[str, float],
                 per_day: float, cal: WorkingCalendar, reform: Reform | None = None):
        self.n, self.rates, self.per_day, self.cal = n, rates, per_day, cal
        self.reform = reform
        self.rng = np.random.default_rng(seed)
        self.first_day = first_day
        self.day0 = int(first_day.value // (DAY * 10**9))
        self.days = max(1, math.ceil(n / per_day))

    # -- who and what -------------------------------------------------------
    def run(self) -> _Built:
        rng, n = self.rng, self.n
        src_keys, cat_keys = list(SOURCES), list(CATEGORIES)
        shares = np.array([SOURCES[k].share for k in src_keys])
        self.source = rng.choice(len(src_keys), size=n, p=shares / shares.sum())
        self.category = np.zeros(n, dtype=np.int64)
        u = rng.random(n)
        for s, key in enumerate(src_keys):
            weights = np.array([_MIX[key].get(c, 0.0) for c in cat_keys])
            cum = np.cumsum(weights / weights.sum())
            sel = self.source == s
            self.category[sel] = np.minimum(np.searchsorted(cum, u[sel], side="right"),
                                            len(cat_keys) - 1)
        self.grid = rng.integers(0, GRIDS, n)
        self.community = np.where(self.source == src_keys.index("grid"),
                                  self.grid // GRIDS_PER_COMMUNITY, rng.integers(0, COMMUNITIES, n))
        self.timeline = self._timeline(self.days + 60)
        self.report = self._report_times()
        order = np.argsort(self.report, kind="stable")
        for name in ("source", "category", "grid", "community", "report"):
            setattr(self, name, getattr(self, name)[order])
        self.allowed = np.array([CATEGORIES[k].deadline_seconds(self.cal) for k in cat_keys])[self.category]
        self.after = None
        if self.reform is not None:
            # report times are local wall-clock seconds, like the reform date
            moment = pd.Timestamp(self.reform.date)
            if moment.tzinfo is not None:
                moment = moment.tz_convert(self.cal.timezone).tz_localize(None)
            self.after = self.report >= moment.value / 1e9
        self._flags()
        self._units()
        return self._steps()

    def _rate(self, name: str) -> Any:
        """A rate: the run's number, or per case (before/after the reform) with a reform.

        Without a reform this is the plain number, so the arithmetic (and the log) is
        exactly what it was before reforms existed.
        """
        if self.after is None or name not in self.reform.rates:
            return self.rates[name]
        return np.where(self.after, self.reform.rates[name], self.rates[name])

    def _service_factor(self, units: np.ndarray) -> np.ndarray | None:
        """Per case (row) and unit code: the reform's service factor (None without one)."""
        if self.after is None or not self.reform.service:
            return None
        table = np.ones(len(_KEYS))
        for key, factor in self.reform.service.items():
            table[_CODE[key]] = factor
        after = self.after if units.ndim == 1 else self.after[:, None]
        return np.where(after, table[units], 1.0)

    def _report_times(self) -> np.ndarray:
        """Local report times (float s): grid patrols in office hours, the rest by hour of week."""
        rng, n, tl = self.rng, self.n, self.timeline
        begin = float(self.day0 * DAY)
        end = begin + self.days * DAY
        lo, hi = tl.position(np.array([begin, end]))
        uniform = rng.random(n)
        grid_time = tl.clock(lo + uniform * (hi - lo)) if hi > lo else begin + uniform * (end - begin)
        # other channels: weekday and hour-of-day weights; fewer reports on days off
        working = tl.working[self.day0 - tl.first_day:self.day0 - tl.first_day + self.days]
        weekday = (np.arange(self.days) + self.day0 + 3) % 7          # 1970-01-01 was a Thursday
        day_w = np.where(working, np.where(weekday == 0, 1.15, 1.0), 0.65)
        hour_w = np.array([.1, .1, .1, .1, .1, .1, .2, .4, 1, 1.6, 1.6, 1.6, 1, 1.2, 1.5, 1.5, 1.5,
                           1.1, .8, .8, .8, .5, .5, .2])
        video_w = np.array([.3] * 6 + [1.0] * 17 + [.4])
        keys = list(SOURCES)
        out = np.where(self.source == keys.index("grid"), grid_time, 0.0)
        video = self.source == keys.index("video")
        people = ~video & (self.source != keys.index("grid"))
        for sel, weights in ((video, video_w), (people, hour_w)):
            if not sel.any():
                continue
            p = np.outer(day_w, weights).ravel()
            slot = rng.choice(len(p), size=int(sel.sum()), p=p / p.sum())
            out[sel] = begin + slot * 3600.0 + rng.random(int(sel.sum())) * 3600.0
        return np.round(out)

    def _flags(self) -> None:
        """Which case gets which pattern and which ordinary exception path."""
        rng, n, r = self.rng, self.n, self._rate
        draw = {p: rng.random(n) for p in (*PATTERNS, *BASE_RATES)}
        self.rt = draw["round_trip"] < r("round_trip")
        self.pp = draw["ping_pong"] < r("ping_pong")
        self.dd = draw["dumping_down"] < r("dumping_down")
        self.rw = draw["rework"] < r("rework")
        self.ro = draw["reopen"] < r("reopen")
        self.desk = draw["desk_check"] < r("desk_check")
        self.hug_draw = draw["deadline_hugging"]            # decided once times are known
        b = BASE_RATES
        self.single = ~self.pp & ~self.dd & (draw["single_return"] < b["single_return"])
        self.double = (~self.pp & ~self.dd & ~self.single
                       & (draw["double_return"] < b["double_return"] / (1 - b["single_return"])))
        dd_double = self.dd & ~self.pp & (rng.random(n) < 0.3)
        self.double |= dd_double
        self.single |= self.dd & ~self.pp & ~dd_double
        esc = draw["escalation_handled"]
        self.esc_handled = ~self.rt & (esc < b["escalation_handled"])
        self.esc_redirected = ~self.rt & ~self.esc_handled & (
            esc >= 1 - b["escalation_redirected"])
        self.rt_levels = np.where(rng.random(n) < 0.3, 2, 1) * self.rt
        self.rework_twice = self.rw & (rng.random(n) < 0.25)
        self.dissatisfied_only = ~self.ro & (draw["dissatisfied_only"] < b["dissatisfied_only"])
        self.urge_draw, self.supervise_draw = draw["urge"], draw["supervise"]
        self.extension_draw, self.park = draw["extension"], draw["park"] < b["park"]
        verify_p = np.array([0.0, 0.7, 0.5, 0.7])   # grid, hotline, video, other
        self.verify = rng.random(n) < verify_p[self.source]
        self.callback = (np.isin(self.source, [1, 3]) | self.ro | self.dissatisfied_only)

    def _units(self) -> None:
        """The final unit F, the units that return before it, and the escalation chain."""
        rng, n = self.rng, self.n
        cat_keys = list(CATEGORIES)
        community = np.array([_CODE[f"community{i}"] for i in range(COMMUNITIES)])[self.community]
        # F: the category's handler; block only where the case is dumped down to a block unit
        need_block = self.dd
        f = np.zeros(n, dtype=np.int64)
        u = rng.random(n)
        for c, key in enumerate(cat_keys):
            for only_block in (False, True):
                sel = (self.category == c) & (need_block == only_block)
                if not sel.any():
                    continue
                handlers = [(h, w) for h, w in CATEGORIES[key].handlers
                            if not only_block or h == "community" or UNITS[h].kind == "block"]
                weights = np.array([w for _, w in handlers])
                cum = np.cumsum(weights / weights.sum())
                choice = np.minimum(np.searchsorted(cum, u[sel], side="right"), len(handlers) - 1)
                codes = np.array([-1 if h == "community" else _CODE[h] for h, _ in handlers])[choice]
                f[sel] = np.where(codes < 0, community[sel], codes)
        kind = np.array([UNITS[k].kind == "line" for k in _KEYS])          # True: line
        line_pool = np.array([_CODE[k] for k in ("enforcement", "market", "police", "housing",
                                                 "greening", "water", "roads")])
        block_pool = np.array([_CODE[k] for k in ("street_admin", "street_safety", "street_self")]
                              + [_CODE[f"community{i}"] for i in range(COMMUNITIES)])
        any_pool = np.concatenate((line_pool, block_pool))
        f_line = kind[f]
        # returners: a block final unit only takes returns from block units, unless dumped down
        first_pool = np.where(self.dd, 0, np.where(f_line, 2, 1))          # 0 line, 1 block, 2 any
        pools = (line_pool, block_pool, any_pool)
        a1 = np.full(n, -1)
        a2 = np.full(n, -1)
        for p, pool in enumerate(pools):
            sel = first_pool == p
            a1[sel] = _pick(rng, pool, int(sel.sum()), [f[sel]])
            a2[sel] = _pick(rng, pool, int(sel.sum()), [f[sel], a1[sel]])
        # ping-pong: A = F returns, B returns, back to A; B is line only when dumped down
        b_pool = np.where(self.dd, 0, np.where(f_line, 2, 1))
        b = np.full(n, -1)
        for p, pool in enumerate(pools):
            sel = self.pp & (b_pool == p)
            b[sel] = _pick(rng, pool, int(sel.sum()), [f[sel]])
        self.first = np.where(self.pp, f, np.where(self.single | self.double, a1, f))
        self.second = np.where(self.pp, b, np.where(self.double, a2, -1))
        self.f = f
        parent = np.array([_CODE[UNITS[k].parent] if UNITS[k].parent else -1 for k in _KEYS])
        self.h1 = parent[f]
        self.h2 = np.where(self.rt_levels == 2, parent[np.maximum(self.h1, 0)], -1)
        # redirected escalation: assigned down to another unit of F's kind
        v = np.full(n, -1)
        for p, pool in ((0, line_pool), (1, block_pool)):
            sel = self.esc_redirected & (f_line == (p == 0))
            v[sel] = _pick(rng, pool, int(sel.sum()), [f[sel]])
        self.v = v
        self.handler = np.where(self.esc_handled, self.h1, np.where(self.esc_redirected, v, f))
        self.line_returner = np.where(self.pp, np.where(self.dd, b, -1),
                                      np.where(self.dd, a1, -1))

    # -- steps and times ----------------------------------------------------
    def _steps(self) -> _Built:
        rng, n, W = self.rng, self.n, self.allowed
        centre, district = _CODE["centre"], _CODE["district_centre"]
        hotline = _CODE["hotline"]
        src = self.source
        # sources in SOURCES order: 0 grid, 1 hotline, 2 video, 3 other
        reporter = np.where(src == 0, np.array([_CODE[f"grid{g:02d}"] for g in range(GRIDS)])[self.grid],
                            np.where(src == 1, hotline, centre))
        P = _Plan(n)

        def ln(median: Any, lo: float, hi: Any = 20 * DAY, sigma: float = 0.6) -> np.ndarray:
            return _lognormal(rng, np.broadcast_to(np.asarray(median, dtype=float), (n,)), sigma, lo, hi)

        P.add("report", reporter, 0.0)
        P.add("accept", centre, ln(np.where(src == 1, 1800, 900), 120, 4 * 3600))
        P.add("verify", centre, ln(2700, 600, 6 * 3600), self.verify)
        P.add("register", centre, ln(900, 120, 3 * 3600))
        c_dispatch = P.add("dispatch", centre, ln(600, 60, 2 * 3600))
        chain1 = self.single | self.double | self.pp
        chain2 = self.double | self.pp
        P.add("return", self.first, ln(0.08 * W, 600, 2 * DAY), chain1)
        P.add("redispatch", centre, ln(0.03 * W, 300, 4 * 3600), chain1)
        P.add("return", self.second, ln(0.08 * W, 600, 2 * DAY), chain2)
        P.add("redispatch", centre, ln(0.03 * W, 300, 4 * 3600), chain2)
        P.add("sign", self.f, ln(0.04 * W, 180, 1 * DAY))
        escalated = self.rt | self.esc_handled | self.esc_redirected
        P.add("escalate", self.f, ln(0.08 * W, 600, 3 * DAY), escalated)
        P.add("sign", self.h1, ln(0.04 * W, 300, 1 * DAY), escalated)
        P.add("escalate", self.h1, ln(0.08 * W, 600, 3 * DAY), self.rt_levels == 2)
        P.add("sign", self.h2, ln(0.04 * W, 300, 1 * DAY), self.rt_levels == 2)
        top = np.where(self.rt_levels == 2, self.h2, self.h1)
        down = self.rt | self.esc_redirected
        P.add("assign_down", top, ln(0.12 * W, 1800, 5 * DAY), down)
        P.add("sign", np.where(self.rt, self.f, self.v), ln(0.04 * W, 300, 1 * DAY), down)
        # the handling phase: its length is known only after queueing
        X = self.handler
        phase = {
            "extension_request": P.add("extension_request", X, 0.0, False),
            "extension_grant": P.add("extension_grant", centre, 0.0, False),
            "urge": P.add("urge", centre, 0.0, False),
            "supervise": P.add("supervise", district, 0.0, False),
            "park": P.add("park", centre, 0.0, self.park),
        }
        c_handle = P.add("handle", X, 0.0)
        P.add("feedback", X, ln(0.03 * W, 360, 4 * 3600))

        def check_gap() -> np.ndarray:
            return ln(np.clip(0.06 * W, _CHECK_MIN, 3 * 3600), _CHECK_MIN, 8 * 3600, 0.4)

        for mask in (self.rw, self.rework_twice):
            P.add("check_failed", centre, check_gap(), mask)
            P.add("handle", X, ln(0.1 * W, 1200, 3 * DAY), mask)
            P.add("feedback", X, ln(0.03 * W, 360, 4 * 3600), mask)
        desk_gap = rng.uniform(*_DESK_SECONDS, n)
        c_check = P.add("check", centre, np.where(self.desk, desk_gap, check_gap()))
        c_close = P.add("close", centre, ln(np.minimum(900, 0.03 * W), 120, 2 * 3600))
        callback_unit = np.where(src == 1, hotline, centre)
        day = float(self.cal.day_seconds)
        P.add("callback", callback_unit, rng.uniform(0.5, 1.5, n) * day, self.callback)
        P.add("dissatisfied", callback_unit, rng.uniform(120, 900, n), self.ro | self.dissatisfied_only)
        P.add("reopen", centre, ln(3600, 600, 1 * DAY), self.ro)
        P.add("sign", X, ln(0.04 * W, 300, 1 * DAY), self.ro)
        P.add("handle", X, ln(0.15 * W, 1200, 5 * DAY), self.ro)
        P.add("feedback", X, ln(0.03 * W, 360, 4 * 3600), self.ro)
        c_check2 = P.add("check", centre, check_gap(), self.ro)
        c_close2 = P.add("close", centre, ln(np.minimum(900, 0.03 * W), 120, 2 * 3600), self.ro)
        P.add("callback", callback_unit, rng.uniform(0.5, 1.5, n) * day, self.ro)

        role = np.array(P.roles)
        units = np.stack(P.units, axis=1)
        gaps = np.stack(P.gaps, axis=1)
        mask = np.stack(P.masks, axis=1)
        # the bottleneck unit is slow at everything it does: signing, returning, reporting back
        own = np.isin(role, [_ROLE_CODE[r] for r in ("sign", "return", "feedback")])[None, :]
        slowdown = self._rate("bottleneck_slowdown")
        if np.ndim(slowdown):
            slowdown = slowdown[:, None]
        gaps = np.where(own & (units == _CODE[BOTTLENECK_UNIT]), gaps * slowdown, gaps)
        factor = self._service_factor(units)
        if factor is not None:      # the reform: a unit signs, returns and reports back faster
            gaps = np.where(own, gaps * factor, gaps)
        start_pos = self.timeline.position(self.report)
        pos = start_pos[:, None] + np.cumsum(np.where(mask, gaps, 0.0), axis=1)

        # queueing at the handling unit: arrival = the last step before the handling phase
        arrival = pos[:, phase["extension_request"] - 1]
        slow = np.array([UNITS[k].speed for k in _KEYS])[X]
        slow = slow * np.where(X == _CODE[BOTTLENECK_UNIT], self._rate("bottleneck_slowdown"), 1.0)
        staffing = _lognormal(rng, 0.12 * W * slow, 0.6, 600, 4 * W * slow)
        service = staffing
        factor = self._service_factor(X)
        if factor is not None:      # the reform: the unit handles faster with the same staff
            service = np.maximum(staffing * factor, 60.0)
        wait = self._queue(X, arrival, service, staffing)
        d0 = wait + service
        # the handling phase: steps at fixed shares of it, the handling at its end
        self.extension = (self.extension_draw < np.where(d0 > 0.9 * W, 0.6, 0.01))
        ext_amount = np.where(self.extension, np.round(rng.uniform(0.5, 1.0, n) * W / 3600) * 3600, 0.0)
        urge = self.urge_draw < np.where(d0 > 0.6 * W, 0.35, 0.04)
        supervise = self.supervise_draw < np.where(d0 > W, 0.15, 0.01)
        parked = np.where(self.park, np.round(rng.uniform(10, 40, n) * day / 3600) * 3600, 0.0)
        share = {"extension_request": 0.2, "extension_grant": 0.25, "urge": 0.5, "supervise": 0.6,
                 "park": 0.7}
        present = {"extension_request": self.extension, "extension_grant": self.extension,
                   "urge": urge, "supervise": supervise, "park": self.park}
        last = np.zeros(n)
        for name, col in phase.items():
            mask[:, col] = present[name]
            gaps[:, col] = (share[name] - last) * d0
            last = np.where(present[name], share[name], last)
        gaps[:, c_handle] = (1.0 - last) * d0 + parked
        pos = start_pos[:, None] + np.cumsum(np.where(mask, gaps, 0.0), axis=1)

        # the window: from the first dispatch, the category's time plus extension and parked time
        window = W + ext_amount + parked
        begin = pos[:, c_dispatch]
        final_close = np.where(self.ro, c_close2, c_close)
        final_check = np.where(self.ro, c_check2, c_check)
        rows = np.arange(n)
        prev_rel = (pos[rows, final_check] - begin) / window
        close_rel = (pos[rows, final_close] - begin) / window
        eligible = ~self.ro & (prev_rel <= _HUG_CLEAR[0])
        share_eligible = max(float(eligible.mean()), 1e-9)
        self.hug = eligible & (self.hug_draw < np.minimum(1.0, self._rate("deadline_hugging")
                                                          / share_eligible))
        target = np.where(self.hug, rng.uniform(*_HUG_BAND, n), close_rel)
        # any other case closing near the end of its window is either compressed (the whole
        # handling runs faster, closing at 60-84% of the window) or closes late (103-140%)
        inside = ~self.hug & (close_rel >= _HUG_CLEAR[0]) & (close_rel <= _HUG_CLEAR[1])
        compress = inside & (rng.random(n) < 0.7)
        late = inside & ~compress
        target = np.where(late, _HUG_CLEAR[1] + rng.uniform(0.0, 0.37, n), target)
        target = np.where(compress, rng.uniform(0.6, _HUG_CLEAR[0] - 0.01, n), target)
        col = np.arange(pos.shape[1])[None, :]
        factor = np.where(compress, target / close_rel, 1.0)[:, None]
        during = (col > c_dispatch) & (col <= final_close[:, None])
        pos = np.where(during, begin[:, None] + (pos - begin[:, None]) * factor, pos)
        moved = pos[rows, final_close] - begin
        shift = target * window - moved        # the closure's own move (hugging, late)
        pos = pos + np.where(col >= final_close[:, None], shift[:, None], 0.0)

        # clock times; desk checks that would straddle a break move back before it
        tl = self._cover(max(float(pos.max()), float((begin + window).max())) + DAY)
        clock = tl.clock(pos.ravel()).reshape(pos.shape)
        fb_col = np.where(mask[:, :c_check], np.arange(c_check)[None, :], -1).max(axis=1)
        straddle = self.desk & (clock[:, c_check] - clock[rows, fb_col] > gaps[:, c_check] + 1)
        if straddle.any():
            back = gaps[straddle, c_check] + 60.0
            for col in (fb_col[straddle], np.full(int(straddle.sum()), c_check)):
                pos[straddle, col] -= back
                clock[straddle, col] = tl.clock(pos[straddle, col])
        clock[:, 0] = self.report
        times = np.round(clock).astype(np.int64)
        # the due time from the dispatch time as written (whole seconds), as a reader computes it
        deadline = tl.clock(tl.position(times[:, c_dispatch].astype(float)) + window)

        flat = mask.ravel()
        case_of_event = np.repeat(rows, mask.shape[1])[flat]
        built = _Built(n=n, roles=np.broadcast_to(role, mask.shape).ravel()[flat],
                       units=units.ravel()[flat], times=times.ravel()[flat],
                       case_of_event=case_of_event, category=self.category, source=self.source,
                       deadline=np.round(deadline).astype(np.int64))
        # the share of the window used, from the rounded times as a reader will see them
        t0 = tl.position(times[:, c_dispatch].astype(float))
        used = ((tl.position(times[rows, final_close].astype(float)) - t0)
                / (tl.position(np.round(deadline)) - t0))
        built.truth = self._truth(ext_amount + parked, used, clock[:, c_check] - clock[rows, fb_col])
        built.reformed = self.after
        return built

    def _timeline(self, days: int):
        return self.cal.timeline((self.first_day - pd.Timedelta(days=2)).date(),
                                 (self.first_day + pd.Timedelta(days=days)).date())

    def _cover(self, max_position: float):
        """The timeline, extended until it covers ``max_position`` (same first day)."""
        days = self.days + 60
        while self.timeline.cumulative[-1] < max_position + DAY:
            days *= 2
            self.timeline = self._timeline(days)
        return self.timeline

    def _queue(self, unit: np.ndarray, arrival: np.ndarray, service: np.ndarray,
               staffing: np.ndarray) -> np.ndarray:
        """FIFO waits per unit; a unit serves as many at once as keeps it about 60% busy.

        Staff (servers) are set from ``staffing``, the service times without a reform,
        so a reform that speeds a unit up shortens its queue instead of its staff.
        """
        wait = np.zeros(self.n)
        span = max(float(arrival.max() - arrival.min()), 3600.0)
        order = np.lexsort((arrival, unit))
        u_sorted = unit[order]
        cuts = np.flatnonzero(np.diff(u_sorted)) + 1
        for idx in np.split(order, cuts):
            code = unit[idx[0]]
            busy = 0.85 if code == _CODE[BOTTLENECK_UNIT] else 0.6
            servers = max(1, math.ceil(len(idx) / span * staffing[idx].mean() / busy))
            wait[idx] = _lindley(arrival[idx], service[idx] / servers)
        return wait

    def _truth(self, extra: np.ndarray, used: np.ndarray, desk_seconds: np.ndarray) -> dict[str, np.ndarray]:
        n = self.n
        none = np.full(n, -1)
        levels = np.array([UNITS[k].level for k in _KEYS] + [""], dtype=object)
        top = np.where(self.rt_levels == 2, self.h2, np.where(self.rt, self.h1, -1))
        return {
            "round_trip": self.rt,
            "round_trip_unit": np.where(self.rt, self.f, none),
            "round_trip_from_level": levels[np.where(self.rt, self.f, -1)],
            "round_trip_to_level": levels[top],
            "round_trip_levels": self.rt_levels,
            "ping_pong": self.pp,
            "ping_pong_a": np.where(self.pp, self.f, none),
            "ping_pong_b": np.where(self.pp, self.second, none),
            "dumping_down": self.dd,
            "dumping_line_unit": np.where(self.dd, self.line_returner, none),
            "dumping_block_unit": np.where(self.dd, self.handler, none),
            "rework": self.rw,
            "rework_count": self.rw.astype(int) + self.rework_twice.astype(int),
            "reopen": self.ro,
            "deadline_hugging": self.hug,
            "window_used": used,
            "desk_check": self.desk,
            "desk_check_seconds": np.where(self.desk, desk_seconds, np.nan),
            "bottleneck": self.handler == _CODE[BOTTLENECK_UNIT],
            "handler": self.handler,
            "allowed_hours": self.allowed / 3600,
            "extra_hours": extra / 3600,
        }


# --------------------------------------------------------------------------- tables and files


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
        "round_trip": t["round_trip"].astype(np.int8),
        "ping_pong": t["ping_pong"].astype(np.int8),
        "dumping_down": t["dumping_down"].astype(np.int8),
        "rework": t["rework"].astype(np.int8),
        "reopen": t["reopen"].astype(np.int8),
        "deadline_hugging": t["deadline_hugging"].astype(np.int8),
        "desk_check": t["desk_check"].astype(np.int8),
        "bottleneck": t["bottleneck"].astype(np.int8),
        "category": np.array(cat_names, dtype=object)[b.category],
        "source": np.array(src_names, dtype=object)[b.source],
        "handler": unit(t["handler"]),
        "round_trip_unit": unit(t["round_trip_unit"]),
        "round_trip_from_level": _level_text(t["round_trip_from_level"], lang),
        "round_trip_to_level": _level_text(t["round_trip_to_level"], lang),
        "round_trip_levels": t["round_trip_levels"].astype(np.int8),
        "ping_pong_a": unit(t["ping_pong_a"]),
        "ping_pong_b": unit(t["ping_pong_b"]),
        "dumping_line_unit": unit(t["dumping_line_unit"]),
        "dumping_block_unit": unit(t["dumping_block_unit"]),
        "rework_count": t["rework_count"].astype(np.int8),
        "window_used": np.round(t["window_used"], 4),
        "desk_check_seconds": np.round(t["desk_check_seconds"]),
        "allowed_hours": np.round(t["allowed_hours"], 2),
        "extra_hours": np.round(t["extra_hours"], 2),
    })
    return events, truth


def _level_text(values: np.ndarray, lang: str) -> np.ndarray:
    if lang == "zh":
        return values
    return np.array([_LEVEL_EN.get(v, v) for v in values], dtype=object)


def truth_path(path: str | os.PathLike) -> Path:
    """Where the truth file of a simulated log goes: ``<name>.truth.csv`` beside it.

    >>> str(truth_path("out/city.parquet")), str(truth_path("a.xes.gz"))
    ('out/city.truth.csv', 'a.truth.csv')
    """
    p = Path(path)
    name = p.name
    for suffix in (".xes.gz", ".csv.gz", ".parquet", ".xes", ".csv", ".pq"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    else:
        name = p.stem
    return p.with_name(name + ".truth.csv")


_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xes": "xes",
            ".xes.gz": "xes.gz"}


def write_simulation(result: SimulationResult, path: str | os.PathLike) -> tuple[Path, Path]:
    """Write the log (CSV, Parquet or XES by extension) and its truth file, atomically.

    CSV is UTF-8 with a BOM (Excel shows the Chinese), times as local
    ``YYYY-MM-DD HH:MM:SS`` without offset. Returns (log path, truth path).

    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> [p.name for p in write_simulation(simulate_log(cases=10, seed=1), out)]
    ['s.csv', 's.truth.csv']
    """
    from procmine.output import atomic_path, atomic_write

    target = Path(path)
    suffix = ".xes.gz" if target.name.lower().endswith(".xes.gz") else target.suffix.lower()
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        raise OutputError(f"{target}: unknown log format {suffix or '(none)'}",
                          hint="end the file name in .csv, .parquet, .xes or .xes.gz")
    truth = truth_path(target)
    if fmt == "csv":
        with atomic_path(target) as tmp:
            _write_csv(result.events, tmp)
    elif fmt == "parquet":
        with atomic_path(target) as tmp:
            result.events.to_parquet(tmp, index=False)
    else:
        with atomic_path(target) as tmp:
            _write_xes(result, tmp, compress=fmt == "xes.gz")
    with atomic_write(truth, encoding="utf-8") as f:
        f.write(result.truth.to_csv(index=False, lineterminator="\n"))
    _readable(target, truth)
    return target, truth


def _readable(*paths: Path) -> None:
    """Give written files the usual permissions (the atomic temporary file is private)."""
    umask = os.umask(0)
    os.umask(umask)
    for path in paths:
        os.chmod(path, 0o666 & ~umask)


def _write_csv(events: pd.DataFrame, path: str) -> None:
    """CSV through pyarrow (fast); pandas' quoting takes over if a value needs quotes."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = {}
    for name in events.columns:
        values = events[name]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            columns[name] = _time_text(values)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            columns[name] = pa.array(values).cast(pa.string())
        else:
            columns[name] = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.string())
    table = pa.table(columns)
    with open(path, "wb") as f:
        f.write(("\ufeff" + ",".join(events.columns) + "\n").encode("utf-8"))
        try:
            pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=False, quoting_style="none"))
            return
        except pa.ArrowInvalid:  # a value holds a comma, quote or newline
            pass
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        table.to_pandas().to_csv(f, index=False, lineterminator="\n")


def _time_text(values: pd.Series, sep: str = " "):
    """Local wall-clock times as 'YYYY-MM-DD HH:MM:SS' (pyarrow strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    secs = values.dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    day = secs // DAY
    tod = secs - day * DAY
    first = int(day.min()) if len(day) else 0
    last = int(day.max()) if len(day) else 0
    dates = pa.array(np.datetime_as_string(np.arange(first, last + 1).astype("datetime64[D]"))
                     .astype(object))
    clock = pa.array([f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60)
                      for s in range(60)])
    return pc.binary_join_element_wise(dates.take(pa.array(day - first)),
                                       clock.take(pa.array(tod)), sep)


_XES_PROLOGUE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n'
    '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
    '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
    '<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n')


def _write_xes(result: SimulationResult, path: str, *, compress: bool = False,
               chunk: int = 200_000) -> None:
    """A plain XES 1.0 file: canonical keys, values in the log's language, local offsets.

    Written with numpy/pyarrow string operations, ``chunk`` events (whole cases) at a
    time (not pm4py's writer, whose attribute order changes from run to run); every
    value is XML-escaped.
    """
    import gzip

    ev = result.events
    codes, _ = pd.factorize(ev[HEADERS[result.lang][CASE]], sort=False)
    starts = np.flatnonzero(np.diff(codes, prepend=-1) != 0)
    at = np.searchsorted(starts, np.arange(chunk, len(ev), chunk))
    cuts = np.unique(starts[at[at < len(starts)]])
    bounds = np.concatenate(([0], cuts, [len(ev)]))
    with open(path, "wb") as raw:
        out = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw
        try:
            out.write(_XES_PROLOGUE.encode("utf-8"))
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                if hi > lo:
                    out.write(_xes_traces(ev.iloc[lo:hi], HEADERS[result.lang]))
            out.write(b"</log>\n")
        finally:
            if compress:
                out.close()


def _xes_traces(ev: pd.DataFrame, h: dict[str, str]) -> bytes:
    """The <trace> elements of whole cases, one event per line."""
    from xml.sax.saxutils import quoteattr

    import pyarrow as pa
    import pyarrow.compute as pc

    def date(key: str, values: pd.Series) -> Any:
        text = pc.binary_join_element_wise(_time_text(values, sep="T"), _offsets(values), "")
        return pc.binary_join_element_wise(f'<date key="{key}" value="', text, '"/>', "")

    def strings(pairs: list[tuple[str, pd.Series]]) -> Any:
        """String attributes of several columns, escaped once per distinct combination."""
        combined = np.zeros(len(pairs[0][1]), dtype=np.int64)
        parts = []
        for _, values in pairs:
            codes, uniques = pd.factorize(values, sort=False)
            combined = combined * (len(uniques) + 1) + codes
            parts.append((codes, uniques))
        _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        text = ["".join(f'<string key="{key}" value={quoteattr(str(uniques[codes[i]]))}/>'
                        for (key, _), (codes, uniques) in zip(pairs, parts, strict=True))
                for i in first]
        return pa.array(text, type=pa.string()).take(pa.array(inverse.ravel()))

    event = pc.binary_join_element_wise(
        "<event>", strings([("concept:name", ev[h[ACTIVITY]])]), date("time:timestamp", ev[h[TIMESTAMP]]),
        strings([("org:resource", ev[h[RESOURCE]]), ("org:level", ev[h[LEVEL]]), ("org:kind", ev[h[KIND]])]),
        "</event>", "")
    codes, _ = pd.factorize(ev[h[CASE]], sort=False)
    first = np.ones(len(codes), dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    last = np.ones(len(codes), dtype=bool)
    last[:-1] = first[1:]
    heads = ev.iloc[np.flatnonzero(first)]
    opening = pc.binary_join_element_wise(
        "<trace>", strings([("concept:name", heads[h[CASE]])]),
        strings([("category", heads[h[CATEGORY]]), ("source", heads[h[SOURCE]])]),
        date("deadline", heads[h[DEADLINE]]), "\n", "")
    head = pc.if_else(pa.array(first), opening.take(pa.array(codes)), "")
    tail = pc.if_else(pa.array(last), "\n</trace>", "")
    lines = pc.binary_join_element_wise(head, event, tail, "")
    whole = pa.LargeListArray.from_arrays(pa.array([0, len(lines)], type=pa.int64()),
                                          lines.cast(pa.large_string()))
    body = pc.binary_join(whole, pa.scalar("\n", type=pa.large_string()))[0].as_buffer()
    return bytes(body) + b"\n"


def _offsets(values: pd.Series):
    """The UTC offset of each timestamp as '+08:00' (pyarrow strings)."""
    import pyarrow as pa

    local = values.dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    minutes = (local - utc) // 60
    kinds, index = np.unique(minutes, return_inverse=True)
    text = [f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in kinds]
    return pa.array(text, type=pa.string()).take(pa.array(index.ravel()))
