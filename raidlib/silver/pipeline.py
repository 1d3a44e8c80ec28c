"""One incremental bronze → silver step, as separate public functions plus a convenience wrapper.

Order of effects in :func:`process_new_bronze` (what makes re-runs and crashes safe):

1. find landed batches without a processed marker;
2. read them, cast, check, enrich (pure);
3. for every touched ``(raid_id, event_date)``: read the stored partition, rebuild it with the
   new rows (dedup, sort, declared schema) and replace it atomically;
4. write the quarantine files (one per partition × batch, named after the batch);
5. only then mark the batches processed.

A crash anywhere before 5 leaves every partition old or new (never mixed) and the batches
unmarked; the next run reads them again and, because the rebuild deduplicates against what is
stored, produces the same silver as an uninterrupted run.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from raidlib.backend import Backend, frame_library, to_pandas
from raidlib.lake import layout
from raidlib.lake.bronze_reader import BronzeBatch, BronzeRead, read_bronze
from raidlib.lake.frames import frame_to_table
from raidlib.lake.lake import Lake
from raidlib.lake.parquet import read_partitions, write_partition_table
from raidlib.lake.quarantine import write_quarantine
from raidlib.lake.state import find_unprocessed_batches, mark_processed
from raidlib.silver.build import build_silver_partitions, touched_partitions
from raidlib.silver.cast import cast_bronze
from raidlib.silver.enrich import enrich
from raidlib.silver.rules import DEFAULT_RULE_PARAMS, RuleParams, check_rules, count_reasons
from raidlib.silver.schema import SILVER_FILE_SCHEMA, SILVER_SCHEMA

log = logging.getLogger(__name__)


@dataclass
class PreparedBronze:
    """Bronze rows after cast/check/enrich: ``clean`` (silver columns) and ``quarantined``."""

    clean: Any
    quarantined: Any
    rows_in: int


@dataclass
class SilverRunReport:
    """What one incremental step did. ``rows_in == rows_added + rows_quarantined + duplicates_removed``."""

    batches: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_added: int = 0
    duplicates_removed: int = 0
    rows_quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    late_events: int = 0
    partitions_written: list[str] = field(default_factory=list)
    quarantine_files: list[str] = field(default_factory=list)


def prepare_bronze(read: BronzeRead, params: RuleParams = DEFAULT_RULE_PARAMS) -> PreparedBronze:
    """Cast, check and enrich what :func:`read_bronze` returned; unparseable lines join quarantine."""
    cast = cast_bronze(read.frame)
    clean, quarantined = check_rules(cast, params)
    clean = enrich(clean)
    if len(read.rejected):
        lib = frame_library(cast)
        rejected = read.rejected.assign(
            ingest_timestamp=pd.to_datetime(
                read.rejected["ingest_timestamp"], utc=True, errors="coerce"
            )
        )
        rejected = cast_bronze(rejected).assign(
            quarantine_reason=read.rejected["quarantine_reason"].to_numpy(),
            raw_line=read.rejected["raw_line"].to_numpy(),
        )
        if lib is not pd:
            rejected = lib.from_pandas(rejected)
        quarantined = lib.concat([quarantined, rejected], ignore_index=True)
    return PreparedBronze(clean=clean, quarantined=quarantined, rows_in=read.lines)


def read_silver_partitions(lake: Lake, keys: list[tuple[str, str]], backend: Backend) -> Any:
    """The stored rows of the given ``(raid_id, event_date)`` partitions (empty when new)."""
    rels = [layout.silver_partition(r, d) for r, d in keys]
    return read_partitions(lake, "silver", rels, SILVER_FILE_SCHEMA, backend, schema=SILVER_SCHEMA)


def write_silver_partitions(lake: Lake, silver: Any, *, max_workers: int = 8) -> list[str]:
    """Atomically replace each partition present in ``silver`` (sorted by partition) with its rows."""
    if len(silver) == 0:
        return []
    table = frame_to_table(silver, SILVER_SCHEMA)
    keys = to_pandas(silver[["raid_id", "event_date"]].drop_duplicates())
    starts = keys.index.to_list() + [table.num_rows]
    file_table = table.select(SILVER_FILE_SCHEMA.names)
    jobs = []
    for i, (raid_id, event_date) in enumerate(
        zip(keys["raid_id"], keys["event_date"], strict=True)
    ):
        part: pa.Table = file_table.slice(starts[i], starts[i + 1] - starts[i])
        jobs.append((layout.silver_partition(raid_id, event_date), part))
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(lambda job: write_partition_table(lake, "silver", *job), jobs))


def late_event_count(clean: Any) -> int:
    """Rows whose event date differs from the UTC date they were ingested on."""
    if len(clean) == 0:
        return 0
    ingest_date = clean["ingest_timestamp"].dt.strftime("%Y-%m-%d")
    return int((clean["event_date"] != ingest_date).sum())


def process_batches(
    lake: Lake,
    backend: Backend,
    batches: list[BronzeBatch],
    params: RuleParams = DEFAULT_RULE_PARAMS,
) -> SilverRunReport:
    """Bring ``batches`` into silver (steps 2–5 of the module doc) and mark them processed."""
    report = SilverRunReport(batches=[b.batch_id for b in batches])
    if not batches:
        return report
    prepared = prepare_bronze(read_bronze(lake, batches, backend), params)
    keys = touched_partitions(prepared.clean) if len(prepared.clean) else []
    existing = read_silver_partitions(lake, keys, backend)
    rebuilt = build_silver_partitions(existing, prepared.clean)
    report.partitions_written = write_silver_partitions(lake, rebuilt)
    report.quarantine_files = write_quarantine(lake, prepared.quarantined)
    mark_processed(lake, report.batches, partitions=[f"{r}/{d}" for r, d in keys])

    report.rows_in = prepared.rows_in
    report.rows_quarantined = len(prepared.quarantined)
    report.quarantined_by_reason = count_reasons(prepared.quarantined)
    report.rows_added = len(rebuilt) - len(existing)
    report.duplicates_removed = len(existing) + len(prepared.clean) - len(rebuilt)
    report.late_events = late_event_count(prepared.clean)
    log.info(
        "silver: %d batches, %d rows in, %d added, %d duplicates, %d quarantined, %d partitions",
        len(batches),
        report.rows_in,
        report.rows_added,
        report.duplicates_removed,
        report.rows_quarantined,
        len(report.partitions_written),
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


def reason_counts(quarantined: Any) -> Counter[str]:
    return Counter(count_reasons(quarantined))
