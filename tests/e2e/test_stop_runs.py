"""Stopping the stack ends the flow runs in progress on the real server, and frees their slots."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from raidlib.prefect_setup import DIM_PLAYER_LIMIT_NAME, GOLD_LIMIT_NAME
from raidlib.stack import Stack
from raidlib.stack_runs import active_flow_runs, stop_flow_runs

from .conftest import MedallionRun

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

WAIT_S = 150


def _until(what: str, check: Any) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not within {WAIT_S} s: {what}")


def test_a_run_stopped_with_the_stack_ends_crashed_and_gives_its_slot_back(
    stack: Stack, prefect_client: Any, medallion_run: MedallionRun
) -> None:
    """`raidlib up` stopped mid-run left the run Running for good, and its gold slot kept the
    next start's runs waiting 5 minutes (live audit). A run holding the gold slot (it waits
    for dim_player's, which the test holds) is stopped the way ``Stack.stop`` stops it."""
    api = stack.api_url
    held = httpx.post(
        f"{api}/v2/concurrency_limits/increment-with-lease",
        json={"names": [DIM_PLAYER_LIMIT_NAME], "slots": 1, "mode": "concurrency"},
        timeout=10,
    )
    held.raise_for_status()
    try:
        deployment = prefect_client.read_deployment_by_name("silver_to_gold/silver_to_gold")
        run = prefect_client.create_flow_run_from_deployment(
            deployment.id, parameters={"rebuild": True}
        )
        log = stack.logs_dir / "worker.log"
        waiting = f"slot '{DIM_PLAYER_LIMIT_NAME}' is not free yet"
        _until("the run waits for dim_player's slot", lambda: waiting in log.read_text())
        assert [r["id"] for r in active_flow_runs(api)] == [str(run.id)]
        gold = prefect_client.read_global_concurrency_limit_by_name(GOLD_LIMIT_NAME)
        assert gold.active_slots == 1  # the run holds it

        said: list[str] = []
        stop_flow_runs(api, said.append, wait_s=60)

        assert prefect_client.read_flow_run(run.id).state.type.value == "CRASHED"
        assert not any("marked" in line for line in said), said  # it reported itself
        gold = prefect_client.read_global_concurrency_limit_by_name(GOLD_LIMIT_NAME)
        assert gold.active_slots == 0
        assert active_flow_runs(api) == []
    finally:
        httpx.post(
            f"{api}/v2/concurrency_limits/decrement-with-lease",
            json={"lease_id": held.json()["lease_id"]},
            timeout=10,
        )


def test_a_run_whose_recorded_process_is_not_its_own_is_marked_never_signalled(
    stack: Stack, prefect_client: Any
) -> None:
    """A run left Running by an earlier crash names a pid that another program may have by
    now: stopping the stack must not kill that program (review)."""
    from prefect.states import Running

    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        deployment = prefect_client.read_deployment_by_name("ingest/ingest")
        # Running from the start, so the worker never takes it.
        run = prefect_client.create_flow_run_from_deployment(deployment.id, state=Running())
        prefect_client.update_flow_run(run.id, infrastructure_pid=str(bystander.pid))
        said: list[str] = []
        stop_flow_runs(stack.api_url, said.append, wait_s=2)
        assert bystander.poll() is None, "an unrelated process was signalled"
        assert prefect_client.read_flow_run(run.id).state.type.value == "CRASHED"
        assert "marked 1 flow run(s) Crashed" in said[-1]
    finally:
        bystander.kill()
        bystander.wait(timeout=30)
