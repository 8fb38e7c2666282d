"""Personal data in text: the patterns procmine looks for, and masking inside a value.

A documented heuristic, tuned for mainland-China dispatch logs and kept on the
side of finding too much:

- **phone numbers**: mobile numbers ``1[3-9]`` + 9 digits, plain or written with
  spaces or dashes (``138-1234-5678``, ``138 1234 5678``), with or without
  ``+86``/``0086``/``86``; landlines with an area code and a separator
  (``021-12345678``, ``(021) 1234 5678``);
- **ID numbers**: 18 characters (17 digits and a digit or X) and the old
  15-digit form whose digits 7-12 are a date (YYMMDD);
- **e-mail addresses**;
- **street addresses**: a road, street, lane or alley followed by a number
  (``南京路100号``, ``长乐路25弄``, ``3弄12号``, ``5号楼301室``, ``12 Main Street``).

Digits that are part of a longer number never match, so work-order numbers and
times are left alone. Masks name what was there: ``[电话]``, ``[证件号]``,
``[邮箱]``, ``[地址]`` in a value with Chinese characters, ``[phone]``, ``[id]``,
``[email]``, ``[address]`` otherwise.

>>> mask_pii("回访13812345678")
'回访[电话]'
>>> mask_pii("call +86 139 1234 5678 or a@b.cn")
'call [phone] or [email]'
>>> find_pii("长乐路25弄3号 门口")
'street addresses'
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")

# (what, pattern, Chinese mask, English mask); the order matters: longer forms first
PATTERNS: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    ("e-mail addresses", re.compile(
        r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[邮箱]", "[email]"),
    ("ID numbers", re.compile(
        r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"
        r"(?![\dA-Za-z])"), "[证件号]", "[id]"),
    ("mobile numbers", re.compile(
        r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"), "[电话]", "[phone]"),
    ("phone numbers", re.compile(
        r"(?<!\d)(?:\(0\d{2,3}\)\s?|0\d{2,3}[\s-])\d{3,4}[\s-]?\d{4}(?!\d)"), "[电话]", "[phone]"),
    ("street addresses", re.compile(
        r"[\u4e00-\u9fff]{0,8}(?:路|街|大道|巷|弄|胡同|里|村|小区)\s*\d+\s*(?:号|弄|栋|幢|室)"
        r"(?:\s*\d+\s*(?:号楼|号|栋|幢|单元|室))*"
        r"|(?<!\d)\d+\s*(?:号楼|栋|幢)\s*\d+\s*(?:单元|室)(?:\s*\d+\s*室)?"
        r"|\b\d+\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd)\b"),
     "[地址]", "[address]"),
)


def find_pii(text: str) -> str | None:
    """What kind of personal data ``text`` holds (the first found), or None.

    >>> find_pii("办结"), find_pii("请联系13812345678")
    (None, 'mobile numbers')
    """
    for what, pattern, _, _ in PATTERNS:
        if pattern.search(text):
            return what
    return None


def mask_pii(text: str) -> str:
    """``text`` with every phone number, ID number, e-mail and street address replaced
    by a mask that names it (Chinese masks in a value with Chinese characters)."""
    chinese = bool(_CJK.search(text))
    for _, pattern, zh, en in PATTERNS:
        text = pattern.sub(zh if chinese else en, text)
    return text
