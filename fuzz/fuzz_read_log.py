"""Coverage-guided fuzzing of read_log with atheris (manual run, not part of the test suite).

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_read_log.py -atheris_runs=20000

Every input is written as a .csv, .xes and .csv.gz file in turn; read_log must
load it or raise ProcmineError. Any other exception is a crash atheris reports.
"""

from __future__ import annotations

import collections
import gzip
import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from procmine.errors import ProcmineError
    from procmine.read import read_log

FOLDER = tempfile.mkdtemp(prefix="procmine-fuzz-")
OUTCOMES: collections.Counter = collections.Counter()


def one_input(data: bytes) -> None:
    for suffix, payload in ((".csv", data), (".xes", data), (".csv.gz", gzip.compress(data))):
        path = os.path.join(FOLDER, "input" + suffix)
        with open(path, "wb") as f:
            f.write(payload)
        try:
            read_log(path)
            OUTCOMES["loaded"] += 1
        except ProcmineError:
            OUTCOMES["clear error"] += 1


def main() -> None:
    import atexit

    atexit.register(lambda: print(f"outcomes: {dict(OUTCOMES)}", file=sys.stderr))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
