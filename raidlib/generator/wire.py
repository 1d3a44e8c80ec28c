"""Event frame → JSON-ready wire dicts (CONTRACT §1): ISO-8601 timestamps with offset, nulls left out."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from raidlib.schemas.events import EVENT_FIELDS

_TIME_FIELDS = ("timestamp", "ingestion_timestamp")


def frame_to_wire_events(df: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per row, keys in :data:`EVENT_FIELDS` order, for every wire column of ``df``.

    Null cells are left out (the models' defaults apply); timestamps become ISO-8601 strings in
    UTC with an explicit ``+00:00`` offset; numpy scalars become plain ``int``/``float``/``bool``.
    Rows are converted in groups that share the same set of non-null fields, so each group is a
    handful of ``tolist()`` calls and one ``zip`` rather than a per-cell loop.
    """
    fields = [f for f in EVENT_FIELDS if f in df.columns]
    n = len(df)
    values: list[np.ndarray] = []
    present = np.empty((n, len(fields)), dtype=np.bool_)
    for j, field in enumerate(fields):
        vals, nulls = _column(df[field], field)
        values.append(vals)
        present[:, j] = ~nulls
    weights = np.left_shift(np.uint64(1), np.arange(len(fields), dtype=np.uint64))
    pattern = (present.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    out = np.empty(n, dtype=object)
    for key in np.unique(pattern):
        rows = np.flatnonzero(pattern == key)
        cols = [j for j in range(len(fields)) if present[rows[0], j]]
        keys = [fields[j] for j in cols]
        group = [
            dict(zip(keys, row, strict=True))
            for row in zip(*(values[j][rows].tolist() for j in cols), strict=True)
        ]
        out[rows] = group
    return out.tolist()


def _column(series: pd.Series, field: str) -> tuple[np.ndarray, np.ndarray]:
    """(values whose ``tolist()`` gives JSON-ready Python objects, null mask) of one column."""
    nulls = series.isna().to_numpy(dtype=np.bool_, na_value=True)
    if field in _TIME_FIELDS or isinstance(series.dtype, pd.DatetimeTZDtype):
        return _iso_utc(series), nulls
    dtype = series.dtype
    if isinstance(dtype, pd.BooleanDtype):
        return series.to_numpy(dtype=np.bool_, na_value=False), nulls
    if pd.api.types.is_integer_dtype(dtype):
        return series.to_numpy(dtype=np.int64, na_value=0), nulls
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(), nulls
    if field == "data_quality_flags":
        raw = series.to_numpy(dtype=object)
        nulls = np.array([v is None or (isinstance(v, float) and v != v) for v in raw], dtype=bool)
        return raw, nulls
    return series.to_numpy(dtype=object, na_value=None), nulls


def _iso_utc(series: pd.Series) -> np.ndarray:
    """ISO-8601 UTC strings with ``+00:00``; milliseconds unless a value needs microseconds."""
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        series = pd.to_datetime(series, utc=True)
    naive = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    as_int = naive[~np.isnat(naive)].astype(np.int64)
    unit: Literal["ms", "us"] = "ms" if np.all(as_int % 1000 == 0) else "us"
    text = np.datetime_as_string(naive, unit=unit)
    return np.char.add(text, "+00:00").astype(object)
