"""Stream a combat log as chunks of lines (plain or gzip, detected by magic bytes).

Lines are cut by Arrow's CSV reader with a delimiter that never occurs in a log, so the whole
split happens in C++ and a multi-GB file never has to fit in memory. A line that does contain
that byte is reported (with its line number), never dropped silently.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

GZIP_MAGIC = b"\x1f\x8b"
_DELIMITER = "\x01"
DEFAULT_CHUNK_BYTES = 32 << 20


@dataclass
class LineChunk:
    """One chunk: its lines (strings, CR stripped) and their 1-based line numbers."""

    lines: pa.StringArray
    line_numbers: np.ndarray


@dataclass
class _Rejected:
    rows: list[tuple[int, str]] = field(default_factory=list)

    def __call__(self, row: Any) -> str:
        self.rows.append((int(row.number) if row.number is not None else -1, str(row.text)))
        return "skip"


def _open_stream(source: str | os.PathLike[str] | IO[bytes]) -> pa.NativeFile:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            magic = fh.read(2)
        compression = "gzip" if magic == GZIP_MAGIC else None
        return pa.input_stream(os.fspath(source), compression=compression)
    raw: Any = source  # any binary file object; peek() below needs a buffered one
    if not hasattr(raw, "peek"):
        raw = io.BufferedReader(raw)
    magic = raw.peek(2)[:2]
    stream = pa.PythonFile(raw, mode="r")
    if magic == GZIP_MAGIC:
        return pa.CompressedInputStream(stream, "gzip")
    return stream


def _decode(col: pa.Array) -> pa.StringArray:
    """Binary -> UTF-8 strings; undecodable bytes become U+FFFD instead of failing the chunk."""
    try:
        return col.cast(pa.string())
    except pa.ArrowInvalid:
        values = [b.decode("utf-8", "replace") if b is not None else "" for b in col.to_pylist()]
        return pa.array(values, pa.string())


def iter_line_chunks(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    rejected: list[tuple[int, str]] | None = None,
    use_threads: bool = False,
) -> Iterator[LineChunk]:
    """Yield the file's lines chunk by chunk.

    Args:
        source: a path or a binary file object; gzip is detected by its magic bytes.
        chunk_bytes: approximate bytes per chunk (Arrow's block size).
        rejected: receives ``(line_number, text)`` of lines the splitter could not take
            (lines holding a 0x01 byte); the caller reports them as malformed.
        use_threads: let Arrow parse blocks on several threads (off: one core).
    """
    handler = _Rejected()
    read_opts = pcsv.ReadOptions(
        column_names=["line"], block_size=max(1 << 16, int(chunk_bytes)), use_threads=use_threads
    )
    parse_opts = pcsv.ParseOptions(
        delimiter=_DELIMITER,
        quote_char=False,
        escape_char=False,
        newlines_in_values=False,
        ignore_empty_lines=False,
        invalid_row_handler=handler,
    )
    convert_opts = pcsv.ConvertOptions(
        column_types={"line": pa.binary()},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    stream = _open_stream(source)
    consumed = 0  # file rows (kept or rejected) accounted for so far
    reported = 0
    try:
        reader = pcsv.open_csv(
            stream, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts
        )
        for batch in reader:
            col = batch.column(0)
            n = len(col)
            if n == 0:
                continue
            numbers = consumed + 1 + np.arange(n, dtype=np.int64)
            # Rejected rows are not in the batch: shift the numbers of the rows after them.
            for num in sorted(r[0] for r in handler.rows if r[0] > consumed):
                numbers[numbers >= num] += 1
            consumed = int(numbers[-1])
            if rejected is not None:
                rejected.extend(handler.rows[reported:])
                reported = len(handler.rows)
            yield LineChunk(_decode(col), numbers)
    finally:
        stream.close()
    if rejected is not None:
        rejected.extend(handler.rows[reported:])
