"""Fixtures for the receiver tests: a receiver app on a temp lake and a small event factory."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from raidlib.lake.lake import Lake
from raidlib.receiver import create_app
from raidlib.settings import Settings

T0 = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)


def make_events(n: int, raid_id: str = "raid001", *, start: datetime = T0) -> list[dict[str, Any]]:
    """``n`` valid events of mixed types for one raid, 100 ms apart."""
    events: list[dict[str, Any]] = []
    for i in range(n):
        base = {
            "event_id": str(uuid.uuid4()),
            "timestamp": (start + timedelta(milliseconds=100 * i)).isoformat(),
            "raid_id": raid_id,
            "encounter_id": "enc-1",
            "encounter_duration_ms": 100 * i,
            "source_player_id": f"player-{i % 5}",
            "source_player_name": f"Player{i % 5}",
            "source_player_role": ("tank", "healer", "dps")[i % 3],
            "source_player_class": "mage",
        }
        kind = i % 3
        if kind == 0:
            base |= {
                "event_type": "combat_damage",
                "damage_amount": 1000.0 + i,
                "target_entity_id": "boss-1",
                "target_entity_name": "Ragnaros",
                "target_entity_type": "boss",
            }
        elif kind == 1:
            base |= {"event_type": "heal", "healing_amount": 500.5 + i}
        else:
            base |= {"event_type": "spell_cast", "ability_name": "Fireball"}
        events.append(base)
    return events


@pytest.fixture
def events_factory() -> Callable[..., list[dict[str, Any]]]:
    return make_events


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.local(tmp_path / "lake")


@pytest.fixture
def settings() -> Settings:
    return Settings(max_events_per_request=100, max_request_bytes=256 * 1024, sse_heartbeat_s=0.2)


@pytest.fixture
def app(settings: Settings, lake: Lake) -> Flask:
    return create_app(settings, lake)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def answer_first_post_with(app: Flask, status: str, body: bytes) -> list[str]:
    """Make ``app`` answer its first ``POST /events`` with ``status`` (a proxy's 429, a storage
    blip's 503) and every later request as usual; the returned list holds ``status`` once it
    has been answered."""
    receiver = app.wsgi_app
    answered: list[str] = []

    def once(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["PATH_INFO"] == "/events" and not answered:
            answered.append(status)
            start_response(status, [("Content-Type", "text/plain")])
            return [body]
        return receiver(environ, start_response)

    app.wsgi_app = once  # type: ignore[method-assign]
    return answered
