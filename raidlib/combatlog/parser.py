"""Streaming combat log parser: chunks of lines in, typed columnar chunks out.

Per chunk of lines (Arrow string array, see :mod:`raidlib.combatlog.reader`):

1. one anchored RE2 pass pulls ``<timestamp>`` and the event name out of every line; lines
   without that shape are reported as malformed (line number + reason);
2. the few *control* rows (header, ENCOUNTER_START/END, COMBATANT_INFO, UNIT_DIED,
   SPELL_SUMMON/CREATE) go through the Python tokenizer in line order and update the state
   (encounters, combatants, pet owners);
3. the *unit* rows raidlib maps (damage, heal, energize, cast success; see
   :data:`~raidlib.combatlog.layouts.UNIT_EVENTS`) are split with Arrow kernels, their advanced
   block width is derived per row from the field count (a block must start with a GUID, see
   :data:`~raidlib.combatlog.layouts.GUID_REGEX`), and the needed fields are gathered
   with ``take`` on the flattened field array: no Python per unit row.

Pets and guardians are attributed to their owners from (a) SPELL_SUMMON/SPELL_CREATE
(dest -> source), (b) the advanced block's ownerGUID whenever the block describes the pet
itself (its SWING_DAMAGE and SPELL_CAST_SUCCESS rows, or a row that hits it), and (c) a pet's
damage row whose block names a player unit that is neither source nor dest (the convention of
the ``owner-attribution-edge-spell-seed`` fixture; real clients never write it, so it cannot
misfire). Attribution is causal: a row is credited to an owner only if the link was seen on
that row or earlier, so results do not depend on the chunk size. A pet whose owner is never
learned stays unattributed (``actor_guid`` = the pet). Owner links survive header rewrites:
pet GUIDs are unique per summon, while permanent pets are summoned long before a pull.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from raidlib.combatlog.layouts import (
    BLOCK_CURRENT_POWER,
    GUID_REGEX,
    SUFFIXES,
    UNIT_EVENTS,
    resolve_blocks,
    versions_at,
)
from raidlib.combatlog.reader import DEFAULT_CHUNK_BYTES, iter_line_chunks, source_name
from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.tables import (
    DIFFICULTIES,
    FLAG_TYPE_GUARDIAN,
    FLAG_TYPE_PET,
    FLAG_TYPE_PLAYER,
    NO_GUID,
    SPECS,
)
from raidlib.combatlog.timestamps import ClockState, parse_timestamps
from raidlib.combatlog.tokenize import restore_commas, split_fields, split_line, unquote

HEAD_REGEX = r"^(?P<ts>\S+ \S+)(?:  |\t)(?P<ev>[A-Z][A-Z0-9_]*)"
# C0 control characters other than TAB (a CR inside a line included): never in a log the
# client wrote, so the line is damaged
CONTROL_BYTES = r"[\x00-\x08\x0a-\x1f]"
CONTROL_EVENTS = (
    "COMBAT_LOG_VERSION",
    "ENCOUNTER_START",
    "ENCOUNTER_END",
    "COMBATANT_INFO",
    "UNIT_DIED",
    "SPELL_SUMMON",
    "SPELL_CREATE",
)
# Rows that are deliberately not mapped, with the reason recorded in ParseReport.skipped.
IGNORED_EVENTS = {
    "SWING_DAMAGE_LANDED": "swing_damage_landed_duplicate",  # repeats SWING_DAMAGE (§3)
    "DAMAGE_SPLIT": "damage_split_not_damage_done",  # §11 item 7
    "SPELL_DAMAGE_SUPPORT": "support_row_double_count",  # §5.4
    "SPELL_PERIODIC_DAMAGE_SUPPORT": "support_row_double_count",
    "RANGE_DAMAGE_SUPPORT": "support_row_double_count",
    "SWING_DAMAGE_SUPPORT": "support_row_double_count",
    "SWING_DAMAGE_LANDED_SUPPORT": "support_row_double_count",
    "SPELL_HEAL_SUPPORT": "support_row_double_count",
    "SPELL_PERIODIC_HEAL_SUPPORT": "support_row_double_count",
}
SCOPES = ("encounter", "all")
NAME_FIELDS = (2, 6, 10)  # quoted source, dest and spell names
_GROUP_START = re.compile(r",[\[(]")
_FILE_DATE = re.compile(r"WoWCombatLog-(\d{2})(\d{2})(\d{2})_")
_TAGS = pa.array(["AOE", "ST"])
_NULL_STR = pa.scalar(None, pa.string())

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


@dataclass
class Encounter:
    """One pull (ENCOUNTER_START .. ENCOUNTER_END) as the parser saw it."""

    index: int
    game_id: int
    name: str
    difficulty_id: int
    group_size: int | None
    instance_id: int | None
    pull: int
    start_line: int
    start_ms: int
    end_line: int | None = None
    end_ms: int | None = None
    success: bool | None = None
    fight_time_ms: int | None = None
    boss_guid: str | None = None
    boss_first_line: int | None = None

    @property
    def encounter_id(self) -> str:
        """raidlib's encounter id: ``<encounterId>-<pull number within the night>``."""
        return f"{self.game_id}-{self.pull}"

    @property
    def difficulty(self) -> str | None:
        return DIFFICULTIES.get(self.difficulty_id)

    @property
    def short_name(self) -> str:
        """The boss unit's usual name: the part before a comma ("Dimensius, the ...")."""
        return self.name.split(",", 1)[0].strip()


