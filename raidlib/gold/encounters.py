"""Gold per pull: ``fact_encounter_summary`` and ``fact_player_encounter_stats``.

A *pull* is one attempt at a boss: the events of a raid that share an ``encounter_id`` (a combat
log gives ``<encounterId>-<pull>``, the synthetic generator ``<raid>-<boss>``). Events without
an ``encounter_id`` (trash between pulls, imported with ``scope="all"``) belong to no pull: they
count in the raid tables only.

Who is a player, damage and healing follow the raid tables exactly (CONTRACT §4,
:mod:`raidlib.gold._prep`): the per-pull tables are the raid builders run with
``(raid_id, encounter_id)`` as the grouping key, so the same rules cannot drift apart. The
amounts are the events' ``damage_amount`` / ``healing_amount``; for an imported combat log that
is damage done = amount − overkill, absorbed damage not counted, and healing = amount −
overhealing (the one definition, and its switch ``COUNT_ABSORBED_AS_DAMAGE``, live in
:mod:`raidlib.combatlog.mapping`).

Per pull:

* ``event_date``: UTC date of the pull's first event (its Hive partition).
* ``outcome``: ``"kill"`` when an event of the pull has ``encounter_success`` true (the combat
  log's ENCOUNTER_END with success=1, the generator's killing blow); ``"wipe"`` when the pull
  has an end event (non-null ``encounter_success``) and none is true. Without an end event
  (the log stops mid-pull: disconnect, ``/combatlog`` off): ``"kill"`` when a boss target
  reached 0 % health in the pull (as ``raid_outcome`` reads it), else ``"unknown"`` — an
  unfinished pull is not called a wipe because nothing says the raid died.
* ``duration_ms``: ``encounter_duration_ms`` of the end event (the combat log's fightTime) when
  there is one, else last − first event timestamp of the pull.
* ``dps`` / ``hps`` / ``raid_dps`` / ``raid_hps``: amounts / ``duration_ms`` in seconds (0.0
  for a zero duration).
* ``deaths`` / ``player_deaths``: ``player_death`` events whose victim (target) is a player.

Pure pandas-API code that cuDF also runs (no per-row Python); outputs are conformed to
:data:`~raidlib.gold.schema.FACT_ENCOUNTER_SUMMARY` and
:data:`~raidlib.gold.schema.FACT_PLAYER_ENCOUNTER_STATS` and sorted by their keys.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from raidlib.backend import frame_library
from raidlib.backend import null_safe_flag as _flag
from raidlib.gold._prep import (
    EventSummary,
    boss_names,
    most_frequent,
    summarise_events,
)
from raidlib.gold.facts import _player_stats, per_second
from raidlib.gold.schema import (
    ENCOUNTER_OUTCOMES,
    FACT_ENCOUNTER_SUMMARY,
    FACT_PLAYER_ENCOUNTER_STATS,
    GoldTable,
    conform,
)
from raidlib.gold.silver_columns import EVENT_COLUMNS

_KILL, _WIPE, _UNKNOWN = ENCOUNTER_OUTCOMES

_SEP = "\x1f"
"""Joins raid_id and encounter_id into one internal pull key; raid ids never contain it."""

_PULL_COLUMNS = list(dict.fromkeys([*EVENT_COLUMNS, "encounter_id", "encounter_duration_ms"]))


def _pull_events(silver: Any) -> tuple[Any, Any]:
    """The events inside pulls with ``raid_id`` replaced by the pull key, and the key map.

    Returns ``(events, pulls)``: ``pulls`` has ``raid_id`` (the key), ``real_raid_id`` and
    ``encounter_id``, one row per pull.
    """
    missing = [c for c in _PULL_COLUMNS if c not in silver.columns]
    if missing:
        raise ValueError(f"silver frame lacks columns {missing}")
    ev = silver.loc[silver["encounter_id"].notna(), _PULL_COLUMNS]
    ev = ev.rename(columns={"raid_id": "real_raid_id"})
    ev["raid_id"] = ev["real_raid_id"] + _SEP + ev["encounter_id"]
    pulls = ev[["raid_id", "real_raid_id", "encounter_id"]].drop_duplicates()
    return ev.reset_index(drop=True), pulls.reset_index(drop=True)


def _empty(like: Any, table: GoldTable) -> Any:
    """``table`` with no rows, on the backend of ``like``."""
    xdf = frame_library(like)
    empty = table.schema.empty_table()
    # From Arrow on both, as the lake readers build frames (see raidlib.lake.frames).
    return conform(empty.to_pandas() if xdf is pd else xdf.DataFrame.from_arrow(empty), table)


def _pull_ends(ev: Any) -> Any:
    """Per pull key: ``has_end`` (0/1) and ``end_duration_ms`` (null when no end event)."""
    ended = ev["encounter_success"].notna()
    ends = ev[["raid_id"]].copy()
    ends["has_end"] = ended.astype("int64")
    ends["end_duration_ms"] = ev["encounter_duration_ms"].astype("float64").where(ended)
    return (
        ends.groupby("raid_id")
        .agg(has_end=("has_end", "max"), end_duration_ms=("end_duration_ms", "max"))
        .reset_index()
    )


def _one_pull_per_raid(silver: Any) -> Any | None:
    """When every row has an ``encounter_id`` and each raid has one: its pulls, keyed by the
    raid itself (``raid_id`` = ``real_raid_id``); else None. The pulls then hold exactly the
    raid's rows, so the raid's own summary and player rows are the pulls' (the synthetic
    generator's raids, one boss each)."""
    if bool(silver["encounter_id"].isna().any()):
        return None
    pairs = silver[["raid_id", "encounter_id"]].drop_duplicates()
    if bool(pairs["raid_id"].duplicated().any()):
        return None
    pulls = pairs.assign(real_raid_id=pairs["raid_id"])
    return pulls[["raid_id", "real_raid_id", "encounter_id"]].reset_index(drop=True)


