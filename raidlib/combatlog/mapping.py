"""Parsed combat log chunks -> raidlib wire events (CONTRACT §1).

Definitions (one place each):

* **Damage done** (:func:`~raidlib.combatlog.unit_events.effective_damage`):
  ``amount - max(overkill, 0)`` over SPELL_DAMAGE, SPELL_PERIODIC_DAMAGE, RANGE_DAMAGE and
  SWING_DAMAGE. ``amount`` is already net of armor, resists, blocks and absorbs; absorbed damage
  is *not* counted (switch: :data:`~raidlib.combatlog.unit_events.COUNT_ABSORBED_AS_DAMAGE`), so
  a hit fully eaten by a shield yields no event.
  SWING_DAMAGE_LANDED (a duplicate of SWING_DAMAGE), DAMAGE_SPLIT (not damage done) and the
  Augmentation ``*_SUPPORT`` rows (already inside the buffed player's rows) are left out and
  counted in the report. DoT ticks after ENCOUNTER_END are outside the pull and not counted.
  ENVIRONMENTAL_DAMAGE (falling, lava …) is damage by the source ``environment`` (no player),
  its type the ability name: it counts only as damage the victim received.
* **Healing done** (:func:`~raidlib.combatlog.unit_events.effective_healing`):
  ``amount - overhealing`` over SPELL_HEAL and SPELL_PERIODIC_HEAL; heal absorbs
  (SPELL_ABSORBED) are not heals. A heal whose effective amount is 0 (all overheal) yields no
  event (the contract needs healing_amount > 0) and is counted in
  ``ParseReport.skipped["heal_all_overheal"]``; overhealing of emitted heals is
  kept as a ``overhealing=<n>`` data-quality flag.
* **School**: the damage suffix's school mask (the spell's for other rows); a multi-school mask
  maps to its lowest bit, or to ``chaos`` when it covers all five magic schools
  (:func:`raidlib.combatlog.tables.school_name`).
* **Pets/guardians**: rows are credited to the owner (``source_player_*``), the pet's name is
  kept as a ``pet=<name>`` flag; pets whose owner is unknown keep the pet as source (role
  null, flag ``pet_owner_unknown``).
* **Target type**: player (unit flag 0x400), boss (the encounter's boss unit: its name equals
  the encounter name or the part before a comma, or its NPC id is in ``boss_npc_ids``),
  interactive (object flag), add (any other NPC); friendly pets/guardians get null.
* **player_death**: UNIT_DIED of a player without the unconscious (feign death) flag; source =
  the encounter's boss unit (first one seen before the death, else ``Encounter-<id>``),
  ``environment`` outside pulls (only kept with ``scope="all"``, like the trash damage).
* **boss_phase**: ENCOUNTER_START and ENCOUNTER_END; the END carries ``encounter_success`` and
  ``encounter_duration_ms`` = fightTime.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from raidlib.combatlog.parser import ParsedChunk, parse_log
from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.state import Encounter
from raidlib.combatlog.unit_events import unit_event_frame
from raidlib.schemas.events import EVENT_FIELDS
from raidlib.silver.schema import SILVER_SCHEMA

SOURCE_SYSTEM = "wow-combatlog"
EVENT_NAMESPACE = uuid.UUID("6f1c2b9e-5d1a-4c47-9a53-2a8f0e0c7d11")
DEFAULT_PLAYER_LEVEL: int | None = None
"""``source_player_level`` of players: the log does not carry a level (the 12.0 advanced block's
field there is the item level), so none is stamped unless a caller knows it."""
_SLUG = re.compile(r"[^A-Za-z0-9]+")
_INTEGER_FIELDS = tuple(
    name for name in EVENT_FIELDS if pa.types.is_integer(SILVER_SCHEMA.field(name).type)
)
"""Wire fields the event models take as strict integers (a float ``7000.0`` is refused)."""


def raid_slug(name: str | None, first_ms: int | None) -> str:
    """raid_id of a log: slug of the file name plus the UTC date of its first dated row."""
    stem = os.path.basename(name or "combatlog")
    for ext in (".gz", ".txt", ".log"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
    slug = _SLUG.sub("-", stem).strip("-").lower() or "combatlog"
    date = (
        datetime.fromtimestamp(first_ms / 1000, UTC).strftime("%Y-%m-%d") if first_ms else "undated"
    )
    slug = slug[: 63 - len(date) - 1].strip("-") or "log"
    return f"{slug}-{date}"


def chunk_to_frame(
    chunk: ParsedChunk,
    *,
    raid_id: str,
    report: ParseReport,
    boss_npc_ids: Iterable[int] = (),
    player_level: int | None = DEFAULT_PLAYER_LEVEL,
) -> pd.DataFrame:
    """Map one parsed chunk to a frame with the wire columns (:data:`EVENT_FIELDS`) plus ``line``.

    Columns hold plain values; ``timestamp`` is a UTC datetime column, ``event_id`` a uuid5
    of (file identity, line number). Use :func:`to_wire_events` for the dict form.
    """
    frames = [
        unit_event_frame(chunk, report, set(boss_npc_ids), player_level),
        _death_frame(chunk),
        _phase_frame(chunk),
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["line", *EVENT_FIELDS])
    df = pd.concat(frames, ignore_index=True).sort_values("line", kind="stable")
    df["raid_id"] = raid_id
    df["source_system"] = SOURCE_SYSTEM
    df["event_id"] = [
        str(uuid.uuid5(EVENT_NAMESPACE, f"{chunk.file_id}:{ln}")) for ln in df["line"]
    ]
    df["timestamp"] = pd.to_datetime(df["ts_ms"].astype("int64"), unit="ms", utc=True)
    for name in EVENT_FIELDS:
        if name not in df.columns:
            df[name] = None
    for name in _INTEGER_FIELDS:  # a null in one frame turns the concatenated ints into floats
        df[name] = df[name].astype("Int64")
    for name, count in df["event_type"].value_counts().items():
        report.emitted[str(name)] += int(count)
    return df[["line", *EVENT_FIELDS]].reset_index(drop=True)


def _death_frame(chunk: ParsedChunk) -> pd.DataFrame:
    d = chunk.deaths
    if not len(d):
        return pd.DataFrame()
    records = []
    for line, ts, enc_i, guid, name in d.itertuples(index=False):
        enc = chunk.encounters[int(enc_i)] if enc_i >= 0 else None
        if enc is None:
            src_id, src_name = "environment", "environment"
        elif enc.boss_guid and (enc.boss_first_line or 0) < line:
            src_id, src_name = enc.boss_guid, enc.short_name
        else:
            src_id, src_name = f"Encounter-{enc.game_id}", enc.name
        c = chunk.combatants.get(guid)
        records.append(
            {
                "line": line,
                "ts_ms": ts,
                "event_type": "player_death",
                "encounter_id": enc.encounter_id if enc else None,
                "difficulty": enc.difficulty if enc else None,
                "encounter_duration_ms": max(0, ts - enc.start_ms) if enc else None,
                "source_player_id": src_id,
                "source_player_name": src_name[:64],
                "target_entity_id": guid,
                "target_entity_name": name,
                "target_entity_type": "player",
                "data_quality_flags": [f"victim_class={c.player_class}"]
                if c and c.player_class
                else [],
            }
        )
    return pd.DataFrame(records)


def _phase_frame(chunk: ParsedChunk) -> pd.DataFrame:
    p = chunk.phases
    if not len(p):
        return pd.DataFrame()
    records = []
    for line, ts, enc_i, phase in p.itertuples(index=False):
        enc = chunk.encounters[int(enc_i)]
        end = phase == "end"
        boss_known = bool(enc.boss_guid) and (enc.boss_first_line or 0) < line
        records.append(
            {
                "line": line,
                "ts_ms": ts,
                "event_type": "boss_phase",
                "encounter_id": enc.encounter_id,
                "difficulty": enc.difficulty,
                "encounter_duration_ms": (
                    enc.fight_time_ms
                    if enc.fight_time_ms is not None
                    else max(0, ts - enc.start_ms)
                )
                if end
                else 0,
                "encounter_success": enc.success if end else None,
                "source_player_id": boss_known and enc.boss_guid or f"Encounter-{enc.game_id}",
                "source_player_name": (enc.short_name if boss_known else enc.name)[:64],
                "ability_id": str(enc.game_id),
                "ability_name": "ENCOUNTER_END" if end else "ENCOUNTER_START",
                "data_quality_flags": [],
            }
        )
    return pd.DataFrame(records)


def to_wire_events(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame from :func:`chunk_to_frame` -> JSON-ready dicts (None/NaN fields left out)."""
    cols = list(EVENT_FIELDS)
    data = frame[cols].copy()
    data["timestamp"] = data["timestamp"].map(lambda t: t.isoformat())
    out = []
    for record in data.to_dict("records"):
        clean = {}
        for key, value in record.items():
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                continue
            if isinstance(value, np.generic):
                value = value.item()
            clean[key] = value
        out.append(clean)
    return out


