"""Who a unit row hits: target type (player, boss, add, interactive), boss health, and each
pull's boss unit. The rules are listed in :mod:`raidlib.combatlog.mapping`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from raidlib.combatlog.state import Encounter
from raidlib.combatlog.tables import (
    FLAG_TYPE_GUARDIAN,
    FLAG_TYPE_NPC,
    FLAG_TYPE_OBJECT,
    FLAG_TYPE_PET,
    FLAG_TYPE_PLAYER,
)


def add_target_columns(
    out: pd.DataFrame,
    rows: pd.DataFrame,
    encs: pd.DataFrame,
    inside: np.ndarray,
    safe: np.ndarray,
    boss_ids: set[int],
) -> None:
    """The target's id, name and type (none when the row names no target)."""
    dst = rows["dst_guid"].astype(object)
    no_target = dst.eq("0000000000000000").to_numpy() | dst.isna().to_numpy()
    out["target_entity_id"] = np.where(no_target, None, dst.to_numpy())
    out["target_entity_name"] = np.where(
        no_target, None, rows["dst_name"].astype(object).to_numpy()
    )
    out["target_entity_type"] = _target_types(rows, encs, safe, inside, boss_ids, no_target)


def _target_types(
    rows: pd.DataFrame,
    encs: pd.DataFrame,
    safe: np.ndarray,
    inside: np.ndarray,
    boss_ids: set[int],
    no_target: np.ndarray,
) -> np.ndarray:
    flags = rows["dst_flags"].to_numpy()
    boss = np.zeros(len(rows), bool)
    if len(encs):
        boss = _named_like_the_boss(rows, "dst", encs, inside, safe)
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


def _named_like_the_boss(
    rows: pd.DataFrame, side: str, encs: pd.DataFrame, inside: np.ndarray, safe: np.ndarray
) -> np.ndarray:
    """Rows whose ``side`` ("src"/"dst") unit carries its pull's boss name and is no player or
    player's pet: realm-less Classic names (and hunters' pet names) may be the boss's own.

    Told by GUID, not by the pet type flag, which says how a unit is controlled *now*: a boss a
    raider mind-controls (Razorgore) carries it while staying the boss (review)."""
    name = rows[f"{side}_name"].astype(object).to_numpy()
    full = encs["name"].to_numpy(dtype=object)[safe]
    short = encs["short"].to_numpy(dtype=object)[safe]
    named = inside & ((name == full) | (name == short))
    at = np.flatnonzero(named)  # only these rows' GUIDs are looked at: text tests cost
    if len(at):
        guid = rows[f"{side}_guid"].iloc[at].astype(object).fillna("").astype(str)
        # Pre-6.0 hex GUIDs: the type digit after two hex digits, & 0x7: 0 player, 4 pet.
        players_own = (
            guid.str.startswith(("Player-", "Pet-")) | guid.str.match(r"^0x[0-9A-Fa-f]{2}[048Cc]")
        ).to_numpy(dtype=bool) | ((rows[f"{side}_flags"].to_numpy()[at] & FLAG_TYPE_PLAYER) != 0)
        named[at[players_own]] = False
    return named


def add_boss_health(out: pd.DataFrame, rows: pd.DataFrame, value: np.ndarray) -> None:
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


def remember_bosses(
    encounters: list[Encounter],
    encs: pd.DataFrame,
    rows: pd.DataFrame,
    inside: np.ndarray,
    safe: np.ndarray,
    out: pd.DataFrame,
) -> None:
    """Note each encounter's boss unit (first line it appears on, as target or source).

    ``encs``, ``inside`` and ``safe`` are :func:`~raidlib.combatlog.unit_events.unit_event_frame`'s table of ``encounters``
    and its rows' positions in it."""
    if not inside.any() or not encounters:
        return
    parts = []
    for side in ("dst", "src"):
        # A target named like the boss is already typed "boss" (add_target_columns ran first).
        hit = (
            (out["target_entity_type"] == "boss").to_numpy()
            if side == "dst"
            else _named_like_the_boss(rows, side, encs, inside, safe)
        )
        parts.append(
            pd.DataFrame(
                {
                    "enc": rows["encounter"][hit],
                    "guid": rows[f"{side}_guid"][hit],
                    "line": rows["line"][hit],
                }
            )
        )
    firsts = pd.concat(parts).sort_values("line", kind="stable").drop_duplicates("enc")
    for enc, guid, line in firsts.itertuples(index=False):
        e = encounters[int(enc)]
        if e.boss_guid is None or int(line) < (e.boss_first_line or 0):
            e.boss_guid, e.boss_first_line = str(guid), int(line)
