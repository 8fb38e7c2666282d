"""Reading a workflow file: :func:`read_workflow` picks the reader by the suffix (a
YAML spec, BPMN 2.0 or PNML) and refuses a file that is missing, unreadable, too
large or not UTF-8 text.
"""

from __future__ import annotations

from pathlib import Path

from procmine.errors import SpecError
from procmine.workflow.bpmn import _read_bpmn, _read_pnml
from procmine.workflow.model import Workflow
from procmine.workflow.spec import MAX_SPEC_BYTES, parse_workflow

MAX_MODEL_BYTES = 32 << 20


def read_workflow(path: str | Path) -> Workflow:
    """Read an intended workflow: YAML (``.yaml``/``.yml``), BPMN 2.0 (``.bpmn``) or PNML.

    Raises SpecError naming the file, the line and the problem.

    >>> wf = read_workflow("logs/workflow.yaml")
    >>> wf.main[:3]
    ('上报', '受理', '核实')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".bpmn", ".pnml", ".xml"):
        data = _read_bytes(path, MAX_MODEL_BYTES)
        kind = "pnml" if suffix == ".pnml" or b"<pnml" in data[:4096] else "bpmn"
        return _read_pnml(data, path) if kind == "pnml" else _read_bpmn(data, path)
    data = _read_bytes(path, MAX_SPEC_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: not UTF-8 text (byte {e.start})",
                        hint="save the spec as UTF-8") from None
    return parse_workflow(text, source=str(path))


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise SpecError(f"{path}: {size:,} bytes is too large for a workflow "
                            f"(at most {limit:,})")
        return path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a folder, not a workflow file") from None
    except OSError as e:
        raise SpecError(f"{path}: cannot read: {e.strerror or e}") from None
