"""Receiver throughput: validated-and-landed events per second, against a naive peer.

Starts the real receiver (``raidlib serve``: waitress, its own process) on 127.0.0.1 against a
temporary lake, posts ``--events`` events in batches of ``--batch-size`` from ``--posters``
concurrent threads, and reports events/s from the first request to the last 201. As peers, on
the same data and in this process:

* fast path: the receiver's own ``BatchParser.parse`` + ``land_batch`` (no HTTP);
* naive: ``json.loads`` + per-event ``model_validate`` + per-line ``json.dumps`` into a file.

Run: ``.venv/bin/python benchmarks/bench_receiver.py [--events 300000] [--posters 4]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from raidlib.lake.bronze_writer import land_batch
from raidlib.lake.lake import Lake
from raidlib.receiver.parsing import BatchParser
from raidlib.schemas.events import EVENT_MODELS
from raidlib.schemas.validation import validation_context

ROLES = ("tank", "healer", "dps")
CLASSES = ("warrior", "paladin", "priest", "mage", "druid", "shaman")


def make_events(n: int, n_raids: int = 20, seed: int = 7) -> list[dict[str, Any]]:
    """Realistic-looking events: 60 % damage, 25 % heals, spells, deaths, mana (raid per 1/n)."""
    import random

    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=1)
    per_raid = max(1, n // n_raids)
    events = []
    for i in range(n):
        raid = f"raid{min(i // per_raid, n_raids - 1):03d}"
        player = rng.randrange(20)
        event: dict[str, Any] = {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "timestamp": (start + timedelta(milliseconds=37 * i)).isoformat(),
            "raid_id": raid,
            "encounter_id": f"{raid}-enc1",
            "encounter_duration_ms": 37 * (i % per_raid),
            "difficulty": "heroic",
            "source_player_id": f"player-{player:02d}",
            "source_player_name": f"Player{player:02d}",
            "source_player_role": ROLES[player % 3],
            "source_player_class": CLASSES[player % len(CLASSES)],
            "source_player_level": 70,
            "ability_id": str(1000 + player),
            "ability_name": "Ability",
            "ability_school": "fire",
            "is_critical_hit": rng.random() < 0.2,
            "client_latency_ms": rng.randrange(200),
        }
        roll = rng.random()
        if roll < 0.6:
            event |= {
                "event_type": "combat_damage",
                "damage_amount": round(rng.uniform(100, 20000), 1),
                "target_entity_id": "boss-1",
                "target_entity_name": "Ragnaros",
                "target_entity_type": "boss",
                "target_entity_health_pct_before": 50.0,
                "target_entity_health_pct_after": 49.9,
            }
        elif roll < 0.85:
            event |= {"event_type": "heal", "healing_amount": round(rng.uniform(100, 9000), 1)}
        elif roll < 0.95:
            event |= {"event_type": "spell_cast"}
        elif roll < 0.98:
            event |= {"event_type": "mana_regeneration", "resource_type": "mana"}
        else:
            event |= {
                "event_type": "player_death",
                "target_entity_id": f"player-{player:02d}",
                "target_entity_name": f"Player{player:02d}",
                "target_entity_type": "player",
            }
        events.append(event)
    return events


def envelopes(events: list[dict[str, Any]], batch_size: int) -> list[bytes]:
    return [
        json.dumps(
            {"batch_id": str(uuid.uuid4()), "source": "bench", "events": events[i : i + batch_size]}
        ).encode()
        for i in range(0, len(events), batch_size)
    ]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux ``/proc``; ``None`` elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(lake_dir: Path, threads: int) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, "-c", "from raidlib.cli import main; raise SystemExit(main())",
        "serve", "--port", "0", "--threads", str(threads), "--lake", str(lake_dir),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAIDLIB_")}
    log = open(lake_dir / "receiver.log", "w")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return proc, match.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("the receiver did not start")


def bench_http(
    bodies: list[bytes], n_events: int, posters: int, threads: int
) -> tuple[float, float | None]:
    """(events/s wall clock, events per CPU-second of the server process)."""
    with tempfile.TemporaryDirectory(prefix="raidlib-bench-") as tmp:
        proc, url = start_server(Path(tmp), threads)
        try:
            with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=posters)) as client:
                headers = {"Content-Type": "application/json"}
                client.post(f"{url}/events", content=bodies[0], headers=headers)  # warm-up
                client.post(f"{url}/events", content=bodies[0], headers=headers)  # duplicate

                def post(body: bytes) -> int:
                    return client.post(f"{url}/events", content=body, headers=headers).status_code

                cpu_before = cpu_seconds(proc.pid)
                started = time.perf_counter()
                with ThreadPoolExecutor(posters) as pool:
                    statuses = list(pool.map(post, bodies[1:]))
                elapsed = time.perf_counter() - started
                cpu_after = cpu_seconds(proc.pid)
            bad = [s for s in statuses if s != 201]
            if bad:
                raise RuntimeError(f"{len(bad)} batches not accepted: {sorted(set(bad))}")
            landed = sum(
                len(p.read_bytes().splitlines()) for p in Path(tmp, "bronze").rglob("*.jsonl")
            )
            if landed != n_events:
                raise RuntimeError(f"landed {landed} events, sent {n_events}")
            measured = n_events - len(json.loads(bodies[0])["events"])
            per_cpu = None
            if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
                per_cpu = measured / (cpu_after - cpu_before)
            return measured / elapsed, per_cpu
        finally:
            proc.terminate()
            proc.wait(10)


def bench_fast_inprocess(
    bodies: list[bytes], n_events: int, batch_size: int
) -> tuple[float, float]:
    """The receiver's own path without HTTP: (events/s wall, events per CPU-second)."""
    parser = BatchParser(max(batch_size, 10_000))
    with tempfile.TemporaryDirectory(prefix="raidlib-bench-") as tmp:
        lake = Lake.local(tmp)
        started, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            batch = parser.parse(body, validation_context())
            land_batch(lake, batch.events, batch_id=batch.batch_id, source=batch.source)
        return _rates(n_events, started, cpu)


