"""Flow: import a WoW combat log into bronze (or a receiver), optionally then run the medallion."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Annotated, Literal

os.environ.setdefault("DO_NOT_TRACK", "1")  # before Prefect is imported (README: telemetry)

from prefect import flow, get_run_logger
from pydantic import Field

# Run as a script or loaded by a worker from its entrypoint, this file's folder — not the
# project root — is on sys.path; the sibling flow is imported as the `flows` package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.medallion import medallion  # noqa: E402
from raidlib.cli.arg_types import MAX_BATCH_SIZE  # noqa: E402
from raidlib.cli.checks import log_file_problem  # noqa: E402
from raidlib.cli.flow_script import (  # noqa: E402
    TOKEN_PARAMETER_WARNING,
    flow_parameter_help,
    flow_script_settings,
    parse_flow_args,
)
from raidlib.cli.options import add_backend_option, add_combatlog_options  # noqa: E402
from raidlib.combatlog import TimestampContextError, UnreadableLogError  # noqa: E402
from raidlib.combatlog.delivery import LogReading  # noqa: E402
from raidlib.combatlog.timestamps import FIRST_LOG_YEAR, MAX_UTC_OFFSET_HOURS  # noqa: E402
from raidlib.lake.lake import Layer  # noqa: E402
from raidlib.lake.preflight import LAYERS  # noqa: E402
from raidlib.runconfig import settings_for_run  # noqa: E402
from raidlib.schemas.events import RAID_ID_PATTERN  # noqa: E402
from raidlib.tasks.combatlog import (  # noqa: E402
    import_combat_log_file,
    import_summary,
    publish_import_report,
)
from raidlib.tasks.ingest import check_receiver  # noqa: E402
from raidlib.tasks.storage import check_lake_storage  # noqa: E402


@flow(name="import_combat_log", log_prints=True)
def import_combat_log(
    path: str,
    lake: str | None = None,
    receiver_url: str | None = None,
    year: Annotated[int, Field(ge=FIRST_LOG_YEAR, le=9999)] | None = None,
    utc_offset_hours: Annotated[float, Field(ge=-MAX_UTC_OFFSET_HOURS, le=MAX_UTC_OFFSET_HOURS)]
    | None = None,
    scope: Literal["encounter", "all"] = "encounter",
    run_medallion: bool = False,
    tz: str | None = None,
    token: str | None = None,
    batch_size: Annotated[int, Field(ge=1, le=MAX_BATCH_SIZE)] = 5_000,
    backend: Literal["auto", "cudf", "pandas"] | None = None,
    raid_id: Annotated[str, Field(pattern=RAID_ID_PATTERN)] | None = None,
    boss_npc_ids: list[Annotated[int, Field(ge=1)]] | None = None,
) -> dict:
    """Parse a combat log (``WoWCombatLog*.txt``, plain or gzip) and deliver its events.

    Args:
        path: the log file, as seen by the process running the flow (relative paths are
            relative to the project folder for deployed runs).
        lake: local lake folder holding ``bronze/ silver/ gold/`` (default from settings).
        receiver_url: POST to this receiver instead of landing in bronze directly.
        year: the year of a log whose time stamps carry none (before 11.0.2, i.e.
            COMBAT_LOG_VERSION < 21, and Classic).
        utc_offset_hours: the recorder's UTC offset in hours, for a log whose time stamps carry
            none (may be fractional: 5.5 for India); or give ``tz``.
        tz: the recorder's IANA time zone (``Europe/Paris``), for a log whose time stamps
            carry no UTC offset; or give ``utc_offset_hours``.
        scope: ``encounter`` keeps rows inside boss pulls only (player deaths included);
            ``all`` every row.
        run_medallion: then build silver and gold (``medallion`` subflow) on ``lake``.
        token: the receiver's bearer token (default: the ``RAIDLIB_AUTH_TOKEN`` setting, which
            is the way to give it: Prefect stores parameters in plain text and shows them).
        batch_size: events per batch.
        backend: dataframe backend of the medallion run; None: ``RAIDLIB_BACKEND``, else
            auto.
        raid_id: the raid id of every event (default: slug of the file name + UTC date).
        boss_npc_ids: NPC ids (the 6th part of a ``Creature-…`` GUID) that are bosses too,
            for fights whose bosses are not named like the encounter (councils).

    Re-importing the same log changes nothing: batch ids are content hashes (``duplicate``).
    """
    logger = get_run_logger()
    if not Path(path).is_file():  # fail fast: retrying the import task cannot help
        raise FileNotFoundError(f"combat log not found: {path} (working folder {Path.cwd()})")
    if token:
        logger.warning(TOKEN_PARAMETER_WARNING)
    settings = settings_for_run(lake)
    token = token or settings.auth_token
    if receiver_url:
        check_receiver(receiver_url, bool(token))
    layers = lake_layers(run_medallion, receiver_url)
    if layers:
        check_lake_storage(settings, layers)
    reading = LogReading(
        raid_id=raid_id,
        year=year,
        utc_offset_hours=utc_offset_hours,
        tz=tz,
        scope=scope,
        boss_npc_ids=tuple(boss_npc_ids or ()),
    )
    result = import_combat_log_file(
        settings,
        path,
        reading,
        receiver_url=receiver_url,
        token=token,
        batch_size=batch_size,
    )
    publish_import_report(result)
    summary = import_summary(result)
    if run_medallion:
        if receiver_url:
            logger.info("medallion runs on %s; the receiver must write there", lake or "settings")
        summary["medallion"] = medallion(lake=lake, backend=backend)
    return summary


def lake_layers(run_medallion: bool, receiver_url: str | None) -> tuple[Layer, ...]:
    """The lake layers an import uses: every one when it runs the medallion flow after, else
    bronze, unless a receiver lands the events."""
    if run_medallion:
        return LAYERS
    return () if receiver_url else ("bronze",)


def describe_pulls(encounters: list[dict]) -> str:
    """``Loom'ithar kill 97.7 s, Dimensius wipe`` (``none`` without a pull)."""
    pulls = [
        f"{e['boss']} {e['outcome']}" + (f" {e['duration_s']} s" if e["duration_s"] else "")
        for e in encounters
    ]
    return ", ".join(pulls) or "none"