def iter_event_frames(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    report: ParseReport,
    raid_id: str | None = None,
    boss_npc_ids: Iterable[int] = (),
    player_level: int | None = DEFAULT_PLAYER_LEVEL,
    **parse_kwargs: Any,
) -> Iterator[pd.DataFrame]:
    """Wire-column frames, one per chunk (see :func:`chunk_to_frame`)."""
    name = (
        os.fspath(source)
        if isinstance(source, (str, os.PathLike))
        else getattr(source, "name", None)
    )
    for chunk in parse_log(source, report=report, **parse_kwargs):
        if raid_id is None:
            if chunk.first_ms is None:
                continue  # no dated row yet, so no event in this chunk either
            # the file's first dated row, not the first kept one: importing with another
            # scope must not file the same event ids under another raid
            raid_id = raid_slug(str(name) if name else None, chunk.first_ms)
        frame = chunk_to_frame(
            chunk,
            raid_id=raid_id,
            report=report,
            boss_npc_ids=boss_npc_ids,
            player_level=player_level,
        )
        if len(frame):
            yield frame


def import_events(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    raid_id: str | None = None,
    year: int | None = None,
    utc_offset_hours: float | None = None,
    tz: str | None = None,
    scope: str = "encounter",
    chunk_bytes: int | None = None,
    boss_npc_ids: Iterable[int] = (),
    player_level: int | None = DEFAULT_PLAYER_LEVEL,
) -> tuple[Iterator[list[dict[str, Any]]], ParseReport]:
    """Import a combat log as batches of wire events (one batch per chunk).

    Returns:
        ``(batches, report)``: an iterator of ``list[dict]`` batches that validate with
        :func:`raidlib.schemas.validate_events`, and the :class:`ParseReport` it fills (complete
        once the iterator is exhausted). Event ids are uuid5(file identity, line number), so
        importing the same log twice yields the same events.
    """
    report = ParseReport()
    kwargs: dict[str, Any] = {
        "year": year,
        "utc_offset_hours": utc_offset_hours,
        "tz": tz,
        "scope": scope,
    }
    if chunk_bytes is not None:
        kwargs["chunk_bytes"] = chunk_bytes
    frames = iter_event_frames(
        source,
        report=report,
        raid_id=raid_id,
        boss_npc_ids=boss_npc_ids,
        player_level=player_level,
        **kwargs,
    )
    return (to_wire_events(f) for f in frames), report


