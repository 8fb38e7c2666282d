"""The benchmark suite: every stage of procmine against the plain pm4py calls for the same output.

Generates simulated dispatch logs (100k and 1M events; 10M with ``--large``;
cached in benchmarks/cache/), adds the full road-traffic log from
../shared/data/real/ when present, and times each stage in a fresh process
(peak memory = that process's max RSS): read, info, map, discover, conform
(tokens; alignments at 100k only), bottlenecks, loops, report, the DuckDB
engine, and everything end to end without alignments. Ratios are measured in
the same run. Writes benchmarks/RESULTS.md (with the machine and date).

    .venv/bin/python benchmarks/run.py                 # 100k and 1M, ~15 min here
    .venv/bin/python benchmarks/run.py --large         # adds 10M events (long)
    .venv/bin/python benchmarks/run.py --sizes 100000 --stages read,map
    .venv/bin/python benchmarks/run.py --scale 100000000 --memory-limit 4GiB   # manual: the commands on DuckDB

See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import REAL, ROOT, machine, measure  # noqa: E402

STAGES = ("read", "info", "map", "discover", "conform-tokens", "conform-alignments",
          "bottlenecks", "loops", "report", "duckdb", "end-to-end")
ROAD = REAL / "Road_Traffic_Fine_Management_Process.xes.gz"

# -- how each side loads the log (untimed setup of the later stages) -----------------------

_OURS = "import warnings\nwarnings.filterwarnings('ignore')\nfrom procmine.read import read_log\n"
_THEIRS = "import warnings\nwarnings.filterwarnings('ignore')\nimport pandas as pd, pm4py\n"


def _read_ours(path: Path) -> str:
    return f"log = read_log({str(path)!r})"


def _read_theirs(path: Path) -> str:
    if path.name.endswith((".xes", ".xes.gz")):
        return f"df = pm4py.read_xes({str(path)!r})"
    return (f"df = pm4py.format_dataframe(pd.read_csv({str(path)!r}), case_id='工单编号', "
            "activity_key='环节', timestamp_key='时间')")


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# -- the stages: (our code, pm4py's code, what both produce) -----------------------------------

_MODEL_OURS = ("from procmine.discover import discover_model\n"
               "from procmine.workflow import PetriNetModel\n"
               "m = discover_model(log, quality=False).model\n"
               "model = PetriNetModel(m.net, m.initial_marking, m.final_marking)\n")
_MODEL_THEIRS = "net, im, fm = pm4py.discover_petri_net_inductive(df)\n"


def stage(name: str, path: Path) -> tuple[str, str, str, str, str] | None:
    """(setup ours, code ours, setup pm4py, code pm4py, output) of a stage; None if not built yet."""
    ours_setup = _OURS + _read_ours(path)
    theirs_setup = _THEIRS + _read_theirs(path)
    if name == "read":
        return (_OURS, _read_ours(path) + "\nresult = [log.n_events, log.n_cases]",
                _THEIRS, _read_theirs(path) + "\nresult = [len(df), df['case:concept:name'].nunique()]",
                "the event table (events, cases)")
    if name == "info":
        return (ours_setup, "from procmine.summary import summarize_log\n"
                            "s = summarize_log(log)\nresult = [s.cases, s.variants]",
                theirs_setup, "v = pm4py.get_variants(df)\n"
                              "a = pm4py.get_event_attribute_values(df, 'concept:name')\n"
                              "s, e = pm4py.get_start_activities(df), pm4py.get_end_activities(df)\n"
                              "result = [df['case:concept:name'].nunique(), len(v)]",
                "counts, variants, activities")
    if name == "map":
        ours = ("from procmine.discover import discover_map\nfrom procmine.abstractions import "
                "START_NODE, END_NODE\nm = discover_map(log)\nresult = int((~m.edges['source']"
                ".isin([START_NODE]) & ~m.edges['target'].isin([END_NODE])).sum())"
                if _has("procmine.discover") else
                "from procmine.abstractions import follows\nresult = len(follows(log).table)")
        return (ours_setup, ours, theirs_setup,
                "dfg, s, e = pm4py.discover_dfg(df)\n"
                "perf, _, _ = pm4py.discover_performance_dfg(df)\nresult = len(dfg)",
                "DFG with counts and times")
    if name == "discover":
        if not _has("procmine.discover"):
            return None
        return (ours_setup, "from procmine.discover import discover_model\n"
                            "d = discover_model(log, quality=False)\nresult = d.model.net is not None",
                theirs_setup, _MODEL_THEIRS + "result = net is not None", "inductive Petri net")
    if name.startswith("conform"):
        if not (_has("procmine.conform") and _has("procmine.discover")):
            return None
        method = "tokens" if name == "conform-tokens" else "alignments"
        ours = (f"from procmine.conform import check_conformance\n"
                f"r = check_conformance(log, model, method={method!r})\n"
                f"result = [round(r.fitness, 4), round(r.precision, 4)]")
        if method == "tokens":
            theirs = ("f = pm4py.fitness_token_based_replay(df, net, im, fm)\n"
                      "p = pm4py.precision_token_based_replay(df, net, im, fm)\n"
                      "result = [round(f['log_fitness'], 4), round(p, 4)]")
        else:
            theirs = ("f = pm4py.fitness_alignments(df, net, im, fm)\n"
                      "p = pm4py.precision_alignments(df, net, im, fm)\n"
                      "result = [round(f['log_fitness'], 4), round(p, 4)]")
        return (ours_setup + "\n" + _MODEL_OURS, ours, theirs_setup + "\n" + _MODEL_THEIRS, theirs,
                f"fitness and precision ({method})")
    if name == "bottlenecks":
        return (ours_setup, "from procmine.bottlenecks import find_bottlenecks\n"
                            "r = find_bottlenecks(log, working_time=False)\n"
                            "result = len(r.transitions)",
                theirs_setup, "perf, _, _ = pm4py.discover_performance_dfg(df)\nresult = len(perf)",
                "waiting time per transition (clock)")
    if name == "loops":
        return (ours_setup, "from procmine.loops import find_loops\n"
                            "r = find_loops(log, calendar=None)\n"
                            "result = sorted(r.rework_by_activity.items())",
                theirs_setup, "result = sorted(pm4py.get_rework_cases_per_activity(df).items())",
                "rework per activity (+ all patterns on our side)")
    if name == "report":
        if not _has("procmine.report"):
            return None
        theirs = [_read_theirs(path), "pm4py.get_variants(df)", "pm4py.discover_dfg(df)",
                  "pm4py.discover_performance_dfg(df)", "pm4py.get_rework_cases_per_activity(df)",
                  _MODEL_THEIRS, "pm4py.fitness_token_based_replay(df, net, im, fm)",
                  "pm4py.precision_token_based_replay(df, net, im, fm)"]
        return (_OURS, _read_ours(path) + "\nimport procmine.report as rep, tempfile, os\n"
                "out = os.path.join(tempfile.mkdtemp(), 'r.html')\n"
                "rep.write_report(log, out)\nresult = os.path.getsize(out)",
                _THEIRS, "\n".join(theirs) + "\nresult = True",
                "read + the HTML report, no workflow (pm4py: read + its numbers: variants, DFG, "
                "performance DFG, inductive, token fitness and precision, rework)")
    if name == "duckdb":
        if path.name.endswith((".xes", ".xes.gz")):
            return None
        return ("from procmine.engines import get_engine\n",
                f"e = get_engine('duckdb', {str(path)!r}, memory_limit='4GiB')\n"
                "v = e.variants(); f = e.follows()\nresult = [len(v), len(f.table)]\ne.close()",
                _THEIRS, _read_theirs(path) + "\nv = pm4py.get_variants(df)\n"
                "perf, _, _ = pm4py.discover_performance_dfg(df)\nresult = [len(v), len(perf)]",
                "variants + DFG with times, from the file")
    if name == "end-to-end":
        ours = [_read_ours(path), "from procmine.summary import summarize_log", "summarize_log(log)",
                "from procmine.bottlenecks import find_bottlenecks",
                "find_bottlenecks(log, working_time=False)",
                "from procmine.loops import find_loops", "find_loops(log, calendar=None)"]
        theirs = [_read_theirs(path), "pm4py.get_variants(df)", "pm4py.discover_dfg(df)",
                  "pm4py.discover_performance_dfg(df)", "pm4py.get_rework_cases_per_activity(df)"]
        if _has("procmine.discover"):
            ours += ["from procmine.discover import discover_map", "discover_map(log)", _MODEL_OURS]
            theirs += [_MODEL_THEIRS]
        if _has("procmine.conform") and _has("procmine.discover"):
            ours += ["from procmine.conform import check_conformance",
                     "check_conformance(log, model, method='tokens')"]
            theirs += ["pm4py.fitness_token_based_replay(df, net, im, fm)",
                       "pm4py.precision_token_based_replay(df, net, im, fm)"]
        return (_OURS, "\n".join(ours) + "\nresult = True", _THEIRS,
                "\n".join(theirs) + "\nresult = True", "everything above but alignments")
    raise ValueError(name)


def simulated(events: int) -> Path:
    """``harness.simulated_csv`` run in a child process.

    Linux keeps ru_maxrss across fork and exec, so a measuring child would report
    this process's peak if this process had simulated a large log itself.
    """
    made = measure(f"from harness import simulated_csv\nresult = str(simulated_csv({events}))",
                   setup="import sys\nsys.path.insert(0, 'benchmarks')")
    return Path(made.result)


# -- the out-of-core run (manual): a Parquet log of N events through the DuckDB engine -----------

_COLUMNS = ("工单编号", "环节", "时间", "承办单位", "层级", "单位类型", "类别", "来源", "时限")


def scaled_parquet(events: int, *, memory_limit: str) -> Path:
    """A Parquet log of about ``events`` events: copies of the 1M simulated log, new case ids.

    Written by DuckDB, out of core (the 1M log is simulated once and cached); each
    copy keeps the times and renames the cases ``<id>-<copy>``. Cached.
    """
    import duckdb

    path = ROOT / "benchmarks" / "cache" / f"sim-scaled-{events}.parquet"
    if path.exists():
        return path
    base = simulated(1_000_000)
    con = duckdb.connect(config={"temp_directory": str(path.parent / "duckdb-spill")})
    con.execute(f"SET memory_limit = '{memory_limit}'")
    n_base = con.execute(f"SELECT count(*) FROM read_csv('{base}', all_varchar = true)").fetchall()[0][0]
    copies = -(-events // n_base)
    others = ", ".join(f'"{c}"' for c in _COLUMNS[1:])
    tmp = path.with_suffix(".parquet.part")
    con.execute(
        f"COPY (SELECT \"工单编号\" || '-' || CAST(k AS VARCHAR) AS \"工单编号\", {others} "
        f"FROM range({copies}) r(k), read_csv('{base}', all_varchar = true)) "
        f"TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    con.close()
    tmp.replace(path)
    return path


#: The commands of the out-of-core run: name (for --commands): arguments after the log.
SCALE_COMMANDS = {
    "info": ["info"],
    "map": ["map", "-o", "{out}/map.svg"],
    "map-wait": ["map", "--metric", "median-wait", "--working-time", "-o", "{out}/map-wait.svg"],
    "bottlenecks": ["bottlenecks", "--by", "unit"],
    "loops": ["loops"],
}

_SCALE_CODE = """
import contextlib, io
from procmine.cli import cli
text = io.StringIO()
with contextlib.redirect_stdout(text):
    try:
        cli.main(args={args!r}, prog_name="procmine", standalone_mode=False)
    except SystemExit as e:
        if e.code:
            raise
