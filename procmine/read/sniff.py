"""Which format a log file is in, its text encoding and CSV delimiter, and its first bytes.

>>> detect_format("orders.csv.gz"), detect_format("log.xes")
('csv', 'xes')
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Callable

from procmine.errors import InputError
from procmine.limits import check_expansion

#: File name endings -> format, longest first when matching.
EXT_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".csv.gz": "csv", ".tsv.gz": "csv",
    ".txt.gz": "csv", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".xes": "xes",
    ".xes.gz": "xes", ".parquet": "parquet", ".pq": "parquet",
}


def detect_format(path: str | os.PathLike) -> str:
    """The format of a log file: 'csv', 'excel', 'xes' or 'parquet'.

    By extension first, then by the first bytes of the file.

    >>> detect_format("orders.csv.gz"), detect_format("log.xes")
    ('csv', 'xes')
    """
    name = str(path).lower()
    for ext in sorted(EXT_FORMATS, key=len, reverse=True):
        if name.endswith(ext):
            return EXT_FORMATS[ext]
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return "unknown"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as f:
                head = f.read(4096)
        except (OSError, EOFError, zlib.error):
            return "unknown"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return "xes"
    if b"\x00" not in head and head:
        return "csv"
    return "unknown"


def file_kind(path: str) -> str | None:
    """'csv', 'csv.gz' or 'parquet' for the files DuckDB and Spark read, else None.

    >>> file_kind("orders.csv.gz"), file_kind("log.xes")
    ('csv.gz', None)
    """
    name = path.lower()
    fmt = detect_format(path)
    if fmt == "parquet":
        return "parquet"
    if fmt == "csv":
        return "csv.gz" if name.endswith(".gz") else "csv"
    return None


def open_bytes(path: str, n: int) -> bytes:
    """The first ``n`` bytes of a file, decompressed when it is gzip.

    >>> open_bytes("tests/fixtures/orders16.csv", 6).decode()
    '工单'
    """
    with open(path, "rb") as f:
        head = f.read(2)
    try:
        if head == b"\x1f\x8b":
            with gzip.open(path, "rb") as f:
                return f.read(n)
        with open(path, "rb") as f:
            return f.read(n)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: not a readable gzip file ({e})",
                         hint="check that the download is complete") from None


def is_gzip(path: str) -> bool:
    """True when the file starts with the gzip magic bytes."""
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def check_gzip_expansion(path: str) -> None:
    """Decompress a gzip file once, in bounded memory, refusing it as soon as it passes the
    decompression limits (:func:`procmine.limits.check_expansion`): a bomb stops early,
    before any reader builds a table from it."""
    on_disk, expanded = os.path.getsize(path), 0
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(1 << 22):
                expanded += len(chunk)
                check_expansion(path, expanded, on_disk)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: not a readable gzip file ({e})",
                         hint="check that the download is complete") from None


def detect_encoding(sample: bytes) -> str:
    """Guess the text encoding of a CSV sample: UTF-8 (with or without BOM), GB18030 or Latin-1.

    GB18030 accepts almost any byte string, so it is chosen only when the decoded
    non-ASCII text is mostly Chinese; otherwise Latin-1 (which never fails).

    >>> detect_encoding("工单编号,环节".encode("gb18030"))
    'gb18030'
    >>> detect_encoding("Café,Zürich".encode("latin-1"))
    'latin-1'
    >>> detect_encoding("Sécurité sociale".encode("latin-1"))
    'latin-1'
    >>> detect_encoding("工单编号,环节,时间,A1,上报,2024-03-05 09:00".encode("utf-16-le"))
    'utf-16-le'
    """
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):     # Excel's "Unicode text"
        return "utf-16"
    # UTF-16 without its mark: ASCII characters are a byte and a NUL (text has no NULs)
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) > len(sample) // 8 and min(even, odd) < max(even, odd) // 10:
        return "utf-16-le" if odd > even else "utf-16-be"
    if mostly_text(sample, "utf-8"):
        return "utf-8"
    # GB2312/GBK Chinese text is pairs of bytes >= 0xA1; Latin-1 accents are single
    # high bytes, mostly followed by ASCII letters.
    pairs = re.findall(rb"[\x81-\xfe][\x40-\xfe]", sample)
    if pairs:
        chinese = sum(1 for p in pairs if p[1] >= 0xA1)
        if chinese / len(pairs) > 0.9 and mostly_text(sample, "gb18030"):
            return "gb18030"
    return "latin-1"


#: The least characters beyond ASCII per run of bad bytes for a sample to be read as
#: UTF-8 with a few damaged values (the values with U+FFFD, said). Random or Latin-1 bytes
#: seldom make a valid UTF-8 character (an accent is one high byte before ASCII, a
#: GBK pair a valid one about once in seven), so two are enough.
UTF8_GOOD_PER_BAD = 2
#: The same for any other encoding (GB18030 decodes almost any pair of high bytes): twenty.
GOOD_PER_BAD = 20
#: The bytes the readers take from the start of a file to choose its encoding
SAMPLED_BYTES = 1 << 20


def mostly_text(sample: bytes, encoding: str) -> bool:
    """Whether ``sample``, the start of a file, is text of ``encoding`` but for a few
    damaged values: its runs of bad bytes are at most one per :data:`UTF8_GOOD_PER_BAD`
    (UTF-8) or :data:`GOOD_PER_BAD` of its characters beyond ASCII (a character cut at
    the end of the sample is no damage). Such a file is read with U+FFFD in place of
    those bytes (``procmine.read.readers``); another is not of that encoding.

    >>> good = "派遣,上报".encode() * 100
    >>> mostly_text(good + bytes([0xFF]) + good, "utf-8"), mostly_text("Café".encode("latin-1"), "utf-8")
    (True, False)
    """
    from procmine.read.transcode import bad_runs

    # a sample shorter than the samples taken is the whole file: its end is no cut
    try:
        text, bad = bad_runs(sample, encoding, final=len(sample) < SAMPLED_BYTES)
    except UnicodeError:      # not even a start of it (UTF-32 without its byte-order mark)
        return False
    if not bad:
        return True
    wide = len(text) - len(text.encode("ascii", "ignore")) - bad     # beyond ASCII, in C
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
    return wide >= bad * (UTF8_GOOD_PER_BAD if utf8 else GOOD_PER_BAD)


def sniff_delimiter(text: str) -> str:
    """The delimiter of CSV text: the one of ``, ; tab |`` most often on the first line and
    as often on the lines after it.

    >>> sniff_delimiter("a;b;c\\n1;2;3\\n")
    ';'
    """
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines]
        if counts[0] == 0:
            continue
        consistent = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = counts[0] * consistent
        if score > best_score:
            best, best_score = delim, score
    return best


def header_names(path: str) -> list[str]:
    """The column names of a CSV (its first line) or a Parquet file (its schema), read
    cheaply; ``[]`` for another format or a file that cannot be read (the reader says why,
    later). Used to choose the output language before the log is read
    (:func:`procmine.i18n.guess_from_headers`).

    >>> header_names("tests/fixtures/orders16.csv")[:2]
    ['工单编号', '环节']
    """
    import csv

    try:
        fmt = detect_format(path)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return [str(n) for n in pq.read_schema(path).names]
        if fmt != "csv":
            return []
        sample = open_bytes(path, 1 << 16)
        text = sample.decode(detect_encoding(sample), errors="replace").lstrip("\ufeff")
        first = text.splitlines()[0] if text.strip() else ""
        return next(csv.reader([first], delimiter=sniff_delimiter(text)), [])
    except Exception:   # noqa: BLE001 - a guess only: the reader reports what is wrong
        return []


def has_quotes(path: str) -> bool:
    """Whether a CSV file may hold a quote (and so a line break within a value): Arrow
    splits a file without quotes at every line break, which is faster. A byte 0x22 is a
    quote in UTF-8, GB18030 and Latin-1 alike; a gzip file is not looked into. Read a MB
    at a time into one buffer: less CPU than a map of the whole file (its page faults and
    its unmapping, 0.18 s against 0.10 s for a 657 MB file). A large file is read in two
    halves on two hands (:func:`~procmine.hands.each`): the copies from the page cache
    let go of Python's lock."""
    from procmine.hands import each

    if is_gzip(path):
        return True
    size = os.path.getsize(path)
    parts = [(0, size // 2), (size // 2, size)] if size > 1 << 24 else [(0, size)]
    found: list[bool] = []      # (a quote in one half: the other stops)
    return any(each(lambda part: _quote_in(path, *part, found), parts))


def _quote_in(path: str, start: int, stop: int, found: list[bool]) -> bool:
    """Whether bytes ``start`` to ``stop`` of a file hold a quote (0x22)."""
    buffer = bytearray(1 << 20)
    with open(path, "rb", buffering=0) as f:
        f.seek(start)
        while start < stop and not found:
            n = f.readinto(memoryview(buffer)[:min(len(buffer), stop - start)])
            if not n:
                break
            if buffer.find(b'"', 0, n) >= 0:
                found.append(True)
                return True
            start += n
    return False


def quotes_later(path: str) -> Callable[[], bool]:
    """:func:`has_quotes` of ``path`` looked for in a thread while the caller goes on (the
    reads release the GIL); the function returned waits for the answer, or raises what
    the scan raised."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="procmine-quotes")
    answer = pool.submit(has_quotes, path)
    pool.shutdown(wait=False)     # (not ``with``: its exit would wait for the scan here)
    return answer.result
