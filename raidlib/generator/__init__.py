"""Synthetic raid generator: reproducible, numpy-vectorised raid telemetry and its delivery plan.

``generate_raid``/``generate_raids`` simulate raids into a DataFrame of wire fields;
``frame_to_wire_events`` turns it into contract-valid JSON-ready dicts; ``plan_batches`` cuts
them into POST batches, optionally with duplicates, late arrivals and invalid events.
"""

from __future__ import annotations

from raidlib.generator.batches import FaultConfig, WireBatch, plan_batches
from raidlib.generator.config import RaidConfig, default_boss_max_hp
from raidlib.generator.raid import (
    dated_raid_prefix,
    default_first_raid_start,
    generate_raid,
    generate_raids,
    summarize_raids,
)
from raidlib.generator.roster import Player, Roster, role_counts
from raidlib.generator.wire import frame_to_wire_events

__all__ = [
    "FaultConfig",
    "Player",
    "RaidConfig",
    "Roster",
    "WireBatch",
    "dated_raid_prefix",
    "default_first_raid_start",
    "default_boss_max_hp",
    "frame_to_wire_events",
    "generate_raid",
    "generate_raids",
    "plan_batches",
    "role_counts",
    "summarize_raids",
]
