"""Combat log parser throughput, against a naive per-line ``split(',')`` parser, on one core.

Usage: ``python benchmarks/bench_combatlog.py [--lines 2500000] [--cpu 0]``

The shipped Loom'ithar kill (63,753 lines) is decompressed and repeated into a temp file of
about ``--lines`` lines. Three timings (lines/s): :func:`parse_log` (parse only: typed
columnar chunks), :func:`iter_event_frames` (parse + mapping to wire-column frames) and a naive
pure-Python per-line parser (``split('  ')`` + ``split(',')`` + the same damage/heal fields,
no quote handling). Then the per-player top 5 by damage for the kill.
"""

from __future__ import annotations

import argparse
import gzip
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa

from raidlib.combatlog import encounters, import_events, iter_event_frames, parse_log
from raidlib.combatlog.report import ParseReport

KILL = Path("/work/shared/data/combatlogs/enc-3131-pull-1-loom-ithar.log.gz")
_DAMAGE = {"SPELL_DAMAGE", "SPELL_PERIODIC_DAMAGE", "RANGE_DAMAGE", "SWING_DAMAGE"}
_HEAL = {"SPELL_HEAL", "SPELL_PERIODIC_HEAL"}


def naive_parse(path: Path) -> int:
    """Per-line pure Python: split, pick amount/overkill of damage and heal rows."""
    total = 0.0
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            n += 1
            head, _, rest = line.rstrip("\n").partition("  ")
            fields = rest.split(",")
            event = fields[0]
            if event in _DAMAGE:
                base = 31 if event != "SWING_DAMAGE" else 28
                if len(fields) > base + 2:
                    total += float(fields[base]) - max(float(fields[base + 2]), 0.0)
            elif event in _HEAL and len(fields) > 33:
                total += float(fields[31]) - float(fields[33])
            head.split(" ")
    return n


def top_players(path: Path) -> pd.DataFrame:
    """Per-player damage, DPS over fightTime, deaths and class for the pull."""
    batches, _ = import_events(path)
    events = pd.DataFrame([e for batch in batches for e in batch])
    fight_s = float(encounters(path)["fight_time_ms"].iloc[0]) / 1000
    dmg = events[(events["event_type"] == "combat_damage") & events["source_player_role"].notna()]
    per = dmg.groupby(
        ["source_player_id", "source_player_name", "source_player_class"], as_index=False
    )["damage_amount"].sum()
    deaths = events[events["event_type"] == "player_death"].groupby("target_entity_id").size()
    per["deaths"] = per["source_player_id"].map(deaths).fillna(0).astype(int)
    per["dps"] = per["damage_amount"] / fight_s
    per = per.sort_values("damage_amount", ascending=False).head(5)
    return per[
        ["source_player_name", "source_player_class", "damage_amount", "dps", "deaths"]
    ].rename(
        columns={
            "source_player_name": "name",
            "source_player_class": "class",
            "damage_amount": "damage",
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=2_500_000)
    ap.add_argument(
        "--cpu", type=int, default=None, help="pin to this core (default: first allowed)"
    )
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)

    raw = gzip.decompress(KILL.read_bytes())
    per_copy = raw.count(b"\n")
    copies = max(1, round(args.lines / per_copy))
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "WoWCombatLog-bench.txt"
        with open(big, "wb") as fh:
            for _ in range(copies):
                fh.write(raw)
        lines = per_copy * copies
        print(
            f"input: {lines:,} lines ({big.stat().st_size / 1e6:,.0f} MB), {copies} copies of the kill"
        )

        report = ParseReport()
        t = time.perf_counter()
        rows = sum(len(c.rows) for c in parse_log(big, report=report))
        parse_s = time.perf_counter() - t
        print(
            f"parse_log:          {lines / parse_s:>10,.0f} lines/s  ({parse_s:.2f} s, {rows:,} unit rows)"
        )

        t = time.perf_counter()
        events = sum(len(f) for f in iter_event_frames(big, report=ParseReport()))
        map_s = time.perf_counter() - t
        print(
            f"parse + map frames: {lines / map_s:>10,.0f} lines/s  ({map_s:.2f} s, {events:,} events)"
        )

        t = time.perf_counter()
        naive_parse(big)
        naive_s = time.perf_counter() - t
        print(f"naive split(','):   {lines / naive_s:>10,.0f} lines/s  ({naive_s:.2f} s)")
        print(f"ratio parse_log / naive: {naive_s / parse_s:.2f}x")
        assert report.malformed_count == 0, report.malformed[:5]

    print("\nLoom'ithar kill, top 5 by damage (damage = amount - overkill, pets folded in):")
    with pd.option_context("display.width", 120, "display.float_format", "{:,.0f}".format):
        print(top_players(KILL).to_string(index=False))


if __name__ == "__main__":
    main()
