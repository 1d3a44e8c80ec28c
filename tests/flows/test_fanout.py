"""A flow works on a bounded number of partitions at once in its own process."""

from __future__ import annotations

import threading
import time

import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from raidlib.settings import Settings
from raidlib.tasks.fanout import (
    DEFAULT_PARALLEL_TASKS,
    current_task_runner,
    parallel_limit,
    submit_within,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")


class InFlight:
    """Counts how many callers are inside at once, and the most there ever were."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1


def test_a_limit_of_two_runs_two_at_once_never_three_and_keeps_item_order() -> None:
    inside = InFlight()
    pair = threading.Barrier(2, timeout=30)  # passes only when two tasks really overlap

    @task
    def square(n: int) -> int:
        with inside:
            pair.wait()
            time.sleep(0.02)
        return n * n

    @flow
    def squares(items: list[int]) -> list[int]:
        return submit_within(square.submit, items, 2)

    assert squares(list(range(6))) == [0, 1, 4, 9, 16, 25]
    assert inside.most == 2


def test_without_a_limit_everything_is_submitted_at_once() -> None:
    everyone = threading.Barrier(5, timeout=30)  # would time out if fewer than 5 overlapped

    @task
    def meet(n: int) -> int:
        everyone.wait()
        return n

    @flow
    def meeting() -> list[int]:
        return submit_within(meet.submit, range(5), None)

    assert meeting() == [0, 1, 2, 3, 4]


def test_a_failed_task_stops_further_submissions_and_raises_its_error() -> None:
    started: list[int] = []

    @task
    def check(n: int) -> int:
        started.append(n)
        if n == 1:
            raise ValueError("raid 1 is broken")
        return n

    @flow
    def checks() -> list[int]:
        return submit_within(check.submit, range(4), 1)

    with pytest.raises(ValueError, match="raid 1 is broken"):
        checks()
    assert started == [0, 1]


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        submit_within(lambda item: item, [1], 0)  # type: ignore[arg-type, return-value]


def test_the_limit_follows_the_backend_the_setting_and_the_task_runner() -> None:
    threads = ThreadPoolTaskRunner()
    unset = Settings(_env_file=None)
    assert parallel_limit(unset, "pandas", threads) == DEFAULT_PARALLEL_TASKS
    assert parallel_limit(unset, "cudf", threads) == 1  # one GPU, planned one step at a time
    assert parallel_limit(Settings(_env_file=None, parallel_tasks=6), "cudf", threads) == 6
    assert parallel_limit(unset, "pandas", object()) is None  # e.g. a Dask cluster decides
    assert current_task_runner() is None  # outside a flow run


def test_the_setting_is_validated_and_named_as_the_user_sets_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from raidlib.settings import describe_invalid_settings

    monkeypatch.setenv("RAIDLIB_PARALLEL_TASKS", "0")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert "RAIDLIB_PARALLEL_TASKS" in describe_invalid_settings(caught.value)
