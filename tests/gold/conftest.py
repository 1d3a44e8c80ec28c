"""Fixtures for gold tests: hand-written silver frames in the in-memory silver layout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from raidlib.silver.cast import DEFAULTS as CONTRACT_DEFAULTS
from raidlib.silver.schema import SILVER_SCHEMA

# In memory, silver timestamps are tz-naive UTC (raidlib.backend); build with that schema.
_MEMORY_SCHEMA = pa.schema(
    [
        pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
        for f in SILVER_SCHEMA
    ]
)

# The cast of the hand-computed raids: three players and a boss.
TANK = {
    "source_player_id": "T1",
    "source_player_name": "Tanky",
    "source_player_role": "tank",
    "source_player_class": "warrior",
}
HEALER = {
    "source_player_id": "H1",
    "source_player_name": "Healz",
    "source_player_role": "healer",
    "source_player_class": "priest",
}
DPS = {
    "source_player_id": "D1",
    "source_player_name": "Stabby",
    "source_player_role": "dps",
    "source_player_class": "rogue",
}
BOSS = {"source_player_id": "B1", "source_player_name": "Ragnaros"}

_DEFAULTS: dict[str, Any] = {
    **CONTRACT_DEFAULTS,
    "data_quality_flags": [],
    "batch_id": "b0",
    "is_massive_hit": False,
}


def make_silver(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A silver frame from partial rows: ``timestamp`` as ISO text (UTC) or datetime.

    Fills ``event_id`` (``e0000``, …), ``event_date`` (UTC date of the timestamp),
    ``ingest_timestamp`` and the boolean defaults; every other column is null.
    """
    filled = []
    for i, row in enumerate(rows):
        ts = row["timestamp"]
        ts = datetime.fromisoformat(ts) if isinstance(ts, str) else ts
        full = {
            **_DEFAULTS,
            "event_id": f"e{i:04d}",
            "ingest_timestamp": ts,
            "event_date": ts.strftime("%Y-%m-%d"),
            **row,
            "timestamp": ts,
        }
        full["is_massive_hit"] = bool(
            full.get("event_type") == "combat_damage" and (full.get("damage_amount") or 0) > 10_000
        )
        filled.append(full)
    table = pa.Table.from_pylist(filled, schema=_MEMORY_SCHEMA)
    return table.to_pandas()


@pytest.fixture
def silver_factory() -> Callable[[list[dict[str, Any]]], pd.DataFrame]:
    return make_silver
