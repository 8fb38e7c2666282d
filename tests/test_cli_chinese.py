"""With --lang zh every command speaks Chinese: a word-list check of each command's text
output (stdout and stderr) on the sample log, as the report's
(test_report_leaders.test_chinese_report_has_no_english_words_but_names_from_the_data).

Left alone: names from the data, file paths, option names and the values one types
after them (quoted by click), command lines, and a few technical names (CSV, DuckDB,
BPMN ...). JSON and CSV keep their English keys: not checked here.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from procmine import i18n
from procmine.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "logs" / "sample.csv")
WORKFLOW = str(ROOT / "logs" / "workflow.yaml")
RESPONSIBILITY = str(ROOT / "logs" / "responsibility.yaml")

#: technical names and symbols a Chinese reader meets as they are
ALLOWED = {
    "csv", "json", "svg", "xes", "yaml", "parquet", "bpmn", "pnml", "petri", "duckdb", "pandas",
    "spark", "graphviz", "pm4py", "b", "mib", "gib", "kib", "cn", "iana", "gzip", "excel",
    "p", "n", "z", "u", "mann-whitney", "holm", "fisher", "alpha",   # statistics
    "options", "log",                                   # click's usage line: [OPTIONS] LOG
    "iso", "nl", "it", "us", "de", "gb", "weekdays", "none",  # values typed after --calendar
} | set(cli.list_commands(click.Context(cli)))          # command names, typed as they are

#: each command's arguments after ``procmine --lang zh`` ({out}: a folder for files)
COMMANDS = {
    "info": ["info", SAMPLE],
    "info-duckdb": ["info", SAMPLE, "--engine", "duckdb"],
    "variants": ["variants", SAMPLE],
    "map": ["map", SAMPLE, "--metric", "median-wait"],
    "map-drawn": ["map", SAMPLE, "-o", "{out}/map.dot"],
    "bottlenecks": ["bottlenecks", SAMPLE, "--by", "unit", "--workflow", WORKFLOW],
    "loops": ["loops", SAMPLE, "--by", "unit", "--cases", "{out}/flagged.csv"],
    "network": ["network", SAMPLE, "-o", "{out}/net.dot"],
    "network-escalation": ["network", SAMPLE, "--type", "escalation"],
    "compare": ["compare", SAMPLE, "--split", "2024-02-01", "-o", "{out}/diff.dot"],
    "discover": ["discover", SAMPLE, "--noise", "0.2", "--model", "{out}/m.pnml"],
    "conform": ["conform", SAMPLE, "--workflow", WORKFLOW, "--deviations", "{out}/dev.csv"],
    "audit": ["audit", SAMPLE, "--responsibility", RESPONSIBILITY],
    "filter": ["filter", SAMPLE, "--to", "2024-01-31", "--where", "来源=12345热线",
               "--top-variants", "5", "-o", "{out}/f.csv"],
    "anonymize": ["anonymize", SAMPLE, "--key-file", "{out}/key.txt", "-o", "{out}/anon.csv"],
    "simulate": ["simulate", "--cases", "60", "-o", "{out}/sim.csv"],
    "workflow-check": ["workflow", "check", WORKFLOW],
    "workflow-draw": ["workflow", "draw", WORKFLOW, "-o", "{out}/wf.dot"],
    "order-as-time": ["info", "{out}/untimed.xes", "--order-as-time"],
    "lost-case": ["info", "{out}/lost.csv"],
    "error-no-file": ["info", "{out}/nothere.csv"],
    "error-no-times": ["info", "{out}/untimed.xes"],
    "error-order-no-waits": ["bottlenecks", "{out}/untimed.xes", "--order-as-time"],
    "error-no-time-column": ["info", "{out}/lost.csv", "--timestamp", "编号"],
    "error-no-column": ["info", SAMPLE, "--case-id", "编号"],
    "error-choice": ["bottlenecks", SAMPLE, "--by", "street"],
    "error-missing-option": ["conform", SAMPLE],
}


def ascii_words(text: str) -> set[str]:
    """The English words a reader sees, without the command's own tokens (options and
    the values typed after them, paths, identifiers, command lines)."""
    text = re.sub(r"procmine [a-z-]+(?: [a-z-]+)?", " ", text)            # a command line
    text = re.sub(r"'[^'\n]*'", " ", text)                                  # a quoted value
    text = re.sub(r"(?<![\w-])--?[a-zA-Z][a-z-]*", " ", text)              # --by, -o
    text = re.sub(r"\(\w+ [\d.]+\)", " ", text)                              # (chinese_calendar 1.11.0)
    text = re.sub(r"[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*", " ", text)            # utf-8, GD0000027
    text = re.sub(r"\S*[:/.@\\=]\S*", " ", text)                           # paths, case:concept:name
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text)}


@functools.cache
def data_words() -> set[str]:
    from procmine.read import read_log

    events = read_log(SAMPLE).events
    words: set[str] = set()
    for column in events.columns:
        if events[column].dtype == object or str(events[column].dtype).startswith(("str", "string")):
            for value in events[column].dropna().unique():
                words |= ascii_words(str(value))
    return words


def run_all(lang: str, out: Path) -> dict[str, str]:
    """Each command's stdout and stderr, in ``lang``."""
    (out / "key.txt").write_text("0123456789abcdef" * 4)
    (out / "untimed.xes").write_text(   # a log without times (issue 21's --order-as-time)
        '<?xml version="1.0"?>\n<log><trace><string key="concept:name" value="7"/>'
        '<event><string key="concept:name" value="上报"/></event>'
        '<event><string key="concept:name" value="结案"/></event></trace></log>\n', encoding="utf-8")
    (out / "lost.csv").write_text(      # case 1's only event has no activity: a lost case
        "工单编号,环节,时间\n1,,2024-01-01 08:00\n2,上报,2024-01-01 09:00\n", encoding="utf-8")
    said = {}
    try:
        for name, args in COMMANDS.items():
            result = CliRunner().invoke(cli, ["--lang", lang, *[a.format(out=out) for a in args]],
                                        prog_name="procmine")
            assert result.exit_code == (0 if not name.startswith("error") else 2), (name, result.output)
            said[name] = result.stdout + result.stderr
    finally:
        i18n.set_language(None)
    return said


