"""``raidlib generate``: synthetic raids as JSON Lines (one file per raid) or POST-ready batches."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from raidlib.cli.arg_types import (
    MAX_ENRAGE_MS,
    MAX_PLAYERS,
    batch_size,
    int_in,
    iso_datetime,
    raid_prefix,
    random_seed,
    skill_factor,
)
from raidlib.cli.options import add_fault_options, faults_from_args
from raidlib.schemas.events import DIFFICULTIES
from raidlib.settings import DEFAULT_ENRAGE_TIMER_MS

if TYPE_CHECKING:
    import pandas as pd

    from raidlib.generator import Roster


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate synthetic raid events (reproducible from --seed)",
        description="Simulate raids and write their wire events: JSON Lines per raid, or batches.",
    )
    parser.add_argument(
        "--raids", type=int_in(1), default=1, help="number of raids, one per day (1)"
    )
    parser.add_argument(
        "--seed",
        type=random_seed,
        default=0,
        help="random seed: same seed, same events (%(default)s)",
    )
    parser.add_argument(
        "--start",
        type=iso_datetime,
        help="ISO-8601 start of the first raid (default: 19:30 UTC, --raids days ago)",
    )
    parser.add_argument(
        "--players",
        type=int_in(1, MAX_PLAYERS),
        default=20,
        help=f"raid size, at most {MAX_PLAYERS} (20)",
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--pug", action="store_true", help="fresh players every raid")
    who.add_argument(
        "--roster", help="guild roster JSON: loaded if present, else created there and kept"
    )
    parser.add_argument(
        "--raid-prefix",
        type=raid_prefix,
        default="raid",
        help="raid ids <prefix>001 … (default raid: the demo's ids; give another prefix before "
        "posting the files into a lake that has those raids)",
    )
    parser.add_argument(
        "--difficulty", choices=DIFFICULTIES, default="heroic", help="(default %(default)s)"
    )
    parser.add_argument(
        "--skill",
        type=skill_factor,
        default=1.0,
        help="raid skill, up to 3: about 0.8 or less wipes (1.0)",
    )
    parser.add_argument(
        "--enrage-ms",
        type=int_in(1, MAX_ENRAGE_MS),
        default=DEFAULT_ENRAGE_TIMER_MS,
        help=f"enrage timer, at most {MAX_ENRAGE_MS} ({DEFAULT_ENRAGE_TIMER_MS})",
    )
    parser.add_argument("--out", default="generated", help="output folder (./generated)")
    parser.add_argument(
        "--format",
        choices=["jsonl", "json"],
        default="jsonl",
        help="jsonl: <raid_id>.jsonl per raid; json: one POST body per batch, in send order",
    )
    parser.add_argument(
        "--batch-size", type=batch_size, default=1000, help="events per batch (json, max 10000)"
    )
    add_fault_options(parser, "fault injection (json batches only)")
    parser.set_defaults(
        func=run,
        interrupted="the output folder holds only part of the files (the last may be cut "
        "short); the same command again writes them all",
    )


def run(args: argparse.Namespace) -> int:
    from raidlib.generator import RaidConfig, default_first_raid_start, generate_raids

    config = RaidConfig(
        n_players=args.players,
        difficulty=args.difficulty,
        skill=args.skill,
        enrage_timer_ms=args.enrage_ms,
    )
    try:
        roster = _load_roster(args)
    except (OSError, ValueError) as exc:
        print(f"raidlib generate: cannot use roster {args.roster}: {exc}", file=sys.stderr)
        return 2
    faults = {"--duplicates": args.duplicate_rate, "--late": args.late_rate,
              "--invalid": args.invalid_rate}  # fmt: skip
    asked = [flag for flag, rate in faults.items() if rate]
    if asked and args.format == "jsonl":  # one file per raid has no batches to fault
        print(
            f"raidlib generate: {' and '.join(asked)} "
            f"{'applies' if len(asked) == 1 else 'apply'} to batches, which only --format json "
            "writes (jsonl is one file per raid); add --format json",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out)
    problem = _out_folder_problem(out)  # before simulating: a mistake there costs no wait
    if problem:
        print(f"raidlib generate: --out {out} {problem}", file=sys.stderr)
        return 2
    # 50 raids take ~25 s to simulate, with nothing else to show (stderr: stdout is the summary).
    print(f"simulating {args.raids} raid(s)…", file=sys.stderr, flush=True)
    df = generate_raids(
        args.raids,
        seed=args.seed,
        start=args.start or default_first_raid_start(args.raids),
        roster=roster,
        pug=args.pug,
        config=config,
        raid_prefix=args.raid_prefix,
    )
    files = _planned_files(args, df)
    earlier = files.earlier_run_files(out)
    if earlier:
        print(
            f"raidlib generate: --out {out} holds {len(earlier)} files of an earlier run "
            f"({earlier[0]}, …) that this run would not replace; give an empty or new folder",
            file=sys.stderr,
        )
        return 2
    print(f"writing {len(files.contents)} file(s) to {out}…", file=sys.stderr, flush=True)
    for name, render in files.contents.items():
        (out / name).write_bytes(render())
    _print_summary(df, f"{files.description} in {out}", roster, args.roster)
    return 0


def _load_roster(args: argparse.Namespace) -> Roster | None:
    """``--roster``'s guild, loaded or created there; None for random players or ``--pug``."""
    from raidlib.generator import Roster

    return Roster.load_or_create(args.roster, args.players, args.seed) if args.roster else None


