"""Progress on stderr: what a command is doing, so that no command is silent for long.

Shown only when stderr is a terminal and the command was not given ``--quiet``:
:func:`stage` names the step that starts (reading, filtering, discovery, layout
...), and a heartbeat repeats the step with the time spent whenever nothing was
said for :data:`HEARTBEAT` seconds. Pipes and files get none of it.

The heartbeat comes from a small process of its own when stderr is a file
descriptor: a thread would need the interpreter's lock, which some long calls hold
throughout (the XES reader holds it for the 3-4 s it reads road traffic's 561,470
events). It learns each step on a pipe and ends when the pipe closes, with the
command or its death. A stream without a descriptor gets a thread.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any, TextIO

#: Seconds of silence after which the heartbeat says the step again
HEARTBEAT = 4.0

#: The heartbeat's process: each line on stdin is the step (JSON); EOF ends it
_BEATER = """
import json, os, select, time
step, last, pending = None, time.monotonic(), b""
while True:
    ready = select.select([0], [], [], 0.25)[0]
    now = time.monotonic()
    if ready:
        got = os.read(0, 65536)
        if not got:
            break
        *lines, pending = (pending + got).split(b"\\n")
        if lines:
            step, last = json.loads(lines[-1]), now
    elif step and now - last >= step["every"]:
        last = now
        text = step["text"].format(label=step["label"], seconds=now - step["started"])
        os.write(2, (text + "\\n").encode(step["encoding"], "replace"))
"""


class Progress:
    """The stage line and its heartbeat (one per command run)."""

    def __init__(self, stream: TextIO, *, enabled: bool):
        self.stream, self.enabled = stream, enabled
        self.label = "working"   # until a command names its first step
        self.started = self.last = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beater: Any = None

    def start(self) -> None:
        if not self.enabled or self._thread is not None or self._beater is not None:
            return
        self._beater = _beating_process(self.stream)
        if self._beater is None:
            self._thread = threading.Thread(target=self._beat, name="procmine-progress",
                                            daemon=True)
            self._thread.start()
        else:
            self._tell()

    def stop(self) -> None:
        self._stop.set()
        beater, self._beater = self._beater, None
        if beater is not None:
            try:
                beater.stdin.close()
                beater.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                beater.kill()

    def _tell(self) -> None:
        """Tell the heartbeat's process the step and when the command started."""
        from procmine.i18n import language, words

        zh, en = words("messages")["progress.still"]
        step = {"text": zh if language() == "zh" else en, "label": self.label,
                "started": self.started, "every": HEARTBEAT,
                "encoding": getattr(self.stream, "encoding", None) or "utf-8"}
        try:
            self._beater.stdin.write(json.dumps(step, ensure_ascii=False) + "\n")
            self._beater.stdin.flush()
        except (OSError, ValueError):   # it is gone: the command goes on without it
            self._beater = None

    def stage(self, label: str) -> None:
        """Say the step that starts (and remember it for the heartbeat)."""
        if not self.enabled:
            return
        with self._lock:
            self.label, self.last = label, time.monotonic()
            self.stream.write(f"… {label}\n")
            self.stream.flush()
            if self._beater is not None:
                self._tell()

    def name(self, label: str) -> None:
        """Name the step that starts without saying it (a progress bar already shows it)."""
        with self._lock:
            self.label, self.last = label, time.monotonic()
            if self._beater is not None:
                self._tell()

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


def _beating_process(stream: TextIO) -> Any:
    """The heartbeat's process, writing to ``stream``'s descriptor; None without one."""
    try:
        fd = stream.fileno()
        # -S: it imports nothing but the standard library, and starts in milliseconds
        return subprocess.Popen([sys.executable, "-S", "-c", _BEATER], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=fd, text=True,
                                encoding="utf-8")
    except (AttributeError, OSError, ValueError):   # io.StringIO; no process to be had
        return None


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
