"""The silver quarantine area: rows that failed silver checks, with the reason.

``<silver_root>/_quarantine/wow_raid_events/v1/raid_id=<r>/event_date=<d>/batch=<batch_id>.parquet``
(:data:`~raidlib.silver.schema.QUARANTINE_FILE_SCHEMA`). Append-only and idempotent: each file
holds one bronze batch's rejects for one partition and is named after that batch, so processing
the batch again rewrites the same file with the same rows (atomically) instead of adding copies.

Placement: ``raid_id`` is the row's own when it is a valid raid id, else ``unknown``;
``event_date`` is the UTC date of the row's timestamp, or of its ingest time when the timestamp
is missing or unparseable (or ``1970-01-01`` when both are).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from raidlib.backend import Backend, date_text, null_safe_flag, to_pandas
from raidlib.lake import layout
from raidlib.lake.frames import frame_to_table
from raidlib.lake.lake import Lake
from raidlib.lake.listing import list_partitions, partition_files
from raidlib.lake.parquet import read_partitions, write_table_file
from raidlib.schemas.events import RAID_ID_PATTERN
from raidlib.silver.schema import QUARANTINE_FILE_SCHEMA

UNKNOWN_RAID = "unknown"
UNKNOWN_DATE = "1970-01-01"


def quarantine_file_key(raid_id: str, event_date: str, batch_id: str) -> str:
    return f"{layout.quarantine_partition(raid_id, event_date)}/batch={batch_id}.parquet"


def placement(quarantined: pd.DataFrame) -> pd.DataFrame:
    """``(raid_id, event_date)`` folder each quarantined row is filed under (see module doc)."""
    raid = quarantined["raid_id"].astype("str")
    valid = null_safe_flag(raid.str.match(RAID_ID_PATTERN))
    ts = pd.to_datetime(quarantined["timestamp"], errors="coerce")
    ingest = pd.to_datetime(quarantined["ingest_timestamp"], errors="coerce", utc=True)
    ingest = ingest.dt.tz_localize(None)
    when = ts.fillna(ingest)
    date = date_text(when).fillna(UNKNOWN_DATE)
    return pd.DataFrame(
        {"q_raid": raid.where(valid, UNKNOWN_RAID), "q_date": date}, index=quarantined.index
    )


def write_quarantine(lake: Lake, quarantined: Any) -> list[str]:
    """File quarantined rows (any backend; small) one Parquet file per (partition, batch)."""
    frame = to_pandas(quarantined)
    if len(frame) == 0:
        return []
    frame = frame.reset_index(drop=True)
    where = placement(frame)
    batch = frame["batch_id"].astype("str").fillna("unknown-batch")
    groups = pd.DataFrame({"r": where["q_raid"], "d": where["q_date"], "b": batch})
    # One conversion, then a slice per file: converting each group's rows on its own cost
    # ~10 ms a file, and a night's quarantine spans (partitions × batches) files.
    table = frame_to_table(frame, QUARANTINE_FILE_SCHEMA)  # the partition columns drop here
    positions = groups.groupby(["r", "d", "b"], sort=False).indices
    written = []
    for (raid_id, event_date, batch_id), rows in sorted(positions.items()):
        key = quarantine_file_key(raid_id, event_date, batch_id)
        written.append(write_table_file(lake, "silver", key, table.take(rows)))
    return written


def read_quarantine(
    lake: Lake, backend: Backend, partitions: Sequence[tuple[str, str]] | None = None
) -> Any:
    """Quarantined rows (all, or of the given ``(raid_id, event_date)`` partitions)."""
    if partitions is None:
        found = list_partitions(
            lake, "silver", f"_quarantine/{layout.DATASET}", ("raid_id", "event_date")
        )
        partitions = [(p["raid_id"], p["event_date"]) for p in found]
    rels = [layout.quarantine_partition(r, d) for r, d in partitions]
    rels = [r for r in rels if partition_files(lake, "silver", r)]
    schema = QUARANTINE_FILE_SCHEMA.insert(
        3, QUARANTINE_FILE_SCHEMA.field("event_id").with_name("raid_id")
    )
    schema = schema.append(QUARANTINE_FILE_SCHEMA.field("event_id").with_name("event_date"))
    return read_partitions(lake, "silver", rels, QUARANTINE_FILE_SCHEMA, backend, schema=schema)
