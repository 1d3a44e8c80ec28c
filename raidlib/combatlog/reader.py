"""Stream a combat log as chunks of lines (plain or gzip, detected by magic bytes).

The file is read in blocks of about ``chunk_bytes``; each block is cut at its last newline
(the partial line waits for the next block) and split into lines with one numpy pass over the
bytes, so a multi-GB file never has to fit in memory and no Python runs per line. Lines end
with LF; CRs before it are dropped, and so is a UTF-8 byte-order mark at the start. Bytes that
are not UTF-8 are read as U+FFFD and their lines listed. A line never stops the split, whatever
bytes it holds: the parser reports the odd ones (control bytes, no ``<timestamp>  EVENT``
prefix) by line number. A file that ends inside its gzip stream, is no gzip at all past its
magic bytes, or is UTF-16 text raises :class:`UnreadableLogError` naming the file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_CHUNK_BYTES = 32 << 20
_PIECE_BYTES = 1 << 20
HEAD_BYTES = _PIECE_BYTES
"""How much of a log :func:`head_lines` reads (decompressed): a real log's first line is a row."""
_LF = 0x0A
_UTF8_BOM = b"\xef\xbb\xbf"


class UnreadableLogError(ValueError):
    """The file cannot be read as a combat log: a truncated or corrupt gzip stream, no rows.

    ``after_line`` is the last line read before the damage (0 when none was).
    """

    def __init__(self, message: str, after_line: int = 0) -> None:
        super().__init__(message)
        self.after_line = after_line

    def what_landed(self) -> str | None:
        """What the import may have delivered before the damage, and that re-importing is safe
        (None when nothing was read)."""
        if not self.after_line:
            return None
        return (
            f"Events from lines 1-{self.after_line:,} may already have landed; importing the "
            "complete file again is safe (event ids are stable: silver keeps each once)."
        )


