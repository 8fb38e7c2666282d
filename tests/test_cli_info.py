"""procmine info, and the behaviour every command shares: errors, --json, --traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from procmine.cli import cli, main


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_info_table(orders16):
    result = run("info", orders16)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "cases            3" in out
    assert "events           16" in out
    assert "levels           网格 < 居村 < 街镇 < 区" in out
    assert "上报" in out and "case:concept:name  工单编号" in out
    # the load report goes to stderr, not into the data
    assert "Read 16 rows" in result.stderr and "Read 16 rows" not in out


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
@pytest.mark.parametrize(("option", "value", "error"), [
    ("--levels", "网格,网格", "Error: levels 网格,网格: 网格 named twice"),
    ("--levels", "网格,,街镇", "Error: levels 网格,,街镇: a level without a name"),
    ("--timezone", "", "Error: unknown timezone ''"),
])
def test_a_level_named_twice_or_an_empty_zone_is_refused(orders16, engine, option, value, error):
    result = run("info", orders16, option, value, "--engine", engine, "--lang", "en")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1].startswith(error)


def test_info_json_is_pure_data(orders16):
    result = run("info", orders16, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["cases"] == 3 and data["events"] == 16 and data["variants"] == 3
    assert data["mapping"]["concept:name"] == "环节"
    assert data["load"]["rows_dropped"] == 0
    assert data["events_per_case"] == {"min": 2, "median": 7.0, "max": 7}


def test_info_on_real_receipt_log(real):
    result = run("info", real("receipt.csv"), "--json")
    data = json.loads(result.stdout)
    assert (data["cases"], data["events"], data["activities"]) == (1434, 8577, 27)


def test_column_options(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("案卷号,环节名称,办理时间\nA,上报,2024-01-01 09:00\nA,结案,2024-01-01 10:00\n",
                    encoding="utf-8")
    result = run("info", path, "--case-id", "案卷号", "--timestamp", "办理时间", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mapping"]["case:concept:name"] == "案卷号"


def test_missing_file_is_one_line_error(tmp_path):
    result = run("info", tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"Error: {tmp_path / 'nope.csv'}: no such file"]
    assert "Traceback" not in result.output


def test_missing_column_error_names_the_option(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("id,what,when\n1,a,2024-01-01\n")
    result = run("info", path)
    assert result.exit_code == 2
    line, = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and "--case-id" in line and "id, what, when" in line


def test_traceback_flag_shows_the_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "procmine", "info", str(tmp_path / "x.csv"),
                           "--traceback"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr
    assert "InputError" in proc.stderr


def test_version_and_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "procmine", "--version"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("procmine, version ")


def test_help_does_not_import_pandas_or_pm4py():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from procmine.cli import cli\n"
        "names = cli.list_commands(None)\n"
        "for name in [None, *names]:\n"
        "    args = ['--help'] if name is None else [name, '--help']\n"
        "    r = CliRunner().invoke(cli, args)\n"
        "    assert r.exit_code == 0, (name, r.output)\n"
        "heavy = [m for m in ('pandas', 'pm4py', 'numpy', 'pyarrow') if m in sys.modules]\n"
        "print(len(names), heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    count, heavy = proc.stdout.split(" ", 1)
    assert int(count) >= 1
    assert heavy.strip() == "[]"


@pytest.mark.parametrize("args", [["map", "--metric", "median-wait", "--csv"], ["map"],
                                  ["variants", "--csv"], ["info", "--json"]])
def test_map_variants_and_info_do_not_import_pm4py(orders16, args):
    """pm4py and its matplotlib and scipy take over a second to import: the commands that
    need none of them start without them (and without DuckDB, when pandas reads the log)."""
    code = (
        "import sys\n"
        "from procmine.cli import main\n"
        f"try:\n    main({[args[0], str(orders16), *args[1:], '--engine', 'pandas']!r})\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = ('pm4py', 'matplotlib', 'scipy', 'duckdb', 'networkx')\n"
        "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_broken_pipe_is_quiet(orders16):
    proc = subprocess.run(
        f"{sys.executable} -m procmine info {orders16} | head -1",
        shell=True, capture_output=True, text=True)
    assert proc.stdout.startswith("cases")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_the_program_ends_at_once_with_its_whole_output_and_exit_code(orders16, tmp_path):
    """``python -m procmine`` (procmine.cli.run) ends a command that finished well without
    the interpreter's teardown: its output is whole, written to a pipe or a file, its exit
    functions run, and a failing command keeps its exit code."""
    inprocess = CliRunner().invoke(cli, ["info", str(orders16), "--json"])
    code = ("import atexit, subprocess, sys\n"
            "atexit.register(lambda: print('exit functions ran', file=sys.stderr))\n"
            "sys.argv = ['procmine', *sys.argv[1:]]\n"
            "from procmine.cli import run\nrun()\n")
    piped = subprocess.run([sys.executable, "-c", code, "info", str(orders16), "--json"],
                           capture_output=True, text=True)
    assert (piped.returncode, piped.stdout) == (0, inprocess.output)
    assert "exit functions ran" in piped.stderr
    out = tmp_path / "info.json"
    with open(out, "w") as f:
        assert subprocess.run([sys.executable, "-m", "procmine", "info", str(orders16),
                               "--json"], stdout=f).returncode == 0
    assert out.read_text(encoding="utf-8") == inprocess.output
    failed = subprocess.run([sys.executable, "-m", "procmine", "info", str(tmp_path / "no.csv")],
                            capture_output=True, text=True)
    assert failed.returncode == 2 and "no such file" in failed.stderr


def test_main_exit_code_on_error(tmp_path, capsys):
    try:
        main(["info", str(tmp_path / "nope.csv")])
    except SystemExit as e:
        assert e.code == 2
    assert capsys.readouterr().err.startswith("Error: ")


def test_info_on_the_duckdb_engine_gives_the_same_figures(sample):
    pandas_run = run("info", sample, "--engine", "pandas", "--json")
    duckdb_run = run("info", sample, "--engine", "duckdb", "--memory-limit", "1GiB", "--json")
    assert duckdb_run.exit_code == 0, duckdb_run.output
    assert "Engine: duckdb" in duckdb_run.stderr
    ours, theirs = json.loads(pandas_run.stdout), json.loads(duckdb_run.stdout)
    assert theirs == ours, "every figure, the load report included"
    assert (ours["cases"], ours["events"], ours["variants"]) == (3000, 34609, 228)


@pytest.mark.real
def test_info_on_duckdb_equals_pandas_on_receipt(real):
    path = real("receipt.csv")
    ours = json.loads(run("info", path, "--engine", "pandas", "--json").stdout)
    theirs = json.loads(run("info", path, "--engine", "duckdb", "--json").stdout)
    offsets = ("the times carry UTC offsets (+01:00, +02:00) other than Asia/Shanghai's; they "
               "are shown in Asia/Shanghai (--timezone names the log's office zone)")
    assert theirs["load"].pop("notes") == [
        "the duckdb engine reads the mapped columns only: case:channel, case:department, "
        "case:enddate, case:enddate_planned, case:group ... not read", offsets]
    assert ours["load"].pop("notes") == [offsets]
    assert theirs == ours and ours["cases"] == 1434


def test_auto_engine_reports_its_choice(orders16):
    result = run("info", orders16)
    assert "\nEngine: pandas (" in result.stderr


def test_library_errors_name_parameters_and_the_command_line_names_its_options(tmp_path):
    """A bad choice is one exception type everywhere; the message names the parameter in
    Python and the option at the command line."""
    from click.testing import CliRunner

    from procmine.bottlenecks import find_bottlenecks
    from procmine.cli import cli
    from procmine.discover import discover_map
    from procmine.engines import get_engine
    from procmine.errors import ChoiceError
    from procmine.loops import find_loops
    from procmine.read import read_log

    log = read_log("tests/fixtures/orders16.csv")
    for call, message in ((lambda: find_bottlenecks(log, by="x"), "by='x'"),
                          (lambda: find_loops(log, by="x"), "by='x'"),
                          (lambda: discover_map(log, metric="x"), "metric='x'"),
                          (lambda: get_engine("x", "tests/fixtures/orders16.csv"), "engine='x'")):
        with pytest.raises(ChoiceError, match=message):
            call()
    result = CliRunner().invoke(cli, ["compare", "tests/fixtures/orders16.csv", "--split", "nope"])
    assert result.exit_code == 2
    assert "Error: --split nope: not a date or time" in result.output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages: Linux")
def test_the_command_line_turns_off_huge_pages_for_arrow():
    """A command runs without transparent huge pages (their compaction cost seconds of
    system time at 5M events); a user's own setting wins."""
    probe = ("import sys; sys.argv = ['procmine', '--version']\n"
             "from procmine import cli\n"
             "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
             "import pyarrow as pa; pa.array(range(1000))\n"
             "status = open('/proc/self/status').read()\n"
             "print(status.split('THP_enabled:')[1].split()[0] if 'THP_enabled' in status else '?')")

    def thp(**overrides):
        import os

        env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_ALLOW_THP"} | overrides
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=env, check=True)
        return done.stdout.split()[-1]

    if thp() == "?":
        pytest.skip("this kernel does not say whether huge pages are on")
    assert thp() == "0"
    assert thp(MIMALLOC_ALLOW_THP="1") == "1"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc: Linux")
