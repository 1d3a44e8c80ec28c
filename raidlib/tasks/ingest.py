"""Prefect tasks for ingest: generate synthetic raids and deliver them (HTTP or direct to bronze)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from raidlib.client import PostResult, SendSummary, post_batches, require_receiver
from raidlib.generator import FaultConfig, RaidConfig, WireBatch, generate_raids, plan_batches
from raidlib.generator.raid import summarize_raids
from raidlib.lake import Lake
from raidlib.landing import land_batches
from raidlib.settings import Settings
from raidlib.tasks.progress import TaskProgress
from raidlib.tasks.retrying import LAKE_IO_RETRIES


@task(name="generate-raids", cache_policy=NO_CACHE)
def generate_raid_batches(
    raids: int,
    seed: int,
    start: datetime,
    players: int,
    batch_size: int,
    faults: FaultConfig,
    *,
    pug: bool = False,
    skill: float = 1.0,
    raid_prefix: str = "raid",
) -> tuple[list[WireBatch], list[dict[str, Any]]]:
    """Simulate ``raids`` raids and cut them into POST batches; returns batches and a summary.

    ``pug`` draws fresh players per raid instead of the seed's guild; ``skill`` below about
    0.8 makes the boss outlast the enrage timer, so the raid wipes.
    """
    log = get_run_logger()
    log.info("simulating %d raid(s) of %d players…", raids, players)
    frame = generate_raids(
        raids,
        seed=seed,
        start=start,
        pug=pug,
        config=RaidConfig(n_players=players, skill=skill),
        raid_prefix=raid_prefix,
    )
    # Turning rows into wire dicts costs ~13 µs an event (10 s for a 40-raid season): say so.
    log.info("cutting %s events into batches of %s…", f"{len(frame):,}", f"{batch_size:,}")
    batches = plan_batches(frame, batch_size=batch_size, faults=faults, seed=seed)
    summary = summarize_raids(frame).astype(object).to_dict("records")
    log.info(
        "generated %s events in %d raid(s) → %s batch(es)",
        f"{len(frame):,}",
        raids,
        f"{len(batches):,}",
    )
    return batches, summary


@task(name="check-receiver", cache_policy=NO_CACHE)
def check_receiver(url: str, sends_token: bool) -> None:
    """Fail the run before simulating anything when no receiver answers at ``url``, or when it
    needs a token and none will be sent (the token itself is no task parameter)."""
    require_receiver(url, sends_token=sends_token)


@task(name="post-to-receiver", cache_policy=NO_CACHE)
def post_to_receiver(
    url: str, batches: list[WireBatch], token: str | None, concurrency: int
) -> dict[str, Any]:
    """POST every batch (retries reuse the batch id, so a retry never lands twice)."""
    progress = _event_progress(f"posting to {url}", batches)
    summary = post_batches(
        url,
        batches,
        concurrency=concurrency,
        token=token,
        progress=False,
        on_result=_advancing(progress),
    )
    progress.finish()
    get_run_logger().info(summary.describe().replace("\n", "; "))
    return delivery_report(summary)


@task(name="land-in-bronze", **LAKE_IO_RETRIES)
def land_directly(settings: Settings, batches: list[WireBatch]) -> dict[str, Any]:
    """Validate and land batches straight into bronze (no receiver): same checks, same files
    (:func:`raidlib.landing.land_batches`)."""
    progress = _event_progress(f"landing in {settings.bronze_root}", batches)
    summary = land_batches(
        Lake.from_settings(settings),
        batches,
        max_clock_skew_s=settings.max_clock_skew_s,
        on_result=_advancing(progress),
    )
    progress.finish()
    get_run_logger().info(
        "landed %s batch(es) (%s events), %s duplicate, %s rejected",
        f"{summary.accepted:,}",
        f"{summary.events_accepted:,}",
        f"{summary.duplicate:,}",
        f"{summary.rejected:,}",
    )
    return delivery_report(summary)


def delivery_report(summary: SendSummary) -> dict[str, Any]:
    """What the ``ingest`` flow returns as ``delivery``, however the batches travelled."""
    return {
        "batches": len(summary.results),
        "accepted": summary.accepted,
        "duplicate": summary.duplicate,
        "rejected": summary.rejected,
        "failed": summary.failed,
        "events_accepted": summary.events_accepted,
        "first_error": summary.first_error,
    }


def _event_progress(description: str, batches: list[WireBatch]) -> TaskProgress:
    total = sum(len(b.events) for b in batches)
    return TaskProgress("ingest-progress", description, "events", total)


def _advancing(progress: TaskProgress) -> Callable[[PostResult], None]:
    """An ``on_result`` that advances ``progress`` by the events of each settled batch."""
    settled = 0

    def on_result(result: PostResult) -> None:
        nonlocal settled
        settled += result.events
        progress.advance(settled)

    return on_result
