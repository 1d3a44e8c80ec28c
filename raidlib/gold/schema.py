"""Declared gold schemas: column names, Arrow types, order, keys and partitions (CONTRACT §3–§4).

Every gold builder returns exactly these columns, in this order, with these dtypes, sorted by
the table's keys (:func:`conform`). Conventions:

* Dates (``event_date``, ``first_seen_date``, ``last_seen_date``) are ``YYYY-MM-DD`` strings of
  a UTC date, the same form as silver's ``event_date`` and the Hive path values.
* Partition columns live in the Hive path, not inside the Parquet files; the lake I/O layer
  drops them on write (:attr:`GoldTable.file_schema`) and adds them back on read. In memory a
  gold frame always carries them (:attr:`GoldTable.schema`).
* In memory, strings use the backend's string dtype (``str`` on pandas 3), counts ``int64``,
  amounts and rates ``float64``. Only the columns marked nullable may hold nulls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class GoldTable:
    """One gold table's declared shape."""

    name: str
    schema: pa.Schema
    """In-memory columns (partition columns included), in order."""
    keys: tuple[str, ...]
    """Columns that identify a row; builders sort by them."""
    partition_columns: tuple[str, ...]
    """Hive path keys, outermost first (``()`` for an unpartitioned table)."""

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.names)

    @property
    def file_schema(self) -> pa.Schema:
        """Columns stored inside the Parquet files (the schema without partition columns)."""
        return pa.schema([f for f in self.schema if f.name not in self.partition_columns])


def _f(name: str, type_: pa.DataType, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


_S, _I, _F = pa.string(), pa.int64(), pa.float64()

DIM_PLAYER = GoldTable(
    name="dim_player",
    schema=pa.schema(
        [
            _f("player_id", _S),
            _f("player_name", _S, nullable=True),
            _f("player_class", _S, nullable=True),
            _f("player_role", _S),
            _f("first_seen_date", _S),
            _f("last_seen_date", _S),
            _f("total_raids", _I),
        ]
    ),
    keys=("player_id",),
    partition_columns=(),
)

DIM_RAID = GoldTable(
    name="dim_raid",
    schema=pa.schema(
        [
            _f("raid_id", _S),
            _f("event_date", _S),
            _f("boss_name", _S, nullable=True),
            _f("difficulty", _S, nullable=True),
            _f("raid_size", _I),
            _f("duration_target_ms", _I),
        ]
    ),
    keys=("raid_id",),
    partition_columns=("raid_id",),
)

FACT_RAID_SUMMARY = GoldTable(
    name="fact_raid_summary",
    schema=pa.schema(
        [
            _f("raid_id", _S),
            _f("event_date", _S),
            _f("duration_ms", _I),
            _f("total_damage", _F),
            _f("total_healing", _F),
            _f("total_player_deaths", _I),
            _f("n_players", _I),
            _f("n_tanks", _I),
            _f("n_healers", _I),
            _f("n_dps", _I),
            _f("raid_dps", _F),
            _f("raid_hps", _F),
            _f("boss_min_hp_pct", _F),
            _f("raid_outcome", _S),
        ]
    ),
    keys=("raid_id",),
    partition_columns=("raid_id", "event_date"),
)

FACT_PLAYER_RAID_STATS = GoldTable(
    name="fact_player_raid_stats",
    schema=pa.schema(
        [
            _f("raid_id", _S),
            _f("event_date", _S),
            _f("player_id", _S),
            _f("player_name", _S, nullable=True),
            _f("player_class", _S, nullable=True),
            _f("player_role", _S),
            _f("damage_total", _F),
            _f("healing_total", _F),
            _f("damage_events", _I),
            _f("healing_events", _I),
            _f("player_deaths", _I),
            _f("crit_events", _I),
            _f("crit_rate", _F),
            _f("total_damage_received", _F),
            _f("dps", _F),
            _f("hps", _F),
            _f("damage_share", _F),
            _f("healing_share", _F),
        ]
    ),
    keys=("raid_id", "player_id"),
    partition_columns=("raid_id", "event_date"),
)

FACT_ENCOUNTER_SUMMARY = GoldTable(
    name="fact_encounter_summary",
    schema=pa.schema(
        [
            _f("raid_id", _S),
            _f("event_date", _S),
            _f("encounter_id", _S),
            _f("boss_name", _S, nullable=True),
            _f("difficulty", _S, nullable=True),
            _f("outcome", _S),
            _f("duration_ms", _I),
            _f("raid_dps", _F),
            _f("raid_hps", _F),
            _f("total_damage", _F),
            _f("total_healing", _F),
            _f("player_deaths", _I),
            _f("n_players", _I),
        ]
    ),
    keys=("raid_id", "encounter_id"),
    partition_columns=("raid_id", "event_date"),
)
"""One row per pull (raid × ``encounter_id``); see :mod:`raidlib.gold.encounters`."""

FACT_PLAYER_ENCOUNTER_STATS = GoldTable(
    name="fact_player_encounter_stats",
    schema=pa.schema(
        [
            _f("raid_id", _S),
            _f("event_date", _S),
            _f("encounter_id", _S),
            _f("player_id", _S),
            _f("player_name", _S, nullable=True),
            _f("player_class", _S, nullable=True),
            _f("player_role", _S),
            _f("damage_total", _F),
            _f("healing_total", _F),
            _f("dps", _F),
            _f("hps", _F),
            _f("deaths", _I),
            _f("damage_events", _I),
            _f("healing_events", _I),
        ]
    ),
    keys=("raid_id", "encounter_id", "player_id"),
    partition_columns=("raid_id", "event_date"),
)
"""One row per pull × player; see :mod:`raidlib.gold.encounters`."""

GOLD_SCHEMAS: dict[str, GoldTable] = {
    t.name: t
    for t in (
        DIM_PLAYER,
        DIM_RAID,
        FACT_RAID_SUMMARY,
        FACT_PLAYER_RAID_STATS,
        FACT_ENCOUNTER_SUMMARY,
        FACT_PLAYER_ENCOUNTER_STATS,
    )
}
"""Every gold table by name (the names of :data:`raidlib.lake.layout.GOLD_TABLES`)."""

RAID_OUTCOMES = ("success", "wipe")
ENCOUNTER_OUTCOMES = ("kill", "wipe", "unknown")
UNKNOWN_ROLE = "unknown"

_DTYPES = {pa.string(): "str", pa.int64(): "int64", pa.float64(): "float64", pa.bool_(): "bool"}


def frame_dtypes(table: GoldTable) -> dict[str, str]:
    """Column → dtype name that both pandas and cuDF accept in ``astype``."""
    return {f.name: _DTYPES[f.type] for f in table.schema}


def conform(frame: Any, table: GoldTable) -> Any:
    """A new frame with exactly ``table``'s columns, order and dtypes, sorted by its keys.

    Guards against backend differences: cuDF's groupby output order is arbitrary
    (https://docs.rapids.ai/api/cudf/stable/user_guide/api_docs/api/cudf.DataFrame.groupby/)
    and aggregations may widen or narrow dtypes, so every builder ends here.
    """
    missing = [c for c in table.columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table.name}: builder output lacks columns {missing}")
    out = frame[list(table.columns)].astype(frame_dtypes(table))
    nulls = [f.name for f in table.schema if not f.nullable and bool(out[f.name].isna().any())]
    if nulls:
        raise ValueError(f"{table.name}: non-nullable columns hold nulls: {nulls}")
    out = out.sort_values(list(table.keys)).reset_index(drop=True)
    return out
