"""Read landed bronze batches' JSON Lines fast, without ever losing a line.

The batches come from :mod:`raidlib.lake.bronze_batches` (landed = manifest present). Reading
uses ``pyarrow.json.read_json`` with an explicit schema (multi-threaded C++, no
``json.loads`` per line). Unknown keys are an error rather than silently ignored: the wire
contract rejects them, so a line carrying one was written without the receiver and belongs in
quarantine with its raw text, not half-read. When a file fails to parse, that file alone goes
through a tolerant path: timestamps are read as strings (bad values become nulls that the
silver rules quarantine) and lines that still fail are isolated by bisection and returned as
rejected lines with the parser's message.

On the cuDF backend each batch's objects are parsed on the GPU by ``cudf.read_json`` (see
:mod:`raidlib.lake.bronze_gpu`); a batch the GPU reader cannot take exactly as pyarrow would
(a bad line, an unknown key, a timestamp that is not plain UTC, a value of the wrong JSON type)
goes through the pyarrow path above instead, so quarantine behaves the same on both backends.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from raidlib.backend import Backend
from raidlib.lake import layout
from raidlib.lake.bronze_batches import BronzeBatch
from raidlib.lake.frames import table_to_frame
from raidlib.lake.lake import Lake
from raidlib.lake.s3 import cat_object
from raidlib.schemas.events import EVENT_FIELDS
from raidlib.schemas.whitespace import WHITESPACE
from raidlib.silver.schema import SILVER_SCHEMA
from raidlib.threads import map_in_threads

log = logging.getLogger(__name__)

LINEAGE_FIELDS = ("batch_id", "ingest_timestamp", "batch_source")

BRONZE_LINE_SCHEMA = pa.schema(
    [SILVER_SCHEMA.field(name) for name in (*EVENT_FIELDS, *LINEAGE_FIELDS)]
)
"""Every key a bronze line may carry, with its declared Arrow type (timestamps in UTC)."""

TIMESTAMP_FIELDS = tuple(f.name for f in BRONZE_LINE_SCHEMA if pa.types.is_timestamp(f.type))

_TOLERANT_SCHEMA = pa.schema(
    [pa.field(f.name, pa.string()) if f.name in TIMESTAMP_FIELDS else f for f in BRONZE_LINE_SCHEMA]
)
_EVENT_TIME = BRONZE_LINE_SCHEMA.get_field_index("timestamp")
_FAST_SCHEMA = BRONZE_LINE_SCHEMA.set(_EVENT_TIME, pa.field("timestamp", pa.string()))
"""The bronze schema with the event ``timestamp`` read as text: pyarrow's JSON reader takes a
stamp without a zone offset as UTC, while CONTRACT §1 requires one (see :func:`_parse_timestamps`).
Casting the text afterwards costs nothing measurable (2.4-2.7 s either way for 255k lines)."""
_ZONED = r"\d\d:\d\d(:\d\d([.,]\d+)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$"
"""A clock time followed by a zone (a date alone ends in ``-DD`` and must not pass as one)."""

REJECTED_COLUMNS = ("raid_id", "batch_id", "ingest_timestamp", "quarantine_reason", "raw_line")
"""Columns of :attr:`BronzeRead.rejected` (one row per line that could not be parsed)."""

_NO_REJECTED = pd.DataFrame({c: pd.Series(dtype="str") for c in REJECTED_COLUMNS})
"""Shared by every object without a bad line; copy it before handing it to a caller."""


@dataclass
class BronzeRead:
    """Result of reading bronze objects.

    Attributes:
        frame: one row per parsed line, columns of :data:`BRONZE_LINE_SCHEMA` (timestamps
            parsed where possible; a value that is not a timestamp is null), on the backend.
        rejected: pandas frame with :data:`REJECTED_COLUMNS`, one row per unparseable line.
        lines: total lines seen (``len(frame) + len(rejected)``).
        files: the objects read.
        read_by_pyarrow: on the cuDF backend, the batches the GPU JSON reader handed to
            pyarrow (bad lines, unusual shapes; see :mod:`raidlib.lake.bronze_gpu`).
    """

    frame: Any
    rejected: pd.DataFrame
    lines: int
    files: list[str] = field(default_factory=list)
    read_by_pyarrow: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_bronze(
    lake: Lake, batches: Sequence[BronzeBatch], backend: Backend, *, max_workers: int = 8
) -> BronzeRead:
    """Read every object of ``batches`` into one frame on ``backend`` (see :class:`BronzeRead`).

    Missing lineage on a line (``batch_id``, ``ingest_timestamp``) is filled from the manifest,
    so every row can be traced to the batch that carried it.
    """
    jobs = [(batch, path) for batch in batches for path in batch.paths]
    fs = lake.fs("bronze")
    if backend.is_gpu:
        from raidlib.lake.bronze_gpu import read_bronze_gpu  # noqa: PLC0415

        return read_bronze_gpu(fs, batches, backend, max_workers=max_workers)

    def load(job: tuple[BronzeBatch, str]) -> tuple[pa.Table, pd.DataFrame]:
        batch, path = job
        return _read_object(cat_object(fs, path), batch, path)

    results = map_in_threads(load, jobs, max_workers)
    rejected_parts = [r for _, r in results if len(r)]
    rejected = (
        pd.concat(rejected_parts, ignore_index=True) if rejected_parts else _NO_REJECTED.copy()
    )
    parsed = [t for t, _ in results]
    del results
    rows = sum(t.num_rows for t in parsed)
    # Nothing here keeps a table once the frame is made of it: the objects' tables go as soon
    # as concat_parsed has copied them, and that copy goes column by column as pandas takes
    # it over (self_destruct). Reading 1M events peaked at 1,360 MiB RSS with all three held
    # at once, 1,159 MiB this way.
    frame = table_to_frame(concat_parsed(parsed), backend)
    return BronzeRead(frame, rejected, rows + len(rejected), [p for _, p in jobs])


def concat_parsed(tables: list[pa.Table]) -> pa.Table:
    """Parsed objects as one table of :data:`BRONZE_LINE_SCHEMA`, each column one chunk.

    Empties ``tables``, so their memory is free once the one-chunk copy exists.
    """
    kept = [t for t in tables if t.num_rows]
    tables.clear()
    if not kept:
        return BRONZE_LINE_SCHEMA.empty_table()
    return pa.concat_tables(kept).combine_chunks()


def parse_bronze_lines(data: bytes) -> pa.Table:
    """Fast path: parse JSON Lines with the explicit bronze schema (raises on any bad line)."""
    table = _parse(data, _FAST_SCHEMA)
    stamps = _parse_timestamps(table["timestamp"], require_zone=True)
    return table.set_column(_EVENT_TIME, BRONZE_LINE_SCHEMA.field("timestamp"), stamps)


def _parse(data: bytes, schema: pa.Schema) -> pa.Table:
    return pj.read_json(
        io.BytesIO(data),
        read_options=pj.ReadOptions(block_size=1 << 24),
        parse_options=pj.ParseOptions(
            explicit_schema=schema,
            unexpected_field_behavior="error",
            newlines_in_values=False,
        ),
    )


def is_blank(data: bytes) -> bool:
    """An object with no line to read: empty or whitespace only (without ``data.strip()``,
    which copies the object)."""
    return not data or data.isspace()


def _read_object(data: bytes, batch: BronzeBatch, path: str) -> tuple[pa.Table, pd.DataFrame]:
    """One bronze object → (parsed rows, rejected lines); never raises on content."""
    raid_from_path = layout.parse_hive_parts(path).get("raid_id")
    if is_blank(data):
        return BRONZE_LINE_SCHEMA.empty_table(), _rejected([], raid_from_path, batch)
    utf8 = is_utf8(data)
    problem = None if utf8 else "its text is not UTF-8"
    if utf8:
        try:
            table = parse_bronze_lines(data)
            rejected: list[tuple[str, str]] = []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            problem = str(exc)
    if problem is not None:
        log.warning(
            "bronze object %s does not parse as a whole (%s); reading line by line", path, problem
        )
        table, rejected = _read_tolerant(data, check_utf8=not utf8)
    return _fill_lineage(table, batch), _rejected(rejected, raid_from_path, batch)


def is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8. pyarrow's JSON reader does not check the bytes inside
    strings, and an invalid one (a cp1252 ``ë`` from a Windows tool) failed silver later, on
    every run, instead of being quarantined. Arrow's validation is vectorised; ASCII, the
    common case, is settled by ``isascii`` alone."""
    if data.isascii():
        return True
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _read_tolerant(
    data: bytes, *, check_utf8: bool = False
) -> tuple[pa.Table, list[tuple[str, str]]]:
    """Timestamps as strings, then bisect to isolate the lines that still do not parse.

    ``check_utf8`` (the object is not valid UTF-8): a line that is not goes to quarantine
    first, its bytes that are not UTF-8 kept as ``\\xNN`` escapes."""
    good: list[pa.Table] = []
    bad: list[tuple[str, str]] = []
    lines = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        if not check_utf8 or is_utf8(line):
            lines.append(line)
        else:
            bad.append(("unparseable_line: not UTF-8", line.decode("utf-8", "backslashreplace")))

    def visit(chunk: list[bytes]) -> None:
        try:
            good.append(_parse(b"\n".join(chunk) + b"\n", _TOLERANT_SCHEMA))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            if len(chunk) == 1:
                text = chunk[0].decode("utf-8", errors="replace")
                bad.append((f"unparseable_line: {exc}", text))
                return
            middle = len(chunk) // 2
            visit(chunk[:middle])
            visit(chunk[middle:])

    if lines:
        visit(lines)
    table = pa.concat_tables(good) if good else _TOLERANT_SCHEMA.empty_table()
    for name in TIMESTAMP_FIELDS:
        i = table.schema.get_field_index(name)
        stamps = _parse_timestamps(table[name], require_zone=name == "timestamp")
        table = table.set_column(i, BRONZE_LINE_SCHEMA.field(name), stamps)
    return table, bad


