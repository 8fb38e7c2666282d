"""Pseudonymise a log before it leaves the office: keyed hashes, PII columns dropped.

Case ids and units are replaced by HMAC-SHA256 pseudonyms under a secret key
(the same key gives the same pseudonyms across files, so logs can still be
joined; without the key they cannot be reversed or recomputed). Columns that
look like personal data — by their header (电话, 姓名, 地址, 身份证 ...) or by
their content (phone numbers, ID numbers, e-mail or street addresses in even one
row, see procmine.pii; long free text) — are dropped unless kept on purpose.
The columns an analysis needs (activity, unit, case id, category, source, level
...) and kept ones stay, with personal data masked inside the value
(``回访13812345678`` → ``回访[电话]``). Activities, times, levels, unit kinds,
categories and sources stay, so every analysis gives the same numbers on the
anonymised log (unless personal data had to be masked in them).
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

from procmine.errors import ProcmineError, SpecError, describe_columns
from procmine.limits import MAX_KEY_FILE_BYTES, MIN_KEY_BYTES, MIN_KEY_DISTINCT
from procmine.log import CASE, REQUIRED, RESOURCE, TIMESTAMP, EventLog
from procmine.pii import find_pii, mask_pii

KEY_ENV = "PROCMINE_ANON_KEY"

_PII_HEADERS = re.compile(
    r"电话|手机|联系|姓名|名字|反映人|来电人|投诉人|市民|身份证|证件|地址|住址|门牌|位置描述|"
    r"描述|内容|诉求|备注|意见|说明|坐标|经度|纬度|"
    r"phone|mobile|tel\b|telephone|e-?mail|address|street_address|id_?card|passport|"
    r"\bname\b|full_?name|first_?name|last_?name|surname|contact|citizen|description|comment|"
    r"remark|note|text|content|latitude|longitude|\blat\b|\blon\b",
    re.IGNORECASE,
)
_SAFE = {"concept:name", "time:timestamp", "start_timestamp", "org:level", "org:kind",
         "case:category", "case:source", "case:deadline", "lifecycle:transition"}


@dataclass(frozen=True)
class AnonymizeResult:
    """The anonymised events and what was done to each column."""

    events: pd.DataFrame
    pseudonymised: list[str]
    dropped: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    masked: dict[str, int] = field(default_factory=dict)
    dropped_values: dict[str, int] = field(default_factory=dict)
    shifted: bool = False
    mapping: pd.DataFrame | None = None


def load_key(key_file: str | None = None) -> bytes:
    """The secret key: from ``key_file``, else the environment variable PROCMINE_ANON_KEY.

    There is no default key: a default would let anyone recompute the pseudonyms.
    A key file over :data:`~procmine.limits.MAX_KEY_FILE_BYTES` (or ``/dev/zero``) is
    refused after reading that much, and so is a weak key (see :func:`check_key`).
    """
    if key_file:
        try:
            with open(key_file, "rb") as f:
                key = f.read(MAX_KEY_FILE_BYTES + 1)
        except OSError as e:
            raise SpecError(f"{key_file}: cannot read the key file ({e.strerror})") from None
        if len(key) > MAX_KEY_FILE_BYTES:
            raise SpecError(f"{key_file}: the key file is larger than {MAX_KEY_FILE_BYTES:,} "
                            "bytes, which no key needs", hint=_MAKE_KEY)
        key = key.strip()
    else:
        key = os.environ.get(KEY_ENV, "").encode()
    if not key:
        raise SpecError("no key for pseudonymisation",
                        hint=f"give key_file= or set {KEY_ENV}; " + _MAKE_KEY)
    check_key(key)
    return key


_MAKE_KEY = 'make one with `python -c "import secrets; print(secrets.token_hex(32))" > key.txt`'


def check_key(key: bytes) -> None:
    """Refuse a key that is short or has little variety (a guessable key lets anyone
    recompute the pseudonyms).

    >>> check_key(b"k" * 32)
    Traceback (most recent call last):
    ...
    procmine.errors.SpecError: the key has only 1 distinct characters (at least 8 needed): it is easy to guess (make one with `python -c "import secrets; print(secrets.token_hex(32))" > key.txt`)
    """
    if len(key) < MIN_KEY_BYTES:
        raise SpecError(f"the key is shorter than {MIN_KEY_BYTES} bytes", hint=_MAKE_KEY)
    distinct = len(set(key))
    if distinct < MIN_KEY_DISTINCT:
        raise SpecError(f"the key has only {distinct} distinct characters (at least "
                        f"{MIN_KEY_DISTINCT} needed): it is easy to guess", hint=_MAKE_KEY)


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

    Every text (and integer) column is scanned in full, so one phone number in a
    thousand rows is enough; the columns an analysis needs are not listed (their
    personal data is masked instead, see :func:`anonymize_log`).

    >>> detect_pii(pd.DataFrame({"联系电话": ["13812345678"], "环节": ["上报"]}))
    {'联系电话': 'header suggests personal data'}
    """
    return {column: reason for column, (reason, _) in _scan(events, sample=sample).items()
            if column not in _SAFE and column not in (CASE, RESOURCE)}


