"""Flow: bring new bronze batches into silver (incremental, idempotent)."""

from __future__ import annotations

import argparse
import os
from typing import Annotated, Literal

os.environ.setdefault("DO_NOT_TRACK", "1")  # before Prefect is imported (README: telemetry)

from prefect import flow, get_run_logger
from pydantic import Field

from raidlib.backend import backend_for
from raidlib.cli.flow_script import (
    flow_parameter_help,
    flow_script_settings,
    flow_summary,
    parse_flow_args,
)
from raidlib.cli.options import add_backend_option
from raidlib.lake import Lake
from raidlib.prefect_setup import SILVER_LIMIT_NAME
from raidlib.runconfig import settings_for_run
from raidlib.silver.report import combine_reports, interrupted_note
from raidlib.tasks.artifacts import publish_partitions, publish_table
from raidlib.tasks.fanout import current_task_runner, describe_limit, parallel_limit, submit_within
from raidlib.tasks.setup import exclusive_slot
from raidlib.tasks.silver import (
    data_quality_rows,
    find_unprocessed,
    process_batch_group,
    task_groups,
)
from raidlib.tasks.storage import check_lake_storage


@flow(name="bronze_to_silver", log_prints=True)
def bronze_to_silver(
    lake: str | None = None,
    backend: Literal["auto", "cudf", "pandas"] | None = None,
    max_batches_per_task: Annotated[int, Field(ge=1)] = 200,
) -> dict:
    """Process every landed, unprocessed bronze batch into silver; publish data quality.

    Args:
        lake: local lake folder holding ``bronze/ silver/ gold/``; default from settings
            (``RAIDLIB_*_ROOT``, which may be ``s3://`` URLs).
        backend: dataframe backend for cleaning; None: ``RAIDLIB_BACKEND``, else auto.
        max_batches_per_task: how many bronze batches one silver task reads at a time (on
            pandas also at most 512 MiB of their JSON): the new events it holds; a task also
            holds the whole existing partition it merges them into.
    """
    logger = get_run_logger()
    settings = settings_for_run(lake, backend=backend)
    check_lake_storage(settings, ("bronze", "silver"), reads="bronze")
    chosen = backend_for(settings)
    logger.info("backend: %s (%s)", chosen.name, chosen.reason)
    settings = settings.model_copy(update={"backend": chosen.name})

    with exclusive_slot(SILVER_LIMIT_NAME, settings.slot_wait_s):
        batches = find_unprocessed(settings)
        limit = parallel_limit(settings, chosen.name, current_task_runner())
        groups = task_groups(
            Lake.from_settings(settings), chosen, batches, one_at_a_time=limit == 1
        )
        if len(groups) > 1:
            logger.info(
                "%d silver tasks of independent batches, %s", len(groups), describe_limit(limit)
            )
        reports = submit_within(
            lambda group: process_batch_group.submit(settings, group, max_batches_per_task),
            groups,
            limit,
        )
    report = combine_reports(reports)

    publish_table(
        "silver-data-quality",
        data_quality_rows(report),
        f"Silver data quality (backend: {chosen.name})",
    )
    publish_partitions("Silver partitions written", "silver-partitions", report.partitions_written)
    return {
        "backend": chosen.name,
        "batches": len(report.batches),
        "rows_in": report.rows_in,
        "rows_added": report.rows_added,
        "duplicates_removed": report.duplicates_removed,
        "rewritten_after_interruption": report.rewritten_after_interruption,
        "rows_quarantined": report.rows_quarantined,
        "quarantined_by_reason": report.quarantined_by_reason,
        "late_events": report.late_events,
        "partitions_written": len(report.partitions_written),
    }


def describe_silver(result: dict) -> str:
    """A script's line for what a run did to silver (this flow's return value)."""
    return (
        f"silver: {result['batches']:,} batch(es), {result['rows_added']:,} rows added, "
        f"{result['duplicates_removed']:,} duplicates removed"
        f"{interrupted_note(result.get('rewritten_after_interruption', 0))}, "
        f"{result['rows_quarantined']:,} quarantined"
    )


def cli_parser() -> argparse.ArgumentParser:
    """The options of ``python flows/bronze_to_silver.py``."""
    parser = argparse.ArgumentParser(description=flow_summary(bronze_to_silver))
    parser.add_argument("--lake", default=None, help=flow_parameter_help(bronze_to_silver, "lake"))
    add_backend_option(parser)
    return parser


if __name__ == "__main__":
    args = parse_flow_args(cli_parser(), lambda args: ("bronze", "silver"), reads_lake=True)
    with flow_script_settings():
        result = bronze_to_silver(lake=args.lake, backend=args.backend)
        print(
            f"{describe_silver(result)}; {result['partitions_written']} partition(s) written "
            f"(backend {result['backend']})"
        )
