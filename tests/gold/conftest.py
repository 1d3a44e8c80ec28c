"""Fixtures for gold tests: hand-written silver frames in the in-memory silver layout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from raidlib.silver.schema import SILVER_SCHEMA

# In memory, silver timestamps are tz-naive UTC (raidlib.backend); build with that schema.
_MEMORY_SCHEMA = pa.schema(
    [
        pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
        for f in SILVER_SCHEMA
    ]
)

_DEFAULTS: dict[str, Any] = {
    "is_critical_hit": False,
    "critical_multiplier": 1.0,
    "is_resisted": False,
    "is_blocked": False,
    "is_absorbed": False,
    "source_system": "wow-raid-addon-v1.2",
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
