"""A text file in UTF-8, with the bytes that are not of its encoding read as U+FFFD.

An export of a dispatch platform in GB18030 (or UTF-8) may hold a few bytes that
are not of its encoding: a value cut inside a character, a stray byte from a
copy. Such a byte is one value's damage, not the file's: the value is read with
the replacement character (�) in place of the bytes, its neighbours are read as
they are, and the reader says which values were so read (``procmine.read``).
The copy is made a few MiB at a time, and its bad bytes counted.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator

import numpy as np
import pandas as pd

from procmine.errors import InputError
from procmine.log import LoadReport

#: Bytes of the file read (and decoded) at a time
CHUNK_BYTES = 1 << 22
#: The replacement character a value holds where its bytes were not of the encoding
REPLACEMENT = "\ufffd"
def bad_runs(data: bytes, encoding: str, *, final: bool = True) -> tuple[str, int]:
    """``data`` decoded, and the number of runs of bytes that are not ``encoding`` (each
    read as one U+FFFD, as Python's ``replace`` reads them, in C: the replacement
    characters of the text less those ``data`` holds itself); ``final=False``: a
    character cut at the end is left out, not counted (``data`` is the start of a file).

    >>> bad_runs("工单".encode("gb18030") + b"\\x80," + "上报".encode("gb18030"), "gb18030")
    ('工单\ufffd,上报', 1)
    >>> bad_runs("上报".encode()[:-1], "utf-8", final=False)
    ('上', 0)
    """
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=final)
    return text, text.count(REPLACEMENT) - _held(data, _mark(encoding))


def _mark(encoding: str) -> bytes:
    """U+FFFD in ``encoding`` (empty where it has no such character: cp1252, Latin-1)."""
    return REPLACEMENT.encode(encoding, errors="ignore")


def _held(data: bytes, mark: bytes) -> int:
    """The replacement characters ``data`` holds itself (``mark``: U+FFFD's bytes)."""
    return data.count(mark) if mark else 0


def undecodable(path: str, encoding: str, why: object) -> InputError:
    """The error of a file that is not text of ``encoding`` (or of a name no encoding has)."""
    return InputError(f"{path}: cannot decode the file as {encoding} ({why})",
                      hint="try encoding='gb18030' (or utf-8, latin-1)")


def sample_text(path: str, sample: bytes, encoding: str) -> str:
    """The start of a file decoded, when it is text of ``encoding`` but for a few damaged
    values (:func:`~procmine.read.sniff.mostly_text`); else the error that the file is not
    ``encoding`` (an encoding given wrong, or a name that is no encoding): for the
    engines that hand the file to a reader of their own (DuckDB, Spark)."""
    from procmine.read.sniff import mostly_text

    try:
        if not mostly_text(sample, encoding):
            raise undecodable(path, encoding, f"bytes that are not {encoding}")
    except LookupError as e:
        raise undecodable(path, encoding, e) from None
    return sample.decode(encoding, errors="replace")


def to_utf8(path: str, encoding: str, out: str) -> int:
    """Write the text of ``path`` (``encoding``; gzip by its first bytes, as the readers
    tell it) to ``out`` in UTF-8, the bytes that are not ``encoding`` as U+FFFD; the
    number of such runs of bytes. A name that is no encoding raises LookupError; a
    broken gzip stream, an InputError."""
    runs = [0]
    with open(out, "wb") as sink:
        for text in _decoded(path, encoding, runs):
            sink.write(text.encode("utf-8"))
    return runs[0]


def count_bad_runs(path: str, encoding: str) -> int:
    """The runs of bytes of ``path`` that are not ``encoding`` (as :func:`to_utf8` counts
    them), for a reader that decodes the file itself and replaces them without a word
    (Spark)."""
    runs = [0]
    for _ in _decoded(path, encoding, runs):
        pass
    return runs[0]


def _decoded(path: str, encoding: str, runs: list[int]) -> Iterator[str]:
    """The text of ``path`` a few MiB at a time, the bytes that are not ``encoding`` as
    U+FFFD; ``runs[0]`` counts their runs (the file's own U+FFFD left out, exact across
    the chunks' boundaries)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    mark = _mark(encoding)
    tail = b""
    for chunk in _chunks(path):
        text = decoder.decode(chunk)
        # the file's own U+FFFD counted in the chunk of its last byte (with the bytes
        # before it that one cut between chunks)
        runs[0] += text.count(REPLACEMENT) - _held(tail + chunk, mark)
        tail = chunk[len(chunk) - len(mark) + 1:] if mark else b""
        yield text
    text = decoder.decode(b"", final=True)
    runs[0] += text.count(REPLACEMENT)
    yield text


def _chunks(path: str) -> Iterator[bytes]:
    """The file's bytes a few MiB at a time (gzip by its first bytes, a bomb refused
    before it fills the disk); a broken stream is an InputError (a failed write of a
    copy is not: it is the OSError it is)."""
    import zlib

    import pyarrow as pa

    from procmine.limits import check_expansion
    from procmine.read.sniff import is_gzip

    gzipped, expanded, size = is_gzip(path), 0, os.path.getsize(path)
    try:
        with pa.input_stream(path, compression="gzip" if gzipped else None) as raw:
            while chunk := raw.read(CHUNK_BYTES):
                expanded += len(chunk)
                if gzipped:
                    check_expansion(path, expanded, size, on_disk=True)
                yield chunk
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: cannot read the file: {str(e).splitlines()[0][:200]}",
                         hint="check that the file is whole (a .gz file: gzip -t)") from None


def mended_note(runs: int, encoding: str, *, unseen: bool = False) -> str:
    """What a reader says of the runs of bytes :func:`to_utf8` replaced (``unseen``: in
    no value it read)."""
    name = encoding.removesuffix("-sig")
    said = f"runs of bytes that are not {name} text, read as \ufffd: {runs:,}"
    return f"{said}, in the header or in columns not read" if unseen else said


def say_mended(frame: pd.DataFrame, report: LoadReport, encoding: str, runs: int) -> None:
    """Count, per column, the values read with U+FFFD for bytes not of ``encoding``."""
    found, shown = 0, encoding.removesuffix("-sig")
    for name in [c for c in frame.columns if c != "__row"]:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            bad = np.flatnonzero(column.cat.categories.astype(str).str.contains(REPLACEMENT))
            hit = np.isin(column.cat.codes.to_numpy(), bad)
        elif pd.api.types.is_string_dtype(column.dtype):
            hit = column.str.contains(REPLACEMENT, regex=False).to_numpy(dtype=bool,
                                                                          na_value=False)
        else:
            continue
        count = int(np.count_nonzero(hit))
        if count:
            found += count
            first = int(frame["__row"].to_numpy()[np.argmax(hit)])
            report.repaired[f"column {name}: values with bytes that are not {shown} text, "
                            f"read with \ufffd in their place (first at row {first:,})"] = count
    if not found:
        report.notes.append(mended_note(runs, encoding, unseen=True))
