"""Bronze → silver throughput: raidlib on pandas vs the same work in DuckDB SQL, same run, same files.

    .venv/bin/python benchmarks/bench_silver.py --events 1000000

Synthetic events are made with NumPy and written as bronze JSON Lines plus manifests exactly as
the receiver lays them out (10,000 events per batch, 2 % re-posted in extra batches), not
through HTTP; each worker process draws and writes whole batches. Then, each on its own empty silver root:

* raidlib: ``process_new_bronze`` (find batches, pyarrow JSON read, cast, all rules, enrich,
  per-partition dedup, sort, one atomic Parquet file per partition, quarantine, markers);
* DuckDB: ``read_json`` over the same files with an explicit column list, dedup with
  ``ROW_NUMBER() OVER (PARTITION BY raid_id, event_date, event_id ORDER BY ingest DESC,
  batch_id DESC)``, the same enrichment, ``COPY … (FORMAT parquet, PARTITION_BY …)`` Snappy.
"""

from __future__ import annotations

import argparse
import binascii
import json
import multiprocessing
import os
import shutil
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from raidlib.backend import resolve_backend
from raidlib.lake import Lake, layout
from raidlib.silver.pipeline import process_new_bronze

BATCH = 10_000
T0 = np.datetime64("2026-11-23T10:00:00", "ms")


def iso(values: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(values, unit="ms"), "Z")


def arrow_allocator_line() -> str:
    """Which allocator Arrow uses: it moves bronze → silver by 10-25 % (see README, Benchmark)."""
    return (
        f"Arrow host allocator: {pa.default_memory_pool().backend_name} "
        "(set ARROW_DEFAULT_MEMORY_POOL=system|jemalloc|mimalloc to change)"
    )


