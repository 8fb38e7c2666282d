"""Input limits: how much procmine accepts from a file before it refuses it.

Every limit is checked before the expensive step (parsing, building a net,
exploring its states, reading a key), and a file over a limit is refused with
one clear error that names the file and the limit. docs/security.md lists them
all.

>>> MAX_XML_DEPTH
1000
"""

from __future__ import annotations

from typing import Any

MAX_XML_DEPTH = 1000
"""Deepest nesting of XML elements accepted in XES, BPMN and PNML files.

Real XES nests five or six levels; the Rust XES reader overflows its stack
(a segfault) at a few thousand nested ``<list>``/``<container>`` elements."""

MAX_WORKFLOW_STEPS = 500
"""Most distinct steps in a YAML workflow spec (a real closed loop has 10-50)."""

MAX_NET_TRANSITIONS = 1000
"""Most transitions in a Petri net from a workflow (YAML, BPMN or PNML); more would
make ``workflow check`` explore states for minutes."""

MAX_MARKING_TOKENS = 1000
"""Most tokens in one place of a PNML marking, or on one arc: a workflow net starts a case
with one token; billions of them make ``workflow check`` give up on its states and
``conform`` find no end, read the same way by both."""

MAX_STATE_CHECKS = 2_000_000
"""Most (marking, transition) checks when exploring a workflow's states; beyond
it the states are not listed and soundness is reported as not proven."""

MAX_YAML_DEPTH = 50
"""Deepest nesting of lists and mappings in a YAML file (a spec needs 4 or 5)."""

MAX_YAML_ALIASES = 1000
"""Most YAML aliases (``*name``) in one file; aliases of aliases can multiply what a
reader walks."""

MAX_DEADLINE_DAYS = 3653
"""Longest deadline in a workflow spec: 10 years (in days; hours are counted too)."""

MAX_KEY_FILE_BYTES = 4096
"""Most bytes read from a ``--key-file``; a larger file (or ``/dev/zero``) is refused."""

MIN_KEY_BYTES = 16
"""Shortest secret key accepted for pseudonymisation."""

MIN_KEY_DISTINCT = 8
"""Fewest distinct characters in a secret key (16 identical characters are refused)."""

# -- for the log reader (procmine.read) ----------------------------------------

MAX_COLUMNS = 10_000
"""Most columns in a CSV/Excel header (a dispatch log has 10-60)."""

MAX_FIELD_BYTES = 1 << 20
"""Largest single field (cell, attribute value) in any log format: 1 MiB."""

MAX_ROWS = 100_000_000
"""Most rows the in-memory (pandas) reader takes from a Parquet file, counted in its
metadata before reading (a few KiB of Parquet can declare billions of repeated values);
larger logs are read out of core with ``--engine duckdb`` or ``spark``."""

MAX_DECOMPRESSED_BYTES = 4 << 30
"""Most bytes a compressed input (.gz, .xlsx, Parquet read into memory) may expand to: 4 GiB."""

MAX_DECOMPRESSION_RATIO = 200
"""Most a compressed input may expand, as a multiple of its size on disk (checked once
it has expanded past :data:`RATIO_FLOOR_BYTES`; real logs expand 5-70 times)."""

RATIO_FLOOR_BYTES = 64 << 20
"""Below this many expanded bytes the ratio is not checked (small files compress well)."""


def check_expansion(name: str, expanded: int, compressed: int, *, on_disk: bool = False) -> None:
    """Raise InputError when ``expanded`` bytes from a ``compressed``-byte file pass
    :data:`MAX_DECOMPRESSED_BYTES` or :data:`MAX_DECOMPRESSION_RATIO` (``on_disk``: the
    ratio only, for a copy on disk that an engine reads out of core).

    >>> check_expansion("x.csv.gz", 300 << 20, 1 << 20)
    Traceback (most recent call last):
    ...
    procmine.errors.InputError: x.csv.gz: expands more than 200 times its size when decompressed (a limit, procmine.limits.MAX_DECOMPRESSION_RATIO; no option raises it: decompress the file yourself if you trust it)
    """
    from procmine.errors import InputError

    if expanded > MAX_DECOMPRESSED_BYTES and not on_disk:
        raise InputError(f"{name}: expands to more than {MAX_DECOMPRESSED_BYTES >> 30} GiB when "
                         "decompressed", hint="a limit, procmine.limits.MAX_DECOMPRESSED_BYTES; "
                         "no option raises it: decompress the file yourself if you trust it")
    if expanded > RATIO_FLOOR_BYTES and expanded > MAX_DECOMPRESSION_RATIO * max(compressed, 1):
        raise InputError(f"{name}: expands more than {MAX_DECOMPRESSION_RATIO} times its size "
                         "when decompressed", hint="a limit, procmine.limits.MAX_DECOMPRESSION_RATIO"
                         "; no option raises it: decompress the file yourself if you trust it")


def check_field_sizes(name: str, longest: dict[str, int]) -> None:
    """Raise InputError when a column's longest field (``longest``: column -> bytes)
    passes :data:`MAX_FIELD_BYTES`.

    >>> check_field_sizes("x.xes", {"concept:name": 2 << 20})
    Traceback (most recent call last):
    ...
    procmine.errors.InputError: x.xes: column 'concept:name' has a field of 2,097,152 bytes, more than 1 MiB (a limit (procmine.limits.MAX_FIELD_BYTES); no option raises it: in a CSV, check the quoting (an unclosed quote joins many rows))
    """
    from procmine.errors import InputError

    for column, size in longest.items():
        if size > MAX_FIELD_BYTES:
            raise InputError(f"{name}: column {column!r} has a field of {size:,} bytes, more "
                             f"than {MAX_FIELD_BYTES >> 20} MiB",
                             hint="a limit (procmine.limits.MAX_FIELD_BYTES); no option raises "
                                  "it: in a CSV, check the quoting (an unclosed quote joins many rows)")


def check_frame_fields(name: str, frame: Any) -> None:
    """:func:`check_field_sizes` on the text columns of a pandas frame (for the readers
    that build Python objects first: Excel, XES); values are measured in UTF-8 bytes."""
    import pandas as pd

    longest = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
            continue
        text = values[values.map(lambda v: isinstance(v, str), na_action="ignore")
                      .astype(object).fillna(False).astype(bool)]
        chars = text.str.len()
        if chars.empty or chars.max() * 4 <= MAX_FIELD_BYTES:   # at most 4 bytes a character
            continue
        top = text[chars > MAX_FIELD_BYTES // 4]
        longest[str(column)] = max(len(v.encode("utf-8", "surrogatepass")) for v in top)
    check_field_sizes(name, longest)
