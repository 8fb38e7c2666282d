"""Safe output files: written atomically, never over the input log.

Every file procmine writes (drawings, CSV, reports, logs, models) goes through
:func:`atomic_path` or :func:`atomic_write`: the content goes to a temporary
file in the target's folder, which is renamed over the target only when it is
complete. A failed or interrupted command leaves no partial file, and an
existing file is replaced only on success.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from procmine.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(tmp: str, target: Path) -> None:
    """Give the finished temporary file normal permissions and move it into place."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, target)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, inputs: Iterable[str] = ()) -> Iterator[str]:
    """A temporary path in the target's folder, renamed to ``path`` only on success.

    For writers that want a file name (pandas, graphviz, pm4py). Refuses to
    overwrite any of ``inputs``. On any exception (or Ctrl-C) the temporary file
    is removed and an existing ``path`` is left as it was.
    """
    target = Path(path)
    for source in inputs:
        if source and target.exists() and Path(source).exists() and os.path.samefile(source, target):
            raise OutputError(f"{target}: output would overwrite the input log",
                              hint="choose another -o path")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix or ".part",
                               dir=folder)
    os.close(fd)
    try:
        yield tmp
        _publish(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, inputs: Iterable[str] = (),
                 encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open ``path`` for writing so that it appears only when complete (see :func:`atomic_path`).

    >>> with atomic_write("/tmp/procmine-doctest.txt") as f:
    ...     _ = f.write("ok")
    >>> open("/tmp/procmine-doctest.txt").read()
    'ok'
    """
    with atomic_path(path, inputs=inputs) as tmp:
        if "b" in mode:
            handle: IO = open(tmp, mode)
        else:
            handle = open(tmp, mode, encoding=encoding, newline="")
        with handle:
            yield handle
