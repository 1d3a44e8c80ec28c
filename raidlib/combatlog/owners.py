"""Pets and guardians credited to their owners (see :mod:`raidlib.combatlog.parser` for the
three ways a link is learned). Attribution is causal: a row is credited to an owner only if the
link was seen on that row or earlier, so results do not depend on the chunk size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from raidlib.combatlog.layouts import NAME_FIELDS
from raidlib.combatlog.state import DatedLines, ParserState
from raidlib.combatlog.tables import FLAG_TYPE_GUARDIAN, FLAG_TYPE_PET, NO_GUID
from raidlib.combatlog.tokenize import split_fields
from raidlib.combatlog.values import np_bool


def learn_owners(rows: pd.DataFrame, state: ParserState) -> None:
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
        if not str(pet).startswith("Player-"):
            state.link_owner(pet, own, int(line))


def learn_owners_outside(chunk: DatedLines, idx: np.ndarray, state: ParserState) -> None:
    """Owner links from pets' own rows outside pulls (SWING_DAMAGE, SPELL_CAST_SUCCESS)."""
    if not len(idx):
        return
    names = chunk.events.take(pa.array(idx))
    keep = np_bool(pc.is_in(names, pa.array(["SWING_DAMAGE", "SPELL_CAST_SUCCESS"])))
    idx = idx[keep]
    if not len(idx):
        return
    sub = chunk.lines.take(pa.array(idx))
    is_pet = np_bool(pc.match_substring_regex(sub, r"^[^,]*,(?:Pet|Creature|Vehicle)-"))
    idx, sub = idx[is_pet], sub.filter(pa.array(is_pet))
    if not len(idx):
        return
    lists, pos, _ = split_fields(sub, NAME_FIELDS)
    swing = np_bool(pc.equal(names.filter(pa.array(keep)).filter(pa.array(is_pet)), "SWING_DAMAGE"))
    prefix = np.where(swing, 9, 12)
    info = _field_at(lists, pos, prefix).to_pylist()
    owner = _field_at(lists, pos, prefix + 1).to_pylist()
    ok = np.array([i is not None and o is not None for i, o in zip(info, owner, strict=True)])
    for good, i, o, line in zip(ok, info, owner, chunk.numbers[idx], strict=True):
        usable = good and "-" in o and o not in (NO_GUID, "nil", i)
        if usable and not i.startswith("Player-"):
            state.link_owner(i, o, int(line))


def owner_from_odd_rows(
    flat: pa.Array,
    starts: np.ndarray,
    n: np.ndarray,
    prefix: int,
    line_nos: np.ndarray,
    state: ParserState,
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
            state.link_owner(i, o, int(line))


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


def attribute_to_owners(rows: pd.DataFrame, state: ParserState) -> None:
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
