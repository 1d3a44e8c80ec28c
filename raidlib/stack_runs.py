"""Flow runs in progress when ``raidlib up`` stops: ended while the Prefect server still answers.

Prefect's worker starts each flow run as a process in a session of its own, so stopping the
worker's process group does not reach it, and the server stopped next. The run then died on its
next log line (its output went to the gone worker) without reporting anything: it showed as
Running forever, and the concurrency slot it held kept the next ``raidlib up``'s gold runs
waiting until the slot's 5-minute lease ran out (live audit). Each run is sent SIGTERM instead,
which Prefect's engine turns into a Crashed state and a release of its slots; one that has not
ended within the wait is marked Crashed through the API, with its subflows.

Only a process that is verifiably the run's own gets the signal: Prefect records a bare pid,
and a run left Running by an earlier crash or reboot may name a pid that another program now
has (review). Without a way to check (neither ``/proc`` nor psutil), or on Windows, where a
signal is an immediate kill that no run can report, the runs are only marked Crashed; their
slots then come free when their leases lapse.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from raidlib.prefect_setup import WORK_POOL_NAME

ACTIVE_STATES = ("RUNNING", "PENDING")
RUNS_STOP_WAIT_S = 20.0
"""How long the flow runs get to report themselves Crashed before they are marked so."""
_STOPPED_MESSAGE = "stopped with `raidlib up`: run it again to finish its work"


def active_flow_runs(
    api_url: str, run_ids: list[str] | None = None, *, parents: list[str] | None = None
) -> list[dict[str, Any]]:
    """The work pool's flow runs that are running or about to (of ``run_ids`` when given), or
    the active subflow runs of ``parents``."""
    runs: dict[str, Any] = {"state": {"type": {"any_": list(ACTIVE_STATES)}}}
    body: dict[str, Any] = {"flow_runs": runs, "limit": 200}
    if parents is not None:
        runs["parent_flow_run_id"] = {"any_": parents}
    else:
        body["work_pools"] = {"name": {"any_": [WORK_POOL_NAME]}}
    if run_ids is not None:
        runs["id"] = {"any_": run_ids}
    response = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=5.0)
    response.raise_for_status()
    return list(response.json())


def stop_flow_runs(
    api_url: str, echo: Callable[[str], None], wait_s: float = RUNS_STOP_WAIT_S
) -> None:
    """SIGTERM each active flow run of the pool whose process is verifiably its own, until
    none is active or ``wait_s`` has passed (runs that start meanwhile included), then mark
    those still active Crashed, with their subflows. A server that does not answer is left
    alone (nothing could record the runs' end anyway)."""
    try:
        runs = active_flow_runs(api_url)
    except httpx.HTTPError:
        return
    if not runs:
        return
    names = ", ".join(str(run.get("name")) for run in runs)
    echo(f"stopping {len(runs)} flow run(s) in progress ({names}) ...")
    signalled: set[int] = set()
    can_signal = sys.platform != "win32"
    deadline = time.monotonic() + (wait_s if can_signal else 0.0)
    while True:
        if can_signal:
            for run in runs:
                _signal_if_its_own(run, signalled)
        if not runs or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
        with contextlib.suppress(httpx.HTTPError):  # a busy server: ask again at the next turn
            runs = active_flow_runs(api_url)
    if runs:
        marked = _mark_crashed_with_subflows(api_url, [str(run["id"]) for run in runs])
        echo(f"  marked {marked} flow run(s) Crashed that did not end by themselves")


def _signal_if_its_own(run: dict[str, Any], signalled: set[int]) -> None:
    """SIGTERM the run's process when it is the run's own, once (noted in ``signalled``)."""
    pid = _pid(run.get("infrastructure_pid"))
    if pid is None or pid in signalled or not _runs_flow_run(pid, str(run["id"])):
        return
    signalled.add(pid)
    with contextlib.suppress(OSError):  # gone meanwhile (ProcessLookupError), or not ours
        os.kill(pid, signal.SIGTERM)


def _pid(infrastructure_pid: Any) -> int | None:
    """The process id Prefect recorded (a bare pid; some versions wrote ``host:pid``)."""
    pid = str(infrastructure_pid or "").rpartition(":")[2]
    return int(pid) if pid.isdigit() else None


def _runs_flow_run(pid: int, run_id: str) -> bool:
    """Whether process ``pid`` is the one Prefect started for flow run ``run_id`` (its
    environment names the run), as far as this platform lets us see."""
    wanted = f"PREFECT__FLOW_RUN_ID={run_id}"
    try:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            return wanted.encode() in environ.read().split(b"\0")
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):  # Linux: no such process
            return False
    except OSError:  # another user's process
        return False
    try:
        import psutil  # noqa: PLC0415 (optional: installed with the dask extra)

        return psutil.Process(pid).environ().get("PREFECT__FLOW_RUN_ID") == run_id
    except ImportError:
        return False
    except (psutil.Error, OSError):
        return False


def _mark_crashed_with_subflows(api_url: str, run_ids: list[str]) -> int:
    """Mark ``run_ids`` and their active subflows Crashed; how many were marked."""
    marked = 0
    with contextlib.suppress(httpx.HTTPError):
        children = [str(run["id"]) for run in active_flow_runs(api_url, parents=run_ids)]
        for run_id in [*children, *run_ids]:
            state = {"type": "CRASHED", "name": "Crashed", "message": _STOPPED_MESSAGE}
            httpx.post(
                f"{api_url}/flow_runs/{run_id}/set_state",
                json={"state": state, "force": True},
                timeout=5.0,
            ).raise_for_status()
            marked += 1
    return marked
