"""One incremental bronze → silver step, as separate public functions plus a convenience wrapper.

Order of effects in :func:`process_new_bronze` (what makes re-runs and crashes safe):

1. find landed batches without a processed marker;
2. read them, cast, check, enrich (pure);
3. for every touched ``(raid_id, event_date)``: read the stored partition, rebuild it with the
   new rows (dedup, sort, declared schema) and replace it atomically;
4. write the quarantine files (one per partition × batch, named after the batch);
5. only then mark the batches processed.

On the cuDF backend the batches are first cut into chunks whose estimated device memory fits
the GPU (:mod:`raidlib.gpu_memory`); a chunk that runs out of device memory anyway, or a single
batch too big for the card, is processed on pandas with a logged warning. Chunks run one after
the other, each a complete incremental step, so the result is the same as one big step.

A crash anywhere before 5 leaves every partition old or new (never mixed) and the batches
unmarked; the next run reads them again and, because the rebuild deduplicates against what is
stored, produces the same silver as an uninterrupted run.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import pyarrow as pa

from raidlib.backend import Backend, backend_of, pandas_backend, to_pandas
from raidlib.gpu_device import device_memory
from raidlib.gpu_memory import (
    DEFAULT_POLICY,
    MemoryPolicy,
    MemoryProbe,
    run_with_fallback,
    split_to_fit,
)
from raidlib.lake import layout
from raidlib.lake.bronze_batches import BronzeBatch
from raidlib.lake.bronze_reader import BronzeRead, read_bronze
from raidlib.lake.frames import frame_to_table, table_to_frame
from raidlib.lake.lake import Lake
from raidlib.lake.listing import list_raid_partition_files
from raidlib.lake.parquet import read_partitions, write_partition_files
from raidlib.lake.quarantine import write_quarantine
from raidlib.lake.state import find_unprocessed_batches, mark_processed
from raidlib.silver.build import build_silver_partitions, touched_partitions
from raidlib.silver.cast import cast_bronze
from raidlib.silver.enrich import enrich
from raidlib.silver.report import SilverRunReport, combine_reports
from raidlib.silver.rules import DEFAULT_RULE_PARAMS, RuleParams, check_rules, count_reasons
from raidlib.silver.schema import (
    PARTITION_COLUMNS,
    QUARANTINE_FILE_SCHEMA,
    SILVER_FILE_SCHEMA,
    SILVER_SCHEMA,
)

log = logging.getLogger(__name__)


@dataclass
class PreparedBronze:
    """Bronze rows after cast/check/enrich: ``clean`` (silver columns) and ``quarantined``."""

    clean: Any
    quarantined: Any
    rows_in: int


def prepare_bronze(read: BronzeRead, params: RuleParams = DEFAULT_RULE_PARAMS) -> PreparedBronze:
    """Cast, check and enrich what :func:`read_bronze` returned; unparseable lines join quarantine."""
    cast = cast_bronze(read.frame)
    clean, quarantined = check_rules(cast, params)
    clean = enrich(clean)
    if len(read.rejected):
        backend = backend_of(cast)
        lib = backend.xdf
        rejected = read.rejected.assign(
            ingest_timestamp=pd.to_datetime(
                read.rejected["ingest_timestamp"], utc=True, errors="coerce"
            )
        )
        rejected = cast_bronze(rejected).assign(
            quarantine_reason=read.rejected["quarantine_reason"].to_numpy(),
            raw_line=read.rejected["raw_line"].to_numpy(),
        )
        if backend.is_gpu:
            # Through Arrow with the declared types: ``from_pandas`` would turn the all-null
            # object column ``data_quality_flags`` into strings, which cuDF cannot concatenate
            # with the list column of ``quarantined``.
            extra = [QUARANTINE_FILE_SCHEMA.field(n) for n in ("quarantine_reason", "raw_line")]
            schema = pa.schema([*SILVER_SCHEMA, *extra])
            rejected = table_to_frame(frame_to_table(rejected, schema), backend)
        quarantined = lib.concat([quarantined, rejected], ignore_index=True)
    return PreparedBronze(clean=clean, quarantined=quarantined, rows_in=read.lines)


def read_silver_partitions(lake: Lake, keys: list[tuple[str, str]], backend: Backend) -> Any:
    """The stored rows of the given ``(raid_id, event_date)`` partitions (empty when new).

    The raids' folders are listed once (not each partition folder twice), and the listing's
    files are read, so on S3 a partition costs one GET per file.
    """
    listed = list_raid_partition_files(
        lake, "silver", layout.DATASET, PARTITION_COLUMNS, {raid for raid, _ in keys}
    )
    wanted = [(key, layout.silver_partition(*key)) for key in keys]
    files = {rel: listed[key] for key, rel in wanted if key in listed}
    return read_partitions(
        lake, "silver", list(files), SILVER_FILE_SCHEMA, backend, schema=SILVER_SCHEMA, files=files
    )


def write_silver_partitions(
    lake: Lake, silver: Any, backend: Backend, *, max_workers: int = 8
) -> list[str]:
    """Atomically replace each partition present in ``silver`` (sorted by partition) with its rows."""
    if len(silver) == 0:
        return []
    # First row of each partition (its position); sorted by position so the bounds below
    # never depend on the order drop_duplicates returns them in.
    keys = to_pandas(silver[["raid_id", "event_date"]].drop_duplicates()).sort_index()
    starts = [*keys.index.to_list(), len(silver)]
    partitions = [
        (layout.silver_partition(raid_id, event_date), start, stop)
        for raid_id, event_date, (start, stop) in zip(
            keys["raid_id"], keys["event_date"], itertools.pairwise(starts), strict=True
        )
    ]
    return write_partition_files(
        lake, "silver", silver, SILVER_FILE_SCHEMA, partitions, backend, max_workers=max_workers
    )


def late_event_count(clean: Any) -> int:
    """Rows whose event date differs from the UTC date they were ingested on."""
    if len(clean) == 0:
        return 0
    # event_date is the UTC date of timestamp (enrich): comparing days spares formatting
    # every ingest time as text, which cost a third of a second per million rows.
    event_day = clean["timestamp"].dt.floor("D")
    return int((event_day != clean["ingest_timestamp"].dt.floor("D")).sum())


def estimate_batch_bytes(lake: Lake, batch: BronzeBatch, policy: MemoryPolicy) -> float:
    """Device bytes a batch needs in silver: its JSON size (from the manifest, else the objects'
    sizes) × the policy's working-copy factor."""
    json_bytes = batch.expected_json_bytes(policy)
    if json_bytes is None:
        fs = lake.fs("bronze")
        json_bytes = sum(fs.size(p) or 0 for p in batch.paths)
    return json_bytes * policy.bytes_per_bronze_byte


