"""Field text → numbers for the combat log parser: Arrow arrays in, numpy out, with each bad
value reported as a malformed line naming the field."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raidlib.combatlog.report import ParseReport

NULL_STR = pa.scalar(None, pa.string())


def np_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow boolean result as a numpy mask (a null counts as False)."""
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def parse_hex(value: str) -> int | None:
    """A hex field (unit flags, ``0x514``) as an int, or None when it is not hex."""
    try:
        return int(value, 16)
    except ValueError:
        return None


def parse_number(
    values: pa.Array,
    line_nos: np.ndarray,
    what: str,
    report: ParseReport,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """String field -> float64 (``nil`` -> NaN); unparsable -> NaN + a malformed report.

    ``what`` names the event and the field (``SPELL_DAMAGE amount``) in that report.
    """
    cleaned = pc.if_else(pc.equal(values, "nil"), NULL_STR, values)
    try:
        out = pc.cast(cleaned, pa.float64())
    except pa.ArrowInvalid:
        if mask is not None:
            # advanced-block fields: multi-resource units write "47|5": keep the first value
            cleaned = pc.replace_substring_regex(cleaned, r"\|.*$", "")
        try:
            out = pc.cast(cleaned, pa.float64())
        except pa.ArrowInvalid:
            out = None
    if out is None:
        good = pc.match_substring_regex(cleaned, r"^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$")
        good_np = np_bool(pc.fill_null(good, True))
        check = ~good_np if mask is None else (~good_np & mask)
        bad_values = cleaned.filter(pa.array(check)).to_pylist()
        for line, value in zip(line_nos[check], bad_values, strict=True):
            report.add_malformed(line, f"{what} is not a number: {value!r}")
        out = pc.cast(pc.if_else(pa.array(good_np), cleaned, NULL_STR), pa.float64())
    arr = out.to_numpy(zero_copy_only=False).astype(np.float64)
    if mask is not None:
        arr = np.where(mask, arr, np.nan)
    return arr


def hex_col(values: pa.Array) -> np.ndarray:
    """``0x514`` -> 1300 (dictionary-encoded: each distinct flag parsed once)."""
    enc = pc.dictionary_encode(values)
    flags = [parse_hex(v) if v is not None else None for v in enc.dictionary.to_pylist()]
    parsed = np.array([-1 if v is None else v for v in flags], dtype=np.int64)
    indices = enc.indices.to_numpy(zero_copy_only=False)
    return parsed[indices] if len(parsed) else np.full(len(values), -1, np.int64)


def hex_or_int(values: pa.Array) -> np.ndarray:
    """School fields: hex (``0x20``) in most rows, decimal (``32``) in the damage suffix."""
    enc = pc.dictionary_encode(values)
    out = []
    for v in enc.dictionary.to_pylist():
        try:
            out.append(int(v, 16) if v.startswith("0x") else int(v))
        except (ValueError, AttributeError):
            out.append(-1)
    parsed = np.array(out, dtype=np.int64)
    indices = enc.indices.to_numpy(zero_copy_only=False)
    return parsed[indices] if len(parsed) else np.full(len(values), -1, np.int64)
