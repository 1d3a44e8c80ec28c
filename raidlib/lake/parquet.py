"""Hive-partitioned Parquet in the lake: one file per partition, replaced atomically.

A partition folder (``.../raid_id=<r>/event_date=<d>/``) holds exactly one data file,
:data:`PART_FILE`. Replacing a partition is therefore one atomic step — a hidden temporary file
in the same folder then ``os.replace`` locally, one PUT on S3 — so readers see the old or the new
partition, never a mix, and a crash leaves at most a dot-file that readers ignore.

Partition columns live in the path, not in the file; :func:`read_partition` adds them back.
Files are written through pyarrow with the declared schema (Snappy); frames come back in the
in-memory convention of :mod:`raidlib.lake.frames`. On the cuDF backend files are decoded on the
GPU (``cudf.read_parquet``) and the Hive columns added there; if that fails for any reason other
than running out of device memory, the pyarrow read below is used instead (same frame).
"""

from __future__ import annotations

import io
import logging
import posixpath
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from raidlib.backend import Backend
from raidlib.gpu_memory import is_gpu_oom
from raidlib.lake.frames import (
    conform_table,
    frame_to_table,
    null_frame,
    strip_utc,
    table_to_frame,
)
from raidlib.lake.lake import Lake, Layer
from raidlib.lake.layout import parse_hive_parts
from raidlib.threads import map_in_threads

log = logging.getLogger(__name__)

PART_FILE = "part-0.parquet"
COMPRESSION = "snappy"
READ_WORKERS = 8
"""Partitions fetched at once: each is a listing plus a GET, which on S3 is mostly waiting."""


def table_to_parquet_bytes(table: pa.Table) -> bytes:
    """Serialise one table as a Snappy Parquet file in memory."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=COMPRESSION)
    return sink.getvalue()


def write_partition_table(lake: Lake, layer: Layer, partition: str, table: pa.Table) -> str:
    """Atomically replace ``partition`` (a folder relative to the layer root) with ``table``.

    ``table`` must already have the file schema (no partition columns). Returns the file path.
    """
    return lake.write_bytes_atomic(layer, f"{partition}/{PART_FILE}", table_to_parquet_bytes(table))


def write_partition(
    lake: Lake, layer: Layer, partition: str, frame: Any, file_schema: pa.Schema
) -> str:
    """Cast ``frame`` to ``file_schema`` (dropping partition columns) and replace the partition."""
    return write_partition_table(lake, layer, partition, frame_to_table(frame, file_schema))


def write_table_file(lake: Lake, layer: Layer, relative: str, table: pa.Table) -> str:
    """Write one named Parquet file atomically (e.g. a quarantine file per batch)."""
    return lake.write_bytes_atomic(layer, relative, table_to_parquet_bytes(table))


def partition_files(lake: Lake, layer: Layer, partition: str) -> list[str]:
    """Visible Parquet files of a partition folder (hidden ``.``/``_`` names are ignored)."""
    fs = lake.fs(layer)
    folder = lake.path(layer, partition)
    if not fs.isdir(folder):
        return []
    names = fs.ls(folder, detail=False)
    return sorted(
        n
        for n in names
        if n.endswith(".parquet") and not posixpath.basename(n).startswith((".", "_"))
    )


def read_partition_table(
    lake: Lake, layer: Layer, partition: str, file_schema: pa.Schema
) -> pa.Table:
    """The partition's rows with ``file_schema`` plus its Hive columns (as strings), or 0 rows."""
    fs = lake.fs(layer)
    hive = parse_hive_parts(partition)
    tables = []
    for path in partition_files(lake, layer, partition):
        table = pq.read_table(io.BytesIO(fs.cat_file(path)), schema=file_schema)
        tables.append(table)
    table = pa.concat_tables(tables) if tables else file_schema.empty_table()
    for key, value in hive.items():
        table = table.append_column(
            pa.field(key, pa.string()), pa.array([value] * table.num_rows, pa.string())
        )
    return table


