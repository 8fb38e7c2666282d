"""Every message procmine words for people exists in Chinese: each error's message and
hint, and each note, found in the source (tests/messages.py), its placeholders filled
with sample values, is said by :func:`procmine.i18n.say` in Chinese, with no run of
three English words left but the values filled in, option names, file names, formats
and product names. A new message fails here until ``procmine/words/sentences.json``
knows it (docs/language.md)."""

from __future__ import annotations

import re

import pytest
from messages import templates

from procmine.i18n import say

TEMPLATES, UNKNOWN = templates()

#: names a Chinese reader meets as they are (one types them, or they are products)
NAMES = {"CSV", "JSON", "SVG", "PNG", "PDF", "HTML", "XES", "YAML", "Parquet", "BPMN", "PNML",
         "Petri", "DuckDB", "pandas", "Spark", "PySpark", "pyspark", "Graphviz", "pm4py", "Excel",
         "UTF-8", "GBK", "gzip", "IANA", "Arrow", "PyArrow", "pyarrow", "openpyxl", "lxml",
         "chinese_calendar", "ISO", "MiB", "GiB", "KiB", "dot", "Noto", "CJK", "SC", "Sans",
         "Java", "JAVA_HOME", "pip", "install", "apt", "brew"}
_TOKEN = re.compile(r"(?<![\w-])(?:--?[a-zA-Z][\w-]*|\S*[:/.=_\\@*$<>\[\]{}]\S*|\S*\d\S*)")
_RUN = re.compile(r"[A-Za-z][A-Za-z'-]*(?:[ ,]+[A-Za-z][A-Za-z'-]*){2,}")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def english_left(text: str, values: list[str]) -> list[str]:
    """The runs of three or more English words in ``text`` that are neither a value filled
    in nor a name one types (an option, a path, a format, a product)."""
    for value in sorted(set(values), key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ", text)
    return _RUN.findall(_words(text))


def _words(text: str) -> str:
    """``text`` without command lines, quoted values, options, paths and names."""
    text = re.sub(r"procmine [a-z-]+(?: [a-z-]+)?", " ", text)     # a command line
    text = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`", " ", text)   # a quoted value
    text = _TOKEN.sub(" ", text)
    for name in NAMES:
        text = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", " ", text)
    return text


def needs_words(shape: str) -> bool:
    """Whether a template says something in English (not only values and names)."""
    return re.search(r"[A-Za-z]{2,}", _words(shape.replace("{}", " "))) is not None


def in_chinese(template) -> str | None:
    """None when one of the template's examples is said in Chinese with no English left;
    else the first example as said."""
    first = None
    for example, values in template.examples():
        said = say(example, "zh")
        if _CHINESE.search(said) and not english_left(said, values):
            return None
        first = first or said
    return first


#: a part that is one word is a key of the workflow spec (``steps``, ``aliases``), typed as it is
CHECKED = [t for t in TEMPLATES if needs_words(t.shape)
           and not (t.kind == "part" and re.fullmatch(r"[a-z_]+", t.shape))]


@pytest.mark.parametrize("template", CHECKED, ids=[f"{t.where}:{t.kind}" for t in CHECKED])
def test_every_message_is_said_in_chinese(template):
    said = in_chinese(template)
    assert said is None, f"{template.shape!r} is said {said!r}"


#: messages the source passes on rather than words (each worded where it is made, and
#: checked there): a re-raised error's own message and hint, a note made by a function
#: that words notes (``*_note``, ``message``), a hint handed to the workflow spec's fail()
PASSED_ON = {"e.message", "e.hint", "hint", "note", "check.message()", "overlay.notes[step]",
             "lost_cases_note(len(lost), lost[0])", "lost_cases_note(*lost)",
             "mended_note(runs, encoding, unseen=True)",
             "late_starts_note(counted, mapping[START])", "late_starts_note(int(late), chosen[START])"}


def test_every_message_is_worded_where_the_check_sees_it():
    """A message built out of sight of tests/messages.py (in a variable) is not checked: a
    new one fails here. The report's own words (procmine/report, templates/) and the
    CLI's (words/messages.json, i18n.message) are said by their own tables."""
    hidden = [u for u in UNKNOWN if not u.startswith(("procmine/report/", "procmine/i18n.py"))
              and u.split(": ", 1)[1] not in PASSED_ON]
    assert not hidden, hidden
    assert len(CHECKED) > 400


def test_the_check_can_fail():
    """English left in a sentence is found; names, options and values are not English."""
    assert english_left("请检查 the free disk space", []) == ["the free disk space"]
    assert not english_left("没有这个选项 '--case'：logs/a.csv 用 DuckDB 读取 case:concept:name", [])
    assert not english_left("筛选 x y z 无效", ["x y z"])


def _every_filter():
    """One filter of each kind the options and filter sets build, and their other forms
    (without, do not, never, working time, events of a column, case ids with and without
    a file)."""
    from procmine.filters import definitions as d
    from procmine.filters.text import FILTER_NAMES, build_filter

    values = {"case-ids": __file__, "time": {"from": "2024-01-01", "mode": "contained"},
              "where": "类别=群租", "with-event": "承办单位!=城管执法中队",
              "starts-with": "上报", "ends-with": "结案,退单", "follows": "上报>受理",
              "eventually": "上报>结案", "never": "受理>退单", "duration": "1d..30d",
              "working-duration": "1.5h..", "events": "3..50", "top-variants": 3,
              "variant-coverage": 80, "variant-min-share": 1, "variant-ids": "1,2",
              "keep-activities": "上报,受理", "drop-activities": "退单",
              "activity-coverage": 90}
    built = [build_filter(name, values[name]) for name in FILTER_NAMES]
    return built + [d.WithEvent("类别", ("群租",)), d.Endpoint(("上报",), keep=False),
                    d.Endpoint(("结案",), end=True, keep=False),
                    d.Follows("上报", "受理", keep=False), d.EventValues("承办单位", ("网格",)),
                    d.EventValues("承办单位", ("网格",), keep=False), d.Duration(None, 45 * 60),
                    d.CaseIds(frozenset({"GD1"})), d.CaseIds(frozenset({"GD1"}), keep=False)]


@pytest.mark.parametrize("item", _every_filter(), ids=lambda f: f.describe())
def test_every_filter_is_described_in_chinese(item):
    """The line each filter prints on stderr (筛选 …: kept …) and names in the error when
    nothing is left is Chinese in Chinese output, the values typed kept as typed."""
    said = say(f"Filter {item.describe()}: kept 1 of 2 cases, 3 of 4 events", "zh")
    assert said.startswith("筛选 ") and not english_left(said, ["…"]), said
    assert "筛选后没有剩下事件" in say(f"the filters kept no events (after: {item.describe()})",
                                        "zh")


def test_filter_descriptions_read_as_the_filter():
    """The Chinese says what the filter keeps (the durations in Chinese units)."""
    from procmine.filters import Duration, EventCount, Follows

    assert say(Duration(86400, 30 * 86400, time="working").describe(), "zh") \
        == "工单时长 1天 .. 30天（工作时间）"
    assert say(Follows("上报", "退单", directly=False, keep=False).describe(), "zh") \
        == "上报 之后从未出现 退单 的工单"
    assert say(EventCount(3, 50).describe(), "zh") == "每件工单 3 .. 50 个事件"
    assert say("the duration filter measures time, and this log has none: the order of "
               "its events stands for time (--order-as-time)", "zh").startswith("时长筛选 需要")


@pytest.mark.parametrize("english, chinese", [
    # a calendar file's error, with the file before it
    ("cal.yaml: office hours: '25:00' is not a time of day (HH:MM)",
     "cal.yaml：办公时间：'25:00' 不是一天中的时刻（HH:MM）"),
    ("cal.csv: office hours 17:00-09:00: intervals must be increasing, inside one day and must "
     "not overlap", "cal.csv：办公时间 17:00-09:00：各时段须递增、在一天之内且不能重叠"),
    # a calendar file on top of weekends
    ("Calendar: a.yaml (--calendar); a: 1 holidays and 0 working days from the file, on top of "
     "weekends; office hours 09:00-12:00", "日历：a.yaml（--calendar）；a: 1 个节假日、 0 个工作日"
     "（来自文件），基于 仅周末休息，不含法定节假日; 办公时间 09:00-12:00"),
    ("时限: 1 unparsable values set empty", "时限：1 个无法解析的值已置空"),
    ("asked with --drop", "按 --drop 的要求"),
    ("columns: case:concept:name, concept:name", "日志中的列：case:concept:name, concept:name"),
    ("a.xes: not a readable XES file (the Rust XES reader failed on it; not well-formed XML: "
     "syntax error, line 1)", "a.xes：不是可读取的 XES 文件（Rust XES 读取器无法读取；XML 格式"
     "不正确：syntax error，第 1 行）"),
    ("the file has no columns at all: check that it is the log",
     "文件中一列也没有：请检查它是否是日志文件"),
    ("give key_file= or set PROCMINE_ANON_KEY; make one with `python -c \"import secrets; "
     "print(secrets.token_hex(32))\" > key.txt`", "请给出 key_file= 或设置 PROCMINE_ANON_KEY；"
     "可以这样生成：`python -c \"import secrets; print(secrets.token_hex(32))\" > key.txt`"),
])
def test_sentences_inside_others_are_said_in_chinese(english, chinese):
    """Sentences said in Chinese where they stand inside another (a file's name before them,
    a load report's line, an error's hint), as they reach a reader."""
    assert say(english, "zh") == chinese


def test_the_load_report_says_empty_values_and_repairs_in_chinese(tmp_path):
    """The examples of dropped rows name an empty value in words (not '(empty)'), and a
    repaired column is said in Chinese."""
    from click.testing import CliRunner

    from procmine import i18n
    from procmine.cli import cli

    log = tmp_path / "log.csv"
    log.write_text("工单编号,环节,时间,时限\nA,上报,2024-01-01 08:00,2024-01-05\n"
                   ",上报,2024-01-01 09:00,2024-01-05\nB,上报,2024-01-01 10:00,不详\n",
                   encoding="utf-8")
    try:
        zh = CliRunner().invoke(cli, ["--lang", "zh", "info", str(log)]).stderr
        en = CliRunner().invoke(cli, ["--lang", "en", "info", str(log)]).stderr
    finally:
        i18n.set_language(None)
    assert "舍弃 1 行：缺少工单编号（例如 第 3 行 工单编号=（空））" in zh
    assert "修复 1 处：时限：1 个无法解析的值已置空" in zh
    assert "(e.g. row 3 工单编号=(empty))" in en