def process_batches(
    lake: Lake,
    backend: Backend,
    batches: list[BronzeBatch],
    params: RuleParams = DEFAULT_RULE_PARAMS,
    *,
    policy: MemoryPolicy = DEFAULT_POLICY,
    probe: MemoryProbe = device_memory,
) -> SilverRunReport:
    """Bring ``batches`` into silver (steps 2–5 of the module doc) and mark them processed.

    On a GPU backend the work is split to fit device memory (see the module doc); the report's
    ``backend`` says what actually ran.
    """
    if not backend.is_gpu or not batches:
        return _process_chunk(lake, backend, batches, params)
    memory = probe()
    if memory is None:
        chunks = [(list(range(len(batches))), True)]
    else:
        sizes = [estimate_batch_bytes(lake, b, policy) for b in batches]
        chunks = split_to_fit(sizes, policy.budget(memory[0]))
    reports = []
    for indices, fits in chunks:
        chunk = [batches[i] for i in indices]
        if fits:
            report, used = run_with_fallback(
                "silver",
                partial(_process_chunk, lake, batches=chunk, params=params),
                backend,
                lambda: pandas_backend("GPU out of memory"),
            )
            if used is not backend:
                report.backend = "pandas (GPU out of memory)"
        else:
            log.warning(
                "silver: batch %s alone needs more GPU memory than is free; using pandas",
                chunk[0].batch_id,
            )
            report = _process_chunk(lake, pandas_backend("batch too big"), chunk, params)
            report.backend = "pandas (batch too big for the GPU)"
        reports.append(report)
    if len(reports) > 1:
        log.info("silver: %d batches processed in %d GPU-sized chunks", len(batches), len(reports))
    return combine_reports(reports)


def _process_chunk(
    lake: Lake, backend: Backend, batches: list[BronzeBatch], params: RuleParams
) -> SilverRunReport:
    report = SilverRunReport(batches=[b.batch_id for b in batches], backend=backend.name)
    if not batches:
        return report
    with report.timed("read"):
        read = read_bronze(lake, batches, backend)
    report.read_by_pyarrow = list(read.read_by_pyarrow)
    with report.timed("prepare"):
        prepared = prepare_bronze(read, params)
    del read  # the raw frame: no longer needed, and as big as the batches
    with report.timed("rebuild"):
        by_batch = touched_partitions(prepared.clean) if len(prepared.clean) else {}
        keys = sorted({pair for pairs in by_batch.values() for pair in pairs})
        existing = read_silver_partitions(lake, keys, backend)
        rebuilt = build_silver_partitions(existing, prepared.clean)
    report.rows_in = prepared.rows_in
    report.rows_added = len(rebuilt) - len(existing)
    report.duplicates_removed = len(existing) + len(prepared.clean) - len(rebuilt)
    if len(existing):  # a hash lookup against this step's few batch ids
        mine = existing["batch_id"].isin(report.batches)
        report.rewritten_after_interruption = int(mine.sum())
    report.late_events = late_event_count(prepared.clean)
    quarantined = prepared.quarantined
    # Only ``rebuilt`` is written: the inputs it was built from go first, which leaves the
    # GPU's Parquet encoder (one call for every partition) that much more device memory.
    del prepared, existing
    with report.timed("write"):
        report.partitions_written = write_silver_partitions(lake, rebuilt, backend)
    with report.timed("quarantine"):
        report.quarantine_files = write_quarantine(lake, quarantined)
    with report.timed("mark"):
        mark_processed(
            lake,
            report.batches,
            partitions={b: [f"{r}/{d}" for r, d in pairs] for b, pairs in by_batch.items()},
        )
    report.rows_quarantined = len(quarantined)
    report.quarantined_by_reason = count_reasons(quarantined)
    log.info(
        "silver (%s): %s batches, %s rows in, %s added, %s duplicates, %s quarantined, "
        "%d partitions (%s)",
        backend.name,
        f"{len(batches):,}",
        f"{report.rows_in:,}",
        f"{report.rows_added:,}",
        f"{report.duplicates_removed:,}",
        f"{report.rows_quarantined:,}",
        len(report.partitions_written),
        report.stage_summary(),
    )
    return report


def process_new_bronze(
    lake: Lake,
    backend: Backend,
    *,
    max_batches: int | None = None,
    params: RuleParams = DEFAULT_RULE_PARAMS,
) -> SilverRunReport:
    """One incremental step: every landed, unprocessed bronze batch (oldest first) into silver."""
    return process_batches(lake, backend, find_unprocessed_batches(lake, max_batches), params)
