"""Pseudonymise a log before it leaves the office: keyed hashes, PII columns dropped.

Case ids and units are replaced by HMAC-SHA256 pseudonyms under a secret key
(the same key gives the same pseudonyms across files, so logs can still be
joined; without the key they cannot be reversed or recomputed). Columns that
look like personal data — by their header (电话, 姓名, 地址, 身份证 ...) or by
their content (mainland mobile numbers, 18-digit ID numbers, e-mail addresses,
long free text) — are dropped unless kept on purpose. Activities, times, levels,
unit kinds, categories and sources stay, so every analysis gives the same
numbers on the anonymised log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from procmine.errors import ProcmineError, SpecError
from procmine.log import CASE, RESOURCE, EventLog

KEY_ENV = "PROCMINE_ANON_KEY"

_PII_HEADERS = re.compile(
    r"电话|手机|联系|姓名|名字|反映人|来电人|投诉人|市民|身份证|证件|地址|住址|门牌|位置描述|"
    r"描述|内容|诉求|备注|意见|说明|坐标|经度|纬度|"
    r"phone|mobile|tel\b|telephone|e-?mail|address|street_address|id_?card|passport|"
    r"\bname\b|full_?name|first_?name|last_?name|surname|contact|citizen|description|comment|"
    r"remark|note|text|content|latitude|longitude|\blat\b|\blon\b",
    re.IGNORECASE,
)
_PII_CONTENT = {
    "mobile numbers": re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
    "ID numbers": re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),
    "e-mail addresses": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "phone numbers": re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"),
}
_SAFE = {"concept:name", "time:timestamp", "start_timestamp", "org:level", "org:kind",
         "case:category", "case:source", "case:deadline", "lifecycle:transition"}


@dataclass(frozen=True)
class AnonymizeResult:
    """The anonymised events and what was done to each column."""

    events: pd.DataFrame
    pseudonymised: list[str]
    dropped: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    shifted: bool = False
    mapping: pd.DataFrame | None = None


def load_key(key_file: str | None = None) -> bytes:
    """The secret key: from ``key_file``, else the environment variable PROCMINE_ANON_KEY.

    There is no default key: a default would let anyone recompute the pseudonyms.
    """
    if key_file:
        try:
            with open(key_file, "rb") as f:
                key = f.read().strip()
        except OSError as e:
            raise SpecError(f"{key_file}: cannot read the key file ({e.strerror})") from None
    else:
        key = os.environ.get(KEY_ENV, "").encode()
    if not key:
        raise SpecError("no key for pseudonymisation",
                        hint=f"give --key-file FILE or set {KEY_ENV}; e.g. "
                             "`head -c 32 /dev/urandom | base64 > key.txt`")
    if len(key) < 16:
        raise SpecError("the key is shorter than 16 bytes", hint="use a longer random key")
    return key


def pseudonym(value: str, key: bytes, prefix: str) -> str:
    """The keyed pseudonym of one value.

    >>> pseudonym("GD001", b"k" * 16, "C-")
    'C-c3fa3275c07a7d11'
    """
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return prefix + digest[:16]


def _pseudonymise(values: pd.Series, key: bytes, prefix: str) -> tuple[pd.Series, pd.DataFrame]:
    codes, uniques = pd.factorize(values)
    names = np.array([pseudonym(str(u), key, prefix) for u in uniques] + [None], dtype=object)
    if len(set(names[:-1])) != len(uniques):  # pragma: no cover - 64-bit collision
        raise ProcmineError("two values got the same pseudonym", hint="use another key")
    out = pd.Series(names[codes], index=values.index, dtype="string")
    return out, pd.DataFrame({"original": uniques.astype(str), "pseudonym": names[:-1]})


def detect_pii(events: pd.DataFrame, *, sample: int = 5000) -> dict[str, str]:
    """Columns that look like personal data, with the reason for each.

    >>> detect_pii(pd.DataFrame({"联系电话": ["13812345678"], "环节": ["上报"]}))
    {'联系电话': 'header suggests personal data'}
    """
    found: dict[str, str] = {}
    for column in events.columns:
        if column in _SAFE or column in (CASE, RESOURCE):
            continue
        if _PII_HEADERS.search(str(column)):
            found[column] = "header suggests personal data"
            continue
        values = events[column].dropna()
        if values.empty or not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        head = values.astype(str).head(sample)
        for what, pattern in _PII_CONTENT.items():
            if head.str.contains(pattern).mean() > 0.01:
                found[column] = f"values contain {what}"
                break
        else:
            lengths = head.str.len()
            if lengths.mean() > 30 and head.nunique() > 0.5 * len(head):
                found[column] = "long free text"
    return found


def anonymize_log(
    log: EventLog,
    key: bytes,
    *,
    columns: Sequence[str] = (),
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
    pseudonymise_resources: bool = True,
    shift_days: int = 0,
    with_mapping: bool = False,
) -> AnonymizeResult:
    """Pseudonymise case ids, units and ``columns``; drop PII columns (and ``drop``).

    ``keep`` keeps a column that would be dropped. ``shift_days`` moves each case
    by its own whole number of weeks within ± that many days (derived from the
    key), which keeps every duration and weekday; public holidays no longer line
    up, so working-time figures may change slightly. ``with_mapping`` returns the
    original → pseudonym table (keep it as secret as the key).

    >>> from procmine.io import read_log
    >>> result = anonymize_log(read_log("logs/sample.csv"), b"0" * 32)
    >>> result.pseudonymised, result.dropped
    (['case:concept:name', 'org:resource'], {})
    """
    events = log.events.copy()
    unknown = [c for c in [*columns, *keep, *drop] if c not in events.columns]
    if unknown:
        raise SpecError(f"no column {unknown[0]!r} in the log",
                        hint=f"columns: {', '.join(map(str, events.columns))}")
    mappings = []
    done = []
    targets = [CASE, *([RESOURCE] if pseudonymise_resources and RESOURCE in events else []),
               *columns]
    for column in dict.fromkeys(targets):
        prefix = {CASE: "C-", RESOURCE: "U-"}.get(column, "P-")
        events[column], table = _pseudonymise(events[column], key, prefix)
        table.insert(0, "column", column)
        mappings.append(table)
        done.append(column)
    flagged = {c: r for c, r in detect_pii(events).items() if c not in keep and c not in done}
    flagged.update({c: "asked with --drop" for c in drop})
    events = events.drop(columns=list(flagged))
    if shift_days:
        weeks = max(shift_days // 7, 1)
        case_keys = pd.factorize(log.events[CASE])
        offsets = np.array([
            int.from_bytes(hmac.new(key, b"shift:" + str(c).encode(), hashlib.sha256).digest()[:4],
                           "big") % (2 * weeks + 1) - weeks
            for c in case_keys[1]
        ])
        delta = pd.to_timedelta(offsets[case_keys[0]] * 7, unit="D")
        for column in events.columns:
            if isinstance(events[column].dtype, pd.DatetimeTZDtype):
                events[column] = events[column] + delta
    return AnonymizeResult(
        events=events,
        pseudonymised=done,
        dropped=flagged,
        kept=[c for c in keep if c in events.columns],
        shifted=bool(shift_days),
        mapping=pd.concat(mappings, ignore_index=True) if with_mapping else None,
    )
