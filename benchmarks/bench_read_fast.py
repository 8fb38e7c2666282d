"""Benchmark: the fast CSV reader (DuckDB, ``procmine/read/fastcsv.py``) against the Arrow
reader, side by side: the same command in fresh processes, the two readers taking turns.

For each task (``read``: ``read_log(path, needs=())`` alone; ``map``, ``variants``,
``info``: the commands as ``bench_commands.py`` runs them) the median wall and CPU
seconds (user + system) and peak memory of ``--rounds`` runs each way, and the
outputs compared byte for byte. The machine is shared: the load average is printed,
and the CPU seconds are the steadier figure.

    .venv/bin/python benchmarks/bench_read_fast.py /tmp/compute-5m.csv --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, load_line, machine  # noqa: E402

#: the reader chosen by the size a file must have for the fast one (0: always fast)
SETUP = "import procmine.read.fastcsv as fastcsv\nfastcsv.MIN_BYTES = {min_bytes}\n"
TASKS = {
    "read": "from procmine.read import read_log\nprint(len(read_log({path!r}, needs=()).events))\n",
    "map": "from procmine.cli import main\nmain(['map', {path!r}, '--metric', 'median-wait', "
           "'--csv'])\n",
    "variants": "from procmine.cli import main\nmain(['variants', {path!r}, '--csv'])\n",
    "info": "from procmine.cli import main\nmain(['info', {path!r}, '--json'])\n",
}


def run(code: str) -> tuple[float, float, float, str]:
    """Wall s, CPU s (user + system), peak MB and stdout of one fresh process."""
    timer = shutil.which("time") or "/usr/bin/time"
    stats = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-read-fast-{os.getpid()}.time"
    start = time.perf_counter()
    proc = subprocess.run([timer, "-f", "%M %U %S", "-o", str(stats), sys.executable, "-c", code],
                          capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    peak, user, system = (float(x) for x in stats.read_text().split()[-3:])
    return wall, user + system, peak / 1024, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--tasks", default="read,map,variants,info")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = str(args.log.resolve())
    print(f"{args.log} ({args.log.stat().st_size / 2**20:,.0f} MiB) on {machine()}, "
          f"load {os.getloadavg()[0]:.1f}, {args.rounds} rounds, medians")
    print("| task | fast s (CPU) | MB | Arrow s (CPU) | MB | Arrow / fast wall (CPU) | same output |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for task in args.tasks.split(","):
        runs: dict[str, list[tuple[float, float, float, str]]] = {"fast": [], "arrow": []}
        for _ in range(args.rounds):
            for reader, min_bytes in (("fast", 0), ("arrow", 1 << 62)):
                code = SETUP.format(min_bytes=min_bytes) + TASKS[task].format(path=path)
                runs[reader].append(run(code))
        med = {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in runs.items()}
        same = len({r[3] for v in runs.values() for r in v}) == 1
        f, a = med["fast"], med["arrow"]
        print(f"| {task} | {f[0]:.2f} ({f[1]:.2f}) | {f[2]:,.0f} | {a[0]:.2f} ({a[1]:.2f}) | "
              f"{a[2]:,.0f} | {a[0] / f[0]:.2f}x ({a[1] / f[1]:.2f}x) | "
              f"{'yes' if same else 'NO'} |", flush=True)
    print(load_line())


if __name__ == "__main__":
    main()