def _pulls_with_stats(
    silver: Any, raid_summary: EventSummary | None, raid_stats: Any
) -> tuple[Any, Any, EventSummary, Any] | None:
    """``(pull events, pulls, summary, player stats)`` keyed by pull; ``None`` without pulls.

    The raid's own summary is reused when each raid is one pull holding all its rows."""
    if raid_summary is not None and raid_stats is not None and len(silver):
        pulls = _one_pull_per_raid(silver)
        if pulls is not None:
            return silver[_PULL_COLUMNS], pulls, raid_summary, raid_stats
    ev, pulls = _pull_events(silver)
    if len(pulls) == 0:
        return None
    summary = summarise_events(ev)  # "raid_id" is the pull key here
    return ev, pulls, summary, _player_stats(summary)  # same rules as the raid's


def build_encounter_tables(
    silver: Any, raid_summary: EventSummary | None = None, raid_stats: Any = None
) -> tuple[Any, Any]:
    """``(fact_encounter_summary, fact_player_encounter_stats)`` for every pull in ``silver``.

    Args:
        silver: silver rows (pandas or cuDF, :data:`raidlib.silver.schema.SILVER_SCHEMA`
            columns) holding *all* rows of each raid in it.
        raid_summary, raid_stats: ``summarise_events(silver)`` and its ``_player_stats`` when
            already computed: reused, not recomputed, when each raid is one pull.
    """
    found = _pulls_with_stats(silver, raid_summary, raid_stats)
    if found is None:
        # No encounter markers (common outside combat logs): skip the two dozen frame
        # operations that would only shape empty tables.
        return _empty(silver, FACT_ENCOUNTER_SUMMARY), _empty(silver, FACT_PLAYER_ENCOUNTER_STATS)
    ev, pulls, summary, stats = found
    pulls = pulls.merge(summary.raids, on="raid_id", how="left")
    pulls = pulls.merge(_pull_ends(ev), on="raid_id", how="left")
    end_ms = pulls["end_duration_ms"].where(pulls["has_end"] > 0)
    pulls["duration_ms"] = end_ms.fillna(pulls["duration_ms"].astype("float64")).astype("int64")

    stats = stats.drop(columns=["event_date", "dps", "hps"]).merge(
        pulls[["raid_id", "real_raid_id", "encounter_id", "event_date", "duration_ms"]],
        on="raid_id",
        how="left",
    )
    stats["dps"] = per_second(stats["damage_total"], stats["duration_ms"])
    stats["hps"] = per_second(stats["healing_total"], stats["duration_ms"])
    stats["deaths"] = stats["player_deaths"]

    totals = (
        stats.groupby("raid_id")
        .agg(
            total_damage=("damage_total", "sum"),
            player_deaths=("player_deaths", "sum"),
            n_players=("player_id", "count"),
        )
        .reset_index()
    )
    out = pulls.merge(totals, on="raid_id", how="left")
    out["total_healing"] = out["all_healing"]  # every heal of the pull, as for the raid
    for column in ("player_deaths", "n_players"):
        out[column] = out[column].fillna(0).astype("int64")
    for column in ("total_damage", "total_healing"):
        out[column] = out[column].fillna(0.0).astype("float64")
    out["raid_dps"] = per_second(out["total_damage"], out["duration_ms"])
    out["raid_hps"] = per_second(out["total_healing"], out["duration_ms"])
    out = out.merge(boss_names(summary), on="raid_id", how="left")
    out = out.merge(
        most_frequent(summary.difficulties, "difficulty", "difficulty"), on="raid_id", how="left"
    )
    ended = out["has_end"].fillna(0) > 0
    # no end event but the boss reached 0 %: a kill, as the raid table says (CONTRACT §4)
    boss_died = ~ended & _flag(out["boss_min_hp_pct"] == 0.0)
    won = (out["any_success"].fillna(0) > 0) | boss_died
    out["outcome"] = _UNKNOWN
    out["outcome"] = out["outcome"].where(~ended, _WIPE)
    out["outcome"] = out["outcome"].where(~won, _KILL)

    out = out.drop(columns=["raid_id"]).rename(columns={"real_raid_id": "raid_id"})
    stats = stats.drop(columns=["raid_id"]).rename(columns={"real_raid_id": "raid_id"})
    return conform(out, FACT_ENCOUNTER_SUMMARY), conform(stats, FACT_PLAYER_ENCOUNTER_STATS)


