"""The declared silver schema: column names, Arrow types and order (CONTRACT §3).

Partition columns (``raid_id``, ``event_date``) live in the Hive path, not inside the Parquet
files; readers add them back. ``event_date`` is the ``YYYY-MM-DD`` string of the event's UTC date.
In memory, timestamps are tz-naive UTC ``datetime64[us]`` (see :mod:`raidlib.backend`).
"""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")

PARTITION_COLUMNS = ("raid_id", "event_date")

SILVER_FILE_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_type", pa.string()),
        ("timestamp", UTC_TS),
        ("encounter_id", pa.string()),
        ("encounter_duration_ms", pa.int64()),
        ("difficulty", pa.string()),
        ("encounter_success", pa.bool_()),
        ("source_player_id", pa.string()),
        ("source_player_name", pa.string()),
        ("source_player_role", pa.string()),
        ("source_player_class", pa.string()),
        ("source_player_level", pa.int64()),
        ("ability_id", pa.string()),
        ("ability_name", pa.string()),
        ("ability_school", pa.string()),
        ("damage_amount", pa.float64()),
        ("healing_amount", pa.float64()),
        ("is_critical_hit", pa.bool_()),
        ("critical_multiplier", pa.float64()),
        ("is_resisted", pa.bool_()),
        ("is_blocked", pa.bool_()),
        ("is_absorbed", pa.bool_()),
        ("target_entity_id", pa.string()),
        ("target_entity_name", pa.string()),
        ("target_entity_type", pa.string()),
        ("target_entity_health_pct_before", pa.float64()),
        ("target_entity_health_pct_after", pa.float64()),
        ("resource_type", pa.string()),
        ("resource_amount_before", pa.float64()),
        ("resource_amount_after", pa.float64()),
        ("resource_regeneration_rate", pa.float64()),
        ("ingestion_timestamp", UTC_TS),
        ("source_system", pa.string()),
        ("data_quality_flags", pa.list_(pa.string())),
        ("server_latency_ms", pa.int64()),
        ("client_latency_ms", pa.int64()),
        # Enrichment and lineage.
        ("batch_id", pa.string()),
        ("batch_source", pa.string()),
        ("ingest_timestamp", UTC_TS),
        ("ingest_latency_ms", pa.int64()),
        ("is_massive_hit", pa.bool_()),
    ]
)
"""Columns inside each silver Parquet file, in order."""

SILVER_SCHEMA = SILVER_FILE_SCHEMA.insert(3, pa.field("raid_id", pa.string())).append(
    pa.field("event_date", pa.string())
)
"""Columns of a silver frame in memory (file columns plus the partition columns)."""

SILVER_COLUMNS: tuple[str, ...] = tuple(SILVER_SCHEMA.names)

QUARANTINE_FILE_SCHEMA = SILVER_FILE_SCHEMA.append(
    pa.field("quarantine_reason", pa.string())
).append(pa.field("raw_line", pa.string()))
"""Quarantined rows keep every silver column plus why they were set aside. ``raw_line`` holds the
bronze text of a line that could not be parsed at all (its other columns are then mostly null),
so even such a line is never lost (CONTRACT §3: "never silently dropped")."""

MASSIVE_HIT_THRESHOLD = 10_000.0
"""``is_massive_hit``: a combat_damage event with ``damage_amount`` above this."""
