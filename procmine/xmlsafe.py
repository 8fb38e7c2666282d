"""Refuse XML that could expand entities or reach outside the file.

Event logs (XES) and models (BPMN, PNML) never need a DTD. A file that declares
one may carry an entity bomb ("billion laughs") or an external entity that reads
local files (XXE), so procmine refuses it before any parser sees it.

>>> import io
>>> check_xml_bytes(b'<?xml version="1.0"?><log/>', "ok.xes")
>>> check_xml_bytes(b'<!DOCTYPE x [<!ENTITY a "b">]><log/>', "bad.xes")
Traceback (most recent call last):
...
procmine.errors.InputError: bad.xes: the XML declares a DTD or entities, which procmine refuses for safety (remove the <!DOCTYPE ...> block)
"""

from __future__ import annotations

import gzip
import re
import zlib

from procmine.errors import InputError

_PROLOG_END = re.compile(rb"<[A-Za-z_]")
_DANGER = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def check_xml_bytes(head: bytes, name: str) -> None:
    """Raise InputError when the prolog of an XML document declares a DTD or entities."""
    match = _PROLOG_END.search(head)
    prolog = head[: match.start()] if match else head
    if _DANGER.search(prolog):
        raise InputError(f"{name}: the XML declares a DTD or entities, which procmine refuses "
                         "for safety", hint="remove the <!DOCTYPE ...> block")


def check_xml_file(path: str) -> None:
    """Check the prolog of an XML file (plain or gzip) before it is parsed."""
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as f:
            head = f.read(1 << 16)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: not a readable gzip file ({e})",
                         hint="check that the download is complete") from None
    check_xml_bytes(head, path)


check_xes = check_xml_file


def parse_xml(path: str):
    """Parse an XML file (BPMN, PNML) safely: no DTD, no entities, no network.

    Returns an ``xml.etree.ElementTree.Element``; raises InputError on bad XML.
    """
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    check_xml_file(path)
    try:
        return SafeET.parse(path, forbid_dtd=True, forbid_entities=True,
                            forbid_external=True).getroot()
    except DefusedXmlException as e:
        raise InputError(f"{path}: unsafe XML refused ({type(e).__name__})") from None
    except SafeET.ParseError as e:
        raise InputError(f"{path}: not well-formed XML ({e})") from None
