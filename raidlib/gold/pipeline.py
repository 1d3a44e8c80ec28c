"""Silver → gold in the lake for a group of raids: size the groups, build, write; then
``dim_player`` from every raid's facts.

Building one raid's gold costs a fixed ~0.5 s of dataframe calls on pandas (a few hundred small
group-bys and merges) however small the raid, so a flow builds raids in groups of about
``RAIDLIB_GOLD_TASK_SILVER_MIB`` (8) MiB of silver each: one build over several raids gives the
same rows as one build per raid (every aggregation is keyed by raid), and a backfill of many
raids runs several times faster. Reading and building 16 simulated 20,000-event raids (1.8 MB
of silver each) on pandas: one raid per build 11.1 s (peak RSS 229 MB), four per build (≈ 8 MiB)
3.8 s (313 MB), eight 2.5 s (447 MB), sixteen 1.9 s (679 MB). Groups stay independent: each
reads only its raids' silver and replaces only their gold partitions.

On the cuDF backend a group whose estimated device memory exceeds the usable share of the
GPU's free memory is built in consecutive GPU-sized chunks of raids; a raid too big for the
card alone, or a chunk that runs out of device memory anyway, is built on pandas with a logged
warning (:mod:`raidlib.gpu_memory`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from raidlib.backend import Backend, pandas_backend, to_pandas
from raidlib.gold.build import RaidTables, build_raid_tables
from raidlib.gold.dims import DEFAULT_DURATION_TARGET_MS, build_dim_player
from raidlib.gpu_device import device_memory
from raidlib.gpu_memory import (
    DEFAULT_POLICY,
    MemoryPolicy,
    MemoryProbe,
    estimate_gold_bytes,
    plan_step,
    run_with_fallback,
    split_to_fit,
)
from raidlib.lake.gold_store import (
    fingerprint_bytes,
    read_gold_table,
    read_silver_for_raids,
    silver_fingerprints,
    write_dim_player,
    write_gold_table_for_raids,
)
from raidlib.lake.lake import Lake
from raidlib.raid_lists import describe_raids

log = logging.getLogger(__name__)

PER_RAID_TABLES = (
    "fact_player_raid_stats",
    "fact_raid_summary",
    "dim_raid",
    "fact_encounter_summary",
    "fact_player_encounter_stats",
)
"""The gold tables a raid build replaces (``dim_player`` is rebuilt once, afterwards)."""


def group_raids(silver_bytes: Mapping[str, int], target_bytes: float) -> list[list[str]]:
    """Consecutive raids (in the mapping's order) packed into groups of at most
    ``target_bytes`` of silver; a raid bigger than that is a group of its own."""
    raids = list(silver_bytes)
    chunks = split_to_fit([silver_bytes[r] for r in raids], target_bytes)
    return [[raids[i] for i in indices] for indices, _ in chunks]


PANDAS_GOLD_GROUP_MIB = 8.0
"""Default silver per gold build on pandas (measurements in the module docstring)."""


def gold_group_bytes(
    setting_mib: float | None,
    backend: Backend,
    *,
    one_at_a_time: bool,
    policy: MemoryPolicy = DEFAULT_POLICY,
    probe: MemoryProbe = device_memory,
) -> float:
    """Silver Parquet bytes per gold build: ``setting_mib`` when set, else
    :data:`PANDAS_GOLD_GROUP_MIB`, except on cuDF with builds running ``one_at_a_time`` (the
    flow's own process): there, what one build fits in the usable share of the GPU's free
    memory now (never less than the pandas size).

    On the GPU a build's fixed cost is hundreds of ~1 ms dataframe calls and a Parquet read, so
    when builds take turns on one card the fewer the better while they fit; the pandas size
    would cut a season of raids into one build per ~200 MB of device memory. On a cluster
    (dask-cuda workers) the small groups stay, so that the raids spread over the GPUs.
    """
    if setting_mib is not None:
        return setting_mib * 2**20
    floor = PANDAS_GOLD_GROUP_MIB * 2**20
    memory = probe() if backend.is_gpu and one_at_a_time else None
    if memory is None:
        return floor
    fits = policy.budget(memory[0]) / estimate_gold_bytes(1, policy)
    return max(floor, fits)


@dataclass
class GoldBuild:
    """What one gold build wrote, and small host frames for artifacts and terminal output."""

    fingerprints: dict[str, dict[str, str]]
    """Each raid's silver fingerprint, taken before reading: record it once gold is complete."""
    paths: list[str] = field(default_factory=list)
    silver_rows: int = 0
    backends: list[str] = field(default_factory=list)
    """What actually ran, once each (``cudf``; ``pandas`` after a fallback)."""
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    stats: pd.DataFrame = field(default_factory=pd.DataFrame)
    encounters: pd.DataFrame = field(default_factory=pd.DataFrame)
    encounter_stats: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_gold_for_raids(
    lake: Lake,
    backend: Backend,
    raid_ids: Sequence[str],
    *,
    duration_target_ms: int = DEFAULT_DURATION_TARGET_MS,
    policy: MemoryPolicy = DEFAULT_POLICY,
    probe: MemoryProbe = device_memory,
) -> GoldBuild:
    """Rebuild the per-raid gold tables of ``raid_ids`` from all their silver.

    Fingerprints are taken *before* reading, so a concurrent silver rewrite makes the next run
    rebuild again rather than being missed.
    """
    raids = list(raid_ids)
    fingerprints = silver_fingerprints(lake, raids)
    result = GoldBuild(fingerprints=fingerprints)
    for chunk, fits in _chunks(raids, fingerprints, backend, policy, probe):
        on = backend
        if not fits:
            log.warning(
                "gold %s alone needs more GPU memory than is usable; using pandas", chunk[0]
            )
            on = pandas_backend("raid too big for the GPU")
        _build_chunk(lake, on, chunk, duration_target_ms, result)
    return result


def _chunks(
    raids: list[str],
    fingerprints: dict[str, dict[str, str]],
    backend: Backend,
    policy: MemoryPolicy,
    probe: MemoryProbe,
) -> list[tuple[list[str], bool]]:
    """The raids in builds that fit the GPU (one build on pandas, or when they all fit)."""
    if not raids:
        return []
    if not backend.is_gpu:
        return [(raids, True)]
    sizes = [estimate_gold_bytes(fingerprint_bytes(fingerprints[r]), policy) for r in raids]
    plan = plan_step(f"gold {describe_raids(raids)}", sum(sizes), probe=probe, policy=policy)
    if plan.use_gpu or plan.budget_bytes is None:
        log.info(plan.reason)
        return [(raids, True)]
    chunks = split_to_fit(sizes, plan.budget_bytes)
    log.info(
        "gold %s: needs more GPU memory than the %d MiB usable; building in %d GPU-sized chunks",
        describe_raids(raids),
        plan.budget_bytes // 2**20,
        len(chunks),
    )
    return [([raids[i] for i in indices], fits) for indices, fits in chunks]


def _build_chunk(
    lake: Lake, backend: Backend, raids: list[str], duration_target_ms: int, into: GoldBuild
) -> None:
    def build(on: Backend) -> tuple[int, RaidTables]:
        silver = read_silver_for_raids(lake, raids, on, for_gold=True)
        return len(silver), build_raid_tables(silver, duration_target_ms=duration_target_ms)

    (silver_rows, tables), used = run_with_fallback(
        f"gold {describe_raids(raids)}", build, backend, lambda: pandas_backend("GPU out of memory")
    )
    for name in PER_RAID_TABLES:
        into.paths += write_gold_table_for_raids(lake, name, getattr(tables, name), raids)
    into.silver_rows += silver_rows
    if used.name not in into.backends:
        into.backends.append(used.name)
    for attr, frame in (
        ("summary", tables.fact_raid_summary),
        ("stats", tables.fact_player_raid_stats),
        ("encounters", tables.fact_encounter_summary),
        ("encounter_stats", tables.fact_player_encounter_stats),
    ):
        current = getattr(into, attr)
        host = to_pandas(frame)
        setattr(into, attr, pd.concat([current, host], ignore_index=True) if len(current) else host)


@dataclass(frozen=True)
class DimPlayerBuild:
    """What a ``dim_player`` rebuild wrote."""

    frame: Any
    """The new ``dim_player``, one row per player (on the backend that built it)."""
    path: str
    """The file written (a filesystem path on the gold layer: :meth:`Lake.url_of` shows it)."""
    backend: Backend
    """What actually ran: pandas after a GPU fallback."""


def rebuild_dim_player(lake: Lake, backend: Backend) -> DimPlayerBuild:
    """Rebuild ``dim_player`` from every ``fact_player_raid_stats`` row and the current
    ``dim_player`` (:func:`raidlib.gold.dims.build_dim_player`), then replace it.

    Every raid's player rows at once: on a small GPU they may not fit, and the build is done
    again on pandas. Two rebuilds at once must not overlap: one that reads the facts before the
    other has written its players overwrites them, so callers serialise the whole call (the
    ``rebuild-dim-player`` task holds a concurrency slot around it).
    """

    def build(on: Backend) -> Any:
        all_stats = read_gold_table(lake, "fact_player_raid_stats", on)
        return build_dim_player(read_gold_table(lake, "dim_player", on), all_stats)

    frame, used = run_with_fallback(
        "dim_player", build, backend, lambda: pandas_backend("GPU out of memory")
    )
    return DimPlayerBuild(frame, write_dim_player(lake, frame), used)
