"""Real bad inputs with --lang zh end in one error line said in Chinese (the values one
typed excepted: a path, a column, an option); with --lang en, in the same English as
before. The errors are the library's (said through words/sentences.json) and click's."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_messages_chinese import english_left

from procmine import i18n
from procmine.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "logs" / "sample.csv")
STUCK = str(ROOT / "tests" / "fixtures" / "workflow_stuck.pnml")

#: arguments ({out}: a folder; {log}: the sample log), the values one typed, the English line
CASES = {
    "split": (["compare", "{log}", "--split", "2024-99-01"], ["--split 2024-99-01"],
              "--split 2024-99-01: not a date or time (write it as YYYY-MM-DD)"),
    "where": (["filter", "{log}", "--where", "x==1", "-o", "{out}/x.csv"], ["'x'"],
              "the log has no column 'x' to filter on (name a column of the log (as in its header) "
              "or a canonical column; the DuckDB and Spark engines read the mapped columns only "
              "(--engine pandas reads them all))"),
    "calendar": (["bottlenecks", "{log}", "--calendar", "xx1"], ["--calendar xx1"],
                 "--calendar xx1: not cn, a country code, weekdays, none or an existing file (use cn "
                 "(Chinese working days), nl/it/us/... (public holidays of a country), weekdays, "
                 "none (clock time) or a YAML/CSV file)"),
    "stuck-model": (["conform", "{log}", "--workflow", STUCK], [STUCK],
                    f"{STUCK}: unreachable end: no run of the model from its start reaches its end "
                    "(check the gateways and arcs near the end)"),
    "no-folder": (["report", "{log}", "-o", "{out}/nofolder/x.html"], ["{out}/nofolder/x.html", "{out}/nofolder"],
                  "{out}/nofolder/x.html: folder {out}/nofolder does not exist"),
    "cannot-write": (["workflow", "draw", str(ROOT / "logs" / "workflow.yaml"), "-o", "/proc/procmine.dot"],
                     ["/proc/procmine.dot"],      # a folder where no file can be made (Linux)
                     "cannot write /proc/procmine.dot: No such file or directory (check the free "
                     "disk space and that the folder is writable)"),
    "no-such-option": (["info", "{log}", "--case", "x"], ["'--case'", "'--case-id', '--case-ids', '--category'"],
                       "No such option '--case'. (Did you mean one of: '--case-id', '--case-ids', "
                       "'--category'?)"),
    "range": (["variants", "{log}", "--top", "-3"], ["'--top'", "-3", "x>=1"],
              "Invalid value for '--top': -3 is not in the range x>=1."),
    "duration": (["filter", "{log}", "--duration", "5x", "-o", "{out}/y.csv"], ["'5x'"],
                 "bad range '5x' (write LOW..HIGH, e.g. 1d..30d or 3..50; leave a side empty for no "
                 "bound: ..30d)"),
    "workflow-path": (["workflow", "check", "{out}/bad.yaml"], ["{out}/bad.yaml"],
                      "{out}/bad.yaml, line 3: path '上报 -> 核查': '核查' is not a step (a path must "
                      "return to a step listed directly under steps:, or start/end)"),
    "short-key": (["anonymize", "{log}", "--key-file", "{out}/short.key", "-o", "{out}/a.csv"], [],
                  "the key is shorter than 16 bytes (make one with `python -c \"import secrets; "
                  "print(secrets.token_hex(32))\" > key.txt`)"),
    "no-such-command": (["workflow", "chek", "x"], ["'chek'", "'check'"],
                        "No such command 'chek'. Did you mean 'check'?"),
    "model-suffix": (["discover", "{log}", "--model", "{out}/m.xyz"], ["{out}/m.xyz", "'.xyz'"],
                     "{out}/m.xyz: cannot tell the model format from the suffix '.xyz' "
                     "(use .pnml, .bpmn or .ptml)"),
    "calendar-hours": (["bottlenecks", "{log}", "--calendar", "{out}/h25.yaml"], ["{out}/h25.yaml", "'25:00'"],
                       "{out}/h25.yaml: office hours: '25:00' is not a time of day (HH:MM)"),
    "calendar-overlap": (["bottlenecks", "{log}", "--calendar", "{out}/overlap.yaml"],
                         ["{out}/overlap.yaml", "09:00-12:00, 11:00-13:00"],
                         "{out}/overlap.yaml: office hours 09:00-12:00, 11:00-13:00: intervals must "
                         "be increasing, inside one day and must not overlap"),
    "pnml-marking": (["conform", "{log}", "--workflow", "{out}/mark.pnml"], ["{out}/mark.pnml", "'p1'", "'abc'"],
                     "{out}/mark.pnml: place 'p1': the initial marking 'abc' is not a number of tokens "
                     "(write a whole number of tokens, 0 or more: "
                     "<initialMarking><text>1</text></initialMarking>)"),
    "empty-output": (["filter", "{log}", "-o", ""], ["'-o' / '--output'"],
                     "Invalid value for '-o' / '--output': the path is empty: give a file name"),
    "sub-lang-after": (["workflow", "check", "{out}/bad.yaml", "--lang", "{lang}"], ["{out}/bad.yaml"],
                       "{out}/bad.yaml, line 3: path '上报 -> 核查': '核查' is not a step (a path must "
                       "return to a step listed directly under steps:, or start/end)"),
}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bad")
    (out / "bad.yaml").write_text("steps: [上报, 派遣]\npaths:\n  - path: 上报 -> 核查\n", encoding="utf-8")
    (out / "short.key").write_text("short")
    (out / "h25.yaml").write_text('hours: ["25:00-26:00"]\n', encoding="utf-8")
    (out / "overlap.yaml").write_text('hours: ["09:00-12:00", "11:00-13:00"]\n', encoding="utf-8")
    (out / "mark.pnml").write_text(
        '<?xml version="1.0"?><pnml><net id="n"><page id="p"><place id="p1"><initialMarking>'
        '<text>abc</text></initialMarking></place><place id="p2"/><transition id="t1"><name>'
        '<text>上报</text></name></transition><arc id="a1" source="p1" target="t1"/>'
        '<arc id="a3" source="t1" target="p2"/></page></net></pnml>', encoding="utf-8")
    return out


def error_line(lang: str, args: list[str], out: Path) -> str:
    if "/proc/procmine.dot" in args and not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    argv = [a.format(out=out, log=SAMPLE, lang=lang) for a in args]
    try:
        result = CliRunner().invoke(cli, ["--lang", lang, *argv], prog_name="procmine")
    finally:
        i18n.set_language(None)
    assert result.exit_code != 0, result.output
    return result.stderr.rstrip("\n").splitlines()[-1]


@pytest.mark.parametrize("name", CASES)
def test_a_bad_input_is_said_in_chinese(name, out):
    args, values, _ = CASES[name]
    line = error_line("zh", args, out)
    assert line.startswith("错误: "), line
    said = line.removeprefix("错误: ")
    assert not english_left(said, [v.format(out=out) for v in values]), line
    assert sum("\u4e00" <= c <= "\u9fff" for c in said) >= 4, line


@pytest.mark.parametrize("name", CASES)
def test_the_same_bad_input_in_english_as_before(name, out):
    args, _, english = CASES[name]
    assert error_line("en", args, out) == "Error: " + english.format(out=out)