def _scan(events: pd.DataFrame, *, sample: int = 5000,
          skip: Sequence[str] = ()) -> dict[str, tuple[str, int]]:
    """Every column with personal data: (reason, number of values that hold it)."""
    found: dict[str, tuple[str, int]] = {}
    for column in events.columns:
        if column in skip:  # already pseudonymised: nothing personal is left in it
            continue
        values = events[column].dropna()
        header_pii = find_pii(str(column))
        if _PII_HEADERS.search(str(column)) or header_pii:
            reason = f"header contains {header_pii}" if header_pii else "header suggests personal data"
            found[column] = (reason, len(values))
            continue
        if values.empty or not _is_text_or_int(values.dtype):
            continue
        head = values.astype(str).head(sample)
        if head.str.len().mean() > 30 and head.nunique() > 0.5 * len(head):
            found[column] = ("long free text", len(values))  # dropped whatever it holds
            continue
        codes, uniques = pd.factorize(values)
        kinds = [find_pii(str(u)) for u in uniques]
        hit = np.array([k is not None for k in kinds] + [False])
        rows = int(hit[codes].sum())
        if rows:
            found[column] = (f"values contain {next(k for k in kinds if k)}", rows)
    return found


def _is_text_or_int(dtype) -> bool:
    return (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_integer_dtype(dtype))


def _mask_column(values: pd.Series) -> tuple[pd.Series, int]:
    """``values`` with personal data masked inside each text value, and how many changed."""
    codes, uniques = pd.factorize(values)
    masked = [mask_pii(str(u)) for u in uniques]
    changed = np.array([m != str(u) for m, u in zip(masked, uniques, strict=True)] + [False])
    if not changed.any():
        return values, 0
    table = np.array(masked + [None], dtype=object)
    out = pd.Series(table[codes], index=values.index, dtype="string")
    return out, int(changed[codes].sum())


def _refuse_needed(log: EventLog, *, drop: Sequence[str], columns: Sequence[str]) -> None:
    """Refuse to drop a column every log needs, or to turn its times into pseudonyms: the
    anonymised log could not be read back."""
    for column in [c for c in drop if c in REQUIRED]:
        raise SpecError(f"cannot drop column {log.report.mapping.get(column, column)!r} "
                        f"({column}): a log needs its case id, activity and time, and the "
                        "anonymised log could not be read back",
                        hint="leave it out of --drop; case ids are pseudonymised anyway")
    if TIMESTAMP in columns:
        raise SpecError(f"cannot pseudonymise column {log.report.mapping.get(TIMESTAMP, TIMESTAMP)!r} "
                        f"({TIMESTAMP}): a pseudonym is no time, and the anonymised log could "
                        "not be read back", hint="leave it out of --pseudonymize; --shift-days "
                        "moves the times instead")


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

    >>> from procmine.read import read_log
    >>> result = anonymize_log(read_log("logs/sample.csv"), b"0" * 32)
    >>> result.pseudonymised, sorted(result.dropped)    # the citizen and the address go
    (['case:concept:name', 'org:resource'], ['case:address', 'case:citizen'])
    """
    events = log.events.copy()

    def named(names: Sequence[str]) -> list[str]:    # the file's own headers name columns too
        return [c if c in events.columns else log.report.column_named(c) for c in names]

    columns, keep, drop = named(columns), named(keep), named(drop)
    unknown = [c for c in [*columns, *keep, *drop] if c not in events.columns]
    if unknown:
        raise SpecError(f"no column {unknown[0]!r} in the log",
                        hint=f"columns: {describe_columns(events.columns)}")
    _refuse_needed(log, drop=drop, columns=columns)
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
    found = _scan(events, skip=done)
    needed = {*_SAFE, CASE, RESOURCE, *done, *keep}
    masked: dict[str, int] = {}
    for column in [c for c in events.columns if c in needed and c in found]:
        if _is_text_or_int(events[column].dtype) and column not in drop:
            events[column], masked[column] = _mask_column(events[column])
    flagged = {c: r for c, (r, _) in found.items() if c not in needed}
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
        masked={c: n for c, n in masked.items() if n},
        dropped_values={c: found[c][1] for c in flagged if c in found},
        shifted=bool(shift_days),
        mapping=pd.concat(mappings, ignore_index=True) if with_mapping else None,
    )
