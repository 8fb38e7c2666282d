"""Benchmark: ``procmine report`` on the full road-traffic log and on the sample log.

For each log, in fresh processes (peak memory = the process's max RSS):

1. the whole command, ``procmine report LOG -o out.html`` (read included);
2. ``write_report`` alone on a log read beforehand (untimed), with the seconds
   of each stage of the report;
3. plain pm4py computing the numbers the report shows that pm4py can compute
   (read, variants, DFG with times, inductive miner, token-replay fitness and
   precision, rework per activity): no HTML, no figures, no working time, no
   governance patterns. A reference, not the same work.

    .venv/bin/python benchmarks/bench_report.py [--skip-pm4py] [--logs road,sample]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import REAL, ROOT, machine, measure, ratio  # noqa: E402

LOGS = {
    "road": (REAL / "Road_Traffic_Fine_Management_Process.xes.gz", None),
    "sample": (ROOT / "logs" / "sample.csv", ROOT / "logs" / "workflow.yaml"),
}

_CLI = """
from procmine.cli import cli
args = ["report", {log!r}, "-o", {out!r}, "--quiet"] + {extra!r}
cli.main(args, prog_name="procmine", standalone_mode=False)
import os
result = os.path.getsize({out!r})
"""

_SETUP = """
from procmine.read import read_log
from procmine.report import write_report
log = read_log({log!r})
"""

_LIBRARY = """
report = write_report(log, {out!r}, workflow={workflow!r})
result = {{"seconds": dict(report.seconds), "bytes": len(report.html.encode("utf-8")),
          "sections": [s.key for s in report.sections if not s.skipped]}}
"""

_PM4PY = """
import pandas as pd, pm4py
if {log!r}.endswith((".xes", ".xes.gz")):
    df = pm4py.read_xes({log!r})
else:
    df = pm4py.format_dataframe(pd.read_csv({log!r}), case_id="工单编号", activity_key="环节",
                                timestamp_key="时间")
variants = pm4py.get_variants(df)
dfg, starts, ends = pm4py.discover_dfg(df)
perf, _, _ = pm4py.discover_performance_dfg(df)
net, im, fm = pm4py.discover_petri_net_inductive(df)
fitness = pm4py.fitness_token_based_replay(df, net, im, fm)
precision = pm4py.precision_token_based_replay(df, net, im, fm)
rework = pm4py.get_rework_cases_per_activity(df)
result = {{"variants": len(variants), "fitness": fitness["log_fitness"], "precision": precision}}
"""


def run(name: str, *, pm4py: bool) -> dict:
    log, workflow = LOGS[name]
    if not log.exists():
        return {"log": name, "note": f"{log} not found"}
    if workflow is not None and not workflow.exists():
        workflow = None
    out = str(Path(tempfile.mkdtemp(prefix="bench-report-")) / "report.html")
    extra = ["--workflow", str(workflow)] if workflow else []
    row: dict = {"log": name, "path": str(log), "workflow": str(workflow) if workflow else None}
    cli = measure(_CLI.format(log=str(log), out=out, extra=extra), timeout=7200)
    row["cli_s"], row["cli_mb"], row["html_bytes"] = cli.seconds, cli.peak_mb, cli.result
    base = measure(f"log = read_log({str(log)!r})\nresult = log.n_events",
                   setup="from procmine.read import read_log", timeout=3600)
    row["events"], row["read_s"], row["read_mb"] = base.result, base.seconds, base.peak_mb
    lib = measure(_LIBRARY.format(out=out, workflow=str(workflow) if workflow else None),
                  setup=_SETUP.format(log=str(log)), timeout=7200)
    row["report_s"], row["report_mb"] = lib.seconds, lib.peak_mb
    row["stages"] = lib.result["seconds"]
    row["sections"] = lib.result["sections"]
    if pm4py:
        try:
            ref = measure(_PM4PY.format(log=str(log)), timeout=7200)
            row["pm4py_s"], row["pm4py_mb"], row["pm4py"] = ref.seconds, ref.peak_mb, ref.result
        except Exception as e:  # reported, not fatal
            row["pm4py_note"] = str(e).strip().splitlines()[-1][:200]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", default="road,sample", help="comma-separated: road, sample")
    parser.add_argument("--skip-pm4py", action="store_true", help="skip the pm4py reference")
    args = parser.parse_args()
    print(f"# procmine report benchmark\n\n{machine()}\n")
    for name in args.logs.split(","):
        row = run(name.strip(), pm4py=not args.skip_pm4py)
        if "note" in row:
            print(f"{name}: {row['note']}\n")
            continue
        print(f"## {name}: {row['path']} ({row['events']:,} events)"
              + (f", workflow {row['workflow']}" if row["workflow"] else ""))
        print(f"- procmine report (whole command, read included): {row['cli_s']:.1f} s, "
              f"peak {row['cli_mb']:.0f} MB, HTML {row['html_bytes'] / 1024:.0f} KiB")
        print(f"- read_log alone: {row['read_s']:.1f} s, peak {row['read_mb']:.0f} MB")
        print(f"- write_report on the loaded log: {row['report_s']:.1f} s, "
              f"peak {row['report_mb']:.0f} MB (process, log included)")
        print("- stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in row["stages"].items()))
        print(f"- sections with content: {', '.join(row['sections'])}")
        if "pm4py_s" in row:
            print(f"- plain pm4py, its part of the numbers (read included): {row['pm4py_s']:.1f} s, "
                  f"peak {row['pm4py_mb']:.0f} MB; pm4py time / whole report time: "
                  f"{ratio(row['pm4py_s'], row['cli_s'])}; pm4py {json.dumps(row['pm4py'])}")
        elif "pm4py_note" in row:
            print(f"- plain pm4py failed: {row['pm4py_note']}")
        print()


if __name__ == "__main__":
    main()
