"""Every output file of a command is checked before the command starts its work: a
missing folder, a format the option cannot write, an input overwritten or two outputs on
one path is one error, exit 2, and no file is written (not half the outputs). Table
outputs are .csv or real .xlsx workbooks; XES files are well-formed XML."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import FIXTURES, WORKFLOW

from procmine.cli import cli
from procmine.cli.outputs import OutputOption

LOG = str(FIXTURES / "orders16.csv")


def run(*args, cwd):
    old = os.getcwd()
    os.chdir(cwd)      # relative output names land in the test's folder
    try:
        return CliRunner().invoke(cli, [str(a) for a in args])
    finally:
        os.chdir(old)


def _written(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# (arguments, the error's words): a good output given first, a bad one after it
LATE_FAILURES = {
    "conform-diagram-folder": (["conform", LOG, "--workflow", WORKFLOW, "--cases", "hw.csv",
                                "--diagram", "nofolder/d.svg"], "folder nofolder does not exist"),
    "conform-diagram-format": (["conform", LOG, "--workflow", WORKFLOW, "--cases", "hw.csv",
                                "--diagram", "d.gif"], "unknown drawing format 'gif'"),
    "conform-deviations-folder": (["conform", LOG, "--workflow", WORKFLOW, "--cases", "hw.csv",
                                   "--deviations", "nofolder/d.csv"], "does not exist"),
    "discover-diagram-format": (["discover", LOG, "--model", "m.pnml", "--diagram", "x.bmp"],
                                "unknown drawing format 'bmp'"),
    "loops-diagram-folder": (["loops", LOG, "--cases", "l.csv", "--diagram", "nofolder/x.svg"],
                             "does not exist"),
    "anonymize-mapping-folder": (["anonymize", LOG, "--key-file", "KEY", "-o", "an.csv",
                                  "--mapping-out", "nofolder/m.csv"], "does not exist"),
    "simulate-responsibility-folder": (["simulate", "--cases", "3", "-o", "m.csv",
                                        "--responsibility", "nofolder/r.yaml"], "does not exist"),
    "simulate-responsibility-format": (["simulate", "--cases", "3", "-o", "m.csv",
                                        "--responsibility", "r.txt"], "unknown output format"),
    "report-format": (["report", LOG, "-o", "r.pdf"], "unknown output format"),
    "filter-format": (["filter", LOG, "-o", "f.json"], "unknown output format"),
    "map-format": (["map", LOG, "-o", "m.jpg"], "unknown drawing format"),
    "network-folder": (["network", LOG, "-o", "nofolder/n.svg"], "does not exist"),
    "compare-format": (["compare", LOG, LOG, "-o", "c.gif"], "unknown drawing format"),
}


@pytest.mark.parametrize("case", LATE_FAILURES, ids=list(LATE_FAILURES))
def test_a_bad_output_fails_before_any_file_is_written(tmp_path, case):
    args, words = LATE_FAILURES[case]
    key = tmp_path / "key.txt"
    key.write_text("0123456789abcdef0123456789abcdef\n", encoding="utf-8")
    args = [str(key) if a == "KEY" else a for a in args]
    before = _written(tmp_path)
    result = run(*args, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1     # one clear line, no log read first
    assert _written(tmp_path) == before                     # hw.csv, m.pnml, an.csv ... not written


def test_two_outputs_on_one_path_are_refused(tmp_path):
    result = run("conform", LOG, "--workflow", WORKFLOW, "--cases", "dd.csv", "--deviations",
                 "dd.csv", "--variants", "dd.csv", cwd=tmp_path)
    assert result.exit_code == 2
    assert "dd.csv: --cases and --deviations would both write this file" in result.stderr
    assert _written(tmp_path) == []


def test_an_output_on_an_input_is_refused(tmp_path):
    log = tmp_path / "log.csv"
    log.write_bytes((FIXTURES / "orders16.csv").read_bytes())
    result = run("loops", str(log), "--cases", "log.csv", cwd=tmp_path)
    assert result.exit_code == 2 and "overwrite the input" in result.stderr
    assert log.read_bytes() == (FIXTURES / "orders16.csv").read_bytes()


def test_the_truth_file_of_a_simulation_counts_as_an_output(tmp_path):
    rates = tmp_path / "m.truth.csv"      # -o m.csv writes its truth to m.truth.csv
    rates.write_text("escalation: 0.1\n", encoding="utf-8")
    result = run("simulate", "--cases", "3", "-o", "m.csv", "--rates", "m.truth.csv", cwd=tmp_path)
    assert result.exit_code == 2 and "m.truth.csv: output would overwrite the input" in result.stderr
    assert rates.read_text(encoding="utf-8") == "escalation: 0.1\n"
    assert not (tmp_path / "m.csv").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused_first(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run("discover", LOG, "--model", "m.pnml", "--diagram", "locked/d.svg", cwd=tmp_path)
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 2 and "folder locked is not writable" in result.stderr
    assert not (tmp_path / "m.pnml").exists()


def test_every_output_option_is_declared():
    """The options that name files a command writes are the ones checked first."""
    expected = {
        "anonymize": {"output", "mapping_out"}, "compare": {"output"},
        "conform": {"cases_path", "deviations_path", "variants_path", "diagram"},
        "discover": {"model_path", "diagram"}, "filter": {"output"},
        "loops": {"cases_path", "diagram"}, "map": {"output"}, "network": {"output"},
        "report": {"output"}, "simulate": {"output", "responsibility"},
    }
    ctx = cli.make_context("procmine", ["info", LOG])
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        commands = getattr(command, "commands", {name: command})
        declared = {p.name for c in commands.values() for p in c.params if isinstance(p, OutputOption)}
        assert declared == expected.get(name, {"output"} if name == "workflow" else set()), name


@pytest.mark.parametrize("args,sheet,header", [
    (["conform", LOG, "--workflow", WORKFLOW, "--variants", "t.xlsx"], "variants", "variant"),
    (["loops", LOG, "--cases", "t.xlsx"], "cases", "case"),
])
def test_table_outputs_named_xlsx_are_workbooks(tmp_path, args, sheet, header):
    result = run(*args, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")      # CSV text would not open
    assert book.sheetnames == [sheet]
    assert book[sheet]["A1"].value == header


def test_a_table_output_of_another_format_is_refused(tmp_path):
    result = run("conform", LOG, "--workflow", WORKFLOW, "--variants", "v.txt", cwd=tmp_path)
    assert result.exit_code == 2
    assert "v.txt: unknown output format (end the file name in one of .csv, .xlsx)" in result.stderr


def test_xes_with_control_characters_is_well_formed(tmp_path):
    text = (FIXTURES / "orders16.csv").read_text(encoding="utf-8").replace("城运中心", "城运\x0b中心", 1)
    log = tmp_path / "ctrl.csv"
    log.write_text(text, encoding="utf-8")
    result = run("--lang", "en", "filter", str(log), "-o", "out.xes", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    values = [e.get("value") for e in ET.parse(tmp_path / "out.xes").getroot().iter()]
    assert "城运\ufffd中心" in values
    assert ("control characters, which XML cannot hold, in 1 values and 0 column names; "
            "each became U+FFFD in the XES") in result.stderr
