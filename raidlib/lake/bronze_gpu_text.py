"""Where a GPU bronze read's JSON text is staged for ``cudf.read_json``: once, in device memory
(:class:`DeviceText`) where this cuDF reads it from there, else in a reused host buffer
(:class:`ReadBuffer`). Either way the acceptance scan
(:func:`~raidlib.lake.bronze_gpu_checks.scan_bytes`) reads the same bytes.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Sequence
from typing import Any

from raidlib.backend import Backend
from raidlib.gpu_memory import is_gpu_oom
from raidlib.lake.bronze_gpu_checks import GPU_SCAN_MAX, ByteScan, scan_bytes, scan_device

log = logging.getLogger(__name__)

READ_OPTIONS: dict[str, Any] = {
    "engine": "cudf",
    "lines": True,
    "on_bad_lines": "error",
    "compression": None,  # "infer" logs a libcudf warning per call for in-memory buffers
}
"""``cudf.read_json`` options of every GPU bronze read (``dtype`` aside)."""


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
