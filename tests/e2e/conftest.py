"""End-to-end fixtures: the real local stack (``raidlib.stack``) on loopback, once for tests/e2e.

The first e2e test starts a Prefect server on a free port with a temporary ``PREFECT_HOME``, runs the
set-up, ``prefect deploy --all`` on this checkout's ``prefect.yaml``, a process worker and the
receiver, all through :class:`raidlib.stack.Stack` — the code behind ``raidlib up``. Events
posted to the receiver land in a temporary lake (``RAIDLIB_*_ROOT`` for every child process)
and one ``medallion/medallion`` run is made with ``prefect deployment run --watch``. Every
process is stopped after the last e2e test (package scope, so the stack does not idle on
through the rest of the run), whatever happened. Wall times of every step are printed and
written to ``<tmp>/timings.json`` and ``test-output/e2e-timings.json``, which the root conftest
shows at the end of the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from raidlib.stack import Stack, StackConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
# Where prefect.yaml and flows/ are read from; overridable to try the harness on another tree.
PROJECT_DIR = Path(os.environ.get("E2E_RAIDLIB_PROJECT_DIR", REPO_ROOT)).resolve()
TEST_OUTPUT = REPO_ROOT / "test-output"
RUN_TIMEOUT_S = 150


def free_port() -> int:
    """A port nothing listens on right now (loopback only)."""
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """``n`` different ports nothing listens on right now: each is held until all are chosen,
    or two calls in a row can return the same port (about 1 pair in 17,000)."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(n):
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


class StepTimes(dict[str, float]):
    """Wall seconds per named step, in the order the steps ran."""

    def measure(self, name: str) -> _Timer:
        return _Timer(self, name)


class _Timer:
    def __init__(self, times: StepTimes, name: str) -> None:
        self.times, self.name = times, name

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        self.times[self.name] = round(time.monotonic() - self.started, 2)


@pytest.fixture(scope="package")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="package")
def step_times(e2e_dir: Path) -> Iterator[StepTimes]:
    times = StepTimes()
    e2e_started = time.monotonic()
    yield times
    times["e2e_total"] = round(time.monotonic() - e2e_started, 2)
    text = json.dumps(times, indent=2)
    (e2e_dir / "timings.json").write_text(text, encoding="utf-8")
    TEST_OUTPUT.mkdir(exist_ok=True)
    (TEST_OUTPUT / "e2e-timings.json").write_text(text, encoding="utf-8")
    # The root conftest prints this file at the end of the run (also under pytest-xdist, whose
    # controller never sees this worker's fixtures).


@pytest.fixture(scope="package")
def lake_root(e2e_dir: Path) -> Path:
    return e2e_dir / "lake"


@pytest.fixture(scope="package")
def stack(e2e_dir: Path, lake_root: Path, step_times: StepTimes) -> Iterator[Stack]:
    """Server + set-up + deploy --all + worker + receiver; all stopped after the e2e tests."""
    import yaml

    spec = yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text(encoding="utf-8"))
    missing = [
        d["entrypoint"].split(":")[0]
        for d in spec["deployments"]
        if not (PROJECT_DIR / d["entrypoint"].split(":")[0]).exists()
    ]
    if missing:
        pytest.skip(f"prefect deploy --all needs flow files that do not exist yet: {missing}")
    prefect_port, receiver_port = free_ports(2)
    config = StackConfig(
        project_dir=PROJECT_DIR,
        state_dir=e2e_dir / "state",
        prefect_port=prefect_port,
        receiver_port=receiver_port,
        deploy=True,
        lake=str(lake_root),
        worker_poll_s=1.0,
        startup_timeout_s=90.0,
        stop_timeout_s=8.0,
        extra_env={
            # No scheduler: the 5-minute medallion schedule must not start runs of its own.
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            # The suite's conftest quietens Prefect to WARNING; flow-run logs belong in the UI.
            "PREFECT_LOGGING_LEVEL": "INFO",
        },
    )
    stack = Stack(config, echo=lambda line: print(line, flush=True))
    with step_times.measure("stack_start_total"):
        stack.start()
    step_times.update({f"start_{k}": round(v, 2) for k, v in stack.timings.items()})
    try:
        yield stack
    finally:
        with step_times.measure("stack_stop"):
            stack.stop()
        _keep_logs(stack)


def _keep_logs(stack: Stack) -> None:
    """Copy the components' logs next to the other test output, for post-mortems."""
    target = TEST_OUTPUT / "e2e-logs"
    shutil.rmtree(target, ignore_errors=True)
    if stack.logs_dir.exists():
        shutil.copytree(stack.logs_dir, target)


@pytest.fixture(scope="package")
def prefect_client(stack: Stack) -> Iterator[Any]:
    """A synchronous Prefect client on the stack's API (not the suite's ephemeral one).

    Bound to the URL explicitly: overriding ``PREFECT_API_URL`` for the session would send
    every later in-process flow run of the suite to this server, and Prefect's process-wide
    concurrency-slot service, already bound to the test harness, would then acquire slots on
    one API and release them on the other, leaving later runs waiting on a slot forever.
    """
    from prefect.client.orchestration import SyncPrefectClient

    with SyncPrefectClient(stack.api_url) as client:
        yield client


def run_with_subflows(client: Any, flow_run_id: Any) -> list[Any]:
    """The flow run followed by its subflow runs (medallion runs bronze_to_silver, silver_to_gold)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    parent = client.read_flow_run(flow_run_id)
    children = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])
        )
    )
    return [parent, *children]


def artifacts_of(client: Any, flow_runs: list[Any]) -> list[Any]:
    """Every artifact made in these flow runs (their task runs' included)."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    ids = [run.id for run in flow_runs]
    return client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
    )


@dataclass(frozen=True)
class MedallionRun:
    flow_run_id: str
    returncode: int
    output: str
    events: list[dict[str, Any]]


@pytest.fixture(scope="package")
def medallion_run(
    stack: Stack, lake_root: Path, step_times: StepTimes, e2e_dir: Path
) -> MedallionRun:
    """Post hand-made raids to the receiver, then run ``medallion/medallion`` and watch it."""
    from raidlib.client import EventBatch, post_batches

    from .raids import hand_made_raids

    events = hand_made_raids()
    # Two batches per raid, so silver has more than one bronze object to merge.
    batches = [EventBatch.of(events[i : i + 7], source="e2e") for i in range(0, len(events), 7)]
    with step_times.measure("post_events"):
        summary = post_batches(stack.receiver_url, batches, progress=False)
    assert summary.accepted == len(batches), summary.describe()

    argv = [
        sys.executable, "-m", "prefect", "deployment", "run", "medallion/medallion",
        "--param", f"lake={json.dumps(str(lake_root))}",
        "--watch", "--watch-timeout", str(RUN_TIMEOUT_S),
    ]  # fmt: skip
    with step_times.measure("deployment_run_watch"):
        done = subprocess.run(
            argv,
            cwd=stack.config.project_dir,
            env=stack.child_env(),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S + 30,
            check=False,
        )
    output = done.stdout + done.stderr
    (e2e_dir / "deployment-run.log").write_text(output, encoding="utf-8")
    match = re.search(r"UUID: ([0-9a-f-]{36})", output)
    assert match, f"no flow run id in `prefect deployment run` output:\n{output}"
    return MedallionRun(match.group(1), done.returncode, output, events)
