"""Throughput of the synthetic raid generator against a naive per-event Python loop.

Run: ``.venv/bin/python benchmarks/bench_generator.py [--raids 10] [--repeat 3]``. Prints the
vectorised generator's events/s (best of ``--repeat``), the same number of events made one at a
time by a plain Python loop (the peer, measured in the same run), their ratio, and the speed of
the wire-dict conversion for reference.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd

from raidlib.generator import RaidConfig, frame_to_wire_events, generate_raid, generate_raids
from raidlib.generator.specs import DAMAGE_ABILITIES, SPECS

START = datetime(2024, 5, 1, 20, 0, tzinfo=UTC)


def naive_loop(n_events: int, seed: int) -> pd.DataFrame:
    """The same kind of rows, made the obvious way: one Python iteration per event."""
    rnd = random.Random(seed)
    players = [(f"Player-1305-{i:08X}", f"Player{i}", SPECS[i % len(SPECS)]) for i in range(20)]
    hp, done = 90_000_000.0, 0.0
    rows = []
    for i in range(n_events):
        pid, name, spec = players[rnd.randrange(len(players))]
        ability = rnd.choice(DAMAGE_ABILITIES[spec.player_class])
        base = max(round(rnd.gauss(9_000.0, 2_500.0)), 1.0)
        crit = rnd.random() < 0.25
        mult = round(rnd.uniform(2.0, 2.3), 2) if crit else 1.0
        damage = base * mult
        before = max(0.0, 100.0 * (1 - done / hp))
        done += damage
        t_ms = i * 15
        rows.append(
            {
                "event_type": "combat_damage",
                "event_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "timestamp": START + timedelta(milliseconds=t_ms),
                "raid_id": "raid001",
                "encounter_duration_ms": t_ms,
                "source_player_id": pid,
                "source_player_name": name,
                "source_player_role": spec.role,
                "source_player_class": spec.player_class,
                "source_player_level": 80,
                "ability_id": ability.ability_id,
                "ability_name": ability.name,
                "ability_school": ability.school,
                "damage_amount": damage,
                "is_critical_hit": crit,
                "critical_multiplier": mult,
                "target_entity_id": "boss-ragnaros",
                "target_entity_name": "Ragnaros",
                "target_entity_type": "boss",
                "target_entity_health_pct_before": before,
                "target_entity_health_pct_after": max(0.0, 100.0 * (1 - done / hp)),
            }
        )
    return pd.DataFrame(rows)


def best_of(repeat: int, fn):  # noqa: ANN001, ANN201 - tiny local helper
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raids", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    generate_raid("warmup", seed=0, start=START, config=RaidConfig(enrage_timer_ms=30_000))
    gen_s, df = best_of(
        args.repeat, lambda: generate_raids(args.raids, seed=args.seed, start=START)
    )
    n = len(df)
    naive_s, naive = best_of(1, lambda: naive_loop(n, args.seed))
    assert len(naive) == n
    one_raid = df[df["raid_id"] == df["raid_id"].iloc[0]]
    wire_s, _ = best_of(1, lambda: frame_to_wire_events(one_raid))

    print(f"raids: {args.raids}  events: {n:,}  (best of {args.repeat})")
    print(f"vectorised generator : {gen_s:8.3f} s  {n / gen_s:12,.0f} events/s")
    print(f"naive per-event loop : {naive_s:8.3f} s  {n / naive_s:12,.0f} events/s")
    print(f"speed-up             : {naive_s / gen_s:8.1f}x")
    print(
        f"frame_to_wire_events : {len(one_raid) / wire_s:12,.0f} events/s (one raid, for reference)"
    )


if __name__ == "__main__":
    main()
