"""A command whose process went over ``--memory-limit`` says so on stderr (issue 21, item 5).

The limit bounds DuckDB's buffers and the parts of the log; the interpreter, the libraries
and what a command keeps per case come on top (docs/security.md). A command run in a
process of its own under a limit below what Python and pandas take alone must say that
it went over, with its peak, as it names its engine: with ``--json`` and ``--quiet`` too;
under a limit it kept, it says nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

SAMPLE = "logs/sample.csv"


def procmine(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "procmine", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


@pytest.fixture(scope="module")
def kept():
    """``bottlenecks`` on DuckDB under a limit no process goes over (16GiB)."""
    return procmine("--lang", "en", "bottlenecks", SAMPLE, "--engine", "duckdb",
                    "--memory-limit", "16GiB")


def test_a_command_over_its_memory_limit_says_its_peak(kept):
    over = procmine("--lang", "en", "bottlenecks", SAMPLE, "--engine", "duckdb",
                    "--memory-limit", "64MiB")
    assert over.returncode == 0, over.stderr
    said = re.search(r"Note: the process peaked at ([0-9.]+) (MiB|GiB), above --memory-limit "
                     r"64MiB", over.stderr)
    assert said, over.stderr
    peak = float(said.group(1)) * (1024 if said.group(2) == "GiB" else 1)
    assert 64 < peak < 1024               # above the limit; its own, not its parent's
    assert "docs/security.md" in over.stderr
    assert over.stdout == kept.stdout     # stdout is the table alone, as under any limit


def test_a_command_within_its_memory_limit_says_nothing_of_it(kept):
    assert kept.returncode == 0, kept.stderr
    assert "peaked at" not in kept.stderr
    assert "--memory-limit" not in kept.stderr


def test_the_note_is_said_with_json_and_quiet_as_the_engines_line(tmp_path):
    """stdout stays the JSON alone; stderr says the engine and the peak, as it says the
    engine even with --json: a limit gone over must not pass unsaid."""
    as_json = procmine("--lang", "en", "audit", SAMPLE, "--engine", "duckdb",
                       "--memory-limit", "64MiB", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)            # the JSON alone on stdout
    assert "above --memory-limit 64MiB" in as_json.stderr
    quiet = procmine("--lang", "en", "report", SAMPLE, "--engine", "duckdb", "--memory-limit",
                     "64MiB", "--quiet", "-o", str(tmp_path / "report.html"))
    assert quiet.returncode == 0 and (tmp_path / "report.html").exists()
    assert [line.split(":")[0] for line in quiet.stderr.splitlines()] == ["Engine", "Note"]


def test_the_peak_is_the_commands_own_not_that_of_the_process_that_started_it():
    """Linux keeps ``ru_maxrss`` across fork and exec: started from a process that had
    taken 600 MiB, a command that took about 200 must not report 600 over a 512MiB limit."""
    started = subprocess.run(
        [sys.executable, "-c",
         "import subprocess, sys\n"
         "held = b'\\x01' * (600 << 20)   # resident: every page written\n"
         "done = subprocess.run([sys.executable, '-m', 'procmine', '--lang', 'en', 'info',\n"
         f"    {SAMPLE!r}, '--engine', 'duckdb', '--memory-limit', '512MiB'],\n"
         "    capture_output=True, text=True, encoding='utf-8')\n"
         "sys.stderr.write(done.stderr)\n"
         "sys.exit(done.returncode)\n"],
        capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert started.returncode == 0, started.stderr
    assert "Engine: duckdb" in started.stderr          # the command ran, on DuckDB
    assert "peaked" not in started.stderr, started.stderr


def test_the_note_is_in_chinese_under_zh():
    over = procmine("--lang", "zh", "info", SAMPLE, "--engine", "duckdb",
                    "--memory-limit", "64MiB")
    assert over.returncode == 0, over.stderr
    assert re.search(r"注：进程的内存峰值为 [0-9.]+ MiB，超过了 --memory-limit 64MiB", over.stderr), \
        over.stderr


def test_a_limit_too_small_for_duckdb_is_one_clear_error():
    """At 32MiB DuckDB's share (19 MiB) cannot hold what it reads of the sample: its
    OutOfMemoryException was an "internal error" with exit 70; it is one line saying
    what to give. A limit no log can be read within (0, 20MB) is refused before reading
    (it failed so after reading, "0" too)."""
    small = procmine("--lang", "en", "info", SAMPLE, "--engine", "duckdb",
                     "--memory-limit", "32MiB")
    assert small.returncode == 1, small.stderr
    assert small.stderr.splitlines()[-1] == (
        "Error: DuckDB ran out of memory within --memory-limit: give a larger --memory-limit "
        "(64MiB or more, see docs/security.md)")
    assert "internal error" not in small.stderr and small.stdout == ""
    for limit in ("0", "20MB"):
        refused = procmine("--lang", "en", "info", SAMPLE, "--engine", "duckdb",
                           "--memory-limit", limit)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.splitlines() == [
            f"Error: memory limit '{limit}': too small to read a log within (give 64MiB or "
            "more (docs/security.md))"]
