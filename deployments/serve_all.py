"""Serve every raidlib flow from this one process — the alternative to a work pool and worker.

    export PREFECT_API_URL=http://127.0.0.1:4200/api   # a running server (`raidlib up --no-worker`)
    python deployments/serve_all.py                    # Ctrl-C stops serving

Creates (or updates) the same five deployments as ``prefect.yaml`` — ``ingest/ingest``,
``medallion/medallion`` (every 5 minutes), ... — but bound to this process instead of the
``raidlib-pool`` work pool: runs execute here, in this checkout. Deployments already made by
``prefect deploy --all`` cannot be served over (Prefect keeps their work pool, and a worker
would get their runs: PrefectHQ/prefect#15073): it stops and names them, and ``--replace``
deletes them first.
The ``raidlib-dim-player``, ``raidlib-bronze-to-silver`` and ``raidlib-silver-to-gold``
concurrency limits are created first (idempotent).
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MEDALLION_EVERY = timedelta(minutes=5)
ENTRYPOINTS = {
    "ingest": "flows/ingest.py:ingest",
    "bronze_to_silver": "flows/bronze_to_silver.py:bronze_to_silver",
    "silver_to_gold": "flows/silver_to_gold.py:silver_to_gold",
    "medallion": "flows/medallion.py:medallion",
    "import_combat_log": "flows/import_combat_log.py:import_combat_log",
}


def main() -> None:
    from raidlib.cli.arg_types import int_in  # does not import Prefect (DO_NOT_TRACK below)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", help="local lake folder passed to every flow (default: settings)")
    parser.add_argument(
        "--paused", action="store_true", help="create the medallion deployment paused"
    )
    parser.add_argument(
        "--limit", type=int_in(1), default=4, help="max concurrent runs (default 4)"
    )
    parser.add_argument("--api-url", help="Prefect API URL (default: PREFECT_API_URL)")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="delete these deployments first when `prefect deploy` put them on a work pool",
    )
    args = parser.parse_args()
    if args.api_url:  # before Prefect is imported: it reads its settings then
        os.environ["PREFECT_API_URL"] = args.api_url

    os.environ.setdefault("DO_NOT_TRACK", "1")  # before Prefect is imported (README: telemetry)
    from prefect import serve
    from prefect.flows import load_flow_from_entrypoint

    from raidlib.prefect_setup import PrefectSetupError, deployments_on_work_pools, setup_prefect

    os.chdir(PROJECT_DIR)  # entrypoints and the default ./lake are relative to the checkout
    try:  # fail early, with a clear message, when no server is configured or reachable
        for line in setup_prefect().lines():  # the concurrency limits the flows rely on
            print(line)
        names = [f"{name}/{name}" for name in ENTRYPOINTS]  # each flow is named after its file
        on_pools = deployments_on_work_pools(names, delete=args.replace)
    except PrefectSetupError as exc:
        raise SystemExit(f"serve_all: {exc}") from None
    listed = ", ".join(f"{name} (pool {pool})" for name, pool in on_pools.items())
    if on_pools and not args.replace:
        raise SystemExit(
            f"serve_all: {listed} were deployed to a work pool (`prefect deploy --all`); "
            "serving cannot take them over, their runs would still go to the pool's worker. "
            "Rerun with --replace to delete them and serve them from here."
        )
    if on_pools:
        print(f"deleted, to serve them from here: {listed}")

    lake_params = {"lake": args.lake} if args.lake else {}
    deployments = []
    for name, entrypoint in ENTRYPOINTS.items():
        flow = load_flow_from_entrypoint(entrypoint)
        options: dict = {"name": name, "tags": ["raidlib"], "parameters": lake_params}
        if name == "medallion":
            options.update(interval=MEDALLION_EVERY, paused=args.paused)
        deployments.append(flow.to_deployment(**options))
    serve(*deployments, limit=args.limit)


if __name__ == "__main__":
    main()
