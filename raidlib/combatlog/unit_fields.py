"""One unit event's rows as a table: each row's fields taken from the flattened field array
with the layout its log version and advanced-block width call for (see
:mod:`raidlib.combatlog.layouts`), and rows whose fields do not fit reported as malformed."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raidlib.combatlog.layouts import (
    BLOCK_CURRENT_POWER,
    GUID_REGEX,
    SUFFIXES,
    resolve_blocks,
    versions_at,
)
from raidlib.combatlog.owners import owner_from_odd_rows
from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.state import ParserState
from raidlib.combatlog.tables import NO_GUID
from raidlib.combatlog.tokenize import restore_commas, unquote
from raidlib.combatlog.values import NULL_STR, hex_col, hex_or_int, np_bool, parse_number

ROW_SCHEMA: tuple[tuple[str, pa.DataType], ...] = (
    ("line", pa.int64()),
    ("ts_ms", pa.int64()),
    ("event", pa.string()),
    ("kind", pa.string()),
    ("encounter", pa.int64()),
    ("src_guid", pa.string()),
    ("src_name", pa.string()),
    ("src_flags", pa.int64()),
    ("dst_guid", pa.string()),
    ("dst_name", pa.string()),
    ("dst_flags", pa.int64()),
    ("spell_id", pa.string()),
    ("spell_name", pa.string()),
    ("school", pa.int64()),
    ("info_guid", pa.string()),
    ("owner_guid", pa.string()),
    ("cur_hp", pa.float64()),
    ("max_hp", pa.float64()),
    ("cur_power", pa.float64()),
    ("amount", pa.float64()),
    ("over", pa.float64()),
    ("absorbed", pa.float64()),
    ("resisted", pa.float64()),
    ("blocked", pa.float64()),
    ("critical", pa.bool_()),
    ("power_type", pa.float64()),
)
ROW_TABLE_SCHEMA = pa.schema(ROW_SCHEMA)
_TAGS = pa.array(["AOE", "ST"])


def gather_kind(
    kind: str,
    event: str,
    prefix: int,
    lists: pa.ListArray,
    fixed: bool,
    rows: np.ndarray,
    pos: np.ndarray,
    line_nos: np.ndarray,
    ts: np.ndarray,
    encs: np.ndarray,
    state: ParserState,
    report: ParseReport,
) -> pa.Table | None:
    """The :data:`ROW_SCHEMA` table of one unit event's ``rows`` (never empty), or ``None``
    when none of them has the fields its version's layout needs."""
    offsets = lists.offsets.to_numpy()
    starts = offsets[pos[rows]]
    counts = offsets[pos[rows] + 1] - starts
    fitting = _fitting_rows(
        kind, event, prefix, lists.values, starts, counts, line_nos[rows], state, report
    )
    if fitting is None:
        return None
    keep, block, legacy, info = fitting
    rows = rows[keep]
    fields = _Fields(lists.values, starts[keep], fixed)
    lines_here = line_nos[rows]
    first = pa.array(np.zeros(len(rows), np.int64))  # the one value, repeated on every row
    out: dict[str, Any] = {
        "line": lines_here,
        "ts_ms": ts[rows],
        "event": pa.array([event]).take(first),
        "kind": pa.array([kind]).take(first),
        "encounter": encs[rows],
        "src_guid": fields.col(1),
        "src_name": fields.text(2),
        "src_flags": hex_col(fields.col(3)),
        "dst_guid": fields.col(5),
        "dst_name": fields.text(6),
        "dst_flags": hex_col(fields.col(7)),
        **_spell_columns(fields, prefix, len(rows)),
        **_block_columns(fields, event, prefix, block, info, lines_here, report),
    }
    out.update(_suffix_columns(fields, kind, event, prefix + block, legacy, lines_here, report))
    if kind == "environmental":  # damage from no unit: falling, lava, drowning …
        out.update(_environment_columns(fields, prefix + block, len(rows)))
    return pa.table(
        [pa.array(out[name], type=t) for name, t in ROW_SCHEMA], schema=ROW_TABLE_SCHEMA
    )


class _Fields(NamedTuple):
    """The gathered rows' fields: ``flat`` holds every field, row ``i``'s first at
    ``starts[i]``; ``fixed``: names had their commas escaped before splitting."""

    flat: pa.Array
    starts: np.ndarray
    fixed: bool

    def col(self, offset: np.ndarray | int) -> pa.Array:
        return self.flat.take(pa.array(self.starts + offset))

    def text(self, offset: int) -> pa.Array:
        values = unquote(self.col(offset))
        return restore_commas(values) if self.fixed else values


def _fitting_rows(
    kind: str,
    event: str,
    prefix: int,
    flat: pa.Array,
    starts: np.ndarray,
    counts: np.ndarray,
    lines: np.ndarray,
    state: ParserState,
    report: ParseReport,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array] | None:
    """Which rows have a field count their version's layout allows and a GUID where their
    advanced block starts: ``(keep, block width, legacy suffix, block's first field)`` of the
    kept rows, or ``None`` when none is. The others are malformed lines; a pet owner they name
    is still noted."""
    last = flat.take(pa.array(starts + counts - 1))
    tagged = np_bool(pc.is_in(last, _TAGS)) if kind == "damage" else np.zeros(len(starts), bool)
    versions = versions_at(lines, state.header_lines, state.header_versions)
    block, legacy, fits = resolve_blocks(kind, prefix, counts, tagged, versions)
    info = _field_at_offset(flat, starts + prefix, fits & (block > 0))
    valid = fits & np_bool(pc.fill_null(pc.match_substring_regex(info, GUID_REGEX), True))
    if valid.all():
        return valid, block, legacy, info
    bad_guids = info.filter(pa.array(~valid)).to_pylist()
    for line, cnt, guid in zip(lines[~valid], counts[~valid], bad_guids, strict=True):
        if guid is None:
            why = f"unexpected field count {cnt}"
        else:  # the count fits, but the fields are shifted
            why = f"{cnt} fields, but the advanced block starts with {guid!r}, not a GUID"
        report.add_malformed(line, f"{event}: {why}")
    owner_from_odd_rows(flat, starts[~valid], counts[~valid], prefix, lines[~valid], state)
    if not valid.any():
        return None
    return valid, block[valid], legacy[valid], info.filter(pa.array(valid))


