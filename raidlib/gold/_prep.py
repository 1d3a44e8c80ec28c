"""Shared, vectorised groundwork for the gold builders: per-event flags, raids, players.

Everything here is plain pandas-API code that cuDF also runs: column arithmetic, ``where``,
``groupby().agg`` with named aggregations, ``merge``, ``sort_values`` and ``drop_duplicates``.
No per-row Python, and nothing relies on group or row order (cuDF's groupby is unordered).

Who is a player (CONTRACT §4), decided per raid and per id:

* the source of an event with a non-null ``source_player_role``;
* the target of an event with ``target_entity_type == "player"``;
* the target of a ``player_death`` whose ``target_entity_type`` is null (the event type itself
  says the victim is a player; a death with target type ``boss``/``add`` is not a player death).

A boss (source with a null role, targeted as ``boss``) is therefore never a player.
"""

from __future__ import annotations

from typing import Any

from raidlib.backend import frame_library

KEY = ["raid_id", "player_id"]

_EVENT_COLUMNS = [
    "event_id",
    "event_type",
    "timestamp",
    "raid_id",
    "difficulty",
    "encounter_success",
    "source_player_id",
    "source_player_name",
    "source_player_role",
    "source_player_class",
    "damage_amount",
    "healing_amount",
    "is_critical_hit",
    "target_entity_id",
    "target_entity_name",
    "target_entity_type",
    "target_entity_health_pct_after",
]
"""The silver columns gold reads (see :data:`raidlib.silver.schema.SILVER_SCHEMA`)."""


def _flag(series: Any) -> Any:
    """A null-safe boolean column (nulls are false)."""
    return series.fillna(False).astype("bool")


def prepare_events(silver: Any) -> Any:
    """Silver rows reduced to what gold needs, plus derived per-event columns.

    Adds: ``ts_us`` (int64 µs since the epoch, UTC), ``is_damage``/``is_heal``/``is_death``,
    ``damage`` and ``healing`` (the amount for that event type, else 0.0), ``is_crit`` (a
    critical damage or heal event), ``source_is_player``, ``target_is_player``,
    ``death_of_player`` (a ``player_death`` whose victim is a player) and ``success``.
    """
    missing = [c for c in _EVENT_COLUMNS if c not in silver.columns]
    if missing:
        raise ValueError(f"silver frame lacks columns {missing}")
    ev = silver[_EVENT_COLUMNS].copy()
    ev["ts_us"] = ev["timestamp"].astype("datetime64[us]").astype("int64")
    etype = ev["event_type"]
    ttype = ev["target_entity_type"]
    ev["is_damage"] = _flag(etype == "combat_damage")
    ev["is_heal"] = _flag(etype == "heal")
    ev["is_death"] = _flag(etype == "player_death")
    ev["damage"] = ev["damage_amount"].astype("float64").fillna(0.0).where(ev["is_damage"], 0.0)
    ev["healing"] = ev["healing_amount"].astype("float64").fillna(0.0).where(ev["is_heal"], 0.0)
    ev["is_crit"] = _flag(ev["is_critical_hit"]) & (ev["is_damage"] | ev["is_heal"])
    ev["source_is_player"] = _flag(ev["source_player_role"].notna())
    target_player_type = _flag(ttype == "player")
    ev["death_of_player"] = ev["is_death"] & (target_player_type | _flag(ttype.isna()))
    ev["target_is_player"] = _flag(
        (target_player_type | ev["death_of_player"]) & ev["target_entity_id"].notna()
    )
    ev["success"] = _flag(ev["encounter_success"])
    return ev


