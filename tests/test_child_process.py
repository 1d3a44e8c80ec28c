"""The local stack's child processes stop on every platform."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
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


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_what_a_stopped_child_leaves_in_its_group_is_stopped_too(tmp_path) -> None:
    """A grandchild that ignores SIGTERM (a flow run's subprocess) outlives its parent: it
    would keep the stack's ports and files after `raidlib up` stopped."""
    pid_file = tmp_path / "grandchild.pid"
    ignores_sigterm = (  # says its pid once SIGTERM can no longer end it
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    spawn = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {ignores_sigterm!r}])\n"
        "time.sleep(60)\n"
    )
    component = Component(
        name="parent",
        argv=[sys.executable, "-c", spawn],
        env=dict(os.environ),
        log_path=tmp_path / "logs" / "parent.log",
        cwd=tmp_path,
    )
    component.start()
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the grandchild never started"
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())

    component.stop(timeout_s=5)

    deadline = time.monotonic() + 5
    while _running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(grandchild)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, reaped by init later, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_restarted_child_adds_to_its_log(tmp_path) -> None:
    """`raidlib up` says "see <log>" for a part that died, then restarts it: the log must
    still hold what the dead one wrote."""
    component = Component(
        name="talker",
        argv=[sys.executable, "-c", "print('first run', flush=True)"],
        env=dict(os.environ),
        log_path=tmp_path / "logs" / "talker.log",
        cwd=tmp_path,
    )
    component.start()
    component.process.wait(timeout=30)
    component.stop(timeout_s=5)
    component.argv = [sys.executable, "-c", "print('second run', flush=True)"]
    component.start()
    component.process.wait(timeout=30)
    component.stop(timeout_s=5)
    assert component.log_path.read_text().split() == ["first", "run", "second", "run"]
