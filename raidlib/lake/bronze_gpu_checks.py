"""What the GPU bronze reader must check so that its frame is exactly the pyarrow reader's.

``cudf.read_json`` (see :mod:`raidlib.lake.bronze_gpu`) is asked for every scalar as a *string*;
the text is then checked and converted on the GPU, and anything the pyarrow reader would read
differently raises :class:`NotExact`, which sends the batch to pyarrow:

* JSON numbers (``^-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?$``), integers, ``true``/``false``:
  libcudf's JSON reader turns a value it cannot convert into a silent null
  (rapidsai/cudf#12272); pyarrow rejects the line, so any value that fails the check sends the
  batch to pyarrow.
* timestamps are never parsed by the JSON reader: libcudf's reader keeps milliseconds only
  and ignores zones (``cpp/src/io/csv/datetime.cuh``). They are read as strings and accepted
  only in plain UTC form (``YYYY-MM-DDTHH:MM:SS[.ffffff]`` then ``Z`` or ``+00:00``, which is
  what the receiver writes); the fraction is padded to 6 digits and parsed with
  ``%Y-%m-%dT%H:%M:%S.%f``. Any other offset or shape → pyarrow (which converts to UTC).
* a key outside the bronze schema → pyarrow (it rejects unknown keys);
* a text field whose value starts with ``{`` or ``[`` → pyarrow (a nested object or array
  there is an error for pyarrow; the GPU reader may return its raw text);
* the row count must equal the line count (blank or broken lines → pyarrow);
* raw control characters (bytes below 0x20 other than the line feed) → pyarrow: cuDF's reader
  does not validate them (rapidsai/cudf#15222), pyarrow rejects them inside strings.

The line feeds and control bytes are counted where the text is staged
(:func:`raidlib.lake.bronze_gpu_text.scan_bytes`); the checks on the parsed values are here.

Known residual differences. (1) Cannot be seen once values are read as strings: a *quoted*
number or boolean where a number/boolean is declared, or a bare token where a string is
declared (also inside ``data_quality_flags``, and a single string where that list is declared,
seen on an H200 on 2026-12-04), is accepted on the GPU while pyarrow quarantines the line.
Bronze written by the receiver or the combat-log importer is validated by the event model
first, so it never holds such values. (2) libcudf's string → float64 conversion is not always
correctly rounded (rapidsai/cudf#10599, #12333): a float can differ from pyarrow's in its last
bit.

Everything here is written against the pandas API, so the checks run in CPU tests too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from raidlib.backend import Backend
from raidlib.lake.bronze_batches import BronzeBatch
from raidlib.lake.bronze_gpu_text import line_count
from raidlib.lake.bronze_reader import BRONZE_LINE_SCHEMA, _utc
from raidlib.lake.frames import memory_dtype, null_frame

JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
JSON_INT64 = r"^-?(0|[1-9][0-9]{0,17})$"
"""Integers up to 18 digits (always inside int64); longer ones go to pyarrow to decide."""
UTC_ISO = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|\+00:00)$"
)
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"

R = TypeVar("R")


class NotExact(ValueError):
    """The GPU read would differ from the pyarrow read; the batch must use the pyarrow path."""


def gpu_read_dtypes(xdf: Any) -> dict[str, Any]:
    """``dtype=`` for ``cudf.read_json``: strings for scalars, list-of-string for lists."""
    return {
        f.name: xdf.ListDtype("str") if pa.types.is_list(f.type) else "str"
        for f in BRONZE_LINE_SCHEMA
    }


_BLANK_LINE = re.compile(rb"(?:^|\n)[ \t\r]*\n")


def _check(column: Any, pattern: str, name: str) -> None:
    # Counts rather than a mask of bad values: three cuDF calls instead of seven, each ~1 ms of
    # Python per read whatever its size. A null matches nothing on either backend (cuDF: null,
    # which sum() skips; pandas' str dtype: False), and count() counts the non-null values.
    _require_all(
        column.str.match(pattern), column, f"{name}: {{}} value(s) not in the form pyarrow accepts"
    )


def _require_all(matched: Any, column: Any, message: str) -> None:
    """Raise :class:`NotExact` (``message`` formatted with how many) unless every non-null
    value of ``column`` is true in ``matched``."""
    missing = int(column.count()) - int(matched.sum())
    if missing:
        raise NotExact(message.format(missing))


def _timestamps(column: Any, name: str, lib: Any) -> Any:
    """Plain-UTC ISO strings → tz-naive ``datetime64[us]`` (raises :class:`NotExact` otherwise)."""
    _check(column, UTC_ISO, name)
    text = column.str.replace(r"(Z|\+00:00)$", "", regex=True)
    fraction = text.str.slice(20).str.ljust(6, "0")
    fixed = text.str.slice(0, 19) + "." + fraction
    try:
        parsed = lib.to_datetime(fixed, format=TIMESTAMP_FORMAT)
    except ValueError as exc:  # a date the pattern admits but the calendar has not (02-30)
        raise NotExact(f"{name}: {exc}") from exc
    return parsed.astype("datetime64[us]")


def _kind(arrow_type: pa.DataType) -> str:
    """Which check a declared type's text gets in :func:`finish_raw_frame`."""
    if pa.types.is_list(arrow_type):
        return "list"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_floating(arrow_type):
        return "float"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    return "text"


