"""Headless Chromium for the e2e UI test: find (or apt-install) it, drive it over DevTools.

The Prefect UI is a JavaScript single-page app, so the test needs a real browser. Chromium is
started with a remote-debugging port on 127.0.0.1 and driven through the Chrome DevTools
Protocol over one websocket (``websockets``' sync client; it ships with Prefect): evaluate
JavaScript, wait for text to render, click a tab, capture a PNG.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


def find_chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def find_or_install_chromium(timeout_s: float = 420.0) -> tuple[str | None, str]:
    """The browser's path, installing Debian's ``chromium`` when missing; else ``(None, why)``."""
    if found := find_chromium():
        return found, "found"
    if os.geteuid() != 0:
        return None, "chromium is not installed and installing it needs root"
    if not shutil.which("apt-get"):
        return None, "chromium is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(
            ["apt-get", "install", "-y", "chromium"],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"`apt-get install -y chromium` took longer than {timeout_s:.0f} s"
    if done.returncode != 0 or not (found := find_chromium()):
        return None, f"`apt-get install -y chromium` failed: {(done.stdout + done.stderr)[-500:]}"
    return found, "installed with apt-get"


class Browser:
    """One headless Chromium with one page, controlled over the DevTools protocol."""

    def __init__(self, binary: str, user_data_dir: Path, port: int, log_path: Path) -> None:
        self.port = port
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [
                binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={user_data_dir}",
                "--remote-debugging-address=127.0.0.1",
                f"--remote-debugging-port={port}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its renderer/GPU helpers die with the group
        )
        self._ws: Any = None
        self._next_id = 0
        try:
            self._connect(deadline=time.monotonic() + 30)
        except BaseException:
            self.close()
            raise

    def _connect(self, deadline: float) -> None:
        from websockets.sync.client import connect

        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.process.returncode}")
            try:
                targets = httpx.get(f"http://127.0.0.1:{self.port}/json", timeout=2).json()
                page = next(t for t in targets if t.get("type") == "page")
                break
            except (httpx.HTTPError, StopIteration, ValueError):
                if time.monotonic() > deadline:
                    raise TimeoutError("chromium's DevTools endpoint never came up") from None
                time.sleep(0.2)
        self._ws = connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)

    def call(self, method: str, timeout_s: float = 30.0, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events in between are skipped)."""
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout_s
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for_text(self, *needles: str, timeout_s: float = 30.0) -> str:
        """Poll the page's visible text until it contains every needle; return that text."""
        deadline = time.monotonic() + timeout_s
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if all(needle in text for needle in needles):
                return text
            time.sleep(0.25)
        missing = [n for n in needles if n not in text]
        raise AssertionError(f"page never showed {missing}; it shows:\n{text[:3000]}")

    def click_text(self, label: str) -> bool:
        """Click the first tab/button/link whose whole visible text is ``label``."""
        script = f"""
            (() => {{
              const all = [...document.querySelectorAll('button, a, [role=tab], li, span')];
              const el = all.find(e => e.innerText && e.innerText.trim() === {json.dumps(label)});
              if (!el) return false;
              el.click();
              return true;
            }})()
        """
        return bool(self.evaluate(script))

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        for sig in (signal.SIGTERM, signal.SIGKILL):  # the whole group: renderers too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        self._log.close()
