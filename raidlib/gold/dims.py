"""Gold dimensions: ``dim_raid`` and the SCD type 1 ``dim_player`` (CONTRACT §4).

``dim_player`` design — why it is rebuilt from the fact table rather than incremented:
``total_raids`` counts *distinct* raids, and a count kept in ``dim_player`` alone cannot tell a
new raid from a re-processed one (late data, a re-run flow). ``fact_player_raid_stats`` already
is the player × raid record: one row per pair, its partitions replaced whole when a raid is
rebuilt. So :func:`build_dim_player` derives every attribute of a player from the **complete**
fact table (all raids in the lake, see :func:`merge_player_raid_stats`), and the previous
``dim_player`` only supplies players that no longer have any fact row. Consequences:

* rebuilding twice gives the same table (the output depends only on the set of fact rows);
* re-processing a raid replaces its fact rows, so ``total_raids`` does not grow;
* input row order is irrelevant (every choice below is an order-free aggregate).
"""

from __future__ import annotations

from typing import Any

from raidlib.backend import frame_library
from raidlib.gold._prep import (
    EventSummary,
    boss_names,
    latest_value,
    most_frequent,
    players_frame,
    summarise_events,
)
from raidlib.gold.schema import (
    DIM_PLAYER,
    DIM_RAID,
    FACT_PLAYER_RAID_STATS,
    UNKNOWN_ROLE,
    conform,
)
from raidlib.settings import DEFAULT_ENRAGE_TIMER_MS

DEFAULT_DURATION_TARGET_MS = DEFAULT_ENRAGE_TIMER_MS
"""Default enrage timer for ``dim_raid.duration_target_ms`` (6 minutes)."""


def build_dim_raid(
    silver: Any,
    *,
    duration_target_ms: int = DEFAULT_DURATION_TARGET_MS,
    player_raid_stats: Any = None,
) -> Any:
    """One row per raid (:data:`~raidlib.gold.schema.DIM_RAID`).

    * ``event_date``: UTC date of the raid's first event.
    * ``boss_name``: the most frequent ``target_entity_name`` among events whose
      ``target_entity_type`` is ``boss``, else the most frequent source name of ``boss_phase``
      events (ties: alphabetically first; null when neither exists).
    * ``difficulty``: the most frequent non-null ``difficulty`` (same tie rule; null if none).
    * ``raid_size``: the number of players (= ``fact_raid_summary.n_players``).
    * ``duration_target_ms``: the enrage timer passed in.

    Args:
        silver: all silver rows of the raids to describe.
        duration_target_ms: enrage timer written on every row.
        player_raid_stats: ``build_fact_player_raid_stats(silver)`` if already computed; only its
            ``raid_id``/``player_id`` are used. Players are derived from ``silver`` otherwise.
    """
    return _dim_raid(summarise_events(silver), duration_target_ms, player_raid_stats)


def _dim_raid(summary: EventSummary, duration_target_ms: int, player_raid_stats: Any) -> Any:
    out = summary.raids[["raid_id", "event_date"]]
    out = out.merge(boss_names(summary), on="raid_id", how="left")
    difficulty = most_frequent(summary.difficulties, "difficulty", "difficulty")
    out = out.merge(difficulty, on="raid_id", how="left")
    players = players_frame(summary) if player_raid_stats is None else player_raid_stats
    players = players[["raid_id", "player_id"]].copy()
    size = players.groupby("raid_id").agg(raid_size=("player_id", "count")).reset_index()
    out = out.merge(size, on="raid_id", how="left")
    out["raid_size"] = out["raid_size"].fillna(0).astype("int64")
    out["duration_target_ms"] = int(duration_target_ms)
    return conform(out, DIM_RAID)


def merge_player_raid_stats(existing: Any, new: Any) -> Any:
    """The complete ``fact_player_raid_stats`` after (re)building the raids in ``new``.

    Rows of ``existing`` whose ``raid_id`` appears in ``new`` are dropped (the raid was rebuilt
    whole), then ``new`` is added. ``existing`` may be ``None``. Output is conformed and sorted.
    """
    if existing is None or len(existing) == 0:
        return conform(new, FACT_PLAYER_RAID_STATS)
    xdf = frame_library(new)
    rebuilt = new[["raid_id"]].drop_duplicates()
    rebuilt["_rebuilt"] = True
    kept = existing.merge(rebuilt, on="raid_id", how="left")
    kept = kept.loc[kept["_rebuilt"].isna()].drop(columns=["_rebuilt"])
    both = xdf.concat(
        [conform(kept, FACT_PLAYER_RAID_STATS), conform(new, FACT_PLAYER_RAID_STATS)],
        ignore_index=True,
    )
    return conform(both, FACT_PLAYER_RAID_STATS)


def build_dim_player(existing_dim_player: Any, player_raid_stats: Any) -> Any:
    """SCD type 1 ``dim_player`` (:data:`~raidlib.gold.schema.DIM_PLAYER`), one row per player.

    Args:
        existing_dim_player: the current ``dim_player`` (or ``None``/empty). Players absent from
            ``player_raid_stats`` are carried over (SCD1 never deletes) with ``total_raids`` 0,
            since none of their raids is in the facts any more; everyone else is recomputed.
        player_raid_stats: the **complete** ``fact_player_raid_stats`` — every raid in the lake,
            not only the raids just built (use :func:`merge_player_raid_stats`). Passing only new
            raids would under-count ``total_raids`` of returning players.

    For each player in ``player_raid_stats``:

    * ``player_name`` / ``player_class``: from the latest raid — ordered by ``(event_date,
      raid_id)`` — with a non-null value (SCD1 overwrite; a raid where the player was only a
      target, so has no class, does not erase a known class);
    * ``player_role``: from the latest raid whose role is not ``"unknown"``, else ``"unknown"``;
    * ``first_seen_date`` / ``last_seen_date``: min / max ``event_date``;
    * ``total_raids``: number of distinct ``raid_id``.
    """
    stats = player_raid_stats
    xdf = frame_library(stats)
    order = ("event_date", "raid_id")
    keys = ["player_id"]
    cols = ["player_id", "raid_id", "event_date", "player_name", "player_class", "player_role"]
    rows = stats[cols].copy()
    # ``where`` without ``other`` (null on both backends); ``other=None`` is not portable.
    rows["player_role"] = rows["player_role"].where(rows["player_role"] != UNKNOWN_ROLE)
    out = (
        rows.groupby("player_id")
        .agg(
            first_seen_date=("event_date", "min"),
            last_seen_date=("event_date", "max"),
            total_raids=("raid_id", "nunique"),
        )
        .reset_index()
    )
    for column in ("player_name", "player_class", "player_role"):
        out = out.merge(latest_value(rows, keys, column, column, order), on=keys, how="left")
    out["player_role"] = out["player_role"].fillna(UNKNOWN_ROLE)
    out = conform(out, DIM_PLAYER)

    if existing_dim_player is None or len(existing_dim_player) == 0:
        return out
    carried = existing_dim_player.merge(
        out[["player_id"]].assign(_fresh=True), on="player_id", how="left"
    )
    carried = carried.loc[carried["_fresh"].isna()].drop(columns=["_fresh"])
    if len(carried) == 0:
        return out
    carried["total_raids"] = 0
    return conform(xdf.concat([conform(carried, DIM_PLAYER), out], ignore_index=True), DIM_PLAYER)


__all__ = [
    "DEFAULT_DURATION_TARGET_MS",
    "build_dim_player",
    "build_dim_raid",
    "merge_player_raid_stats",
]
