"""GPU memory policy: decide, before moving data to the GPU, whether a step fits, and recover
when it does not (the user's laptop GPU has 4 GB).

One small module holds the whole policy so it can be tested on a CPU with a fake probe:

* :func:`device_memory` asks the driver for ``(free, total)`` bytes (RMM, else CuPy; ``None``
  without a GPU). Only free memory counts: a desktop session or another process may hold part
  of the card.
* :func:`plan_step` compares the step's estimated device bytes with ``free × usable_fraction``
  and says "GPU" or "pandas, because …".
* :func:`split_to_fit` cuts an ordered list of work items (bronze batches) into consecutive
  chunks that each fit, so a big backlog runs on the GPU in several passes instead of falling
  back; an item that alone does not fit is marked for pandas.
* :func:`run_with_fallback` runs a step on the GPU and, if it still runs out of device memory
  (:func:`is_gpu_oom`: RMM raises ``MemoryError``), logs a warning and reruns it on pandas.
  Every raidlib step is idempotent, so a rerun is safe.
* :func:`limit_device_memory` caps what the process allocates through RMM (the
  ``gpu_memory_limit_mib`` setting); :func:`device_memory` then reports the room left under
  the cap, so the policy plans against it, and an allocation past it is an out-of-memory error.
* :class:`PeakDeviceMemory` reports peak RMM allocation for benchmarks.

Estimates are deliberately rough: ``rows × bytes per row × working-copy factor``. The factors
below were chosen from the Arrow sizes of silver rows (≈ 0.6 KB each with strings) and the
number of full-width copies silver and gold make (cast, rule masks, dedup sort, concat).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

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


def device_memory() -> tuple[int, int] | None:
    """``(free, total)`` bytes of the current CUDA device, or ``None`` without RMM/CuPy/GPU.

    Under a cap (:func:`limit_device_memory`) both are bounded by it: free is what the cap
    still allows, total is the cap.
    """
    try:
        import rmm  # noqa: PLC0415 — optional GPU dependency, imported only when asked

        free, total = rmm.mr.available_device_memory()
        limiter = _limiter(rmm.mr.get_current_device_resource(), rmm.mr)
        if limiter is not None:
            limit = int(limiter.get_allocation_limit())
            room = max(limit - int(limiter.get_allocated_bytes()), 0)
            free, total = min(free, room), min(total, limit)
        return int(free), int(total)
    except Exception:  # ImportError, or CUDA errors without a device
        pass
    try:
        import cupy  # noqa: PLC0415

        free, total = cupy.cuda.runtime.memGetInfo()
        return int(free), int(total)
    except Exception:
        return None


_MAX_ADAPTORS = 32
"""How deep :func:`_limiter` looks down a chain of RMM adaptors (they never nest deeper)."""


def _limiter(resource: Any, mr: Any) -> Any:
    """The first RMM limiting adaptor in ``resource``'s chain of adaptors, or None (a statistics
    adaptor, e.g. :class:`PeakDeviceMemory`'s, may sit above it)."""
    for _ in range(_MAX_ADAPTORS):
        if isinstance(resource, mr.LimitingResourceAdaptor):
            return resource
        upstream = getattr(resource, "get_upstream", None)
        if upstream is None:
            return None
        resource = upstream()
    return None


_cap_lock = threading.Lock()
_installed_cap: Any = None
"""The limiting adaptor :func:`limit_device_memory` set as the current resource, if any."""


def limit_device_memory(limit_mib: float | None) -> None:
    """Cap this process's RMM allocations (cuDF's) at ``limit_mib`` MiB; ``None`` takes away the
    cap this function set, while it is still RMM's current resource.

    Wraps RMM's current device resource in ``rmm.mr.LimitingResourceAdaptor``: an allocation
    past the cap raises ``MemoryError``, which :func:`run_with_fallback` treats as running out
    of GPU memory. Setting the same cap again does nothing, so every task may call it.
    """
    import rmm.mr  # noqa: PLC0415 — only called once cuDF (which needs RMM) is in use

    global _installed_cap
    limit = None if limit_mib is None else int(limit_mib * 2**20)
    with _cap_lock:
        current = rmm.mr.get_current_device_resource()
        ours = _installed_cap
        in_force = ours is not None and _limiter(current, rmm.mr) is ours
        if in_force and limit == int(ours.get_allocation_limit()):
            return
        if ours is not None and current is ours:
            current = ours.get_upstream()  # replace our cap rather than stack a second one
            rmm.mr.set_current_device_resource(current)
        _installed_cap = None
        if limit is None:
            return
        capped = rmm.mr.LimitingResourceAdaptor(current, limit)
        rmm.mr.set_current_device_resource(capped)
        _installed_cap = capped
    log.info("GPU memory capped at %s for this process", _mib(limit))


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


class PeakDeviceMemory:
    """Context manager: peak bytes allocated through RMM inside the block (``None`` if unknown).

    Uses ``rmm.statistics`` (a ``StatisticsResourceAdaptor`` pushed for the block, and taken
    away again afterwards if this block put it there). cuDF allocates through RMM, so this is
    the device memory the dataframe work needed.
    """

    def __init__(self) -> None:
        self.peak_bytes: int | None = None
        self._stats: Any = None
        self._prior_resource: Any = None

    def __enter__(self) -> PeakDeviceMemory:
        try:
            import rmm.statistics as stats  # noqa: PLC0415

            self._stats = stats
            if stats.push_statistics() is None:  # statistics were off: turn them on
                import rmm.mr  # noqa: PLC0415

                self._prior_resource = rmm.mr.get_current_device_resource()
                stats.enable_statistics()
                stats.push_statistics()
        except Exception:
            self._stats = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stats is None:
            return
        try:
            counters = self._stats.pop_statistics()
            self.peak_bytes = None if counters is None else int(counters.peak_bytes)
        except Exception:
            self.peak_bytes = None
        if self._prior_resource is not None:  # leave later allocations as they were
            import rmm.mr  # noqa: PLC0415

            rmm.mr.set_current_device_resource(self._prior_resource)
            self._prior_resource = None
