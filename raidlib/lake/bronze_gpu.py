"""Bronze JSON Lines parsed on the GPU with ``cudf.read_json``, exactly as pyarrow would, or not at all.

:func:`read_bronze_gpu` is the cuDF branch of :func:`raidlib.lake.bronze_reader.read_bronze`.
Consecutive landed batches are parsed together, up to :func:`read_group_bytes` of JSON text per
``cudf.read_json(lines=True)`` call, each group as soon as threads have loaded it. The GPU
result is accepted only when it provably equals what the pyarrow reader would give
(:mod:`raidlib.lake.bronze_gpu_checks`); otherwise the group is halved until the batch that
needs it goes through the pyarrow path alone (bad lines quarantined with their raw text), and
the other batches stay on the GPU. Each read's text is staged once, in device memory where this
cuDF reads it from there, else in host memory (:mod:`raidlib.lake.bronze_gpu_text`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from functools import partial
from typing import Any, NamedTuple, TypeVar

import pandas as pd

from raidlib.backend import Backend
from raidlib.gpu_device import device_memory
from raidlib.gpu_memory import is_gpu_oom
from raidlib.lake.bronze_batches import BronzeBatch
from raidlib.lake.bronze_gpu_checks import (
    NotExact,
    fill_lineage,
    finish_raw_frame,
    gpu_read_dtypes,
)
from raidlib.lake.bronze_gpu_text import (
    READ_OPTIONS,
    DeviceText,
    ReadBuffer,
    line_pieces,
    text_stage,
)
from raidlib.lake.bronze_reader import (
    _NO_REJECTED,
    BRONZE_LINE_SCHEMA,
    BronzeRead,
    _read_object,
    concat_parsed,
    is_utf8,
)
from raidlib.lake.frames import table_to_frame
from raidlib.lake.s3 import cat_object
from raidlib.threads import imap_in_threads

log = logging.getLogger(__name__)

T = TypeVar("T")

READ_GROUP_BYTES = (16 << 20, 1 << 30)
"""Least and most JSON text one ``cudf.read_json`` call parses (see :func:`read_group_bytes`)."""


def read_group_bytes(free_device_bytes: int | None) -> int:
    """JSON text per GPU read: 1/64 of the device's free memory, within :data:`READ_GROUP_BYTES`
    (64 MiB when the free memory is unknown).

    Each read costs the same few hundred cuDF calls whatever its size, at ~1 ms each: on an H200
    (2026-12-04) one read per 10,000-line batch made 1M events reach silver at 39k events/s,
    and 64 MiB reads still spent 2.8 s of a profiled 8 s run in 13 reads' checks; at 10M events,
    30 reads of 256 MiB spent ~0.15 s each in them. A 4 GB laptop card (~3.5 GB free) reads
    ~55 MiB at a time, well inside its memory; a card with 64 GiB free or more reads 1 GiB (half
    the 2**31-byte length past which :func:`~raidlib.lake.bronze_gpu_text.scan_bytes` scans
    on the host).
    """
    if free_device_bytes is None:
        return 64 << 20
    least, most = READ_GROUP_BYTES
    return max(least, min(most, free_device_bytes // 64))


class BatchRead(NamedTuple):
    """Consecutive batches read for the cuDF backend: one frame for them all, their rejected
    lines (or None), lines seen, and whether pyarrow read them instead of the GPU reader."""

    frame: Any
    rejected: pd.DataFrame | None
    lines: int
    via_pyarrow: bool
    batch_ids: tuple[str, ...] = ()


def _read_batch_pyarrow(
    batch: BronzeBatch, objects: list[tuple[str, bytes]], backend: Backend
) -> BatchRead:
    results = [_read_object(data, batch, path) for path, data in objects]
    table = concat_parsed([t for t, _ in results])
    rejected = [r for _, r in results if len(r)]
    rejected_frame = pd.concat(rejected, ignore_index=True) if rejected else None
    n_rejected = 0 if rejected_frame is None else len(rejected_frame)
    lines = table.num_rows + n_rejected
    frame = table_to_frame(table, backend)
    return BatchRead(frame, rejected_frame, lines, True, (batch.batch_id,))


def _read_json_exact(
    batches: Sequence[BronzeBatch],
    pieces: Sequence[Sequence[bytes]],
    backend: Backend,
    stage: ReadBuffer | DeviceText,
) -> BatchRead:
    """Parse the batches' text (``pieces[i]``: the :func:`line_pieces` of ``batches[i]``) on the
    GPU; raises :class:`NotExact` when the result could differ from pyarrow's (the reader's own
    refusal included)."""
    ids = tuple(b.batch_id for b in batches)
    flat = [piece for batch_pieces in pieces for piece in batch_pieces]
    if not any(flat):
        return BatchRead(None, None, 0, False, ids)
    text, scan = stage.stage(flat, backend.xdf)
    if scan.control:
        raise NotExact("raw control characters")
    if scan.non_ascii and not all(map(is_utf8, flat)):
        raise NotExact("text that is not UTF-8")
    try:
        raw = backend.xdf.read_json(
            text,  # a device buffer or a BytesIO: pylibcudf reads either in place
            **READ_OPTIONS,
            dtype=gpu_read_dtypes(backend.xdf),
        )
    except Exception as exc:  # a malformed line: pyarrow finds and quarantines it
        if is_gpu_oom(exc):
            raise
        raise NotExact(f"GPU JSON reader refused it: {exc}") from exc
    frame = fill_lineage(finish_raw_frame(raw, scan.lines, backend), batches, pieces, backend)
    return BatchRead(frame, None, scan.lines, False, ids)


def read_batch_gpu(
    batch: BronzeBatch,
    objects: list[tuple[str, bytes]],
    pieces: Sequence[bytes],
    backend: Backend,
    stage: ReadBuffer | DeviceText,
) -> BatchRead:
    """One batch (``pieces``: its objects' :func:`line_pieces`) on the GPU, or through pyarrow
    when the GPU read would not be exact."""
    try:
        return _read_json_exact([batch], [pieces], backend, stage)
    except NotExact as exc:  # a bad line, or an unusual but valid shape
        log.info("bronze batch %s: %s; using pyarrow", batch.batch_id, exc)
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


def read_group_gpu(
    batches: Sequence[BronzeBatch],
    contents: Sequence[list[tuple[str, bytes]]],
    pieces: Sequence[Sequence[bytes]],
    backend: Backend,
    stage: ReadBuffer | DeviceText,
) -> list[BatchRead]:
    """Consecutive batches in one GPU read; when that is not exact, each half on its own, down
    to the single batch that :func:`read_batch_gpu` hands to pyarrow.

    One odd batch among n costs ~2·log2(n) extra reads; when every batch needs pyarrow (another
    tool's bronze, say, each object ending in a blank line) it is ~2n GPU reads instead of n.
    """
    if len(batches) == 1:
        return [read_batch_gpu(batches[0], contents[0], pieces[0], backend, stage)]
    try:
        return [_read_json_exact(batches, pieces, backend, stage)]
    except NotExact as exc:  # the halves find the batch that needs pyarrow
        log.debug("bronze: %d batches not exact together (%s); halving", len(batches), exc)
    except Exception as exc:  # a cuDF behaviour this code does not expect: say so loudly
        if is_gpu_oom(exc):
            raise
        log.warning(
            "bronze: %d batches read together failed unexpectedly (%s: %s); halving",
            len(batches),
            type(exc).__name__,
            exc,
        )
    m = len(batches) // 2
    return read_group_gpu(batches[:m], contents[:m], pieces[:m], backend, stage) + read_group_gpu(
        batches[m:], contents[m:], pieces[m:], backend, stage
    )


class LoadedBatch(NamedTuple):
    """A batch with its objects' contents and their :func:`line_pieces`."""

    batch: BronzeBatch
    objects: list[tuple[str, bytes]]
    pieces: list[bytes]


def group_by_size(items: Iterable[T], size: Callable[[T], int], limit: int) -> Iterator[list[T]]:
    """Consecutive items whose sizes sum to at most ``limit`` (a bigger item alone), each group
    yielded as soon as its last item has come."""
    group: list[T] = []
    total = 0
    for item in items:
        n = size(item)
        if group and total + n > limit:
            yield group
            group, total = [], 0
        group.append(item)
        total += n
    if group:
        yield group


def estimated_json_bytes(batch: BronzeBatch, *, limit: int) -> float:
    """A batch's JSON text before it is loaded (from its manifest), or a whole read's worth
    (``limit``) when the manifest does not say."""
    expected = batch.expected_json_bytes()
    return float(limit) if expected is None else expected


def read_bronze_gpu(
    fs: Any, batches: Sequence[BronzeBatch], backend: Backend, *, max_workers: int = 8
) -> BronzeRead:
    """The cuDF branch of :func:`~raidlib.lake.bronze_reader.read_bronze` (same result).

    Each group is parsed as soon as its batches are loaded, while the threads load the next
    ones: loading bronze and parsing it on the GPU overlap instead of following each other.
    Loads run at most one read's worth of text ahead (:func:`estimated_json_bytes`), so host
    memory holds about two reads' text, not a whole chunk's.
    """

    def load(batch: BronzeBatch) -> LoadedBatch:
        objects = [(path, cat_object(fs, path)) for path in batch.paths]
        return LoadedBatch(batch, objects, line_pieces([d for _, d in objects]))

    memory = device_memory()
    limit = read_group_bytes(memory[0] if memory else None)
    stage = text_stage(backend)
    reads: list[BatchRead] = []
    ahead = (partial(estimated_json_bytes, limit=limit), float(limit))
    loading = imap_in_threads(load, batches, max_workers, ahead=ahead)
    with closing(loading) as loaded:  # an error stops the loads
        for group in group_by_size(loaded, lambda item: sum(map(len, item.pieces)), limit):
            reads += read_group_gpu(
                [item.batch for item in group],
                [item.objects for item in group],
                [item.pieces for item in group],
                backend,
                stage,
            )
    frames = [r.frame for r in reads if r.frame is not None and len(r.frame)]
    rejected_parts = [r.rejected for r in reads if r.rejected is not None and len(r.rejected)]
    handed_over = [batch_id for r in reads if r.via_pyarrow for batch_id in r.batch_ids]
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
    lines = sum(r.lines for r in reads)
    return BronzeRead(frame, rejected_frame, lines, files, read_by_pyarrow=handed_over)
