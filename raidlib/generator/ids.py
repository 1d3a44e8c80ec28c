"""Identifiers drawn from a seeded generator, so a seed reproduces every id."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Byte value → its two lowercase hex digits, as one little-endian uint16 (first digit low).
_HEX = b"0123456789abcdef"
_HEX_PAIRS = np.array([_HEX[b >> 4] | (_HEX[b & 0x0F] << 8) for b in range(256)], dtype="<u2")
# (source digit range, destination column) of the four dashed groups after the first.
_GROUPS = ((8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24))


def uuid4_bytes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` canonical uuid4 strings as an ``(n, 36)`` uint8 array of ASCII characters.

    The 128 bits come from ``rng``; the version (4) and variant (RFC 4122) bits are then set, so
    the ids look and parse like ``uuid.uuid4()`` but are reproducible from the seed.
    """
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = _HEX_PAIRS[raw].view(np.uint8)  # (n, 32)
    out = np.empty((n, 36), dtype=np.uint8)
    out[:, 0:8] = digits[:, 0:8]
    for lo, hi, dest in _GROUPS:
        out[:, dest - 1] = ord("-")
        out[:, dest : dest + hi - lo] = digits[:, lo:hi]
    return out


def uuid4_arrow(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` seeded uuid4 strings as an Arrow ``large_string`` array (no per-id Python object)."""
    chars = np.ascontiguousarray(uuid4_bytes(rng, n))
    offsets = np.arange(0, 36 * n + 1, 36, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)]
    )


def uuid4_strings(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` seeded uuid4 strings as Python ``str`` (for the few ids outside a frame)."""
    return [row.tobytes().decode("ascii") for row in uuid4_bytes(rng, n)]
