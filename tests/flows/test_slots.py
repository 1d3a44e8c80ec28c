"""One-at-a-time slots: a run that cannot get one fails clearly instead of hanging."""

from __future__ import annotations

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


def test_a_released_slot_can_be_taken_again() -> None:
    name = "raidlib-test-reused-slot"
    for _ in range(3):
        with exclusive_slot(name, wait_s=5):
            pass