def cli_parser() -> argparse.ArgumentParser:
    """The options of ``python flows/import_combat_log.py``."""
    parser = argparse.ArgumentParser(
        description="Run the import_combat_log flow once, here (see `raidlib import-log`)."
    )
    parser.add_argument("path", help=flow_parameter_help(import_combat_log, "path"))
    parser.add_argument("--lake", default=None, help=flow_parameter_help(import_combat_log, "lake"))
    parser.add_argument("--receiver", "--receiver-url", dest="receiver_url", metavar="URL",
                        default=None, help="POST to this receiver instead of bronze")  # fmt: skip
    parser.add_argument(
        "--token",
        default=None,
        help="bearer token for the receiver (default: RAIDLIB_AUTH_TOKEN, the receiver's own)",
    )
    add_combatlog_options(parser)
    parser.add_argument("--run-medallion", action="store_true", help="then build silver and gold")
    add_backend_option(parser)
    return parser


if __name__ == "__main__":
    parser = cli_parser()
    args = parse_flow_args(
        parser,
        lambda a: lake_layers(a.run_medallion, a.receiver_url),
        problem=lambda a: log_file_problem(a.path),
    )
    with flow_script_settings():
        try:
            out = import_combat_log(
                path=args.path,
                lake=args.lake,
                receiver_url=args.receiver_url,
                year=args.year,
                utc_offset_hours=args.utc_offset_hours,
                tz=args.tz,
                scope=args.scope,
                batch_size=args.batch_size,
                raid_id=args.raid_id,
                boss_npc_ids=args.boss_npc_ids,
                run_medallion=args.run_medallion,
                backend=args.backend,
            )
        except (UnreadableLogError, TimestampContextError) as exc:  # the log, not the code
            landed = exc.what_landed() if isinstance(exc, UnreadableLogError) else None
            parser.exit(2, f"{parser.prog}: {exc}\n" + (f"{landed}\n" if landed else ""))
        print(
            f"{out['lines']} lines, {out['malformed_lines']} malformed, {out['events']} events, "
            f"{out['batches_landed']} batch(es) landed, {out['batches_duplicate']} duplicate; "
            f"pulls: {describe_pulls(out['encounters'])}"
        )
