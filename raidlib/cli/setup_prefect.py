"""``raidlib setup-prefect``: create the work pool and concurrency limit (and deploy)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from raidlib.prefect_setup import (
    PrefectApiUnreachable,
    PrefectSetupError,
    deploy_all,
    setup_prefect,
)
from raidlib.stack import project_dir_problem, project_root


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "setup-prefect",
        help="create the raidlib-pool work pool and the three concurrency limits (idempotent)",
        description=(
            "Create, on the Prefect server at PREFECT_API_URL (or --api-url), the process work "
            "pool raidlib-pool and the global concurrency limits raidlib-dim-player, "
            "raidlib-bronze-to-silver and raidlib-silver-to-gold (1 slot each). "
            "Safe to run again. With --deploy, also `prefect deploy --all` from prefect.yaml."
        ),
    )
    parser.add_argument("--api-url", help="Prefect API URL (default: PREFECT_API_URL)")
    parser.add_argument("--deploy", action="store_true", help="then run `prefect deploy --all`")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        help="checkout holding prefect.yaml (default: this package's checkout, else the current folder)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = (args.project_dir or project_root()).resolve()
    problem = project_dir_problem(project, deploy=args.deploy)
    if problem:
        print(f"raidlib setup-prefect: {problem}", file=sys.stderr)
        return 2
    try:
        report = setup_prefect(args.api_url)
        for line in report.lines():
            print(line)
        if args.deploy:
            deploy_all(project, report.api_url)
            print(f"deployed every deployment in {project / 'prefect.yaml'}")
    except PrefectApiUnreachable as exc:  # a server to start or a URL to fix, as for send
        print(f"raidlib setup-prefect: {exc}", file=sys.stderr)
        return 2
    except PrefectSetupError as exc:
        print(f"raidlib setup-prefect failed: {exc}", file=sys.stderr)
        return 1
    return 0
