"""Choosing where a flow's tasks run."""

from __future__ import annotations

import sys

import pytest
from prefect import flow

from raidlib.task_runners import TaskRunnerUnavailableError, dask_task_runner, on_dask


@flow
def tiny() -> int:
    return 1


def test_without_an_address_the_flow_is_unchanged() -> None:
    assert on_dask(tiny, None) is tiny


def test_an_address_without_prefect_dask_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prefect_dask", None)  # import fails as if not installed
    with pytest.raises(TaskRunnerUnavailableError, match=r"pip install -e '\.\[dask\]'"):
        dask_task_runner("tcp://127.0.0.1:8786")


def test_an_address_gives_a_dask_runner_for_that_scheduler() -> None:
    pytest.importorskip("prefect_dask")
    runner = on_dask(tiny, "tcp://127.0.0.1:8786").task_runner
    assert type(runner).__name__ == "DaskTaskRunner" and runner.address == "tcp://127.0.0.1:8786"