@dataclass
class Combatant:
    guid: str
    spec_id: int | None
    player_class: str | None
    role: str | None


@dataclass
class ParsedChunk:
    """One chunk's parsed content.

    Attributes:
        first_line, last_line: 1-based line numbers the chunk covers.
        rows: unit events (columns :data:`ROW_COLUMNS`), in line order. ``encounter`` indexes
            ``encounters`` (-1 outside any pull); ``actor_*`` is the owner-resolved source.
        deaths: player deaths (line, ts_ms, encounter, guid, name) in line order; feign deaths
            are already excluded, and so are deaths outside pulls in the ``encounter`` scope.
        phases: ENCOUNTER_START/END rows (line, ts_ms, encounter, phase).
        encounters, combatants, player_names: the parser's live state (shared, not copies).
        first_ms: UTC epoch ms of the file's first dated row (control or unit row, whatever
            the scope; the header in a whole log), None while no row was dated.
    """

    first_line: int
    last_line: int
    rows: pd.DataFrame
    deaths: pd.DataFrame
    phases: pd.DataFrame
    encounters: list[Encounter]
    combatants: dict[str, Combatant]
    player_names: dict[str, str]
    file_id: str
    first_ms: int | None = None


@dataclass
class _State:
    header_lines: list[int] = field(default_factory=list)  # COMBAT_LOG_VERSION rows, in order
    header_versions: list[int] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    open_encounter: Encounter | None = None
    pulls: dict[int, int] = field(default_factory=dict)
    combatants: dict[str, Combatant] = field(default_factory=dict)
    owners: dict[str, tuple[str, int]] = field(default_factory=dict)
    player_names: dict[str, str] = field(default_factory=dict)
    first_ms: int | None = None


def year_from_file_name(name: str | None) -> int | None:
    """``WoWCombatLog-021626_223411.txt`` -> 2026 (the client's MMDDYY file name)."""
    if not name:
        return None
    m = _FILE_DATE.search(os.path.basename(name))
    return 2000 + int(m.group(3)) if m else None


