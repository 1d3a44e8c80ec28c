"""A long task shows its progress in the Prefect UI and, now and then, in its log."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)

from raidlib.generator import FaultConfig
from raidlib.tasks.ingest import generate_raid_batches
from raidlib.tasks.progress import TaskProgress

pytestmark = pytest.mark.usefixtures("prefect_harness")


def progress_artifacts(key: str, flow_run_id: UUID) -> list:
    async def read() -> list:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=[key]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
                )
            )

    return asyncio.run(read())


@task
def land_things(total: int, stop_at: int) -> None:
    seconds = itertools.count(step=2)  # each look at the clock: 2 s later
    progress = TaskProgress(
        "test-progress", "landing", "events", total, log_every_s=5, clock=lambda: next(seconds)
    )
    for done in range(0, stop_at + 1, 100):
        progress.advance(done)
    progress.finish()


@flow
def landing(total: int, stop_at: int) -> None:
    land_things(total, stop_at)


@flow
def generating() -> None:
    generate_raid_batches(1, 7, datetime(2026, 11, 1, tzinfo=UTC), 5, 500, FaultConfig())


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def task_log_lines(run: Callable[[], Any]) -> tuple[Any, list[str]]:
    """``run()``'s result and the task-run log lines it printed."""
    # Prefect's run loggers do not propagate, and the suite sets them to WARNING.
    task_log, seen = logging.getLogger("prefect.task_runs"), Lines()
    level = task_log.level
    task_log.addHandler(seen)
    task_log.setLevel(logging.INFO)
    try:
        return run(), seen.lines
    finally:
        task_log.removeHandler(seen)
        task_log.setLevel(level)


def test_progress_is_logged_now_and_then_and_ends_at_100_percent() -> None:
    # ends short: e.g. rejected batches
    state, seen = task_log_lines(lambda: landing(1_000, 900, return_state=True))
    lines = [line for line in seen if line.startswith("landing:")]
    # 10 calls 2 s apart, a line every 5 s at most, never one claiming 100 %
    assert lines == [
        "landing: 200 of 1,000 events (20 %)",
        "landing: 500 of 1,000 events (50 %)",
        "landing: 800 of 1,000 events (80 %)",
    ]
    (artifact,) = progress_artifacts("test-progress", state.state_details.flow_run_id)
    assert artifact.type == "progress" and float(artifact.data) == 100.0
    assert artifact.description == "landing"


def test_generating_says_what_it_is_doing_before_the_slow_parts() -> None:
    # Simulating and cutting a season into batches takes ~10 s with nothing else to show.
    _, lines = task_log_lines(generating)
    assert lines[0] == "simulating 1 raid(s) of 5 players…"
    assert lines[1].startswith("cutting ") and lines[1].endswith(" events into batches of 500…")
    assert lines[2].startswith("generated ")