def _parse_timestamps(column: pa.ChunkedArray, *, require_zone: bool = False) -> pa.ChunkedArray:
    """ISO-8601 strings → UTC timestamps; values that are not timestamps become null, and so
    (``require_zone``: the event time, which CONTRACT §1 wants timezone-aware) do stamps
    without a zone offset, which silver then quarantines instead of guessing UTC. Other
    stamps without a zone are read as UTC (``ingestion_timestamp`` is the producer's clock)."""
    target = BRONZE_LINE_SCHEMA.field("timestamp").type
    try:
        # Arrow refuses a stamp without a zone for a UTC type (apache/arrow#41268)
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # ISO 8601 (and the receiver) also allow a lower-case t or z and a decimal comma,
        # which neither Arrow nor pandas parse, and the receiver trims Unicode spaces.
        spelled = pc.utf8_trim(pc.replace_substring(pc.utf8_upper(column), ",", "."), WHITESPACE)
        parsed = pd.to_datetime(
            spelled.to_pandas(), utc=True, errors="coerce", format="ISO8601"
        ).astype("datetime64[us, UTC]")
        stamps = pa.Array.from_pandas(parsed).cast(target)
        if require_zone:
            zoned = pc.match_substring_regex(spelled, _ZONED)
            stamps = pc.if_else(zoned, stamps, pa.scalar(None, target))
        return pa.chunked_array([stamps])