def parse_log(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    year: int | None = None,
    utc_offset_hours: float | None = None,
    tz: str | None = None,
    scope: str = "encounter",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    report: ParseReport | None = None,
    include_units: bool = True,
) -> Iterator[ParsedChunk]:
    """Parse a combat log (plain or gzip) chunk by chunk.

    Args:
        source: path or binary file object.
        year: year for logs whose timestamps have none (v ≤ 20, i.e. before 11.0.2, and
            Classic); defaults to the year in a ``WoWCombatLog-MMDDYY_…`` file name.
        utc_offset_hours: the recorder's UTC offset for logs without one in the timestamp.
        tz: alternatively an IANA zone name (DST handled) for such logs.
        scope: ``"encounter"`` keeps unit rows and player deaths inside pulls only;
            ``"all"`` keeps every row.
        chunk_bytes: approximate bytes per chunk; memory stays bounded by it.
        report: a :class:`ParseReport` to fill (a fresh one is made otherwise).
        include_units: False parses control rows only (fast pull listing).

    Yields:
        :class:`ParsedChunk` per chunk of lines. ``report`` is complete when exhausted.

    Raises:
        UnreadableLogError: a gzip stream that is truncated or corrupt.
        TimestampContextError: a log that needs ``year``/``utc_offset_hours`` without them.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    report = report if report is not None else ParseReport()
    name = source_name(source)
    clock = ClockState(
        year=year if year is not None else year_from_file_name(name),
        utc_offset_hours=utc_offset_hours,
        tz=tz,
    )
    state = _State()
    file_id: str | None = None
    for chunk in iter_line_chunks(source, chunk_bytes=chunk_bytes):
        if file_id is None:
            file_id = _file_identity(chunk.lines)
        report.add_not_utf8(chunk.not_utf8)
        yield _parse_chunk(
            chunk.lines, chunk.line_numbers, state, clock, report, scope, include_units, file_id
        )


def _file_identity(lines: pa.StringArray) -> str:
    """Stable id of a log: SHA-1 of its first non-blank line (timestamp to the ms included)."""
    for value in lines:
        text = value.as_py()
        if text and text.strip():
            return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:16]
    return "empty"


# --------------------------------------------------------------------------------------------
# chunk


def _parse_chunk(
    lines: pa.StringArray,
    numbers: np.ndarray,
    state: _State,
    clock: ClockState,
    report: ParseReport,
    scope: str,
    include_units: bool,
    file_id: str,
) -> ParsedChunk:
    report.lines_total += len(lines)
    head = pc.extract_regex(lines, HEAD_REGEX)
    control = _lines_with_control_bytes(lines)
    ok = ~_np_bool(pc.is_null(head)) & ~control
    for i in np.flatnonzero(control):
        byte = min(ord(c) for c in lines[i].as_py() if ord(c) < 0x20 and c != "\t")
        report.add_malformed(numbers[i], f"line holds control byte 0x{byte:02x}")
    if not ok.all():
        bad = np.flatnonzero(~ok & ~control)
        blank = _np_bool(pc.equal(pc.utf8_trim_whitespace(lines.take(pa.array(bad))), ""))
        report.blank_lines += int(blank.sum())
        for i in bad[~blank]:
            report.add_malformed(numbers[i], "no '<timestamp>  EVENT,' prefix")
    ev = head.field("ev")
    counts = pc.value_counts(pc.drop_null(pc.if_else(pa.array(ok), ev, _NULL_STR)))
    for item in counts.to_pylist():
        report.events[item["values"]] += item["counts"]
        if item["values"] in IGNORED_EVENTS:
            report.skip(IGNORED_EVENTS[item["values"]], item["counts"])

    is_control = _np_bool(pc.fill_null(pc.is_in(ev, pa.array(CONTROL_EVENTS)), False)) & ok
    unit_names = pa.array(list(UNIT_EVENTS))
    is_unit = np.zeros(len(lines), bool)
    if include_units:
        is_unit = _np_bool(pc.fill_null(pc.is_in(ev, unit_names), False)) & ok
    wanted = np.flatnonzero(is_control | is_unit)
    ts_ms = np.zeros(len(lines), np.int64)
    ts_ok = np.zeros(len(lines), bool)
    if len(wanted):
        sel = pa.array(wanted)
        ms, valid = parse_timestamps(head.field("ts").take(sel), clock)
        ts_ms[wanted] = ms
        ts_ok[wanted] = valid
        for i in wanted[~valid]:
            report.add_malformed(numbers[i], "unreadable timestamp")
        if state.first_ms is None and valid.any():
            state.first_ms = int(ms[np.argmax(valid)])

    deaths, phases = _control_rows(
        lines, numbers, ev, np.flatnonzero(is_control & ts_ok), ts_ms, state, report
    )
    if scope == "encounter":  # a death on trash is as far out of scope as the trash damage
        in_pull = [death for death in deaths if death[2] >= 0]
        report.skip("outside_encounter", len(deaths) - len(in_pull))
        deaths = in_pull
    rows = _empty_rows()
    if include_units:
        idx = np.flatnonzero(is_unit & ts_ok)
        if len(idx):
            rows = _unit_rows(lines, numbers, ev, idx, ts_ms, state, report, scope)
    first = int(numbers[0]) if len(numbers) else 0
    last = int(numbers[-1]) if len(numbers) else 0
    return ParsedChunk(
        first_line=first,
        last_line=last,
        rows=rows,
        deaths=pd.DataFrame(deaths, columns=["line", "ts_ms", "encounter", "guid", "name"]),
        phases=pd.DataFrame(phases, columns=["line", "ts_ms", "encounter", "phase"]),
        encounters=state.encounters,
        combatants=state.combatants,
        player_names=state.player_names,
        file_id=file_id,
        first_ms=state.first_ms,
    )


def _lines_with_control_bytes(lines: pa.StringArray) -> np.ndarray:
    """Which lines hold a :data:`CONTROL_BYTES` character.

    One numpy pass over the chunk's bytes first: a clean chunk (the usual case) skips the
    per-line regex, which costs about as much as splitting the line heads.
    """
    data = lines.buffers()[2]
    if data is None or not (np.frombuffer(data, np.uint8) < 0x20).any():
        return np.zeros(len(lines), bool)
    return _np_bool(pc.match_substring_regex(lines, CONTROL_BYTES))


def _np_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def _empty_rows() -> pd.DataFrame:
    rows = _SCHEMA.empty_table().to_pandas()
    for name in ("actor_guid", "actor_name", "pet_name"):
        rows[name] = pd.Series(dtype="str")
    return rows


# --------------------------------------------------------------------------------------------
# control rows (few per pull): Python, in line order


def _control_rows(
    lines: pa.StringArray,
    numbers: np.ndarray,
    ev: pa.Array,
    idx: np.ndarray,
    ts_ms: np.ndarray,
    state: _State,
    report: ParseReport,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    deaths: list[tuple[Any, ...]] = []
    phases: list[tuple[Any, ...]] = []
    if not len(idx):
        return deaths, phases
    texts = lines.take(pa.array(idx)).to_pylist()
    for i, text in zip(idx.tolist(), texts, strict=True):
        line_no = int(numbers[i])
        if "COMBATANT_INFO," in text[:48]:
            # only the stats before the first [..]/(..) group are needed: skip the long tail
            cut = _GROUP_START.search(text)
            text = text[: cut.start() + 2] if cut else text
        split = split_line(text)
        if split is None:
            report.add_malformed(line_no, "no '<timestamp>  EVENT,' prefix")
            continue
        fields = split[1]
        try:
            _control_row(fields, line_no, int(ts_ms[i]), state, report, deaths, phases)
        except (ValueError, IndexError) as exc:
            report.add_malformed(line_no, f"{fields[0]}: {exc}")
    return deaths, phases


def _control_row(
    f: list[str],
    line_no: int,
    ts: int,
    state: _State,
    report: ParseReport,
    deaths: list[tuple[Any, ...]],
    phases: list[tuple[Any, ...]],
) -> None:
    event = f[0]
    if event == "COMBAT_LOG_VERSION":
        info: dict[str, Any] = {"line": line_no, "version": int(f[1])}
        for key, value in zip(f[2::2], f[3::2], strict=False):
            info[key.lower()] = value
        state.header_lines.append(line_no)
        state.header_versions.append(info["version"])
        report.versions.append(info)
    elif event == "ENCOUNTER_START":
        if state.open_encounter is not None:
            report.skip("encounter_without_end")
            state.open_encounter.end_line = line_no - 1
            state.open_encounter = None
        game_id = int(f[1])
        pull = state.pulls.get(game_id, 0) + 1
        state.pulls[game_id] = pull
        enc = Encounter(
            index=len(state.encounters),
            game_id=game_id,
            name=f[2],
            difficulty_id=int(f[3]),
            group_size=int(f[4]) if len(f) > 4 and f[4] else None,
            instance_id=int(f[5]) if len(f) > 5 and f[5] else None,
            pull=pull,
            start_line=line_no,
            start_ms=ts,
        )
        state.encounters.append(enc)
        state.open_encounter = enc
        phases.append((line_no, ts, enc.index, "start"))
    elif event == "ENCOUNTER_END":
        ending = state.open_encounter
        if ending is None or ending.game_id != int(f[1]):
            report.skip("encounter_end_without_start")
            return
        ending.end_line, ending.end_ms = line_no, ts
        ending.success = f[5] == "1" if len(f) > 5 else None
        ending.fight_time_ms = int(f[6]) if len(f) > 6 and f[6] else None
        state.open_encounter = None
        phases.append((line_no, ts, ending.index, "end"))
    elif event == "COMBATANT_INFO":
        # specID is the last field before the first [..]/(..) group: field 24 before 12.0,
        # 25 from 12.0 on (one extra stat), 0 in Classic (§6.3)
        spec = None
        for pos, value in enumerate(f):
            if value[:1] in ("[", "("):
                spec = int(f[pos - 1])
                break
        cls, role = SPECS.get(spec, (None, None)) if spec else (None, None)
        state.combatants[f[1]] = Combatant(f[1], spec or None, cls, role)
    elif event == "UNIT_DIED":
        guid, name, flags = f[5], f[6], _hex(f[7])
        if not (guid.startswith("Player-") or (flags or 0) & FLAG_TYPE_PLAYER):
            report.skip("unit_died_not_a_player")
            return
        if len(f) > 9 and f[9] == "1":
            report.skip("feign_death")  # unconsciousOnDeath = 1 (§6.1)
            return
        during = state.open_encounter
        deaths.append((line_no, ts, during.index if during else -1, guid, name))
    else:  # SPELL_SUMMON, SPELL_CREATE: dest is the new unit, source its owner
        src, dst = f[1], f[5]
        if src != NO_GUID and dst != NO_GUID and dst not in state.owners:
            state.owners[dst] = (src, line_no)
        if src.startswith("Player-") and f[2] != "nil":
            state.player_names[src] = f[2]


def _hex(value: str) -> int | None:
    try:
        return int(value, 16)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# unit rows (the bulk): Arrow kernels


def _unit_rows(
    lines: pa.StringArray,
    numbers: np.ndarray,
    ev: pa.Array,
    idx: np.ndarray,
    ts_ms: np.ndarray,
    state: _State,
    report: ParseReport,
    scope: str,
) -> pd.DataFrame:
    encs = _encounter_of(numbers[idx], state.encounters)
    if scope == "encounter":
        inside = encs >= 0
        report.skip("outside_encounter", int((~inside).sum()))
        # Owner links must still be learned outside pulls (pets are summoned before them).
        _learn_owners_outside(lines, numbers, ev, idx[~inside], state)
        idx, encs = idx[inside], encs[inside]
        if not len(idx):
            return _empty_rows()
    sel = pa.array(idx)
    lists, pos, fixed = split_fields(lines.take(sel), NAME_FIELDS)
    events = ev.take(sel)
    relisted = pos >= len(idx)  # rows re-split after protecting quoted commas
    frames = []
    for event, (kind, prefix) in UNIT_EVENTS.items():
        mask = _np_bool(pc.equal(events, event))
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
                        numbers[idx],
                        ts_ms[idx],
                        encs,
                        state,
                        report,
                    )
                )
    frames = [f for f in frames if f is not None and f.num_rows]
    if not frames:
        return _empty_rows()
    table = pa.concat_tables(frames)
    table = table.take(pc.sort_indices(table["line"]))
    rows = table.to_pandas()
    rows["actor_guid"] = rows["src_guid"]
    rows["actor_name"] = rows["src_name"]
    rows["pet_name"] = pd.Series(pd.NA, index=rows.index, dtype="str")
    _learn_owners(rows, state)
    _attribute(rows, state)
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
    state: _State,
    report: ParseReport,
) -> pa.Table | None:
    offsets = lists.offsets.to_numpy()
    flat = lists.values
    starts = offsets[pos[rows]]
    n = offsets[pos[rows] + 1] - starts
    last = flat.take(pa.array(starts + n - 1))
    tagged = _np_bool(pc.is_in(last, _TAGS)) if kind == "damage" else np.zeros(len(rows), bool)
    versions = versions_at(line_nos[rows], state.header_lines, state.header_versions)
    block, legacy, fits = resolve_blocks(kind, prefix, n, tagged, versions)
    info = _field_at_offset(flat, starts + prefix, fits & (block > 0))
    valid = fits & _np_bool(pc.fill_null(pc.match_substring_regex(info, GUID_REGEX), True))
    if not valid.all():
        bad_guids = info.filter(pa.array(~valid)).to_pylist()
        for r, cnt, guid in zip(rows[~valid], n[~valid], bad_guids, strict=True):
            if guid is None:
                why = f"unexpected field count {cnt}"
            else:  # the count fits, but the fields are shifted
                why = f"{cnt} fields, but the advanced block starts with {guid!r}, not a GUID"
            report.add_malformed(line_nos[r], f"{event}: {why}")
        _owner_from_odd_rows(flat, starts[~valid], n[~valid], prefix, line_nos[rows[~valid]], state)
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
        "src_flags": _hex_col(col(3)),
        "dst_guid": col(5),
        "dst_name": text(6),
        "dst_flags": _hex_col(col(7)),
    }
    if prefix == 12:
        out["spell_id"] = col(9)
        out["spell_name"] = text(10)
        out["school"] = _hex_col(col(11))
    else:  # SWING_DAMAGE: melee auto attack
        out["spell_id"] = pa.array(["6603"] * len(rows))
        out["spell_name"] = pa.array(["Melee"] * len(rows))
        out["school"] = pa.array([1] * len(rows), pa.int64())
    has_block = block > 0
    b = np.where(has_block, prefix, 0)
    if has_block.any():  # ``info``, the block's first field, was taken for the GUID check
        owner = pc.if_else(pa.array(has_block), col(b + 1), _NULL_STR)
        zero = _np_bool(pc.fill_null(pc.equal(info, NO_GUID), True))
        out["info_guid"] = pc.if_else(pa.array(zero), _NULL_STR, info)
        out["owner_guid"] = pc.if_else(pa.array(zero), _NULL_STR, owner)
        out["cur_hp"] = _num(col(b + 2), lines_here, f"{event} currentHP", report, ~zero)
        out["max_hp"] = _num(col(b + 3), lines_here, f"{event} maxHP", report, ~zero)
        power_at = np.array([BLOCK_CURRENT_POWER.get(int(w), 0) for w in block])
        out["cur_power"] = _num(
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
            values = _num(col(s_start + pos), lines_here, f"{event} {_FIELD_NAMES[name]}", report)
            out.setdefault(key, np.full(len(rows), np.nan))
            out[key] = np.where(part, values, out[key])
        if suffix.critical >= 0:
            crit = _np_bool(pc.equal(col(s_start + suffix.critical), "1"))
            out.setdefault("critical", np.zeros(len(rows), bool))
            out["critical"] = np.where(part, crit, out["critical"])
    out.setdefault("critical", np.zeros(len(rows), bool))
    if kind == "damage":
        # the suffix's school (the damage actually dealt) beats the spell's school
        s_pos = np.where(legacy, SUFFIXES[(kind, True)].school, SUFFIXES[(kind, False)].school)
        out["school"] = _hex_or_int(col(s_start + s_pos))
    return pa.table([pa.array(out[name], type=t) for name, t in ROW_SCHEMA], schema=_SCHEMA)


def _field_at_offset(flat: pa.Array, at: np.ndarray, mask: np.ndarray) -> pa.Array:
    """``flat[at[i]]`` where ``mask[i]`` (the caller's guarantee: inside row ``i``), else null."""
    return pc.if_else(pa.array(mask), flat.take(pa.array(np.where(mask, at, 0))), _NULL_STR)


_FIELD_NAMES = {
    "amount": "amount",
    "over": "overkill/overhealing",
    "absorbed": "absorbed",
    "resisted": "resisted",
    "blocked": "blocked",
    "power_type": "powerType",
}
"""Suffix fields as COMBATLOG-FORMAT names them, for malformed-line reasons."""


def _num(
    values: pa.Array,
    line_nos: np.ndarray,
    what: str,
    report: ParseReport,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """String field -> float64 (``nil`` -> NaN); unparsable -> NaN + a malformed report.

    ``what`` names the event and the field (``SPELL_DAMAGE amount``) in that report.
    """
    cleaned = pc.if_else(pc.equal(values, "nil"), _NULL_STR, values)
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
        good_np = _np_bool(pc.fill_null(good, True))
        check = ~good_np if mask is None else (~good_np & mask)
        bad_values = cleaned.filter(pa.array(check)).to_pylist()
        for line, value in zip(line_nos[check], bad_values, strict=True):
            report.add_malformed(line, f"{what} is not a number: {value!r}")
        out = pc.cast(pc.if_else(pa.array(good_np), cleaned, _NULL_STR), pa.float64())
    arr = out.to_numpy(zero_copy_only=False).astype(np.float64)
    if mask is not None:
        arr = np.where(mask, arr, np.nan)
    return arr


def _hex_col(values: pa.Array) -> np.ndarray:
    """``0x514`` -> 1300 (dictionary-encoded: each distinct flag parsed once)."""
    enc = pc.dictionary_encode(values)
    flags = [_hex(v) if v is not None else None for v in enc.dictionary.to_pylist()]
    parsed = np.array([-1 if v is None else v for v in flags], dtype=np.int64)
    indices = enc.indices.to_numpy(zero_copy_only=False)
    return parsed[indices] if len(parsed) else np.full(len(values), -1, np.int64)


def _hex_or_int(values: pa.Array) -> np.ndarray:
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


# --------------------------------------------------------------------------------------------
# owners


def _learn_owners(rows: pd.DataFrame, state: _State) -> None:
    """Record pet -> owner links from the advanced block (see the module docstring)."""
    players = rows.loc[
        rows["src_guid"].str.startswith("Player-", na=False), ["src_guid", "src_name"]
    ]
    for guid, name in players.drop_duplicates("src_guid").itertuples(index=False):
        if name is not None:
            state.player_names.setdefault(guid, name)
    info, owner = rows["info_guid"], rows["owner_guid"]
    real_owner = owner.notna() & (owner != NO_GUID) & (owner != "nil") & (owner != info)
    links = rows.loc[real_owner & info.notna(), ["info_guid", "owner_guid", "line"]]
    # (c): a pet's damage row whose block names a player that is neither source nor dest
    pet_src = (rows["src_flags"].to_numpy() & (FLAG_TYPE_PET | FLAG_TYPE_GUARDIAN)) != 0
    pet_src |= rows["src_guid"].str.startswith("Pet-", na=False).to_numpy()
    seed = (
        pet_src
        & (rows["kind"] == "damage").to_numpy()
        & info.str.startswith("Player-", na=False).to_numpy()
        & (info != rows["src_guid"]).to_numpy()
        & (info != rows["dst_guid"]).to_numpy()
    )
    seeds = rows.loc[seed, ["src_guid", "info_guid", "line"]]
    seeds.columns = ["info_guid", "owner_guid", "line"]
    both = pd.concat([links, seeds], ignore_index=True)
    if not len(both):
        return
    first = both.sort_values("line", kind="stable").drop_duplicates("info_guid")
    for pet, own, line in first.itertuples(index=False):
        if pet not in state.owners and not str(pet).startswith("Player-"):
            state.owners[pet] = (own, int(line))


def _learn_owners_outside(
    lines: pa.StringArray, numbers: np.ndarray, ev: pa.Array, idx: np.ndarray, state: _State
) -> None:
    """Owner links from pets' own rows outside pulls (SWING_DAMAGE, SPELL_CAST_SUCCESS)."""
    if not len(idx):
        return
    names = ev.take(pa.array(idx))
    keep = _np_bool(pc.is_in(names, pa.array(["SWING_DAMAGE", "SPELL_CAST_SUCCESS"])))
    idx = idx[keep]
    if not len(idx):
        return
    sub = lines.take(pa.array(idx))
    is_pet = _np_bool(pc.match_substring_regex(sub, r"^[^,]*,(?:Pet|Creature|Vehicle)-"))
    idx, sub = idx[is_pet], sub.filter(pa.array(is_pet))
    if not len(idx):
        return
    lists, pos, _ = split_fields(sub, NAME_FIELDS)
    swing = _np_bool(
        pc.equal(names.filter(pa.array(keep)).filter(pa.array(is_pet)), "SWING_DAMAGE")
    )
    prefix = np.where(swing, 9, 12)
    info = _field_at(lists, pos, prefix).to_pylist()
    owner = _field_at(lists, pos, prefix + 1).to_pylist()
    ok = np.array([i is not None and o is not None for i, o in zip(info, owner, strict=True)])
    for good, i, o, line in zip(ok, info, owner, numbers[idx], strict=True):
        usable = good and "-" in o and o not in (NO_GUID, "nil", i)
        if usable and i not in state.owners and not i.startswith("Player-"):
            state.owners[i] = (o, int(line))


def _owner_from_odd_rows(
    flat: pa.Array,
    starts: np.ndarray,
    n: np.ndarray,
    prefix: int,
    line_nos: np.ndarray,
    state: _State,
) -> None:
    """Owner links from rows of an unknown width: the block's first two fields (infoGUID,
    ownerGUID) sit right after the prefix whatever the block width, so a pet naming its player
    owner there is still believed (the row itself is reported malformed)."""
    ok = n > prefix + 1
    if not ok.any():
        return
    info = flat.take(pa.array(starts[ok] + prefix)).to_pylist()
    owner = flat.take(pa.array(starts[ok] + prefix + 1)).to_pylist()
    for i, o, line in zip(info, owner, line_nos[ok], strict=True):
        if o.startswith("Player-") and "-" in i and not i.startswith("Player-"):
            state.owners.setdefault(i, (o, int(line)))


def _field_at(lists: tuple[pa.ListArray, pa.ListArray], pos: np.ndarray, k: np.ndarray) -> pa.Array:
    """Field ``k[i]`` of row ``i`` from :func:`split_fields` output (null when missing)."""
    n_plain = len(lists[0])
    result = pa.nulls(len(pos), pa.string())
    for part, base in ((lists[0], 0), (lists[1], n_plain)):
        mine = (pos >= base) & (pos < base + len(part))
        if not mine.any() or not len(part):
            continue
        offsets = part.offsets.to_numpy()
        p = np.where(mine, pos - base, 0)
        has = mine & (offsets[p] + k < offsets[p + 1])
        values = part.values.take(pa.array(np.where(has, offsets[p] + k, 0)))
        result = pc.if_else(pa.array(has), values, result)
    return result


def resolve_owner(guid: str, owners: dict[str, tuple[str, int]]) -> tuple[str, int] | None:
    """Top-level owner of ``guid`` and the line its direct link was first seen on.

    Follows pet-of-pet chains (a guardian summoned by a pet) up to a player.
    """
    link = owners.get(guid)
    if link is None:
        return None
    owner, first = link
    for _ in range(8):
        if owner.startswith("Player-"):
            break
        up = owners.get(owner)
        if up is None:
            break
        owner = up[0]
    return owner, first


def _attribute(rows: pd.DataFrame, state: _State) -> None:
    """Fill ``actor_guid``/``actor_name``/``pet_name`` for rows whose source is a pet."""
    non_player = ~rows["src_guid"].str.startswith("Player-", na=False).to_numpy()
    if not non_player.any():
        return
    inverse, uniq = pd.factorize(rows["src_guid"][non_player], use_na_sentinel=False)
    resolved = [resolve_owner(str(g), state.owners) for g in uniq]
    if all(r is None for r in resolved):
        return
    top = np.array([r[0] if r else None for r in resolved], dtype=object)[inverse]
    first = np.array([r[1] if r else np.iinfo(np.int64).max for r in resolved])[inverse]
    lines = rows["line"].to_numpy()[non_player]
    ok = (lines >= first) & (top != None)  # noqa: E711 - elementwise on an object array
    if not ok.any():
        return
    target = rows.index[non_player][ok]
    owners = top[ok]
    rows.loc[target, "pet_name"] = rows.loc[target, "src_name"].to_numpy()
    rows.loc[target, "actor_guid"] = owners
    rows.loc[target, "actor_name"] = [state.player_names.get(o, o) for o in owners]
