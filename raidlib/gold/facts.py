"""Gold fact tables: ``fact_player_raid_stats`` and ``fact_raid_summary`` (CONTRACT §4).

Pure transforms: a silver frame (pandas or cuDF, columns of
:data:`raidlib.silver.schema.SILVER_SCHEMA`, holding *all* rows of each raid it contains) in,
a new frame of the declared schema out, sorted by its keys. See :mod:`raidlib.gold._prep` for
who counts as a player.
"""

from __future__ import annotations

from typing import Any

from raidlib.backend import null_safe_flag as _flag
from raidlib.gold._prep import (
    KEY,
    EventSummary,
    player_attributes,
    players_frame,
    summarise_events,
)
from raidlib.gold.schema import (
    FACT_PLAYER_RAID_STATS,
    FACT_RAID_SUMMARY,
    RAID_OUTCOMES,
    UNKNOWN_ROLE,
    conform,
)

_SUCCESS, _WIPE = RAID_OUTCOMES


def _ratio(numerator: Any, denominator: Any) -> Any:
    """``numerator / denominator``, 0.0 where the denominator is 0 (CONTRACT §4).

    A null denominator gives null on both backends (cuDF's ``null != 0`` is null, which
    ``where`` would read as false, so the zero test goes through :func:`~raidlib.backend.null_safe_flag`).
    """
    zero = _flag(denominator == 0)
    safe = denominator.where(~zero, 1)
    return (numerator / safe).where(~zero, 0.0).astype("float64")


def per_second(amount: Any, duration_ms: Any) -> Any:
    """``amount / (duration_ms / 1000)``, 0.0 where the duration is 0 (CONTRACT §4)."""
    return _ratio(amount, duration_ms.astype("float64") / 1000.0)


def build_fact_player_raid_stats(silver: Any) -> Any:
    """One row per raid × player (:data:`~raidlib.gold.schema.FACT_PLAYER_RAID_STATS`).

    * ``damage_total`` / ``healing_total``: Σ ``damage_amount`` of the player's
      ``combat_damage`` / Σ ``healing_amount`` of its ``heal`` events (player = source);
      ``damage_events`` / ``healing_events``: their counts.
    * ``crit_events``: the player's critical damage and heal events;
      ``crit_rate`` = crit_events / (damage_events + healing_events).
    * ``player_deaths``: ``player_death`` events where the player is the **target** (victim).
    * ``total_damage_received``: Σ ``damage_amount`` of ``combat_damage`` targeting the player.
    * ``dps`` / ``hps``: totals / raid duration in seconds; ``damage_share`` /
      ``healing_share``: totals / the raid's Σ over players. Every ratio is 0.0 on a 0 denominator.
    * ``player_role`` is ``"unknown"`` when never given; ``event_date`` is the raid's
      (UTC date of its first event), so each raid sits in one ``event_date`` partition.
    """
    return _player_stats(summarise_events(silver))


def _player_stats(summary: EventSummary) -> Any:
    players = player_attributes(summary, players_frame(summary))
    by_source = (
        summary.sources.groupby(["raid_id", "source_player_id"])
        .agg(
            damage_total=("damage_total", "sum"),
            healing_total=("healing_total", "sum"),
            damage_events=("damage_events", "sum"),
            healing_events=("healing_events", "sum"),
            crit_events=("crit_events", "sum"),
        )
        .reset_index()
        .rename(columns={"source_player_id": "player_id"})
    )
    by_target = (
        summary.targets.groupby(["raid_id", "target_entity_id"])
        .agg(
            player_deaths=("player_deaths", "sum"),
            total_damage_received=("total_damage_received", "sum"),
        )
        .reset_index()
        .rename(columns={"target_entity_id": "player_id"})
    )
    stats = players.merge(by_source, on=KEY, how="left").merge(by_target, on=KEY, how="left")
    counts = ["damage_events", "healing_events", "crit_events", "player_deaths"]
    amounts = ["damage_total", "healing_total", "total_damage_received"]
    for column in counts:
        stats[column] = stats[column].fillna(0).astype("int64")
    for column in amounts:
        stats[column] = stats[column].fillna(0.0).astype("float64")
    stats["player_role"] = stats["player_role"].fillna(UNKNOWN_ROLE)

    raids = summary.raids[["raid_id", "event_date", "duration_ms"]]
    stats = stats.merge(raids, on="raid_id", how="left")
    totals = (
        stats.groupby("raid_id")
        .agg(raid_damage=("damage_total", "sum"), raid_healing=("healing_total", "sum"))
        .reset_index()
    )
    stats = stats.merge(totals, on="raid_id", how="left")
    stats["crit_rate"] = _ratio(
        stats["crit_events"], stats["damage_events"] + stats["healing_events"]
    )
    stats["dps"] = per_second(stats["damage_total"], stats["duration_ms"])
    stats["hps"] = per_second(stats["healing_total"], stats["duration_ms"])
    stats["damage_share"] = _ratio(stats["damage_total"], stats["raid_damage"])
    stats["healing_share"] = _ratio(stats["healing_total"], stats["raid_healing"])
    return conform(stats, FACT_PLAYER_RAID_STATS)