def build_fact_encounter_summary(silver: Any) -> Any:
    """One row per raid × ``encounter_id`` (:data:`~raidlib.gold.schema.FACT_ENCOUNTER_SUMMARY`).

    Columns: ``raid_id, event_date, encounter_id, boss_name`` (most frequent boss target name
    in the pull, else the name on its ``boss_phase`` events), ``difficulty`` (most frequent),
    ``outcome`` (kill / wipe / unknown, see the module docstring), ``duration_ms``,
    ``raid_dps, raid_hps, total_damage`` (Σ over the pull's players), ``total_healing`` (Σ of
    every heal in the pull, as for the raid),
    ``player_deaths``, ``n_players``.
    """
    return build_encounter_tables(silver)[0]


def build_fact_player_encounter_stats(silver: Any) -> Any:
    """One row per raid × pull × player (:data:`~raidlib.gold.schema.FACT_PLAYER_ENCOUNTER_STATS`).

    Columns: ``raid_id, event_date, encounter_id, player_id, player_name, player_class,
    player_role`` ("unknown" when never given), ``damage_total, healing_total``, ``dps, hps``
    (by the pull's ``duration_ms``), ``deaths`` (as the victim), ``damage_events,
    healing_events``.
    """
    return build_encounter_tables(silver)[1]
