"""Benchmark: procmine.loops.find_loops, accuracy against the simulator's truth and speed.

1. Accuracy: precision and recall of every pattern against the truth file of
   simulated logs, over 5 seeds x 3 rate settings (half, default and 2.5x the
   simulator's default pattern rates).
2. Speed at about 1M events (a simulated log): find_loops with every pattern,
   with the cn working calendar and in clock time, against pm4py's
   get_rework_cases_per_activity on the same table (the one measure both compute;
   the results are checked equal). Each step runs in a fresh process; peak memory
   is the process's max RSS ("above log" subtracts a process that only builds the
   log, whose simulation peak usually hides the call's), plus the memory the call
   itself allocates (tracemalloc peak, in separate untimed runs).

    .venv/bin/python benchmarks/bench_loops.py [--cases 20000] [--events 1000000] [--skip-speed]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import machine, measure, ratio  # noqa: E402

from procmine.vocabulary import SIMULATED_PATTERNS  # noqa: E402

#: find_loops pattern -> simulator truth column
TRUTH = {pattern: pattern for pattern in SIMULATED_PATTERNS}
SEEDS = (1, 2, 3, 4, 5)
SETTINGS = {"half": 0.5, "default": 1.0, "2.5x": 2.5}


def accuracy(cases: int) -> list[dict]:
    from procmine.loops import find_loops
    from procmine.simulate import DEFAULT_RATES, simulate_log

    rows = []
    for setting, factor in SETTINGS.items():
        rates = {k: (v * factor if k in {*TRUTH.values()} else v) for k, v in DEFAULT_RATES.items()}
        for seed in SEEDS:
            try:
                sim = simulate_log(cases=cases, seed=seed, rates=rates)
            except ValueError as e:   # a simulator failure is reported, not hidden
                print(f"  simulate_log(cases={cases}, seed={seed}, rates x{factor}) failed: {e}")
                continue
            t0 = time.perf_counter()
            result = find_loops(sim.to_event_log(), calendar="cn")
            seconds = time.perf_counter() - t0
            truth = sim.truth.set_index("case_id")
            for pattern, column in TRUTH.items():
                expected = set(truth.index[truth[column] == 1])
                found = result.flagged(pattern)
                hits = len(found & expected)
                rows.append({"setting": setting, "seed": seed, "pattern": pattern,
                             "true": len(expected), "found": len(found),
                             "precision": hits / len(found) if found else 1.0,
                             "recall": hits / len(expected) if expected else 1.0,
                             "fp": sorted(found - expected)[:5], "fn": sorted(expected - found)[:5],
                             "seconds": seconds, "events": sim.n_events})
    return rows


_SETUP = """
import warnings
warnings.filterwarnings("ignore")
from procmine.simulate import simulate_log
sim = simulate_log(cases={cases}, seed=7)
log = sim.to_event_log()
df = log.events
"""


def speed(events: int) -> dict:
    cases = int(events / 11.5)
    setup = _SETUP.format(cases=cases)
    base = measure("result = [len(df), int(df['case:concept:name'].nunique())]", setup=setup)
    n_events, n_cases = base.result
    ours_cn = measure("from procmine.loops import find_loops\n"
                      "r = find_loops(log, calendar='cn')\n"
                      "result = r.rework_by_activity", setup=setup)
    ours_clock = measure("from procmine.loops import find_loops\n"
                         "r = find_loops(log, calendar=None)\n"
                         "result = r.rework_by_activity", setup=setup)
    only_rework = measure("from procmine.loops import find_loops\n"
                          "r = find_loops(log, patterns='rework', calendar=None)\n"
                          "result = r.rework_by_activity", setup=setup)
    pm4py = measure("result = pm4py.get_rework_cases_per_activity(df)",
                    setup=setup + "\nimport pm4py\n")
    # memory allocated by the call itself (tracemalloc; untimed runs)
    traced = "import tracemalloc\ntracemalloc.start()\n{call}\nresult = tracemalloc.get_traced_memory()[1] / 2**20"
    mem_ours = measure(traced.format(call="find_loops(log, calendar='cn')"),
                       setup=setup + "\nfrom procmine.loops import find_loops\n")
    mem_pm4py = measure(traced.format(call="pm4py.get_rework_cases_per_activity(df)"),
                        setup=setup + "\nimport pm4py\n")
    return {"events": n_events, "cases": n_cases, "base": base, "cn": ours_cn, "clock": ours_clock,
            "rework": only_rework, "pm4py": pm4py, "traced_ours": mem_ours.result,
            "traced_pm4py": mem_pm4py.result,
            "equal": ours_cn.result == pm4py.result == only_rework.result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000, help="cases per accuracy run")
    parser.add_argument("--events", type=int, default=1_000_000, help="events of the speed run")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    print(f"Machine: {machine()}")
    if not args.skip_accuracy:
        import pandas as pd

        rows = pd.DataFrame(accuracy(args.cases))
        print(f"\nAccuracy against the simulator's truth: {args.cases:,} cases a run, seeds "
              f"{', '.join(map(str, SEEDS))}; rate settings x{', x'.join(map(str, SETTINGS.values()))} "
              "of the default pattern rates")
        table = rows.groupby(["setting", "pattern"], sort=False).agg(
            true=("true", "sum"), found=("found", "sum"), min_precision=("precision", "min"),
            min_recall=("recall", "min"))
        print(table.to_string(float_format=lambda v: f"{v:.4f}"))
        worst = rows[(rows["precision"] < 1) | (rows["recall"] < 1)]
        for row in worst.itertuples(index=False):
            print(f"  {row.setting} seed {row.seed} {row.pattern}: false positives {row.fp}, "
                  f"missed {row.fn}")
        runs = rows.drop_duplicates(["setting", "seed"])
        print(f"find_loops per run: median {runs['seconds'].median():.2f} s "
              f"for a median {int(runs['events'].median()):,} events")
        print(f"Overall: min precision {rows['precision'].min():.4f}, "
              f"min recall {rows['recall'].min():.4f}")
    if not args.skip_speed:
        s = speed(args.events)
        print(f"\nSpeed on a simulated log of {s['events']:,} events, {s['cases']:,} cases "
              "(fresh process per step; peak = max RSS)")
        base = s["base"]
        for name, key in (("find_loops, all patterns, cn working calendar", "cn"),
                          ("find_loops, all patterns, clock time", "clock"),
                          ("find_loops, rework only, clock time", "rework"),
                          ("pm4py.get_rework_cases_per_activity", "pm4py")):
            m = s[key]
            print(f"  {name:48s} {m.seconds:6.2f} s   peak {m.peak_mb:6.0f} MB "
                  f"({m.peak_mb - base.peak_mb:+.0f} MB above the log)")
        print(f"  ratio pm4py rework / procmine rework-only: {ratio(s['pm4py'].seconds, s['rework'].seconds)}; "
              f"all eight patterns (cn) take {s['cn'].seconds / s['pm4py'].seconds:.1f}x pm4py's rework alone")
        print(f"  rework per activity equal to pm4py: {s['equal']}")
        print(f"  memory allocated by the call (tracemalloc peak): find_loops all patterns "
              f"{s['traced_ours']:.0f} MB; pm4py rework {s['traced_pm4py']:.0f} MB")


if __name__ == "__main__":
    main()
