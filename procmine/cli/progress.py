"""Progress on stderr: what a command is doing, so that no command is silent for long.

Shown only when stderr is a terminal and the command was not given ``--quiet``:
:func:`stage` names the step that starts (reading, filtering, discovery, layout
...), and a heartbeat repeats the step with the time spent whenever nothing was
said for :data:`HEARTBEAT` seconds. Pipes and files get none of it.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

#: Seconds of silence after which the heartbeat says the step again
HEARTBEAT = 4.0


class Progress:
    """The stage line and its heartbeat (one per command run)."""

    def __init__(self, stream: TextIO, *, enabled: bool):
        self.stream, self.enabled = stream, enabled
        self.label = "working"   # until a command names its first step
        self.started = self.last = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="procmine-progress",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def stage(self, label: str) -> None:
        """Say the step that starts (and remember it for the heartbeat)."""
        if not self.enabled:
            return
        with self._lock:
            self.label, self.last = label, time.monotonic()
            self.stream.write(f"… {label}\n")
            self.stream.flush()

    def name(self, label: str) -> None:
        """Name the step that starts without saying it (a progress bar already shows it)."""
        with self._lock:
            self.label, self.last = label, time.monotonic()

    def _beat(self) -> None:
        from procmine.i18n import message

        while not self._stop.wait(0.5):
            now = time.monotonic()
            if now - self.last < HEARTBEAT:
                continue
            with self._lock:
                self.last = now
                self.stream.write(message("progress.still", label=self.label,
                                          seconds=now - self.started) + "\n")
                self.stream.flush()


_CURRENT = Progress(sys.stderr, enabled=False)


def begin(args: list[str]) -> Progress:
    """Start progress for a command run with ``args`` (off when quiet or not a terminal)."""
    global _CURRENT
    quiet = "-q" in args or "--quiet" in args
    enabled = not quiet and sys.stderr.isatty()
    _CURRENT = Progress(sys.stderr, enabled=enabled)
    _CURRENT.start()
    return _CURRENT


def stage(label: str) -> None:
    """Say on stderr the step that starts, when progress is shown."""
    _CURRENT.stage(label)


def name(label: str) -> None:
    """Name the step for the heartbeat only (the command shows its own progress)."""
    _CURRENT.name(label)


def enabled() -> bool:
    return _CURRENT.enabled
