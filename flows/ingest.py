"""Flow: generate synthetic raids and deliver them — to a receiver over HTTP, or straight to bronze."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

os.environ.setdefault("DO_NOT_TRACK", "1")  # before Prefect is imported (README: telemetry)

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote
from pydantic import Field

from raidlib.cli.arg_types import (
    MAX_BATCH_SIZE,
    MAX_PLAYERS,
    MAX_RAIDS,
    MAX_SKILL,
    int_in,
    iso_datetime,
    random_seed,
    rate,
    skill_factor,
)
from raidlib.cli.arg_types import raid_prefix as raid_prefix_type
from raidlib.cli.flow_script import (
    TOKEN_PARAMETER_WARNING,
    flow_parameter_help,
    flow_script_settings,
    flow_summary,
    parse_flow_args,
)
from raidlib.generator import FaultConfig, dated_raid_prefix, default_first_raid_start
from raidlib.runconfig import settings_for_run
from raidlib.schemas.events import RAID_PREFIX_PATTERN
from raidlib.tasks.artifacts import publish_table
from raidlib.tasks.ingest import (
    check_receiver,
    generate_raid_batches,
    land_directly,
    post_to_receiver,
)
from raidlib.tasks.storage import check_lake_storage

Rate = Annotated[float, Field(ge=0.0, le=1.0)]


@flow(name="ingest", log_prints=True)
def ingest(
    raids: Annotated[int, Field(ge=1, le=MAX_RAIDS)] = 3,
    seed: Annotated[int, Field(ge=0)] = 0,
    players: Annotated[int, Field(ge=1, le=MAX_PLAYERS)] = 20,
    start: datetime | None = None,
    receiver_url: str | None = None,
    token: str | None = None,
    lake: str | None = None,
    batch_size: Annotated[int, Field(ge=1, le=MAX_BATCH_SIZE)] = 2_000,
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4,
    duplicate_rate: Rate = 0.0,
    late_rate: Rate = 0.0,
    invalid_rate: Rate = 0.0,
    pug: bool = False,
    skill: Annotated[float, Field(gt=0.0, le=MAX_SKILL)] = 1.0,
    raid_prefix: Annotated[str, Field(pattern=RAID_PREFIX_PATTERN)] | None = None,
) -> dict:
    """Simulate raids (reproducible from ``seed``) and deliver them.

    Args:
        raids: how many raids, one a night: the last one yesterday, or the first at ``start``.
        seed: random seed; the same seed and parameters simulate the same raids.
        players: raiders per raid.
        start: when the first raid starts (without an offset: UTC); default: 19:30 UTC, ``raids`` days ago.
        receiver_url: POST to this receiver (``http://127.0.0.1:8000``); without one the
            batches land directly in the bronze layer of ``lake``, with the receiver's checks.
        token: the receiver's bearer token (default: the ``RAIDLIB_AUTH_TOKEN`` setting, which
            is the way to give it: Prefect stores parameters in plain text and shows them).
        lake: local lake folder holding ``bronze/ silver/ gold/`` to land in when there is no
            ``receiver_url`` (default from settings).
        batch_size: events per batch (one POST each).
        concurrency: batches posted to the receiver at once.
        duplicate_rate: fraction of events sent again, usually in a later batch.
        late_rate: fraction of events withheld and delivered hours to days later.
        invalid_rate: fraction of events copied with one rule broken, in batches of their own
            that the receiver rejects.
        pug: fresh players every raid instead of the seed's guild roster.
        skill: scales the team's output; below about 0.8 the boss outlasts the enrage timer
            and the raid wipes.
        raid_prefix: raid ids are ``<prefix>001``, ``<prefix>002`` …; default
            ``raid<YYYYMMDD>-`` after the first raid's date, so ingests of other nights never
            merge into earlier raids (give the same prefix only to re-deliver the same raids).
    """
    logger = get_run_logger()
    if token:  # stored with the run whether or not a receiver uses it
        logger.warning(TOKEN_PARAMETER_WARNING)
    if receiver_url:
        auth_token = token or settings_for_run(lake).auth_token  # the receiver's own setting
        check_receiver(receiver_url, bool(auth_token))
    else:  # built once, for the storage check and the landing
        settings = settings_for_run(lake)
        check_lake_storage(settings, ("bronze",))
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)  # as the command line reads it, and the docs say
    start = start or default_first_raid_start(raids)
    raid_prefix = raid_prefix or dated_raid_prefix(start)
    faults = FaultConfig(
        duplicate_rate=duplicate_rate, late_rate=late_rate, invalid_rate=invalid_rate
    )
    batches, raid_summary = generate_raid_batches(
        raids,
        seed,
        start,
        players,
        batch_size,
        faults,
        pug=pug,
        skill=skill,
        raid_prefix=raid_prefix,
    )
    # quote(): Prefect otherwise walks every event of every batch looking for futures and
    # states (1.5 s per 1,000 events on a slow machine; PrefectHQ/prefect#9934); these are
    # plain data. The tasks get the list itself: Prefect unwraps the quote before they run
    # (hence Any for the checker).
    quoted: Any = quote(batches)
    if receiver_url:
        logger.info("posting %d batch(es) to %s", len(batches), receiver_url)
        delivery = post_to_receiver(receiver_url, quoted, auth_token, concurrency)
    else:
        logger.info("landing %d batch(es) directly in %s", len(batches), settings.bronze_root)
        delivery = land_directly(settings, quoted)
    publish_table("ingest-raids", raid_summary, "Raids generated (simulated outcome)")
    publish_table(
        "ingest-delivery",
        [{"metric": k, "value": v} for k, v in delivery.items()],
        f"Delivery to {receiver_url or 'bronze (direct)'}",
    )
    return {"raids": raid_summary, "delivery": delivery}


def cli_parser() -> argparse.ArgumentParser:
    """The options of ``python flows/ingest.py`` (the others are the flow's parameters)."""
    parser = argparse.ArgumentParser(description=flow_summary(ingest))

    def option(flag: str, name: str, **kwargs: Any) -> None:
        help_text = flow_parameter_help(ingest, name)
        if kwargs.get("default") is not None and kwargs.get("action") != "store_true":
            help_text += f" (default {kwargs['default']})"
        parser.add_argument(flag, help=help_text, **kwargs)

    option("--raids", "raids", type=int_in(1, MAX_RAIDS), default=3)
    option("--seed", "seed", type=random_seed, default=0)
    option("--players", "players", type=int_in(1, MAX_PLAYERS), default=20)
    option("--start", "start", type=iso_datetime, default=None, metavar="ISO")
    option("--receiver-url", "receiver_url", default=None, metavar="URL")
    option("--token", "token", default=None)
    option("--lake", "lake", default=None)
    option("--duplicate-rate", "duplicate_rate", type=rate, default=0.0, metavar="RATE")
    option("--late-rate", "late_rate", type=rate, default=0.0, metavar="RATE")
    option("--invalid-rate", "invalid_rate", type=rate, default=0.0, metavar="RATE")
    option("--pug", "pug", action="store_true")
    option("--skill", "skill", type=skill_factor, default=1.0)
    option("--raid-prefix", "raid_prefix", type=raid_prefix_type, default=None, metavar="P")
    return parser


def describe_ingest(result: dict, destination: str) -> list[str]:
    """What the script prints: the raids simulated, then what their delivery came to."""
    raids = ", ".join(f"{r['raid_id']} {r['outcome']}" for r in result["raids"])
    d = result["delivery"]
    lines = [
        f"{len(result['raids'])} raid(s) simulated: {raids}",
        f"{d['batches']} batch(es) to {destination}: {d['accepted']} accepted "
        f"({d['events_accepted']:,} events), {d['duplicate']} duplicate, "
        f"{d['rejected']} rejected, {d['failed']} failed",
    ]
    if d["first_error"]:
        lines.append(f"first error: {d['first_error']}")
    return lines


if __name__ == "__main__":
    args = parse_flow_args(cli_parser(), lambda a: () if a.receiver_url else ("bronze",))
    with flow_script_settings():
        result = ingest(
            raids=args.raids,
            seed=args.seed,
            players=args.players,
            start=args.start,
            receiver_url=args.receiver_url,
            lake=args.lake,
            duplicate_rate=args.duplicate_rate,
            late_rate=args.late_rate,
            invalid_rate=args.invalid_rate,
            pug=args.pug,
            skill=args.skill,
            raid_prefix=args.raid_prefix,
        )
        print("\n".join(describe_ingest(result, args.receiver_url or "bronze")))
        delivery = result["delivery"]
        # Rejections are expected only of the batches --invalid-rate built to be rejected.
        undelivered = delivery["failed"] or (delivery["rejected"] and not args.invalid_rate)
    sys.exit(1 if undelivered else 0)
