"""Flow: the whole pipeline on the embedded default, end to end, on one machine.

Starts a real receiver on 127.0.0.1, posts simulated raids to it (a guild's raid nights and a
pick-up group that wipes, with duplicates, late and invalid events injected), then runs the
incremental medallion flow and prints gold.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

os.environ.setdefault("DO_NOT_TRACK", "1")  # before Prefect is imported (README: telemetry)

from prefect import flow, get_run_logger
from pydantic import Field

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # see flows/medallion.py

from flows.ingest import Rate, ingest  # noqa: E402
from flows.medallion import medallion  # noqa: E402
from raidlib.cli.arg_types import MAX_RAIDS, int_in, random_seed  # noqa: E402
from raidlib.cli.flow_script import flow_parameter_help, flow_script_settings, parse_flow_args  # noqa: E402
from raidlib.cli.options import add_backend_option  # noqa: E402
from raidlib.lake import Lake  # noqa: E402
from raidlib.lake.preflight import LAYERS  # noqa: E402
from raidlib.receiver.app import create_app  # noqa: E402
from raidlib.receiver.server import ReceiverServer  # noqa: E402
from raidlib.runconfig import settings_for_run  # noqa: E402
from raidlib.tasks.report import read_report_gold, summarize_bronze  # noqa: E402
from raidlib.tasks.storage import check_lake_storage  # noqa: E402

DEMO_START = datetime(2026, 11, 2, 19, 30, tzinfo=UTC)
"""A fixed evening, so a second run posts the very same events (and shows they land once)."""
PUG_SKILL = 0.7
"""Too weak to beat the enrage timer: the pick-up group's night shows a wipe in gold."""


@flow(name="demo", log_prints=True)
def demo(
    raids: Annotated[int, Field(ge=1, le=MAX_RAIDS)] = 4,
    seed: Annotated[int, Field(ge=0)] = 7,
    lake: str | None = None,
    backend: Literal["auto", "cudf", "pandas"] | None = None,
    duplicate_rate: Rate = 0.03,
    late_rate: Rate = 0.02,
    invalid_rate: Rate = 0.0005,
    start: datetime = DEMO_START,
    pug_wipe: bool = True,
) -> dict:
    """Receiver → bronze → silver → gold for ``raids`` guild raids; returns every summary.

    Args:
        raids: how many guild raids (``raid001`` …), one a night.
        seed: random seed; the same seed simulates the same raids, so a second run posts the
            very same events and shows that they land once.
        lake: local lake folder holding ``bronze/ silver/ gold/`` (default from settings).
        backend: dataframe backend for silver and gold; None: ``RAIDLIB_BACKEND``, else auto.
        duplicate_rate: fraction of events sent again, usually in a later batch.
        late_rate: fraction of events withheld and delivered hours to days later.
        invalid_rate: fraction of events copied with one rule broken, in batches of their own
            that the receiver rejects.
        start: when the first raid starts (UTC); fixed, so that reruns repeat the same events.
        pug_wipe: a pick-up group (``pug001``, fresh players, too weak for the boss) raids the
            night after the guild's last raid, so gold shows a wipe beside the kills.
    """
    logger = get_run_logger()
    settings = settings_for_run(lake)
    check_lake_storage(settings)
    lake_obj = Lake.from_settings(settings)
    with ReceiverServer(create_app(settings, lake_obj), "127.0.0.1", 0) as server:
        server.start()
        logger.info("receiver listening on %s", server.url)
        delivered = ingest(
            raids=raids,
            seed=seed,
            start=start,
            receiver_url=server.url,
            raid_prefix="raid",  # the demo's own fixed nights: raid001, raid002, …
            duplicate_rate=duplicate_rate,
            late_rate=late_rate,
            invalid_rate=invalid_rate,
        )
        if pug_wipe:
            pug_night = ingest(
                raids=1,
                seed=seed + 1,  # its own seed: event ids never repeat the guild's
                start=start + timedelta(days=raids),
                receiver_url=server.url,
                pug=True,
                skill=PUG_SKILL,
                raid_prefix="pug",
                duplicate_rate=duplicate_rate,
                late_rate=late_rate,
                invalid_rate=invalid_rate,
            )
            delivered = {
                "raids": delivered["raids"] + pug_night["raids"],
                "delivery": _add_deliveries(delivered["delivery"], pug_night["delivery"]),
            }
    bronze = summarize_bronze(settings)
    result = medallion(lake=lake, backend=backend)
    # Show gold as it stands in the lake (a re-run rebuilds nothing, yet gold is there).
    gold = read_report_gold(settings, sorted(r["raid_id"] for r in delivered["raids"]))
    return {
        "delivery": delivered["delivery"],
        "bronze": bronze,
        "silver": result["silver"],
        "gold": result["gold"],
        "gold_summary": gold["summary"],
        "gold_stats": gold["stats"],
        "players": gold["players"],
        "lake_urls": {layer: lake_obj.url(layer) for layer in ("bronze", "silver", "gold")},
    }


def _add_deliveries(a: dict, b: dict) -> dict:
    """Sum two ``ingest`` delivery reports (the first error wins)."""
    total = {k: a[k] + b[k] for k in a if k != "first_error"}
    total["first_error"] = a.get("first_error") or b.get("first_error")
    return total


def cli_parser() -> argparse.ArgumentParser:
    """The options of ``python flows/demo.py``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raids", type=int_in(1, MAX_RAIDS), default=4,
                        help=f"{flow_parameter_help(demo, 'raids')} (default %(default)s)")  # fmt: skip
    parser.add_argument("--seed", type=random_seed, default=7,
                        help=f"{flow_parameter_help(demo, 'seed')} (default %(default)s)")  # fmt: skip
    parser.add_argument("--lake", default=None, help=flow_parameter_help(demo, "lake"))
    add_backend_option(parser)
    parser.add_argument(
        "--no-pug-wipe", action="store_true", help="only the guild's raids, no pick-up group"
    )
    return parser


if __name__ == "__main__":
    from raidlib.console import print_demo_result

    args = parse_flow_args(cli_parser(), lambda args: LAYERS)
    with flow_script_settings():
        out = demo(
            raids=args.raids,
            seed=args.seed,
            lake=args.lake,
            backend=args.backend,
            pug_wipe=not args.no_pug_wipe,
        )
        print_demo_result(out)
