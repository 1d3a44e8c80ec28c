"""Silver → every gold table for a set of raids, in one call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from raidlib.gold._prep import summarise_events
from raidlib.gold.dims import (
    DEFAULT_DURATION_TARGET_MS,
    _dim_raid,
    build_dim_player,
    merge_player_raid_stats,
)
from raidlib.gold.encounters import build_encounter_tables
from raidlib.gold.facts import _player_stats, _raid_summary
from raidlib.lake.frames import without_utc
from raidlib.silver.dedup import ORDER as DEDUP_ORDER
from raidlib.silver.dedup import deduplicate_across_dates


@dataclass(frozen=True)
class GoldTables:
    """The gold frames produced for one batch of raids (names as in CONTRACT §3)."""

    dim_player: Any
    """The whole, updated ``dim_player`` (unpartitioned: replace the table)."""
    dim_raid: Any
    """One row per raid built (replace each ``dim_raid/raid_id=<raid>/``)."""
    fact_raid_summary: Any
    """One row per raid built (replace each ``raid_id=<raid>/event_date=<d>/`` partition)."""
    fact_player_raid_stats: Any
    """Rows of the raids built only (replace their partitions)."""
    fact_encounter_summary: Any = None
    """One row per pull of the raids built (replace their partitions)."""
    fact_player_encounter_stats: Any = None
    """One row per pull × player of the raids built (replace their partitions)."""

    def as_dict(self) -> dict[str, Any]:
        out = {
            "dim_player": self.dim_player,
            "dim_raid": self.dim_raid,
            "fact_raid_summary": self.fact_raid_summary,
            "fact_player_raid_stats": self.fact_player_raid_stats,
        }
        if self.fact_encounter_summary is not None:
            out["fact_encounter_summary"] = self.fact_encounter_summary
        if self.fact_player_encounter_stats is not None:
            out["fact_player_encounter_stats"] = self.fact_player_encounter_stats
        return out


@dataclass(frozen=True)
class RaidTables:
    """The per-raid gold frames of some raids: everything but the lake-wide ``dim_player``."""

    dim_raid: Any
    fact_raid_summary: Any
    fact_player_raid_stats: Any
    fact_encounter_summary: Any = None
    fact_player_encounter_stats: Any = None


def build_raid_tables(
    silver_for_raids: Any, *, duration_target_ms: int = DEFAULT_DURATION_TARGET_MS
) -> RaidTables:
    """The per-raid tables of the raids in ``silver_for_raids`` (all their silver rows), from
    one shared pass over the events (plus one over the rows inside pulls).

    Silver deduplicates within a partition (CONTRACT §3). An ``event_id`` re-sent with a
    corrected timestamp on another UTC date lives in two partitions of its raid; only its
    latest ingest counts here, so gold never counts one event twice.
    """
    if {"event_id", *DEDUP_ORDER} <= set(silver_for_raids.columns):
        silver_for_raids = deduplicate_across_dates(silver_for_raids)
    events = summarise_events(silver_for_raids)
    stats = _player_stats(events)
    encounter_summary = encounter_stats = None
    if {"encounter_id", "encounter_duration_ms"} <= set(silver_for_raids.columns):
        # Reduced frames (benchmarks, SQL peers) may carry only the raid-level columns.
        encounter_summary, encounter_stats = build_encounter_tables(silver_for_raids, events, stats)
    return RaidTables(
        dim_raid=_dim_raid(events, duration_target_ms, stats),
        fact_raid_summary=_raid_summary(events, stats),
        fact_player_raid_stats=stats,
        fact_encounter_summary=encounter_summary,
        fact_player_encounter_stats=encounter_stats,
    )


def build_gold(
    silver_for_raids: Any,
    existing_dim_player: Any = None,
    existing_player_raid_stats: Any = None,
    *,
    duration_target_ms: int = DEFAULT_DURATION_TARGET_MS,
) -> GoldTables:
    """Build every gold table for the raids present in ``silver_for_raids``.

    Args:
        silver_for_raids: **all** silver rows of each raid to (re)build — every ``event_date``
            partition of it — since durations, dates and outcomes are per whole raid.
        existing_dim_player: the current ``dim_player`` (or ``None``).
        existing_player_raid_stats: the current ``fact_player_raid_stats`` of the whole lake
            (or ``None``). Its rows for the raids being rebuilt are replaced, and the result is
            what ``dim_player`` is derived from (see :mod:`raidlib.gold.dims`), so re-running a
            raid leaves ``total_raids`` unchanged.
        duration_target_ms: ``dim_raid.duration_target_ms``.

    Returns:
        :class:`GoldTables`; the facts and ``dim_raid`` cover only the raids built, while
        ``dim_player`` is the complete table.
    """
    # Silver from raidlib.read has tz-aware timestamps; the builders work on naive UTC.
    silver_for_raids = without_utc(silver_for_raids)
    raids = build_raid_tables(silver_for_raids, duration_target_ms=duration_target_ms)
    all_stats = merge_player_raid_stats(existing_player_raid_stats, raids.fact_player_raid_stats)
    return GoldTables(
        dim_player=build_dim_player(existing_dim_player, all_stats),
        dim_raid=raids.dim_raid,
        fact_raid_summary=raids.fact_raid_summary,
        fact_player_raid_stats=raids.fact_player_raid_stats,
        fact_encounter_summary=raids.fact_encounter_summary,
        fact_player_encounter_stats=raids.fact_player_encounter_stats,
    )
