"""Backend-neutral frame comparison for tests: pandas vs pandas, cuDF vs pandas, …

:func:`assert_frames_equivalent` is the one helper the gold (and GPU differential) tests use:
it brings both frames to pandas, normalises dtypes (nullable/Arrow/object strings, widths of
ints and floats, nulls as ``None``) and row order (sorted by ``keys``), then compares values,
floats within ``rtol``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from raidlib.backend import to_pandas


def normalise_frame(frame: Any, keys: Sequence[str]) -> pd.DataFrame:
    """A pandas copy with canonical dtypes, sorted by ``keys``, index reset.

    Integers (any width, nullable or not, without nulls) → ``int64``; floats → ``float64``;
    booleans → ``bool`` (``object`` when nulls are present); strings and other objects →
    ``object`` holding ``None`` for nulls; datetimes → ``datetime64[us]`` without time zone.
    """
    df = to_pandas(frame).copy()
    out = {}
    for name in df.columns:
        col = df[name]
        dtype = col.dtype
        if pd.api.types.is_bool_dtype(dtype):
            out[name] = (
                col.astype(object).where(col.notna(), None)
                if col.isna().any()
                else col.astype(bool)
            )
        elif pd.api.types.is_integer_dtype(dtype):
            out[name] = col.astype("float64") if col.isna().any() else col.astype("int64")
        elif pd.api.types.is_float_dtype(dtype):
            out[name] = col.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            if getattr(dtype, "tz", None) is not None:
                col = col.dt.tz_convert("UTC").dt.tz_localize(None)
            out[name] = col.astype("datetime64[us]")
        else:
            values = col.astype(object)
            out[name] = values.where(col.notna(), None)
    df = pd.DataFrame(out, index=df.index)
    if keys:
        df = df.sort_values(list(keys), kind="stable")
    return df.reset_index(drop=True)


def assert_frames_equivalent(
    a: Any,
    b: Any,
    keys: Sequence[str],
    rtol: float = 1e-9,
    *,
    check_column_order: bool = True,
) -> None:
    """Assert ``a`` and ``b`` hold the same rows, whatever their backend, dtypes or row order.

    Raises ``AssertionError`` naming the first differing column. ``keys`` must identify rows;
    duplicate keys are allowed but then the remaining columns decide the order of ties.
    """
    left, right = normalise_frame(a, keys), normalise_frame(b, keys)
    if check_column_order:
        assert list(left.columns) == list(right.columns), (
            f"columns differ: {list(left.columns)} != {list(right.columns)}"
        )
    else:
        assert set(left.columns) == set(right.columns), (
            f"columns differ: {sorted(left.columns)} != {sorted(right.columns)}"
        )
        right = right[list(left.columns)]
    assert len(left) == len(right), f"row counts differ: {len(left)} != {len(right)}"
    if keys and len(left):
        # Ties on the keys: sort by every column so equal frames line up.
        all_cols = list(keys) + [c for c in left.columns if c not in keys]
        left = left.sort_values(all_cols, kind="stable", na_position="last").reset_index(drop=True)
        right = right.sort_values(all_cols, kind="stable", na_position="last").reset_index(
            drop=True
        )
    for name in left.columns:
        x, y = left[name], right[name]
        if pd.api.types.is_float_dtype(x.dtype) and pd.api.types.is_float_dtype(y.dtype):
            ok = np.isclose(x.to_numpy(), y.to_numpy(), rtol=rtol, atol=0.0, equal_nan=True)
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                raise AssertionError(
                    f"column {name!r} differs at row {i} ({_row_keys(left, keys, i)}): "
                    f"{x.iloc[i]!r} != {y.iloc[i]!r} (rtol={rtol})"
                )
            continue
        xs, ys = x.tolist(), y.tolist()
        if xs != ys:
            i = next(k for k, (p, q) in enumerate(zip(xs, ys, strict=True)) if p != q)
            raise AssertionError(
                f"column {name!r} differs at row {i} ({_row_keys(left, keys, i)}): "
                f"{xs[i]!r} != {ys[i]!r}"
            )


def _row_keys(frame: pd.DataFrame, keys: Sequence[str], i: int) -> str:
    return ", ".join(f"{k}={frame[k].iloc[i]!r}" for k in keys) or f"row {i}"
