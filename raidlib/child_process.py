"""A child process of the local stack in its own process group, logging to its own file.

Its own session means Ctrl-C in the terminal reaches only ``raidlib up``, which then stops every
group itself — grandchildren such as flow runs included — so nothing is left behind. Windows has
no process groups to signal: there the child gets a new console process group, and stopping
ends its process tree with ``taskkill /T``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass
class Component:
    """One child process: how to start it, where it logs, and its process once started."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    cwd: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Own session = own process group: Ctrl-C in the terminal reaches only `raidlib up`,
            # which then stops every group itself (including grandchildren such as flow runs).
            start_new_session=_HAS_GROUPS,
            creationflags=0 if _HAS_GROUPS else _NEW_PROCESS_GROUP,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM the process group, wait, then SIGKILL whatever is left of it.

        Windows: ``taskkill /T /F`` of the child's tree at once, no clean stop first. The tree
        is found through the living parent only, and Prefect starts each flow run in a console
        group of its own that a CTRL_BREAK to the worker never reaches: a worker that exits on
        a CTRL_BREAK would leave its flow runs behind. The children of a component that already
        died are not reached either.
        """
        proc = self.process
        if proc is not None and not _HAS_GROUPS:
            _end_tree(proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout_s)
        elif proc is not None:
            _signal_group(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout_s)
            # The leader may be gone while its children linger: always sweep the group.
            _signal_group(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):  # unkillable: give up
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, n_chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-n_chars:]
        except OSError:
            return ""


_HAS_GROUPS = hasattr(os, "killpg")
"""POSIX: each child leads a process group that can be signalled as a whole."""

_NEW_PROCESS_GROUP = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
"""Windows: the terminal's Ctrl-C then reaches only ``raidlib up``."""


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _end_tree(pid: int) -> None:
    """Windows: end ``pid`` and every process it started (``taskkill /T /F``); one already gone
    is fine."""
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(
            ["taskkill", "/PID", str(pid), "/T", "/F"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (a bind test, as the server would do).

    ``SO_REUSEADDR`` as the servers set it, so a port only in ``TIME_WAIT`` counts as free.
    """
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False
