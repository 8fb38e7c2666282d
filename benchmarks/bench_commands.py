"""Benchmark: whole ``procmine`` commands from the file, against plain pm4py and a DuckDB floor.

Each row is one fresh process timed from start to exit (wall seconds, and its peak
resident memory from ``/usr/bin/time`` where it exists), all in the same run:

- ``procmine map LOG --metric median-wait --csv``, ``procmine variants LOG --csv``,
  ``procmine info LOG --json`` and (``--tasks report``) ``procmine report LOG -o F``;
- plain pm4py: ``pd.read_csv`` + ``pm4py.format_dataframe``, then
  ``discover_dfg`` + ``discover_performance_dfg`` (map), ``get_variants``
  (variants), or the report's numbers as ``run.py`` computes them (variants, DFG,
  performance DFG, rework, inductive net, token fitness and precision);
- DuckDB SQL over the same CSV (the floor): the directly-follows pairs with count,
  mean and median wait (``lead()``), and the variants (``string_agg(... order by
  time)``), about ten lines each.

The numbers are compared too: pairs and their total count, variants and their
cases, on all three sides. The file and the libraries are read once before the first
timed run (:func:`warm`). The ratios ("x pm4py", "x floor") are the point; the
machine is shared, so the load average is printed with them.

    .venv/bin/python benchmarks/bench_commands.py benchmarks/cache/5m.csv
    .venv/bin/python benchmarks/bench_commands.py LOG --case 工单编号 --activity 环节 --time 时间
    .venv/bin/python benchmarks/bench_commands.py LOG.parquet --engine duckdb --memory-limit 4GiB \
        --tasks info,map-svg,bottlenecks,loops,map,variants --no-pm4py
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, load_line, machine, ratio  # noqa: E402

PM4PY_READ = """
import warnings; warnings.filterwarnings("ignore")
import pandas as pd, pm4py, json
df = pm4py.format_dataframe(pd.read_csv({path!r}), case_id={case!r}, activity_key={act!r},
                            timestamp_key={time!r})
"""
PM4PY = {
    "map": PM4PY_READ + """
dfg, s, e = pm4py.discover_dfg(df)
perf, _, _ = pm4py.discover_performance_dfg(df)
print(json.dumps([len(dfg), sum(dfg.values())]))
""",
    "variants": PM4PY_READ + """
v = pm4py.get_variants(df)
print(json.dumps([len(v), sum(v.values())]))
""",
    # the numbers of the report without a workflow, as run.py's report stage computes them
    "report": PM4PY_READ + """
pm4py.get_variants(df); pm4py.discover_dfg(df); pm4py.discover_performance_dfg(df)
pm4py.get_rework_cases_per_activity(df)
net, im, fm = pm4py.discover_petri_net_inductive(df)
pm4py.fitness_token_based_replay(df, net, im, fm)
pm4py.precision_token_based_replay(df, net, im, fm)
print("[]")
""",
}

DUCKDB_EVENTS = """
import duckdb, json
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
{limit}con.execute("create view e as select \\"{case}\\" c, \\"{act}\\" a, \\"{time}\\"::timestamptz t "
            "from {reader}")
"""
DUCKDB = {
    "map": DUCKDB_EVENTS + """
