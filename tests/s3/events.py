"""Deterministic, valid raid events for the S3 tests (same seed → same events, same ids)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

_NS = uuid.UUID("6f1c2b9e-4b7a-4f0e-9d43-3c2a1b0e5f00")
_ROSTER = [
    ("tank", "warrior"),
    ("healer", "priest"),
    ("healer", "druid"),
    ("dps", "mage"),
    ("dps", "rogue"),
    ("dps", "hunter"),
]


def raid_events(raid_id: str, n: int, *, seed: int, start: datetime) -> list[dict[str, Any]]:
    """``n`` events of one raid starting at ``start``: damage, heals, casts, mana, a phase change,
    a death, and a boss kill at the end. Payloads are wire JSON (ISO timestamps)."""
    rng = random.Random(f"{raid_id}-{seed}")
    players = [
        {"id": f"{raid_id}-p{i}", "name": f"Player{i}{raid_id[-3:]}", "role": role, "cls": cls}
        for i, (role, cls) in enumerate(_ROSTER)
    ]
    boss = {"id": f"{raid_id}-boss", "name": "Ragnaros"}
    events: list[dict[str, Any]] = []
    hp = 100.0

    def base(i: int, event_type: str, actor: dict[str, Any] | None) -> dict[str, Any]:
        at = start + timedelta(seconds=3 * i)
        event: dict[str, Any] = {
            "event_id": str(uuid.uuid5(_NS, f"{raid_id}/{seed}/{i}")),
            "event_type": event_type,
            "timestamp": at.isoformat(),
            "raid_id": raid_id,
            "encounter_id": f"{raid_id}-enc1",
            "encounter_duration_ms": 3000 * i,
            "difficulty": "heroic",
        }
        if actor is None:
            event.update(source_player_id=boss["id"], source_player_name=boss["name"])
        else:
            event.update(
                source_player_id=actor["id"],
                source_player_name=actor["name"],
                source_player_role=actor["role"],
                source_player_class=actor["cls"],
                source_player_level=80,
            )
        return event

    for i in range(n - 1):
        kind = rng.random()
        actor = rng.choice(players)
        if kind < 0.5:
            hp = max(1.0, hp - rng.uniform(0.05, 0.3))
            event = base(i, "combat_damage", actor)
            crit = rng.random() < 0.2
            event.update(
                damage_amount=round(rng.uniform(500, 15_000), 2),
                is_critical_hit=crit,
                critical_multiplier=2.0 if crit else 1.0,
                ability_name="Strike",
                ability_school="fire",
                target_entity_id=boss["id"],
                target_entity_name=boss["name"],
                target_entity_type="boss",
                target_entity_health_pct_after=round(hp, 3),
            )
        elif kind < 0.7:
            event = base(i, "heal", actor)
            target = rng.choice(players)
            event.update(
                healing_amount=round(rng.uniform(100, 8_000), 2),
                target_entity_id=target["id"],
                target_entity_name=target["name"],
                target_entity_type="player",
            )
        elif kind < 0.8:
            event = base(i, "combat_damage", None)
            event.update(
                damage_amount=round(rng.uniform(1_000, 30_000), 2),
                target_entity_id=actor["id"],
                target_entity_name=actor["name"],
                target_entity_type="player",
            )
        elif kind < 0.9:
            event = base(i, "spell_cast", actor)
            event.update(ability_id="133", ability_name="Fireball", ability_school="fire")
        elif kind < 0.97:
            event = base(i, "mana_regeneration", actor)
            event.update(
                resource_type="mana", resource_amount_before=10.0, resource_amount_after=50.0
            )
        else:
            event = base(i, "player_death", None)
            event.update(
                target_entity_id=actor["id"],
                target_entity_name=actor["name"],
                target_entity_type="player",
            )
        events.append(event)
        if i == n // 2:
            phase = base(i, "boss_phase", None)
            phase["event_id"] = str(uuid.uuid5(_NS, f"{raid_id}/{seed}/phase"))
            events.append(phase)
    kill = base(n - 1, "combat_damage", players[3])
    kill.update(
        damage_amount=50_000.0,
        target_entity_id=boss["id"],
        target_entity_name=boss["name"],
        target_entity_type="boss",
        target_entity_health_pct_after=0.0,
        encounter_success=True,
    )
    events.append(kill)
    return events


def campaign(seed: int = 0) -> list[dict[str, Any]]:
    """Three raids; ``raid003`` crosses midnight UTC so it spans two ``event_date`` partitions."""
    day = datetime(2026, 1, 2, 20, 0, tzinfo=UTC)
    return [
        *raid_events("raid001", 400, seed=seed, start=day),
        *raid_events("raid002", 300, seed=seed, start=day + timedelta(hours=1)),
        *raid_events("raid003", 300, seed=seed, start=day + timedelta(hours=3, minutes=50)),
    ]


def batches(events: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Split in order into POST-sized batches (they mix raids, as real clients do)."""
    return [events[i : i + size] for i in range(0, len(events), size)]
