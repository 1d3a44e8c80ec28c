"""Prefect tasks for combat log imports: parse + deliver with a progress artifact, then report."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from raidlib.client import ReceiverRefusedToken
from raidlib.combatlog.delivery import DEFAULT_BATCH_SIZE, LogReading, import_log
from raidlib.combatlog.import_result import ImportResult, age_limit_warning
from raidlib.combatlog.reader import UnreadableLogError
from raidlib.combatlog.timestamps import TimestampContextError
from raidlib.gold.summary import records
from raidlib.lake import Lake
from raidlib.settings import Settings
from raidlib.tasks.artifacts import plain_text_rows
from raidlib.tasks.progress import TaskProgress
from raidlib.tasks.retrying import LAKE_IO_RETRIES, retry_unless

import_worth_retrying = retry_unless(
    FileNotFoundError, UnreadableLogError, TimestampContextError, ReceiverRefusedToken
)
"""Retry an import only when the failure may pass (a receiver or store outage).

A missing, damaged or undatable log fails the same way again, as do a lake the settings
point at wrongly and a token the receiver refuses, and the user should hear of it at once, not
after the retry delays.
"""


@task(name="import-combat-log", **{**LAKE_IO_RETRIES, "retry_condition_fn": import_worth_retrying})
def import_combat_log_file(
    settings: Settings,
    path: str,
    reading: LogReading,
    receiver_url: str | None = None,
    token: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportResult:
    """Parse ``path`` as ``reading`` says and deliver it (see
    :func:`raidlib.combatlog.delivery.import_log`).

    Progress (bytes of the file read) is a Prefect progress artifact. Retrying is safe: batch
    ids are content hashes, so batches that already landed answer ``duplicate``.
    """
    logger = get_run_logger()
    progress = TaskProgress("combat-log-import-progress", f"Importing {path}", "bytes read")
    result = import_log(
        path,
        reading,
        lake=None if receiver_url else Lake.from_settings(settings),
        receiver_url=receiver_url,
        token=token,
        max_clock_skew_s=settings.max_clock_skew_s,
        batch_size=batch_size,
        on_progress=progress.advance,
    )
    progress.finish()
    counts = result.counts()
    logger.info(
        "%s: %s lines (%s malformed), %s events in %s batch(es) → %s: %d landed, %d duplicate, "
        "%d rejected, %d failed (%.1f s)",
        path,
        f"{counts['lines']:,}",
        f"{counts['malformed_lines']:,}",
        f"{counts['events']:,}",
        f"{counts['batches']:,}",
        result.destination,
        result.accepted,
        result.duplicate,
        result.rejected,
        result.failed,
        result.seconds,
    )
    too_old = age_limit_warning(result, settings.max_event_age_days)
    if too_old:
        logger.warning(too_old)
    for hint in (result.report.not_utf8_hint(), result.report.unused_clock_hint()):
        if hint:
            logger.warning(hint)
    if not result.ok:
        raise RuntimeError(
            f"{result.rejected + result.failed} batch(es) not delivered: {result.first_error}"
        )
    return result


@task(name="publish-import-report", cache_policy=NO_CACHE)
def publish_import_report(result: ImportResult) -> None:
    """Table artifacts: headline counts, events by type, rows skipped or of kinds with no event,
    pulls, malformed lines."""
    report = result.report
    rows = [{"metric": k, "value": v} for k, v in result.counts().items() if v is not None]
    rows += [{"metric": f"events: {k}", "value": v} for k, v in report.emitted.most_common()]
    rows += [{"metric": f"skipped: {k}", "value": v} for k, v in report.skipped.most_common()]
    rows += [{"metric": f"not mapped: {k}", "value": v} for k, v in report.not_mapped_rows()]
    create_table_artifact(
        key="combat-log-import-report",
        table=plain_text_rows(rows),
        description=f"Combat log import: {result.path}",
    )
    if not result.encounters.empty:
        pulls = result.encounters.copy()
        pulls["start"] = pulls["start"].astype(str)
        create_table_artifact(
            key="combat-log-encounters",
            table=plain_text_rows(records(pulls)),
            description="Pulls in the log (ENCOUNTER_START/END): boss, difficulty, outcome",
        )
    if report.malformed_count:
        create_table_artifact(
            key="combat-log-malformed-lines",
            table=plain_text_rows(result.malformed(limit=200)),
            description=f"{report.malformed_count} malformed line(s), first 200 (not imported)",
        )
    else:
        create_markdown_artifact(
            key="combat-log-malformed-lines",
            markdown="No malformed lines.",
            description="Malformed lines",
        )


def import_summary(result: ImportResult) -> dict[str, Any]:
    """The flow's JSON-friendly return value."""
    return {
        **result.counts(),
        "events_by_type": dict(result.report.emitted),
        "skipped": dict(result.report.skipped),
        "not_mapped": dict(result.report.not_mapped_rows()),
        "malformed_first": result.malformed(limit=20),
        "encounters": records(result.encounters.astype({"start": str})),
    }
