"""Options shared by several sub-commands (lake roots, backend) → one Settings object."""

from __future__ import annotations

import argparse
from typing import Any

from raidlib.runconfig import settings_for_run
from raidlib.settings import Settings


def add_lake_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("lake")
    group.add_argument(
        "--lake", help="local lake folder holding bronze/, silver/, gold/ (default ./lake)"
    )
    group.add_argument(
        "--bronze-root", help="bronze root: folder or s3:// URL (env RAIDLIB_BRONZE_ROOT)"
    )
    group.add_argument(
        "--silver-root", help="silver root: folder or s3:// URL (env RAIDLIB_SILVER_ROOT)"
    )
    group.add_argument("--gold-root", help="gold root: folder or s3:// URL (env RAIDLIB_GOLD_ROOT)")


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=["auto", "cudf", "pandas"],
        help="dataframe backend for silver/gold (default: env RAIDLIB_BACKEND, else auto)",
    )


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Settings:
    """Environment/.env first, then whatever the command line says explicitly."""
    overrides = {
        n: getattr(args, n, None) for n in ("bronze_root", "silver_root", "gold_root", "backend")
    }
    return settings_for_run(getattr(args, "lake", None), **overrides, **extra)
