"""The model of the simulated street operations centre: its units, categories and channels.

:class:`Unit` (names, level, 条/块 kind, parent for escalation, speed),
:class:`Category` (deadline in working time, handlers) and :class:`Source` (a
reporting channel with its share), and the tables built from them: :data:`UNITS`,
:data:`CATEGORIES`, :data:`SOURCES`, the category mix per source, the injected
:data:`PATTERNS` with their :data:`DEFAULT_RATES`, the :data:`BASE_RATES` of the
ordinary exception paths and the column :data:`HEADERS` per language; then the
integer codes of units and roles the simulator works with. Everything here is
re-exported by ``procmine.simulate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from procmine.calendar import WorkingCalendar
from procmine.log import (
    ACTIVITY,
    ADDRESS,
    CASE,
    CATEGORY,
    CITIZEN,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    SOURCE,
    TIMESTAMP,
)
from procmine.vocabulary import SIMULATED_PATTERNS, STEPS


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
PATTERNS: tuple[str, ...] = SIMULATED_PATTERNS
DEFAULT_RATES: dict[str, float] = {
    "escalation": 0.05, "pingpong": 0.04, "dumping": 0.05, "rework": 0.08, "reopen": 0.04,
    "hugging": 0.08, "desk": 0.06, "bottleneck_slowdown": 4.0,
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
           LEVEL: "层级", KIND: "单位类型", CATEGORY: "类别", SOURCE: "来源", DEADLINE: "时限",
           CITIZEN: "诉求人", ADDRESS: "地址"},
    "en": {CASE: "case_id", ACTIVITY: "activity", TIMESTAMP: "timestamp", RESOURCE: "resource",
           LEVEL: "level", KIND: "kind", CATEGORY: "category", SOURCE: "source",
           DEADLINE: "deadline", CITIZEN: "citizen", ADDRESS: "address"},
}

#: The integer codes the simulator works with: roles (STEPS order) and units (UNITS order).
_ROLES = list(STEPS)
_ROLE_CODE = {r: i for i, r in enumerate(_ROLES)}
_KEYS = list(UNITS)
_CODE = {k: i for i, k in enumerate(_KEYS)}
_LEVEL_RANK = {name: i for i, name in enumerate(("网格", "居村", "街镇", "区", "市"))}
