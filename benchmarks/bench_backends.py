"""pandas vs cuDF, same run, same bronze: bronze → silver and silver → gold throughput.

    .venv/bin/python benchmarks/bench_backends.py --events 1e6,1e7

Bronze is synthesised with NumPy and written as receiver-style JSON Lines plus manifests
(``benchmarks/bench_silver.py``: 10,000 events per batch, 2 % re-posted). Each backend then gets
its own empty silver and gold roots over the same bronze:

* bronze → silver: ``process_new_bronze`` (find batches, JSON read, cast, rules, enrich, dedup,
  sort, Parquet per partition, quarantine, markers) — events/s = bronze lines / wall time;
* silver → gold: ``read_silver_for_raids`` of every raid + ``build_gold`` (all gold tables) —
  events/s = silver rows / wall time (writing gold is a few KB and left out).

cuDF runs only where :func:`raidlib.backend.resolve_backend` finds it usable; otherwise the reason
is printed and pandas runs alone. Peak GPU memory is RMM's peak allocation inside each step
(:class:`raidlib.gpu_device.PeakDeviceMemory`). The first cuDF step includes CUDA/JIT warm-up;
``--warmup`` runs a small untimed pass first.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_silver import SynthBronze, arrow_allocator_line, write_bronze  # noqa: E402

from raidlib.backend import Backend, BackendUnavailableError, resolve_backend  # noqa: E402
from raidlib.gold import build_gold  # noqa: E402
from raidlib.gpu_device import PeakDeviceMemory, device_memory  # noqa: E402
from raidlib.lake import Lake  # noqa: E402
from raidlib.lake.gold_store import read_silver_for_raids, silver_raid_ids  # noqa: E402
from raidlib.silver.pipeline import process_new_bronze  # noqa: E402


@dataclass
class StepResult:
    seconds: float
    events: int
    peak_gpu_bytes: int | None
    stages: str = ""
    """Where the step spent its time (silver: ``SilverRunReport.stage_summary``; gold: reading
    silver, then building the tables)."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else float("inf")


def lake_for(work: str, name: str) -> Lake:
    return Lake(
        bronze_root=os.path.join(work, "bronze"),
        silver_root=os.path.join(work, name, "silver"),
        gold_root=os.path.join(work, name, "gold"),
    )


def run_backend(work: str, backend: Backend, lines: int) -> tuple[StepResult, StepResult]:
    lake = lake_for(work, backend.name)
    with PeakDeviceMemory() as peak:
        started = time.perf_counter()
        report = process_new_bronze(lake, backend)
        silver_s = time.perf_counter() - started
    silver = StepResult(silver_s, lines, peak.peak_bytes, report.stage_summary())
    if report.backend and report.backend != backend.name:
        print(f"  note: silver ran as {report.backend!r}")
    if report.read_by_pyarrow:
        print(f"  note: {len(report.read_by_pyarrow)} batches read by pyarrow, not the GPU reader")
    with PeakDeviceMemory() as peak:
        started = time.perf_counter()
        frame = read_silver_for_raids(lake, silver_raid_ids(lake), backend, for_gold=True)
        read_s = time.perf_counter() - started
        tables = build_gold(frame)
        rows = len(frame)
        del frame, tables
        gold_s = time.perf_counter() - started
    stages = f"read silver {read_s:.2f} s, build {gold_s - read_s:.2f} s"
    gold = StepResult(gold_s, rows, peak.peak_bytes, stages)
    shutil.rmtree(os.path.join(work, backend.name), ignore_errors=True)
    return silver, gold


def fmt_peak(result: StepResult) -> str:
    if result.peak_gpu_bytes is None:
        return ""
    return f", peak GPU {result.peak_gpu_bytes / 2**20:,.0f} MiB"


def profiled(path: str, title: str, function: Any) -> Any:
    """``function`` under cProfile; its hottest functions, and raidlib's by cumulative time,
    appended to ``path``."""

    def run(*args: Any) -> Any:
        profile = cProfile.Profile()
        result = profile.runcall(function, *args)
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats("raidlib", 30)  # where raidlib spends it
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"=== {title} (times are inflated by profiling)\n{text.getvalue()}\n")
        return result

    return run


