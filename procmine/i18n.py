"""The language people read procmine's output in: ``zh`` or ``en``, and its words.

One setting for the whole process. The CLI sets it from ``--lang`` (on the
``procmine`` group or on any command); without it the language comes from
``PROCMINE_LANG``, then from the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``;
``C`` and ``POSIX`` say nothing), then from the log's column names (Chinese
headers: ``zh``), else ``en``. :mod:`procmine.output` shows table headers and
cells (条/块, pattern names, yes/no) through :func:`header` and :func:`cell`; the
CLI's own lines come from :func:`message`, and the sentences the library words in
English (notes, reasons, errors) are said through :func:`say`. JSON and CSV keep
their English keys and canonical values (machines read them). The words live in
``procmine/words/*.json`` (docs/language.md), read the first time they are needed.

No pandas here: ``procmine --help`` imports this module.

>>> set_language("zh"); header("cases"), cell("kind", "line"), message("wrote", path="a.svg")
('工单数', '条', '已写入 a.svg')
>>> set_language("en"); header("cases"), cell("kind", "line")
('cases', 'line')
>>> set_language(None)
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from typing import Literal

Lang = Literal["zh", "en"]
from procmine.choices import LANGS as LANGS  # noqa: E402  (one list of languages)

_chosen: str | None = None        # --lang
_from_headers: str | None = None  # the log's column names, when nothing else decided
_guessed: str | None = None       # the file's header line, before the log is read
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def set_language(lang: str | None) -> None:
    """Choose the language (``None``: back to the default of the module docstring)."""
    global _chosen, _from_headers, _guessed
    if lang is not None and lang not in LANGS:
        from procmine.errors import SpecError

        raise SpecError(f"unknown language {lang!r}", hint="choose zh or en")
    _chosen = lang
    if lang is None:
        _from_headers = _guessed = None


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


def guess_from_headers(names: Iterable[object]) -> None:
    """The language of a file's column names, read before the log (its header line): what
    is said before the log is read (an error in an option, in the workflow, in the file)
    follows it; once the log is read, :func:`follow_headers` decides."""
    global _guessed
    _guessed = "zh" if any(_CJK.search(str(n)) for n in names) else "en"


def decided() -> bool:
    """True when ``--lang``, ``PROCMINE_LANG`` or the locale chose the language (the
    log's column names need not be looked at)."""
    return bool(_chosen or environment_language())


def language() -> Lang:
    """The language output is written in now."""
    lang = _chosen or environment_language() or _from_headers or _guessed or "en"
    return "zh" if lang == "zh" else "en"


#: unit kinds: canonical value -> Chinese
KINDS: dict[str, str] = {"line": "条", "block": "块"}

@functools.cache
def words(name: str) -> dict:
    """One table of words from ``procmine/words/<name>.json`` (read once, when first needed:
    ``procmine --help`` reads none)."""
    import json
    from importlib import resources

    return json.loads(resources.files("procmine").joinpath("words", f"{name}.json").read_text(
        encoding="utf-8"))


def header(name: str) -> str:
    """A table's column (or a pairs table's row) name in the current language."""
    if language() != "zh":
        return name
    table = words("headers")
    return table.get(name, table.get(name.replace("_", " "), name))


_KIND_COLUMNS = ("kind", "org:kind", "unit kind", "from_kind", "to_kind")


def cell(column: str, value: object) -> object:
    """A table cell in the current language: in Chinese, unit kinds as 条/块, pattern
    names as the report names them, yes/no, and the canonical values of
    ``words/values.json`` (per column: a direction, a method ...)."""
    if language() != "zh":
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if not isinstance(value, str):
        return value
    if column in _KIND_COLUMNS:
        return KINDS.get(value, value)
    if column == "pattern":
        return pattern_name(value)
    return words("values").get(column, {}).get(value, value)


def pattern_name(pattern: str) -> str:
    """A governance pattern's name in the current language (the report's names:
    ``templates/report-labels.json``).

    >>> set_language("zh"); pattern_name("pingpong"); set_language(None)
    '推诿（来回退单）'
    """
    if language() != "zh":
        return pattern
    return _patterns().get(pattern, pattern)


@functools.cache
def _patterns() -> dict[str, str]:
    import json
    from importlib import resources

    labels = json.loads(resources.files("procmine").joinpath("templates", "report-labels.json")
                        .read_text(encoding="utf-8"))
    return {key: names[0] for key, names in labels["patterns"].items()}


def message(key: str, **values: object) -> str:
    """One of the CLI's own messages in the current language (``words/messages.json``:
    key -> [Chinese, English], ``str.format`` fields; a field neither uses is ignored)."""
    zh, en = words("messages")[key]
    return (zh if language() == "zh" else en).format(**values)


def say(text: str, lang: str | None = None) -> str:
    """A sentence the library worded in English (a note, a reason, an error), in the
    current language: English as it is; Chinese from ``words/sentences.json``, a list of
    [pattern, replacement] tried in order on the whole text (names and numbers kept),
    else its known pieces (``pieces``: a calendar's description) replaced; durations
    in Chinese units. ``lang`` overrides the current language (a command with a
    ``--lang`` of its own).

    >>> set_language("zh"); say("no case id"), say("Filter top-variants 3: kept 9 of 10 cases, 90 of 99 events")
    ('缺少工单编号', '筛选 top-variants 3：保留 10 件工单中的 9 件、99 个事件中的 90 个')
    >>> set_language(None)
    """
    if (lang or language()) != "zh" or not text:
        return text
    for pattern, replacement in _sentences():
        found = pattern.fullmatch(text)
        if found:
            return durations_in_chinese(_within(_fill(found, replacement, "zh")))
    return durations_in_chinese(pieces_in_chinese(text))


def pieces_in_chinese(text: str) -> str:
    """``text`` with the known pieces of ``words/sentences.json`` (a calendar's
    description, e.g. "office hours") in Chinese, the rest kept; the sentences listed
    under ``within`` (a year without holiday data) in Chinese wherever they stand.

    >>> pieces_in_chinese("weekends; 2040: no Chinese holiday data (chinese_calendar 1 knows 2004-2026); counted with weekends only")
    'weekends; 2040：没有中国节假日数据（chinese_calendar 1 覆盖 2004-2026）；只按周末计算'
    """
    text = _within(text)
    for english, chinese in words("sentences")["pieces"]:
        text = text.replace(english, chinese)
    return text


def _within(text: str) -> str:
    """``text`` with the sentences listed under ``within`` in Chinese wherever they stand
    (a year without holiday data, a file's row number)."""
    for pattern, replacement in words("sentences")["within"]:
        text = re.sub(pattern, functools.partial(_fill, replacement=replacement), text)
    return text


def durations_in_chinese(text: str) -> str:
    """``text`` with its durations ("2.5 working h", "3 d") in Chinese units.

    >>> durations_in_chinese("median 2.5 working h, at most 3 d")
    'median 2.5 工作小时, at most 3天'
    """
    return _DURATION.sub(_duration, text)


def _fill(found: re.Match[str], replacement: str, lang: str | None = None) -> str:
    """``replacement`` with ``\\1`` or ``\\g<name>`` of ``found``; a group named ``say...``
    is itself said in ``lang`` (a reason inside a sentence)."""
    def group(m: re.Match[str]) -> str:
        key = m.group(1) or m.group(2)
        value = found.group(int(key) if key.isdigit() else key) or ""
        return say(value, lang) if key.startswith("say") else value

    return re.sub(r"\\g<(\w+)>|\\(\d+)", group, replacement)


_DURATION = re.compile(r"(\d[\d,.]*) (working min|working h|working days?|min|s|h|d)\b")
_UNITS = {"s": "秒", "min": "分钟", "h": "小时", "d": "天", "working min": "工作分钟",
          "working h": "工作小时", "working day": "工作日", "working days": "工作日"}


def _duration(m: re.Match[str]) -> str:
    return m.group(1) + (" " if m.group(2).startswith("working") else "") + _UNITS[m.group(2)]


@functools.cache
def _sentences() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(p), r) for p, r in words("sentences")["sentences"]]
