"""I/O fan-out on a thread pool that keeps the caller's context.

Reading and writing many small lake objects is I/O-bound, so the pipelines spread it over
threads. A plain ``ThreadPoolExecutor`` runs each call outside the caller's context variables,
so a log line from a worker thread (a bronze object read line by line) lost the Prefect run it
belongs to and never reached the run's log; each call here runs in a copy of the caller's
context, as Prefect's own threads do.
"""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_in_threads(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """``[fn(item) for item in items]`` on up to ``max_workers`` threads, results in order; the
    first exception raised by a call is raised here."""
    return list(imap_in_threads(fn, items, max_workers))


def imap_in_threads(
    fn: Callable[[T], R],
    items: Iterable[T],
    max_workers: int,
    *,
    ahead: tuple[Callable[[T], float], float] | None = None,
) -> Generator[R, None, None]:
    """:func:`map_in_threads`, each result yielded as soon as it and those before it are done.

    The caller works on the first results while the threads fetch the rest (a GPU parses
    bronze while the next objects load). A yielded result is no longer held here, so the caller
    decides how long it stays in memory. Leaving the loop early cancels the calls not started.

    ``ahead=(weight, budget)`` bounds the look-ahead: a call starts only while the weights of
    the items started and not yet yielded stay within ``budget`` (the next one always starts
    when none is), so fetched but unused results hold about ``budget`` (bytes, say) at most.
    """
    weigh, budget = ahead if ahead is not None else ((lambda _: 0.0), 0.0)
    waiting = deque((contextvars.copy_context(), item, weigh(item)) for item in items)
    if not waiting:
        return
    pool = ThreadPoolExecutor(max_workers=min(max_workers, len(waiting)))
    pending: deque[tuple[Future[R], float]] = deque()
    started = 0.0
    try:
        while waiting or pending:
            while waiting and (not pending or started + waiting[0][2] <= budget):
                context, item, weight = waiting.popleft()
                pending.append((pool.submit(context.run, fn, item), weight))
                started += weight
            future, weight = pending.popleft()
            started -= weight
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