def _rates(n_events: int, started: float, cpu: float) -> tuple[float, float]:
    return (
        n_events / (time.perf_counter() - started),
        n_events / max(time.process_time() - cpu, 1e-9),
    )


def bench_naive(bodies: list[bytes], n_events: int) -> tuple[float, float]:
    """The obvious version, one event at a time: (events/s wall, events per CPU-second)."""
    with tempfile.TemporaryDirectory(prefix="raidlib-bench-") as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            envelope = json.loads(body)
            context = validation_context()
            models = [
                EVENT_MODELS[e["event_type"]].model_validate(e, context=context)
                for e in envelope["events"]
            ]
            stamp = datetime.now(UTC).isoformat()
            by_raid: dict[str, list[str]] = {}
            for model in models:
                row = model.model_dump(mode="json", exclude_none=True)
                row |= {"batch_id": envelope["batch_id"], "ingest_timestamp": stamp}
                by_raid.setdefault(model.raid_id, []).append(json.dumps(row))
            for raid, lines in by_raid.items():
                Path(tmp, f"{raid}-{envelope['batch_id']}.jsonl").write_text(
                    "\n".join(lines) + "\n"
                )
        return _rates(n_events, started, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--posters", type=int, default=4, help="concurrent posting threads")
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    parser.add_argument("--peer-events", type=int, default=100_000, help="events for the peers")
    args = parser.parse_args()

    t0 = time.perf_counter()
    events = make_events(args.events)
    bodies = envelopes(events, args.batch_size)
    mb = sum(map(len, bodies)) / 1e6
    print(
        f"data: {args.events} events, {len(bodies)} batches of {args.batch_size}, {mb:.0f} MB "
        f"({time.perf_counter() - t0:.1f} s to build); {os.cpu_count()} CPUs"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    http_rate, per_cpu = bench_http(bodies, args.events, args.posters, args.threads)
    print(
        f"receiver over HTTP ({args.posters} posters, {args.threads} threads): "
        f"{http_rate:,.0f} events/s validated and landed (load average before: {load:.1f})"
    )
    if per_cpu:
        print(f"  server process: {per_cpu:,.0f} events per CPU-second")

    peer_bodies = bodies[: max(1, args.peer_events // args.batch_size)]
    peer_n = sum(len(json.loads(b)["events"]) for b in peer_bodies)
    fast, fast_cpu = bench_fast_inprocess(peer_bodies, peer_n, args.batch_size)
    naive, naive_cpu = bench_naive(peer_bodies, peer_n)
    print(f"peers in this process on {peer_n} events (wall events/s | events per CPU-second):")
    print(f"  fast path (BatchParser.parse + land_batch): {fast:,.0f} | {fast_cpu:,.0f}")
    print(f"  naive (json.loads + model_validate + json.dumps): {naive:,.0f} | {naive_cpu:,.0f}")
    print(
        f"ratio fast/naive: {fast / naive:.2f}x wall, {fast_cpu / naive_cpu:.2f}x CPU; "
        f"receiver over HTTP / naive in-process: {http_rate / naive:.2f}x"
    )


if __name__ == "__main__":
    main()