def raid_frame(ev: Any) -> Any:
    """One row per raid: ``raid_id, event_date, first_us, duration_ms``.

    ``event_date`` is the UTC date of the raid's first event; ``duration_ms`` = last − first
    event timestamp in whole milliseconds.
    """
    raids = (
        ev.groupby("raid_id")
        .agg(first_ts=("timestamp", "min"), first_us=("ts_us", "min"), last_us=("ts_us", "max"))
        .reset_index()
    )
    raids["event_date"] = raids["first_ts"].dt.strftime("%Y-%m-%d")
    raids["duration_ms"] = (raids["last_us"] - raids["first_us"]) // 1000
    return raids[["raid_id", "event_date", "first_us", "duration_ms"]]


def players_frame(ev: Any) -> Any:
    """Distinct ``(raid_id, player_id)`` of every player seen in each raid."""
    xdf = frame_library(ev)
    sources = ev.loc[ev["source_is_player"], ["raid_id", "source_player_id"]]
    targets = ev.loc[ev["target_is_player"], ["raid_id", "target_entity_id"]]
    both = xdf.concat(
        [
            sources.rename(columns={"source_player_id": "player_id"}),
            targets.rename(columns={"target_entity_id": "player_id"}),
        ],
        ignore_index=True,
    )
    return both.drop_duplicates().reset_index(drop=True)


def latest_value(
    candidates: Any, keys: list[str], column: str, out: str, order: tuple[str, ...] = ("ts_us",)
) -> Any:
    """Per ``keys``, the non-null ``column`` value that comes last by ``order``.

    Ties on ``order`` go to the greatest value, so the answer never depends on row order.
    ``candidates`` should be pre-reduced (one row per distinct value and its latest ``order``).
    """
    rows = candidates.loc[candidates[column].notna(), [*keys, *order, column]]
    rows = rows.sort_values([*keys, *order, column])
    rows = rows.drop_duplicates(subset=keys, keep="last")
    return rows[[*keys, column]].rename(columns={column: out})


def player_attributes(ev: Any, players: Any) -> Any:
    """``players`` with ``player_name``, ``player_class`` and ``player_role`` (may be null).

    Name, class and role come from the latest event where the player is the source (each the
    latest non-null value); a player never seen as a source takes the latest
    ``target_entity_name`` it was targeted under, and null class and role.
    """
    attrs = ["source_player_name", "source_player_class", "source_player_role"]
    # Collapse to one row per distinct (raid, id, name, class, role) first: the per-column
    # "latest" searches below then sort a few rows per player instead of every event.
    src = (
        ev[["raid_id", "source_player_id", *attrs, "ts_us"]]
        .groupby(["raid_id", "source_player_id", *attrs], dropna=False)
        .agg(ts_us=("ts_us", "max"))
        .reset_index()
        .rename(columns={"source_player_id": "player_id"})
    )
    out = players
    for column, name in zip(attrs, ("src_name", "player_class", "player_role"), strict=True):
        out = out.merge(latest_value(src, KEY, column, name), on=KEY, how="left")
    tgt = (
        ev.loc[
            ev["target_is_player"], ["raid_id", "target_entity_id", "target_entity_name", "ts_us"]
        ]
        .groupby(["raid_id", "target_entity_id", "target_entity_name"])
        .agg(ts_us=("ts_us", "max"))
        .reset_index()
        .rename(columns={"target_entity_id": "player_id"})
    )
    out = out.merge(latest_value(tgt, KEY, "target_entity_name", "tgt_name"), on=KEY, how="left")
    out["player_name"] = out["src_name"].where(out["src_name"].notna(), out["tgt_name"])
    return out.drop(columns=["src_name", "tgt_name"])


def most_frequent(ev: Any, column: str, out: str) -> Any:
    """Per raid, the most frequent non-null ``column`` value (ties: the alphabetically first)."""
    rows = ev.loc[ev[column].notna(), ["raid_id", column]].copy()
    rows["n"] = 1
    counts = rows.groupby(["raid_id", column]).agg(n=("n", "sum")).reset_index()
    counts = counts.sort_values(["raid_id", "n", column], ascending=[True, False, True])
    best = counts.drop_duplicates(subset=["raid_id"], keep="first")
    return best[["raid_id", column]].rename(columns={column: out})
