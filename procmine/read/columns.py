"""Which column of a log is the case id, the activity, the time, ...: the options a user
gives, the usual Chinese and English headers, and the error when a required one is missing.

>>> detect_columns(["工单编号", "环节", "时间"])
{'case:concept:name': '工单编号', 'concept:name': '环节', 'time:timestamp': '时间'}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from procmine.errors import ColumnError, describe_columns
from procmine.log import (
    ACTIVITY,
    ADDRESS,
    CASE,
    CATEGORY,
    CITIZEN,
    DEADLINE,
    KIND,
    LEVEL,
    RESOURCE,
    SOURCE,
    START,
    TIMESTAMP,
)

#: Option name (keyword of read_log's ``columns``) -> canonical column.
FIELDS: dict[str, str] = {
    "case_id": CASE,
    "activity": ACTIVITY,
    "timestamp": TIMESTAMP,
    "start_timestamp": START,
    "resource": RESOURCE,
    "level": LEVEL,
    "kind": KIND,
    "category": CATEGORY,
    "source": SOURCE,
    "deadline": DEADLINE,
    "citizen": CITIZEN,
    "address": ADDRESS,
}

#: The columns every log must have.
REQUIRED = (CASE, ACTIVITY, TIMESTAMP)

#: Headers recognised without options, per canonical column, in order of preference
#: (compared case-insensitively, spaces and underscores ignored).
HEADERS: dict[str, tuple[str, ...]] = {
    CASE: (CASE, "工单编号", "案件编号", "工单号", "案件号", "工单id", "案卷号", "单号", "caseid",
           "case", "caseno", "casenumber", "orderid", "ticketid", "ticket", "workorder"),
    ACTIVITY: (ACTIVITY, "环节", "节点", "活动名称", "活动", "环节名称", "节点名称", "操作", "步骤",
               "activity", "activityname", "event", "eventname", "step", "task", "action"),
    TIMESTAMP: (TIMESTAMP, "时间", "操作时间", "处理时间", "发生时间", "完成时间", "环节时间",
                "timestamp", "time", "datetime", "completetimestamp", "endtime", "eventtime",
                "date"),
    START: (START, "开始时间", "starttimestamp", "starttime", "start"),
    RESOURCE: (RESOURCE, "承办单位", "处置部门", "处置单位", "责任单位", "部门", "单位", "办理单位",
               "resource", "unit", "department", "org", "orgunit"),
    LEVEL: (LEVEL, "层级", "级别", "单位层级", "level", "orglevel"),
    KIND: (KIND, "单位类型", "条块", "kind", "unitkind", "orgkind"),
    CATEGORY: (CATEGORY, "类别", "案件类别", "问题类别", "工单类型", "事项类别", "category", "type",
               "casecategory"),
    SOURCE: (SOURCE, "来源", "案件来源", "工单来源", "渠道", "source", "casesource"),
    DEADLINE: (DEADLINE, "时限", "截止时间", "处置时限", "办理时限", "办结时限", "应办结时间", "deadline", "due", "duedate",
               "casedeadline"),
    CITIZEN: (CITIZEN, "诉求人", "市民", "来电人号码哈希", "来电号码哈希", "诉求人哈希", "citizen",
              "citizenhash", "callerhash"),
    ADDRESS: (ADDRESS, "地址", "事发地址", "网格", "所属网格", "address", "gridcell",
              "casegrid", "caseaddress"),
}


def numbered(header: list[str], report: Any) -> list[str]:
    """The column names with a repeated one numbered (``环节``, ``环节.1``), as pandas numbers
    them, said in the load report's notes; the names as they are when none repeats.

    >>> from procmine.log import LoadReport
    >>> numbered(["a", "b", "a"], LoadReport())
    ['a', 'b', 'a.1']
    """
    if len(set(header)) == len(header):
        return header
    seen: dict[str, int] = {}
    fixed = []
    for h in header:
        seen[h] = seen.get(h, 0) + 1
        fixed.append(h if seen[h] == 1 else f"{h}.{seen[h] - 1}")
    report.notes.append("duplicate column names were numbered")
    return fixed


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def detect_columns(columns: Sequence[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Choose the source column for each canonical column.

    ``given`` maps option names (``case_id``, ``activity``, ...) to column names
    and wins over detection. Returns ``{canonical: source column}``.

    >>> detect_columns(["工单编号", "环节", "时间", "承办单位"])
    {'case:concept:name': '工单编号', 'concept:name': '环节', 'time:timestamp': '时间', 'org:resource': '承办单位'}
    """
    given = dict(given or {})
    unknown = set(given) - set(FIELDS)
    if unknown:
        raise ColumnError(f"unknown column option(s): {', '.join(sorted(unknown))}")
    mapping: dict[str, str] = {}
    for option, column in given.items():
        if column is None:
            continue
        if column not in columns:
            listed = describe_columns(columns)
            raise ColumnError(f"no column {column!r} (given with --{option.replace('_', '-')})",
                              hint=f"the file has: {listed}")
        twice = [o for o, c in given.items() if c == column and o != option]
        if twice:       # one column cannot be two things (the case id and the activity ...)
            names = ", ".join(f"--{o.replace('_', '-')}" for o in sorted([option, *twice]))
            raise ColumnError(f"column {column!r} is given for more than one role: {names}",
                              hint="give each of them a column of its own")
        mapping[FIELDS[option]] = column
    used = set(mapping.values())
    normalised = {_norm(c): c for c in reversed(list(columns))}
    for canonical, candidates in HEADERS.items():
        if canonical in mapping:
            continue
        for candidate in candidates:
            column = normalised.get(_norm(candidate))
            if column is not None and column not in used:
                mapping[canonical] = column
                used.add(column)
                break
    return mapping


def require_columns(mapping: Mapping[str, str], columns: Sequence[str], path: str) -> None:
    """Raise ColumnError naming the required columns (case, activity, time) ``mapping`` lacks.

    >>> require_columns({}, ["a", "b"], "x.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    procmine.errors.ColumnError: x.csv: no column found for case:concept:name (case_id=), ... (the file has: a, b; name the column when reading the log)
    """
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        option = {CASE: "case_id=", ACTIVITY: "activity=", TIMESTAMP: "timestamp="}
        names = ", ".join(f"{m} ({option[m]})" for m in missing)
        listed = describe_columns(columns)
        untimed = ("; a log without times can be read with order_as_time=True (its order "
                   "stands for time)") if missing == [TIMESTAMP] else ""
        if not listed:
            raise ColumnError(f"{path}: no column found for {names}",
                              hint="the file has no columns at all: check that it is the log")
        raise ColumnError(f"{path}: no column found for {names}",
                          hint=f"the file has: {listed}; name the column when reading the "
                               f"log{untimed}")


def map_columns(header: Sequence[str], given: Mapping[str, str] | None, *,
                path: str) -> dict[str, str]:
    """``{canonical: source column}`` for a header, with read_log's rules and errors.

    >>> map_columns(["工单编号", "环节", "时间"], {}, path="x.csv")[TIMESTAMP]
    '时间'
    """
    mapping = detect_columns(list(header), given)
    require_columns(mapping, list(header), path)
    return mapping
