"""Where the time of one ``read_log`` of a CSV goes: wall and CPU seconds of each stage.

A stage timer (``time.perf_counter`` and ``time.process_time`` around the reader's
functions) in this process, after ``from procmine.read import read_log`` (untimed), on
the first read, as ``bench_io.py`` times it; ``--reads N`` times N reads in a row (the
later ones show the cost without first use). Nested stages are indented; a stage's
seconds include those of the stages under it. Run it on a quiet machine, or under
``chrt -r 1`` (benchmarks/RESULTS.md, session 9).

    .venv/bin/python benchmarks/read_stages.py /tmp/compute-1m.csv [--reads 2]
"""

from __future__ import annotations

import argparse
import functools
import time
from typing import Any

#: (module, function, depth) of the stages timed, in the order they run
STAGES = (
    ("procmine.read", "read_frame", 0),
    ("procmine.read.readers", "has_quotes", 1),   # in a thread (files below 256 MiB)
    ("procmine.read.readers", "sniff_delimiter", 1),
    ("procmine.read.readers", "_csv_header", 1),
    ("procmine.read.readers", "_note_offsets", 1),
    ("procmine.read.readers", "sampled_time_types", 1),
    ("procmine.read.readers", "_arrow_csv", 1),
    ("procmine.read.readers", "_check_fields", 1),
    ("procmine.read.readers", "table_frame", 1),
    ("procmine.read.readers", "_file_rows", 1),
    ("procmine.read", "_mapped", 0),
    ("procmine.read", "canonical_events", 0),
    ("procmine.read.canonical", "per_value", 1),
    ("procmine.read.canonical", "parse_timestamps", 1),
    ("procmine.read.canonical", "_optional_times", 1),
    ("procmine.read.canonical", "_trim_text", 1),
    ("procmine.read.canonical", "sorted_events", 1),
    ("procmine.read", "name_levels", 0),
    ("procmine.read", "appearance_codes", 0),
    ("procmine.read", "sorted_codes", 0),
)


def timed(seconds: dict[str, list[float]]) -> None:
    """Wrap each stage of :data:`STAGES` so that its seconds add up in ``seconds``."""
    import importlib

    for module_name, name, depth in STAGES:
        module = importlib.import_module(module_name)
        label = "  " * depth + name
        seconds[label] = [0.0, 0.0]
        setattr(module, name, _timer(getattr(module, name), seconds[label]))


def _timer(function: Any, total: list[float]) -> Any:
    """``function``, adding its wall and CPU seconds to ``total`` at each call."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - wall
            total[1] += time.process_time() - cpu

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--reads", type=int, default=1)
    args = parser.parse_args()
    from procmine.read import read_log

    seconds: dict[str, list[float]] = {}
    timed(seconds)
    for n in range(args.reads):
        for value in seconds.values():
            value[:] = [0.0, 0.0]
        wall, cpu = time.perf_counter(), time.process_time()
        log = read_log(args.csv)
        counted = time.perf_counter()
        result = [log.n_events, log.n_cases]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"read {n + 1}: {wall:.3f} s wall, {cpu:.3f} CPU s ({result[0]:,} events; "
              f"n_events and n_cases {time.perf_counter() - counted:.4f} s)")
        for label, (stage_wall, stage_cpu) in seconds.items():
            print(f"  {label:<28} {stage_wall:7.3f} {stage_cpu:7.3f}")


if __name__ == "__main__":
    main()