result = text.getvalue().splitlines()[:3]
"""


def scale_run(events: int, *, memory_limit: str, timeout: float,
              commands: tuple[str, ...] = ()) -> str:
    """Time the commands with the DuckDB engine on the scaled Parquet log; a markdown section.

    Each command runs in a fresh process (``procmine CMD LOG --engine duckdb
    --memory-limit LIMIT``); its peak resident memory is that process's own.
    ``commands`` (names of SCALE_COMMANDS) picks some; a command
    that fails or times out is reported in its row, and the others still run.
    """
    import tempfile

    print(f"Parquet log of {events:,} events (cached in benchmarks/cache/)", file=sys.stderr,
          flush=True)
    t0 = time.perf_counter()
    path = scaled_parquet(events, memory_limit=memory_limit)
    made = time.perf_counter() - t0
    out = tempfile.mkdtemp(prefix="procmine-scale-")
    rows = []
    unknown = set(commands) - set(SCALE_COMMANDS)
    if unknown:
        raise SystemExit(f"--commands: unknown {', '.join(sorted(unknown))} "
                         f"(of {', '.join(SCALE_COMMANDS)})")
    chosen = [(name, command) for name, command in SCALE_COMMANDS.items()
              if not commands or name in commands]
    for label, command in chosen:
        args = [command[0], str(path), *[a.format(out=out) for a in command[1:]],
                "--engine", "duckdb", "--memory-limit", memory_limit]
        shown = " ".join(["procmine", *args]).replace(str(path), path.name)
        try:
            m = measure(_SCALE_CODE.format(args=args), timeout=timeout)
        except Exception as e:  # reported in the table, not fatal
            rows.append((label, shown, None, str(e).strip().splitlines()[-1][:160]))
            print(f"  {label}: failed: {rows[-1][3]}", file=sys.stderr, flush=True)
            continue
        rows.append((label, shown, m, ""))
        print(f"  {label}: {m.seconds:.0f} s, {m.peak_mb:,.0f} MB", file=sys.stderr, flush=True)
    info = next((m.result for label, _, m, _ in rows if label == "info" and m), None)
    lines = [f"## The commands on {events:,} events, DuckDB engine, memory limit {memory_limit}",
             "", f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {machine()}: Parquet "
             f"{path.stat().st_size / 2**20:,.0f} MiB (made in {made:.0f} s, or cached). Each "
             "command in a fresh process; MB is its peak resident memory (VmHWM).", "",
             "| command | seconds | peak MB |", "|---|---:|---:|"]
    lines += [f"| `{cmd}` | {m.seconds:,.0f} | {m.peak_mb:,.0f} |" if m
              else f"| `{cmd}` | failed: {why} | |" for _, cmd, m, why in rows]
    if info:
        lines += ["", "First lines of `info`: " + " / ".join(info)]
    return "\n".join(lines) + "\n"


# -- running ---------------------------------------------------------------------------------------


def _hoist_imports(setup: str, code: str) -> tuple[str, str]:
    """Move the import lines at the top of ``code`` into ``setup`` (untimed)."""
    lines = code.splitlines()
    n = 0
    while n < len(lines) and lines[n].startswith(("import ", "from ")):
        n += 1
    return setup + "\n" + "\n".join(lines[:n]), "\n".join(lines[n:])


def run_stage(name: str, path: Path, label: str, *, timeout: float,
              pm4py_side: bool = True) -> dict:
    """One stage on one log, both sides in fresh processes (``pm4py_side=False``: ours only)."""
    row = {"log": label, "stage": name}
    spec = stage(name, path)
    if spec is None:
        return {**row, "note": "not available (module not built yet, or not for this format)"}
    ours_setup, ours, theirs_setup, theirs, output = spec
    # Imports are not timed on either side: pm4py's side imports pm4py in its setup, so
    # ours loads pm4py (which procmine imports lazily) and its own modules there too.
    ours_setup, ours = ours_setup + "\nimport pm4py", ours
    ours_setup, ours = _hoist_imports(ours_setup, ours)
    theirs_setup, theirs = _hoist_imports(theirs_setup, theirs)
    row["output"] = output
    sides = [("procmine", ours_setup, ours), ("pm4py", theirs_setup, theirs)]
    if not pm4py_side:
        sides = sides[:1]
        row["pm4py s"], row["note"] = None, "pm4py not run: its token replay needs tens of GB here "
    for side, setup, code in sides:
        try:
            m = measure(code, setup=setup, timeout=timeout)
            row[f"{side} s"], row[f"{side} MB"], row[f"{side} result"] = m.seconds, m.peak_mb, m.result
        except Exception as e:  # a stage that fails or times out is reported, not fatal
            row[f"{side} s"] = None
            row.setdefault("note", "")
            row["note"] += f"{side}: {str(e).strip().splitlines()[-1][:120]} "
    if row.get("procmine s") and row.get("pm4py s"):
        row["speed-up"] = row["pm4py s"] / row["procmine s"]
    print(f"  {label:>22} {name:<19} " + _line(row), file=sys.stderr, flush=True)
    return row


def _line(row: dict) -> str:
    def fmt(side: str) -> str:
        s = row.get(f"{side} s")
        return "  –  " if s is None else f"{s:7.2f} s {row[f'{side} MB']:7.0f} MB"
    up = f"{row['speed-up']:.1f}x" if row.get("speed-up") else "–"
    return f"ours {fmt('procmine')} | pm4py {fmt('pm4py')} | {up} {row.get('note', '')}"


def markdown(rows: list[dict], started: dt.datetime, seconds: float) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} on {machine()}, in {seconds / 60:.0f} min, with "
        "`benchmarks/run.py` (see docs/benchmarks.md). Each cell is one run in a fresh "
        "process; MB is that process's peak resident memory (including the log loaded "
        "before the timed code). The speed-up is pm4py's time over procmine's for the "
        "same output, measured in the same run. "
        f"Load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} "
        "(1 / 5 / 15 min; the machine may be shared).",
        "",
        "| log | stage | output | procmine s | procmine MB | pm4py s | pm4py MB | speed-up | "
        "same result | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    def num(r: dict, key: str, digits: int) -> str:
        v = r.get(key)
        return "–" if v is None else f"{v:,.{digits}f}"

    for r in rows:
        same = ""
        if r.get("procmine s") and r.get("pm4py s") and r["stage"] not in ("report", "end-to-end"):
            same = "yes" if str(r.get("procmine result")) == str(r.get("pm4py result")) else \
                f"{r.get('procmine result')} / {r.get('pm4py result')}"[:60]
        up = f"{r['speed-up']:.1f}x" if r.get("speed-up") else "–"
        lines.append(f"| {r['log']} | {r['stage']} | {r.get('output', '')} | {num(r, 'procmine s', 2)} "
                     f"| {num(r, 'procmine MB', 0)} | {num(r, 'pm4py s', 2)} | {num(r, 'pm4py MB', 0)} | "
                     f"{up} | {same} | {r.get('note', '').strip()} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="simulated log sizes in events, comma-separated")
    parser.add_argument("--large", action="store_true", help="add the 10M-event log (slow)")
    parser.add_argument("--no-real", action="store_true", help="skip the road-traffic log")
    parser.add_argument("--stages", default=",".join(STAGES),
                        help="comma-separated, of: " + ", ".join(STAGES))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per measurement")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    parser.add_argument("--scale", type=int, metavar="EVENTS",
                        help="only the out-of-core run: a Parquet log of EVENTS events through "
                             "the DuckDB engine; appends its section to --out")
    parser.add_argument("--memory-limit", default="4GiB",
                        help="--memory-limit of the commands of --scale (bounds the process)")
    parser.add_argument("--commands", default="",
                        help="with --scale, comma-separated: some of " + ", ".join(SCALE_COMMANDS))
    args = parser.parse_args()
    if args.scale:
        section = scale_run(args.scale, memory_limit=args.memory_limit, timeout=args.timeout,
                            commands=tuple(c for c in args.commands.split(",") if c))
        out = Path(args.out)
        old = out.read_text(encoding="utf-8") if out.exists() else "# Benchmark results\n"
        tmp = out.with_suffix(".md.part")
        tmp.write_text(old.rstrip("\n") + "\n\n" + section, encoding="utf-8")
        tmp.replace(out)
        print(section)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.large and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    stages = [s for s in args.stages.split(",") if s]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    started, t0 = dt.datetime.now(), time.perf_counter()
    logs: list[tuple[Path, str]] = []
    for n in sizes:
        print(f"log of {n:,} events (cached in benchmarks/cache/)", file=sys.stderr, flush=True)
        logs.append((simulated(n), f"simulated {n:,}"))
    if ROAD.exists() and not args.no_real:
        logs.append((ROAD, "road traffic (561,470)"))
    rows = []
    for path, label in logs:
        big = "10,000,000" in label
        for name in stages:
            if name == "conform-alignments" and ("simulated" not in label or
                                                 int(label.split()[-1].replace(",", "")) > 100_000):
                continue  # pm4py's alignments take minutes beyond 100k events
            if big and name in ("conform-tokens", "info", "discover"):
                continue  # pm4py's token replay needs tens of GB at 10M events
            rows.append(run_stage(name, path, label, timeout=args.timeout,
                                  pm4py_side=not (big and name in ("report", "end-to-end"))))
    out = Path(args.out)
    tmp = out.with_suffix(".md.part")
    text = markdown(rows, started, time.perf_counter() - t0)
    if out.exists() and "\n## " in (old := out.read_text(encoding="utf-8")):
        text += old[old.index("\n## "):]   # keep the manual runs (out of core, 10M report)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
