"""Where a GPU bronze read's JSON text is staged for ``cudf.read_json``: once, in device memory
(:class:`DeviceText`) where this cuDF reads it from there, else in a reused host buffer
(:class:`ReadBuffer`). Either way the acceptance scan (:func:`scan_bytes`: line feeds and control
bytes) reads the same bytes.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from raidlib.backend import Backend
from raidlib.gpu_memory import is_gpu_oom
from raidlib.lake.bronze_reader import is_blank

log = logging.getLogger(__name__)

READ_OPTIONS: dict[str, Any] = {
    "engine": "cudf",
    "lines": True,
    "on_bad_lines": "error",
    "compression": None,  # "infer" logs a libcudf warning per call for in-memory buffers
}
"""``cudf.read_json`` options of every GPU bronze read (``dtype`` aside)."""


def line_pieces(objects: Sequence[bytes]) -> list[bytes]:
    """A batch's objects as JSON Lines pieces: each newline-terminated, blank ones skipped.

    Not joined here: a GPU read copies the pieces of all its batches straight to where it stages
    its text (:class:`DeviceText` on the GPU, else :class:`ReadBuffer`).
    """
    pieces = []
    for data in objects:
        if is_blank(data):
            continue
        pieces.append(data if data.endswith(b"\n") else data + b"\n")
    return pieces


_CONTROL_BYTES = bytes(b for b in range(0x20) if b != 0x0A)


class ByteScan(NamedTuple):
    lines: int
    """Line feeds: blank lines count, so that a row count short of it sends the batch to pyarrow."""
    control: bool
    """Whether a control byte other than the line feed occurs. JSON allows them only escaped
    inside strings (and tab/CR between tokens); pyarrow rejects a raw one in a string, cuDF's
    reader does not validate (rapidsai/cudf#15222), so such a batch is left to pyarrow. The
    receiver never writes one."""
    non_ascii: bool = False
    """Whether a byte of 0x80 or above occurs: only then can the text be invalid UTF-8, which
    cuDF's reader does not check either (pyarrow's reader is then told by
    :func:`~raidlib.lake.bronze_reader.is_utf8`)."""


GPU_SCAN_MAX = 2**31 - 1
"""cuDF columns hold fewer rows than this (rapidsai/cudf#3958): a longer text (never a receiver
batch) is scanned on the host."""


def scan_bytes(data: bytes | memoryview, lib: Any = None) -> ByteScan:
    """:class:`ByteScan` of ``data``; with ``lib`` (cuDF) on the GPU, in one copy to the device.

    On an H200's host the two scans cost ~1.1 ms per MB (2026-12-04 profile), a fifth of the
    GPU bronze read; on the device they are two counts, one temporary column at a time. The line
    feed is itself below 0x20, so another control byte is there exactly when the bytes below
    0x20 outnumber the line feeds.
    """
    if lib is None or len(data) >= GPU_SCAN_MAX:
        text = bytes(data)  # no copy when it is bytes already
        control = len(text.translate(None, _CONTROL_BYTES)) != len(text)
        return ByteScan(line_count(text), control, not text.isascii())
    return scan_device(np.frombuffer(data, dtype=np.uint8), lib)


def scan_device(codes: Any, lib: Any) -> ByteScan:
    """:class:`ByteScan` on the GPU of ``codes``: bytes as anything ``lib.Series`` takes as
    uint8 (host bytes through NumPy, copied over; a device buffer, read in place)."""
    column = lib.Series(codes)
    lines = int((column == 0x0A).sum())
    return ByteScan(lines, int((column < 0x20).sum()) > lines, bool((column >= 0x80).any()))


def line_count(data: bytes) -> int:
    """Lines in a newline-terminated buffer (blank lines included, so they force pyarrow)."""
    return data.count(b"\n")


class ReadBuffer:
    """Host memory a GPU read's JSON text is gathered in, refilled from read to read.

    Measured on an H200 for a 10M-event run (30 reads of 256 MiB, 2026-12-04): a fresh
    ``b"".join`` per read spent 4.6 s, mostly faulting in new pages, and
    ``cudf.read_json(io.BytesIO(data))`` copied the text once more (``getbuffer`` unshares a
    ``BytesIO`` made from ``bytes``), which was about half of ``read_json``'s 7.9 s. A refilled
    ``BytesIO`` owns its memory: pylibcudf reads it in place. Refilling 256 MiB takes ~10 ms
    on this CPU machine where a join takes ~140 ms.
    """

    def __init__(self) -> None:
        self._text = io.BytesIO()

    def fill(self, pieces: Sequence[bytes]) -> io.BytesIO:
        """The buffer holding exactly ``pieces`` back to back, positioned at the start."""
        try:
            self._text.seek(0)
            for piece in pieces:
                self._text.write(piece)
            self._text.truncate()
        except BufferError:  # a view of the last text is still alive (an error's traceback)
            self._text = io.BytesIO()
            return self.fill(pieces)
        self._text.seek(0)
        return self._text

    def stage(self, pieces: Sequence[bytes], lib: Any) -> tuple[io.BytesIO, ByteScan]:
        """The text for ``read_json`` and its :class:`ByteScan` (on the GPU when ``lib``)."""
        text = self.fill(pieces)
        view = text.getbuffer()
        try:
            scan = scan_bytes(view, lib)
        finally:
            del view  # a live view would stop the next fill (BytesIO cannot change under one)
        return text, scan


class DeviceText:
    """The read's text copied piece by piece into one RMM device buffer, which the scan and
    ``cudf.read_json`` both read in place (pylibcudf takes any object with ``ptr`` and ``size``
    as a device source).

    Measured on an H200 at 10M events (8 reads of 1 GiB, 2026-12-04), staging through host
    memory spent 2.3 s filling the host buffer (fresh pages every read), 1.4 s copying it to
    the device for the scan, and ``read_json`` copied it again. Here each piece crosses once:
    the next run's read stage took 5.05 s instead of 9.68 s.
    """

    def __init__(self) -> None:
        import rmm  # noqa: PLC0415 — cuDF's own dependency; this class is used only with cuDF
        from rmm.pylibrmm.device_buffer import copy_host_to_ptr  # noqa: PLC0415

        self._device_buffer = rmm.DeviceBuffer
        self._copy = copy_host_to_ptr

    def stage(self, pieces: Sequence[bytes], lib: Any) -> tuple[Any, ByteScan]:
        """A device buffer holding ``pieces`` back to back, and its :class:`ByteScan`; a text
        past a cuDF column's length (never a receiver batch) is staged on the host instead."""
        size = sum(map(len, pieces))
        if size >= GPU_SCAN_MAX:
            return ReadBuffer().stage(pieces, lib)
        text = self._device_buffer(size=size)
        at = text.ptr
        for piece in pieces:
            if piece:
                self._copy(piece, at)  # synchronous on the default stream
                at += len(piece)
        return text, scan_device(text, lib)


