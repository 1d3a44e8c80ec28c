"""Benchmark silver → gold: raidlib's pandas builders vs the same aggregations in DuckDB SQL.

Builds a synthetic silver frame with numpy (default 20 raids × 50,000 events = 1M rows), then
times, in the same run and on the same data:

* ``raidlib.gold.build_gold`` on pandas (and on cuDF when ``--backend cudf`` and a GPU exist);
* DuckDB SQL computing the same four tables (same formulas and tie rules) over the frame
  registered as an Arrow table.

It checks that both produce equivalent tables, then prints events/s and the time ratio.

    .venv/bin/python benchmarks/bench_gold.py [--raids 20] [--events-per-raid 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from raidlib.backend import from_pandas, resolve_backend
from raidlib.gold import GOLD_SCHEMAS, build_gold
from raidlib.gold.compare import assert_frames_equivalent

CLASSES = np.array(["warrior", "paladin", "priest", "mage", "rogue", "druid", "shaman", "hunter"])
ROLES = np.array(["tank", "healer", "dps", "dps", "dps"])
BOSSES = np.array(["Ragnaros", "Onyxia", "Nefarian", "Kel'Thuzad"])


def make_silver(n_raids: int, events_per_raid: int, seed: int = 7) -> pd.DataFrame:
    """A silver-shaped frame (the columns gold reads) of ``n_raids × events_per_raid`` rows.

    Per raid: 20 players drawn from a pool of 100 (ids recur across raids, so dim_player
    merges), one boss; 60 % combat_damage (a fifth of it by the boss on players), 20 % heal,
    0.5 % player_death, the rest spell_cast / boss_phase / mana_regeneration; a ~6 minute raid.
    """
    rng = np.random.default_rng(seed)
    n = n_raids * events_per_raid
    raid_idx = np.repeat(np.arange(n_raids), events_per_raid)
    pool_ids = np.array([f"player-{i:03d}" for i in range(100)], dtype=object)
    pool_names = np.array([f"Name{i:03d}" for i in range(100)], dtype=object)
    pool_roles, pool_classes = ROLES[np.arange(100) % 5], CLASSES[np.arange(100) % 8]
    roster = np.stack([rng.choice(100, 20, replace=False) for _ in range(n_raids)])
    actor = roster[raid_idx, rng.integers(0, 20, n)]
    victim = roster[raid_idx, rng.integers(0, 20, n)]

    kind = rng.choice(6, n, p=[0.48, 0.20, 0.005, 0.115, 0.05, 0.15])
    boss_hits = (kind == 0) & (rng.random(n) < 0.25)
    kind = np.where(boss_hits, 6, kind)  # 6: boss damages a player
    types = np.array(
        [
            "combat_damage",
            "heal",
            "player_death",
            "spell_cast",
            "boss_phase",
            "mana_regeneration",
            "combat_damage",
        ],
        dtype=object,
    )[kind]
    by_boss = (kind == 6) | (kind == 2) | (kind == 4)
    boss_id = np.array([f"boss-{r:02d}" for r in range(n_raids)], dtype=object)[raid_idx]
    boss_name = BOSSES[raid_idx % len(BOSSES)].astype(object)

    src_id = np.where(by_boss, boss_id, pool_ids[actor])
    src_name = np.where(by_boss, boss_name, pool_names[actor])
    src_role = np.where(by_boss, None, pool_roles[actor].astype(object))
    src_class = np.where(by_boss, None, pool_classes[actor].astype(object))
    on_boss = kind == 0
    on_player = (kind == 1) | (kind == 2) | (kind == 6)
    tgt_id = np.where(on_boss, boss_id, np.where(on_player, pool_ids[victim], None))
    tgt_name = np.where(on_boss, boss_name, np.where(on_player, pool_names[victim], None))
    tgt_type = np.where(on_boss, "boss", np.where(on_player, "player", None)).astype(object)

    is_damage = (kind == 0) | (kind == 6)
    damage = np.where(is_damage, rng.gamma(2.0, 2500.0, n).round(2), np.nan)
    healing = np.where(kind == 1, rng.gamma(2.0, 3000.0, n).round(2), np.nan)
    progress = np.tile(np.linspace(0.0, 1.0, events_per_raid), n_raids)
    final_hp = np.where(np.arange(n_raids) % 3 == 0, 8.0, 0.0)[raid_idx]  # a third wipe
    hp = np.where(on_boss, np.maximum(100.0 * (1 - progress), final_hp).round(1), np.nan)

    start = np.datetime64("2026-03-01T21:00:00", "us") + np.arange(n_raids) * np.timedelta64(3, "h")
    offsets = np.sort(rng.integers(0, 360_000_000, (n_raids, events_per_raid)), axis=1).ravel()
    ts = start[raid_idx] + offsets.astype("timedelta64[us]")
    raid_ids = np.array([f"raid{r:04d}" for r in range(n_raids)], dtype=object)[raid_idx]
    difficulty = np.array(["normal", "heroic", "mythic"], dtype=object)[raid_idx % 3]

    frame = pd.DataFrame(
        {
            "event_id": pd.Series([f"{i:032x}" for i in range(n)], dtype="str"),
            "event_type": pd.Series(types, dtype="str"),
            "timestamp": ts,
            "raid_id": pd.Series(raid_ids, dtype="str"),
            "difficulty": pd.Series(difficulty, dtype="str"),
            "encounter_success": pd.Series(np.full(n, None, dtype=object)),
            "source_player_id": pd.Series(src_id, dtype="str"),
            "source_player_name": pd.Series(src_name, dtype="str"),
            "source_player_role": pd.Series(src_role, dtype="str"),
            "source_player_class": pd.Series(src_class, dtype="str"),
            "damage_amount": damage,
            "healing_amount": healing,
            "is_critical_hit": rng.random(n) < 0.2,
            "target_entity_id": pd.Series(tgt_id, dtype="str"),
            "target_entity_name": pd.Series(tgt_name, dtype="str"),
            "target_entity_type": pd.Series(tgt_type, dtype="str"),
            "target_entity_health_pct_after": hp,
        }
    )
    frame["event_date"] = frame["timestamp"].dt.strftime("%Y-%m-%d")
    return frame


DUCKDB_SQL = {
    "events": """
