"""The *unit* rows raidlib maps (damage, heal, energize, cast success), the bulk of a log:
split with Arrow kernels, their advanced block width derived per row from the field count, and
the needed fields gathered with ``take`` on the flattened field array — no Python per row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from raidlib.combatlog.layouts import (
    BLOCK_CURRENT_POWER,
    GUID_REGEX,
    NAME_FIELDS,
    SUFFIXES,
    UNIT_EVENTS,
    resolve_blocks,
    versions_at,
)
from raidlib.combatlog.owners import (
    attribute_to_owners,
    learn_owners,
    learn_owners_outside,
    owner_from_odd_rows,
)
from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.state import DatedLines, Encounter, ParserState
from raidlib.combatlog.tables import NO_GUID
from raidlib.combatlog.tokenize import restore_commas, split_fields, unquote
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
_SCHEMA = pa.schema(ROW_SCHEMA)
ROW_COLUMNS = (*(name for name, _ in ROW_SCHEMA), "actor_guid", "actor_name", "pet_name")
_TAGS = pa.array(["AOE", "ST"])


def empty_rows() -> pd.DataFrame:
    """No unit rows, with the columns and dtypes of :func:`unit_rows`' frame."""
    rows = _SCHEMA.empty_table().to_pandas()
    for name in ("actor_guid", "actor_name", "pet_name"):
        rows[name] = pd.Series(dtype="str")
    return rows


def unit_rows(
    chunk: DatedLines, idx: np.ndarray, state: ParserState, report: ParseReport, scope: str
) -> pd.DataFrame:
    """The unit rows at ``idx`` of a chunk (columns :data:`ROW_COLUMNS`, in line order,
    credited to pets' owners), after the scope's filter. Malformed rows go to ``report``."""
    encs = _encounter_of(chunk.numbers[idx], state.encounters)
    if scope == "encounter":
        inside = encs >= 0
        report.skip("outside_encounter", int((~inside).sum()))
        # Owner links must still be learned outside pulls (pets are summoned before them).
        learn_owners_outside(chunk, idx[~inside], state)
        idx, encs = idx[inside], encs[inside]
        if not len(idx):
            return empty_rows()
    sel = pa.array(idx)
    lists, pos, fixed = split_fields(chunk.lines.take(sel), NAME_FIELDS)
    events = chunk.events.take(sel)
    relisted = pos >= len(idx)  # rows re-split after protecting quoted commas
    frames = []
    for event, (kind, prefix) in UNIT_EVENTS.items():
        mask = np_bool(pc.equal(events, event))
        for part in (~relisted, relisted) if fixed else (~relisted,):
            chosen = np.flatnonzero(mask & part)
            if len(chosen):
                frames.append(
                    _gather_kind(
                        kind,
                        event,
                        prefix,
                        lists[1] if part is relisted else lists[0],
                        fixed and part is relisted,
                        chosen,
                        pos - len(idx) if part is relisted else pos,
                        chunk.numbers[idx],
                        chunk.ts_ms[idx],
                        encs,
                        state,
                        report,
                    )
                )
    frames = [f for f in frames if f is not None and f.num_rows]
    if not frames:
        return empty_rows()
    table = pa.concat_tables(frames)
    table = table.take(pc.sort_indices(table["line"]))
    rows = table.to_pandas()
    rows["actor_guid"] = rows["src_guid"]
    rows["actor_name"] = rows["src_name"]
    rows["pet_name"] = pd.Series(pd.NA, index=rows.index, dtype="str")
    learn_owners(rows, state)
    attribute_to_owners(rows, state)
    return rows


def _encounter_of(line_numbers: np.ndarray, encounters: list[Encounter]) -> np.ndarray:
    """Index of the encounter each line falls in (START..END inclusive), -1 outside."""
    if not encounters:
        return np.full(len(line_numbers), -1, np.int64)
    starts = np.array([e.start_line for e in encounters], np.int64)
    ends = np.array(
        [e.end_line if e.end_line is not None else np.iinfo(np.int64).max for e in encounters],
        np.int64,
    )
    pos = np.searchsorted(starts, line_numbers, side="right") - 1
    inside = (pos >= 0) & (line_numbers <= ends[np.clip(pos, 0, None)])
    return np.where(inside, pos, -1)