_DEVICE_TEXT_CHECK = b'{"a":"x"}\n{"a":"2"}\n'
"""Two lines for :func:`text_stage` to read through :class:`DeviceText` once."""


def text_stage(backend: Backend) -> ReadBuffer | DeviceText:
    """:class:`DeviceText` where it works with this cuDF, else :class:`ReadBuffer`.

    Tried once per process on two lines, so that a cuDF whose ``read_json`` does not take a
    device buffer costs one warning and the host path, not every batch a trip through pyarrow.
    """
    if not backend.has_libcudf:
        return ReadBuffer()
    return DeviceText() if _device_text_reads(backend.xdf) else ReadBuffer()


@functools.cache
def _device_text_reads(lib: Any) -> bool:
    """Whether ``lib.read_json`` reads :class:`DeviceText`'s staging exactly (checked once)."""
    try:
        text, scan = DeviceText().stage([_DEVICE_TEXT_CHECK], lib)
        frame = lib.read_json(text, **READ_OPTIONS, dtype={"a": "str"})
        if (scan.lines, scan.control, len(frame)) != (2, False, 2):
            raise ValueError(f"read {len(frame)} rows, scanned {scan}")
        if frame["a"].to_arrow().to_pylist() != ["x", "2"]:
            raise ValueError("the text read back differs")
    except Exception as exc:  # any failure here only means: stage on the host instead
        if is_gpu_oom(exc):
            raise
        log.warning(
            "bronze: reading JSON from device memory failed with this cuDF (%s: %s); "
            "staging each read in host memory instead",
            type(exc).__name__,
            exc,
        )
        return False
    return True
