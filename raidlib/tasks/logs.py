"""raidlib's own log lines in the Prefect run's log, where a flow's user looks.

The pipelines log on ``raidlib.*`` loggers rather than through Prefect, so that they run
without it (the GPU machine's tests, notebooks). Those lines say what a user of the GPU path
needs to know — a raid or batch too big for the card built on pandas, a step rerun after running
out of GPU memory, a backlog cut into GPU-sized chunks, a bronze object read line by line — but
Prefect sends only its own loggers to the API, and Python drops INFO lines by default. Inside a
flow or task run, :class:`RunLogForwarder` hands each ``raidlib`` record to Prefect's API log
handler, so it shows in the Prefect UI beside the task's own lines; outside a run it does
nothing (Prefect's handler would warn there).
"""

from __future__ import annotations

import logging

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler
from prefect.settings import get_current_settings

LIBRARY_LOGGER = "raidlib"
BACKEND_LOGGER = "raidlib.backend"
"""Its once-per-process choice line repeats what each flow logs itself (``backend: …``)."""


def in_a_run() -> bool:
    """Whether this code runs inside a Prefect flow or task run."""
    return TaskRunContext.get() is not None or FlowRunContext.get() is not None


class OutsideRuns(logging.Filter):
    """Keeps a record only outside Prefect runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not in_a_run()


class RunLogForwarder(logging.Handler):
    """Sends records to the current Prefect run's log (API only: the console already shows
    them through the root logger's handlers)."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._api = APILogHandler()

    def emit(self, record: logging.LogRecord) -> None:
        if in_a_run():
            self._api.handle(record)


def forward_library_logs(name: str = LIBRARY_LOGGER) -> None:
    """Forward ``name``'s INFO and above to Prefect runs (idempotent).

    A level the user set on the logger is kept; otherwise it becomes INFO, or Prefect's
    logging level (``PREFECT_LOGGING_LEVEL``) when that is higher, so those lines also reach
    whatever handlers the process has (Prefect's console handler in a flow script) and go
    quiet with Prefect's. Inside a run the backend choice is left to the flow's own line, once
    per flow run.
    """
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(max(logging.INFO, _prefect_logging_level()))
    if not any(isinstance(h, RunLogForwarder) for h in logger.handlers):
        logger.addHandler(RunLogForwarder())
    backend = logging.getLogger(BACKEND_LOGGER)
    if not any(isinstance(f, OutsideRuns) for f in backend.filters):
        backend.addFilter(OutsideRuns())


def _prefect_logging_level() -> int:
    level = get_current_settings().logging.level
    number = logging.getLevelName(str(level).upper()) if not isinstance(level, int) else level
    return number if isinstance(number, int) else logging.INFO
