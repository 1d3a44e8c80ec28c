"""``raidlib send``: generate raids and post them to a receiver, with optional injected faults."""

from __future__ import annotations

import argparse
import sys

from raidlib.cli.arg_types import (
    MAX_BATCH_SIZE,
    batch_size,
    int_in,
    iso_datetime,
    raid_prefix,
    random_seed,
)
from raidlib.cli.checks import receiver_unusable
from raidlib.cli.options import add_fault_options, faults_from_args, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "send",
        help="generate raids and POST them to a receiver",
        description=(
            "Generate synthetic raids, cut them into batches and post them concurrently to a "
            "receiver. Retries reuse the batch_id, so a retried batch never lands twice."
        ),
    )
    parser.add_argument(
        "--url", default="http://127.0.0.1:8000", help="receiver base URL (default %(default)s)"
    )
    parser.add_argument("--raids", type=int_in(1), default=3, help="raids to generate (default 3)")
    parser.add_argument(
        "--seed",
        type=random_seed,
        default=0,
        help="random seed: same seed, same events (default 0, as generate and the ingest flow)",
    )
    parser.add_argument(
        "--start",
        type=iso_datetime,
        default=None,
        help="UTC start of the first raid, ISO-8601; raids follow on consecutive days "
        "(default: 19:30 UTC, RAIDS days ago: the last raid was yesterday evening)",
    )
    parser.add_argument(
        "--batch-size",
        type=batch_size,
        default=1000,
        help=f"events per POST (default 1000, max {MAX_BATCH_SIZE}: the receiver's default limit)",
    )
    parser.add_argument(
        "--concurrency", type=int_in(1), default=4, help="parallel posts (default 4)"
    )
    parser.add_argument(
        "--retries", type=int_in(0), default=3, help="retries per batch (default 3)"
    )
    parser.add_argument(
        "--token",
        default=None,
        help="bearer token for the receiver (default: RAIDLIB_AUTH_TOKEN, the receiver's own)",
    )
    parser.add_argument("--pug", action="store_true", help="pick-up groups: fresh players per raid")
    parser.add_argument(
        "--raid-prefix",
        type=raid_prefix,
        default=None,
        help="raid ids <prefix>001 … (default raid<YYYYMMDD>- after the first raid's date, so "
        "other nights never merge into earlier raids)",
    )
    add_fault_options(parser, "fault injection (fractions of the events)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(
        func=run,
        interrupted="batches answered 201 are in bronze; the same command again (the same day, "
        "or with the same --start) sends the rest, and the landed ones come back duplicate",
    )


def run(args: argparse.Namespace) -> int:
    from raidlib.client import ReceiverRefusedToken, post_batches
    from raidlib.generator import (
        dated_raid_prefix,
        default_first_raid_start,
        generate_raids,
        plan_batches,
    )

    # Settings first: a bad RAIDLIB_* value stops the command before it simulates anything.
    settings = settings_from_args(args)
    token = args.token or settings.auth_token
    if (status := receiver_unusable(args.url, "raidlib send", token)) is not None:
        return status
    start = args.start or default_first_raid_start(args.raids)
    prefix = args.raid_prefix or dated_raid_prefix(start)
    # Simulating and cutting a season into batches takes seconds (~15 s for 40 raids): say so,
    # on stderr with the progress bar, so that `raidlib send > file` keeps only the summary.
    print(f"simulating {args.raids} raid(s)…", file=sys.stderr, flush=True)
    frame = generate_raids(
        args.raids, seed=args.seed, start=start, pug=args.pug, raid_prefix=prefix
    )
    print(
        f"cutting {len(frame):,} events into batches of {args.batch_size}…",
        file=sys.stderr,
        flush=True,
    )
    batches = plan_batches(
        frame, batch_size=args.batch_size, faults=faults_from_args(args), seed=args.seed
    )
    n_events = sum(len(b.events) for b in batches)
    print(
        f"generated {args.raids} raids, {len(frame):,} events → {len(batches):,} batches "
        f"({n_events:,} events on the wire) → {args.url}",
        flush=True,
    )
    try:
        summary = post_batches(
            args.url,
            batches,
            concurrency=args.concurrency,
            retries=args.retries,
            token=token,
            progress=not args.no_progress,
            total_events=n_events,
        )
    except ReceiverRefusedToken as exc:  # the first 401 stopped the sending
        print(f"raidlib send: {exc}", file=sys.stderr)
        return 2
    built_invalid = {b.batch_id for b in batches if not b.expect_valid}
    print(summary.describe())
    if built_invalid or summary.rejected:
        print(f"batches built to be rejected (--invalid): {len(built_invalid)}")
    # A valid batch turned away (a receiver with other limits) is a failure
    # to deliver as much as a network error: scripts must not see exit 0.
    refused = [
        r for r in summary.results if r.outcome == "rejected" and r.batch_id not in built_invalid
    ]
    if summary.failed or refused:
        print(
            f"{summary.failed + len(refused)} batches could not be delivered "
            f"({summary.failed} failed, {len(refused)} valid ones rejected)",
            file=sys.stderr,
        )
        return 1
    return 0
