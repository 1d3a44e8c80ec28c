"""Gold reads from the lake only the silver columns it uses, and builds the same tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from raidlib.backend import pandas_backend
from raidlib.gold import build_gold
from raidlib.gold.silver_columns import SILVER_COLUMNS_READ
from raidlib.lake.gold_store import read_silver_for_raids
from raidlib.lake.lake import Lake
from raidlib.read import read_silver
from raidlib.silver.pipeline import write_silver_partitions
from raidlib.silver.schema import SILVER_SCHEMA

from .conftest import BOSS, DPS, HEALER, make_silver

AT_BOSS = {"target_entity_id": "B1", "target_entity_name": "Ragnaros", "target_entity_type": "boss"}


def test_gold_from_the_lake_reads_fewer_columns_and_builds_the_same_tables(
    tmp_path: Path,
) -> None:
    """A 2 GB combat-log night needed 4.1 GB in gold, half of it columns gold never reads.
    The rows include an event re-sent on the next UTC day, which only its latest ingest
    counts: the dedup columns must come along."""
    backend = pandas_backend("test")
    ingest = datetime(2026, 3, 2, 8, 0, 0)
    hit = {"raid_id": "r1", "event_type": "combat_damage", **DPS, **AT_BOSS}
    rows = [
        {**hit, "timestamp": "2026-03-01T23:58:00", "damage_amount": 50.0, "is_critical_hit": True},
        {**hit, "event_id": "resent", "timestamp": "2026-03-01T23:59:00", "damage_amount": 100.0,
         "ingest_timestamp": ingest, "batch_id": "b1", "encounter_id": "3131-1"},
        {**hit, "event_id": "resent", "timestamp": "2026-03-02T00:00:01", "damage_amount": 999.0,
         "ingest_timestamp": ingest + timedelta(hours=1), "batch_id": "b2",
         "encounter_id": "3131-1"},
        {"raid_id": "r1", "event_type": "heal", **HEALER, "target_entity_id": "p1",
         "target_entity_type": "player", "timestamp": "2026-03-02T00:00:30",
         "healing_amount": 40.0, "encounter_id": "3131-1", "difficulty": "mythic"},
        {"raid_id": "r1", "event_type": "boss_phase", **BOSS, "timestamp": "2026-03-02T00:01:00",
         "encounter_id": "3131-1", "encounter_success": True, "encounter_duration_ms": 61_000},
    ]  # fmt: skip
    silver = make_silver(rows).sort_values(["event_date", "timestamp"], ignore_index=True)
    lake = Lake.local(tmp_path / "lake")
    write_silver_partitions(lake, silver, backend)

    read = read_silver_for_raids(lake, ["r1"], backend, for_gold=True)

    assert set(read.columns) == set(SILVER_COLUMNS_READ) < set(SILVER_SCHEMA.names)
    # the public reader (README: Reading the tables) still gives every column
    assert list(read_silver("r1", str(tmp_path / "lake"))) == SILVER_SCHEMA.names
    everything = pd.concat(
        [pd.read_parquet(path) for path in sorted((tmp_path / "lake").rglob("*.parquet"))]
    )
    assert len(everything.columns) > len(read.columns)
    from_lake, from_all = build_gold(read), build_gold(silver)
    for name in ("fact_raid_summary", "fact_player_raid_stats", "dim_raid",
                 "fact_encounter_summary", "fact_player_encounter_stats"):  # fmt: skip
        pd.testing.assert_frame_equal(
            getattr(from_lake, name).reset_index(drop=True),
            getattr(from_all, name).reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )
    [dps] = [r for r in from_lake.fact_player_raid_stats.to_dict("records") if r["damage_total"]]
    assert dps["damage_total"] == 50.0 + 999.0  # the re-sent event once, its latest copy