@dataclass(frozen=True)
class _PlannedFiles:
    """What one run writes into ``--out``: file name → its bytes, rendered when written (one
    file in memory at a time), in writing order."""

    contents: Mapping[str, Callable[[], bytes]]
    ours: re.Pattern[str]
    """The names this format writes, whichever run wrote them."""
    description: str

    def earlier_run_files(self, out: Path) -> list[str]:
        """Files of an earlier, different run, which would mix with these (two ``01-…``
        batches; raids of both runs named raid001); the very same run again only rewrites
        its own files."""
        return sorted(
            p.name
            for p in out.iterdir()
            if self.ours.fullmatch(p.name) and p.name not in self.contents
        )


def _planned_files(args: argparse.Namespace, df: pd.DataFrame) -> _PlannedFiles:
    """``--format jsonl``: one file per raid; ``json``: one POST body per batch, in send order."""
    from raidlib.generator import plan_batches

    if args.format == "jsonl":
        raids: dict[str, Callable[[], bytes]] = {
            f"{raid_id}.jsonl": partial(_raid_file_bytes, part)
            for raid_id, part in df.groupby("raid_id", sort=True)
        }
        return _PlannedFiles(raids, _RAID_FILE, f"{len(raids)} JSON Lines files")
    batches = plan_batches(
        df, batch_size=args.batch_size, faults=faults_from_args(args), seed=args.seed
    )
    width = len(str(len(batches)))
    contents = {f"{k:0{width}d}-{b.batch_id}.json": b.body for k, b in enumerate(batches, 1)}
    rejected = sum(not b.expect_valid for b in batches)
    description = f"{len(batches)} batches ({rejected} meant to be rejected)"
    return _PlannedFiles(contents, _BATCH_FILE, description)


def _raid_file_bytes(raid: pd.DataFrame) -> bytes:
    """One raid's wire events as JSON Lines."""
    from raidlib.generator import frame_to_wire_events

    lines = (json.dumps(e, separators=(",", ":")) for e in frame_to_wire_events(raid))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _print_summary(
    df: pd.DataFrame, written: str, roster: Roster | None, roster_path: str | None
) -> None:
    """One line for the run, then one per raid: outcome, length, events, deaths, boss hp."""
    from raidlib.generator import summarize_raids

    summary = summarize_raids(df)
    print(f"{len(summary)} raids, {len(df):,} events → {written}")
    if roster is not None:
        print(f"roster: {len(roster)} players in {roster_path}")
    for row in summary.itertuples(index=False):
        print(
            f"  {row.raid_id}: {row.outcome:<4}  {row.duration_ms / 1000:6.1f} s  "
            f"{row.events:7,d} events  deaths {row.deaths:2d}  boss min hp {row.boss_min_hp_pct:5.1f} %"
        )


_RAID_FILE = re.compile(r".+\.jsonl")
"""A raid file of ``--format jsonl``: ``<raid id>.jsonl``."""
_BATCH_FILE = re.compile(r"\d+-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.json")
"""A batch file of ``--format json``: ``<send order>-<batch id>.json``."""


def _out_folder_problem(out: Path) -> str | None:
    """Why ``out`` cannot be the output folder (else None); creates it when missing."""
    if out.exists() and not out.is_dir():
        return "is a file, not a folder"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot be created: {exc.strerror or exc}"
    return None