@dataclass
class LineChunk:
    """One chunk: its lines (strings, line ends stripped) and their 1-based line numbers.

    ``not_utf8`` holds the line numbers of lines with bytes that are not UTF-8 (read as
    U+FFFD: the client writes UTF-8, so the file was re-encoded or damaged).
    """

    lines: pa.StringArray
    line_numbers: np.ndarray
    not_utf8: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def source_name(source: str | os.PathLike[str] | IO[bytes]) -> str | None:
    """The file name behind ``source`` (a path, or a file object's ``name``), if any."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else None


def _open_stream(source: str | os.PathLike[str] | IO[bytes]) -> pa.NativeFile:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            magic = fh.read(2)
        compression = "gzip" if magic == GZIP_MAGIC else None
        return pa.input_stream(os.fspath(source), compression=compression)
    # Buffered for peek(); borrowed, because closing the stream must not close the caller's file
    raw = io.BufferedReader(_Borrowed(source))
    magic = raw.peek(2)[:2]
    stream = pa.PythonFile(raw, mode="r")
    if magic == GZIP_MAGIC:
        return pa.CompressedInputStream(stream, "gzip")
    return stream


class _Borrowed(io.RawIOBase):
    """A caller's binary file object, read here but left open: its owner closes it (and may
    still ask it for ``tell()``, as the importer's progress does)."""

    def __init__(self, handle: IO[bytes]) -> None:
        super().__init__()
        self._handle = handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._handle.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _split_lines(data: bytes) -> pa.BinaryArray:
    """Bytes ending with LF -> one binary value per line (its LF still at the end)."""
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == _LF)
    offsets = np.concatenate([[0], ends + 1]).astype(np.int32)
    return pa.Array.from_buffers(
        pa.binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _decode(col: pa.BinaryArray) -> tuple[pa.StringArray, np.ndarray]:
    """Binary lines -> UTF-8 strings without their line end (LF, CRLF), and the positions of
    the lines with bytes that are not UTF-8 (those bytes become U+FFFD: one bad byte must not
    fail the chunk). Python runs per line only in a chunk that holds such a line."""
    bad: list[int] = []
    try:
        text = col.cast(pa.string())
    except pa.ArrowInvalid:
        values = []
        for i, raw in enumerate(col.to_pylist()):
            try:
                values.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                values.append(raw.decode("utf-8", "replace"))
                bad.append(i)
        text = pa.array(values, pa.string())
    return pc.utf8_rtrim(text, characters="\r\n"), np.array(bad, np.int64)


def _chunk(data: bytes, first_line: int) -> LineChunk:
    """The lines of ``data`` (which ends with LF), numbered from ``first_line``."""
    lines, bad = _decode(_split_lines(data))
    numbers = first_line + np.arange(len(lines), dtype=np.int64)
    return LineChunk(lines, numbers, numbers[bad])


def _looks_like_utf16(head: bytes) -> bool:
    """A UTF-16 byte-order mark, or NUL in every other byte (UTF-16 ASCII) at the start."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:256]
    if len(sample) < 16:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (
        min(even.count(0), odd.count(0)) == 0 and max(even.count(0), odd.count(0)) > len(odd) * 0.9
    )


def _first_block(block: bytes, source: str | os.PathLike[str] | IO[bytes]) -> bytes:
    """The file's first block without an editor's UTF-8 byte-order mark (no part of line 1).

    Raises:
        UnreadableLogError: the block is UTF-16 text.
    """
    if _looks_like_utf16(block):
        raise UnreadableLogError(
            f"{source_name(source) or 'the combat log'} looks like UTF-16 text, but the client "
            "writes UTF-8 (an editor probably re-saved it): import the original, or convert it "
            "(iconv -f UTF-16 -t UTF-8, or save as UTF-8)"
        )
    return block.removeprefix(_UTF8_BOM)


def head_lines(path: str | os.PathLike[str], size: int = HEAD_BYTES) -> tuple[pa.StringArray, bool]:
    """The lines in the first ``size`` bytes of the (decompressed) log, the last one possibly cut
    short, and whether they are the whole file. Reads at most ``size`` bytes, whatever the file.

    Raises:
        UnreadableLogError: as :func:`iter_line_chunks` at the start of the file: UTF-16 text,
            or a gzip stream that is truncated or corrupt before its first line.
        OSError: the file cannot be opened.
    """
    stream = _open_stream(path)
    try:
        head = next(_blocks(stream, size), b"")
    except OSError as exc:
        raise _unreadable(source_name(path), 0, exc) from exc
    finally:
        stream.close()
    data = _first_block(head, path)
    lines = _chunk(data if data.endswith(b"\n") else data + b"\n", 1).lines
    return lines, len(head) < size


def _blocks(stream: pa.NativeFile, size: int) -> Iterator[bytes]:
    """Blocks of about ``size`` bytes of the (decompressed) stream.

    Read in pieces of at most :data:`_PIECE_BYTES`: zlib raises on a truncated stream instead
    of returning what it inflated, so a damaged gzip loses at most one piece before the error,
    which is raised after the block holding what was read.
    """
    parts: list[bytes] = []
    held = 0
    try:
        while piece := stream.read(min(size, _PIECE_BYTES)):
            parts.append(piece)
            held += len(piece)
            if held >= size:
                yield b"".join(parts)
                parts, held = [], 0
    except OSError:
        if parts:
            yield b"".join(parts)
        raise
    if parts:
        yield b"".join(parts)


def _unreadable(name: str | None, lines_done: int, exc: OSError) -> UnreadableLogError:
    where = name or "the combat log"
    after = f"after line {lines_done:,}" if lines_done else "before its first line"
    if "truncated" in str(exc).lower():  # zlib: "Truncated compressed stream"
        return UnreadableLogError(
            f"{where} is truncated: its gzip stream ends early ({after})", lines_done
        )
    return UnreadableLogError(f"cannot read {where} ({after}): {exc}", lines_done)


def iter_line_chunks(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Iterator[LineChunk]:
    """Yield the file's lines chunk by chunk (a last line without LF included).

    Args:
        source: a path or a binary file object; gzip is detected by its magic bytes.
        chunk_bytes: approximate bytes per chunk; a longer line makes its chunk longer.

    Raises:
        UnreadableLogError: the gzip stream is truncated or corrupt (the chunks before the
            damage have been yielded by then).
    """
    stream = _open_stream(source)
    done = 0  # lines yielded so far
    pending = b""  # the start of a line whose LF is in a later block
    try:
        for number, block in enumerate(_blocks(stream, max(16, int(chunk_bytes)))):
            if number == 0:
                block = _first_block(block, source)
            data = pending + block if pending else block
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if cut:
                chunk = _chunk(data[:cut], done + 1)
                yield chunk
                done += len(chunk.lines)
        if pending:  # the last line, without its LF (a log cut off while it was written)
            yield _chunk(pending + b"\n", done + 1)
    except OSError as exc:  # the line cut short by the damage is not yielded
        raise _unreadable(source_name(source), done, exc) from exc
    finally:
        stream.close()
