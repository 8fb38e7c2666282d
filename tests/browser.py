"""A headless Chromium driven through the DevTools protocol over a pipe (no extra package).

``--remote-debugging-pipe`` makes Chromium read protocol commands from file
descriptor 3 and write its answers to descriptor 4, each message JSON ended by a
NUL byte. ``Page`` opens a file, evaluates JavaScript, clicks and drags with real
mouse events (``Input.dispatchMouseEvent``: the page's own listeners run, under its
Content-Security-Policy) and takes screenshots.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any


def chromium_binary() -> str:
    """The path of a Chromium or Chrome binary; the test is skipped when there is none."""
    import shutil

    import pytest

    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium or Chrome binary on PATH (make setup-test installs one)")


class Page:
    def __init__(self, binary: str, profile: Path, *, width: int = 1280, height: int = 1600):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", f"--user-data-dir={profile}", "--remote-debugging-pipe",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={width},{height}",
                "--hide-scrollbars", "about:blank"]

        def fds() -> None:       # descriptors 3 and 4 in the child, as Chromium expects
            read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        # the descriptors kept open in the child are 3 and 4, set by fds() before the exec
        self._proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._id = 0
        self.console: list[str] = []
        targets = self._call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self._session = self._call("Target.attachToTarget", targetId=page["targetId"],
                                   flatten=True)["sessionId"]
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(domain)

    # ------------------------------------------------------------------ protocol
    def _send(self, method: str, params: dict, session: str | None) -> int:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._id

    def _read(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _wait(self, wanted: int | str, timeout: float = 60) -> dict:
        while True:
            message = self._read(timeout)
            method = message.get("method", "")
            if method == "Runtime.consoleAPICalled":
                self.console.append(" ".join(str(a.get("value", a.get("description")))
                                             for a in message["params"]["args"]))
            elif method == "Runtime.exceptionThrown":
                self.console.append(message["params"]["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded":
                entry = message["params"]["entry"]
                if entry.get("level") in ("error", "warning"):
                    self.console.append(entry.get("text", ""))
            if message.get("id") == wanted or method == wanted:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result", message.get("params", {}))

    def _call(self, method: str, **params: Any) -> dict:
        return self._wait(self._send(method, params, None))

    def call(self, method: str, **params: Any) -> dict:
        return self._wait(self._send(method, params, self._session))

    # ------------------------------------------------------------------ what a test does
    def open(self, path: Path, timeout: float = 60) -> float:
        """Open a file; the seconds until its load event."""
        started = time.monotonic()
        self._send("Page.navigate", {"url": path.as_uri()}, self._session)
        self._wait("Page.loadEventFired", timeout)
        return time.monotonic() - started

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def centre(self, selector: str) -> tuple[float, float]:
        box = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                      "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
                      "return [r.left+r.width/2, r.top+r.height/2, r.left, r.width];})()")
        return box[0], box[1]

    def mouse(self, kind: str, x: float, y: float, buttons: int = 1) -> None:
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                  buttons=buttons, clickCount=1)

    def click(self, selector: str) -> None:
        x, y = self.centre(selector)
        self.mouse("mousePressed", x, y)
        self.mouse("mouseReleased", x, y, 0)

    def drag_slider(self, selector: str, fraction: float) -> None:
        """Drag a range input's thumb from its right end to ``fraction`` of its width."""
        left, top, width = self.js(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});"
            "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
            "return [r.left, r.top + r.height/2, r.width];})()")
        x0 = left + width - 4
        self.mouse("mousePressed", x0, top)
        for step in range(1, 11):
            self.mouse("mouseMoved", x0 + (left + fraction * width - x0) * step / 10, top)
        self.mouse("mouseReleased", left + fraction * width, top, 0)

    def select(self, selector: str, label: str) -> None:
        """Pick an option of a <select> by its text, with the keyboard as a reader would."""
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        index = self.js(f"[].map.call(document.querySelector({json.dumps(selector)}).options,"
                        f"function(o){{return o.text}}).indexOf({json.dumps(label)})")
        current = self.js(f"document.querySelector({json.dumps(selector)}).selectedIndex")
        assert index >= 0, label
        key = "ArrowDown" if index > current else "ArrowUp"
        for _ in range(abs(index - current)):
            self.call("Input.dispatchKeyEvent", type="rawKeyDown", key=key, code=key,
                      windowsVirtualKeyCode=40 if key == "ArrowDown" else 38)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=key,
                      windowsVirtualKeyCode=40 if key == "ArrowDown" else 38)

    def screenshot(self, path: Path, *, full: bool = False) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full:
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self._send("Browser.close", {}, None)
        except OSError:
            pass
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        os.close(self._to_browser)
        os.close(self._from_browser)
