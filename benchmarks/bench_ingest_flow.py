"""What the ``ingest`` flow adds on top of its own work: Prefect overhead per delivered event.

Run: ``.venv/bin/python benchmarks/bench_ingest_flow.py [--raids 2] [--repeat 2]``. On a
temporary Prefect API (SQLite, in a throw-away ``PREFECT_HOME``) it runs the ``ingest`` flow
landing ``--raids`` simulated raids straight into a fresh bronze folder, and, as the peer in the
same run, the same steps as plain function calls (generate, cut into batches, validate, land).
It prints events/s for both, best of ``--repeat``, and their ratio. Prefect walks every task
argument looking for futures; a flow that handed it the raw batches (20,000 event dicts per
raid) spent most of its time there, which is why ``flows/ingest.py`` passes them in ``quote``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # flows/ is not a package

START = datetime(2026, 3, 1, 19, 30, tzinfo=UTC)
BATCH_SIZE = 2_000  # the flow's default


def plain_calls(raids: int, lake_dir: str) -> int:
    """The flow's work without Prefect; returns how many events landed."""
    from raidlib.generator import FaultConfig, RaidConfig, generate_raids, plan_batches
    from raidlib.lake import Lake
    from raidlib.landing import land_batches

    frame = generate_raids(raids, seed=0, start=START, config=RaidConfig(), raid_prefix="bench")
    batches = plan_batches(frame, batch_size=BATCH_SIZE, faults=FaultConfig(), seed=0)
    return land_batches(Lake.local(lake_dir), batches).events_accepted


def flow_run(raids: int, lake_dir: str) -> int:
    from flows.ingest import ingest

    out = ingest(raids=raids, seed=0, start=START, lake=lake_dir, raid_prefix="bench")
    return out["delivery"]["events_accepted"]


def best_of(repeat: int, work, raids: int) -> tuple[float, int]:
    best, events = float("inf"), 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as lake_dir:
            started = time.perf_counter()
            events = work(raids, lake_dir)
            best = min(best, time.perf_counter() - started)
    return best, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raids", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="bench-ingest-prefect-")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        flow_run(1, tempfile.mkdtemp())  # warm-up: the API's first calls, imports
        plain_s, plain_events = best_of(args.repeat, plain_calls, args.raids)
        flow_s, flow_events = best_of(args.repeat, flow_run, args.raids)
    assert plain_events == flow_events, (plain_events, flow_events)
    print(f"{flow_events:,} events in {args.raids} raid(s), best of {args.repeat}")
    print(f"  plain calls   {plain_s:7.2f} s  {plain_events / plain_s:12,.0f} events/s")
    print(f"  ingest flow   {flow_s:7.2f} s  {flow_events / flow_s:12,.0f} events/s")
    print(f"  flow / plain  {flow_s / plain_s:7.2f}x the time")


if __name__ == "__main__":
    main()
