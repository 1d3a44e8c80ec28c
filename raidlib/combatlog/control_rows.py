"""The few *control* rows of a log (header, ENCOUNTER_START/END, COMBATANT_INFO, UNIT_DIED,
SPELL_SUMMON/CREATE): tokenized in Python, in line order, each updating the parser's state.
There are a handful per pull, so clarity beats vectorising them."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa

from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.state import Combatant, DatedLines, Encounter, ParserState
from raidlib.combatlog.tables import FLAG_TYPE_PLAYER, NO_GUID, SPECS
from raidlib.combatlog.tokenize import split_line
from raidlib.combatlog.values import parse_hex

_GROUP_START = re.compile(r",[\[(]")


def control_rows(
    chunk: DatedLines, idx: np.ndarray, state: ParserState, report: ParseReport
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Apply the control rows at ``idx`` of a chunk to ``state``, in line order. Returns the
    player deaths ``(line, ts_ms, encounter, guid, name)`` and the pull starts and ends
    ``(line, ts_ms, encounter, phase)`` they hold."""
    deaths: list[tuple[Any, ...]] = []
    phases: list[tuple[Any, ...]] = []
    if not len(idx):
        return deaths, phases
    texts = chunk.lines.take(pa.array(idx)).to_pylist()
    for i, text in zip(idx.tolist(), texts, strict=True):
        line_no = int(chunk.numbers[i])
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
            _control_row(fields, line_no, int(chunk.ts_ms[i]), state, report, deaths, phases)
        except (ValueError, IndexError) as exc:
            report.add_malformed(line_no, f"{fields[0]}: {exc}")
    return deaths, phases


def _control_row(
    f: list[str],
    line_no: int,
    ts: int,
    state: ParserState,
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
        if len(f) < 6 or f[5] not in ("0", "1"):  # the line was cut short: the pull stays open
            raise ValueError("no success field (0 or 1) after the group size")
        ending.end_line, ending.end_ms = line_no, ts
        ending.success = f[5] == "1"
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
        guid, name, flags = f[5], f[6], parse_hex(f[7])
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
        if src != NO_GUID and dst != NO_GUID:
            state.link_owner(dst, src, line_no)
        if src.startswith("Player-") and f[2] != "nil":
            state.player_names[src] = f[2]
