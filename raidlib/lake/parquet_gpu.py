"""Parquet decoded and encoded on the GPU by libcudf, for frames already in device memory.

Both directions exist for speed at scale, measured on an H200 at 10M events (stop 26):

* **Reading.** ``cudf.read_parquet`` costs ~20 ms a call before any data moves, and a read
  of silver called it once per file. :func:`decode_files` reads every file of a read in one
  call (one call per run of files with the same columns) and adds the Hive columns from the
  files' row counts, which the footers give without decoding anything.
* **Writing.** Handing a cuDF frame to pyarrow cost as much as reading bronze: 2.5 s copying it
  to host memory and casting its text columns, 2.4 s encoding. :func:`encode_files` encodes
  every partition in one libcudf call and copies back only the compressed files.

Readers must not tell a libcudf file from a pyarrow one, so the files carry what pyarrow's
carry: the declared schema under ``ARROW:schema`` (list item names, the UTC zone), timestamps
marked adjusted to UTC, and every column optional. :func:`gpu_encodes` writes a few rows of a
schema both ways, once per schema and process, and compares what pyarrow reads back; where they
differ, or this cuDF cannot write them, pyarrow encodes instead, after one warning.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from raidlib.backend import Backend
from raidlib.gpu_memory import is_gpu_oom
from raidlib.lake.frames import null_frame, strip_utc

log = logging.getLogger(__name__)

ARROW_SCHEMA_KEY = "ARROW:schema"

_LEAF_TYPES = {
    pa.string(): "STRING",
    pa.int64(): "INT64",
    pa.bool_(): "BOOL8",
    pa.float64(): "FLOAT64",
    pa.timestamp("us", tz="UTC"): "TIMESTAMP_MICROSECONDS",
}
"""The declared types libcudf encodes here, by the libcudf type its column holds in memory
(timestamps are tz-naive UTC in memory: :mod:`raidlib.lake.frames`)."""

_SAMPLES: dict[str, list[Any]] = {
    "STRING": ["Zoë 龍", None, ""],
    "INT64": [2**62, None, -1],
    "BOOL8": [True, None, False],
    "FLOAT64": [1.5, None, -0.0],
    "TIMESTAMP_MICROSECONDS": [
        datetime(2026, 3, 2, 0, 10, 0, 500, tzinfo=UTC),
        None,
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ],
}
"""Three values per leaf type for :func:`gpu_encodes`: one of them null, one an edge."""


def arrow_schema_metadata(schema: pa.Schema) -> dict[str, str]:
    """The footer entry pyarrow writes for ``schema``: its IPC serialisation in base64, from
    which Arrow readers take the declared types back."""
    encoded = base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")
    return {ARROW_SCHEMA_KEY: encoded}


def declared_layout(arrow_type: pa.DataType) -> tuple[Any, ...] | None:
    """The libcudf column (type name, then the element's layout for a list) that ``arrow_type``
    is encoded from here, or ``None`` for a type left to pyarrow."""
    if pa.types.is_list(arrow_type):
        element = declared_layout(arrow_type.value_type)
        return None if element is None else ("LIST", element)
    leaf = _LEAF_TYPES.get(arrow_type)
    return None if leaf is None else (leaf,)


def column_layout(column: Any) -> tuple[Any, ...]:
    """The layout (as :func:`declared_layout` gives it) of a ``pylibcudf.Column``."""
    name = column.type().id().name
    if name == "LIST":
        return (name, column_layout(column.list_view().child()))
    return (name,)


def sample_table(schema: pa.Schema) -> pa.Table:
    """Three rows of every column of ``schema`` (nulls and edges included), for the check."""

    def values(layout: tuple[Any, ...]) -> list[Any]:
        if layout[0] == "LIST":
            items = [v for v in values(layout[1]) if v is not None]
            return [items, None, []]
        return _SAMPLES[layout[0]]

    return pa.table(
        {f.name: pa.array(values(declared_layout(f.type) or ()), f.type) for f in schema},
        schema=schema,
    )


def encode_files(
    frame: Any, file_schema: pa.Schema, bounds: Sequence[tuple[int, int]]
) -> list[bytes] | None:
    """Rows ``[start, stop)`` of a cuDF ``frame`` for each of ``bounds``, as one Snappy Parquet
    file each, from one libcudf call (which stores a column chunk uncompressed where Snappy
    would not shrink it; pyarrow stores it Snappy-framed anyway).

    ``None`` when a column of ``file_schema`` is missing or held as another type (a cast is left
    to pyarrow, which refuses a value that does not fit rather than truncating it).
    """
    import pylibcudf as plc

    missing = [name for name in file_schema.names if name not in frame.columns]
    if missing:
        log.warning("Parquet: the frame lacks %s; encoding with pyarrow", ", ".join(missing))
        return None
    table, _ = frame[file_schema.names].to_pylibcudf()
    for field, column in zip(file_schema, table.columns(), strict=True):
        if declared_layout(field.type) != column_layout(column):
            log.warning(
                "Parquet: %s is held as %s, declared %s; encoding with pyarrow",
                field.name,
                column_layout(column),
                field.type,
            )
            return None
    described = plc.io.types.TableInputMetadata(table)
    for field, column_meta in zip(file_schema, described.column_metadata, strict=True):
        column_meta.set_name(field.name).set_nullability(True)
        if pa.types.is_list(field.type):
            column_meta.child(1).set_name("element").set_nullability(True)
    sinks = [io.BytesIO() for _ in bounds]
    options = (
        plc.io.parquet.ParquetWriterOptions.builder(plc.io.SinkInfo(sinks), table)
        .metadata(described)
        .key_value_metadata([arrow_schema_metadata(file_schema)] * len(sinks))
        .compression(plc.io.types.CompressionType.SNAPPY)
        .stats_level(plc.io.types.StatisticsFreq.STATISTICS_ROWGROUP)
        .dictionary_policy(plc.io.types.DictionaryPolicy.ADAPTIVE)
        .utc_timestamps(True)
        .write_arrow_schema(False)  # the schema pyarrow would store is in the metadata above
        .build()
    )
    options.set_partitions([plc.io.types.PartitionInfo(a, b - a) for a, b in bounds])
    plc.io.parquet.write_parquet(options)
    return [sink.getvalue() for sink in sinks]


_encodes: dict[bytes, bool] = {}
_encodes_lock = threading.Lock()


def gpu_encodes(backend: Backend, file_schema: pa.Schema) -> bool:
    """Whether :func:`encode_files` writes ``file_schema`` as pyarrow does on this cuDF.

    Checked once per schema and process on :func:`sample_table`, split into two files: pyarrow
    must read each back exactly as it reads back the file it writes itself of the same rows
    (field names, nullability and metadata included).
    """
    if not backend.has_libcudf:
        return False
    if any(declared_layout(f.type) is None for f in file_schema):
        return False
    key = file_schema.serialize().to_pybytes()
    with _encodes_lock:
        if key not in _encodes:
            _encodes[key] = _check_encoder(backend, file_schema)
        return _encodes[key]


def _check_encoder(backend: Backend, file_schema: pa.Schema) -> bool:
    sample = sample_table(file_schema)
    try:
        frame = backend.xdf.DataFrame.from_arrow(strip_utc(sample))
        files = encode_files(frame, file_schema, [(0, 2), (2, 3)])
        if files is None:
            raise ValueError("the sample's columns are not held as declared")
        for got, rows in zip(files, (sample.slice(0, 2), sample.slice(2, 1)), strict=True):
            read, want = pq.read_table(io.BytesIO(got)), _read_back_from_pyarrow(rows)
            if not read.schema.equals(want.schema, check_metadata=True):
                raise ValueError(f"pyarrow reads the schema back as {read.schema}")
            if not read.equals(want):
                raise ValueError("pyarrow reads other values back")
    except Exception as exc:  # any failure here only means: let pyarrow encode
        if is_gpu_oom(exc):
            raise
        log.warning(
            "Parquet encoded by this cuDF does not read back as pyarrow's (%s: %s); "
            "encoding with pyarrow instead",
            type(exc).__name__,
            exc,
        )
        return False
    return True


def _read_back_from_pyarrow(table: pa.Table) -> pa.Table:
    """``table`` as pyarrow reads back the file it writes of it (a list's item field comes
    back named ``element``, for one)."""
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return pq.read_table(io.BytesIO(sink.getvalue()))


def decode_files(
    backend: Backend,
    files: Sequence[tuple[Mapping[str, str], bytes]],
    file_schema: pa.Schema,
    target: pa.Schema,
) -> Any:
    """Parquet files (each with its partition's Hive values) as one cuDF frame of ``target``'s
    columns and in-memory types, rows in file order.

    Files with the same columns are read in one ``read_parquet`` call; a column no file holds
    (written before the schema grew) comes back null.
    """
    xdf = backend.xdf
    reference = xdf.DataFrame.from_arrow(strip_utc(target.empty_table()))
    wanted = set(file_schema.names)
    footers = []
    for hive, content in files:
        footer = pq.read_metadata(pa.BufferReader(content))
        if footer.num_rows:
            footers.append((footer.schema, footer.num_rows, hive, content))
    # One read_parquet takes files of one Parquet schema only ("All sources must have the same
    # schema", rapidsai/cudf#16269), so a run is files with equal schemas, not merely equal
    # wanted columns.
    frames = []
    for schema, run in groupby(footers, key=lambda footer: footer[0]):
        names = tuple(n for n in schema.to_arrow_schema().names if n in wanted)
        frames.append(_decode_run(xdf, names, list(run), target))
    if not frames:
        return reference
    frame = xdf.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    absent = [f for f in target if f.name not in frame.columns]
    nulls = null_frame(absent, len(frame), backend) if absent else None
    columns = {}
    for name in target.names:
        want = reference[name].dtype
        column = frame[name] if nulls is None or name not in nulls.columns else nulls[name]
        if getattr(column.dtype, "tz", None) is not None:  # timestamp[us, UTC] → naive UTC
            column = column.dt.tz_convert(None)
        if column.dtype != want:
            column = column.astype(want)
        columns[name] = column
    return xdf.DataFrame(columns)


def _decode_run(
    xdf: Any,
    names: tuple[str, ...],
    run: list[tuple[Any, int, Mapping[str, str], bytes]],
    target: pa.Schema,
) -> Any:
    """One ``read_parquet`` over files with the same ``names``; Hive columns from row counts."""
    # bytes, not BytesIO: pylibcudf reads bytes in place, a BytesIO through a copy (getbuffer).
    frame = xdf.read_parquet([content for *_, content in run], columns=list(names))
    frame = frame.reset_index(drop=True)
    rows = [n for _, n, _, _ in run]
    for key in run[0][2]:
        if key in target.names:
            values = xdf.Series([hive[key] for _, _, hive, _ in run])
            frame[key] = values.repeat(rows).reset_index(drop=True)
    return frame
