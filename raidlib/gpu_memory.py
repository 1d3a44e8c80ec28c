"""GPU memory policy: decide, before moving data to the GPU, whether a step fits, and recover
when it does not (the user's laptop GPU has 4 GB).

One small module holds the whole policy so it can be tested on a CPU with a fake probe:

* a :data:`MemoryProbe` (:func:`raidlib.gpu_device.device_memory` on a real card) gives
  ``(free, total)`` bytes. Only free memory counts: a desktop session or another process may
  hold part of the card.
* :func:`plan_step` compares the step's estimated device bytes with ``free × usable_fraction``
  and says "GPU" or "pandas, because …".
* :func:`split_to_fit` cuts an ordered list of work items (bronze batches) into consecutive
  chunks that each fit, so a big backlog runs on the GPU in several passes instead of falling
  back; an item that alone does not fit is marked for pandas.
* :func:`run_with_fallback` runs a step on the GPU and, if it still runs out of device memory
  (:func:`is_gpu_oom`: RMM raises ``MemoryError``), logs a warning and reruns it on pandas.
  Every raidlib step is idempotent, so a rerun is safe.

What the device itself says and allows (free memory, a cap on allocations, peak allocation) is
asked of RMM in :mod:`raidlib.gpu_device`.

Estimates are deliberately rough: ``rows × bytes per row × working-copy factor``. The factors
below were chosen from the Arrow sizes of silver rows (≈ 0.6 KB each with strings) and the
number of full-width copies silver and gold make (cast, rule masks, dedup sort, concat).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from raidlib.gpu_device import device_memory

log = logging.getLogger(__name__)

T = TypeVar("T")

MemoryProbe = Callable[[], "tuple[int, int] | None"]
"""Returns ``(free_bytes, total_bytes)`` of the current device, or ``None`` when unknown."""


@dataclass(frozen=True)
class MemoryPolicy:
    """Knobs of the GPU memory policy.

    Attributes:
        usable_fraction: share of the *free* device memory a step may plan to use (the rest is
            headroom for RMM fragmentation, CUDA context growth and other processes).
        bytes_per_bronze_byte: device bytes needed per byte of bronze JSON Lines while reading,
            casting, checking, enriching, deduplicating and sorting it (JSON text → columns is
            ≈ 0.5×, then ≈ 6 working copies).
        bytes_per_silver_parquet_byte: device bytes per byte of a raid's silver Parquet files
            (Snappy/dictionary ≈ 8× smaller than the Arrow columns, then the gold group-bys and
            their temporaries ≈ 3×).
        bytes_per_bronze_event: used when a manifest gives an event count but no byte count
            (the receiver's manifests give both): a bronze line of simulated raids is ≈ 770 B
            of JSON, of an imported combat log ≈ 980 B; the larger, rounded up.
    """

    usable_fraction: float = 0.6
    bytes_per_bronze_byte: float = 4.0
    bytes_per_silver_parquet_byte: float = 25.0
    bytes_per_bronze_event: float = 1000.0

    def budget(self, free_bytes: int) -> int:
        return int(free_bytes * self.usable_fraction)

    def json_bytes(self, events: int) -> float:
        """The bronze JSON text a manifest's event count stands for, before it is loaded."""
        return events * self.bytes_per_bronze_event


DEFAULT_POLICY = MemoryPolicy()


@dataclass(frozen=True)
class Plan:
    """Where a step runs: ``use_gpu`` and a one-line ``reason`` for the log and artifacts."""

    use_gpu: bool
    reason: str
    estimated_bytes: int = 0
    budget_bytes: int | None = None


def estimate_gold_bytes(silver_bytes: int, policy: MemoryPolicy = DEFAULT_POLICY) -> float:
    """Device bytes to build gold from ``silver_bytes`` of silver Parquet (the size in the
    silver fingerprint gold takes anyway, so the estimate costs no extra I/O)."""
    return silver_bytes * policy.bytes_per_silver_parquet_byte


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def plan_step(
    step: str,
    estimated_bytes: float,
    *,
    probe: MemoryProbe = device_memory,
    policy: MemoryPolicy = DEFAULT_POLICY,
) -> Plan:
    """GPU when ``estimated_bytes`` fits in the usable share of free device memory.

    An unknown free size (no probe available) is not a reason to leave the GPU: the step runs
    there and :func:`run_with_fallback` still catches an out-of-memory error.
    """
    estimated = int(estimated_bytes)
    memory = probe()
    if memory is None:
        return Plan(True, f"{step}: free GPU memory unknown; trying the GPU", estimated)
    free, total = memory
    budget = policy.budget(free)
    if estimated <= budget:
        return Plan(
            True,
            f"{step}: needs ~{_mib(estimated)} of {_mib(budget)} usable "
            f"({_mib(free)} free of {_mib(total)})",
            estimated,
            budget,
        )
    return Plan(
        False,
        f"{step}: needs ~{_mib(estimated)} but only {_mib(budget)} of GPU memory is usable "
        f"({_mib(free)} free of {_mib(total)}); using pandas",
        estimated,
        budget,
    )


def split_to_fit(sizes: Sequence[float], budget: float) -> list[tuple[list[int], bool]]:
    """Cut items (by their estimated device bytes) into consecutive chunks within ``budget``.

    Returns ``[(indices, fits)]`` in input order: each chunk's items sum to at most ``budget``
    (``fits=True``), except single items larger than ``budget`` alone, returned as their own
    chunk with ``fits=False`` (run those on pandas). Order is kept because silver applies
    batches in landing order.
    """
    chunks: list[tuple[list[int], bool]] = []
    current: list[int] = []
    used = 0.0
    for i, size in enumerate(sizes):
        if size > budget:
            if current:
                chunks.append((current, True))
                current, used = [], 0.0
            chunks.append(([i], False))
            continue
        if current and used + size > budget:
            chunks.append((current, True))
            current, used = [], 0.0
        current.append(i)
        used += size
    if current:
        chunks.append((current, True))
    return chunks


_OOM_MARKERS = (
    "out of memory",
    "out_of_memory",
    "cudaerrormemoryallocation",
    "std::bad_alloc",
    "failed to allocate",
)


def is_gpu_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is a device out-of-memory error.

    RMM raises ``MemoryError`` (its ``rmm::out_of_memory`` is translated to it); older stacks
    surface ``RuntimeError``/``cudf`` errors whose message names the allocation failure.
    """
    if isinstance(exc, MemoryError):
        return True
    text = f"{type(exc).__name__}: {exc}".lower()
    return isinstance(exc, RuntimeError | OSError) and any(m in text for m in _OOM_MARKERS)


def run_with_fallback(
    step: str, run: Callable[[Any], T], backend: Any, fallback: Callable[[], Any]
) -> tuple[T, Any]:
    """``run(backend)``; on a GPU out-of-memory error, warn and return ``run(fallback())``.

    Returns ``(result, backend actually used)``. Non-GPU backends and other errors pass
    straight through. ``fallback`` builds the pandas backend lazily.
    """
    if not getattr(backend, "is_gpu", False):
        return run(backend), backend
    try:
        return run(backend), backend
    except Exception as exc:
        if not is_gpu_oom(exc):
            raise
        log.warning("%s ran out of GPU memory (%s); rerunning it on pandas", step, exc)
    _release_device_memory()
    cpu = fallback()
    return run(cpu), cpu


def _release_device_memory() -> None:
    """Give cached device blocks back after an OOM (best effort; frames are already freed)."""
    import gc  # noqa: PLC0415

    gc.collect()