rows = con.execute(\"\"\"
  with f as (select a, lead(a) over w b, epoch(lead(t) over w - t) d
             from e window w as (partition by c order by t))
  select a, b, count(*) n, avg(d) mean, median(d) median from f where b is not null group by all
\"\"\").fetchall()
print(json.dumps([len(rows), sum(r[2] for r in rows)]))
""",
    "variants": DUCKDB_EVENTS + """
rows = con.execute(\"\"\"
  select s, count(*) n from (select c, string_agg(a, ',' order by t) s from e group by c)
  group by s
\"\"\").fetchall()
print(json.dumps([len(rows), sum(r[1] for r in rows)]))
""",
}

PROCMINE = {
    "map": ["map", "{path}", "--metric", "median-wait", "--csv"],
    "variants": ["variants", "{path}", "--csv"],
    "info": ["info", "{path}", "--json"],
    "report": ["report", "{path}", "-o", "{report}"],
    # (no pm4py or floor side: for --engine duckdb on large logs)
    "map-svg": ["map", "{path}", "-o", "{svg}"],
    "bottlenecks": ["bottlenecks", "{path}", "--by", "unit"],
    "loops": ["loops", "{path}"],
}


def run(argv: list[str], *, env: dict[str, str] | None = None
        ) -> tuple[float, float | None, str, float | None]:
    """Wall seconds, peak MB, stdout and CPU seconds (user + system) of one process
    (MB and CPU are None without /usr/bin/time)."""
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    stats = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-commands-{os.getpid()}.time"
    full = [timer, "-f", "%M %U %S", "-o", str(stats), *argv] if timer else argv
    start = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, text=True, cwd=ROOT, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed:\n{proc.stderr[-2000:]}")
    if not timer:
        return seconds, None, proc.stdout, None
    peak, user, system = (float(x) for x in stats.read_text().split()[-3:])
    return seconds, peak / 1024, proc.stdout, user + system


def procmine_numbers(task: str, out: str) -> list[int]:
    """[pairs, total count] of a map's CSV, or [variants, cases] of the variants CSV."""
    rows = list(csv.DictReader(io.StringIO(out)))
    if task == "map":
        pairs = [r for r in rows if r["source"] != "▶" and r["target"] != "■"]
        return [len(pairs), sum(int(float(r["count"])) for r in pairs)]
    if task == "variants":
        return [len(rows), sum(int(r["cases"]) for r in rows)]
    if task in ("report", "map-svg", "bottlenecks", "loops"):
        return []
    data = json.loads(out)
    return [data["variants"], data["cases"]]


def _cells(m: tuple | None) -> tuple[str, str]:
    if m is None:
        return "–", "–"
    cpu = f" ({m[3]:.1f})" if m[3] is not None else ""
    return f"{m[0]:.2f}{cpu}", f"{m[1]:,.0f}" if m[1] else "–"


def _ratios(slow: tuple | None, fast: tuple | None) -> str:
    """slow / fast in wall time, and in CPU time in brackets."""
    if slow is None or fast is None:
        return "–"
    cpu = f" ({ratio(slow[3], fast[3])})" if slow[3] is not None and fast[3] else ""
    return ratio(slow[0], fast[0]) + cpu


def warm(path: str) -> None:
    """Read the log once and import the libraries once, untimed, so that every side
    reads its file and its modules from the page cache: the first run of a session
    otherwise pays for the disk alone (the 5M map took 3.80 s cold against 2.2-2.3 s
    warm in session 8, with less CPU)."""
    with open(path, "rb", buffering=0) as f:
        buffer = bytearray(1 << 24)
        while f.readinto(buffer):
            pass
    libraries = ("import duckdb, pandas, pyarrow.csv, procmine.cli\n"
                 "try: import pm4py\nexcept ImportError: pass")
    subprocess.run([sys.executable, "-c", libraries],
                   cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--case", default="工单编号")
    parser.add_argument("--activity", default="环节")
    parser.add_argument("--time", default="时间")
    parser.add_argument("--tasks", default="map,variants,info",
                        help="of map, variants, info, report (report: no workflow)")
    parser.add_argument("--no-pm4py", action="store_true", help="skip pm4py (slow)")
    parser.add_argument("--engine", default="pandas",
                        help="procmine's --engine (default pandas: auto would pick DuckDB for "
                             "a large file when the shared machine has little memory free)")
    parser.add_argument("--memory-limit", help="procmine's --memory-limit (with --engine)")
    args = parser.parse_args()
    path = str(args.log.resolve())
    reader = (f"read_parquet('{path}')" if path.endswith(".parquet")
              else f"read_csv('{path}', header=true, all_varchar=true)")
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    fill = {"path": path, "case": args.case, "act": args.activity, "time": args.time,
            "reader": reader, "report": str(tmp / f"bench-{os.getpid()}.html"),
            "svg": str(tmp / f"bench-{os.getpid()}.svg"),
            # the floor gets the whole --memory-limit (DuckDB's default is 80% of the machine)
            "limit": (f"con.execute(\"SET memory_limit = '{args.memory_limit}'\")\n"
                      if args.memory_limit else "")}
    engine = ["--engine", args.engine]
    engine += ["--memory-limit", args.memory_limit] if args.memory_limit else []
    procmine = [sys.executable, "-m", "procmine"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    warm(path)
    started = dt.datetime.now()
    print(f"{args.log} ({args.log.stat().st_size / 2**20:,.0f} MiB) on {machine()}, "
          f"{started:%Y-%m-%d %H:%M}, load {os.getloadavg()[0]:.1f}, --engine {args.engine}")
    print("| task | procmine s (CPU) | MB | pm4py s (CPU) | MB | DuckDB SQL s (CPU) | MB "
          "| x pm4py (CPU) | procmine / floor (CPU) | same numbers |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for task in args.tasks.split(","):
        ours = run(procmine + [a.format(**fill) for a in PROCMINE[task]] + engine, env=env)
        mine = procmine_numbers(task, ours[2])
        theirs = floor = None
        same = []
        if task in PM4PY and not args.no_pm4py:
            theirs = run([sys.executable, "-c", PM4PY[task].format(**fill)])
            if mine:
                same.append(json.loads(theirs[2].strip().splitlines()[-1]) == mine)
        if task in DUCKDB:
            floor = run([sys.executable, "-c", DUCKDB[task].format(**fill)])
            same.append(json.loads(floor[2].strip().splitlines()[-1]) == mine)

        print(f"| {task} | {' | '.join(_cells(ours))} | {' | '.join(_cells(theirs))} | "
              f"{' | '.join(_cells(floor))} | {_ratios(theirs, ours)} | {_ratios(ours, floor)} | "
              f"{'yes' if same and all(same) else ('no' if same else '–')} {mine} |", flush=True)
    print(load_line())


if __name__ == "__main__":
    main()
