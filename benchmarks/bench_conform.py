"""Benchmark: procmine.conform against plain pm4py on the same Petri net.

Two logs: a simulated dispatch log of about 1M events against logs/workflow.yaml,
and the full road-traffic-fine log against the inductive miner's model (written
once as PNML, read by both sides). Three measures, each computed by both sides in
fresh processes of the same run, values checked identical:

- alignment log fitness: ``pm4py.fitness_alignments`` vs ``check_conformance``
  (which also derives the deviations and the per-case table);
- token-replay precision: ``pm4py.precision_token_based_replay`` vs variants +
  ``token_precision``;
- token-replay log fitness: ``pm4py.fitness_token_based_replay`` vs
  ``check_conformance(method="tokens", precision=False)``.

With ``--sample``, also logs/sample.csv against logs/workflow.yaml; unless
``--skip-bpic``, the filtered BPIC 2015 municipality logs (BPIC15_1f, BPIC15_2f)
against the IMf 0.2 model procmine discovers (PNML, made once), with three more
measures:

- alignment fitness and average case fitness: ``pm4py.fitness_alignments`` vs
  ``check_conformance`` (both figures compared with ``==``);
- alignment precision: ``pm4py.precision_alignments`` vs
  ``procmine.conform.precision.alignment_precision``;
- what ``procmine discover --alignments`` measures: both of pm4py's calls vs
  ``measure_quality(..., alignments=True)`` (which also replays tokens for
  generalization and measures simplicity).

Time excludes reading the log (the same for both). Peak memory is the process's
max RSS (procmine's forked workers are not included).

    .venv/bin/python benchmarks/bench_conform.py [--events 1000000] [--skip-road] [--skip-sim]
        [--skip-bpic] [--sample]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import CACHE, REAL, ROOT, machine, measure, ratio, simulated_csv  # noqa: E402

ROAD = "Road_Traffic_Fine_Management_Process.xes.gz"
BPIC = ("BPIC15_1f.xes.gz", "BPIC15_2f.xes.gz")   # municipal building permits, filtered

_QUIET = """
from pm4py.util import constants as _c
_c.SHOW_PROGRESS_BAR = False
"""


def _setup(log_path: Path, model: str) -> str:
    return _QUIET + f"""
import pm4py
from procmine.read import read_log
from procmine.workflow import read_workflow
log = read_log({str(log_path)!r})
df = log.events
wf = read_workflow({model!r})
m = wf.petri_net()
net, im, fm = m.net, m.initial, m.final
"""


CODE = {
    ("alignments", "pm4py"): """
f = pm4py.fitness_alignments(df, net, im, fm)
result = [f['log_fitness'], f['average_trace_fitness']]
""",
    ("alignments", "procmine"): """
from procmine.conform import check_conformance
r = check_conformance(log, wf, precision=False)
result = [r.fitness, r.average_case_fitness]
""",
    ("alignment precision", "pm4py"): "result = pm4py.precision_alignments(df, net, im, fm)",
    ("alignment precision", "procmine"): """
from procmine.engines import as_engine
from procmine.conform.precision import alignment_precision
v = as_engine(log).variants()
result = alignment_precision(m, list(v.table['activities']), v.table['cases'].tolist())
""",
    ("discover quality (alignments)", "pm4py"): """
f = pm4py.fitness_alignments(df, net, im, fm)
result = [f['log_fitness'], f['average_trace_fitness'], pm4py.precision_alignments(df, net, im, fm)]
""",
    ("discover quality (alignments)", "procmine"): """
from procmine.discover import measure_quality
from procmine.discover.models import Model
q = measure_quality(log, Model("inductive", net, im, fm), alignments=True)
result = [q.fitness, q.mean_case_fitness, q.precision]
""",
    ("precision", "pm4py"): "result = pm4py.precision_token_based_replay(df, net, im, fm)",
    ("precision", "procmine"): """
from procmine.abstractions import variants
from procmine.conform import token_precision
v = variants(log)
result = token_precision(m, list(v.table['activities']), v.table['cases'].to_numpy())
""",
    ("token fitness", "pm4py"): "result = pm4py.fitness_token_based_replay(df, net, im, fm)['log_fitness']",
    ("token fitness", "procmine"): """
