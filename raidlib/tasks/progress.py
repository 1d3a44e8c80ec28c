"""Progress of a long task, where its user looks: the Prefect UI and the run's log.

Landing a season of raids in bronze takes a minute or more; without this the task's log said
nothing until it ended. The UI gets a progress artifact (updated at most once per percent, so
about 100 API calls whatever the size); the log gets a line at most every ``log_every_s``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact


class TaskProgress:
    """``advance(done)`` as work completes, out of ``total`` ``unit`` (e.g. events).

    ``total`` may be learnt later (the size of a file once opened): pass it to ``advance``.
    """

    def __init__(
        self,
        key: str,
        description: str,
        unit: str,
        total: int = 0,
        *,
        log_every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.description, self.total, self.unit = description, total, unit
        self._log_every_s, self._clock = log_every_s, clock
        self._last_log = clock()
        self._shown_percent = 0.0
        artifact_id = create_progress_artifact(progress=0.0, key=key, description=description)
        assert isinstance(artifact_id, UUID)  # called from a sync task: Prefect ran it sync
        self._artifact_id = artifact_id

    def percent(self, done: int) -> float:
        return 100.0 * done / self.total if self.total else 100.0

    def advance(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` are finished (a running count, not an increment)."""
        if total is not None:
            self.total = total
        percent = self.percent(done)
        if percent - self._shown_percent >= 1.0 or (percent >= 100.0 > self._shown_percent):
            self._shown_percent = percent
            update_progress_artifact(artifact_id=self._artifact_id, progress=percent)
        now = self._clock()
        if now - self._last_log >= self._log_every_s and percent < 100.0:
            self._last_log = now
            get_run_logger().info(
                "%s: %s of %s %s (%.0f %%)",
                self.description,
                f"{done:,}",
                f"{self.total:,}",
                self.unit,
                percent,
            )

    def finish(self) -> None:
        """Show 100 % (the work may have ended short of ``total``, e.g. rejected batches)."""
        if self._shown_percent < 100.0:
            self._shown_percent = 100.0
            update_progress_artifact(artifact_id=self._artifact_id, progress=100.0)