_FIELD_KINDS = {field.name: _kind(field.type) for field in BRONZE_LINE_SCHEMA}
"""Each bronze field's kind, worked out once."""


def _check_float(column: Any, name: str) -> None:
    _check(column, JSON_NUMBER, name)


def _check_int(column: Any, name: str) -> None:
    _check(column, JSON_INT64, name)


def _check_bool(column: Any, name: str) -> None:
    _require_all(
        column.isin(["true", "false"]), column, f"{name}: {{}} value(s) other than true/false"
    )


def _check_text(column: Any, name: str) -> None:
    # A JSON object or array where text is declared: pyarrow rejects the line, while the GPU
    # reader may hand back its raw text. (A real string starting with { or [ only costs this
    # batch the pyarrow path.) any() skips cuDF's nulls; pandas' str dtype gives False for a
    # missing value.
    if bool(column.str.startswith(("{", "[")).any()):
        raise NotExact(f"{name}: a value that may be a JSON object or array")


_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "float": _check_float,
    "int": _check_int,
    "bool": _check_bool,
    "text": _check_text,
}


def _stacked(raw: Any, names: Sequence[str], lib: Any) -> Any:
    """The columns one after another, as one column (no copy for a single one)."""
    if len(names) == 1:
        return raw[names[0]]
    return lib.concat([raw[name] for name in names], ignore_index=True)


def _check_together(raw: Any, names: Sequence[str], check: Callable[[Any, str], R], lib: Any) -> R:
    """``check`` over all ``names`` at once, as one stacked column: each check is a few cuDF
    calls of ~1 ms of Python whatever the rows, and a read has some forty columns. Only when
    the stack fails is each column checked alone, so that the error names the one at fault."""
    try:
        return check(_stacked(raw, names, lib), ", ".join(names))
    except NotExact:
        for name in names:
            check(raw[name], name)
        raise


def _timestamps_together(raw: Any, names: Sequence[str], lib: Any) -> dict[str, Any]:
    """:func:`_timestamps` of every column in ``names``, parsed as one stacked column."""
    if not names:
        return {}
    parsed = _check_together(raw, names, lambda column, name: _timestamps(column, name, lib), lib)
    if len(names) == 1:
        return {names[0]: parsed}
    n = len(raw)
    return {
        name: parsed.iloc[i * n : (i + 1) * n].reset_index(drop=True)
        for i, name in enumerate(names)
    }


