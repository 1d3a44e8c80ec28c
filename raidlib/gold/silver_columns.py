"""The silver columns gold reads: what the lake reader hands a gold build, and no more."""

from __future__ import annotations

from raidlib.silver.dedup import ORDER as DEDUP_ORDER

EVENT_COLUMNS = (
    "event_type",
    "timestamp",
    "raid_id",
    "difficulty",
    "encounter_success",
    "source_player_id",
    "source_player_name",
    "source_player_role",
    "source_player_class",
    "damage_amount",
    "healing_amount",
    "is_critical_hit",
    "target_entity_id",
    "target_entity_name",
    "target_entity_type",
    "target_entity_health_pct_after",
)
"""The silver columns the raid tables read (see :data:`raidlib.silver.schema.SILVER_SCHEMA`)."""

SILVER_COLUMNS_READ = (
    *EVENT_COLUMNS,
    "event_id",
    *DEDUP_ORDER,  # an event_id in two date partitions of its raid counts once: latest ingest
    "encounter_id",
    "encounter_duration_ms",
)
"""Every silver column a gold build reads, and all that the lake reader hands it: 21 of 43.
Reading the rest cost a 2 GB combat log night 4.1 GB of memory in gold (big-log audit); the
frame of a 705k-event raid fell from 450 to 237 MiB without them."""