from procmine.conform import check_conformance
result = check_conformance(log, wf, method='tokens', precision=False).fitness
""",
}


def road_model(path: Path) -> Path:
    """The inductive miner's net of the full road-traffic log, as PNML (made once)."""
    out = CACHE / "road-inductive.pnml"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        measure(f"""
import pm4py
from procmine.read import read_log
log = read_log({str(path)!r})
net, im, fm = pm4py.discover_petri_net_inductive(log.events)
pm4py.write_pnml(net, im, fm, {str(out)!r})
""")
    return out


def discovered_model(path: Path, noise: float = 0.2) -> Path:
    """The inductive miner's net (IMf, ``noise``) of a log as procmine discovers it, as PNML
    (made once)."""
    out = CACHE / f"{path.name.split('.')[0]}-imf{noise:g}.pnml"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        measure(f"""
import pm4py
from procmine.io import read_log
from procmine.discover import discover_model
m = discover_model(read_log({str(path)!r}), noise={noise!r}, quality=False).model
pm4py.write_pnml(m.net, m.initial_marking, m.final_marking, {str(out)!r})
""")
    return out


def bench(name: str, log_path: Path, model: str, measures: list[str]) -> list[str]:
    rows = []
    setup = _setup(log_path, model)
    info = measure("result = [log.n_events, log.n_cases, __import__('procmine.abstractions', "
                   "fromlist=['variants']).variants(log).table.shape[0]]", setup=setup)
    events, cases, n_variants = info.result
    print(f"{name}: {events:,} events, {cases:,} cases, {n_variants:,} variants", flush=True)
    for what in measures:
        ref = measure(CODE[(what, "pm4py")], setup=setup)
        ours = measure(CODE[(what, "procmine")], setup=setup)
        same = "identical" if ref.result == ours.result else f"DIFFERENT ({ref.result!r})"
        rows.append(f"| {name} | {what} | {ref.seconds:.2f} s | {ours.seconds:.2f} s | "
                    f"{ratio(ref.seconds, ours.seconds)} | {ref.peak_mb:,.0f} MB | "
                    f"{ours.peak_mb:,.0f} MB | {ours.result!r} {same} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--skip-road", action="store_true")
    parser.add_argument("--skip-sim", action="store_true")
    parser.add_argument("--skip-bpic", action="store_true")
    parser.add_argument("--sample", action="store_true",
                        help="also logs/sample.csv against logs/workflow.yaml")
    parser.add_argument("--measures", default="alignments,precision,token fitness")
    parser.add_argument("--discovered-measures",
                        default="alignments,alignment precision,discover quality (alignments)")
    args = parser.parse_args()
    measures = [m.strip() for m in args.measures.split(",")]
    started = time.time()
    header = ["| log | measure | pm4py | procmine | ratio | pm4py peak | procmine peak | value |",
              "|---|---|---|---|---|---|---|---|"]
    rows: list[str] = []
    if not args.skip_sim:
        rows += bench(f"simulated {args.events:,}", simulated_csv(args.events),
                      str(ROOT / "logs" / "workflow.yaml"), measures)
    if args.sample:
        rows += bench("sample", ROOT / "logs" / "sample.csv", str(ROOT / "logs" / "workflow.yaml"),
                      measures + ["alignment precision"])
    for bpic in ([] if args.skip_bpic else BPIC):
        if (REAL / bpic).exists():
            rows += bench(f"{bpic.split('.')[0]} (IMf 0.2)", REAL / bpic,
                          str(discovered_model(REAL / bpic)),
                          [m.strip() for m in args.discovered_measures.split(",")])
    road = REAL / ROAD
    if not args.skip_road and road.exists():
        rows += bench("road traffic (full)", road, str(road_model(road)), measures)
    print()
    print(f"Machine: {machine()}; {time.strftime('%Y-%m-%d')}; total {time.time() - started:.0f} s")
    print("\n".join(header + rows))


if __name__ == "__main__":
    main()
