"""Options shared by several sub-commands and flow scripts: lake roots, backend, Dask, injected
faults, combat-log reading; and the settings the lake and backend options give."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from raidlib.cli.arg_types import (
    MAX_BATCH_SIZE,
    batch_size,
    int_in,
    positive_float,
    raid_id,
    rate,
)
from raidlib.runconfig import settings_for_run
from raidlib.settings import Settings


def add_lake_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("lake")
    group.add_argument(
        "--lake",
        help="local lake folder holding bronze/, silver/, gold/ (default: the RAIDLIB_*_ROOT "
        "settings, else ./lake)",
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


def add_dask_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dask-address",
        metavar="URL",
        help="run the tasks on this Dask scheduler (tcp://host:8786; needs the dask extra)",
    )


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Settings:
    """Environment/.env first, then whatever the command line says explicitly."""
    overrides = {
        n: getattr(args, n, None) for n in ("bronze_root", "silver_root", "gold_root", "backend")
    }
    return settings_for_run(getattr(args, "lake", None), **overrides, **extra)


def add_fault_options(parser: argparse.ArgumentParser, title: str) -> None:
    """The generator's fault injection; ``--duplicates`` and ``--duplicate-rate`` are one option."""
    faults = parser.add_argument_group(title)
    faults.add_argument("--duplicates", "--duplicate-rate", dest="duplicate_rate", type=rate,
                        default=0.0, metavar="RATE",
                        help="events sent again in a later batch (default 0)")  # fmt: skip
    faults.add_argument("--late", "--late-rate", dest="late_rate", type=rate, default=0.0,
                        metavar="RATE", help="events delivered late (default 0)")  # fmt: skip
    faults.add_argument("--max-late-days", type=positive_float, default=2.0,
                        help="how late late events may be, in days (default 2)")  # fmt: skip
    faults.add_argument("--invalid", "--invalid-rate", dest="invalid_rate", type=rate,
                        default=0.0, metavar="RATE",
                        help="invalid copies of events, in batches of their own that the "
                             "receiver must reject (default 0)")  # fmt: skip


def faults_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~raidlib.generator.FaultConfig` the fault options asked for."""
    from raidlib.generator import FaultConfig

    return FaultConfig(
        duplicate_rate=args.duplicate_rate,
        late_rate=args.late_rate,
        max_late_days=args.max_late_days,
        invalid_rate=args.invalid_rate,
    )


def _clock_option(field: str, cast: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type for a clock option, checked as the importer checks it (one rule)."""

    def parse(text: str) -> Any:
        from raidlib.combatlog.timestamps import ClockState, TimestampContextError  # noqa: PLC0415

        value = cast(text)
        try:
            ClockState(**{field: value})
        except TimestampContextError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
        return value

    parse.__name__ = cast.__name__  # argparse names the type in "invalid int value: 'x'"
    return parse


def add_combatlog_options(parser: argparse.ArgumentParser) -> None:
    """How a combat log is read and cut into batches: ``raidlib import-log`` and the flow script."""
    clock = parser.add_argument_group(
        "time stamps (only for logs whose time stamps carry no year or UTC offset: before "
        "11.0.2, i.e. COMBAT_LOG_VERSION < 21, and Classic)"
    )
    clock.add_argument("--year", type=_clock_option("year", int), default=None,
                       help="year, for logs without one")  # fmt: skip
    zone = clock.add_mutually_exclusive_group()
    zone.add_argument("--utc-offset", dest="utc_offset_hours",
                      type=_clock_option("utc_offset_hours", float), default=None, metavar="H",
                      help="recorder's UTC offset, hours (e.g. 5.5)")  # fmt: skip
    zone.add_argument("--tz", type=_clock_option("tz", str), default=None, metavar="NAME",
                      help="recorder's IANA time zone (e.g. Europe/Paris)")  # fmt: skip
    parser.add_argument(
        "--scope",
        choices=["encounter", "all"],
        default="encounter",
        help="encounter: only rows inside boss pulls, deaths included (default); all: every row",
    )
    parser.add_argument("--batch-size", type=batch_size, default=5_000,
                        help=f"events per batch (default 5000, max {MAX_BATCH_SIZE})")  # fmt: skip
    parser.add_argument(
        "--raid-id", type=raid_id, default=None, help="raid id (default: file name + date)"
    )
    parser.add_argument(
        "--boss-npc-id",
        dest="boss_npc_ids",
        type=int_in(1),
        action="append",
        default=[],
        metavar="ID",
        help="an NPC id (6th part of its Creature-… GUID) to count as a boss, for bosses not "
        "named like their encounter (councils); repeat for each",
    )
