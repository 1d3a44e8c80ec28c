"""Tokenizers for combat log lines: a Python one for rare rows, a vectorised one for the bulk.

A line is ``<timestamp>  <EVENT>,<field>,<field>,...``. Fields are separated by commas, except
commas inside a double-quoted string (names such as ``"Dimensius, the All-Devouring"``; quotes
are never escaped inside names) or inside ``[...]``/``(...)`` groups (COMBATANT_INFO talents,
items, auras). COMBATLOG-FORMAT §1, §11 item 3.

* :func:`tokenize` is the reference tokenizer (quote- and bracket-aware, pure Python). It is used
  for the few control rows (COMBATANT_INFO, ENCOUNTER_*, headers) and by the tests.
* :func:`split_fields` splits a pyarrow string array of unit-event rows with Arrow compute
  kernels; only rows that hold a comma inside quotes take an extra (still vectorised) pass.
  Unit events carry no bracket groups, so quote-awareness is enough there.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_OPEN = {"[": "]", "(": ")"}
_CLOSE = {"]", ")"}

# A comma inside a quoted string: after an even number of quotes, an opening quote followed by
# non-quote characters up to a comma (RE2 syntax, anchored, linear time).
_QUOTED_COMMA = r'^((?:[^"]*"[^"]*")*[^"]*"[^",]*),'
_PLACEHOLDER = "\x1f"  # unit separator; never appears in a log line


def tokenize(text: str) -> list[str]:
    """Split the comma-separated part of one line into fields.

    Quoted fields come back without their quotes; ``[..]``/``(..)`` groups come back as one raw
    field (brackets, nested groups and any quotes inside kept verbatim). Unbalanced quotes or
    brackets run to the end of the line (nothing is dropped).
    """
    fields: list[str] = []
    buf: list[str] = []
    depth = 0
    in_quotes = False
    quoted_field = False
    for ch in text:
        if in_quotes:
            if ch == '"':
                in_quotes = False
                if depth:
                    buf.append(ch)
            else:
                buf.append(ch)
        elif ch == '"':
            in_quotes = True
            if depth:
                buf.append(ch)
            elif not buf:
                quoted_field = True
            else:
                buf.append(ch)
        elif depth:
            buf.append(ch)
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth -= 1
        elif ch == ",":
            fields.append("".join(buf))
            buf = []
            quoted_field = False
        else:
            if ch in _OPEN and not buf and not quoted_field:
                depth = 1
            buf.append(ch)
    fields.append("".join(buf))
    return fields


def split_line(line: str) -> tuple[str, list[str]] | None:
    """``"<ts>  EVENT,a,b"`` -> ``("<ts>", ["EVENT", "a", "b"])``; None without the separator."""
    ts, sep, rest = line.partition("  ")
    if not sep:
        ts, sep, rest = line.partition("\t")
        if not sep:
            return None
    return ts, tokenize(rest)


def split_fields(
    lines: pa.Array, name_fields: tuple[int, ...] | None = None
) -> tuple[tuple[pa.ListArray, pa.ListArray], np.ndarray, bool]:
    """Split rows on commas outside quotes, vectorised.

    Rows are first split on every comma. Rows where a quoted string held a comma are found
    either by checking the fields that can hold quoted names (``name_fields``: a piece that
    opens a quote without closing it) or, when None, with an RE2 scan of every row; only those
    rows are re-split after the quoted commas are swapped for a placeholder. Bracket groups
    are *not* respected; use :func:`tokenize` for COMBATANT_INFO-like rows.

    Returns:
        ``((plain, relisted), pos, had_placeholders)``: two list arrays of raw fields (quotes
        still on). Row ``i``'s fields are ``plain[pos[i]]`` when ``pos[i] < len(lines)``, else
        ``relisted[pos[i] - len(lines)]`` (rows re-split with placeholders in quoted commas;
        pass their quoted fields through :func:`restore_commas`).
    """
    lists = pc.split_pattern(lines, ",")
    n = len(lines)
    pos = np.arange(n, dtype=np.int64)
    empty = pa.array([], pa.list_(pa.string()))
    if n == 0:
        return (lists, empty), pos, False
    if name_fields is None:
        broken = _np(pc.match_substring_regex(lines, _QUOTED_COMMA))
    else:
        offsets = lists.offsets.to_numpy()
        starts, counts = offsets[:-1], np.diff(offsets)
        broken = np.zeros(n, bool)
        for k in name_fields:
            has = counts > k
            piece = lists.values.take(pa.array(np.where(has, starts + k, 0)))
            opened = pc.and_(
                pc.starts_with(piece, '"'),
                pc.or_(pc.invert(pc.ends_with(piece, '"')), pc.equal(pc.utf8_length(piece), 1)),
            )
            broken |= has & _np(opened)
    if not broken.any():
        return (lists, empty), pos, False
    work = lines.filter(pa.array(broken))
    # One quoted comma per pass; names with several commas need a few passes.
    for _ in range(64):
        hit = pc.match_substring_regex(work, _QUOTED_COMMA)
        if not pc.any(hit).as_py():
            break
        work = pc.replace_substring_regex(work, _QUOTED_COMMA, "\\1" + _PLACEHOLDER)
    pos[broken] = n + np.arange(int(broken.sum()), dtype=np.int64)
    relisted = pc.split_pattern(work, ",")
    return (lists, relisted), pos, True


def _np(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def restore_commas(values: pa.Array) -> pa.Array:
    """Undo the placeholder that :func:`split_fields` put into quoted commas."""
    return pc.replace_substring(values, _PLACEHOLDER, ",")


def unquote(values: pa.Array) -> pa.Array:
    """Strip one pair of surrounding double quotes; ``nil`` (an empty unit name) -> null."""
    quoted = pc.and_(pc.starts_with(values, '"'), pc.ends_with(values, '"'))
    stripped = pc.if_else(quoted, pc.utf8_slice_codeunits(values, 1, -1), values)
    return pc.if_else(pc.equal(values, "nil"), pa.scalar(None, pa.string()), stripped)
