"""Unit rows of a parsed chunk → combat_damage, heal, mana_regeneration and spell_cast events.

The definitions they follow (damage and healing done, school, pets, target type) are listed in
:mod:`raidlib.combatlog.mapping`; damage and healing done are computed here, in
:func:`effective_damage` and :func:`effective_healing`, and nowhere else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from raidlib.combatlog.parser import ParsedChunk
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

COUNT_ABSORBED_AS_DAMAGE = False
"""The one switch of the damage definition: add the ``absorbed`` part to damage done."""

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


def _lookup(values: pd.Series, table: dict[str, Any]) -> pd.Series:
    return values.map(table).astype(object)


def unit_event_frame(
    chunk: ParsedChunk, report: ParseReport, boss_ids: set[int], player_level: int | None
) -> pd.DataFrame:
    """A chunk's unit rows as events (wire columns plus ``line`` and ``ts_ms``); rows that
    carry nothing (damage all overkill, heal all overheal, an unknown power) are counted in
    ``report`` and dropped. Also notes each pull's boss unit on the chunk's encounters."""
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
    _remember_bosses(chunk.encounters, encs, rows, inside, safe, out)

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


def _remember_bosses(
    encounters: list[Encounter],
    encs: pd.DataFrame,
    rows: pd.DataFrame,
    inside: np.ndarray,
    safe: np.ndarray,
    out: pd.DataFrame,
) -> None:
    """Note each encounter's boss unit (first line it appears on, as target or source).

    ``encs``, ``inside`` and ``safe`` are :func:`unit_event_frame`'s table of ``encounters``
    and its rows' positions in it."""
    if not inside.any() or not encounters:
        return
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
        e = encounters[int(enc)]
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
