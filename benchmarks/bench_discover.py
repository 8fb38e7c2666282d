"""Benchmark: procmine discover + map against the plain pm4py calls, on a simulated log.

Times, in fresh processes of the same run (peak memory = each process's max RSS):

- procmine: ``read_log`` of the CSV, ``discover_map`` (counts and waiting-time
  statistics per path) drawn to DOT, and ``discover_model`` (inductive miner on
  the variant table, token-replay fitness, precision, generalization, simplicity);
- pm4py: ``pd.read_csv`` + ``pm4py.format_dataframe``, ``discover_dfg`` +
  ``discover_performance_dfg``, ``discover_petri_net_inductive``, then
  ``fitness_token_based_replay`` + ``precision_token_based_replay`` on the full
  DataFrame.

Both sides mine with the same noise threshold; the script checks that fitness
and precision come out identical and prints the ratio of the times. With
``--road`` it also times ``procmine map`` of the full road-traffic log.

    .venv/bin/python benchmarks/bench_discover.py [--events 1000000] [--noise 0.2] [--road]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import REAL, machine, measure, simulated_csv  # noqa: E402

_STEPS = """
import time
_steps = {}
def step(name, fn):
    t = time.perf_counter()
    out = fn()
    _steps[name] = round(time.perf_counter() - t, 3)
    return out
"""

OURS = """
from procmine.read import read_log
from procmine.discover import discover_map, discover_model
from procmine.render import render_map
log = step("read", lambda: read_log({path!r}))
pmap = step("map", lambda: discover_map(log))
dot = step("draw (DOT)", lambda: render_map(pmap).source)
found = step("discover + quality", lambda: discover_model(log, noise={noise}))
q = found.quality
result = {{"steps": _steps, "fitness": q.fitness, "precision": q.precision,
          "paths": pmap.paths_total, "variants": found.variants}}
"""

THEIRS = """
import pandas as pd, pm4py
df = step("read", lambda: pm4py.format_dataframe(pd.read_csv({path!r}), case_id="工单编号",
                                                 activity_key="环节", timestamp_key="时间"))
def _map():
    dfg, s, e = pm4py.discover_dfg(df)
    perf, _, _ = pm4py.discover_performance_dfg(df)
    return dfg
dfg = step("map", _map)
net, im, fm = step("discover", lambda: pm4py.discover_petri_net_inductive(df, noise_threshold={noise}))
fit = step("fitness", lambda: pm4py.fitness_token_based_replay(df, net, im, fm))
prec = step("precision", lambda: pm4py.precision_token_based_replay(df, net, im, fm))
result = {{"steps": _steps, "fitness": fit["log_fitness"], "precision": prec, "paths": len(dfg)}}
"""

ROAD = """
from procmine.read import read_log
from procmine.discover import discover_map
from procmine.render import render_map, write_graph
log = step("read", lambda: read_log({path!r}))
pmap = step("map", lambda: discover_map(log, metric="median-wait"))
step("draw SVG", lambda: write_graph(render_map(pmap), {out!r}))
result = {{"steps": _steps, "events": log.n_events, "paths": pmap.paths_total}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--road", action="store_true", help="also map the road-traffic log")
    args = parser.parse_args()

    path = simulated_csv(args.events)
    print(f"machine: {machine()}")
    print(f"log: {path.name} ({path.stat().st_size / 2**20:.0f} MiB)")
    ours = measure(OURS.format(path=str(path), noise=args.noise), setup=_STEPS)
    theirs = measure(THEIRS.format(path=str(path), noise=args.noise), setup=_STEPS)
    o, t = ours.result, theirs.result
    print(f"\n{'':24}{'procmine':>12}{'pm4py':>12}")
    for name in ("read", "map"):
        print(f"{name:24}{o['steps'][name]:>11.2f}s{t['steps'][name]:>11.2f}s")
    print(f"{'draw (DOT)':24}{o['steps']['draw (DOT)']:>11.2f}s{'':>12}")
    pm_model = t["steps"]["discover"] + t["steps"]["fitness"] + t["steps"]["precision"]
    print(f"{'discover + quality':24}{o['steps']['discover + quality']:>11.2f}s{pm_model:>11.2f}s"
          f"   (pm4py: discover {t['steps']['discover']:.2f}s, fitness "
          f"{t['steps']['fitness']:.2f}s, precision {t['steps']['precision']:.2f}s)")
    print(f"{'total':24}{ours.seconds:>11.2f}s{theirs.seconds:>11.2f}s"
          f"   ratio pm4py/procmine {theirs.seconds / ours.seconds:.1f}x")
    no_read_o = ours.seconds - o["steps"]["read"]
    no_read_t = theirs.seconds - t["steps"]["read"]
    print(f"{'total without reading':24}{no_read_o:>11.2f}s{no_read_t:>11.2f}s"
          f"   ratio {no_read_t / no_read_o:.1f}x")
    print(f"{'peak memory (max RSS)':24}{ours.peak_mb:>10.0f}MB{theirs.peak_mb:>10.0f}MB")
    same = (o["fitness"], o["precision"], o["paths"]) == (t["fitness"], t["precision"], t["paths"])
    print(f"\nvariants {o['variants']:,}; fitness {o['fitness']!r} / {t['fitness']!r}; precision "
          f"{o['precision']!r} / {t['precision']!r}; paths {o['paths']} / {t['paths']}: "
          f"{'identical' if same else 'DIFFERENT'}")

    road = REAL / "Road_Traffic_Fine_Management_Process.xes.gz"
    if args.road and road.exists():
        out = Path("/tmp") / "procmine-bench-road-map.svg"
        r = measure(ROAD.format(path=str(road), out=str(out)), setup=_STEPS)
        s = r.result["steps"]
        print(f"\nroad traffic ({r.result['events']:,} events): read {s['read']:.2f}s, "
              f"map {s['map']:.2f}s, SVG {s['draw SVG']:.2f}s, peak {r.peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
