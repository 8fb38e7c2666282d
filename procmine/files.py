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
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from procmine.errors import OutputError, OutputPathError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(tmp: str, target: Path, *, private: bool = False) -> None:
    """Give the finished temporary file normal permissions (or keep it 0600 when
    ``private``) and move it into place."""
    if not private:
        os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, target)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, inputs: Iterable[str] = (),
                private: bool = False) -> Iterator[str]:
    """A temporary path in the target's folder, renamed to ``path`` only on success.

    The temporary file is created with mode 0600 (``mkstemp``: ``os.open`` with
    ``O_EXCL``); ``private`` keeps that mode for secrets (a pseudonym mapping), so
    the file is never readable by others, not even for a moment.

    For writers that want a file name (pandas, graphviz, pm4py). Refuses to
    overwrite any of ``inputs``. On any exception (or Ctrl-C) the temporary file
    is removed and an existing ``path`` is left as it was.
    """
    target = Path(path)
    check_output_path(path, inputs=inputs)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix or ".part",
                                   dir=folder)
        os.close(fd)
    except OSError as e:
        raise _write_error(target, e) from None
    try:
        yield tmp
        _publish(tmp, target, private=private)
    except OSError as e:  # a full disk, a read-only folder, a quota
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _write_error(target, e) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _write_error(target: Path, e: OSError) -> OutputError:
    return OutputError(f"cannot write {target}: {e.strerror or e}",
                       hint="check the free disk space and that the folder is writable")


def check_output_path(path: str | os.PathLike, *, inputs: Iterable[str] = ()) -> None:
    """Refuse ``-`` (procmine writes files, not standard output) and an output that is
    one of ``inputs``; both are usage errors (exit 2).

    >>> check_output_path("-")
    Traceback (most recent call last):
    ...
    procmine.errors.OutputPathError: -: procmine writes output to files, not to standard output (give a file name, e.g. -o report.html; --json and --csv print data to stdout)
    """
    target = Path(path)
    if str(path) == "-":
        raise OutputPathError("-: procmine writes output to files, not to standard output",
                              hint="give a file name, e.g. -o report.html; --json and --csv "
                                   "print data to stdout")
    for source in inputs:
        if source and target.exists() and Path(source).exists() and os.path.samefile(source, target):
            raise OutputPathError(f"{target}: output would overwrite the input log",
                                  hint="choose another -o path")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, inputs: Iterable[str] = (),
                 encoding: str | None = "utf-8", private: bool = False) -> Iterator[IO]:
    """Open ``path`` for writing so that it appears only when complete (see :func:`atomic_path`).

    >>> with atomic_write("/tmp/procmine-doctest.txt") as f:
    ...     _ = f.write("ok")
    >>> open("/tmp/procmine-doctest.txt").read()
    'ok'
    """
    with atomic_path(path, inputs=inputs, private=private) as tmp:
        if "b" in mode:
            handle: IO = open(tmp, mode)
        else:
            handle = open(tmp, mode, encoding=encoding, newline="")
        with handle:
            yield handle


#: The lock file of a scratch folder, held (``flock``) while the process that made it lives
_IN_USE = ".in-use"


class ScratchFolder:
    """A private temporary folder for an engine's database and spill files.

    ``path`` is made with ``mkdtemp`` (mode 0700) and marked in use by a lock on a
    file inside it, which the operating system releases when the process ends, even
    when it is killed with SIGKILL (which no program can catch, so its folder stays).
    Making a folder first removes the folders of the same ``prefix`` whose lock is
    free: those that a killed process left. A folder is locked before its lock file
    gets its name, so a folder being made is never taken for a left one.

    >>> a = ScratchFolder("procmine-doctest-")
    >>> os.path.isdir(a.path)
    True
    >>> a.remove()
    >>> os.path.exists(a.path)
    False
    """

    def __init__(self, prefix: str, dir: str | None = None):
        _remove_left(prefix, dir)
        self.path = tempfile.mkdtemp(prefix=prefix, dir=dir)
        self._lock = _lock(self.path)

    def remove(self) -> None:
        """Remove the folder and everything in it (again: nothing happens)."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _lock(folder: str) -> IO | None:
    """Lock a new file in ``folder`` and then name it :data:`_IN_USE`; None where
    the platform has no ``flock`` (the folder is then never taken for a left one)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    handle = open(os.path.join(folder, ".locking"), "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.replace(os.path.join(folder, ".locking"), os.path.join(folder, _IN_USE))
    except OSError:  # a file system without locks: nothing is ever taken for left
        handle.close()
        return None
    return handle


def _remove_left(prefix: str, dir: str | None) -> None:
    """Remove the folders ``prefix*`` in ``dir`` (default: the temporary folder) that a
    killed process left: their lock file is there and free. Any error leaves a folder."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    base = Path(dir or tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for folder in base.glob(f"{prefix}*"):
            with contextlib.suppress(OSError), open(folder / _IN_USE) as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)   # free: its process is gone
                shutil.rmtree(folder, ignore_errors=True)