def test_reading_keeps_freed_memory_for_the_next_arrays():
    """After the command line reads a log into memory, a large array freed and made
    again reuses its pages (no page faults the second time); a user's setting wins."""
    probe = ("import resource, numpy as np\n"
             "from procmine.cli.options import keep_freed_memory\n"
             "keep_freed_memory()\n"
             "a = np.ones(10_000_000); del a\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
             "b = np.ones(10_000_000)\n"
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)")

    def faults(**overrides):
        import os

        env = ({k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
               | {"NUMPY_MADVISE_HUGEPAGE": "0"} | overrides)   # (4 kB pages, counted)
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=env, check=True)
        return int(done.stdout.split()[-1])

    assert faults() < 1000                                  # 80 MB would be 19,500 pages
    assert faults(MALLOC_ARENA_MAX="8") > 10_000            # the user's malloc, as it is


@pytest.mark.parametrize("engine", ["pandas", "auto"])
def test_under_a_memory_limit_freed_memory_is_given_back(monkeypatch, engine):
    """Keeping freed memory for the next arrays is for a command without a memory limit:
    under ``--memory-limit`` the log read into memory leaves glibc's defaults alone."""
    from procmine.cli import options

    calls = []
    monkeypatch.setattr(options, "keep_freed_memory", lambda: calls.append(1))
    assert run("info", "logs/sample.csv", "--json", "--engine", engine).exit_code == 0
    assert calls == [1]
    assert run("info", "logs/sample.csv", "--json", "--engine", engine,
               "--memory-limit", "512MiB").exit_code == 0
    assert calls == [1]
