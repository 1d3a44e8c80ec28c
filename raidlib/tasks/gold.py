"""Prefect tasks for silver → gold: per-raid facts built a group of raids per task
(independent, fan-out friendly) and the serialised ``dim_player`` rebuild (shared state,
behind a global concurrency limit)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import get_run_logger, task

from raidlib.backend import backend_for
from raidlib.gold import pipeline
from raidlib.gold.pipeline import build_gold_for_raids, group_raids
from raidlib.lake import Lake
from raidlib.lake.gold_inputs import record_fingerprints
from raidlib.lake.gold_store import raids_needing_gold, silver_raid_ids
from raidlib.prefect_setup import DIM_PLAYER_LIMIT_NAME
from raidlib.raid_lists import describe_raids, name_raids
from raidlib.settings import Settings
from raidlib.tasks.retrying import LAKE_IO_RETRIES
from raidlib.tasks.setup import exclusive_slot


@task(name="plan-gold-builds", **LAKE_IO_RETRIES)
def plan_gold_builds(
    settings: Settings, raid_ids: list[str] | None, group_bytes: float, rebuild: bool = False
) -> list[list[str]]:
    """Raids whose silver changed since gold was built (or ``raid_ids`` filtered the same way;
    with ``rebuild``, every raid or every one of ``raid_ids``), in groups of about
    ``group_bytes`` of silver each (the flow's :func:`~raidlib.gold.pipeline.gold_group_bytes`)."""
    lake = Lake.from_settings(settings)
    if raid_ids:  # a mistyped id would otherwise "build" an empty raid without a word
        known = silver_raid_ids(lake)
        for raid in sorted(set(raid_ids) - set(known)):
            get_run_logger().warning(
                "silver has no raid %r (its raids: %s); its gold, if any, is removed",
                raid,
                name_raids(known, empty="none yet"),
            )
    needing = raids_needing_gold(lake, raid_ids, rebuild=rebuild)
    get_run_logger().info("%d raid(s) need gold: %s", len(needing), name_raids(list(needing)))
    return group_raids(needing, group_bytes)


@task(name="build-raid-gold", **LAKE_IO_RETRIES)
def build_raid_gold(settings: Settings, raid_ids: list[str]) -> dict[str, Any]:
    """Rebuild some raids' facts (per raid and per pull) and ``dim_raid`` from all their silver.

    Writes ``fact_player_raid_stats``, ``fact_raid_summary``, ``dim_raid``,
    ``fact_encounter_summary`` and ``fact_player_encounter_stats``, each replacing the raids'
    partitions (see :func:`raidlib.gold.pipeline.build_gold_for_raids`). Returns the silver
    ``fingerprints`` to record and small pandas frames for artifacts and terminal output:
    ``summary``, ``stats`` (per raid), ``encounters``, ``encounter_stats`` (per pull).
    """
    lake = Lake.from_settings(settings)
    built = build_gold_for_raids(
        lake, backend_for(settings), raid_ids, duration_target_ms=settings.enrage_timer_ms
    )
    backend = " + ".join(built.backends)
    get_run_logger().info(
        "gold %s: %d silver rows → %d player rows, %d pull(s) (%s backend)",
        describe_raids(raid_ids),
        built.silver_rows,
        len(built.stats),
        len(built.encounters),
        backend,
    )
    return {
        "raid_ids": list(raid_ids),
        "fingerprints": built.fingerprints,
        "paths": [lake.url_of("gold", path) for path in built.paths],
        "silver_rows": built.silver_rows,
        "backends": built.backends,
        "summary": built.summary,
        "stats": built.stats,
        "encounters": built.encounters,
        "encounter_stats": built.encounter_stats,
    }


@task(name="rebuild-dim-player", **LAKE_IO_RETRIES)
def rebuild_dim_player(settings: Settings) -> dict[str, Any]:
    """Rebuild ``dim_player`` from every ``fact_player_raid_stats`` row, one run at a time.

    Reading the facts *inside* the concurrency slot means two runs finishing together cannot
    overwrite each other's players: the later one sees the earlier one's facts.
    """
    lake = Lake.from_settings(settings)
    backend = backend_for(settings)
    # silver_to_gold already runs one at a time; this task's own slot keeps it safe when it is
    # called on its own (a notebook, another flow) while a gold run is going
    with exclusive_slot(DIM_PLAYER_LIMIT_NAME, settings.slot_wait_s):
        built = pipeline.rebuild_dim_player(lake, backend)
    path = lake.url_of("gold", built.path)
    get_run_logger().info(
        "dim_player: %d players written to %s (%s backend)",
        len(built.frame),
        path,
        built.backend.name,
    )
    return {"path": path, "players": len(built.frame)}


@task(name="record-gold-inputs", **LAKE_IO_RETRIES)
def record_gold_inputs(settings: Settings, built: list[dict[str, Any]]) -> None:
    """Mark raids as built from their fingerprints — last, after every gold write succeeded."""
    fingerprints = {raid: fp for item in built for raid, fp in item["fingerprints"].items()}
    record_fingerprints(Lake.from_settings(settings), fingerprints)


def concat_results(built: list[dict[str, Any]], key: str) -> pd.DataFrame:
    """Stack the small frames of :func:`build_raid_gold` results. When they are all empty (a
    raid without players has no player rows) the result is too, with the table's columns."""
    frames = [b[key] for b in built if len(b[key])]
    if frames:
        return pd.concat(frames, ignore_index=True)
    return built[0][key].iloc[0:0] if built else pd.DataFrame()
