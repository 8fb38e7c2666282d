"""One --lang for every command; the default from PROCMINE_LANG, the locale, the log's headers."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from procmine import i18n
from procmine.cli import cli


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_every_command_takes_lang():
    def each(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from each(sub, f"{path} {name}")

    commands = [pair for name in cli.list_commands(None) for pair in each(cli.get_command(None, name), name)]
    assert "workflow check" in dict(commands)
    for path, command in commands:
        assert "--lang" in {o for p in command.params for o in getattr(p, "opts", [])}, path


def test_a_subcommand_takes_lang_after_it():
    result = CliRunner().invoke(cli, ["workflow", "check", "nothere.yaml", "--lang", "zh"])
    assert result.exit_code == 2 and result.output.startswith("错误: "), result.output


def test_chinese_headers_give_chinese_tables_unless_told(sample, monkeypatch):
    monkeypatch.delenv("PROCMINE_LANG")
    zh = run("info", str(sample), env={"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""})
    assert zh.stdout.splitlines()[0].split() == ["工单数", "3,000"]
    for args in (("--lang", "en", "info", str(sample)), ("info", str(sample), "--lang", "en")):
        en = run(*args, env={"LANG": "C.UTF-8"})
        assert en.stdout.splitlines()[0].split() == ["cases", "3,000"]
    # the locale speaks before the headers; PROCMINE_LANG before the locale
    assert run("info", str(sample), env={"LANG": "en_US.UTF-8", "LC_ALL": ""}).stdout.startswith("cases")
    assert run("info", str(sample), env={"LANG": "en_US.UTF-8", "LC_ALL": "",
                                          "PROCMINE_LANG": "zh"}).stdout.startswith("工单数")


def test_errors_before_the_log_is_read_follow_its_headers(sample, tmp_path, monkeypatch):
    """With nothing else choosing, a Chinese-headed log's header line (read before the log)
    gives the errors that come before reading in Chinese: an option, the workflow, a file
    without rows, DuckDB's refusals; an English-headed one keeps them English."""
    monkeypatch.delenv("PROCMINE_LANG")
    env = {"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    headers_only = tmp_path / "头.csv"
    headers_only.write_text("工单编号,环节,时间\n", encoding="utf-8")
    spec = tmp_path / "bad.yaml"
    spec.write_text("steps: [上报\n", encoding="utf-8")
    english = tmp_path / "en.csv"
    english.write_text("case,activity,timestamp\nA,a,2024-01-01 08:00\n", encoding="utf-8")
    parquet = tmp_path / "log.parquet"
    import pandas as pd

    pd.read_csv(sample, nrows=20).to_parquet(parquet)
    said = {
        "timezone": run("info", str(sample), "--timezone", "Foo", env=env),
        "parquet": run("info", str(parquet), "--timezone", "Foo", env=env),
        "no rows": run("info", str(headers_only), env=env),
        "workflow": run("conform", str(sample), "--workflow", str(spec), env=env),
        "citizen": run("audit", str(sample), "--citizen", "不存在", env=env),
    }
    for what, result in said.items():
        assert result.exit_code == 2 and result.stderr.startswith("错误: "), (what, result.stderr)
    assert "未知的时区 'Foo'" in said["timezone"].stderr
    assert run("info", str(english), "--timezone", "Foo", env=env).stderr.startswith("Error: ")
    assert run("--lang", "en", "info", str(sample), "--timezone", "Foo", env=env
               ).stderr.startswith("Error: ")


def test_zh_tables_keep_tiao_kuai_and_chinese_units(sample):
    out = run("--lang", "zh", "bottlenecks", str(sample), "--by", "unit").stdout
    head = out.splitlines()[2]
    assert head.split()[:3] == ["单位", "事件数", "工单数"]
    rows = out.split("\n\n")[0].splitlines()[4:]        # the table's rows, after its title
    assert rows and "工作日" in "".join(rows) and "working" not in "".join(rows)
    i18n.set_language("zh")
    from procmine.output import format_table

    assert "条" in format_table([{"unit": "城管中队", "kind": "line"}])
    assert "line" not in format_table([{"unit": "城管中队", "kind": "line"}])


def test_errors_in_the_chosen_language(tmp_path):
    missing = str(tmp_path / "nothere.csv")
    assert run("--lang", "zh", "info", missing).output.startswith("错误: ")
    assert run("info", missing).output.startswith("Error: ")


def test_json_stays_english_whatever_the_language(sample):
    import json

    zh = json.loads(run("--lang", "zh", "info", str(sample), "--json").stdout)
    en = json.loads(run("--lang", "en", "info", str(sample), "--json").stdout)
    assert zh == en and "cases" in zh


@pytest.mark.parametrize("value", ["fr", "zh-TW"])
def test_unknown_language_is_refused(sample, value):
    result = CliRunner().invoke(cli, ["--lang", value, "info", str(sample)])
    assert result.exit_code == 2


def test_anonymize_keeps_tiao_kuai_in_chinese(sample, tmp_path):
    import pandas as pd

    key = tmp_path / "key.txt"
    key.write_text("0123456789abcdef" * 4)
    for lang, expected in (("zh", {"条", "块"}), ("en", {"line", "block"})):
        out = tmp_path / f"anon-{lang}.csv"
        result = run("--lang", lang, "anonymize", str(sample), "--key-file", str(key), "-o", str(out))
        assert result.exit_code == 0, result.output
        assert set(pd.read_csv(out, encoding="utf-8-sig")["单位类型"].dropna()) == expected


def test_zh_tables_name_every_column_in_chinese():
    # service times appear only where the log has start times; every header in Chinese
    import re

    from conftest import FIXTURES

    out = run("--lang", "zh", "bottlenecks", str(FIXTURES / "bottlenecks_service.csv"),
              "--by", "activity", "--clock-time").stdout
    head = next(line for line in out.splitlines() if line.startswith("环节"))
    assert not re.search(r"[A-Za-z_]{3,}", head), head
    assert "办理时间合计" in head
    assert "日历：none：自然时间" in out


def test_a_group_without_its_command_shows_its_help_in_chinese():
    # not an error line wrapping the whole help page
    result = CliRunner().invoke(cli, ["--lang", "zh", "workflow"], prog_name="procmine")
    assert result.exit_code == 2
    assert result.output.startswith("用法：procmine workflow")
    assert "错误" not in result.output and "命令：" in result.output