def encounters(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    year: int | None = None,
    utc_offset_hours: float | None = None,
    tz: str | None = None,
) -> pd.DataFrame:
    """One row per pull: encounter_id, game_encounter_id, pull, boss, difficulty,
    difficulty_id, group_size, success, fight_time_ms, start, end (UTC), start_line, end_line.

    ``success``/``end`` are null for a pull whose ENCOUNTER_END is missing.
    """
    found: list[Encounter] = []
    for chunk in parse_log(
        source, year=year, utc_offset_hours=utc_offset_hours, tz=tz, include_units=False
    ):
        found = chunk.encounters
    return pd.DataFrame(
        {
            "encounter_id": [e.encounter_id for e in found],
            "game_encounter_id": [e.game_id for e in found],
            "pull": [e.pull for e in found],
            "boss": [e.name for e in found],
            "difficulty": [e.difficulty for e in found],
            "difficulty_id": [e.difficulty_id for e in found],
            "group_size": [e.group_size for e in found],
            "success": pd.array([e.success for e in found], dtype="boolean"),
            "fight_time_ms": pd.array([e.fight_time_ms for e in found], dtype="Int64"),
            "start": pd.to_datetime([e.start_ms for e in found], unit="ms", utc=True),
            "end": pd.to_datetime([e.end_ms for e in found], unit="ms", utc=True),
            "start_line": [e.start_line for e in found],
            "end_line": pd.array([e.end_line for e in found], dtype="Int64"),
        }
    )
