"""Shared helpers of the benchmark scripts: timing in fresh processes, peak memory, test logs.

Each measurement runs in its own Python process, so peak memory (max RSS) is the
stage's own and imports done by one side do not favour the other. Ratios are
always measured in the same run on the same machine.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "cache"
REAL = Path(os.environ.get("PROCMINE_REAL_DATA", ROOT.parent / "shared" / "data" / "real"))

_RUNNER = """
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
{setup}
_t0, _c0 = time.perf_counter(), time.process_time()
{code}
_elapsed, _cpu = time.perf_counter() - _t0, time.process_time() - _c0
try:  # VmHWM is this process's own peak; ru_maxrss may carry a parent's across fork/exec
    _peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
except (OSError, StopIteration):
    _peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("@@" + json.dumps({{"seconds": _elapsed, "peak_mb": _peak, "cpu": _cpu,
                         "result": globals().get("result")}}, default=str))
"""


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_mb: float
    result: object = None
    cpu: float | None = None   #: CPU seconds of the process (all threads) for the code


def measure(code: str, *, setup: str = "", timeout: float = 3600) -> Measure:
    """Run ``setup`` then time ``code`` in a fresh interpreter; ``result`` may be set by code."""
    script = _RUNNER.format(setup=textwrap.dedent(setup), code=textwrap.dedent(code))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("@@")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    data = json.loads(line[2:])
    return Measure(data["seconds"], data["peak_mb"], data.get("result"), data.get("cpu"))


def machine() -> str:
    cores = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    return f"{platform.machine()}, {cores} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def simulated_csv(events: int, *, seed: int = 7, suffix: str = ".csv") -> Path:
    """A simulated dispatch log of about ``events`` events, generated once and cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"sim-{events}-{seed}-d{suffix}"  # -d: cases per day grow with size
    if path.exists():
        return path
    from procmine.simulate import simulate_log

    # about 12 events per case in the default model; grow until the target is reached
    cases = max(100, events // 12)
    # enough cases a day that even big logs stay within the years the holiday calendar knows
    per_day = max(60.0, cases / 600)
    result = simulate_log(cases=cases, seed=seed, cases_per_day=per_day)
    frame = result.events
    while len(frame) < events:
        cases = int(cases * events / max(len(frame), 1) * 1.02) + 1
        result = simulate_log(cases=cases, seed=seed, cases_per_day=max(60.0, cases / 600))
        frame = result.events
    tmp = path.with_suffix(path.suffix + ".part")
    if suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:.1f}x" if fast > 0 else "–"


def load_line() -> str:
    """The machine's load average now, for the end of a results table."""
    return f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}"
