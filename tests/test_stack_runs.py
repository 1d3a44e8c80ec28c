"""Flow runs in progress when `raidlib up` stops are ended: which ones, and how. Runs made on
the test API server (tests/e2e/test_stop_runs.py has one a real worker started)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from raidlib.prefect_setup import WORK_POOL_NAME, ensure_work_pool
from raidlib.stack_runs import active_flow_runs, stop_flow_runs

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def client() -> Iterator[Any]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        ensure_work_pool(c)
        yield c


@pytest.fixture
def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


@pytest.fixture
def deployment_id(client: Any, api_url: str) -> Iterator[Any]:
    flow_id = client.create_flow_from_name("stack-runs-test")
    name = f"stop-{uuid.uuid4().hex[:8]}"
    yield client.create_deployment(flow_id, name, work_pool_name=WORK_POOL_NAME)
    stop_flow_runs(api_url, lambda _: None, wait_s=0)  # no run left active for the next test


def _state(client: Any, run_id: Any) -> str:
    return client.read_flow_run(run_id).state.type.value


def test_a_run_waiting_to_start_is_marked_crashed_too(
    client: Any, api_url: str, deployment_id: Any
) -> None:
    """A Pending run would start after the stack is gone and hold its slots: it is ended too."""
    from prefect.states import Pending

    run = client.create_flow_run_from_deployment(deployment_id, state=Pending())
    said: list[str] = []
    stop_flow_runs(api_url, said.append, wait_s=0)
    assert _state(client, run.id) == "CRASHED"
    assert "marked 1 flow run(s) Crashed" in said[-1]


def test_the_subflows_of_a_run_marked_crashed_are_marked_too(
    client: Any, api_url: str, deployment_id: Any
) -> None:
    """A subflow runs outside the pool, in its parent's process: left Running, it would show
    in progress forever."""
    from prefect import flow, task
    from prefect.states import Running

    parent = client.create_flow_run_from_deployment(deployment_id, state=Running())
    step = client.create_task_run(task(lambda: None, name="step"), parent.id, dynamic_key="0")
    child = client.create_flow_run(
        flow(lambda: None, name="stack-runs-child"), parent_task_run_id=step.id, state=Running()
    )
    said: list[str] = []
    stop_flow_runs(api_url, said.append, wait_s=0)
    assert (_state(client, parent.id), _state(client, child.id)) == ("CRASHED", "CRASHED")
    assert "marked 2 flow run(s) Crashed" in said[-1]


def test_stopping_goes_on_as_soon_as_the_runs_have_ended(
    client: Any, api_url: str, deployment_id: Any
) -> None:
    """The wait is for runs still reporting their end: once none is active, `raidlib up`
    stops at once rather than after the whole wait."""
    from prefect.states import Completed, Running

    run = client.create_flow_run_from_deployment(deployment_id, state=Running())
    ends = threading.Timer(1.0, lambda: client.set_flow_run_state(run.id, Completed(), force=True))
    ends.start()
    said: list[str] = []
    started = time.monotonic()
    try:
        stop_flow_runs(api_url, said.append, wait_s=30)
    finally:
        ends.join()
    assert time.monotonic() - started < 15
    assert _state(client, run.id) == "COMPLETED"
    assert not any("marked" in line for line in said), said
    assert active_flow_runs(api_url, [str(run.id)]) == []


@pytest.mark.parametrize(
    ("own", "recorded"),
    [(True, "{pid}"), (True, "host:{pid}"), (False, "{pid}")],
    ids=["own", "own-host-pid", "not-its-own"],
)
def test_only_the_runs_own_process_gets_the_signal(
    client: Any, api_url: str, deployment_id: Any, own: bool, recorded: str
) -> None:
    """The run's process gets SIGTERM, whether Prefect recorded its pid bare or as
    ``host:pid``; a process that is not the run's (a pid reused since) is left alone."""
    from prefect.states import Running

    run = client.create_flow_run_from_deployment(deployment_id, state=Running())
    env = {**os.environ, "PREFECT__FLOW_RUN_ID": str(run.id) if own else str(uuid.uuid4())}
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)
    try:
        client.update_flow_run(run.id, infrastructure_pid=recorded.format(pid=proc.pid))
        stop_flow_runs(api_url, lambda _: None, wait_s=2)
        if own:
            assert proc.wait(timeout=10) == -15  # SIGTERM
        else:
            assert proc.poll() is None, "an unrelated process was signalled"
        assert _state(client, run.id) == "CRASHED"  # this one never reports its end
    finally:
        proc.kill()
        proc.wait(timeout=10)