def parse_counts(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="1e6", help="comma-separated sizes, e.g. 1e6,1e7")
    parser.add_argument("--backends", default="pandas,cudf")
    parser.add_argument(
        "--raids",
        type=int,
        default=20,
        help="raids the events are spread over (1: the peak GPU memory of one raid of that size)",
    )
    parser.add_argument(
        "--gpu-memory-limit-mib",
        type=float,
        default=None,
        help="cap cuDF's GPU memory (e.g. 3500: a 4 GB laptop GPU rehearsed on a bigger one); "
        "silver's GPU-sized chunks and any rerun on pandas are then printed",
    )
    parser.add_argument("--warmup", action="store_true", help="untimed 20k-event pass first")
    parser.add_argument("--workdir", default=None)
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="also write each timed run's hottest functions (cProfile, by own time) to FILE",
    )
    parser.add_argument(
        "--profile-again",
        metavar="FILE",
        help="after the timed runs of each size, run the last backend once more under cProfile "
        "(same bronze, not timed) and write its hottest functions to FILE",
    )
    args = parser.parse_args()
    if args.raids < 1:
        parser.error("--raids must be at least 1")
    if args.gpu_memory_limit_mib is not None:
        if args.gpu_memory_limit_mib <= 0:
            parser.error("--gpu-memory-limit-mib must be positive")
        # Chunking and fallbacks are the point of a capped run: show raidlib's lines about them.
        logging.basicConfig(format="  log: %(name)s: %(message)s")
        logging.getLogger("raidlib.silver.pipeline").setLevel(logging.INFO)

    backends: list[Backend] = []
    for name in args.backends.split(","):
        try:
            backends.append(
                resolve_backend(name.strip(), gpu_memory_limit_mib=args.gpu_memory_limit_mib)
            )
        except BackendUnavailableError as exc:
            print(f"cuDF unavailable: {exc}")
    if not backends:
        sys.exit("no backend left to run")
    print(arrow_allocator_line())
    for backend in backends:
        print(f"{backend.name}: {backend.reason}")
    memory = device_memory()
    if memory:
        print(f"GPU memory: {memory[0] / 2**30:.1f} GiB free of {memory[1] / 2**30:.1f} GiB")

    for n in parse_counts(args.events):
        work = args.workdir or tempfile.mkdtemp(prefix="raidlib-bench-backends-")
        try:
            started = time.perf_counter()
            lines = write_bronze(Lake.local(work), SynthBronze(n, raids=args.raids))
            print(
                f"\n{n:,} events over {args.raids} raid(s): {lines:,} bronze lines written in "
                f"{time.perf_counter() - started:.1f} s"
            )
            if args.warmup:
                warm = os.path.join(work, "_warmup")
                write_bronze(Lake.local(warm), SynthBronze(20_000))
                for backend in backends:
                    run_backend(warm, backend, 20_000)
            results = {}
            for backend in backends:
                if args.profile:
                    silver, gold = profiled(args.profile, f"{backend.name} at {n:,}", run_backend)(
                        work, backend, lines
                    )
                else:
                    silver, gold = run_backend(work, backend, lines)
                results[backend.name] = (silver, gold)
                print(
                    f"  {backend.name:6} bronze→silver {silver.seconds:7.2f} s "
                    f"{silver.rate:12,.0f} events/s{fmt_peak(silver)}"
                )
                print(f"         stages: {silver.stages}")
                print(
                    f"  {backend.name:6} silver→gold   {gold.seconds:7.2f} s "
                    f"{gold.rate:12,.0f} events/s{fmt_peak(gold)}"
                )
                print(f"         stages: {gold.stages}")
            if args.profile_again:
                again = backends[-1]
                profiled(args.profile_again, f"{again.name} at {n:,}, run again", run_backend)(
                    work, again, lines
                )
            if "pandas" in results and "cudf" in results:
                for i, step in enumerate(("bronze→silver", "silver→gold")):
                    ratio = results["pandas"][i].seconds / results["cudf"][i].seconds
                    print(f"  cuDF/pandas speed-up {step}: {ratio:.1f}x")
                both = sum(r.seconds for r in results["pandas"]) / sum(
                    r.seconds for r in results["cudf"]
                )
                print(f"  cuDF/pandas speed-up silver+gold: {both:.1f}x")
        finally:
            if not args.workdir:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
