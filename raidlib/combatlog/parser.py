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

Steps 2 and 3 live in :mod:`~raidlib.combatlog.control_rows` and
:mod:`~raidlib.combatlog.unit_rows`; what they learn across chunks in
:mod:`~raidlib.combatlog.state`, pet attribution in :mod:`~raidlib.combatlog.owners`.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from raidlib.combatlog.control_rows import control_rows
from raidlib.combatlog.layouts import UNIT_EVENTS
from raidlib.combatlog.reader import DEFAULT_CHUNK_BYTES, iter_line_chunks, source_name
from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.state import Combatant, DatedLines, Encounter, ParserState
from raidlib.combatlog.timestamps import ClockState, parse_timestamps
from raidlib.combatlog.unit_rows import empty_rows, unit_rows
from raidlib.combatlog.values import NULL_STR, np_bool

HEAD_REGEX = r"^(?P<ts>\S+ \S+)(?:  |\t)(?P<ev>[A-Z][A-Z0-9_]*),"  # every row has fields
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
ATTRIBUTION_EVENTS = ("COMBATANT_INFO", "SPELL_SUMMON", "SPELL_CREATE")
"""Control rows that make no event of their own: they tell specs and pets' owners."""

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
_FILE_DATE = re.compile(r"WoWCombatLog-(\d{2})(\d{2})(\d{2})_")
_FILE_STAMP = re.compile(r"WoWCombatLog-(\d{2})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})")


@dataclass
class ParsedChunk:
    """One chunk's parsed content.

    Attributes:
        first_line, last_line: 1-based line numbers the chunk covers.
        rows: unit events (columns :data:`~raidlib.combatlog.unit_rows.ROW_COLUMNS`), in line
            order. ``encounter`` indexes ``encounters`` (-1 outside any pull); ``actor_*`` is
            the owner-resolved source.
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


def year_from_file_name(name: str | None) -> int | None:
    """``WoWCombatLog-021626_223411.txt`` -> 2026 (the client's MMDDYY file name)."""
    if not name:
        return None
    m = _FILE_DATE.search(os.path.basename(name))
    return 2000 + int(m.group(3)) if m else None


def opened_at_from_file_name(name: str | None) -> datetime | None:
    """The local wall-clock time (no zone) the client opened the log at, from a
    ``WoWCombatLog-MMDDYY_HHMMSS`` name; None without a valid one."""
    m = _FILE_STAMP.search(os.path.basename(name or ""))
    if not m:
        return None
    mo, d, yy, h, mi, s = (int(part) for part in m.groups())
    try:
        return datetime(2000 + yy, mo, d, h, mi, s)
    except ValueError:
        return None


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
    opened = opened_at_from_file_name(name) if year is None else None
    if opened is not None and opened.month == 12 and opened.day >= 25:
        # The name's year is the year of the name's date: rows after that New Year's midnight
        # (a log trimmed to its pulls) are in the next one, which the first row alone cannot
        # tell. Start the year-less rows' clock at the moment the log was opened. Only in the
        # last week of a year: a copy named days after its rows would read as a year later.
        clock.prev_local_ms = (opened - datetime(1970, 1, 1)) // timedelta(milliseconds=1)
    state = ParserState()
    file_id: str | None = None
    for chunk in iter_line_chunks(source, chunk_bytes=chunk_bytes):
        if file_id is None:
            file_id = _file_identity(chunk.lines)
        report.add_not_utf8(chunk.not_utf8)
        yield _parse_chunk(
            chunk.lines, chunk.line_numbers, state, clock, report, scope, include_units, file_id
        )
    report.unused_clock_options = clock.unused_options(year_given=year is not None)


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
    state: ParserState,
    clock: ClockState,
    report: ParseReport,
    scope: str,
    include_units: bool,
    file_id: str,
) -> ParsedChunk:
    report.lines_total += len(lines)
    head = pc.extract_regex(lines, HEAD_REGEX)
    control = _lines_with_control_bytes(lines)
    ok = ~np_bool(pc.is_null(head)) & ~control
    for i in np.flatnonzero(control):
        byte = min(ord(c) for c in lines[i].as_py() if ord(c) < 0x20 and c != "\t")
        report.add_malformed(numbers[i], f"line holds control byte 0x{byte:02x}")
    if not ok.all():
        bad = np.flatnonzero(~ok & ~control)
        blank = np_bool(pc.equal(pc.utf8_trim_whitespace(lines.take(pa.array(bad))), ""))
        report.blank_lines += int(blank.sum())
        for i in bad[~blank]:
            report.add_malformed(numbers[i], "no '<timestamp>  EVENT,' prefix")
    ev = head.field("ev")
    counts = pc.value_counts(pc.drop_null(pc.if_else(pa.array(ok), ev, NULL_STR)))
    for item in counts.to_pylist():
        report.events[item["values"]] += item["counts"]
        if item["values"] in IGNORED_EVENTS:
            report.skip(IGNORED_EVENTS[item["values"]], item["counts"])
        elif item["values"] in ATTRIBUTION_EVENTS:
            report.used_for_attribution[item["values"]] += item["counts"]
        elif item["values"] not in UNIT_EVENTS and item["values"] not in CONTROL_EVENTS:
            report.not_mapped[item["values"]] += item["counts"]

    is_control = np_bool(pc.fill_null(pc.is_in(ev, pa.array(CONTROL_EVENTS)), False)) & ok
    unit_names = pa.array(list(UNIT_EVENTS))
    is_unit = np.zeros(len(lines), bool)
    if include_units:
        is_unit = np_bool(pc.fill_null(pc.is_in(ev, unit_names), False)) & ok
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

    chunk = DatedLines(lines, numbers, ev, ts_ms)
    deaths, phases = control_rows(chunk, np.flatnonzero(is_control & ts_ok), state, report)
    if scope == "encounter":  # a death on trash is as far out of scope as the trash damage
        in_pull = [death for death in deaths if death[2] >= 0]
        report.skip("outside_encounter", len(deaths) - len(in_pull))
        deaths = in_pull
    rows = empty_rows()
    if include_units:
        idx = np.flatnonzero(is_unit & ts_ok)
        if len(idx):
            rows = unit_rows(chunk, idx, state, report, scope)
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


def count_rows(lines: pa.StringArray) -> int:
    """How many of ``lines`` are combat log rows (``<timestamp>  EVENT,`` and no control byte):
    the lines a :class:`ParseReport` counts in its ``events``."""
    head = pc.extract_regex(lines, HEAD_REGEX)
    return int((~np_bool(pc.is_null(head)) & ~_lines_with_control_bytes(lines)).sum())


def _lines_with_control_bytes(lines: pa.StringArray) -> np.ndarray:
    """Which lines hold a :data:`CONTROL_BYTES` character.

    One numpy pass over the chunk's bytes first: a clean chunk (the usual case) skips the
    per-line regex, which costs about as much as splitting the line heads.
    """
    data = lines.buffers()[2]
    if data is None or not (np.frombuffer(data, np.uint8) < 0x20).any():
        return np.zeros(len(lines), bool)
    return np_bool(pc.match_substring_regex(lines, CONTROL_BYTES))
