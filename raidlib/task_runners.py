"""Where a flow's tasks run: Prefect's default thread pool, or an existing Dask cluster.

Silver's independent batch groups and gold's per-raid builds are ordinary submitted tasks, so
putting a flow on a Dask task runner spreads them over the cluster's workers (dask-cuda workers
for GPUs) without touching the tasks. Prefect fixes a flow's task runner when the flow is
defined, so the choice is made by the flow that calls it: ``medallion`` passes it to its two
subflows.
"""

from __future__ import annotations

import socket
from typing import Any, TypeVar
from urllib.parse import urlsplit

F = TypeVar("F")

DASK_EXTRA_HINT = "install the dask extra (.venv/bin/pip install -e '.[dask]')"


class TaskRunnerUnavailableError(RuntimeError):
    """A Dask scheduler was given but prefect-dask is not installed."""


def dask_task_runner(address: str) -> Any:
    """A Prefect task runner that submits to the Dask scheduler at ``address`` (``tcp://…``)."""
    try:
        from prefect_dask import DaskTaskRunner  # noqa: PLC0415 — optional extra
    except ImportError as exc:
        raise TaskRunnerUnavailableError(
            f"a Dask scheduler ({address}) was given but prefect-dask is missing; {DASK_EXTRA_HINT}"
        ) from exc
    return DaskTaskRunner(address=address)


SCHEDULER_CONNECT_S = 5.0
"""How long :func:`check_scheduler` waits for a scheduler to accept a connection."""


def check_scheduler(address: str, timeout_s: float = SCHEDULER_CONNECT_S) -> None:
    """Raise :class:`TaskRunnerUnavailableError` when nothing accepts connections at a
    ``tcp://host:port`` scheduler address. Prefect's Dask runner would wait 30 s for it and
    then fail the run with a bare ``OSError``; other schemes (``tls://``, ``ucx://``) are left
    to Dask."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp":
        return
    try:
        host, port = parts.hostname or "127.0.0.1", parts.port or 8786
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except (OSError, ValueError) as exc:
        raise TaskRunnerUnavailableError(
            f"no Dask scheduler answers at {address} ({exc}); start one (dask scheduler "
            "--host 127.0.0.1, README: Scaling out) or correct --dask-address"
        ) from exc


def on_dask(flow: F, address: str | None) -> F:
    """``flow`` with its tasks on the Dask scheduler at ``address``; ``flow`` itself if None."""
    if not address:
        return flow
    return flow.with_options(task_runner=dask_task_runner(address))  # type: ignore[attr-defined]
