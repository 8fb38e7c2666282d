"""Refuse XML that could expand entities, reach outside the file or nest too deep.

Event logs (XES) and models (BPMN, PNML) never need a DTD. A file that declares
one may carry an entity bomb ("billion laughs") or an external entity that reads
local files (XXE), so procmine refuses it before any parser sees it. The whole
file is scanned, in chunks (bounded memory), so a DTD after a long comment is
found too. XES elements that nest (``<list>``, ``<container>``) are counted as
well: the Rust XES reader overflows its stack on a few thousand nested ones, so
a file deeper than :data:`procmine.limits.MAX_XML_DEPTH` is refused first.

>>> check_xml_bytes(b'<?xml version="1.0"?><log/>', "ok.xes")
>>> check_xml_bytes(b'<!DOCTYPE x [<!ENTITY a "b">]><log/>', "bad.xes")
Traceback (most recent call last):
...
procmine.errors.InputError: bad.xes: the XML declares a DTD or entities, which procmine refuses for safety (remove the <!DOCTYPE ...> block)
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator

from procmine.errors import InputError
from procmine.limits import MAX_XML_DEPTH, check_expansion

_CHUNK = 1 << 20
_OVERLAP = 16  # longest pattern looked for, so one split across two chunks is still found
_DANGER = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_NESTING = re.compile(rb"<(?:list|container)\b")


def _dtd_error(name: str) -> InputError:
    return InputError(f"{name}: the XML declares a DTD or entities, which procmine refuses "
                      "for safety", hint="remove the <!DOCTYPE ...> block")


def check_xml_bytes(data: bytes, name: str) -> None:
    """Raise InputError when an XML document declares a DTD or entities, or nests
    deeper than :data:`~procmine.limits.MAX_XML_DEPTH` elements (all of ``data`` is read)."""
    if _DANGER.search(data):
        raise _dtd_error(name)
    check_xml_nesting([data], name)


def check_xml_nesting(chunks: Iterable[bytes], name: str, *, limit: int = MAX_XML_DEPTH) -> None:
    """Raise InputError when the XML in ``chunks`` nests more than ``limit`` elements deep.

    Streams through expat (which does not recurse), so memory stays bounded.

    >>> check_xml_nesting([b"<a>" * 5, b"</a>" * 5], "x.xes", limit=4)
    Traceback (most recent call last):
    ...
    procmine.errors.InputError: x.xes: the XML nests more than 4 elements deep (line 1), more than any event log or model needs (procmine refuses it before parsing, for safety)
    """
    import xml.parsers.expat as expat

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def start(_name: str, _attrs: dict) -> None:
        nonlocal depth
        depth += 1
        if depth > limit:
            raise InputError(f"{name}: the XML nests more than {limit:,} elements deep "
                             f"(line {parser.CurrentLineNumber}), more than any event log or "
                             "model needs", hint="procmine refuses it before parsing, for safety")

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as e:
        raise InputError(f"{name}: not well-formed XML ({expat.ErrorString(e.code)}, "
                         f"line {e.lineno}, column {e.offset + 1})",
                         hint="check that the file is complete and valid XML") from None


def file_chunks(path: str) -> Iterator[bytes]:
    """The bytes of a plain or gzip file, a chunk at a time (a gzip file is refused once it
    expands past the limits of :func:`procmine.limits.check_expansion`)."""
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
        gzipped = magic == b"\x1f\x8b"
        on_disk = os.path.getsize(path) if gzipped else 0
        expanded = 0
        with (gzip.open if gzipped else open)(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                if gzipped:
                    expanded += len(chunk)
                    check_expansion(path, expanded, on_disk)
                yield chunk
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: not a readable gzip file ({e})",
                         hint="check that the download is complete") from None


def check_xml_file(path: str, *, inspect: Callable[[bytes], None] | None = None) -> None:
    """Check a whole XML file (plain or gzip) before it is parsed: no DTD or entities
    anywhere, and no deeper nesting than :data:`~procmine.limits.MAX_XML_DEPTH`.

    One streaming pass looks for ``<!DOCTYPE``/``<!ENTITY``; a second, exact pass
    counts the nesting only when the file has elements that nest (``<list>``,
    ``<container>``), so ordinary logs are read once. ``inspect`` sees each window of
    bytes too (the XES reader looks at the dates on the way).
    """
    tail = last = b""
    nests = False
    root = None
    for chunk in file_chunks(path):
        window = tail + chunk
        if _DANGER.search(window):
            raise _dtd_error(path)
        nests = nests or bool(_NESTING.search(window))
        if inspect is not None:
            inspect(window)
        if root is None:
            found = _ROOT.search(window)
            root = found.group(1) if found else None
        tail = window[-_OVERLAP:]
        last = (last + chunk)[-_END_BYTES:]
    _check_closed(path, root, last)
    if nests:
        check_xml_nesting(file_chunks(path), path)


#: The bytes at the end of a document looked at for its root's closing tag
_END_BYTES = 1 << 12
#: The first element of a document (after its declaration, comments and instructions)
_ROOT = re.compile(rb"<(?![?!/])([A-Za-z_][\w:.-]*)")
#: How a whole document ends: its root closed, then only space, comments, instructions
_CLOSED = re.compile(rb"(?:</\s*([\w:.-]+)\s*>|<([\w:.-]+)[^<>]*/>)"
                     rb"\s*(?:<!--.*?-->\s*|<\?.*?\?>\s*)*\Z", re.S)


def _check_closed(path: str, root: bytes | None, tail: bytes) -> None:
    """Refuse a document that ends before its root element is closed: a file cut in a
    copy or a download, which a lenient reader reads up to the cut without a word (the
    Rust XES reader dropped the last trace of such a file)."""
    if root is None:
        return      # (no element at all: the parser says what is wrong)
    end = _CLOSED.search(tail)
    if end is None or (end.group(1) or end.group(2)) != root:
        name = root.decode("utf-8", "replace")
        raise InputError(f"{path}: the XML ends before its <{name}> element is closed: the "
                         "file is incomplete", hint="copy or download the file again (a .gz "
                                                    "file: gzip -t)")


check_xes = check_xml_file


def parse_xml(path: str):
    """Parse an XML file (BPMN, PNML) safely: no DTD, no entities, no network.

    Returns an ``xml.etree.ElementTree.Element``; raises InputError on bad XML.
    """
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    check_xml_file(path)
    check_xml_nesting(file_chunks(path), path)
    try:
        return SafeET.parse(path, forbid_dtd=True, forbid_entities=True,
                            forbid_external=True).getroot()
    except DefusedXmlException as e:
        raise InputError(f"{path}: unsafe XML refused ({type(e).__name__})") from None
    except SafeET.ParseError as e:
        raise InputError(f"{path}: not well-formed XML ({e})") from None