def _fill_lineage(table: pa.Table, batch: BronzeBatch) -> pa.Table:
    """Lines written without lineage get their batch's id and ingest time (from the manifest)."""
    i = table.schema.get_field_index("batch_id")
    table = table.set_column(i, "batch_id", pc.fill_null(table["batch_id"], batch.batch_id))
    if batch.ingest_timestamp and table["ingest_timestamp"].null_count:
        ts_type = BRONZE_LINE_SCHEMA.field("ingest_timestamp").type
        value = pa.scalar(_utc(batch.ingest_timestamp), ts_type)
        j = table.schema.get_field_index("ingest_timestamp")
        table = table.set_column(
            j, "ingest_timestamp", pc.fill_null(table["ingest_timestamp"], value)
        )
    return table


def _utc(text: str) -> pd.Timestamp:
    stamp = pd.Timestamp(text)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _rejected(bad: list[tuple[str, str]], raid_id: str | None, batch: BronzeBatch) -> pd.DataFrame:
    if not bad:  # nearly every object: building an empty frame per object cost 2 ms each
        return _NO_REJECTED
    return pd.DataFrame(
        {
            "raid_id": pd.Series([raid_id] * len(bad), dtype="str"),
            "batch_id": pd.Series([batch.batch_id] * len(bad), dtype="str"),
            "ingest_timestamp": pd.Series([batch.ingest_timestamp] * len(bad), dtype="str"),
            "quarantine_reason": pd.Series([reason for reason, _ in bad], dtype="str"),
            "raw_line": pd.Series([line for _, line in bad], dtype="str"),
        }
    )
