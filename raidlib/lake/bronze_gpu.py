"""Bronze JSON Lines parsed on the GPU with ``cudf.read_json``, exactly as pyarrow would, or not at all.

:func:`read_bronze_gpu` is the cuDF branch of :func:`raidlib.lake.bronze_reader.read_bronze`.
Each landed batch (all its objects, joined) is one ``cudf.read_json(lines=True)`` call. The GPU
result is accepted only when it provably equals what the pyarrow reader would give; otherwise
that batch alone goes through the pyarrow path (bad lines quarantined with their raw text):

* every scalar field is read as a *string* and converted on the GPU after checking its text:
  JSON numbers (``^-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?$``), integers, ``true``/``false``.
  libcudf's JSON reader turns a value it cannot convert into a silent null; pyarrow rejects
  the line, so any value that fails the check sends the batch to pyarrow.
* timestamps are never parsed by the JSON reader: libcudf's reader keeps milliseconds only
  and ignores zones (``cpp/src/io/csv/datetime.cuh``). They are read as strings and accepted
  only in plain UTC form (``YYYY-MM-DDTHH:MM:SS[.ffffff]`` then ``Z`` or ``+00:00``, which is
  what the receiver writes); the fraction is padded to 6 digits and parsed with
  ``%Y-%m-%dT%H:%M:%S.%f``. Any other offset or shape → pyarrow (which converts to UTC).
* a key outside the bronze schema → pyarrow (it rejects unknown keys);
* a text field whose value starts with ``{`` or ``[`` → pyarrow (a nested object or array
  there is an error for pyarrow; the GPU reader may return its raw text);
* the row count must equal the line count (blank or broken lines → pyarrow).

* raw control characters (bytes below 0x20 other than the line feed) → pyarrow: cuDF's reader
  does not validate them (rapidsai/cudf#15222), pyarrow rejects them inside strings.

Known residual differences. (1) Cannot be seen once values are read as strings: a *quoted*
number or boolean where a number/boolean is declared, or a bare token where a string is
declared, is accepted on the GPU while pyarrow quarantines the line. Bronze written by the
receiver or the combat-log importer is validated by the event model first, so it never holds
such values. (2) libcudf's string → float64 conversion is not always correctly rounded
(rapidsai/cudf#10599, #12333): a float can differ from pyarrow's in its last bit.

:func:`finish_raw_frame` is written against the pandas API so its checks run in CPU tests too.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import pandas as pd
import pyarrow as pa

from raidlib.backend import Backend
from raidlib.backend import null_safe_flag as _flag
from raidlib.gpu_memory import is_gpu_oom
from raidlib.lake.bronze_reader import (
    _NO_REJECTED,
    BRONZE_LINE_SCHEMA,
    BronzeBatch,
    BronzeRead,
    _read_object,
    _utc,
    concat_parsed,
)
from raidlib.lake.frames import null_frame, table_to_frame
from raidlib.threads import map_in_threads

log = logging.getLogger(__name__)

JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
JSON_INT64 = r"^-?(0|[1-9][0-9]{0,17})$"
"""Integers up to 18 digits (always inside int64); longer ones go to pyarrow to decide."""
UTC_ISO = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|\+00:00)$"
)
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


class NotExact(ValueError):
    """The GPU read would differ from the pyarrow read; the batch must use the pyarrow path."""


def gpu_read_dtypes(xdf: Any) -> dict[str, Any]:
    """``dtype=`` for ``cudf.read_json``: strings for scalars, list-of-string for lists."""
    return {
        f.name: xdf.ListDtype("str") if pa.types.is_list(f.type) else "str"
        for f in BRONZE_LINE_SCHEMA
    }


def join_objects(objects: Sequence[bytes]) -> bytes:
    """One JSON Lines buffer from several objects (each newline-terminated, empty ones skipped)."""
    parts = []
    for data in objects:
        if not data.strip():
            continue
        parts.append(data if data.endswith(b"\n") else data + b"\n")
    return b"".join(parts)


_RAW_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f]")


def has_raw_control_bytes(data: bytes) -> bool:
    """Whether ``data`` holds a control byte other than the line feed.

    JSON allows them only escaped inside strings (and tab/CR between tokens); pyarrow rejects a
    raw one in a string, cuDF's reader does not validate (rapidsai/cudf#15222), so such a batch
    is left to pyarrow. The receiver never writes one.
    """
    return _RAW_CONTROL.search(data) is not None


def line_count(data: bytes) -> int:
    """Lines in a newline-terminated buffer (blank lines included, so they force pyarrow)."""
    return data.count(b"\n")


def _check(column: Any, pattern: str, name: str) -> None:
    bad = column.notna() & ~_flag(column.str.match(pattern))
    if bool(bad.any()):
        raise NotExact(f"{name}: {int(bad.sum())} value(s) not in the form pyarrow accepts")


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


def finish_raw_frame(raw: Any, expected_rows: int, batch: BronzeBatch, backend: Backend) -> Any:
    """``read_json``'s all-string frame → the typed bronze frame of the pyarrow path.

    Output: :data:`BRONZE_LINE_SCHEMA` columns in order with their in-memory dtypes, lineage
    filled from the manifest. Raises :class:`NotExact` when the result could differ.
    """
    from raidlib.silver.cast import memory_dtype  # noqa: PLC0415 — avoids an import cycle

    lib = backend.xdf
    if len(raw) != expected_rows:
        raise NotExact(f"{len(raw)} rows parsed from {expected_rows} lines")
    unknown = sorted(set(raw.columns) - set(BRONZE_LINE_SCHEMA.names))
    if unknown:
        raise NotExact(f"unknown keys {unknown}")
    raw = raw.reset_index(drop=True)
    absent = [f for f in BRONZE_LINE_SCHEMA if f.name not in raw.columns]
    nulls = null_frame(absent, len(raw), backend) if absent else None
    columns: dict[str, Any] = {}
    for field in BRONZE_LINE_SCHEMA:
        name, arrow_type = field.name, field.type
        if nulls is not None and name in nulls.columns:
            columns[name] = nulls[name]
            continue
        column = raw[name]
        if pa.types.is_list(arrow_type):
            if not _is_list(column, backend):
                if bool(column.notna().any()):
                    raise NotExact(f"{name}: not a list in every line")
                column = null_frame([field], len(raw), backend)[name]
        elif pa.types.is_timestamp(arrow_type):
            column = _timestamps(column, name, lib)
        elif pa.types.is_floating(arrow_type):
            _check(column, JSON_NUMBER, name)
            column = column.astype("float64")
        elif pa.types.is_integer(arrow_type):
            _check(column, JSON_INT64, name)
            column = column.astype(memory_dtype(arrow_type, lib))
        elif pa.types.is_boolean(arrow_type):
            bad = column.notna() & ~_flag(column.isin(["true", "false"]))
            if bool(bad.any()):
                raise NotExact(f"{name}: values other than true/false")
            column = (column == "true").astype(memory_dtype(arrow_type, lib)).mask(column.isna())
        else:
            # A JSON object or array where text is declared: pyarrow rejects the line, while
            # the GPU reader may hand back its raw text. (A real string starting with { or [
            # only costs this batch the pyarrow path.)
            if bool(_flag(column.str.startswith(("{", "["))).any()):
                raise NotExact(f"{name}: a value that may be a JSON object or array")
            column = column.astype(memory_dtype(arrow_type, lib))
        columns[name] = column
    frame = lib.DataFrame(columns)
    frame["batch_id"] = frame["batch_id"].fillna(batch.batch_id)
    if batch.ingest_timestamp and bool(frame["ingest_timestamp"].isna().any()):
        stamp = _utc(batch.ingest_timestamp).tz_localize(None).as_unit("us")
        frame["ingest_timestamp"] = frame["ingest_timestamp"].fillna(stamp)
    return frame


def _is_list(column: Any, backend: Backend) -> bool:
    """cuDF: a list dtype. pandas (the CPU tests of these checks): object holding lists."""
    dtype = column.dtype
    if type(dtype).__name__ == "ListDtype" or str(dtype).startswith("list"):
        return True
    return not backend.is_gpu and str(dtype) == "object"


class BatchRead(NamedTuple):
    """One batch read for the cuDF backend; ``via_pyarrow`` when the GPU reader handed it over."""

    frame: Any
    rejected: pd.DataFrame | None
    lines: int
    via_pyarrow: bool


def _read_batch_pyarrow(
    batch: BronzeBatch, objects: list[tuple[str, bytes]], backend: Backend
) -> BatchRead:
    results = [_read_object(data, batch, path) for path, data in objects]
    table = concat_parsed([t for t, _ in results])
    rejected = [r for _, r in results if len(r)]
    rejected_frame = pd.concat(rejected, ignore_index=True) if rejected else None
    n_rejected = 0 if rejected_frame is None else len(rejected_frame)
    return BatchRead(
        table_to_frame(table, backend), rejected_frame, table.num_rows + n_rejected, True
    )


def read_batch_gpu(
    batch: BronzeBatch, objects: list[tuple[str, bytes]], backend: Backend
) -> BatchRead:
    """One batch → frame on the GPU, rejected lines (or None), lines seen, and whether pyarrow
    read it instead."""
    data = join_objects([d for _, d in objects])
    if not data:
        return BatchRead(None, None, 0, False)
    expected = line_count(data)
    if has_raw_control_bytes(data):
        log.info("bronze batch %s: raw control characters; using pyarrow", batch.batch_id)
        return _read_batch_pyarrow(batch, objects, backend)
    try:
        raw = backend.xdf.read_json(
            io.BytesIO(data),
            engine="cudf",
            lines=True,
            dtype=gpu_read_dtypes(backend.xdf),
            on_bad_lines="error",
        )
    except Exception as exc:  # a malformed line: pyarrow finds and quarantines it
        if is_gpu_oom(exc):
            raise
        log.info(
            "bronze batch %s: GPU JSON reader refused it (%s); using pyarrow", batch.batch_id, exc
        )
        return _read_batch_pyarrow(batch, objects, backend)
    try:
        return BatchRead(finish_raw_frame(raw, expected, batch, backend), None, expected, False)
    except NotExact as exc:  # expected for unusual but valid shapes
        log.info(
            "bronze batch %s: GPU JSON reader not exact (%s); using pyarrow", batch.batch_id, exc
        )
    except Exception as exc:  # a cuDF behaviour this code does not expect: say so loudly
        if is_gpu_oom(exc):
            raise
        log.warning(
            "bronze batch %s: GPU post-processing failed unexpectedly (%s: %s); using pyarrow",
            batch.batch_id,
            type(exc).__name__,
            exc,
        )
    return _read_batch_pyarrow(batch, objects, backend)


def read_bronze_gpu(
    fs: Any, batches: Sequence[BronzeBatch], backend: Backend, *, max_workers: int = 8
) -> BronzeRead:
    """The cuDF branch of :func:`~raidlib.lake.bronze_reader.read_bronze` (same result)."""

    def load(batch: BronzeBatch) -> list[tuple[str, bytes]]:
        return [(path, fs.cat_file(path)) for path in batch.paths]

    contents = map_in_threads(load, batches, max_workers)
    frames, rejected_parts, lines, handed_over = [], [], 0, []
    for batch, objects in zip(batches, contents, strict=True):
        frame, rejected, n, via_pyarrow = read_batch_gpu(batch, objects, backend)
        lines += n
        if via_pyarrow:
            handed_over.append(batch.batch_id)
        if frame is not None and len(frame):
            frames.append(frame)
        if rejected is not None and len(rejected):
            rejected_parts.append(rejected)
    if frames:
        frame = backend.xdf.concat(frames, ignore_index=True)
    else:
        frame = table_to_frame(BRONZE_LINE_SCHEMA.empty_table(), backend)
    rejected_frame = (
        pd.concat(rejected_parts, ignore_index=True) if rejected_parts else _NO_REJECTED.copy()
    )
    files = [path for batch in batches for path in batch.paths]
    if handed_over:
        log.info(
            "bronze: %d of %d batches read by pyarrow instead of the GPU reader: %s%s",
            len(handed_over),
            len(batches),
            ", ".join(handed_over[:5]),
            " …" if len(handed_over) > 5 else "",
        )
    return BronzeRead(frame, rejected_frame, lines, files, read_by_pyarrow=handed_over)