CREATE OR REPLACE TEMP VIEW ev AS
SELECT raid_id, timestamp, epoch_us(timestamp) AS ts_us, difficulty, source_player_id,
       source_player_name, source_player_role, source_player_class, target_entity_id,
       target_entity_name, target_entity_type, target_entity_health_pct_after,
       event_type = 'combat_damage' AS is_damage,
       event_type = 'heal' AS is_heal,
       CASE WHEN event_type = 'combat_damage' THEN coalesce(damage_amount, 0) ELSE 0 END AS damage,
       CASE WHEN event_type = 'heal' THEN coalesce(healing_amount, 0) ELSE 0 END AS healing,
       coalesce(is_critical_hit, false) AND event_type IN ('combat_damage', 'heal') AS is_crit,
       event_type = 'player_death'
         AND coalesce(target_entity_type = 'player', target_entity_type IS NULL) AS death_of_player,
       coalesce(encounter_success, false) AS success
FROM silver
""",
    "fact_player_raid_stats": """
CREATE OR REPLACE TEMP TABLE stats AS
WITH raids AS (
  SELECT raid_id, strftime(min(timestamp), '%Y-%m-%d') AS event_date,
         (max(ts_us) - min(ts_us)) // 1000 AS duration_ms
  FROM ev GROUP BY raid_id
), players AS (
  SELECT raid_id, source_player_id AS player_id FROM ev WHERE source_player_role IS NOT NULL
  UNION
  SELECT raid_id, target_entity_id FROM ev
  WHERE (target_entity_type = 'player' OR death_of_player) AND target_entity_id IS NOT NULL
), src_attr AS (
  SELECT raid_id, source_player_id AS player_id,
         arg_max(source_player_name, (ts_us, source_player_name)) AS src_name,
         arg_max(source_player_class, (ts_us, source_player_class))
           FILTER (WHERE source_player_class IS NOT NULL) AS player_class,
         arg_max(source_player_role, (ts_us, source_player_role))
           FILTER (WHERE source_player_role IS NOT NULL) AS player_role
  FROM ev GROUP BY ALL
), tgt_attr AS (
  SELECT raid_id, target_entity_id AS player_id,
         arg_max(target_entity_name, (ts_us, target_entity_name)) AS tgt_name
  FROM ev
  WHERE (target_entity_type = 'player' OR death_of_player) AND target_entity_id IS NOT NULL
    AND target_entity_name IS NOT NULL
  GROUP BY ALL
), by_src AS (
  SELECT raid_id, source_player_id AS player_id, sum(damage) AS damage_total,
         sum(healing) AS healing_total, count(*) FILTER (WHERE is_damage) AS damage_events,
         count(*) FILTER (WHERE is_heal) AS healing_events,
         count(*) FILTER (WHERE is_crit) AS crit_events
  FROM ev WHERE is_damage OR is_heal GROUP BY ALL
), by_tgt AS (
  SELECT raid_id, target_entity_id AS player_id,
         count(*) FILTER (WHERE death_of_player) AS player_deaths,
         sum(damage) AS total_damage_received
  FROM ev WHERE is_damage OR death_of_player GROUP BY ALL
), s AS (
  SELECT p.raid_id, r.event_date, p.player_id, coalesce(a.src_name, t.tgt_name) AS player_name,
         a.player_class, coalesce(a.player_role, 'unknown') AS player_role,
         coalesce(b.damage_total, 0) AS damage_total, coalesce(b.healing_total, 0) AS healing_total,
         coalesce(b.damage_events, 0) AS damage_events, coalesce(b.healing_events, 0) AS healing_events,
         coalesce(d.player_deaths, 0) AS player_deaths, coalesce(b.crit_events, 0) AS crit_events,
         coalesce(d.total_damage_received, 0) AS total_damage_received, r.duration_ms
  FROM players p JOIN raids r USING (raid_id)
  LEFT JOIN src_attr a USING (raid_id, player_id) LEFT JOIN tgt_attr t USING (raid_id, player_id)
  LEFT JOIN by_src b USING (raid_id, player_id) LEFT JOIN by_tgt d USING (raid_id, player_id)
)
SELECT raid_id, event_date, player_id, player_name, player_class, player_role, damage_total,
       healing_total, damage_events, healing_events, player_deaths, crit_events,
       CASE WHEN damage_events + healing_events = 0 THEN 0.0
            ELSE crit_events / (damage_events + healing_events) END AS crit_rate,
       total_damage_received,
       CASE WHEN duration_ms = 0 THEN 0.0 ELSE damage_total / (duration_ms / 1000.0) END AS dps,
       CASE WHEN duration_ms = 0 THEN 0.0 ELSE healing_total / (duration_ms / 1000.0) END AS hps,
       coalesce(damage_total / nullif(sum(damage_total) OVER w, 0), 0.0) AS damage_share,
       coalesce(healing_total / nullif(sum(healing_total) OVER w, 0), 0.0) AS healing_share