def build_fact_raid_summary(silver: Any, *, player_raid_stats: Any = None) -> Any:
    """One row per raid (:data:`~raidlib.gold.schema.FACT_RAID_SUMMARY`).

    * ``duration_ms`` = last − first event timestamp; ``event_date`` = UTC date of the first.
    * ``total_damage``: Σ ``combat_damage`` amounts whose source is a player (the sum of the
      players' ``damage_total``). ``total_healing``: Σ of every ``heal`` event, as CONTRACT §4
      words it (not only by players: a boss or add healing itself counts; the players'
      ``healing_share`` stays their share of the players' healing).
    * ``total_player_deaths``: ``player_death`` events whose victim is a player.
    * ``n_players`` and ``n_tanks`` / ``n_healers`` / ``n_dps`` by ``player_role``.
    * ``raid_dps`` / ``raid_hps``: totals / duration in seconds (0.0 for a zero duration).
    * ``boss_min_hp_pct``: min ``target_entity_health_pct_after`` over events targeting a
      ``boss`` (100.0 when none is seen).
    * ``raid_outcome``: ``"success"`` when that minimum is 0 or any event has
      ``encounter_success`` true, else ``"wipe"``.

    Args:
        silver: all silver rows of the raids to summarise.
        player_raid_stats: ``build_fact_player_raid_stats(silver)`` when already computed
            (saves recomputing it); must come from the same ``silver``.
    """
    summary = summarise_events(silver)
    if player_raid_stats is None:
        player_raid_stats = _player_stats(summary)
    return _raid_summary(summary, player_raid_stats)


def _raid_summary(summary: EventSummary, player_raid_stats: Any) -> Any:
    stats = player_raid_stats[["raid_id", "player_role", "damage_total", "healing_total"]].copy()
    stats["player_deaths"] = player_raid_stats["player_deaths"]
    stats["is_tank"] = (stats["player_role"] == "tank").astype("int64")
    stats["is_healer"] = (stats["player_role"] == "healer").astype("int64")
    stats["is_dps"] = (stats["player_role"] == "dps").astype("int64")
    per_raid = (
        stats.groupby("raid_id")
        .agg(
            total_damage=("damage_total", "sum"),
            total_player_deaths=("player_deaths", "sum"),
            n_players=("player_role", "count"),
            n_tanks=("is_tank", "sum"),
            n_healers=("is_healer", "sum"),
            n_dps=("is_dps", "sum"),
        )
        .reset_index()
    )
    out = summary.raids.merge(per_raid, on="raid_id", how="left")
    out["total_healing"] = out["all_healing"]
    for column in ["total_player_deaths", "n_players", "n_tanks", "n_healers", "n_dps"]:
        out[column] = out[column].fillna(0).astype("int64")
    for column in ["total_damage", "total_healing"]:
        out[column] = out[column].fillna(0.0).astype("float64")
    out["boss_min_hp_pct"] = out["boss_min_hp_pct"].astype("float64").fillna(100.0)
    out["raid_dps"] = per_second(out["total_damage"], out["duration_ms"])
    out["raid_hps"] = per_second(out["total_healing"], out["duration_ms"])
    won = (out["boss_min_hp_pct"] == 0.0) | (out["any_success"].fillna(0) > 0)
    out["raid_outcome"] = _WIPE
    out["raid_outcome"] = out["raid_outcome"].where(~won, _SUCCESS)
    return conform(out, FACT_RAID_SUMMARY)
