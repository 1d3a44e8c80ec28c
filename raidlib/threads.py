"""I/O fan-out on a thread pool that keeps the caller's context.

Reading and writing many small lake objects is I/O-bound, so the pipelines spread it over
threads. A plain ``ThreadPoolExecutor`` runs each call outside the caller's context variables,
so a log line from a worker thread (a bronze object read line by line) lost the Prefect run it
belongs to and never reached the run's log; each call here runs in a copy of the caller's
context, as Prefect's own threads do.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_in_threads(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """``[fn(item) for item in items]`` on up to ``max_workers`` threads, results in order; the
    first exception raised by a call is raised here."""
    jobs = [(contextvars.copy_context(), item) for item in items]
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs))) as pool:
        return list(pool.map(lambda job: job[0].run(fn, job[1]), jobs))
