"""Small, fast raids shared by the generator tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from raidlib.generator import RaidConfig

START = datetime(2024, 5, 1, 20, 0, tzinfo=UTC)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def small() -> RaidConfig:
    """A 10-player, 60-second raid: a couple of thousand events, same mechanics."""
    return RaidConfig(n_players=10, enrage_timer_ms=60_000)
