"""Submitting a flow's independent partitions without running all of them at once.

Silver's batch groups and gold's groups of raids are independent, so a flow submits one task
each. On Prefect's default thread pool every submitted task starts at once, and each holds its
partition's frames: a season of 40 raids built one per task, all together, needed 1.7 GB
instead of 0.4 GB two at a time, and on a GPU every task planned against the same free memory.
So in the flow's own process only ``parallel_tasks`` partitions are in flight; on another engine
(a Dask cluster) everything is submitted and the engine's workers bound the parallelism.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from raidlib.settings import Settings

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_PARALLEL_TASKS = 2
"""Partitions in flight on pandas when ``RAIDLIB_PARALLEL_TASKS`` is unset: two overlap one's
I/O with the other's compute; more only adds memory (pandas holds the GIL while it groups)."""


def current_task_runner() -> Any:
    """The task runner of the flow run this is called in (``None`` outside a flow run)."""
    context = FlowRunContext.get()
    return context.task_runner if context is not None else None


def parallel_limit(settings: Settings, backend_name: str, task_runner: Any) -> int | None:
    """How many partitions to keep in flight; ``None``: submit all (the engine bounds them).

    Only Prefect's in-process thread pool is bounded here. An explicit ``parallel_tasks``
    setting wins; otherwise one at a time on cuDF, :data:`DEFAULT_PARALLEL_TASKS` on pandas.
    """
    if not isinstance(task_runner, ThreadPoolTaskRunner):
        return None
    if settings.parallel_tasks is not None:
        return settings.parallel_tasks
    return 1 if backend_name == "cudf" else DEFAULT_PARALLEL_TASKS


def describe_limit(limit: int | None) -> str:
    """How the work is spread, for the flow's log line."""
    if limit is None:
        return "all submitted to the task runner"
    return f"{limit} at a time (RAIDLIB_PARALLEL_TASKS)"


def submit_within(
    submit: Callable[[T], PrefectFuture[R]], items: Sequence[T], limit: int | None
) -> list[R]:
    """``submit(item)`` for every item with at most ``limit`` unfinished; results in item order.

    A task that fails raises here as soon as it is collected, and nothing more is submitted.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1 (or None), got {limit}")
    results: dict[int, R] = {}
    in_flight: dict[PrefectFuture[R], int] = {}

    def collect_one() -> None:
        finished = next(as_completed(list(in_flight)))
        results[in_flight.pop(finished)] = finished.result()

    for index, item in enumerate(items):
        if limit is not None and len(in_flight) >= limit:
            collect_one()
        in_flight[submit(item)] = index
    while in_flight:
        collect_one()
    return [results[i] for i in range(len(items))]
