"""Gold: silver events → dimension and fact tables (CONTRACT §3–§4).

Pure transforms written once in pandas-API code that cuDF also runs; every builder returns its
declared schema (:mod:`raidlib.gold.schema`) sorted by its keys.
"""

from __future__ import annotations

from raidlib.gold.build import GoldTables, RaidTables, build_gold, build_raid_tables
from raidlib.gold.dims import (
    DEFAULT_DURATION_TARGET_MS,
    build_dim_player,
    build_dim_raid,
    merge_player_raid_stats,
)
from raidlib.gold.encounters import (
    build_encounter_tables,
    build_fact_encounter_summary,
    build_fact_player_encounter_stats,
)
from raidlib.gold.facts import build_fact_player_raid_stats, build_fact_raid_summary
from raidlib.gold.schema import (
    DIM_PLAYER,
    DIM_RAID,
    FACT_ENCOUNTER_SUMMARY,
    FACT_PLAYER_ENCOUNTER_STATS,
    FACT_PLAYER_RAID_STATS,
    FACT_RAID_SUMMARY,
    GOLD_SCHEMAS,
    GoldTable,
)

__all__ = [
    "DEFAULT_DURATION_TARGET_MS",
    "DIM_PLAYER",
    "DIM_RAID",
    "FACT_ENCOUNTER_SUMMARY",
    "FACT_PLAYER_ENCOUNTER_STATS",
    "FACT_PLAYER_RAID_STATS",
    "FACT_RAID_SUMMARY",
    "GOLD_SCHEMAS",
    "GoldTable",
    "GoldTables",
    "RaidTables",
    "build_dim_player",
    "build_dim_raid",
    "build_encounter_tables",
    "build_fact_encounter_summary",
    "build_fact_player_encounter_stats",
    "build_fact_player_raid_stats",
    "build_fact_raid_summary",
    "build_gold",
    "build_raid_tables",
    "merge_player_raid_stats",
]
