"""Which source is a citizen's and which step is field or platform work: the vocabulary file.

The defaults are :data:`procmine.vocabulary.SOURCE_GROUPS` (12345热线, app, 随手拍 …
are citizens' channels; 网格巡查, 视频AI/智能发现, 领导交办 … internal ones) and
:data:`procmine.vocabulary.WORK_KINDS` (each step role is field work, platform work,
waiting or other). A YAML (or JSON) file extends or overrides them by name::

    sources:
      citizen: [12345热线, 随手拍, 市民APP]
      internal: [网格巡查, 视频AI]
    work:
      platform: [拍照上传, 信息填报]
      field: [现场核查]

Names are compared without case and surrounding blanks; a name of the file wins
over the defaults.

>>> vocab = read_governance(None)
>>> vocab.group_of("12345热线"), vocab.group_of("网格巡查"), vocab.group_of("其他")
('citizen', 'internal', 'other')
>>> vocab.kind_of("填报"), vocab.kind_of("处置"), vocab.kind_of("挂账")
('platform', 'field', 'waiting')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procmine.errors import SpecError
from procmine.vocabulary import SOURCE_GROUPS, WORK_KINDS, role_of
from procmine.yamlsafe import as_list

GROUPS = ("citizen", "internal")
KINDS = tuple(WORK_KINDS)


@dataclass(frozen=True)
class Governance:
    """Source groups and kinds of work by name (lower-cased), over the defaults."""

    sources: dict[str, str] = field(default_factory=dict)
    work: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    path: str | None = None

    def group_of(self, source: Any) -> str:
        """``citizen``, ``internal`` or ``other`` for a source name (``other`` when missing)."""
        if source is None or source != source:
            return "other"
        name = str(source).strip().lower()
        if name in self.sources:
            return self.sources[name]
        for group, names in SOURCE_GROUPS.items():
            if name in {n.lower() for n in names}:
                return group
        return "other"

    def kind_of(self, activity: str) -> str:
        """``field``, ``platform``, ``waiting`` or ``other`` for an activity name."""
        name = str(activity).strip().lower()
        if name in self.work:
            return self.work[name]
        role = role_of(activity, self.aliases or None)
        for kind, roles in WORK_KINDS.items():
            if role in roles:
                return kind
        return "other"


def read_governance(path: str | Path | None, *, aliases: dict[str, str] | None = None
                    ) -> Governance:
    """The vocabulary of a file (None: the defaults); errors name the file and the key."""
    if path is None:
        return Governance(aliases=dict(aliases or {}))
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise SpecError(f"{path}: cannot read the vocabulary file: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise SpecError(f"{path}: not valid YAML or JSON: {e}") from None
    data = data or {}
    if not isinstance(data, dict) or set(data) - {"sources", "work"}:
        raise SpecError(f"{path}: expected 'sources:' (citizen, internal) and 'work:' "
                        "(field, platform, waiting, other)", hint="see docs/audit.md")
    sources = _names(path, "sources", data.get("sources"), GROUPS)
    work = _names(path, "work", data.get("work"), KINDS)
    return Governance(sources, work, dict(aliases or {}), str(path))


def _names(path: Path, key: str, entry: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    if entry is None:
        return {}
    if not isinstance(entry, dict) or set(entry) - set(allowed):
        raise SpecError(f"{path}: '{key}:' maps {', '.join(allowed)} to lists of names")
    out: dict[str, str] = {}
    for group, names in entry.items():
        if isinstance(names, dict):
            raise SpecError(f"{path}: {key}.{group}: expected a list of names")
        out.update({str(n).strip().lower(): str(group) for n in as_list(names)})
    return out
