"""The language people read procmine's output in: ``zh`` or ``en``, and its words.

One setting for the whole process. The CLI sets it from ``--lang`` (on the
``procmine`` group or on any command); without it the language comes from
``PROCMINE_LANG``, then from the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``;
``C`` and ``POSIX`` say nothing), then from the log's column names (Chinese
headers: ``zh``), else ``en``. :mod:`procmine.output` shows table headers and
unit kinds (条/块) through :func:`header` and :func:`cell`; JSON and CSV keep
their English keys and canonical values (machines read them).

No pandas here: ``procmine --help`` imports this module.

>>> set_language("zh"); header("cases"), cell("kind", "line"), message("wrote", path="a.svg")
('工单数', '条', '已写入 a.svg')
>>> set_language("en"); header("cases"), cell("kind", "line")
('cases', 'line')
>>> set_language(None)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Literal

Lang = Literal["zh", "en"]
from procmine.choices import LANGS as LANGS  # noqa: E402  (one list of languages)

_chosen: str | None = None        # --lang
_from_headers: str | None = None  # the log's column names, when nothing else decided
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def set_language(lang: str | None) -> None:
    """Choose the language (``None``: back to the default of the module docstring)."""
    global _chosen, _from_headers
    if lang is not None and lang not in LANGS:
        from procmine.errors import SpecError

        raise SpecError(f"unknown language {lang!r}", hint="choose zh or en")
    _chosen = lang
    if lang is None:
        _from_headers = None


def environment_language(environ: Mapping[str, str] | None = None) -> str | None:
    """``PROCMINE_LANG``, then the locale; None when they name no language.

    >>> environment_language({"LANG": "zh_CN.UTF-8"}), environment_language({"LANG": "C.UTF-8"})
    ('zh', None)
    """
    env = os.environ if environ is None else environ
    forced = env.get("PROCMINE_LANG", "").strip().lower()
    if forced in LANGS:
        return forced
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if not value:
            continue
        code = value.split(".")[0].split("@")[0].lower()
        if code in ("c", "posix", ""):
            return None
        return "zh" if code.startswith("zh") else "en"
    return None


def follow_headers(names: Iterable[object]) -> None:
    """Remember the language of a log's column names, for when nothing else decides."""
    global _from_headers
    if _from_headers is None:
        _from_headers = "zh" if any(_CJK.search(str(n)) for n in names) else "en"


def language() -> Lang:
    """The language output is written in now."""
    lang = _chosen or environment_language() or _from_headers or "en"
    return "zh" if lang == "zh" else "en"


#: column and row names of the CLI's tables -> Chinese
HEADERS: dict[str, str] = {
    "cases": "工单数", "events": "事件数", "activities": "环节数", "variants": "路径数",
    "variant": "路径", "share": "占比", "cumulative": "累计占比", "median duration": "时长中位数",
    "length": "环节个数", "first event": "最早事件", "last event": "最晚事件",
    "events per case": "每单事件数", "units": "单位数", "unit": "单位", "level": "层级",
    "levels": "层级", "kind": "条块", "source": "起点", "target": "终点", "from": "起点",
    "to": "终点", "count": "次数", "frequency": "频次", "mean": "平均", "median": "中位数",
    "p90": "90分位", "total": "合计", "pattern": "模式", "time lost": "损失时间",
    "working": "工作时间", "per case": "每单", "wip_mean": "平均在办", "wip_peak": "峰值在办",
    "wait_median": "等待中位数", "wait_p90": "等待90分位", "wait_total": "等待合计",
    "wait_share": "等待占比", "overdue_cases": "超期工单", "overdue_share": "超期占比",
    "category": "类别", "categories": "类别", "sources": "来源", "algorithm": "算法",
    "transitions": "变迁", "places": "库所", "quality by": "质量计算方法", "fitness": "拟合度",
    "precision": "精确度", "generalization": "泛化度", "simplicity": "简洁度",
    "edges": "连线数", "handovers": "移交次数", "self_handovers": "本单位内移交",
    "pairs": "相邻事件对", "density": "密度", "deviation": "偏离", "name": "名称",
    "value": "数值", "direction": "方向", "moves": "移动次数", "up": "上行", "down": "下行",
    "on_time_rate": "按时率", "on time": "按时率", "overdue": "超期", "deadline_cases": "有时限工单",
}

#: unit kinds: canonical value -> Chinese
KINDS: dict[str, str] = {"line": "条", "block": "块"}

#: the CLI's own messages: key -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "wrote": ("已写入 {path}", "Wrote {path}"),
    "error": ("错误", "Error"),
}


def header(name: str) -> str:
    """A table's column (or a pairs table's row) name in the current language."""
    if language() != "zh":
        return name
    return HEADERS.get(name, HEADERS.get(name.replace("_", " "), name))


def cell(column: str, value: object) -> object:
    """A table cell in the current language: unit kinds as 条/块 in Chinese."""
    if language() == "zh" and column in ("kind", "org:kind", "unit kind") and isinstance(value, str):
        return KINDS.get(value, value)
    return value


def message(key: str, **values: object) -> str:
    """One of the CLI's own messages in the current language."""
    zh, en = MESSAGES[key]
    return (zh if language() == "zh" else en).format(**values)