FROM s WINDOW w AS (PARTITION BY raid_id)
ORDER BY raid_id, player_id
""",
    "fact_raid_summary": """
WITH raids AS (
  SELECT raid_id, strftime(min(timestamp), '%Y-%m-%d') AS event_date,
         (max(ts_us) - min(ts_us)) // 1000 AS duration_ms,
         coalesce(min(target_entity_health_pct_after)
                    FILTER (WHERE target_entity_type = 'boss'), 100.0) AS boss_min_hp_pct,
         bool_or(success) AS any_success,
         sum(healing) AS total_healing
  FROM ev GROUP BY raid_id
), p AS (
  SELECT raid_id, sum(damage_total) AS total_damage,
         sum(player_deaths) AS total_player_deaths, count(*) AS n_players,
         count(*) FILTER (WHERE player_role = 'tank') AS n_tanks,
         count(*) FILTER (WHERE player_role = 'healer') AS n_healers,
         count(*) FILTER (WHERE player_role = 'dps') AS n_dps
  FROM stats GROUP BY raid_id
)
SELECT r.raid_id, r.event_date, r.duration_ms, coalesce(total_damage, 0.0) AS total_damage,
       coalesce(total_healing, 0.0) AS total_healing,
       coalesce(total_player_deaths, 0) AS total_player_deaths, coalesce(n_players, 0) AS n_players,
       coalesce(n_tanks, 0) AS n_tanks, coalesce(n_healers, 0) AS n_healers, coalesce(n_dps, 0) AS n_dps,
       CASE WHEN duration_ms = 0 THEN 0.0 ELSE coalesce(total_damage, 0) / (duration_ms / 1000.0) END AS raid_dps,
       CASE WHEN duration_ms = 0 THEN 0.0 ELSE coalesce(total_healing, 0) / (duration_ms / 1000.0) END AS raid_hps,
       boss_min_hp_pct,
       CASE WHEN boss_min_hp_pct = 0 OR any_success THEN 'success' ELSE 'wipe' END AS raid_outcome
FROM raids r LEFT JOIN p USING (raid_id) ORDER BY raid_id
""",
    "dim_raid": """
