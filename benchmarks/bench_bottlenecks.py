"""Benchmark: procmine.bottlenecks.find_bottlenecks against pm4py's performance DFG.

Builds a synthetic dispatch log (default 1,000,000 events) in memory, then times
in the same run, on the same table:

- pm4py.discover_performance_dfg (clock time, per-edge statistics only);
- find_bottlenecks(working_time=False): waiting times, the transition table and
  the deadline analysis (the default --by transition);
- the same with the cn working calendar (the default), then --by unit (WIP),
  then every table (activities, units with WIP, levels, categories, months).

Peak memory is traced (tracemalloc) in a separate, untimed call of each.

    .venv/bin/python benchmarks/bench_bottlenecks.py [--events 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

STEPS = ["上报", "受理", "立案", "派遣", "签收", "处置", "反馈", "核查", "结案", "回访"]
EXTRA = ["退单", "改派", "延期申请", "催办"]


def synthetic_log(n_events: int, seed: int = 7):
    """A dispatch-like log: ~10 events a case, 200 units on 4 levels, 12 categories."""
    from procmine.log import EventLog

    rng = np.random.default_rng(seed)
    n_cases = n_events // 10
    lengths = rng.integers(7, 14, n_cases)
    lengths = (lengths * n_events / lengths.sum()).astype(np.int64).clip(2)
    lengths[-1] += n_events - lengths.sum()
    n = int(lengths.sum())
    case = np.repeat(np.arange(n_cases), lengths)
    pos = np.arange(n) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    vocab = np.array(STEPS + EXTRA, dtype=object)
    act_idx = np.where(rng.random(n) < 0.1, rng.integers(len(STEPS), len(vocab), n),
                       np.minimum(pos, len(STEPS) - 1))
    opened = pd.Timestamp("2023-01-01", tz="Asia/Shanghai").value + rng.integers(
        0, 730 * 86400, n_cases).astype(np.int64) * 10**9
    gaps = (rng.exponential(4 * 3600, n) * 1e9).astype(np.int64)
    gaps[pos == 0] = 0
    ts = np.repeat(opened, lengths) + np.cumsum(gaps) - np.repeat(
        np.cumsum(gaps)[np.cumsum(lengths) - lengths], lengths)
    units = np.array([f"单位{i:03d}" for i in range(200)], dtype=object)
    unit = units[rng.integers(0, 200, n)]
    levels = np.array(["网格", "居村", "街镇", "区"], dtype=object)
    categories = np.array([f"类别{i}" for i in range(12)], dtype=object)
    due = opened + rng.integers(2, 15, n_cases) * 86400 * 10**9
    events = pd.DataFrame({
        "case:concept:name": pd.Series(np.char.add("C", case.astype(str)), dtype=object),
        "concept:name": vocab[act_idx],
        "time:timestamp": pd.to_datetime(ts, utc=True).tz_convert("Asia/Shanghai"),
        "org:resource": unit,
        "org:level": levels[rng.integers(0, 4, n)],
        "case:category": np.repeat(categories[rng.integers(0, 12, n_cases)], lengths),
        "case:deadline": pd.to_datetime(np.repeat(due, lengths), utc=True).tz_convert(
            "Asia/Shanghai"),
    })
    return EventLog(events=events)


def best_of(repeat: int, func) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def peak_mib(func) -> float:
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import pm4py

    from procmine.bottlenecks import find_bottlenecks
    from procmine.calendar import WorkingCalendar

    log = synthetic_log(args.events)
    frame = log.events
    print(f"log: {log.n_events:,} events, {log.n_cases:,} cases, "
          f"{frame['org:resource'].nunique()} units")

    calendar = WorkingCalendar()

    def every_table(result):
        return (result.activities, result.units, result.levels, result.categories, result.months)

    runs = {
        "pm4py discover_performance_dfg (clock)": lambda: pm4py.discover_performance_dfg(frame),
        "find_bottlenecks --clock-time": lambda: find_bottlenecks(log, working_time=False),
        "find_bottlenecks --calendar cn": lambda: find_bottlenecks(log, calendar=calendar),
        "find_bottlenecks --calendar cn --by unit":
            lambda: find_bottlenecks(log, calendar=calendar, by="unit"),
        "find_bottlenecks --calendar cn, every table":
            lambda: every_table(find_bottlenecks(log, calendar=calendar)),
    }
    results = {}
    for name, func in runs.items():
        seconds = best_of(args.repeat, func)
        results[name] = seconds
        print(f"{name:46s} {seconds:7.2f} s  peak {peak_mib(func):7.0f} MiB (traced)")
    base = results["pm4py discover_performance_dfg (clock)"]
    for name, seconds in results.items():
        print(f"ratio {name:46s} {seconds / base:5.2f} x pm4py")

    # the clock-time edge means agree with pm4py on this log too
    perf, _, _ = pm4py.discover_performance_dfg(frame)
    ours = find_bottlenecks(log, working_time=False).transitions.set_index(["source", "target"])
    worst = max(abs(ours.loc[k, "mean"] - v["mean"]) for k, v in perf.items())
    print(f"edges: {len(perf):,}; largest |mean difference| against pm4py: {worst:.2e} s")


if __name__ == "__main__":
    main()
