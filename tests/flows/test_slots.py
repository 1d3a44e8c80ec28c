"""One-at-a-time slots: a run that cannot get one fails clearly instead of hanging, and a run
that died never keeps one."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from raidlib.tasks.setup import exclusive_slot

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_busy_slot_fails_after_the_wait_naming_the_limit() -> None:
    name = "raidlib-test-busy-slot"
    with (
        exclusive_slot(name, wait_s=30),
        pytest.raises(TimeoutError, match=f"'{name}'.*RAIDLIB_SLOT_WAIT_S"),
        exclusive_slot(name, wait_s=1),
    ):
        pass  # pragma: no cover - never entered


def test_a_wait_on_a_server_slot_is_announced_without_a_prefect_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A run alone on a slow server read "held by another run", beside an ERROR Prefect logs
    for every timed-out slot request (live audit): the wait is announced neutrally, once."""
    import raidlib.tasks.setup as setup

    prefect_records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = prefect_records.append  # type: ignore[method-assign]
    concurrency_log = logging.getLogger("prefect._internal.concurrency")
    concurrency_log.addHandler(handler)
    monkeypatch.setattr(setup, "_FIRST_TRY_SERVER_S", 0.3)
    name = "raidlib-test-announced-slot"
    try:
        with (
            exclusive_slot(name, wait_s=30),
            pytest.raises(TimeoutError, match=f"'{name}'"),
            exclusive_slot(name, wait_s=1.0),
        ):
            pass  # pragma: no cover - never entered
    finally:
        concurrency_log.removeHandler(handler)
    assert f"slot '{name}' is not free yet (another run holds it, or the Prefect" in caplog.text
    assert "held by another run" not in caplog.text
    assert not [r for r in prefect_records if r.levelno >= logging.ERROR]


def test_a_released_slot_can_be_taken_again() -> None:
    name = "raidlib-test-reused-slot"
    for _ in range(3):
        with exclusive_slot(name, wait_s=5):
            pass


@pytest.fixture
def temporary_server_home(tmp_path: Path) -> Iterator[Path]:
    """What a flow script without PREFECT_API_URL sees: no server URL, its own PREFECT_HOME."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: None, PREFECT_HOME: tmp_path / "home"}):
        yield tmp_path / "home"


@pytest.mark.parametrize("server", [True, False], ids=["server", "temporary-server"])
def test_a_timeout_of_the_work_is_not_reported_as_a_busy_slot(
    server: bool, request: pytest.FixtureRequest
) -> None:
    if not server:
        request.getfixturevalue("temporary_server_home")
    with (
        pytest.raises(TimeoutError, match="^the store did not answer$"),
        exclusive_slot("raidlib-test-work-timeout", wait_s=5),
    ):
        raise TimeoutError("the store did not answer")


@pytest.mark.usefixtures("temporary_server_home")
def test_without_a_server_a_busy_slot_fails_naming_its_lock_file(
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = "raidlib-test-busy-machine-slot"
    with (
        exclusive_slot(name, wait_s=30),
        pytest.raises(TimeoutError, match=f"'{name}'.*lock file .*RAIDLIB_SLOT_WAIT_S"),
        exclusive_slot(name, wait_s=1.5),
    ):
        pass  # pragma: no cover - never entered
    # the wait was announced, not silent
    assert f"slot '{name}' is held by another run: waiting up to 1.5 s" in caplog.text


def test_without_a_server_a_killed_run_does_not_keep_its_slot(temporary_server_home: Path) -> None:
    """kill -9 of a flow script on Prefect's temporary server used to leave the slot taken for
    good: every later run waited RAIDLIB_SLOT_WAIT_S and failed."""
    name = "raidlib-test-killed-holder"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from raidlib.tasks.setup import exclusive_slot\n"
            f"with exclusive_slot({name!r}, wait_s=30):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(120)\n",
        ],
        env={
            **{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
            "PREFECT_HOME": str(temporary_server_home),
        },
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(TimeoutError), exclusive_slot(name, wait_s=0.5):
            pass  # pragma: no cover - the holder is alive
    finally:
        holder.kill()
        holder.wait(timeout=30)
    with exclusive_slot(name, wait_s=5):  # taken at once, not after the wait
        pass


def test_a_gold_run_waits_for_the_gold_slot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two gold runs at once could write a raid from older silver last and record the newer
    silver as built; a gold run holds raidlib-silver-to-gold from planning to recording."""
    from flows.silver_to_gold import silver_to_gold
    from raidlib.prefect_setup import GOLD_LIMIT_NAME

    monkeypatch.setenv("RAIDLIB_SLOT_WAIT_S", "1")
    with (
        exclusive_slot(GOLD_LIMIT_NAME, wait_s=30),
        pytest.raises(TimeoutError, match=GOLD_LIMIT_NAME),
    ):
        silver_to_gold(lake=str(tmp_path / "lake"), backend="pandas")