WITH raids AS (
  SELECT raid_id, strftime(min(timestamp), '%Y-%m-%d') AS event_date FROM ev GROUP BY raid_id
), bosses AS (
  SELECT raid_id, target_entity_name AS boss_name, count(*) AS n FROM ev
  WHERE target_entity_type = 'boss' AND target_entity_name IS NOT NULL GROUP BY ALL
), diffs AS (
  SELECT raid_id, difficulty, count(*) AS n FROM ev WHERE difficulty IS NOT NULL GROUP BY ALL
), sizes AS (SELECT raid_id, count(*) AS raid_size FROM stats GROUP BY raid_id)
SELECT r.raid_id, r.event_date,
       (SELECT boss_name FROM bosses b WHERE b.raid_id = r.raid_id ORDER BY n DESC, boss_name LIMIT 1) AS boss_name,
       (SELECT difficulty FROM diffs d WHERE d.raid_id = r.raid_id ORDER BY n DESC, difficulty LIMIT 1) AS difficulty,
       coalesce(raid_size, 0) AS raid_size, 360000 AS duration_target_ms
FROM raids r LEFT JOIN sizes USING (raid_id) ORDER BY raid_id
""",
    "dim_player": """
SELECT player_id,
       arg_max(player_name, (event_date, raid_id, player_name))
         FILTER (WHERE player_name IS NOT NULL) AS player_name,
       arg_max(player_class, (event_date, raid_id, player_class))
         FILTER (WHERE player_class IS NOT NULL) AS player_class,
       coalesce(arg_max(player_role, (event_date, raid_id, player_role))
         FILTER (WHERE player_role <> 'unknown'), 'unknown') AS player_role,
       min(event_date) AS first_seen_date, max(event_date) AS last_seen_date,
       count(DISTINCT raid_id) AS total_raids
FROM stats GROUP BY player_id ORDER BY player_id
""",
}


def duckdb_gold(con: Any) -> dict[str, pd.DataFrame]:
    """Run the SQL peer over the registered ``silver`` relation; four pandas frames."""
    con.execute(DUCKDB_SQL["events"])
    con.execute(DUCKDB_SQL["fact_player_raid_stats"])
    out = {"fact_player_raid_stats": con.execute("SELECT * FROM stats").df()}
    for name in ("fact_raid_summary", "dim_raid", "dim_player"):
        out[name] = con.execute(DUCKDB_SQL[name]).df()
    return out


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raids", type=int, default=20)
    parser.add_argument("--events-per-raid", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", default="pandas", choices=["pandas", "cudf", "auto"])
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: its default)")
    args = parser.parse_args()

    import duckdb  # noqa: PLC0415 — a dev dependency, only the benchmark needs it

    t0 = time.perf_counter()
    silver = make_silver(args.raids, args.events_per_raid)
    n = len(silver)
    print(f"silver: {n:,} rows, {args.raids} raids (built in {time.perf_counter() - t0:.2f} s)")

    pandas_s, gold = best_of(args.repeat, lambda: build_gold(silver))
    results = {"pandas": pandas_s}

    backend = resolve_backend(args.backend)
    if backend.is_gpu:
        gpu_silver = from_pandas(silver, backend)
        build_gold(gpu_silver)  # warm-up: CUDA context, JIT kernels
        gpu_s, gpu_gold = best_of(args.repeat, lambda: build_gold(gpu_silver))
        results["cudf"] = gpu_s
        for name, frame in gold.as_dict().items():
            assert_frames_equivalent(gpu_gold.as_dict()[name], frame, GOLD_SCHEMAS[name].keys)

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    con.register("silver", pa.Table.from_pandas(silver, preserve_index=False))
    duck_s, duck = best_of(args.repeat, lambda: duckdb_gold(con))
    results["duckdb"] = duck_s
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]

    for name in duck:  # the SQL peer covers the raid-level tables
        assert_frames_equivalent(
            duck[name], gold.as_dict()[name], GOLD_SCHEMAS[name].keys, rtol=1e-9
        )
    print("check: DuckDB SQL and raidlib produce equivalent gold tables")

    for label, seconds in results.items():
        extra = f" (threads={threads})" if label == "duckdb" else ""
        print(f"{label:>7}: {seconds:7.3f} s  {n / seconds:14,.0f} events/s{extra}")
    print(f"ratio pandas / duckdb: {pandas_s / duck_s:.2f}x")
    if "cudf" in results:
        print(f"ratio cudf / duckdb: {results['cudf'] / duck_s:.2f}x")


if __name__ == "__main__":
    main()