@pytest.fixture(scope="module")
def chinese(tmp_path_factory) -> dict[str, str]:
    return run_all("zh", tmp_path_factory.mktemp("zh"))


@pytest.mark.parametrize("name", COMMANDS)
def test_chinese_output_has_no_english_words_but_names_from_the_data(chinese, name):
    left = ascii_words(chinese[name]) - ALLOWED - data_words()
    assert not left, (sorted(left), chinese[name])
    assert re.search(r"[\u4e00-\u9fff]{2}", chinese[name])


def test_the_check_can_fail_english_output_is_full_of_words(tmp_path):
    english = run_all("en", tmp_path)
    for name in ("info", "bottlenecks", "conform", "error-no-column", "error-choice"):
        assert len(ascii_words(english[name]) - ALLOWED - data_words()) >= 5, name


def test_chinese_lines_say_what_the_english_ones_say(chinese):
    assert "错误: 没有列 '编号'（由 --case-id 指定）" in chinese["error-no-column"]
    assert "选项 '--by' 的值无效：'street' 不在" in chinese["error-choice"]
    assert "从 " in chinese["info"] and "读取 34,609 行" in chinese["info"]
    assert "计算引擎：duckdb（由 --engine 指定）" in chinese["info-duckdb"]
    assert "退单后「签收」又回到原退单单位（推诿）" in chinese["conform"]
    assert "已写入" in chinese["workflow-draw"]


def test_duckdb_follows_chinese_headers_like_pandas(sample, monkeypatch):
    monkeypatch.delenv("PROCMINE_LANG")
    env = {"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    for engine in ("pandas", "duckdb"):
        result = CliRunner().invoke(cli, ["info", str(sample), "--engine", engine], env=env)
        assert result.stdout.splitlines()[0].split() == ["工单数", "3,000"], engine
        assert "读取 34,609 行" in result.stderr


def test_a_commands_own_lang_sets_its_messages_too(sample):
    """audit's --lang (the language of its tables) typed: its stderr follows."""
    zh = CliRunner().invoke(cli, ["audit", str(sample), "--section", "clocks", "--lang", "zh"])
    assert zh.stderr.startswith("从 ") and zh.stdout.startswith("注：没有权责清单")
    en = CliRunner().invoke(cli, ["audit", str(sample), "--section", "clocks", "--lang", "en"])
    assert en.stderr.startswith("Read ") and en.stdout.startswith("Note: no responsibility list")
