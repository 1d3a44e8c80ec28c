"""Two small hand-made raids whose gold numbers can be worked out on paper.

Each raid has a tank, a healer and a dps against one boss (the boss has no role, so it never
counts as a player). ``raid-e2e-win`` ends with the boss at 0 % (success), ``raid-e2e-wipe``
with the boss at 40 % and a dead dps (wipe). :data:`EXPECTED_SUMMARY` is ``fact_raid_summary``
computed by hand from these events (see CONTRACT.md §4).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

WIN, WIPE = "raid-e2e-win", "raid-e2e-wipe"

# raid -> the columns of its fact_raid_summary row that follow directly from the events below.
EXPECTED_SUMMARY: dict[str, dict[str, Any]] = {
    WIN: {
        "duration_ms": 40_000,
        "total_damage": 1_000 + 2_000 + 12_000 + 5_000,  # player damage only, not the boss's
        "total_healing": 800 + 700,
        "total_player_deaths": 0,
        "n_players": 3,
        "n_tanks": 1,
        "n_healers": 1,
        "n_dps": 1,
        "boss_min_hp_pct": 0.0,
        "raid_outcome": "success",
    },
    WIPE: {
        "duration_ms": 30_000,
        "total_damage": 1_500 + 2_500,
        "total_healing": 600,
        "total_player_deaths": 1,
        "n_players": 3,
        "n_tanks": 1,
        "n_healers": 1,
        "n_dps": 1,
        "boss_min_hp_pct": 40.0,
        "raid_outcome": "wipe",
    },
}


def _start() -> datetime:
    # An hour ago, on the minute: well inside the clock-skew window, and 40 s never crosses a day
    # boundary unless the test runs at 01:00 UTC give or take a minute.
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    return now if now.minute != 59 else now - timedelta(minutes=2)


def _players(raid: str) -> dict[str, dict[str, Any]]:
    return {
        "tank": {"id": f"{raid}-tank", "name": "Brakka", "role": "tank", "class": "warrior"},
        "healer": {"id": f"{raid}-heal", "name": "Liora", "role": "healer", "class": "priest"},
        "dps": {"id": f"{raid}-dps", "name": "Vexa", "role": "dps", "class": "mage"},
    }


def _event(raid: str, start: datetime, at_s: int, event_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "timestamp": (start + timedelta(seconds=at_s)).isoformat(),
        "raid_id": raid,
        "encounter_id": f"{raid}-boss",
        "encounter_duration_ms": at_s * 1000,
        **fields,
    }


def _actor(player: dict[str, Any]) -> dict[str, Any]:
    return {
        "source_player_id": player["id"],
        "source_player_name": player["name"],
        "source_player_role": player["role"],
        "source_player_class": player["class"],
        "source_player_level": 80,
    }


def _boss_target(hp_after: float) -> dict[str, Any]:
    return {
        "target_entity_id": "boss-1",
        "target_entity_name": "Ragnaros",
        "target_entity_type": "boss",
        "target_entity_health_pct_after": hp_after,
    }


def _player_target(player: dict[str, Any]) -> dict[str, Any]:
    return {
        "target_entity_id": player["id"],
        "target_entity_name": player["name"],
        "target_entity_type": "player",
    }


BOSS = {"source_player_id": "boss-1", "source_player_name": "Ragnaros"}


def _raid(raid: str, start: datetime, win: bool) -> list[dict[str, Any]]:
    p = _players(raid)
    e = _event
    if win:
        return [
            e(raid, start, 0, "boss_phase", **BOSS, **_boss_target(100.0)),
            e(raid, start, 5, "combat_damage", **_actor(p["tank"]), damage_amount=1_000.0,
              **_boss_target(90.0)),
            e(raid, start, 10, "combat_damage", **BOSS, damage_amount=3_000.0,
              **_player_target(p["tank"])),
            e(raid, start, 12, "heal", **_actor(p["healer"]), healing_amount=800.0,
              **_player_target(p["tank"])),
            e(raid, start, 20, "combat_damage", **_actor(p["dps"]), damage_amount=2_000.0,
              **_boss_target(60.0)),
            e(raid, start, 25, "combat_damage", **_actor(p["dps"]), damage_amount=12_000.0,
              is_critical_hit=True, critical_multiplier=2.0, **_boss_target(20.0)),
            e(raid, start, 30, "heal", **_actor(p["healer"]), healing_amount=700.0,
              **_player_target(p["dps"])),
            e(raid, start, 40, "combat_damage", **_actor(p["dps"]), damage_amount=5_000.0,
              **_boss_target(0.0), encounter_success=True),
        ]  # fmt: skip
    return [
        e(raid, start, 0, "boss_phase", **BOSS, **_boss_target(100.0)),
        e(raid, start, 4, "combat_damage", **_actor(p["tank"]), damage_amount=1_500.0,
          **_boss_target(75.0)),
        e(raid, start, 9, "heal", **_actor(p["healer"]), healing_amount=600.0,
          **_player_target(p["tank"])),
        e(raid, start, 15, "combat_damage", **_actor(p["dps"]), damage_amount=2_500.0,
          **_boss_target(40.0)),
        e(raid, start, 20, "combat_damage", **BOSS, damage_amount=90_000.0,
          **_player_target(p["dps"])),
        e(raid, start, 20, "player_death", **BOSS, **_player_target(p["dps"])),
        e(raid, start, 30, "mana_regeneration", **_actor(p["healer"]), resource_type="mana",
          resource_amount_before=100.0, resource_amount_after=400.0),
    ]  # fmt: skip


def hand_made_raids() -> list[dict[str, Any]]:
    """Both raids' events (fresh event ids, timestamps an hour ago), win raid first."""
    start = _start()
    return _raid(WIN, start, win=True) + _raid(WIPE, start, win=False)


def first_event_date(events: list[dict[str, Any]], raid: str) -> str:
    """The UTC date of a raid's first event: its fact_raid_summary ``event_date``."""
    first = min(datetime.fromisoformat(e["timestamp"]) for e in events if e["raid_id"] == raid)
    return first.astimezone(UTC).date().isoformat()