def _spell_columns(fields: _Fields, prefix: int, n: int) -> dict[str, Any]:
    """The spell's id, name and school; SWING_DAMAGE (no spell prefix) is melee."""
    if prefix == 12:
        return {
            "spell_id": fields.col(9),
            "spell_name": fields.text(10),
            "school": hex_col(fields.col(11)),
        }
    return {
        "spell_id": pa.array(["6603"] * n),
        "spell_name": pa.array(["Melee"] * n),
        "school": pa.array([1] * n, pa.int64()),
    }


def _environment_columns(fields: _Fields, suffix_start: np.ndarray, n: int) -> dict[str, Any]:
    """ENVIRONMENTAL_DAMAGE is damage like any other, done by ``environment`` (as a death
    outside a pull is), its ability the environmental type that the suffix starts with."""
    environment = pa.array(["environment"] * n)
    return {
        "kind": pa.array(["damage"] * n),
        "src_guid": environment,
        "src_name": environment,
        "spell_id": pa.nulls(n, pa.string()),
        "spell_name": fields.col(suffix_start),
    }


def _block_columns(
    fields: _Fields,
    event: str,
    prefix: int,
    block: np.ndarray,
    info: pa.Array,
    lines: np.ndarray,
    report: ParseReport,
) -> dict[str, Any]:
    """The advanced block, where logged: the described unit and its owner, its current and
    maximum health, and its current power (null and NaN where there is no block)."""
    n = len(block)
    has_block = block > 0
    if not has_block.any():
        nulls = pa.nulls(n, pa.string())
        nans = np.full(n, np.nan)
        return {
            "info_guid": nulls,
            "owner_guid": nulls,
            "cur_hp": nans,
            "max_hp": nans,
            "cur_power": nans,
        }
    b = np.where(has_block, prefix, 0)
    # ``info``, the block's first field, was taken for the GUID check
    owner = pc.if_else(pa.array(has_block), fields.col(b + 1), NULL_STR)
    zero = np_bool(pc.fill_null(pc.equal(info, NO_GUID), True))
    power_at = np.array([BLOCK_CURRENT_POWER.get(int(w), 0) for w in block])

    def number(at: np.ndarray | int, what: str) -> np.ndarray:
        return parse_number(fields.col(b + at), lines, f"{event} {what}", report, ~zero)

    return {
        "info_guid": pc.if_else(pa.array(zero), NULL_STR, info),
        "owner_guid": pc.if_else(pa.array(zero), NULL_STR, owner),
        "cur_hp": number(2, "currentHP"),
        "max_hp": number(3, "maxHP"),
        "cur_power": number(power_at, "currentPower"),
    }


def _suffix_columns(
    fields: _Fields,
    kind: str,
    event: str,
    suffix_start: np.ndarray,
    legacy: np.ndarray,
    lines: np.ndarray,
    report: ParseReport,
) -> dict[str, Any]:
    """Amount, overkill or overhealing, absorbed, resisted, blocked, power type and critical,
    each row read with its version's suffix layout; for damage also the school dealt, which
    beats the spell's school."""
    n = len(legacy)
    out: dict[str, Any] = {}
    for is_legacy in (False, True):
        part = legacy == is_legacy
        if not part.any():
            continue
        suffix = SUFFIXES[(kind, is_legacy)]
        for name in ("amount", "over", "absorbed", "resisted", "blocked", "power_type"):
            at = getattr(suffix, name)
            out.setdefault(name, np.full(n, np.nan))
            if at < 0:
                continue
            what = f"{event} {_FIELD_NAMES[name]}"
            values = parse_number(fields.col(suffix_start + at), lines, what, report)
            out[name] = np.where(part, values, out[name])
        if suffix.critical >= 0:
            crit = np_bool(pc.equal(fields.col(suffix_start + suffix.critical), "1"))
            out.setdefault("critical", np.zeros(n, bool))
            out["critical"] = np.where(part, crit, out["critical"])
    out.setdefault("critical", np.zeros(n, bool))
    if kind in ("damage", "environmental"):
        at = np.where(legacy, SUFFIXES[(kind, True)].school, SUFFIXES[(kind, False)].school)
        out["school"] = hex_or_int(fields.col(suffix_start + at))
    return out


def _field_at_offset(flat: pa.Array, at: np.ndarray, mask: np.ndarray) -> pa.Array:
    """``flat[at[i]]`` where ``mask[i]`` (the caller's guarantee: inside row ``i``), else null."""
    return pc.if_else(pa.array(mask), flat.take(pa.array(np.where(mask, at, 0))), NULL_STR)


_FIELD_NAMES = {
    "amount": "amount",
    "over": "overkill/overhealing",
    "absorbed": "absorbed",
    "resisted": "resisted",
    "blocked": "blocked",
    "power_type": "powerType",
}
"""Suffix fields as COMBATLOG-FORMAT names them, for malformed-line reasons."""
