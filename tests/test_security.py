"""Input procmine does not trust, and outputs that must never be half-written."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from procmine.cli import cli
from procmine.errors import InputError, OutputError
from procmine.files import atomic_write
from procmine.output import csv_text, write_csv
from procmine.read import read_log
from procmine.xmlsafe import parse_xml

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<log xes.version="1.0"><trace><string key="concept:name" value="1"/>
<event><string key="concept:name" value="&lol9;"/>
<date key="time:timestamp" value="2024-01-01T00:00:00+08:00"/></event></trace></log>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE log [<!ENTITY secret SYSTEM "file://{secret}">]>
<log xes.version="1.0"><trace><string key="concept:name" value="1"/>
<event><string key="concept:name" value="&secret;"/>
<date key="time:timestamp" value="2024-01-01T00:00:00+08:00"/></event></trace></log>
"""


@pytest.mark.parametrize("suffix", [".xes", ".bpmn", ".pnml"])
def test_billion_laughs_is_refused_fast(tmp_path, suffix):
    path = tmp_path / f"bomb{suffix}"
    path.write_text(LAUGHS)
    start = time.perf_counter()
    with pytest.raises(InputError, match="DTD or entities"):
        if suffix == ".xes":
            read_log(path)
        else:
            parse_xml(str(path))
    assert time.perf_counter() - start < 1.0  # a bomb that expanded would take far longer


