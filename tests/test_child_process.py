"""The local stack's child processes stop on every platform."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest

from raidlib import child_process
from raidlib.child_process import Component


def _sleeper(tmp_path: Path) -> Component:
    return Component(
        name="sleeper",
        argv=[sys.executable, "-c", "import time; time.sleep(60)"],
        env=dict(os.environ),
        log_path=tmp_path / "logs" / "sleeper.log",
        cwd=tmp_path,
    )


def test_a_child_stops_where_there_are_no_process_groups(tmp_path, monkeypatch) -> None:
    """On Windows ``os.killpg`` and ``signal.SIGKILL`` do not exist: stopping raised
    AttributeError and left the server, worker and receiver running."""
    ended: list[int] = []
    kill = signal.SIGKILL

    def taskkill(pid: int) -> None:  # what `taskkill /T /F` does there (a gone pid is fine)
        ended.append(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, kill)

    monkeypatch.setattr(child_process, "_HAS_GROUPS", False)
    monkeypatch.setattr(child_process, "_NEW_PROCESS_GROUP", 0)  # POSIX Popen refuses flags
    monkeypatch.setattr(child_process, "_end_tree", taskkill)
    component = _sleeper(tmp_path)
    component.start()
    monkeypatch.delattr(os, "killpg")
    monkeypatch.delattr(signal, "SIGKILL")
    assert component.alive()

    component.stop(timeout_s=5)

    assert ended == [component.process.pid] and not component.alive()
    assert component.process.returncode == -kill  # the tree ended while its parent lived


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_a_child_and_its_group_stop_on_posix(tmp_path) -> None:
    component = _sleeper(tmp_path)
    component.start()
    component.stop(timeout_s=5)
    assert not component.alive()
    assert component.process.returncode == -signal.SIGTERM
