"""Parsed combat log chunks -> raidlib wire events (CONTRACT §1).

Definitions (one place each):

* **Damage done** (:func:`effective_damage`): ``amount - max(overkill, 0)`` over SPELL_DAMAGE,
  SPELL_PERIODIC_DAMAGE, RANGE_DAMAGE and SWING_DAMAGE. ``amount`` is already net of armor,
  resists, blocks and absorbs; absorbed damage is *not* counted (switch:
  :data:`COUNT_ABSORBED_AS_DAMAGE`), so a hit fully eaten by a shield yields no event.
  SWING_DAMAGE_LANDED (a duplicate of SWING_DAMAGE), DAMAGE_SPLIT (not damage done) and the
  Augmentation ``*_SUPPORT`` rows (already inside the buffed player's rows) are left out and
  counted in the report. DoT ticks after ENCOUNTER_END are outside the pull and not counted.
* **Healing done** (:func:`effective_healing`): ``amount - overhealing`` over SPELL_HEAL and
  SPELL_PERIODIC_HEAL; heal absorbs (SPELL_ABSORBED) are not heals. A heal whose effective
  amount is 0 (all overheal) yields no event (the contract needs healing_amount > 0) and is
  counted in ``ParseReport.skipped["heal_all_overheal"]``; overhealing of emitted heals is
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

from raidlib.combatlog.parser import ParsedChunk, parse_log
from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.state import Encounter
from raidlib.combatlog.tables import (
    FLAG_TYPE_GUARDIAN,
    FLAG_TYPE_NPC,
    FLAG_TYPE_OBJECT,
    FLAG_TYPE_PET,
    FLAG_TYPE_PLAYER,
    POWER_TYPES,
    school_name,
)
from raidlib.schemas.events import EVENT_FIELDS

COUNT_ABSORBED_AS_DAMAGE = False
"""The one switch of the damage definition: add the ``absorbed`` part to damage done."""

SOURCE_SYSTEM = "wow-combatlog"
EVENT_NAMESPACE = uuid.UUID("6f1c2b9e-5d1a-4c47-9a53-2a8f0e0c7d11")
DEFAULT_PLAYER_LEVEL = 90
_SLUG = re.compile(r"[^A-Za-z0-9]+")
_SCHOOLS = {m: school_name(m) for m in range(256)}


def effective_damage(amount: np.ndarray, overkill: np.ndarray, absorbed: np.ndarray) -> np.ndarray:
    """Damage done by a row (see the module docstring); NaN fields count as 0."""
    done = np.nan_to_num(amount) - np.clip(np.nan_to_num(overkill), 0, None)
    if COUNT_ABSORBED_AS_DAMAGE:
        done = done + np.nan_to_num(absorbed)
    return np.clip(done, 0, None)


def effective_healing(amount: np.ndarray, overhealing: np.ndarray) -> np.ndarray:
    """Healing done by a row: amount minus overhealing, never negative."""
    return np.clip(np.nan_to_num(amount) - np.clip(np.nan_to_num(overhealing), 0, None), 0, None)


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


def _encounter_table(encounters: list[Encounter]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "encounter_id": [e.encounter_id for e in encounters],
            "start_ms": [e.start_ms for e in encounters],
            "difficulty": [e.difficulty for e in encounters],
            "name": [e.name for e in encounters],
            "short": [e.short_name for e in encounters],
        }
    )


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
        _unit_frame(chunk, report, set(boss_npc_ids), player_level),
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
    for name, count in df["event_type"].value_counts().items():
        report.emitted[str(name)] += int(count)
    return df[["line", *EVENT_FIELDS]].reset_index(drop=True)


def _lookup(values: pd.Series, table: dict[str, Any]) -> pd.Series:
    return values.map(table).astype(object)


def _unit_frame(
    chunk: ParsedChunk, report: ParseReport, boss_ids: set[int], player_level: int | None
) -> pd.DataFrame:
    rows = chunk.rows
    if not len(rows):
        return pd.DataFrame()
    kind = rows["kind"].to_numpy()
    amount = rows["amount"].to_numpy()
    over = rows["over"].to_numpy()
    value = np.zeros(len(rows))
    dmg = kind == "damage"
    heal = kind == "heal"
    value[dmg] = effective_damage(amount[dmg], over[dmg], rows["absorbed"].to_numpy()[dmg])
    value[heal] = effective_healing(amount[heal], over[heal])
    power = rows["power_type"].to_numpy()
    energize = kind == "energize"
    resource = pd.Series(power).map(POWER_TYPES).to_numpy(dtype=object)
    keep = np.ones(len(rows), bool)
    drop_dmg = dmg & (value <= 0)
    drop_heal = heal & (value <= 0)
    drop_power = energize & pd.isna(resource)
    report.skip("damage_zero_after_overkill_or_absorb", int(drop_dmg.sum()))
    report.skip("heal_all_overheal", int(drop_heal.sum()))
    report.skip("energize_unsupported_power_type", int(drop_power.sum()))
    keep &= ~(drop_dmg | drop_heal | drop_power)
    rows = rows[keep].reset_index(drop=True)
    value, resource, kind = value[keep], resource[keep], kind[keep]
    energize, amount, over = energize[keep], amount[keep], over[keep]
    if not len(rows):
        return pd.DataFrame()

    enc_idx = rows["encounter"].to_numpy()
    encs = _encounter_table(chunk.encounters)
    inside = enc_idx >= 0
    safe = np.where(inside, enc_idx, 0)

    def per_enc(column: str) -> np.ndarray:
        if not len(encs):
            return np.full(len(rows), None, dtype=object)
        vals = encs[column].to_numpy(dtype=object)[safe]
        vals[~inside] = None
        return vals

    out = pd.DataFrame(
        {
            "line": rows["line"].to_numpy(),
            "ts_ms": rows["ts_ms"].to_numpy(),
            "event_type": np.select(
                [kind == "damage", kind == "heal", kind == "energize"],
                ["combat_damage", "heal", "mana_regeneration"],
                "spell_cast",
            ),
            "encounter_id": per_enc("encounter_id"),
            "difficulty": per_enc("difficulty"),
        }
    )
    start = per_enc("start_ms")
    dur = np.where(
        inside, rows["ts_ms"].to_numpy() - np.where(inside, start, 0).astype(np.int64), -1
    )
    out["encounter_duration_ms"] = pd.array(np.where(dur >= 0, dur, 0), dtype="Int64")
    out.loc[~inside, "encounter_duration_ms"] = pd.NA

    actor = rows["actor_guid"].astype(object)
    out["source_player_id"] = actor.to_numpy()
    names = rows["actor_name"].astype(object).where(rows["actor_name"].notna(), actor)
    out["source_player_name"] = names.str.slice(0, 64).to_numpy()
    combatants = chunk.combatants
    out["source_player_class"] = _lookup(
        actor, {g: c.player_class for g, c in combatants.items()}
    ).to_numpy()
    out["source_player_role"] = _lookup(
        actor, {g: c.role for g, c in combatants.items()}
    ).to_numpy()
    is_player = actor.str.startswith("Player-").to_numpy(dtype=bool)
    out["source_player_level"] = pd.array(np.where(is_player, player_level or 0, 0), dtype="Int64")
    if player_level is None:
        out["source_player_level"] = pd.NA
    out.loc[~is_player, "source_player_level"] = pd.NA

    out["ability_id"] = rows["spell_id"].astype(object).to_numpy()
    out["ability_name"] = rows["spell_name"].astype(object).to_numpy()
    school = rows["school"].to_numpy()
    out["ability_school"] = [_SCHOOLS.get(int(s)) if s >= 0 else None for s in school]
    out["damage_amount"] = np.where(kind == "damage", value, np.nan)
    out["healing_amount"] = np.where(kind == "heal", value, np.nan)
    out["is_critical_hit"] = rows["critical"].to_numpy(dtype=bool)
    out["is_resisted"] = np.nan_to_num(rows["resisted"].to_numpy()) > 0
    out["is_blocked"] = np.nan_to_num(rows["blocked"].to_numpy()) > 0
    out["is_absorbed"] = (np.nan_to_num(rows["absorbed"].to_numpy()) > 0) & (kind == "damage")

    dst = rows["dst_guid"].astype(object)
    no_target = dst.eq("0000000000000000").to_numpy() | dst.isna().to_numpy()
    out["target_entity_id"] = np.where(no_target, None, dst.to_numpy())
    out["target_entity_name"] = np.where(
        no_target, None, rows["dst_name"].astype(object).to_numpy()
    )
    out["target_entity_type"] = _target_types(rows, encs, safe, inside, boss_ids, no_target)
    _boss_health(out, rows, value)
    _remember_bosses(chunk, rows, out)

    cur_power = rows["cur_power"].to_numpy()
    info_is_dst = (rows["info_guid"] == rows["dst_guid"]).fillna(False).to_numpy(dtype=bool)
    after = np.where(energize & info_is_dst & ~np.isnan(cur_power), cur_power, np.nan)
    out["resource_type"] = np.where(energize, resource, None)
    out["resource_amount_after"] = after
    out["resource_amount_before"] = np.clip(after - np.nan_to_num(amount), 0, None)
    out["data_quality_flags"] = _flags(rows, kind, over)
    for col in (
        "damage_amount",
        "healing_amount",
        "resource_amount_after",
        "resource_amount_before",
    ):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _target_types(
    rows: pd.DataFrame,
    encs: pd.DataFrame,
    safe: np.ndarray,
    inside: np.ndarray,
    boss_ids: set[int],
    no_target: np.ndarray,
) -> np.ndarray:
    flags = rows["dst_flags"].to_numpy()
    name = rows["dst_name"].astype(object).to_numpy()
    boss = np.zeros(len(rows), bool)
    if len(encs):
        full = encs["name"].to_numpy(dtype=object)[safe]
        short = encs["short"].to_numpy(dtype=object)[safe]
        boss = inside & ((name == full) | (name == short))
    if boss_ids:
        npc = rows["dst_guid"].astype(object).str.split("-").str[5]
        boss |= npc.isin({str(i) for i in boss_ids}).to_numpy(dtype=bool)
    player = (flags & FLAG_TYPE_PLAYER) != 0
    obj = (flags & FLAG_TYPE_OBJECT) != 0
    pet = (flags & (FLAG_TYPE_PET | FLAG_TYPE_GUARDIAN)) != 0
    npc_flag = (flags & FLAG_TYPE_NPC) != 0
    kinds = np.full(len(flags), None, dtype=object)
    # The first matching rule wins, so apply them last to first.
    rules = [
        (no_target, None),
        (player, "player"),
        (boss, "boss"),
        (obj, "interactive"),
        (npc_flag & ~pet, "add"),
    ]
    for rule, kind in reversed(rules):
        kinds[rule] = kind
    return kinds


def _boss_health(out: pd.DataFrame, rows: pd.DataFrame, value: np.ndarray) -> None:
    """Boss HP % from the advanced block of damage rows whose block describes the boss."""
    cur, mx = rows["cur_hp"].to_numpy(), rows["max_hp"].to_numpy()
    on_boss = (out["target_entity_type"] == "boss").to_numpy()
    described = (rows["info_guid"] == rows["dst_guid"]).fillna(False).to_numpy(dtype=bool)
    ok = on_boss & described & (mx > 0) & (out["event_type"] == "combat_damage").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        after = np.clip(cur / mx * 100.0, 0, 100)
        before = np.clip((cur + value) / mx * 100.0, 0, 100)
    out["target_entity_health_pct_after"] = np.where(ok, after, None)
    out["target_entity_health_pct_before"] = np.where(ok, before, None)


def _remember_bosses(chunk: ParsedChunk, rows: pd.DataFrame, out: pd.DataFrame) -> None:
    """Note each encounter's boss unit (first line it appears on, as target or source)."""
    inside = rows["encounter"].to_numpy() >= 0
    if not inside.any() or not chunk.encounters:
        return
    encs = _encounter_table(chunk.encounters)
    safe = np.where(inside, rows["encounter"].to_numpy(), 0)
    full = encs["name"].to_numpy(dtype=object)[safe]
    short = encs["short"].to_numpy(dtype=object)[safe]
    parts = []
    for guid_col, name_col in (("dst_guid", "dst_name"), ("src_guid", "src_name")):
        name = rows[name_col].astype(object).to_numpy()
        hit = inside & ((name == full) | (name == short))
        if guid_col == "dst_guid":
            hit |= (out["target_entity_type"] == "boss").to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "enc": rows["encounter"][hit],
                    "guid": rows[guid_col][hit],
                    "line": rows["line"][hit],
                }
            )
        )
    firsts = pd.concat(parts).sort_values("line", kind="stable").drop_duplicates("enc")
    for enc, guid, line in firsts.itertuples(index=False):
        e = chunk.encounters[int(enc)]
        if e.boss_guid is None or int(line) < (e.boss_first_line or 0):
            e.boss_guid, e.boss_first_line = str(guid), int(line)


def _flags(rows: pd.DataFrame, kind: np.ndarray, over: np.ndarray) -> list[list[str]]:
    pet = rows["pet_name"].astype(object).to_numpy()
    src = rows["src_guid"].astype(object).to_numpy()
    actor = rows["actor_guid"].astype(object).to_numpy()
    src_flags = rows["src_flags"].to_numpy()
    unknown_pet = (actor == src) & ((src_flags & (FLAG_TYPE_PET | FLAG_TYPE_GUARDIAN)) != 0)
    overheal = (kind == "heal") & (np.nan_to_num(over) > 0)
    out: list[list[str]] = [[] for _ in range(len(rows))]
    for i in np.flatnonzero(pd.notna(pet)):
        out[i].append(f"pet={pet[i]}")
    for i in np.flatnonzero(unknown_pet):
        out[i].append("pet_owner_unknown")
    for i in np.flatnonzero(overheal):
        out[i].append(f"overhealing={int(over[i])}")
    return out


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