def test_xxe_never_reads_the_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    path = tmp_path / "xxe.xes"
    path.write_text(XXE.format(secret=secret))
    result = CliRunner().invoke(cli, ["info", str(path), "--json"])
    assert result.exit_code == 2
    assert "TOP-SECRET-CONTENT" not in result.output
    assert "DTD or entities" in result.stderr


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    for error in (RuntimeError("disk full"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with atomic_write(target) as f:
                f.write("half of the new content")
                raise error
        assert target.read_text() == "old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_written_files_get_the_usual_permissions(tmp_path):
    """The temporary file is private (mkstemp); the published file is not."""
    from procmine.simulate import simulate_log, write_simulation

    umask = os.umask(0)
    os.umask(umask)
    with atomic_write(tmp_path / "a.txt") as f:
        f.write("ok")
    written = [tmp_path / "a.txt", *write_simulation(simulate_log(cases=5, seed=1), tmp_path / "s.csv")]
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name


def test_output_equal_to_input_is_refused(tmp_path):
    src = tmp_path / "log.csv"
    src.write_text("x")
    with pytest.raises(OutputError, match="overwrite the input"):
        write_csv([{"a": 1}], src, inputs=[str(src)])
    assert src.read_text() == "x"


def test_csv_outputs_neutralise_formulas():
    text = csv_text([{"note": "=HYPERLINK(\"http://x\")"}, {"note": "+86 138"},
                     {"note": "@SUM(A1)"}, {"note": "-1+2"}, {"note": -3}, {"note": "normal"}])
    lines = text.splitlines()
    assert lines[1].startswith("\"'=HYPERLINK")
    assert lines[2] == "'+86 138"
    assert lines[3] == "'@SUM(A1)"
    assert lines[4] == "'-1+2"
    assert lines[5] == "-3"
    assert lines[6] == "normal"


def test_ctrl_c_exits_130_and_leaves_no_partial_output(tmp_path):
    """Interrupt a long anonymize run: exit 130, a short message, no output or temp file."""
    import numpy as np
    import pandas as pd

    n = 400_000
    rng = np.random.default_rng(0)
    pd.DataFrame({
        "case_id": rng.integers(0, 40_000, n).astype(str),
        "activity": rng.choice(["a", "b", "c"], n),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), "s"),
    }).to_csv(tmp_path / "big.csv", index=False)
    out = tmp_path / "out.parquet"
    env = {**os.environ, "PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"}
    proc = subprocess.Popen([sys.executable, "-m", "procmine", "anonymize",
                             str(tmp_path / "big.csv"), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    names = sorted(p.name for p in tmp_path.iterdir())
    if proc.returncode == 0:  # the machine was fast enough to finish first: output complete
        assert "out.parquet" in names and pd.read_parquet(out).shape[0] == n
    else:
        assert proc.returncode == 130
        assert err.strip().splitlines()[-1] == "Error: interrupted"
        assert "Traceback" not in err
        assert names == ["big.csv"]


def test_sigterm_exits_143_and_removes_the_duckdb_folder(tmp_path):
    """`kill` (or a job's time limit) during a DuckDB run: exit 143, no spill folder of
    the engine left in the temporary folder, no half-written page."""
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "report.html"
    proc = subprocess.Popen([sys.executable, "-m", "procmine", "report", "logs/sample.csv",
                             "--engine", "duckdb", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(temp)},
                            cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 60
    while not list(temp.glob("procmine-duckdb-*")) and proc.poll() is None:
        assert time.monotonic() < deadline, "the engine made no folder in a minute"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    if proc.returncode != 0:         # a fast machine may finish first: the page is whole
        assert proc.returncode == 143
        assert [p.name for p in tmp_path.iterdir()] == ["temp"]   # no page, no partial one
    assert list(temp.glob("procmine-duckdb-*")) == []


def _nested_xes(depth: int, tag: str = "list") -> str:
    return ('<?xml version="1.0"?><log xes.version="1.0"><trace>'
            '<string key="concept:name" value="c1"/><event><string key="concept:name" value="a"/>'
            '<date key="time:timestamp" value="2024-01-01T00:00:00+08:00"/>'
            + f'<{tag} key="x">' * depth + f"</{tag}>" * depth + "</event></trace></log>")


@pytest.mark.parametrize("suffix", [".xes", ".xes.gz"])
def test_deeply_nested_xes_is_an_input_error_not_a_segfault(tmp_path, suffix):
    """Issue 21, item 2: the XES reader segfaulted (exit 139) on 4,000 nested lists."""
    import gzip

    path = tmp_path / f"deep{suffix}"
    data = _nested_xes(5000, "container").encode()
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    proc = subprocess.run([sys.executable, "-m", "procmine", "info", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"Error: {path}: the XML nests more than 1,000 elements deep")
    shallow = tmp_path / "shallow.xes"  # nesting a real log might have still loads
    shallow.write_text(_nested_xes(20))
    assert read_log(shallow).n_events == 1


def test_a_dtd_after_a_long_comment_is_still_refused(tmp_path):
    """Issue 21, item 8: only the first 64 KB were checked."""
    import gzip

    text = ('<?xml version="1.0"?>\n<!--' + "x" * 70_000 + '-->\n'
            + XXE.split("\n", 1)[1].format(secret="/etc/hostname"))
    for name, data in (("late.xes", text.encode()), ("late.xes.gz", gzip.compress(text.encode()))):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InputError, match="DTD or entities"):
            read_log(path)
    far = tmp_path / "far.bpmn"  # and in models, wherever the block is
    far.write_text('<?xml version="1.0"?><definitions>' + " " * 200_000
                   + '<!DOCTYPE x [<!ENTITY a "b">]></definitions>')
    with pytest.raises(InputError, match="DTD or entities"):
        parse_xml(str(far))


COMMANDS_WITH_OUTPUT = [
    ["report", "{log}", "-o", "-"], ["map", "{log}", "-o", "-"], ["network", "{log}", "-o", "-"],
    ["compare", "{log}", "{log}", "-o", "-"], ["anonymize", "{log}", "-o", "-"],
    ["simulate", "--cases", "3", "-o", "-"], ["workflow", "draw", "{workflow}", "-o", "-"],
    ["discover", "{log}", "--model", "-"], ["discover", "{log}", "--diagram", "-"],
    ["conform", "{log}", "--workflow", "{workflow}", "--cases", "-"],
    ["loops", "{log}", "--cases", "-"], ["anonymize", "{log}", "-o", "a.csv", "--mapping-out", "-"],
]


@pytest.mark.parametrize("args", COMMANDS_WITH_OUTPUT, ids=lambda a: " ".join(a[:2]))
def test_output_to_dash_is_a_usage_error(tmp_path, orders16, monkeypatch, args):
    """Issue 21, item 11: `report -o -` wrote a file named '-'."""
    workflow = Path(__file__).resolve().parents[1] / "logs" / "workflow.yaml"
    argv = [a.format(log=orders16, workflow=workflow) for a in args]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, argv, env={"PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"})
    assert result.exit_code == 2, result.output
    assert "procmine writes files, not standard output" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no file named '-', nothing else either


def test_output_over_the_input_is_a_usage_error(tmp_path, orders16):
    log = tmp_path / "orders.csv"
    log.write_bytes(orders16.read_bytes())
    for argv in (["anonymize", str(log), "-o", str(log)],
                 ["anonymize", str(log), "-o", str(tmp_path / "a.csv"), "--mapping-out", str(log)]):
        result = CliRunner().invoke(cli, argv,
                                    env={"PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"})
        assert result.exit_code == 2, result.output
        assert "output would overwrite the input log" in result.stderr
    assert log.read_bytes() == orders16.read_bytes()


@pytest.mark.parametrize("where, error", [
    ("tempfile.mkstemp", OSError(30, "Read-only file system")),
    ("os.replace", OSError(28, "No space left on device")),
])
def test_a_failed_write_names_the_file_and_the_reason(tmp_path, orders16, monkeypatch, where,
                                                      error):
    """Issue 21, item 7: a full disk or a read-only folder was an internal error (exit 70)."""
    import procmine.files

    module, name = where.split(".")
    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(getattr(procmine.files, module), name, fail)
    out = tmp_path / "anon.csv"
    result = CliRunner().invoke(cli, ["anonymize", str(orders16), "-o", str(out)],
                                env={"PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"})
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: cannot write {out}: {error.strerror} (check the free disk space and that the "
        "folder is writable)")
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_backslash_in_an_activity_name_is_not_an_internal_error(tmp_path):
    """Issue 21, item 7: `discover --model x.bpmn` with a backslash ended in exit 70."""
    log = tmp_path / "bs.csv"
    log.write_text("case_id,activity,timestamp\n1,a\\b,2024-01-01 09:00\n1,c\\,2024-01-01 10:00\n"
                   "2,a\\b,2024-01-01 09:00\n2,c\\,2024-01-01 11:00\n")
    for model in ("m.pnml", "m.bpmn"):
        result = CliRunner().invoke(cli, ["discover", str(log), "--model", str(tmp_path / model)])
        assert "internal error" not in result.output and "Warning" not in result.stderr
        if result.exit_code == 0:
            assert (tmp_path / model).exists()
        else:
            assert result.exit_code == 1
            assert f"Error: cannot write {tmp_path / model}: Graphviz" in result.stderr
    assert (tmp_path / "m.pnml").exists()


def test_errors_do_not_echo_lines_of_a_file_that_is_not_a_log(tmp_path):
    """Issue 21, item 10: a symlink to a password file put a hash into the message."""
    from procmine.errors import describe_columns

    line = "root:$6$rounds=5000$saltsalt$AbCdEfGhIjKlMnOpQrStUvWxYz0123456789:19000:0:99999:7:::"
    assert "$6$" not in describe_columns([line])
    assert describe_columns(["工单编号", "环节", "时间", "承办单位"]) == "工单编号, 环节, 时间, 承办单位"


def test_reading_a_password_file_does_not_echo_its_hash(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$saltsalt$AbCdEfGhIjKlMnOpQrStUvWxYz0123456789:19000:0:99999:7:::\n"
                      "daemon:*:19000:0:99999:7:::\n")
    link = tmp_path / "log.csv"
    link.symlink_to(secret)
    result = CliRunner().invoke(cli, ["info", str(link)])
    assert result.exit_code == 2
    assert "$6$" not in result.output and "AbCdEf" not in result.output


def _folder_holder(temp: Path, prefix: str) -> subprocess.Popen:
    """A process that makes a scratch folder in ``temp`` and waits (to be killed)."""
    code = ("import sys, time; from procmine.files import ScratchFolder; "
            f"s = ScratchFolder({prefix!r}, sys.argv[1]); print(s.path, flush=True); time.sleep(120)")
    return subprocess.Popen([sys.executable, "-c", code, str(temp)], stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parent.parent)


def test_a_folder_left_by_sigkill_goes_with_the_next_run_and_a_live_one_stays(tmp_path):
    """SIGKILL cannot be caught, so a killed run leaves its DuckDB folder: the next DuckDB
    run removes it, and never the folder of a run still going."""
    killed, alive = _folder_holder(tmp_path, "procmine-duckdb-"), _folder_holder(tmp_path, "procmine-duckdb-")
    try:
        left, live = Path(killed.stdout.readline().strip()), Path(alive.stdout.readline().strip())
        killed.kill()
        killed.wait(timeout=30)
        assert left.is_dir() and live.is_dir()
        done = subprocess.run([sys.executable, "-m", "procmine", "info", "logs/sample.csv",
                               "--engine", "duckdb", "--json"], capture_output=True, text=True,
                              env={**os.environ, "TMPDIR": str(tmp_path)},
                              cwd=Path(__file__).resolve().parent.parent)
        assert done.returncode == 0, done.stderr
        assert not left.exists()
        assert live.is_dir()
        assert sorted(tmp_path.glob("procmine-duckdb-*")) == [live]   # and its own is gone
    finally:
        alive.kill()
        alive.wait(timeout=30)
