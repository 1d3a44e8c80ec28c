"""``raidlib up`` keeps going when its worker or receiver dies: it starts that part again."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from raidlib.child_process import Component
from raidlib.cli.up import RESTARTS_ALLOWED, supervise
from raidlib.stack import Stack, StackConfig, StackError

SLEEPER = "import time; time.sleep(60)"


class StandInStack(Stack):
    """The real restart and supervision logic around stand-in processes: a Prefect server, a
    worker and a receiver would make this test slow and no truer."""

    def __init__(
        self, tmp_path: Path, worker_code: str = SLEEPER, receiver_port: int = 8000
    ) -> None:
        self.said: list[str] = []
        config = StackConfig(project_dir=tmp_path, stop_timeout_s=2.0, receiver_port=receiver_port)
        super().__init__(config, self.said.append)
        self.worker_code = worker_code
        self.python = sys.executable

    def _stand_in(self, name: str, code: str, abort: Callable[[], bool]) -> None:
        part = Component(
            name,
            [self.python, "-c", code],
            dict(os.environ),
            self.logs_dir / f"{name}.log",
            self.state_dir,
        )
        self._launch(part)
        self._wait(part, lambda: True, "started", abort)

    def start(self) -> None:
        self._stand_in("prefect-server", SLEEPER, lambda: False)
        self._start_worker()
        self._stand_in("receiver", SLEEPER, lambda: False)

    def _start_worker(self, abort: Callable[[], bool] = lambda: False) -> None:
        self._stand_in("worker", self.worker_code, abort)

    def part(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StandInStack]:
    stack = StandInStack(tmp_path)
    stack.start()
    yield stack
    stack.stop()


def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> Callable[[], bool]:
    """A ``stopping`` callable: true once ``condition`` holds, or (bounding the test) after
    ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    return lambda: condition() or time.monotonic() > deadline


def test_a_killed_worker_is_started_again_in_its_place(stack: StandInStack) -> None:
    """A dead worker used to stop the whole stack (server and receiver too)."""
    old = stack.part("worker").process
    assert old is not None
    os.kill(old.pid, signal.SIGKILL)
    restarted = until(
        lambda: stack.part("worker").process is not old and stack.part("worker").alive()
    )
    assert supervise(stack, restarted, poll_s=0.05) == 0
    assert [c.name for c in stack.components] == ["prefect-server", "worker", "receiver"]
    assert all(c.alive() for c in stack.components)
    assert any("worker exited unexpectedly (code -9)" in line for line in stack.said)
    assert any(
        "flow runs it had started stop at their next log line" in line for line in stack.said
    )
    assert any("restarting worker (restart 1 of 3" in line for line in stack.said)


def test_what_the_dead_worker_left_in_its_process_group_is_stopped_before_the_restart(
    tmp_path: Path,
) -> None:
    """Children of a dead part in its process group are stopped with it, so two of them never
    run side by side. (Prefect's flow runs have sessions of their own: not these.)"""
    pid_file = tmp_path / "orphan.pid"
    code = (  # the first worker starts a "flow run" and dies; the restarted one just waits
        "import pathlib, subprocess, sys, time\n"
        f"p = pathlib.Path({str(pid_file)!r})\n"
        "if p.exists(): time.sleep(60)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "p.write_text(str(child.pid)); time.sleep(0.5); sys.exit(3)\n"
    )
    stack = StandInStack(tmp_path, worker_code=code)
    stack.start()
    try:
        first = stack.part("worker").process
        assert supervise(stack, until(lambda: stack.part("worker").process is not first), 0.05) == 0
        orphan = int(pid_file.read_text())
        gone = until(lambda: not _running(orphan), timeout_s=5.0)
        while not gone():  # a SIGKILLed process takes a moment to end
            time.sleep(0.02)
        assert not _running(orphan)
        assert stack.part("worker").alive()
    finally:
        stack.stop()


def test_a_worker_that_keeps_dying_stops_the_stack_after_three_restarts(tmp_path: Path) -> None:
    stack = StandInStack(tmp_path, worker_code="import sys, time; time.sleep(0.2); sys.exit(4)")
    stack.start()
    try:
        assert supervise(stack, until(lambda: False), poll_s=0.05) == 1
        assert sum("restarting worker" in line for line in stack.said) == RESTARTS_ALLOWED
        assert "worker died 4 times within 10 minutes: stopping everything" in stack.said
    finally:
        stack.stop()


def test_the_stack_stops_when_its_prefect_server_dies(stack: StandInStack) -> None:
    server = stack.part("prefect-server").process
    assert server is not None
    os.kill(server.pid, signal.SIGKILL)
    assert supervise(stack, until(lambda: False), poll_s=0.05) == 1
    assert "the stack cannot go on without its prefect-server: stopping everything" in stack.said


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, reaped by nobody here, counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_receiver_whose_port_another_program_took_is_not_restarted(tmp_path: Path) -> None:
    """Its health check took the other program's answer for the new receiver's ("ready"), the
    new receiver died on the taken port, three times, then the stack stopped (review)."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        stack = StandInStack(tmp_path, receiver_port=port)
        stack.start()
        try:
            receiver = stack.part("receiver").process
            assert receiver is not None
            os.kill(receiver.pid, signal.SIGKILL)
            assert supervise(stack, until(lambda: False), poll_s=0.05) == 1
        finally:
            stack.stop()
    assert (
        f"receiver could not be restarted: port {port} on 127.0.0.1 was taken by another "
        "program after the receiver died"
    ) in stack.said


def test_a_part_that_cannot_be_started_again_stops_the_stack_with_a_message(
    tmp_path: Path,
) -> None:
    """An OSError from starting it (its Python gone with a recreated venv, no memory to fork)
    ended `raidlib up` with a traceback."""
    stack = StandInStack(tmp_path)
    stack.start()
    try:
        worker = stack.part("worker").process
        assert worker is not None
        stack.python = str(tmp_path / "no-such-python")
        os.kill(worker.pid, signal.SIGKILL)
        assert supervise(stack, until(lambda: False), poll_s=0.05) == 1
    finally:
        stack.stop()
    assert any(
        line.startswith("worker could not be restarted: worker could not be started:")
        for line in stack.said
    )


def test_a_receiver_that_dies_at_once_is_reported_as_dead_not_as_slow(tmp_path: Path) -> None:
    """`raidlib up` must say at once that the part exited, with its last words, instead of
    waiting out the startup timeout (90 s by default) and calling it unhealthy."""
    with socket.socket() as refusing:  # bound but not listening: every health check is refused
        refusing.bind(("127.0.0.1", 0))
        stack = StandInStack(tmp_path, receiver_port=refusing.getsockname()[1])
        stack.config.startup_timeout_s = 2.0
        code = "import sys; print('the bronze root is a file'); sys.exit(3)"
        receiver = Component(
            "receiver",
            [stack.python, "-c", code],
            dict(os.environ),
            stack.logs_dir / "receiver.log",
            stack.state_dir,
        )
        stack._launch(receiver)
        try:
            assert receiver.process is not None and receiver.process.wait(timeout=10) == 3
            with pytest.raises(StackError) as raised:
                stack._wait_http(receiver, f"{stack.receiver_url}/health")
        finally:
            stack.stop()
    said = str(raised.value)
    assert said.startswith(
        f"receiver exited with code 3 before it was healthy at {stack.receiver_url}/health"
    )
    assert "the bronze root is a file" in said
