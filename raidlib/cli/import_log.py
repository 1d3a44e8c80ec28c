"""``raidlib import-log``: import a WoW combat log into bronze (or post it to a receiver)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from raidlib.cli.arg_types import int_in
from raidlib.cli.checks import log_file_problem, receiver_unusable
from raidlib.cli.options import add_combatlog_options, add_lake_options, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-log",
        help="import a WoW combat log (WoWCombatLog*.txt, plain or .gz) as raid events",
        description=(
            "Parse a World of Warcraft combat log and deliver its events in deterministic "
            "batches: straight into the lake's bronze layer (default, --lake or settings) or "
            "to a receiver (--receiver). Re-importing the same log changes nothing. Malformed "
            "lines are counted and reported with their line numbers, never fatal. Then run "
            "`python flows/medallion.py` from a raidlib checkout to build silver and gold."
        ),
    )
    parser.add_argument("path", type=Path, help="the combat log file (.txt, .log or .gz)")
    where = parser.add_argument_group("delivery (default: the lake's bronze layer)")
    where.add_argument("--receiver", metavar="URL", help="POST to this receiver instead")
    where.add_argument(
        "--token",
        default=None,
        help="bearer token for the receiver (default: RAIDLIB_AUTH_TOKEN, the receiver's own)",
    )
    where.add_argument(
        "--concurrency",
        type=int_in(1),
        default=4,
        help="parallel POSTs to the receiver (default 4)",
    )
    add_lake_options(parser)
    add_combatlog_options(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(
        func=run,
        interrupted="the batches that landed stay; importing the same log again lands the rest "
        "(those already there come back duplicate)",
    )


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from raidlib.client import ReceiverRefusedToken
    from raidlib.combatlog import TimestampContextError, UnreadableLogError
    from raidlib.combatlog.delivery import LogReading, import_log
    from raidlib.combatlog.import_result import age_limit_warning
    from raidlib.console import print_import_report
    from raidlib.lake import Lake, LakeStorageError
    from raidlib.lake.preflight import local_root_write_problem

    if (problem := log_file_problem(args.path)) is not None:
        print(f"raidlib import-log: {problem}", file=sys.stderr)
        return 2
    settings = settings_from_args(args)
    token = args.token or settings.auth_token
    if (
        args.receiver
        and (status := receiver_unusable(args.receiver, "raidlib import-log", token)) is not None
    ):
        return status
    lake = None if args.receiver else Lake.from_settings(settings)
    if lake is not None:
        try:  # before reading: a wrong bucket would otherwise fail every batch after the parse
            lake.check_storage(("bronze",))
        except LakeStorageError as exc:
            print(f"raidlib import-log: {exc}", file=sys.stderr)
            return 2
        if (problem := local_root_write_problem(lake, "bronze")) is not None:
            print(f"raidlib import-log: {problem}", file=sys.stderr)
            return 2
    size = args.path.stat().st_size
    bar = tqdm(
        total=size, unit="B", unit_scale=True, desc="reading", disable=args.no_progress, leave=False
    )

    def progress(done: int, total: int) -> None:
        bar.update(max(0, done - bar.n))

    try:
        with bar:
            result = import_log(
                args.path,
                LogReading(
                    raid_id=args.raid_id,
                    year=args.year,
                    utc_offset_hours=args.utc_offset_hours,
                    tz=args.tz,
                    scope=args.scope,
                    boss_npc_ids=tuple(args.boss_npc_ids),
                ),
                lake=lake,
                receiver_url=args.receiver,
                token=token,
                max_clock_skew_s=settings.max_clock_skew_s,
                concurrency=args.concurrency,
                batch_size=args.batch_size,
                on_progress=progress,
            )
    except TimestampContextError as exc:
        print(f"cannot date this log: {exc}", file=sys.stderr)
        return 2
    except UnreadableLogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if landed := exc.what_landed():
            print(landed, file=sys.stderr)
        return 2
    except ReceiverRefusedToken as exc:  # the first 401 stopped the sending
        print(f"raidlib import-log: {exc}", file=sys.stderr)
        return 2
    print_import_report(result)
    too_old = age_limit_warning(result, settings.max_event_age_days)
    if too_old:
        print(f"warning: {too_old}", file=sys.stderr)
    if not result.ok:
        print(f"{result.rejected + result.failed} batch(es) were not delivered", file=sys.stderr)
        return 1
    return 0
