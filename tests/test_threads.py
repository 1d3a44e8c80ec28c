"""The lake's I/O fan-out: results in order, errors raised, the caller's context kept."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from raidlib.threads import imap_in_threads, map_in_threads

RUN = contextvars.ContextVar("RUN", default="none")


def test_results_come_back_in_order_from_several_threads() -> None:
    seen: set[str] = set()

    def work(i: int) -> int:
        seen.add(threading.current_thread().name)
        return i * i

    assert map_in_threads(work, range(50), max_workers=4) == [i * i for i in range(50)]
    assert map_in_threads(work, [], max_workers=4) == []
    assert seen


def test_each_call_sees_the_callers_context() -> None:
    """A Prefect run is a context variable: log lines from these threads stay in its log."""
    token = RUN.set("flow-run-1")
    try:
        assert map_in_threads(lambda _: RUN.get(), range(8), max_workers=4) == ["flow-run-1"] * 8
    finally:
        RUN.reset(token)


def test_an_error_in_a_call_is_raised() -> None:
    def work(i: int) -> int:
        if i == 3:
            raise OSError("bronze object gone")
        return i

    with pytest.raises(OSError, match="bronze object gone"):
        map_in_threads(work, range(6), max_workers=2)


def test_results_are_handed_over_while_later_calls_still_run() -> None:
    """The caller gets the first result before the last call has finished."""
    last_may_finish = threading.Event()

    def work(i: int) -> int:
        if i == 3:
            assert last_may_finish.wait(10)
        return i

    results = imap_in_threads(work, range(4), max_workers=4)
    assert [next(results), next(results), next(results)] == [0, 1, 2]
    last_may_finish.set()
    assert list(results) == [3]


def test_leaving_early_cancels_the_calls_not_started() -> None:
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        time.sleep(0.01)
        return i

    results = imap_in_threads(work, range(100), max_workers=1)
    assert next(results) == 0
    results.close()
    assert len(started) < 100


def test_the_look_ahead_stays_within_its_budget() -> None:
    """Results fetched but not yet taken weigh at most the budget (here: 3 items of weight 1)."""
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        return i

    taken = []
    for value in imap_in_threads(work, range(20), max_workers=8, ahead=(lambda _: 1.0, 3.0)):
        time.sleep(0.005)  # the threads would run far ahead of a slow caller without a budget
        taken.append(value)
        assert len(started) - len(taken) <= 3
    assert taken == list(range(20))


def test_an_item_heavier_than_the_budget_still_runs_alone() -> None:
    results = imap_in_threads(lambda i: i, [1, 50, 2], max_workers=4, ahead=(float, 10.0))
    assert list(results) == [1, 50, 2]
