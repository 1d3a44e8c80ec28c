"""Flow: the incremental medallion run — new bronze → silver → gold."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Literal

os.environ.setdefault("DO_NOT_TRACK", "1")  # before Prefect is imported (README: telemetry)

from prefect import flow

# Run as a script (`python flows/medallion.py`) or loaded by a Prefect worker from its
# entrypoint, this file's folder — not the project root — is on sys.path; the sibling flows
# are imported as the `flows` package, so put the project root there.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.bronze_to_silver import bronze_to_silver, describe_silver  # noqa: E402
from flows.silver_to_gold import silver_to_gold  # noqa: E402
from raidlib.cli.arg_types import int_in  # noqa: E402
from raidlib.cli.flow_script import (  # noqa: E402
    flow_parameter_help,
    flow_script_settings,
    flow_summary,
    parse_flow_args,
)
from raidlib.cli.options import add_backend_option, add_dask_option  # noqa: E402
from raidlib.console import DETAILED_PULLS, print_pull_reports  # noqa: E402
from raidlib.lake.preflight import LAYERS  # noqa: E402
from raidlib.runconfig import settings_for_run  # noqa: E402
from raidlib.task_runners import on_dask  # noqa: E402
from raidlib.tasks.storage import check_lake_storage  # noqa: E402


@flow(name="medallion", log_prints=True)
def medallion(
    lake: str | None = None,
    backend: Literal["auto", "cudf", "pandas"] | None = None,
    dask_address: str | None = None,
    rebuild_gold: bool = False,
) -> dict:
    """Run ``bronze_to_silver`` then ``silver_to_gold`` as subflows (each visible in the UI).

    Only new bronze batches are read and only the raids whose silver changed are rebuilt, so a
    scheduled run with nothing new finishes in seconds and changes nothing.

    Args:
        lake: local lake folder holding ``bronze/ silver/ gold/`` (default from settings).
        backend: dataframe backend; None: ``RAIDLIB_BACKEND``, else auto.
        dask_address: run the subflows' tasks (silver batch groups, gold raids) on the Dask
            scheduler at this address, e.g. ``tcp://127.0.0.1:8786`` (``dask`` extra); None:
            Prefect's thread pool in this process.
        rebuild_gold: rebuild gold for every raid whether or not its silver changed.
    """
    # All three roots before silver runs: a wrong gold bucket must not wait for silver's work.
    check_lake_storage(settings_for_run(lake))
    silver = on_dask(bronze_to_silver, dask_address)(lake=lake, backend=backend)
    gold = on_dask(silver_to_gold, dask_address)(lake=lake, backend=backend, rebuild=rebuild_gold)
    return {"silver": silver, "gold": gold}


def cli_parser() -> argparse.ArgumentParser:
    """The options of ``python flows/medallion.py``."""
    parser = argparse.ArgumentParser(description=flow_summary(medallion))
    parser.add_argument("--lake", default=None, help=flow_parameter_help(medallion, "lake"))
    add_backend_option(parser)
    add_dask_option(parser)
    parser.add_argument(
        "--rebuild-gold",
        action="store_true",
        help=flow_parameter_help(medallion, "rebuild_gold"),
    )
    parser.add_argument(
        "--pull-tables",
        type=int_in(0),
        default=DETAILED_PULLS,
        metavar="N",
        help=f"player tables for the latest N pulls rebuilt (default {DETAILED_PULLS}); "
        "when more were rebuilt, they are first listed one line each",
    )
    return parser


if __name__ == "__main__":
    args = parse_flow_args(cli_parser(), lambda args: LAYERS, reads_lake=True)
    with flow_script_settings():
        result = medallion(
            lake=args.lake,
            backend=args.backend,
            dask_address=args.dask_address,
            rebuild_gold=args.rebuild_gold,
        )
        s, g = result["silver"], result["gold"]
        print(f"{describe_silver(s)}; gold: {len(g['raids_built'])} raid(s) rebuilt")
        # The pulls of the raids rebuilt in this run, as a raider reads them.
        print_pull_reports(g.get("encounters"), g.get("encounter_stats"), detailed=args.pull_tables)
