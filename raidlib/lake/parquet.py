"""Hive-partitioned Parquet in the lake: one file per partition, replaced atomically.

A partition folder (``.../raid_id=<r>/event_date=<d>/``) holds exactly one data file,
:data:`PART_FILE`. Replacing a partition is therefore one atomic step — a hidden temporary file
in the same folder then ``os.replace`` locally, one PUT on S3 — so readers see the old or the new
partition, never a mix, and a crash leaves at most a dot-file that readers ignore.

Partition columns live in the path, not in the file; the readers add them back:
:func:`read_partition_table` on the pyarrow path, :func:`raidlib.lake.parquet_gpu.decode_files`
on the GPU (:func:`read_partitions` goes through one or the other).
Files have the declared schema and Snappy compression; frames come back in the in-memory
convention of :mod:`raidlib.lake.frames`. pyarrow encodes and decodes them, except on the cuDF
backend (:mod:`raidlib.lake.parquet_gpu`): silver partitions are encoded on the GPU where this
cuDF's files read back as pyarrow's, and reads are decoded there with the Hive columns added on
the device. If a GPU read fails for any reason other than running out of device memory, the
pyarrow read below is used instead (same frame). Which partitions exist, and their files:
:mod:`raidlib.lake.listing`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from raidlib.backend import Backend, is_cudf
from raidlib.gpu_memory import is_gpu_oom
from raidlib.lake.errors import unreadable_parquet
from raidlib.lake.frames import (
    conform_table,
    frame_to_table,
    table_to_frame,
)
from raidlib.lake.lake import Lake, Layer
from raidlib.lake.layout import parse_hive_parts
from raidlib.lake.listing import ListedFile, partition_files
from raidlib.lake.parquet_gpu import decode_files, encode_files, gpu_encodes
from raidlib.lake.s3 import cat_listed
from raidlib.threads import map_in_threads

log = logging.getLogger(__name__)

PART_FILE = "part-0.parquet"
COMPRESSION = "snappy"
READ_WORKERS = 8
"""Partitions fetched at once: each is a GET or two (plus a listing when not listed before),
which on S3 is mostly waiting."""


def table_to_parquet_bytes(table: pa.Table) -> bytes:
    """Serialise one table as a Snappy Parquet file in memory."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=COMPRESSION)
    return sink.getvalue()


def write_partition_files(
    lake: Lake,
    layer: Layer,
    frame: Any,
    file_schema: pa.Schema,
    partitions: Sequence[tuple[str, int, int]],
    backend: Backend,
    *,
    max_workers: int = 8,
) -> list[str]:
    """Atomically replace each ``(partition, start, stop)`` with rows ``[start, stop)`` of
    ``frame``: one Snappy Parquet file of ``file_schema``'s columns each, written on threads.

    A cuDF frame is encoded on the GPU, every partition in one call, where this cuDF's files
    read back as pyarrow's (:func:`~raidlib.lake.parquet_gpu.gpu_encodes`). Otherwise, and if
    that fails (out of device memory included: the host path needs none), pyarrow encodes each
    partition in the thread that writes it, after casting to the declared types;
    ``pa.ArrowInvalid`` then names a value that does not fit.
    """
    bounds = [(start, stop) for _, start, stop in partitions]
    encoded = _encoded_on_gpu(frame, file_schema, bounds, backend)
    if encoded is not None:
        jobs = [(name, content) for (name, _, _), content in zip(partitions, encoded, strict=True)]
        return map_in_threads(
            lambda job: write_partition_file(lake, layer, *job), jobs, max_workers
        )
    table = frame_to_table(frame, file_schema)

    def encode_and_write(part: tuple[str, int, int]) -> str:  # pyarrow encodes without the GIL
        name, start, stop = part
        return write_partition_file(
            lake, layer, name, table_to_parquet_bytes(table.slice(start, stop - start))
        )

    return map_in_threads(encode_and_write, partitions, max_workers)


def _encoded_on_gpu(
    frame: Any, file_schema: pa.Schema, bounds: list[tuple[int, int]], backend: Backend
) -> list[bytes] | None:
    """The files :func:`write_partition_files` writes, encoded on the GPU, or ``None`` where
    pyarrow encodes them."""
    if not (is_cudf(frame) and len(frame) and gpu_encodes(backend, file_schema)):
        return None
    try:
        return encode_files(frame, file_schema, bounds)
    except Exception as exc:  # the host path gives the same files
        log.warning("GPU Parquet encoding failed (%s); encoding with pyarrow", exc)
        return None


def write_partition_file(lake: Lake, layer: Layer, partition: str, content: bytes) -> str:
    """Atomically replace ``partition`` (a folder relative to the layer root) with one encoded
    Parquet file. Returns the file path."""
    return lake.write_bytes_atomic(layer, f"{partition}/{PART_FILE}", content)


