"""Flow runs in progress when ``raidlib up`` stops: ended while the Prefect server still answers.

Prefect's worker starts each flow run as a process in a session of its own, so stopping the
worker's process group does not reach it, and the server stopped next. The run then died on its
next log line (its output went to the gone worker) without reporting anything: it showed as
Running forever, and the concurrency slot it held kept the next ``raidlib up``'s gold runs
waiting until the slot's 5-minute lease ran out (live audit). Each run is sent SIGTERM instead,
which Prefect's engine turns into a Crashed state and a release of its slots; one that has not
ended within the wait is marked Crashed through the API.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx

from raidlib.prefect_setup import WORK_POOL_NAME

ACTIVE_STATES = ("RUNNING", "PENDING")
RUNS_STOP_WAIT_S = 20.0
"""How long the flow runs get to report themselves Crashed before they are marked so."""
_STOPPED_MESSAGE = "stopped with `raidlib up`: run it again to finish its work"


def active_flow_runs(api_url: str, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """The work pool's flow runs that are running or about to (of ``run_ids`` when given)."""
    runs: dict[str, Any] = {"state": {"type": {"any_": list(ACTIVE_STATES)}}}
    if run_ids is not None:
        runs["id"] = {"any_": run_ids}
    body = {"flow_runs": runs, "work_pools": {"name": {"any_": [WORK_POOL_NAME]}}, "limit": 200}
    response = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=5.0)
    response.raise_for_status()
    return list(response.json())


def stop_flow_runs(
    api_url: str, echo: Callable[[str], None], wait_s: float = RUNS_STOP_WAIT_S
) -> None:
    """SIGTERM each active flow run of the pool that runs on this machine, wait up to
    ``wait_s`` for them to end, and mark those still active Crashed. A server that does not
    answer is left alone (nothing could record the runs' end anyway)."""
    try:
        runs = active_flow_runs(api_url)
    except httpx.HTTPError:
        return
    if not runs:
        return
    names = ", ".join(str(run.get("name")) for run in runs)
    echo(f"stopping {len(runs)} flow run(s) in progress ({names}) ...")
    for run in runs:
        pid = _local_pid(run.get("infrastructure_pid"))
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
    ids = [str(run["id"]) for run in runs]
    deadline = time.monotonic() + wait_s
    left = runs
    with contextlib.suppress(httpx.HTTPError):
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = active_flow_runs(api_url, ids)
        for run in left:
            _mark_crashed(api_url, str(run["id"]))
    if left:
        echo(f"  marked {len(left)} flow run(s) Crashed that did not end within {wait_s:.0f} s")


def _local_pid(infrastructure_pid: Any) -> int | None:
    """The process id of a run started on this machine (Prefect records ``pid``, older
    versions ``host:pid``)."""
    host, _, pid = str(infrastructure_pid or "").rpartition(":")
    if not pid.isdigit() or (host and host != socket.gethostname()):
        return None
    return int(pid)


def _mark_crashed(api_url: str, run_id: str) -> None:
    state = {"type": "CRASHED", "name": "Crashed", "message": _STOPPED_MESSAGE}
    httpx.post(
        f"{api_url}/flow_runs/{run_id}/set_state",
        json={"state": state, "force": True},
        timeout=5.0,
    ).raise_for_status()