def synth_slice(indices: range, n: int, raids: int, rng: np.random.Generator) -> pd.DataFrame:
    """Events ``indices`` of ``n``: event ``i`` is in raid ``i * raids // n``; the rest is drawn
    from ``rng`` (so a slice is the same whenever it is drawn with the same generator)."""
    size = len(indices)
    raw = rng.integers(0, 256, size=(size, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = pd.Series(np.frombuffer(binascii.hexlify(raw.tobytes()), dtype="S32").astype(str))
    event_id = (
        hexed.str[:8]
        + "-"
        + hexed.str[8:12]
        + "-"
        + hexed.str[12:16]
        + "-"
        + hexed.str[16:20]
        + "-"
        + hexed.str[20:]
    )
    kinds = np.array(
        ["combat_damage", "heal", "spell_cast", "player_death", "boss_phase", "mana_regeneration"]
    )
    etype = kinds[rng.choice(6, size=size, p=[0.6, 0.25, 0.1, 0.01, 0.01, 0.03])]
    raid = np.arange(indices.start, indices.stop, dtype=np.int64) * raids // max(n, 1)
    offset_ms = rng.integers(0, 36 * 3600 * 1000, size=size)  # spans two UTC dates
    ts = T0 + offset_ms.astype("timedelta64[ms]")
    player = rng.integers(0, 20, size=size)
    on_player = np.isin(etype, ["heal", "player_death"])  # a death on a boss is quarantined
    return pd.DataFrame(
        {
            "event_id": event_id,
            "event_type": etype,
            "timestamp": iso(ts),
            "raid_id": np.char.add("raid", np.char.zfill(raid.astype(str), 3)),
            "encounter_id": "enc1",
            "source_player_id": np.char.add("player-", player.astype(str)),
            "source_player_name": np.char.add("Name", player.astype(str)),
            "source_player_role": np.array(["tank", "healer", "dps", "dps"])[player % 4],
            "source_player_class": "mage",
            "ability_id": "a1",
            "ability_name": "Fireball",
            "ability_school": "fire",
            "damage_amount": np.where(
                etype == "combat_damage", rng.uniform(1, 20_000, size).round(2), np.nan
            ),
            "healing_amount": np.where(
                etype == "heal", rng.uniform(1, 9_000, size).round(2), np.nan
            ),
            "is_critical_hit": rng.random(size) < 0.2,
            "critical_multiplier": 1.0,
            "is_resisted": False,
            "is_blocked": False,
            "is_absorbed": False,
            "target_entity_id": np.where(on_player, "player-1", "boss-1"),
            "target_entity_name": np.where(on_player, "Name1", "Boss"),
            "target_entity_type": np.where(on_player, "player", "boss"),
            "resource_type": np.where(etype == "mana_regeneration", "mana", None),
            "source_system": "bench",
            "server_latency_ms": rng.integers(0, 50, size),
        }
    )


REPOST_EVERY = 50
"""One event in 50 is posted again, in extra batches after the originals (a client's retries)."""


@dataclass(frozen=True)
class SynthBronze:
    """``n`` events over ``raids`` raids as batches of :data:`BATCH`, each drawn on its own
    (seeded by its number), so that worker processes draw and write them independently."""

    n: int
    raids: int = 20
    seed: int = 7

    @property
    def originals(self) -> int:
        return -(-self.n // BATCH)

    def original(self, number: int) -> pd.DataFrame:
        start = number * BATCH
        rng = np.random.default_rng([self.seed, number])
        return synth_slice(range(start, min(self.n, start + BATCH)), self.n, self.raids, rng)

    def reposted_from(self, number: int) -> pd.DataFrame:
        """The events of original batch ``number`` that are posted again."""
        events = self.original(number)
        rng = np.random.default_rng([self.seed, number, 1])
        picked = rng.choice(len(events), size=len(events) // REPOST_EVERY, replace=False)
        return events.iloc[np.sort(picked)]

    def batch(self, number: int) -> pd.DataFrame:
        """Batch ``number``: an original, or re-posts from the next run of originals."""
        if number < self.originals:
            return self.original(number)
        first = (number - self.originals) * REPOST_EVERY
        sources = range(first, min(self.originals, first + REPOST_EVERY))
        return pd.concat([self.reposted_from(i) for i in sources], ignore_index=True)

    @property
    def batches(self) -> int:
        return self.originals + -(-self.originals // REPOST_EVERY)


def write_bronze(lake: Lake, bronze: SynthBronze, workers: int | None = None) -> int:
    """Write ``bronze``'s batches (each a JSON Lines object per raid, then its manifest);
    returns the lines written.

    ``workers`` processes (default: one per CPU) each draw and write whole batches: at 10M
    events, drawing them in one process and shipping them to writers took 57 s of a GPU lease.
    """
    numbers = range(bronze.batches)
    workers = min(workers or os.cpu_count() or 1, len(numbers))
    if workers <= 1:
        return sum(_write_batch(lake, bronze, number) for number in numbers)
    # spawn, not fork: the parent already runs Arrow's thread pools.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        jobs = pool.map(_write_batch, [lake] * len(numbers), [bronze] * len(numbers), numbers)
        return sum(jobs)


def _write_batch(lake: Lake, bronze: SynthBronze, number: int) -> int:
    """One batch: a JSON Lines object per raid, then its manifest (as the receiver lands it)."""
    chunk = bronze.batch(number)
    fs = lake.fs("bronze")
    ingest = T0 + np.timedelta64(40, "h")
    batch_id = str(uuid.UUID(int=number + 1))
    stamp = str(iso(np.array([ingest + np.timedelta64(number, "s")]))[0])
    objects = []
    for raid_id, part in chunk.groupby("raid_id", sort=True):
        part = part.assign(batch_id=batch_id, ingest_timestamp=stamp, batch_source="bench")
        key = layout.bronze_batch_key(raid_id, stamp[:10], batch_id)
        path = lake.path("bronze", key)
        fs.makedirs(os.path.dirname(path), exist_ok=True)
        part.to_json(path, orient="records", lines=True)
        objects.append({"key": key, "raid_id": raid_id, "events": len(part)})
    manifest = {"batch_id": batch_id, "ingest_timestamp": stamp, "objects": objects}
    lake.write_bytes_atomic(
        "bronze", layout.bronze_manifest_key(batch_id), json.dumps(manifest).encode()
    )
    return len(chunk)


DUCKDB_SQL = """
COPY (
  WITH raw AS (
    SELECT * FROM read_json('{glob}', format='newline_delimited', columns={columns})
  ), typed AS (
    SELECT *, strftime(timestamp AT TIME ZONE 'UTC', '%Y-%m-%d') AS event_date,
           (epoch_ms(ingest_timestamp) - epoch_ms(timestamp)) AS ingest_latency_ms,
           coalesce(event_type = 'combat_damage' AND damage_amount > 10000, false) AS is_massive_hit
    FROM raw
  ), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY raid_id, event_date, lower(event_id)
                                 ORDER BY ingest_timestamp DESC, batch_id DESC) AS rn
    FROM typed
  )
  SELECT * EXCLUDE (rn) FROM ranked WHERE rn = 1 ORDER BY raid_id, event_date, timestamp, event_id
) TO '{out}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (raid_id, event_date), OVERWRITE_OR_IGNORE)
"""


def duckdb_columns() -> str:
    from raidlib.lake.bronze_reader import BRONZE_LINE_SCHEMA

    mapping = {"string": "VARCHAR", "double": "DOUBLE", "int64": "BIGINT", "bool": "BOOLEAN"}
    parts = []
    for field in BRONZE_LINE_SCHEMA:
        t = str(field.type)
        sql = "TIMESTAMPTZ" if t.startswith("timestamp") else mapping.get(t, "VARCHAR[]")
        parts.append(f"'{field.name}': '{sql}'")
    return "{" + ", ".join(parts) + "}"


def run_duckdb(lake: Lake, out: str, threads: int | None) -> float:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {threads}")
    glob = lake.path("bronze", f"{layout.DATASET}/*/*/*.jsonl")
    started = time.perf_counter()
    con.execute(DUCKDB_SQL.format(glob=glob, columns=duckdb_columns(), out=out))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", default=None, help="folder for the lake (default: a temp dir)")
    parser.add_argument("--duckdb-threads", type=int, default=None)
    args = parser.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="raidlib-bench-")
    print(arrow_allocator_line())
    try:
        lake = Lake.local(work)
        started = time.perf_counter()
        lines = write_bronze(lake, SynthBronze(args.events))
        size = sum(
            os.path.getsize(os.path.join(d, f))
            for d, _, fs in os.walk(lake.bronze_root)
            for f in fs
        )
        print(
            f"bronze: {lines:,} lines, {size / 2**20:.0f} MiB, written in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        report = process_new_bronze(lake, resolve_backend("pandas"))
        ours = time.perf_counter() - started
        print(
            f"raidlib/pandas: {ours:.2f} s, {lines / ours:,.0f} events/s "
            f"({report.rows_added:,} silver rows, {report.duplicates_removed:,} duplicates, "
            f"{report.rows_quarantined:,} quarantined, {len(report.partitions_written)} partitions)"
        )
        theirs = run_duckdb(lake, os.path.join(work, "duckdb_silver"), args.duckdb_threads)
        print(f"duckdb:         {theirs:.2f} s, {lines / theirs:,.0f} events/s")
        print(f"ratio raidlib/duckdb time: {ours / theirs:.2f}x (target <= 1.5x)")
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
