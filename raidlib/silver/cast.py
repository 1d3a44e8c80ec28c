"""Bronze rows → the declared silver columns and in-memory dtypes (no rows dropped or added).

Runs unchanged on pandas and cuDF: only column-wise operations, dtypes chosen by
:func:`raidlib.lake.frames.memory_dtype` from the declared Arrow schema.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from raidlib.backend import Backend, backend_of, frame_library, is_cudf
from raidlib.lake.frames import memory_dtype
from raidlib.schemas.events import SpellCastEvent
from raidlib.schemas.whitespace import WHITESPACE
from raidlib.silver.schema import SILVER_SCHEMA

_DEFAULTED = (
    "is_critical_hit",
    "critical_multiplier",
    "is_resisted",
    "is_blocked",
    "is_absorbed",
    "source_system",
)
DEFAULTS: dict[str, Any] = {name: SpellCastEvent.model_fields[name].default for name in _DEFAULTED}
"""Contract defaults (the event models' own) for bronze written without them (not by the receiver)."""


def to_utc_naive(column: Any) -> Any:
    """Datetimes (aware or naive UTC) or ISO-8601 strings → tz-naive UTC ``datetime64[us]``.

    Strings that are not timestamps become NaT, which the silver rules then quarantine.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    elif getattr(dtype, "kind", "") != "M":
        if is_cudf(column):
            # cuDF's to_datetime has no ``format="ISO8601"`` nor offset handling
            # (rapidsai/cudf#10047). Only frames built by hand carry string timestamps (the
            # readers parse them), so parse those on the host and move the result back (cuDF
            # 26 has only the module-level ``from_pandas``, no ``Series.from_pandas``).
            lib = frame_library(column)
            parsed = lib.from_pandas(to_utc_naive(column.to_pandas()))
            parsed.index = column.index  # set, not passed: ``index=`` would reindex (a join)
            return parsed
        column = pd.to_datetime(column, utc=True, errors="coerce", format="ISO8601")
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return column.astype("datetime64[us]")


def conform(frame: Any, schema: pa.Schema = SILVER_SCHEMA) -> Any:
    """Exactly ``schema``'s columns, in order, with their in-memory dtypes (missing → null)."""
    backend = backend_of(frame)
    columns = {}
    for field in schema:
        dtype = memory_dtype(field.type, backend)
        if field.name in frame.columns:
            column = frame[field.name]
            if pa.types.is_timestamp(field.type):
                column = to_utc_naive(column)
            elif dtype is not None and column.dtype != dtype:
                column = column.astype(dtype)
        else:
            column = _null_column(field.type, dtype, frame.index, backend)
        columns[field.name] = column
    # Every column already carries ``frame.index``; passing ``index=`` would make cuDF align
    # (reindex) each one to it (rapidsai/cudf#3741), a join per column. pandas would otherwise
    # copy same-typed columns into 2-D blocks (0.8 s per million rows); cuDF's constructor has
    # no ``copy`` and copies nothing.
    if backend.is_gpu:
        return backend.xdf.DataFrame(columns)
    return backend.xdf.DataFrame(columns, copy=False)


def _null_column(arrow_type: pa.DataType, dtype: Any, index: Any, backend: Backend) -> Any:
    """An all-null column of ``arrow_type``.

    On cuDF it is built from Arrow nulls: ``Series(None, index=…, dtype="int64")`` reindexes an
    empty column and so comes back float64, and a list column needs its Arrow type anyway.
    """
    if backend.is_gpu:
        if pa.types.is_timestamp(arrow_type):
            arrow_type = pa.timestamp(arrow_type.unit)  # the in-memory convention: naive UTC
        column = backend.xdf.Series.from_arrow(pa.nulls(len(index), arrow_type))
        column.index = index
        return column if dtype is None or column.dtype == dtype else column.astype(dtype)
    return backend.xdf.Series(None, index=index, dtype=dtype or "object")


_LINEAGE = ("batch_id", "batch_source", "event_date")  # written by raidlib, not by the producer
TRIMMED_COLUMNS = tuple(
    field.name
    for field in SILVER_SCHEMA
    if pa.types.is_string(field.type) and field.name not in _LINEAGE
)
"""The events' text fields. CONTRACT §1 trims strings: the receiver does, and bronze written by
another tool may not have (a padded player id would be a second player in gold). About 5 ms per
column per million rows."""


def cast_bronze(frame: Any) -> Any:
    """Bronze rows → exactly the silver columns (:data:`SILVER_SCHEMA`), typed, one row per row.

    Guarantees: timestamps are tz-naive UTC ``datetime64[us]`` (unparseable → NaT); ``event_id``
    is lower-cased (UUIDs compare case-insensitively); contract defaults fill missing flags;
    enrichment columns (``event_date``, ``ingest_latency_ms``, ``is_massive_hit``) are null
    (bronze has none) until :func:`raidlib.silver.enrich.enrich`.
    """
    out = conform(frame)
    for name in TRIMMED_COLUMNS:
        out[name] = out[name].str.strip(WHITESPACE)
    out["event_id"] = out["event_id"].str.lower()
    for name, value in DEFAULTS.items():
        out[name] = out[name].fillna(value)
    return out