def read_partitions(
    lake: Lake,
    layer: Layer,
    partitions: Iterable[str],
    file_schema: pa.Schema,
    backend: Backend,
    *,
    schema: pa.Schema | None = None,
) -> Any:
    """Several partitions as one frame on ``backend``.

    ``schema`` (default: ``file_schema`` plus the Hive columns) gives the final columns, order
    and types; a column that no file holds (written before the schema grew) comes back null.
    """
    partitions = list(partitions)
    if backend.is_gpu:
        try:
            return _read_partitions_gpu(lake, layer, partitions, file_schema, backend, schema)
        except Exception as exc:
            if is_gpu_oom(exc):
                raise
            log.warning("GPU Parquet read of %s failed (%s); reading with pyarrow", layer, exc)
    tables = map_in_threads(
        lambda p: read_partition_table(lake, layer, p, file_schema), partitions, READ_WORKERS
    )
    tables = [t for t in tables if t.num_rows]
    if schema is not None:
        tables = [conform_table(t, schema) for t in tables]
        table = pa.concat_tables(tables) if tables else schema.empty_table()
    else:
        table = pa.concat_tables(tables) if tables else file_schema.empty_table()
    return table_to_frame(table, backend)


def _target_schema(file_schema: pa.Schema, partitions: list[str], schema: pa.Schema | None):
    if schema is not None:
        return schema
    hive = parse_hive_parts(partitions[0]) if partitions else {}
    return pa.schema([*file_schema, *(pa.field(k, pa.string()) for k in hive)])


def _read_partitions_gpu(
    lake: Lake,
    layer: Layer,
    partitions: list[str],
    file_schema: pa.Schema,
    backend: Backend,
    schema: pa.Schema | None,
) -> Any:
    """cuDF branch of :func:`read_partitions`: files fetched on threads, ``cudf.read_parquet`` per
    file, Hive columns added on the GPU, then every column cast to the dtype
    ``DataFrame.from_arrow`` gives the declared type (the frame equals the pyarrow branch's)."""
    xdf = backend.xdf
    target = _target_schema(file_schema, partitions, schema)
    reference = xdf.DataFrame.from_arrow(strip_utc(target.empty_table()))
    fs = lake.fs(layer)
    fetched = map_in_threads(
        lambda p: [fs.cat_file(path) for path in partition_files(lake, layer, p)],
        partitions,
        READ_WORKERS,
    )
    frames = []
    for partition, contents in zip(partitions, fetched, strict=True):
        hive = parse_hive_parts(partition)
        for content in contents:  # decoded one after the other: one GPU, one stream
            frame = xdf.read_parquet(io.BytesIO(content), columns=file_schema.names)
            if len(frame) == 0:
                continue
            for key, value in hive.items():
                frame[key] = value
            frames.append(frame)
    if not frames:
        return reference
    frame = xdf.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame = frame.reset_index(drop=True)  # the null columns below are positional
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


def read_partition(
    lake: Lake,
    layer: Layer,
    partition: str,
    file_schema: pa.Schema,
    backend: Backend,
    *,
    schema: pa.Schema | None = None,
) -> Any:
    """One partition as a frame (partition columns added back from the path)."""
    return read_partitions(lake, layer, [partition], file_schema, backend, schema=schema)


def delete_partition(lake: Lake, layer: Layer, partition: str) -> bool:
    """Remove a partition folder; ``True`` when something was removed."""
    fs = lake.fs(layer)
    folder = lake.path(layer, partition)
    if not fs.exists(folder):
        return False
    fs.rm(folder, recursive=True)
    return True


def list_partitions(
    lake: Lake, layer: Layer, dataset: str, keys: Sequence[str], **fixed: str
) -> list[dict[str, str]]:
    """Partitions of ``dataset`` as ``{key: value}`` dicts, level by level (paginated ``ls``).

    ``keys`` names the Hive levels in order (e.g. ``("raid_id", "event_date")``); ``fixed``
    pins leading levels (``raid_id="raid001"`` lists that raid's dates). Only folders that
    hold a visible Parquet file count.
    """
    fs = lake.fs(layer)
    found: list[dict[str, str]] = []

    def walk(relative: str, level: int, acc: dict[str, str]) -> None:
        if level == len(keys):
            if partition_files(lake, layer, relative):
                found.append(dict(acc))
            return
        key = keys[level]
        if key in fixed:
            walk(f"{relative}/{key}={fixed[key]}", level + 1, {**acc, key: fixed[key]})
            return
        folder = lake.path(layer, relative)
        if not fs.isdir(folder):
            return
        for entry in fs.ls(folder, detail=True):
            name = posixpath.basename(entry["name"].rstrip("/"))
            k, sep, value = name.partition("=")
            if entry["type"] == "directory" and sep and k == key:
                walk(f"{relative}/{name}", level + 1, {**acc, key: value})

    walk(dataset, 0, {})
    return sorted(found, key=lambda d: tuple(d[k] for k in keys))
