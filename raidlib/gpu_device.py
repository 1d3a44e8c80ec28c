"""What this process's GPU says and allows, asked of RMM: free memory, a cap, the peak.

* :func:`device_memory` asks the driver for ``(free, total)`` bytes (RMM, else CuPy; ``None``
  without a GPU): the probe :mod:`raidlib.gpu_memory`'s policy plans with.
* :func:`limit_device_memory` caps what the process allocates through RMM (the
  ``gpu_memory_limit_mib`` setting); :func:`device_memory` then reports the room left under
  the cap, so the policy plans against it, and an allocation past it is an out-of-memory error.
* :class:`PeakDeviceMemory` reports peak RMM allocation for benchmarks.

RMM and CuPy are imported only when asked, so this imports on any machine.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


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
    past the cap raises ``MemoryError``, which :func:`raidlib.gpu_memory.run_with_fallback` treats as running out
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
    log.info("GPU memory capped at %s MiB for this process", f"{limit / 2**20:,.0f}")


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
