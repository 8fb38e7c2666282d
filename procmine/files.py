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

#: The file names each kind of output can have, by how they end (the first listed
#: ending names the format; ``procmine.cli.outputs.output_option`` declares an
#: option's kind, and every output of a command is checked before any work starts)
OUTPUT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "drawing": (".svg", ".png", ".pdf", ".dot", ".gv"),
    "model": (".pnml", ".bpmn", ".ptml"),
    "table": (".csv", ".xlsx"),
    "log": (".csv", ".tsv", ".txt", ".csv.gz", ".parquet", ".pq", ".xes", ".xes.gz"),
    "simulated log": (".csv", ".parquet", ".pq", ".xes", ".xes.gz"),
    "page": (".html", ".htm"),
    "yaml": (".yaml", ".yml"),
}


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


def output_format(path: str | os.PathLike, kind: str) -> str:
    """The ending of ``path`` that names its format among the :data:`OUTPUT_SUFFIXES` of
    ``kind`` (lower case); an ending the kind cannot write is a usage error (exit 2).

    >>> output_format("map.SVG", "drawing"), output_format("a.xes.gz", "log")
    ('.svg', '.xes.gz')
    >>> output_format("v.txt", "table")
    Traceback (most recent call last):
    ...
    procmine.errors.OutputPathError: v.txt: unknown output format (end the file name in one of .csv, .xlsx)
    """
    suffixes = OUTPUT_SUFFIXES[kind]
    name = str(path).lower()
    found = max((s for s in suffixes if name.endswith(s)), key=len, default=None)
    if found is not None:
        return found
    suffix = Path(path).suffix.lower()
    if kind == "drawing":
        raise OutputPathError(f"{path}: unknown drawing format {suffix.lstrip('.')!r}",
                              hint="use .svg, .png, .pdf or .dot")
    if kind == "model":
        raise OutputPathError(f"{path}: cannot tell the model format from the suffix {suffix!r}",
                              hint="use .pnml, .bpmn or .ptml")
    if kind == "simulated log":
        raise OutputPathError(f"{path}: unknown log format {suffix or '(none)'}",
                              hint="end the file name in .csv, .parquet, .xes or .xes.gz")
    raise OutputPathError(f"{path}: unknown output format",
                          hint=f"end the file name in one of {', '.join(suffixes)}")


def check_outputs(outputs: Iterable[tuple[str, str | os.PathLike, str]], *,
                  inputs: Iterable[str] = ()) -> None:
    """Check every output of one run before any work starts: each ``(option, path, kind)``
    is a file procmine may write (:func:`check_output_path`: not ``-``, not one of
    ``inputs``, in a folder that exists and is writable), of a format its ``kind`` can
    write (:func:`output_format`), and no two outputs share a path (the last would
    silently replace the others). Each refusal is a usage error (exit 2).

    >>> check_outputs([("--cases", "d.csv", "table"), ("--variants", "./d.csv", "table")])
    Traceback (most recent call last):
    ...
    procmine.errors.OutputPathError: ./d.csv: --cases and --variants would both write this file (give each output its own file name)
    """
    inputs = list(inputs)
    seen: dict[str, str] = {}
    for option, path, kind in outputs:
        check_output_path(path, inputs=inputs)
        output_format(path, kind)
        where = os.path.realpath(path)
        if where in seen:
            raise OutputPathError(f"{path}: {seen[where]} and {option} would both write this file",
                                  hint="give each output its own file name")
        seen[where] = option


def check_output_path(path: str | os.PathLike, *, inputs: Iterable[str] = ()) -> None:
    """Refuse ``-`` (procmine writes files, not standard output), an output that is
    one of ``inputs``, and one in a folder that does not exist or cannot be written
    to; all are usage errors (exit 2).

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
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputPathError(f"{target}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{target}: folder {folder} is not writable",
                              hint="choose another folder, or ask for the right to write in it")


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
