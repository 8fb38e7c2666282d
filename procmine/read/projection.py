"""Which columns of a log file ``read_log`` reads: every one by default, or only those a caller
needs (``read_log(path, needs=...)``), so a command that prints no category does not parse one.

The rule, in one place: the required columns (case, activity, time) and the columns the load
report counts from (:data:`ALWAYS_READ`: duplicates are matched on the unit, levels and unit
kinds have their notes, start and deadline times their repairs, the deadline its case-level
check) are always read, so the report says the same whatever a caller needs. ``needs`` adds
the optional columns a caller uses (category, source, an attribute a filter names). The
column mapping is chosen on the whole header, read or not: a column left out keeps its place
in ``log.report.mapping`` and in ``log.attributes``, and ``log.report.not_read`` names it.

>>> keep = columns_to_read(["工单编号", "环节", "时间", "类别", "地址", "备注"], given={},
...                        needs=["case:category"])
>>> keep
['工单编号', '环节', '时间', '类别']
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from procmine.errors import ColumnError
from procmine.log import (
    ACTIVITY,
    CASE,
    DEADLINE,
    KIND,
    LEVEL,
    OPTIONAL,
    REQUIRED,
    RESOURCE,
    START,
    TIMESTAMP,
)
from procmine.read.columns import detect_columns

#: Canonical columns read whatever a caller needs: the required ones and those the load
#: report counts from (duplicate events, level and kind notes, repaired times, the deadline).
ALWAYS_READ = (CASE, ACTIVITY, TIMESTAMP, START, RESOURCE, LEVEL, KIND, DEADLINE)


def wanted_columns(mapping: Mapping[str, str], needs: Collection[str]) -> set[str]:
    """The file columns to read under ``mapping`` ({canonical: file column}) for ``needs``:
    canonical names (``case:category``) or the file's own names (``类别``, an attribute)."""
    canonical = set(REQUIRED) | set(OPTIONAL)
    wanted = {mapping[c] for c in (*ALWAYS_READ, *needs) if c in canonical and c in mapping}
    return wanted | {name for name in needs if name not in canonical}


def columns_to_read(header: Sequence[str], *, given: Mapping[str, str],
                    needs: Collection[str] | None) -> list[str] | None:
    """The columns of ``header`` to read for ``needs``, in file order; None for all of them
    (``needs`` None, nothing to leave out, or a mapping that fails: read_log then says what
    is wrong after reading, as it does reading every column).

    >>> columns_to_read(["case", "activity", "time", "note"], given={}, needs=None) is None
    True
    """
    if needs is None:
        return None
    try:
        mapping = detect_columns(list(header), given)
    except ColumnError:
        return None
    wanted = wanted_columns(mapping, needs)
    keep = [h for h in header if h in wanted]
    return keep if len(keep) < len(header) else None