def write_partition_table(lake: Lake, layer: Layer, partition: str, table: pa.Table) -> str:
    """Atomically replace ``partition`` with ``table``, which must already have the file schema
    (no partition columns). Returns the file path."""
    return write_partition_file(lake, layer, partition, table_to_parquet_bytes(table))


def write_partition(
    lake: Lake, layer: Layer, partition: str, frame: Any, file_schema: pa.Schema
) -> str:
    """Cast ``frame`` to ``file_schema`` (dropping partition columns) and replace the partition."""
    return write_partition_table(lake, layer, partition, frame_to_table(frame, file_schema))


def write_table_file(lake: Lake, layer: Layer, relative: str, table: pa.Table) -> str:
    """Write one named Parquet file atomically (e.g. a quarantine file per batch)."""
    return lake.write_bytes_atomic(layer, relative, table_to_parquet_bytes(table))


def fetch_partition_files(
    lake: Lake, layer: Layer, partition: str, files: Sequence[ListedFile] | None = None
) -> list[tuple[str, bytes]]:
    """The paths and contents of a partition's files: ``files`` when a listing gave them, else
    those :func:`partition_files` lists now.

    A listed file gone by the time it is read (a concurrent gold build removed a partition its
    raids no longer produce) sends the read back to a fresh listing of the folder, which is
    what reading right after a per-partition listing gave: that partition's current files.
    """
    fs = lake.fs(layer)
    if files is not None:
        try:
            return [(f.path, cat_listed(fs, f.path, f.size)) for f in files]
        except FileNotFoundError:
            pass
    return [(path, fs.cat_file(path)) for path in partition_files(lake, layer, partition)]


def read_partition_table(
    lake: Lake,
    layer: Layer,
    partition: str,
    file_schema: pa.Schema,
    files: Sequence[ListedFile] | None = None,
) -> pa.Table:
    """The partition's rows with ``file_schema`` plus its Hive columns (as strings), or 0 rows.

    ``files`` (from a listing already made) saves listing the partition folder again.

    Raises:
        LakeDataError: a file is not readable Parquet (truncated, corrupt); names the file.
    """
    hive = parse_hive_parts(partition)
    tables = []
    for path, content in fetch_partition_files(lake, layer, partition, files):
        try:
            tables.append(pq.read_table(io.BytesIO(content), schema=file_schema))
        except (pa.ArrowInvalid, OSError) as exc:  # pyarrow's OSError: "Couldn't deserialize"
            raise unreadable_parquet(layer, lake.url_of(layer, path), exc) from exc
    table = pa.concat_tables(tables) if tables else file_schema.empty_table()
    for key, value in hive.items():
        column = pa.repeat(pa.scalar(value, pa.string()), table.num_rows)
        table = table.append_column(pa.field(key, pa.string()), column)
    return table


def read_partitions(
    lake: Lake,
    layer: Layer,
    partitions: Iterable[str],
    file_schema: pa.Schema,
    backend: Backend,
    *,
    schema: pa.Schema | None = None,
    files: Mapping[str, Sequence[ListedFile]] | None = None,
) -> Any:
    """Several partitions as one frame on ``backend``.

    ``schema`` (default: ``file_schema`` plus the Hive columns) gives the final columns, order
    and types; a column that no file holds (written before the schema grew) comes back null.
    ``files`` maps each partition to its files when a listing already found them (see
    :func:`list_partition_files`); otherwise each partition folder is listed.
    """
    partitions = list(partitions)
    if backend.is_gpu:
        try:
            return _read_partitions_gpu(
                lake, layer, partitions, file_schema, backend, schema, files
            )
        except Exception as exc:
            if is_gpu_oom(exc):
                raise
            log.warning("GPU Parquet read of %s failed (%s); reading with pyarrow", layer, exc)
    tables = map_in_threads(
        lambda p: read_partition_table(
            lake, layer, p, file_schema, None if files is None else files[p]
        ),
        partitions,
        READ_WORKERS,
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
    files: Mapping[str, Sequence[ListedFile]] | None = None,
) -> Any:
    """cuDF branch of :func:`read_partitions`: files fetched on threads, then decoded together
    on the GPU (:func:`raidlib.lake.parquet_gpu.decode_files`); the frame equals the pyarrow
    branch's."""
    fetched = map_in_threads(
        lambda p: fetch_partition_files(lake, layer, p, None if files is None else files[p]),
        partitions,
        READ_WORKERS,
    )
    hived = [
        (parse_hive_parts(partition), content)
        for partition, contents in zip(partitions, fetched, strict=True)
        for _, content in contents
    ]
    target = _target_schema(file_schema, partitions, schema)
    return decode_files(backend, hived, file_schema, target)


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
