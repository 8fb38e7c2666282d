"""Coverage-guided fuzzing of the hostile-input guards with atheris (manual run).

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_hostile.py -atheris_runs=20000

Each input goes to the XML pre-scan (plain and gzip), the YAML pre-scan and
workflow parser, and the personal-data masker. The guards must accept the input
or raise ProcmineError; the masker must leave no phone number it finds. Any other
exception is a crash atheris reports. tests/test_fuzz.py runs hypothesis
generators for the same kinds of input in CI.
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
    from procmine.pii import find_pii, mask_pii
    from procmine.workflow.spec import parse_workflow
    from procmine.xmlsafe import check_xml_file

FOLDER = tempfile.mkdtemp(prefix="procmine-fuzz-")
OUTCOMES: collections.Counter = collections.Counter()


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    depth = provider.ConsumeIntInRange(0, 6000)
    tail = provider.ConsumeBytes(len(data))
    xml = b"<log>" + b"<list>" * depth + tail + b"</list>" * depth + b"</log>"
    for suffix, payload in ((".xes", xml), (".xes.gz", gzip.compress(xml))):
        path = os.path.join(FOLDER, "input" + suffix)
        with open(path, "wb") as f:
            f.write(payload)
        try:
            check_xml_file(path)
            OUTCOMES["xml accepted"] += 1
        except ProcmineError:
            OUTCOMES["xml clear error"] += 1
    text = tail.decode("utf-8", "replace")
    try:
        parse_workflow(text)
        OUTCOMES["yaml accepted"] += 1
    except ProcmineError:
        OUTCOMES["yaml clear error"] += 1
    masked = mask_pii(text)
    if find_pii(masked) not in (None, "street addresses"):
        raise AssertionError(f"personal data left after masking: {masked!r}")


def main() -> None:
    import atexit

    atexit.register(lambda: print(f"outcomes: {dict(OUTCOMES)}", file=sys.stderr))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
