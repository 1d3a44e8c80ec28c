"""Flow: rebuild gold for every raid whose silver changed (incremental, idempotent)."""

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
from raidlib.gold.pipeline import gold_group_bytes
from raidlib.prefect_setup import GOLD_LIMIT_NAME
from raidlib.raid_lists import describe_raids
from raidlib.runconfig import settings_for_run
from raidlib.schemas.events import RAID_ID_PATTERN
from raidlib.tasks.artifacts import publish_gold_summary, publish_partitions
from raidlib.tasks.fanout import current_task_runner, describe_limit, parallel_limit, submit_within
from raidlib.tasks.gold import (
    build_raid_gold,
    concat_results,
    plan_gold_builds,
    rebuild_dim_player,
    record_gold_inputs,
)
from raidlib.tasks.setup import exclusive_slot
from raidlib.tasks.storage import check_lake_storage


@flow(name="silver_to_gold", log_prints=True)
def silver_to_gold(
    lake: str | None = None,
    backend: Literal["auto", "cudf", "pandas"] | None = None,
    raid_ids: list[Annotated[str, Field(pattern=RAID_ID_PATTERN)]] | None = None,
    rebuild: bool = False,
) -> dict:
    """Gold facts per raid (a task per group of raids, ``RAIDLIB_PARALLEL_TASKS`` at a time),
    then ``dim_player`` once.

    Args:
        lake: local lake folder holding ``bronze/ silver/ gold/``; default from settings
            (``RAIDLIB_*_ROOT``, which may be ``s3://`` URLs).
        backend: dataframe backend for the aggregations; None: ``RAIDLIB_BACKEND``, else
            auto.
        raid_ids: restrict to these raids (still only rebuilt when their silver changed).
        rebuild: rebuild gold for every raid (or every one of ``raid_ids``) whether or not its
            silver changed, e.g. after deleting gold files by hand.
    """
    logger = get_run_logger()
    settings = settings_for_run(lake, backend=backend)
    check_lake_storage(settings, ("silver", "gold"), reads="silver")
    chosen = backend_for(settings)
    logger.info("backend: %s (%s)", chosen.name, chosen.reason)
    limit = parallel_limit(settings, chosen.name, current_task_runner())
    group_bytes = gold_group_bytes(settings.gold_task_silver_mib, chosen, one_at_a_time=limit == 1)
    settings = settings.model_copy(update={"backend": chosen.name})

    # one run at a time from choosing raids to recording them (raidlib.prefect_setup)
    with exclusive_slot(GOLD_LIMIT_NAME, settings.slot_wait_s):
        groups = plan_gold_builds(settings, raid_ids, group_bytes, rebuild)
        raids = [raid for group in groups for raid in group]
        if raids:
            mib = group_bytes / 2**20
            sizing = f"of up to {mib:,.4g} MiB of silver" if mib else "of one raid"
            logger.info(
                "building gold for %d raid(s) in %d task(s) %s (RAIDLIB_GOLD_TASK_SILVER_MIB), %s",
                len(raids),
                len(groups),
                sizing,
                describe_limit(limit),
            )
        built = submit_within(
            lambda group: build_raid_gold.with_options(
                task_run_name=f"build-raid-gold {describe_raids(group)}"
            ).submit(settings, group),
            groups,
            limit,
        )
        dim = rebuild_dim_player(settings) if built else {"players": None, "path": None}
        record_gold_inputs(settings, built)

    summary, stats = concat_results(built, "summary"), concat_results(built, "stats")
    # What actually ran: a raid too big for the GPU is built on pandas (see raidlib.gpu_memory).
    used = " + ".join(sorted({name for b in built for name in b["backends"]})) or chosen.name
    publish_gold_summary(summary, stats, used)
    paths = [p for b in built for p in b["paths"]] + ([dim["path"]] if dim["path"] else [])
    publish_partitions("Gold partitions written", "gold-partitions", paths)
    return {
        "backend": used,
        "raids_built": raids,
        "files_written": len(paths),
        "players": dim["players"],
        "summary": summary,
        "stats": stats,
        "encounters": concat_results(built, "encounters"),
        "encounter_stats": concat_results(built, "encounter_stats"),
    }


def cli_parser() -> argparse.ArgumentParser:
    """The options of ``python flows/silver_to_gold.py``."""
    parser = argparse.ArgumentParser(description=flow_summary(silver_to_gold))
    parser.add_argument("--lake", default=None, help=flow_parameter_help(silver_to_gold, "lake"))
    add_backend_option(parser)
    parser.add_argument(
        "--rebuild", action="store_true", help=flow_parameter_help(silver_to_gold, "rebuild")
    )
    return parser


if __name__ == "__main__":
    args = parse_flow_args(cli_parser(), lambda args: ("silver", "gold"), reads_lake=True)
    with flow_script_settings():
        result = silver_to_gold(lake=args.lake, backend=args.backend, rebuild=args.rebuild)
        print(
            f"gold rebuilt for {len(result['raids_built'])} raid(s); {result['files_written']} files written"
        )
