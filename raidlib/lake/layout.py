"""Where everything lives in the lake (CONTRACT §3). Pure string functions; no I/O.

All paths are relative to a layer root (see :class:`raidlib.lake.Lake`), use ``/`` and are
Hive-style ``key=value`` folders so pyarrow, DuckDB and cuDF read them as partitions.
"""

from __future__ import annotations

import re

DATASET = "wow_raid_events/v1"
"""Bronze and silver dataset folder under their layer roots."""

GOLD_TABLES = (
    "dim_player",
    "dim_raid",
    "fact_raid_summary",
    "fact_player_raid_stats",
    "fact_encounter_summary",
    "fact_player_encounter_stats",
)

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def _check(value: str, what: str) -> str:
    """Refuse anything that could escape its folder (``/``, ``..``, whitespace, empty)."""
    if not _SAFE.fullmatch(value) or ".." in value:
        raise ValueError(f"{what} {value!r} is not a safe path component")
    return value


def bronze_partition(raid_id: str, ingest_date: str) -> str:
    """``wow_raid_events/v1/raid_id=<raid>/ingest_date=<YYYY-MM-DD>``."""
    return (
        f"{DATASET}/raid_id={_check(raid_id, 'raid_id')}/ingest_date={_check(ingest_date, 'date')}"
    )


def bronze_batch_key(raid_id: str, ingest_date: str, batch_id: str) -> str:
    """The one bronze object for a batch's events of one raid."""
    return f"{bronze_partition(raid_id, ingest_date)}/batch={_check(batch_id, 'batch_id')}.jsonl"


def bronze_manifest_key(batch_id: str) -> str:
    """Commit record of a landed batch (its objects, counts); its presence means 'landed'."""
    return f"_batches/{_check(batch_id, 'batch_id')}.json"


def silver_partition(raid_id: str, event_date: str) -> str:
    """``wow_raid_events/v1/raid_id=<raid>/event_date=<YYYY-MM-DD>``."""
    return f"{DATASET}/raid_id={_check(raid_id, 'raid_id')}/event_date={_check(event_date, 'date')}"


def quarantine_partition(raid_id: str, event_date: str) -> str:
    """Rows that failed silver checks, with a ``quarantine_reason`` column (under the silver root)."""
    return f"_quarantine/{silver_partition(raid_id, event_date)}"


def gold_partition(table: str, raid_id: str | None = None, event_date: str | None = None) -> str:
    """``<table>`` / ``<table>/raid_id=<raid>`` / ``<table>/raid_id=<raid>/event_date=<d>``."""
    if table not in GOLD_TABLES and not table.startswith("fact_") and not table.startswith("dim_"):
        raise ValueError(f"unknown gold table {table!r}")
    path = _check(table, "table")
    if raid_id is not None:
        path += f"/raid_id={_check(raid_id, 'raid_id')}"
    if event_date is not None:
        path += f"/event_date={_check(event_date, 'date')}"
    return path


def state_key(name: str) -> str:
    """Small state records (e.g. processed bronze batches) kept beside a layer's data."""
    return f"_state/{_check(name, 'state name')}"


def parse_hive_parts(path: str) -> dict[str, str]:
    """``a/raid_id=r1/event_date=2026-01-01/x.parquet`` → ``{"raid_id": "r1", "event_date": ...}``."""
    parts: dict[str, str] = {}
    for component in path.split("/"):
        key, sep, value = component.partition("=")
        if sep and key and not component.endswith((".jsonl", ".parquet", ".json")):
            parts[key] = value
        elif sep and key == "batch":
            parts["batch_id"] = value.rsplit(".", 1)[0]
    return parts


PROCESSED_BATCHES = "processed_bronze_batches"
"""State folder (under the silver root) with one marker object per processed bronze batch."""


def processed_batch_key(batch_id: str) -> str:
    """``_state/processed_bronze_batches/<batch_id>.json``: this bronze batch is in silver."""
    return f"{state_key(PROCESSED_BATCHES)}/{_check(batch_id, 'batch_id')}.json"
