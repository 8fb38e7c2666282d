"""Benchmark: the analyses alone, on a log already in memory (reading left out).

The log is read once with ``read_log``; each task then runs on it from a fresh
pandas engine (what the log caches between analyses, such as its activity codes,
is forgotten first, so every task pays for its own tables), and its CPU seconds
(``process_time``) and wall seconds are printed. Every module the tasks use (pm4py
and scipy included) is imported before the clock starts: imports are not analyses. Run it once per checkout to
compare two versions of the analyses on the same machine:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_compute.py benchmarks/cache/1m.csv
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/bench_compute.py benchmarks/cache/1m.csv

Tasks: ``map`` (what ``procmine map --metric median-wait`` computes: clock waits per
transition, from start times where the log has them, and the map), ``variants``,
``info``, ``bottlenecks`` (by unit, with the units, levels and activities tables),
``loops``, ``network``, ``audit`` and ``report`` (``build_report`` without a workflow).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

#: What a log keeps between analyses; dropped before each task (read_log's case codes stay)
_CACHES = ("_engine", "_column_codes")


def _tasks() -> dict[str, Callable[[Any], Any]]:
    def map_(log: Any) -> Any:
        from procmine.bottlenecks import transition_waits
        from procmine.discover import discover_map
        from procmine.log import START

        # as procmine map: bottlenecks' waits only where start times make them differ
        flows = (transition_waits(log, working_time=False, calendar="cn") if log.has(START)
                 else None)
        return discover_map(log, metric="median-wait", flows=flows)

    def bottlenecks(log: Any) -> Any:
        from procmine.bottlenecks import find_bottlenecks

        result = find_bottlenecks(log, by="unit", calendar="cn")
        return result.levels, result.activities

    def variants(log: Any) -> Any:
        from procmine.discover import variant_summary

        return variant_summary(log)

    def info(log: Any) -> Any:
        from procmine.summary import summarize_log

        return summarize_log(log)

    def loops(log: Any) -> Any:
        from procmine.loops import find_loops

        return find_loops(log, calendar="cn")

    def network(log: Any) -> Any:
        from procmine.network import discover_network

        return discover_network(log)

    def audit(log: Any) -> Any:
        from procmine.audit import audit_log

        return audit_log(log, calendar="cn")

    def report(log: Any) -> Any:
        from procmine.report import build_report

        return build_report(log)

    return {"map": map_, "variants": variants, "info": info, "bottlenecks": bottlenecks,
            "loops": loops, "network": network, "audit": audit, "report": report}


def main() -> None:
    tasks = _tasks()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log")
    parser.add_argument("--tasks", default=",".join(tasks), help=f"of {', '.join(tasks)}")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import procmine
    from procmine.read import read_log

    for module in ("procmine.discover", "procmine.bottlenecks", "procmine.loops",
                   "procmine.network", "procmine.audit", "procmine.report", "procmine.summary",
                   "pm4py", "scipy.stats"):
        __import__(module)
    started = time.process_time()
    log = read_log(args.log)
    print(f"{args.log}: {log.n_events:,} events, read in {time.process_time() - started:.2f} "
          f"CPU s; procmine from {os.path.dirname(procmine.__file__)}; "
          f"load {os.getloadavg()[0]:.1f}")
    print("| task | CPU s | wall s |\n|---|---:|---:|")
    for name in args.tasks.split(","):
        for cache in _CACHES:
            log.__dict__.pop(cache, None)
        cpu, wall = time.process_time(), time.perf_counter()
        tasks[name](log)
        print(f"| {name} | {time.process_time() - cpu:.2f} | {time.perf_counter() - wall:.2f} |",
              flush=True)
    print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}",
          file=sys.stdout)


if __name__ == "__main__":
    main()
