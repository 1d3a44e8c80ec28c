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
    FLAG_TYPE_PET,
    POWER_TYPES,
    school_name,
)
from raidlib.combatlog.targets import add_boss_health, add_target_columns, remember_bosses

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
    rows, value, resource = _rows_with_a_value(chunk.rows, report)
    if not len(rows):
        return pd.DataFrame()
    kind = rows["kind"].to_numpy()
    encs = _encounter_table(chunk.encounters)
    enc_idx = rows["encounter"].to_numpy()
    inside = enc_idx >= 0
    safe = np.where(inside, enc_idx, 0)  # a row's pull (0 outside one)

    out = _event_columns(rows, kind, encs, inside, safe)
    _add_source_columns(out, rows, chunk, player_level)
    _add_ability_columns(out, rows, kind, value)
    add_target_columns(out, rows, encs, inside, safe, boss_ids)
    add_boss_health(out, rows, value)
    remember_bosses(chunk.encounters, encs, rows, inside, safe, out)
    _add_resource_columns(out, rows, kind, resource)
    out["data_quality_flags"] = _flags(rows, kind, rows["over"].to_numpy())
    for col in (
        "damage_amount",
        "healing_amount",
        "resource_amount_after",
        "resource_amount_before",
    ):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _rows_with_a_value(
    rows: pd.DataFrame, report: ParseReport
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rows that carry something, with each one's damage or healing done and resource
    name; the others are counted in ``report`` by reason."""
    if not len(rows):
        return rows, np.zeros(0), np.zeros(0, dtype=object)
    kind = rows["kind"].to_numpy()
    amount = rows["amount"].to_numpy()
    over = rows["over"].to_numpy()
    value = np.zeros(len(rows))
    dmg = kind == "damage"
    heal = kind == "heal"
    value[dmg] = effective_damage(amount[dmg], over[dmg], rows["absorbed"].to_numpy()[dmg])
    value[heal] = effective_healing(amount[heal], over[heal])
    resource = pd.Series(rows["power_type"].to_numpy()).map(POWER_TYPES).to_numpy(dtype=object)
    drop_dmg = dmg & (value <= 0)
    drop_heal = heal & (value <= 0)
    drop_power = (kind == "energize") & pd.isna(resource)
    report.skip("damage_zero_after_overkill_or_absorb", int(drop_dmg.sum()))
    report.skip("heal_all_overheal", int(drop_heal.sum()))
    report.skip("energize_unsupported_power_type", int(drop_power.sum()))
    keep = ~(drop_dmg | drop_heal | drop_power)
    return rows[keep].reset_index(drop=True), value[keep], resource[keep]


def _event_columns(
    rows: pd.DataFrame, kind: np.ndarray, encs: pd.DataFrame, inside: np.ndarray, safe: np.ndarray
) -> pd.DataFrame:
    """line, ts_ms, event_type and the pull's columns (null outside a pull)."""

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
    return out


def _add_source_columns(
    out: pd.DataFrame, rows: pd.DataFrame, chunk: ParsedChunk, player_level: int | None
) -> None:
    """The actor: id, name (its GUID when nameless), class and role from COMBATANT_INFO, and
    ``player_level`` on players."""
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


def _add_ability_columns(
    out: pd.DataFrame, rows: pd.DataFrame, kind: np.ndarray, value: np.ndarray
) -> None:
    """The spell, the amounts done and the hit's flags."""
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


def _add_resource_columns(
    out: pd.DataFrame, rows: pd.DataFrame, kind: np.ndarray, resource: np.ndarray
) -> None:
    """mana_regeneration's resource and its amounts (after: the advanced block, when it
    describes the receiver)."""
    energize = kind == "energize"
    cur_power = rows["cur_power"].to_numpy()
    info_is_dst = (rows["info_guid"] == rows["dst_guid"]).fillna(False).to_numpy(dtype=bool)
    after = np.where(energize & info_is_dst & ~np.isnan(cur_power), cur_power, np.nan)
    resource_type = resource.copy()
    resource_type[~energize] = None
    out["resource_type"] = resource_type
    out["resource_amount_after"] = after
    out["resource_amount_before"] = np.clip(
        after - np.nan_to_num(rows["amount"].to_numpy()), 0, None
    )


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
