"""Input procmine does not trust, and outputs that must never be half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from procmine.cli import cli
from procmine.errors import InputError, OutputError
from procmine.io import read_log
from procmine.output import atomic_write, csv_text, write_csv
from procmine.xmlsafe import parse_xml

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<log xes.version="1.0"><trace><string key="concept:name" value="1"/>
<event><string key="concept:name" value="&lol9;"/>
<date key="time:timestamp" value="2024-01-01T00:00:00+08:00"/></event></trace></log>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE log [<!ENTITY secret SYSTEM "file://{secret}">]>
<log xes.version="1.0"><trace><string key="concept:name" value="1"/>
<event><string key="concept:name" value="&secret;"/>
<date key="time:timestamp" value="2024-01-01T00:00:00+08:00"/></event></trace></log>
"""


@pytest.mark.parametrize("suffix", [".xes", ".bpmn", ".pnml"])
def test_billion_laughs_is_refused_fast(tmp_path, suffix):
    path = tmp_path / f"bomb{suffix}"
    path.write_text(LAUGHS)
    start = time.perf_counter()
    with pytest.raises(InputError, match="DTD or entities"):
        if suffix == ".xes":
            read_log(path)
        else:
            parse_xml(str(path))
    assert time.perf_counter() - start < 1.0  # a bomb that expanded would take far longer


def test_xxe_never_reads_the_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    path = tmp_path / "xxe.xes"
    path.write_text(XXE.format(secret=secret))
    result = CliRunner().invoke(cli, ["info", str(path), "--json"])
    assert result.exit_code == 2
    assert "TOP-SECRET-CONTENT" not in result.output
    assert "DTD or entities" in result.stderr


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    for error in (RuntimeError("disk full"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with atomic_write(target) as f:
                f.write("half of the new content")
                raise error
        assert target.read_text() == "old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_output_equal_to_input_is_refused(tmp_path):
    src = tmp_path / "log.csv"
    src.write_text("x")
    with pytest.raises(OutputError, match="overwrite the input"):
        write_csv([{"a": 1}], src, inputs=[str(src)])
    assert src.read_text() == "x"


def test_csv_outputs_neutralise_formulas():
    text = csv_text([{"note": "=HYPERLINK(\"http://x\")"}, {"note": "+86 138"},
                     {"note": "@SUM(A1)"}, {"note": "-1+2"}, {"note": -3}, {"note": "normal"}])
    lines = text.splitlines()
    assert lines[1].startswith("\"'=HYPERLINK")
    assert lines[2] == "'+86 138"
    assert lines[3] == "'@SUM(A1)"
    assert lines[4] == "'-1+2"
    assert lines[5] == "-3"
    assert lines[6] == "normal"


def test_ctrl_c_exits_130_and_leaves_no_partial_output(tmp_path):
    """Interrupt a long anonymize run: exit 130, a short message, no output or temp file."""
    import numpy as np
    import pandas as pd

    n = 400_000
    rng = np.random.default_rng(0)
    pd.DataFrame({
        "case_id": rng.integers(0, 40_000, n).astype(str),
        "activity": rng.choice(["a", "b", "c"], n),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), "s"),
    }).to_csv(tmp_path / "big.csv", index=False)
    out = tmp_path / "out.parquet"
    env = {**os.environ, "PROCMINE_ANON_KEY": "k1-test-key-of-32-bytes-abcdefgh"}
    proc = subprocess.Popen([sys.executable, "-m", "procmine", "anonymize",
                             str(tmp_path / "big.csv"), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    names = sorted(p.name for p in tmp_path.iterdir())
    if proc.returncode == 0:  # the machine was fast enough to finish first: output complete
        assert "out.parquet" in names and pd.read_parquet(out).shape[0] == n
    else:
        assert proc.returncode == 130
        assert err.strip().splitlines()[-1] == "Error: interrupted"
        assert "Traceback" not in err
        assert names == ["big.csv"]
