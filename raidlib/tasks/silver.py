"""Prefect tasks for bronze → silver.

Unprocessed bronze batches are grouped into *independent* sets — batches that touch disjoint
raids share no silver partition — and each set is one task, so sets run concurrently (and fan
out on a Dask task runner: see :mod:`raidlib.task_runners`). Whole silver runs are serialised by
a global concurrency limit: two runs rebuilding the same partition at once would otherwise let
the last writer win.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task

from raidlib.backend import Backend, backend_for
from raidlib.gpu_device import device_memory
from raidlib.gpu_memory import (
    DEFAULT_POLICY,
    MemoryPolicy,
    MemoryProbe,
    split_to_fit,
)
from raidlib.lake import Lake
from raidlib.lake.bronze_batches import BronzeBatch
from raidlib.lake.layout import parse_hive_parts
from raidlib.lake.state import find_unprocessed_batches
from raidlib.settings import Settings
from raidlib.silver.pipeline import estimate_batch_bytes, process_batches
from raidlib.silver.report import SilverRunReport, combine_reports
from raidlib.silver.rules import RuleParams
from raidlib.tasks.retrying import LAKE_IO_RETRIES


def rule_params(settings: Settings) -> RuleParams:
    """Silver's limits from the settings, so silver accepts what the receiver was told to."""
    return RuleParams(
        max_clock_skew_s=settings.max_clock_skew_s,
        max_event_age_s=settings.max_event_age_days * 86_400,
    )


def batch_raids(batch: BronzeBatch) -> set[str]:
    """Raids a batch touches, read from its objects' Hive paths."""
    return {parse_hive_parts(p).get("raid_id", "") for p in batch.paths} - {""}