def _gather_kind(
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
    offsets = lists.offsets.to_numpy()
    flat = lists.values
    starts = offsets[pos[rows]]
    n = offsets[pos[rows] + 1] - starts
    last = flat.take(pa.array(starts + n - 1))
    tagged = np_bool(pc.is_in(last, _TAGS)) if kind == "damage" else np.zeros(len(rows), bool)
    versions = versions_at(line_nos[rows], state.header_lines, state.header_versions)
    block, legacy, fits = resolve_blocks(kind, prefix, n, tagged, versions)
    info = _field_at_offset(flat, starts + prefix, fits & (block > 0))
    valid = fits & np_bool(pc.fill_null(pc.match_substring_regex(info, GUID_REGEX), True))
    if not valid.all():
        bad_guids = info.filter(pa.array(~valid)).to_pylist()
        for r, cnt, guid in zip(rows[~valid], n[~valid], bad_guids, strict=True):
            if guid is None:
                why = f"unexpected field count {cnt}"
            else:  # the count fits, but the fields are shifted
                why = f"{cnt} fields, but the advanced block starts with {guid!r}, not a GUID"
            report.add_malformed(line_nos[r], f"{event}: {why}")
        owner_from_odd_rows(flat, starts[~valid], n[~valid], prefix, line_nos[rows[~valid]], state)
        rows, starts, block, legacy = rows[valid], starts[valid], block[valid], legacy[valid]
        info = info.filter(pa.array(valid))
        if not len(rows):
            return None
    lines_here = line_nos[rows]

    def col(offset: np.ndarray | int) -> pa.Array:
        return flat.take(pa.array(starts + offset))

    def text(offset: int) -> pa.Array:
        values = unquote(col(offset))
        return restore_commas(values) if fixed else values

    out: dict[str, Any] = {
        "line": lines_here,
        "ts_ms": ts[rows],
        "event": pa.array([event]).take(pa.array(np.zeros(len(rows), np.int64))),
        "kind": pa.array([kind]).take(pa.array(np.zeros(len(rows), np.int64))),
        "encounter": encs[rows],
        "src_guid": col(1),
        "src_name": text(2),
        "src_flags": hex_col(col(3)),
        "dst_guid": col(5),
        "dst_name": text(6),
        "dst_flags": hex_col(col(7)),
    }
    if prefix == 12:
        out["spell_id"] = col(9)
        out["spell_name"] = text(10)
        out["school"] = hex_col(col(11))
    else:  # SWING_DAMAGE: melee auto attack
        out["spell_id"] = pa.array(["6603"] * len(rows))
        out["spell_name"] = pa.array(["Melee"] * len(rows))
        out["school"] = pa.array([1] * len(rows), pa.int64())
    has_block = block > 0
    b = np.where(has_block, prefix, 0)
    if has_block.any():  # ``info``, the block's first field, was taken for the GUID check
        owner = pc.if_else(pa.array(has_block), col(b + 1), NULL_STR)
        zero = np_bool(pc.fill_null(pc.equal(info, NO_GUID), True))
        out["info_guid"] = pc.if_else(pa.array(zero), NULL_STR, info)
        out["owner_guid"] = pc.if_else(pa.array(zero), NULL_STR, owner)
        out["cur_hp"] = parse_number(col(b + 2), lines_here, f"{event} currentHP", report, ~zero)
        out["max_hp"] = parse_number(col(b + 3), lines_here, f"{event} maxHP", report, ~zero)
        power_at = np.array([BLOCK_CURRENT_POWER.get(int(w), 0) for w in block])
        out["cur_power"] = parse_number(
            col(b + power_at), lines_here, f"{event} currentPower", report, ~zero
        )
    else:
        for name in ("info_guid", "owner_guid"):
            out[name] = pa.nulls(len(rows), pa.string())
        for name in ("cur_hp", "max_hp", "cur_power"):
            out[name] = np.full(len(rows), np.nan)
    s_start = prefix + block
    for is_legacy in (False, True):
        part = legacy == is_legacy
        if not part.any():
            continue
        suffix = SUFFIXES[(kind, is_legacy)]
        for name in ("amount", "over", "absorbed", "resisted", "blocked", "power_type"):
            pos = getattr(suffix, name)
            key = name
            if pos < 0:
                out.setdefault(key, np.full(len(rows), np.nan))
                continue
            values = parse_number(
                col(s_start + pos), lines_here, f"{event} {_FIELD_NAMES[name]}", report
            )
            out.setdefault(key, np.full(len(rows), np.nan))
            out[key] = np.where(part, values, out[key])
        if suffix.critical >= 0:
            crit = np_bool(pc.equal(col(s_start + suffix.critical), "1"))
            out.setdefault("critical", np.zeros(len(rows), bool))
            out["critical"] = np.where(part, crit, out["critical"])
    out.setdefault("critical", np.zeros(len(rows), bool))
    if kind == "damage":
        # the suffix's school (the damage actually dealt) beats the spell's school
        s_pos = np.where(legacy, SUFFIXES[(kind, True)].school, SUFFIXES[(kind, False)].school)
        out["school"] = hex_or_int(col(s_start + s_pos))
    return pa.table([pa.array(out[name], type=t) for name, t in ROW_SCHEMA], schema=_SCHEMA)


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
