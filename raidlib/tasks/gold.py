"""Prefect tasks for silver → gold: per-raid facts (independent, fan-out friendly) and the
serialised ``dim_player`` rebuild (shared state, behind a global concurrency limit)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from raidlib.backend import Backend, pandas_backend, resolve_backend, to_pandas
from raidlib.gold.build import RaidTables, build_raid_tables
from raidlib.gold.dims import build_dim_player
from raidlib.gpu_memory import estimate_gold_bytes, plan_step, run_with_fallback
from raidlib.lake import Lake
from raidlib.lake.gold_store import (
    raids_needing_gold,
    read_gold_table,
    read_silver_for_raids,
    record_fingerprint,
    silver_fingerprint,
    write_dim_player,
    write_gold_table_for_raids,
)
from raidlib.prefect_setup import DIM_PLAYER_LIMIT_NAME
from raidlib.settings import Settings
from raidlib.tasks.setup import exclusive_slot

# Every step is idempotent, so retrying a failed I/O step is safe; results are never cached
# (inputs are settings and frames, and a rerun must re-read the lake).
IO_RETRIES: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": [2, 10],
    "cache_policy": NO_CACHE,
}


@task(name="find-raids-needing-gold", **IO_RETRIES)
def find_raids_needing_gold(settings: Settings, raid_ids: list[str] | None = None) -> list[str]:
    """Raids whose silver changed since gold was built (or ``raid_ids`` filtered the same way)."""
    raids = raids_needing_gold(Lake.from_settings(settings), raid_ids)
    get_run_logger().info("%d raid(s) need gold: %s", len(raids), ", ".join(raids) or "none")
    return raids


@task(name="build-raid-gold", **IO_RETRIES)
def build_raid_gold(settings: Settings, raid_id: str) -> dict[str, Any]:
    """Rebuild one raid's facts (per raid and per pull) and ``dim_raid`` from all its silver.

    Writes ``fact_player_raid_stats``, ``fact_raid_summary``, ``dim_raid``,
    ``fact_encounter_summary`` and ``fact_player_encounter_stats``, each replacing the raid's
    partitions. The silver fingerprint is taken *before* reading, so a concurrent silver
    rewrite makes the next run rebuild again rather than being missed. Returns small pandas
    frames for artifacts and terminal output: ``summary``, ``stats`` (per raid),
    ``encounters``, ``encounter_stats`` (per pull).
    """
    logger = get_run_logger()
    lake = Lake.from_settings(settings)
    backend = resolve_backend(settings.backend)
    fingerprint = silver_fingerprint(lake, raid_id)
    if backend.is_gpu:  # a raid too big for the GPU's free memory is built on pandas
        plan = plan_step(f"gold {raid_id}", estimate_gold_bytes(fingerprint))
        logger.info(plan.reason)
        if not plan.use_gpu:
            backend = pandas_backend(plan.reason)

    def build(on: Backend) -> tuple[int, RaidTables]:
        silver = read_silver_for_raids(lake, [raid_id], on)
        return len(silver), build_raid_tables(silver, duration_target_ms=settings.enrage_timer_ms)

    (silver_rows, tables), backend = run_with_fallback(
        f"gold {raid_id}", build, backend, lambda: pandas_backend("GPU out of memory")
    )
    stats, summary = tables.fact_player_raid_stats, tables.fact_raid_summary
    encounters, encounter_stats = tables.fact_encounter_summary, tables.fact_player_encounter_stats
    paths = []
    for name, frame in (
        ("fact_player_raid_stats", stats),
        ("fact_raid_summary", summary),
        ("dim_raid", tables.dim_raid),
        ("fact_encounter_summary", encounters),
        ("fact_player_encounter_stats", encounter_stats),
    ):
        paths += write_gold_table_for_raids(lake, name, frame, [raid_id])
    logger.info(
        "raid %s: %d silver rows → %d player rows, %d pull(s) (%s backend)",
        raid_id,
        silver_rows,
        len(stats),
        len(encounters),
        backend.name,
    )
    return {
        "raid_id": raid_id,
        "fingerprint": fingerprint,
        "paths": paths,
        "silver_rows": silver_rows,
        "backend": backend.name,
        "summary": to_pandas(summary),
        "stats": to_pandas(stats),
        "encounters": to_pandas(encounters),
        "encounter_stats": to_pandas(encounter_stats),
    }


@task(name="rebuild-dim-player", **IO_RETRIES)
def rebuild_dim_player(settings: Settings) -> dict[str, Any]:
    """Rebuild ``dim_player`` from every ``fact_player_raid_stats`` row, one run at a time.

    Reading the facts *inside* the concurrency slot means two runs finishing together cannot
    overwrite each other's players: the later one sees the earlier one's facts.
    """
    logger = get_run_logger()
    lake = Lake.from_settings(settings)
    backend = resolve_backend(settings.backend)

    def build(on: Backend) -> Any:
        all_stats = read_gold_table(lake, "fact_player_raid_stats", on)
        return build_dim_player(read_gold_table(lake, "dim_player", on), all_stats)

    with exclusive_slot(DIM_PLAYER_LIMIT_NAME, settings.slot_wait_s):
        # Every raid's player rows at once: on a small GPU this may not fit, and pandas can.
        dim_player, backend = run_with_fallback(
            "dim_player", build, backend, lambda: pandas_backend("GPU out of memory")
        )
        path = write_dim_player(lake, dim_player)
    logger.info(
        "dim_player: %d players written to %s (%s backend)", len(dim_player), path, backend.name
    )
    return {"path": path, "players": len(dim_player)}


@task(name="record-gold-inputs", **IO_RETRIES)
def record_gold_inputs(settings: Settings, built: list[dict[str, Any]]) -> None:
    """Mark raids as built from their fingerprints — last, after every gold write succeeded."""
    lake = Lake.from_settings(settings)
    for item in built:
        record_fingerprint(lake, item["raid_id"], item["fingerprint"])


def concat_results(built: list[dict[str, Any]], key: str) -> pd.DataFrame:
    """Stack the per-raid small frames of :func:`build_raid_gold` results."""
    frames = [b[key] for b in built if len(b[key])]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
