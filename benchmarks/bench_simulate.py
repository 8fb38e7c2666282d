"""Benchmark: procmine.simulate at 1,000,000 events, and pm4py's play-out for comparison.

Every step runs in a fresh Python process (benchmarks/harness.py), so its peak
memory (max RSS) is its own:

- simulate_log with enough cases for ``--events`` events (default 1,000,000);
- writing that log as CSV, Parquet and XES (write_simulation, truth file included);
- at ``--baseline-events`` (default 100,000, pm4py is slow), pm4py.play_out of a
  Petri net discovered from logs/sample.csv (inductive miner, noise 0.2) against
  simulate_log at the same size. play_out generates control flow only (no units,
  levels, office hours, queues or deadlines), so the ratio flatters pm4py.

    .venv/bin/python benchmarks/bench_simulate.py [--events 1000000] [--baseline-events 100000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import machine, measure, ratio  # noqa: E402

#: events per case of the default model, measured on the sample (34,609 / 3,000)
EVENTS_PER_CASE = 11.5


def cases_for(events: int) -> int:
    return int(events / EVENTS_PER_CASE * 1.01) + 1


SETUP = """
import warnings
warnings.filterwarnings("ignore")
from procmine.simulate import simulate_log, write_simulation
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--baseline-events", type=int, default=100_000)
    parser.add_argument("--per-day", type=float, default=300.0,
                        help="cases a day (300 keeps 1M events inside the years chinese_calendar knows)")
    parser.add_argument("--out", default="/tmp/procmine-bench-simulate",
                        help="folder for the written files")
    args = parser.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    cases = cases_for(args.events)
    print(f"machine: {machine()}")
    sim = measure(f"r = simulate_log(cases={cases}, seed=1, cases_per_day={args.per_day})\n"
                  "result = [r.n_events, r.n_cases, list(r.notes)]", setup=SETUP)
    n_events, n_cases, notes = sim.result
    print(f"simulate_log: {n_events:,} events, {n_cases:,} cases: {sim.seconds:.2f} s, "
          f"peak {sim.peak_mb:.0f} MB" + (f" (notes: {notes})" if notes else ""))
    for suffix in (".csv", ".parquet", ".xes"):
        path = Path(args.out) / f"sim{suffix}"
        w = measure(f"write_simulation(r, {str(path)!r})\nresult = 0",
                    setup=SETUP + f"r = simulate_log(cases={cases}, seed=1, cases_per_day={args.per_day})\n")
        size = path.stat().st_size / 2**20
        print(f"write {suffix:<8}: {w.seconds:.2f} s, {size:.0f} MB, peak {w.peak_mb:.0f} MB")

    small = cases_for(args.baseline_events)
    ours = measure(f"r = simulate_log(cases={small}, seed=1)\nresult = r.n_events", setup=SETUP)
    baseline_setup = """
import warnings
warnings.filterwarnings("ignore")
import pm4py
from procmine.read import read_log
log = read_log("logs/sample.csv")
net, im, fm = pm4py.discover_petri_net_inductive(log.events, noise_threshold=0.2)
"""
    theirs = measure(f"""
traces = {small}
log = pm4py.play_out(net, im, fm, parameters={{"noTraces": traces}})
frame = pm4py.convert_to_dataframe(log)
result = len(frame)
""", setup=baseline_setup, timeout=7200)
    print(f"simulate_log: {ours.result:,} events in {ours.seconds:.2f} s, peak {ours.peak_mb:.0f} MB; "
          f"pm4py.play_out ({small:,} traces): {theirs.result:,} events in {theirs.seconds:.2f} s, "
          f"peak {theirs.peak_mb:.0f} MB")
    # play_out's traces are longer, so compare time per event
    print(f"time per event: procmine {ratio(theirs.seconds / theirs.result, ours.seconds / ours.result)} "
          "faster than pm4py.play_out")


if __name__ == "__main__":
    main()