def finish_raw_frame(raw: Any, expected_rows: int, backend: Backend) -> Any:
    """``read_json``'s all-string frame → the typed bronze frame of the pyarrow path.

    Output: :data:`BRONZE_LINE_SCHEMA` columns in order with their in-memory dtypes (lineage as
    the lines carry it: see :func:`fill_lineage`). Raises :class:`NotExact` when the result
    could differ. Columns of one kind are checked together (:func:`_check_together`).
    """
    lib = backend.xdf
    if len(raw) != expected_rows:
        raise NotExact(f"{len(raw)} rows parsed from {expected_rows} lines")
    unknown = sorted(set(raw.columns) - set(BRONZE_LINE_SCHEMA.names))
    if unknown:
        raise NotExact(f"unknown keys {unknown}")
    raw = raw.reset_index(drop=True)
    absent = [f for f in BRONZE_LINE_SCHEMA if f.name not in raw.columns]
    nulls = null_frame(absent, len(raw), backend) if absent else None
    present: dict[str, list[str]] = {}
    for field in BRONZE_LINE_SCHEMA:
        if field.name in raw.columns:
            present.setdefault(_FIELD_KINDS[field.name], []).append(field.name)
    for kind, check in _CHECKS.items():
        if present.get(kind):
            _check_together(raw, present[kind], check, lib)
    stamps = _timestamps_together(raw, present.get("timestamp", []), lib)
    columns: dict[str, Any] = {}
    for field in BRONZE_LINE_SCHEMA:
        name, arrow_type = field.name, field.type
        if nulls is not None and name in nulls.columns:
            columns[name] = nulls[name]
            continue
        column = raw[name]
        kind = _FIELD_KINDS[name]
        if kind == "list":
            if not _is_list(column, backend):
                if bool(column.notna().any()):
                    raise NotExact(f"{name}: not a list in every line")
                column = null_frame([field], len(raw), backend)[name]
        elif kind == "timestamp":
            column = stamps[name]
        elif kind == "bool":
            column = (
                (column == "true").astype(memory_dtype(arrow_type, backend)).mask(column.isna())
            )
        else:
            column = column.astype(memory_dtype(arrow_type, backend))
        columns[name] = column
    return lib.DataFrame(columns)


def fill_lineage(
    frame: Any,
    batches: Sequence[BronzeBatch],
    pieces: Sequence[Sequence[bytes]],
    backend: Backend,
) -> Any:
    """Lines written without lineage get their own batch's id and ingest time (its manifest's).

    ``frame`` holds the rows of ``pieces[i]`` (the :func:`line_pieces` of ``batches[i]``) in
    order.
    """
    lib = backend.xdf
    missing_id = bool(frame["batch_id"].isna().any())
    missing_time = any(b.ingest_timestamp for b in batches) and bool(
        frame["ingest_timestamp"].isna().any()
    )
    if not (missing_id or missing_time):  # bronze the receiver wrote: lineage on every line
        return frame
    if len(batches) > 1 and any(_BLANK_LINE.search(p) for ps in pieces for p in ps):
        # Rows are matched to batches by counting lines, which holds only when every line is a
        # row: the total row count alone cannot rule out a skipped line offset by another.
        raise NotExact("lines without lineage next to blank lines")
    rows = [sum(line_count(p) for p in ps) for ps in pieces]
    if missing_id:
        ids = np.repeat(np.array([b.batch_id for b in batches], dtype=object), rows)
        frame["batch_id"] = frame["batch_id"].fillna(lib.Series(ids, dtype="str"))
    if missing_time:
        stamps = [_utc(b.ingest_timestamp) if b.ingest_timestamp else pd.NaT for b in batches]
        naive = pd.DatetimeIndex(stamps).tz_localize(None).as_unit("us").to_numpy()
        frame["ingest_timestamp"] = frame["ingest_timestamp"].fillna(
            lib.Series(np.repeat(naive, rows))
        )
    return frame


def _is_list(column: Any, backend: Backend) -> bool:
    """cuDF: a list dtype. pandas (the CPU tests of these checks): object holding lists."""
    dtype = column.dtype
    if type(dtype).__name__ == "ListDtype" or str(dtype).startswith("list"):
        return True
    return not backend.is_gpu and str(dtype) == "object"
