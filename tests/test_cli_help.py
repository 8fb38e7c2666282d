"""``--help`` in Chinese: every command, subcommand, option and argument has its Chinese
in ``procmine/words/help.json``, kept next to the English it translates (a changed
English help fails here until its Chinese is updated); the pages read as Chinese
however zh is chosen; English help is click's own, byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from procmine import i18n
from procmine.cli import cli
from procmine.cli.help import (
    chinese_option,
    chinese_text,
    english_help,
    is_examples,
    option_key,
    width_of,
)

ROOT = Path(__file__).resolve().parents[1]
WORDS = ROOT / "procmine" / "words" / "help.json"


def _walk(command: click.Command, path: list[str], ctx: click.Context):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            yield from _walk(sub, [*path, name], click.Context(sub, parent=ctx, info_name=name))


#: every command and subcommand (groups included), as the words file keys them
COMMANDS = {" ".join(path): command for path, command in _walk(cli, [], click.Context(cli))}
PATHS = sorted(COMMANDS)


def _params(key: str) -> list[click.Parameter]:
    command = COMMANDS[key]
    return command.get_params(click.Context(command, info_name=key or "procmine"))


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch):
    for name in ("PROCMINE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


def _help(args: list[str], **env: str) -> str:
    result = CliRunner().invoke(cli, args, env=env or None, terminal_width=80, prog_name="procmine")
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_and_option_has_its_chinese_help():
    missing = []
    for key in PATHS:
        if chinese_text(key, english_help(COMMANDS[key])) is None:
            prose = [p for p in english_help(COMMANDS[key]).split("\n\n") if not is_examples(p)]
            missing.append(f'commands["{key}"]["help"]: {{"en": {json.dumps(prose, ensure_ascii=False)}, "zh": [...]}}')
        for param in _params(key):
            if param.help and chinese_option(key, param) is None:
                missing.append(f'commands["{key}"]["options"]["{option_key(param)}"]: '
                               f'{{"en": {json.dumps(param.help, ensure_ascii=False)}, "zh": "..."}}')
    assert not missing, ("new or changed English help; add its Chinese to "
                         "procmine/words/help.json:\n" + "\n".join(missing))


def test_the_walk_sees_groups_subcommands_options_and_arguments():
    assert {"", "workflow", "workflow check", "workflow draw", "info"} <= set(PATHS)
    params = [p for key in PATHS for p in _params(key)]
    assert sum(isinstance(p, click.Argument) for p in params) >= 15
    assert sum(bool(p.help) for p in params) > 600


def test_the_words_file_names_only_what_exists():
    """No Chinese is left behind for a command or an option that is gone or whose
    English changed (it would be dead text nobody checks)."""
    table = json.loads(WORDS.read_text(encoding="utf-8"))
    helps = {key: {option_key(p): p.help for p in _params(key) if p.help} for key in PATHS}
    assert set(table["commands"]) == set(PATHS)
    for key, entry in table["commands"].items():
        for name, texts in entry["options"].items():
            assert helps[key].get(name) == texts["en"], (key, name)
    for name, texts in table["options"].items():
        assert any(h.get(name) == texts["en"] for h in helps.values()), name
        assert texts["zh"], name


@pytest.mark.parametrize("key", PATHS)
def test_chinese_help_keeps_every_example_and_option(key):
    args = [*key.split(), "--help"]
    english, chinese = _help(args), _help(["--lang", "zh", *args])
    examples = [line for line in english.splitlines() if line.startswith("    procmine ")]
    assert all(line in chinese.splitlines() for line in examples)
    for param in _params(key):
        for name in getattr(param, "opts", []):
            if name.startswith("-"):
                assert name in chinese, name
    assert "示例：" in chinese or "Examples:" not in english
    assert chinese.startswith(f"用法：procmine {key}".rstrip() + " ")


def _english_runs(page: str) -> list[str]:
    """Runs of 4+ English words in a help page, outside its usage line, its Examples
    block, its options' names and the values click shows as their defaults; file
    suffixes (.svg) are no words."""
    kept, examples = [], False
    for line in page.splitlines():
        if line.strip() in ("示例：", "Examples:"):
            examples = True
            continue
        if examples and line.startswith("    "):
            continue
        examples = False
        text = line.strip()
        if text.startswith(("用法：", "Usage:")):
            continue
        if text.startswith("-"):                        # the option's names: its first column
            text = (re.split(r"\s{2,}", text, maxsplit=1) + [""])[1]
        kept.append(text)
    text = re.sub(r"\[(默认：|default: )[^\]]*\]", "", "\n".join(kept))
    text = re.sub(r"\.[a-z]+\b", "", text)
    return re.findall(r"[A-Za-z][\w'-]*(?:[\s,;:/()\"-]+[A-Za-z][\w'-]*){3,}", text)


@pytest.mark.parametrize("key", PATHS)
def test_chinese_help_has_no_english_sentences(key):
    args = [*key.split(), "--help"]
    assert _english_runs(_help(["--lang", "zh", *args])) == []
    assert _english_runs(_help(args))       # the check finds English where there is some


@pytest.mark.parametrize("args", [
    ["--lang", "zh", "info", "--help"],
    ["info", "--help", "--lang", "zh"],        # click prints help before it reads this --lang
    ["info", "--lang", "zh", "--help"],
    ["info", "--help", "--lang=zh"],
    ["--lang", "zh", "--help"],
])
def test_lang_before_or_after_the_command_or_help(args):
    page = _help(args)
    assert "选项：" in page and "Options:" not in page
    assert "工单编号所在的列。" in page or "城市治理派遣日志的流程挖掘。" in page


@pytest.mark.parametrize("env", [{"PROCMINE_LANG": "zh"}, {"LANG": "zh_CN.UTF-8"}])
def test_environment_language_gives_chinese_help(env):
    info = _help(["info", "--help"], **env)
    assert "日志 LOG 的工单、事件、环节、路径、时间跨度、单位和层级。" in info
    assert "[默认：10；x>=1]" in info
    group = _help(["--help"], **env)
    assert "命令：" in group and "  info         日志 LOG 的工单" in group


def test_typed_english_wins_over_a_chinese_environment():
    assert _help(["info", "--help", "--lang", "en"], PROCMINE_LANG="zh") == _help(["info", "--help"])


def _clicks_own_help(key: str) -> str:
    """The help click itself writes for the command (plain contexts)."""
    ctx = click.Context(cli, info_name="procmine", help_option_names=["-h", "--help"],
                        terminal_width=80)
    for name in key.split():
        command = ctx.command.get_command(ctx, name)
        ctx = click.Context(command, parent=ctx, info_name=name)
    return click.Context.get_help(ctx)


@pytest.mark.parametrize("key", PATHS)
def test_english_help_is_clicks_own(key):
    assert _help([*key.split(), "--help"]) == _clicks_own_help(key) + "\n"


@pytest.mark.parametrize("key", PATHS)
def test_chinese_lines_fit_the_terminal(key):
    """Chinese has no spaces to break at: a line of help text stays within 80 columns
    (a Han character takes two); option names and commands may run longer, as in English."""
    page = _help(["--lang", "zh", *key.split(), "--help"])
    long = [line for line in page.splitlines() if width_of(line) > 80
            and not line.lstrip().startswith(("-", "procmine", "用法："))]
    assert long == []


def test_chinese_help_imports_no_pandas():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom procmine.cli import cli\n"
            "for args in (['--help'], ['info', '--help'], ['workflow', 'check', '--help']):\n"
            "    r = CliRunner().invoke(cli, args)\n"
            "    assert r.exit_code == 0 and '选项：' in r.output, r.output\n"
            "print([m for m in ('pandas', 'numpy', 'pm4py', 'pyarrow') if m in sys.modules])\n")
    env = {**os.environ, "PROCMINE_LANG": "zh"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_stale_chinese_text_falls_back_to_the_english(monkeypatch):
    """The help never shows Chinese for an English it was not written for."""
    top = next(p for p in _params("info") if p.name == "top")
    monkeypatch.setattr(top, "help", "How many of each to list.")
    page = _help(["--lang", "zh", "info", "--help"])
    assert "How many of each to list." in page and "列出多少个环节" not in page


def test_a_stale_command_description_is_english_in_its_page_and_its_groups_list(monkeypatch):
    check = COMMANDS["workflow check"]
    monkeypatch.setattr(check, "help", "Validate FILE and say what it defines.")
    assert "Validate FILE and say what it defines." in _help(["--lang", "zh", "workflow", "check", "--help"])
    group = _help(["--lang", "zh", "workflow", "--help"])
    assert "check  Validate FILE and say what it defines." in group
    assert "draw   把 FILE 中的流程画到 OUTPUT" in group