def independent_groups(batches: list[BronzeBatch]) -> list[list[BronzeBatch]]:
    """Split batches into groups that share no raid (connected components over raids).

    Groups can be processed concurrently; batches inside a group keep their landing order.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keys = [sorted(batch_raids(b)) or [f"batch:{b.batch_id}"] for b in batches]
    for raids in keys:
        for raid in raids[1:]:
            parent[find(raid)] = find(raids[0])
    components: dict[str, list[BronzeBatch]] = {}
    for batch, raids in zip(batches, keys, strict=True):
        components.setdefault(find(raids[0]), []).append(batch)
    return [components[k] for k in sorted(components)]


def task_groups(
    lake: Lake,
    backend: Backend,
    batches: list[BronzeBatch],
    *,
    one_at_a_time: bool,
    policy: MemoryPolicy = DEFAULT_POLICY,
    probe: MemoryProbe = device_memory,
) -> list[list[BronzeBatch]]:
    """The batches of each silver task: one :func:`independent_groups` group per task, except
    on cuDF with tasks ``one_at_a_time`` in the flow's process, where consecutive groups share a
    task up to what one GPU-sized chunk holds (:func:`~raidlib.silver.pipeline.process_batches`
    then reads them in the same GPU reads).

    A silver task costs a fixed few hundred dataframe calls: ~15 ms on pandas (20 one-raid
    groups of 400k events took 2.8 s against 2.7 s as one group), but ~1 ms per call on the GPU,
    so forty small raids landed by separate clients would otherwise cost forty rounds of a few
    tenths of a second. On a cluster every group stays its own task, so that groups spread over
    the workers.
    """
    groups = independent_groups(batches)
    if not (backend.is_gpu and one_at_a_time) or len(groups) < 2:
        return groups
    memory = probe()
    if memory is None:  # as process_batches does: one chunk, with its out-of-memory fallback
        return [[batch for group in groups for batch in group]]
    sizes = [sum(estimate_batch_bytes(lake, b, policy) for b in group) for group in groups]
    packs = split_to_fit(sizes, policy.budget(memory[0]))
    return [[batch for i in indices for batch in groups[i]] for indices, _ in packs]


CHUNK_JSON_BYTES = 512 * 2**20
"""Bronze JSON a silver task reads at once on pandas, at most. A task's memory grows with it (about 1.7×
on pandas, measured: 1.3 GB at 1M events, 750 MB of JSON); a count of batches alone let
200 batches of 10,000 events make one task hold about 2.5 GB (performance audit). Default
batches (2,000 events, ~1.5 MB) reach ``max_batches`` first."""


def bounded_chunks(
    batches: list[BronzeBatch], max_batches: int, max_bytes: float
) -> list[list[BronzeBatch]]:
    """Consecutive runs of ``batches`` (landing order kept) of at most ``max_batches`` batches
    and ``max_bytes`` of expected JSON each; a batch bigger than ``max_bytes`` is a chunk of its
    own, and one of unknown size counts as nothing."""
    chunks: list[list[BronzeBatch]] = []
    size = 0.0
    for batch in batches:
        grows = batch.expected_json_bytes() or 0.0
        if (
            not chunks
            or len(chunks[-1]) >= max_batches
            or (chunks[-1] and size + grows > max_bytes)
        ):
            chunks.append([])
            size = 0.0
        chunks[-1].append(batch)
        size += grows
    return chunks


@task(name="find-unprocessed-bronze", **LAKE_IO_RETRIES)
def find_unprocessed(settings: Settings, max_batches: int | None = None) -> list[BronzeBatch]:
    """Landed bronze batches (manifests present) that silver has not processed yet."""
    batches = find_unprocessed_batches(Lake.from_settings(settings), max_batches=max_batches)
    get_run_logger().info("%d unprocessed bronze batch(es)", len(batches))
    return batches


@task(name="bronze-batches-to-silver", **LAKE_IO_RETRIES)
def process_batch_group(
    settings: Settings, batches: list[BronzeBatch], max_batches: int = 200
) -> SilverRunReport:
    """Read, clean, dedup and enrich a group of batches; replace the partitions they touch.

    The group is worked through ``max_batches`` at a time (in landing order), and on pandas at
    most :data:`CHUNK_JSON_BYTES` of bronze at a time, to bound memory.
    The report's ``partitions_written`` are URLs (:meth:`Lake.url_of`).
    """
    lake = Lake.from_settings(settings)
    backend = backend_for(settings)
    params = rule_params(settings)
    # On cuDF, process_batches sizes its own chunks to the GPU's memory and streams the text.
    max_bytes = float("inf") if backend.is_gpu else CHUNK_JSON_BYTES
    report = combine_reports(
        [
            process_batches(lake, backend, chunk, params)
            for chunk in bounded_chunks(batches, max_batches, max_bytes)
        ]
    )
    get_run_logger().info(
        "%s batch(es): %s rows in, %s added, %s duplicates removed, %s quarantined, "
        "%s late, %d partition(s) written (%s)",
        f"{len(batches):,}",
        f"{report.rows_in:,}",
        f"{report.rows_added:,}",
        f"{report.duplicates_removed:,}",
        f"{report.rows_quarantined:,}",
        f"{report.late_events:,}",
        len(report.partitions_written),
        report.stage_summary() or "no work",
    )
    # Shown in the flow's artifact: s3://… on S3, as the gold tasks give theirs.
    report.partitions_written = [lake.url_of("silver", p) for p in report.partitions_written]
    return report


def data_quality_rows(report: SilverRunReport) -> list[dict[str, Any]]:
    """The data-quality table: one metric per row, quarantine reasons spelled out."""
    rows: list[dict[str, Any]] = [
        {"metric": "bronze batches processed", "value": len(report.batches)},
        {"metric": "rows in", "value": report.rows_in},
        {"metric": "rows added to silver", "value": report.rows_added},
        {"metric": "duplicates removed", "value": report.duplicates_removed},
        {
            "metric": "of them, rows an interrupted run of the same batches had written",
            "value": report.rewritten_after_interruption,
        },
        {"metric": "rows quarantined", "value": report.rows_quarantined},
        {"metric": "late events (event date ≠ ingest date)", "value": report.late_events},
        {"metric": "silver partitions written", "value": len(report.partitions_written)},
        {"metric": "backend", "value": report.backend or "none (no batches)"},
    ]
    if report.read_by_pyarrow:
        rows.append(
            {
                "metric": "batches the GPU JSON reader handed to pyarrow",
                "value": len(report.read_by_pyarrow),
            }
        )
    rows += [
        {"metric": f"quarantined: {reason}", "value": n}
        for reason, n in sorted(report.quarantined_by_reason.items())
    ]
    return rows
