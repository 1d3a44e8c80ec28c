"""Choose the dataframe library once, at the edge: cuDF on a working NVIDIA GPU, else pandas.

This is the only module that imports ``cudf``. Transforms receive frames and ask
:func:`frame_library` for the module that made them, so one pandas-API code path runs on both.

In-memory convention shared by both backends: timestamps are tz-naive ``datetime64[us]`` holding
UTC (cuDF's time-zone support is partial); the lake I/O layer attaches UTC when writing Parquet.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import pyarrow as pa

from raidlib.gpu_device import limit_device_memory

if TYPE_CHECKING:
    from raidlib.settings import Settings

log = logging.getLogger(__name__)

BackendName = Literal["pandas", "cudf"]

PANDAS_ARROW_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
"""Arrow ``int64``/``bool`` in pandas memory: nullable, so a null never turns integers into floats."""


class BackendUnavailableError(RuntimeError):
    """``backend="cudf"`` was forced but cuDF or a usable GPU is missing."""


@dataclass(frozen=True)
class Backend:
    """The resolved backend: its name, the dataframe module, and why it was chosen."""

    name: BackendName
    xdf: ModuleType
    reason: str

    @property
    def is_gpu(self) -> bool:
        return self.name == "cudf"

    @property
    def has_libcudf(self) -> bool:
        """Whether ``xdf`` is cuDF itself, whose libcudf readers and writers can be called (in
        CPU tests pandas poses as cuDF under another module name)."""
        return self.is_gpu and getattr(self.xdf, "__name__", "") == "cudf"


@lru_cache(maxsize=1)
def _probe_cudf() -> tuple[ModuleType | None, str]:
    """Import cuDF and run one tiny GPU operation; ``(module, "")`` or ``(None, why not)``.

    Without a GPU ``import cudf`` may still succeed and only the first GPU call raises (a
    ``RuntimeError`` subclass from the CUDA runtime), hence the probe computation.
    """
    try:
        import cudf  # noqa: PLC0415 — the one place cuDF is imported
    except Exception as exc:  # ImportError, or CUDA errors raised at import on broken set-ups
        return None, f"cudf is not importable ({type(exc).__name__}: {exc})"
    try:
        total = int(cudf.Series([1, 2, 3]).sum())
    except Exception as exc:  # RuntimeError subclasses (cudaErrorNoDevice, driver too old, …)
        return None, f"cudf imports but no usable GPU ({type(exc).__name__}: {exc})"
    if total != 6:
        return None, "cudf returned a wrong result on its self-check"
    return cudf, ""


_logged: set[tuple[str, str]] = set()
_logged_lock = threading.Lock()


def _log_once(backend: Backend, requested: str) -> Backend:
    """Log each distinct (request, outcome) once per process, however many tasks resolve it."""
    key = (requested, backend.reason)
    with _logged_lock:
        first = key not in _logged
        _logged.add(key)
    if first:
        log.info("dataframe backend: %s (%s)", backend.name, backend.reason)
    return backend


def resolve_backend(
    requested: str = "auto", *, gpu_memory_limit_mib: float | None = None
) -> Backend:
    """Resolve ``auto | cudf | pandas`` to a working backend.

    * ``pandas``: always pandas.
    * ``auto``: cuDF when it imports *and* a tiny GPU computation succeeds, else pandas; the
      reason (e.g. "cudf is not importable (ModuleNotFoundError: …)") is kept on the result.
    * ``cudf``: cuDF or :class:`BackendUnavailableError` saying why and what to do.

    With ``gpu_memory_limit_mib``, a cuDF choice also caps the process's GPU memory there
    (:func:`raidlib.gpu_device.limit_device_memory`); pandas ignores it.

    The choice is logged once per process (``raidlib.backend`` logger, INFO).
    """
    requested = (requested or "auto").lower()
    if requested not in ("auto", "cudf", "pandas"):
        raise ValueError(f"backend must be one of auto, cudf, pandas (got {requested!r})")
    if requested == "pandas":
        return _log_once(Backend("pandas", pd, "requested pandas"), requested)
    module, why_not = _probe_cudf()
    if module is not None:
        version = getattr(module, "__version__", "?")
        reason = f"{requested}: cuDF {version} on a GPU"
        if gpu_memory_limit_mib is not None:
            limit_device_memory(gpu_memory_limit_mib)
            reason += f", capped at {gpu_memory_limit_mib:,.0f} MiB"
        return _log_once(Backend("cudf", module, reason), requested)
    if requested == "cudf":
        raise BackendUnavailableError(
            f"backend 'cudf' was requested but {why_not}. Install the 'gpu-cu12' extra "
            "(CUDA 12 drivers) or 'gpu-cu13' (CUDA 13) on a machine with an NVIDIA GPU, or "
            "choose pandas: --backend pandas / RAIDLIB_BACKEND=pandas."
        )
    return _log_once(Backend("pandas", pd, f"auto: {why_not}; using pandas"), requested)


def backend_for(settings: Settings) -> Backend:
    """:func:`resolve_backend` as the settings ask: their backend and GPU memory cap."""
    return resolve_backend(settings.backend, gpu_memory_limit_mib=settings.gpu_memory_limit_mib)


def pandas_backend(reason: str) -> Backend:
    """The pandas backend with a given reason (memory-policy fallbacks; not logged here)."""
    return Backend("pandas", pd, reason)


def null_safe_flag(mask: Any) -> Any:
    """A boolean column with nulls read as false, the same on both backends (cuDF comparisons
    and ``|`` propagate nulls, rapidsai/cudf#19171, which ``where`` and masks would otherwise
    treat differently)."""
    return mask.fillna(False).astype(bool)


def date_text(timestamps: Any) -> Any:
    """``YYYY-MM-DD`` of each timestamp, the same on both backends: libcudf's ``%Y`` always
    writes four digits, while pandas (libc) writes year 999 as ``999`` (pandas-dev/pandas#58179),
    so pandas' few years below 1000 are padded (checked first: padding costs a regex pass)."""
    text = timestamps.dt.strftime("%Y-%m-%d")
    if is_cudf(timestamps) or not (timestamps.dt.year < 1000).any():
        return text
    return text.str.replace(r"^\d{1,3}(?=-)", lambda m: m.group(0).zfill(4), regex=True)


def is_cudf(frame: Any) -> bool:
    """Whether ``frame`` (a frame, series or index) is cuDF's: the one test of a frame's backend."""
    return type(frame).__module__.split(".", 1)[0] == "cudf"


def frame_library(frame: Any) -> ModuleType:
    """The dataframe module (pandas or cudf) that produced ``frame``."""
    if is_cudf(frame):
        return _probe_cudf()[0] or pd
    return pd


def backend_of(frame: Any) -> Backend:
    """The backend of the module that produced ``frame`` (see :func:`frame_library`)."""
    xdf = frame_library(frame)
    return Backend("pandas" if xdf is pd else "cudf", xdf, "the frame's own")


def to_pandas(frame: Any) -> pd.DataFrame:
    """Host copy as pandas (tests, printing, small artifacts) — never in a hot path.

    A cuDF frame comes back with the pandas path's dtypes (through Arrow, index kept), not
    through cuDF's own ``to_pandas()``: by default that turns an int64 column holding nulls into
    float64, which silently rounds integers past 2**53 (``nullable=False``; rapidsai/cudf#6536).
    The pandas metadata cuDF attaches is dropped: it labels float columns with nulls
    ``Float64``, not ``float64``.
    """
    if is_cudf(frame):
        table = frame.to_arrow(preserve_index=False).replace_schema_metadata(None)
        host = table.to_pandas(types_mapper=PANDAS_ARROW_TYPES.get)
        host.index = frame.index.to_pandas()
        return host
    return frame


def from_pandas(frame: pd.DataFrame, backend: Backend) -> Any:
    """Move a pandas frame onto ``backend`` (no-op for pandas)."""
    if backend.is_gpu:
        return backend.xdf.from_pandas(frame)
    return frame
