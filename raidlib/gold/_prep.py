"""Shared, vectorised groundwork for the gold builders: silver events → small summaries.

Everything here is plain pandas-API code that cuDF also runs: column arithmetic, ``where``,
``groupby().agg`` with named aggregations, ``merge``, ``sort_values`` and ``drop_duplicates``.
No per-row Python, and nothing relies on group or row order (cuDF's groupby is unordered:
https://docs.rapids.ai/api/cudf/stable/user_guide/api_docs/api/cudf.DataFrame.groupby/).

Speed: the full event frame is scanned by four group-bys only (:func:`summarise_events`); no
boolean filtering of the wide frame (gathering string columns dominated the first version's
profile). Everything after works on per-raid / per-actor summaries of a few thousand rows.

Who is a player (CONTRACT §4), decided per raid and per id:

* the source of an event with a non-null ``source_player_role``;
* the target of an event with ``target_entity_type == "player"``;
* the target of a ``player_death`` whose ``target_entity_type`` is null (the event type itself
  says the victim is a player; a death with target type ``boss``/``add`` is not a player death),
  unless the raid targets that id as a ``boss`` or ``add`` elsewhere.

A boss (source with a null role, targeted as ``boss``) is therefore never a player.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from raidlib.backend import date_text, frame_library
from raidlib.backend import null_safe_flag as _flag
from raidlib.gold.silver_columns import EVENT_COLUMNS

KEY = ["raid_id", "player_id"]

_SOURCE_KEYS = [
    "raid_id",
    "source_player_id",
    "source_player_name",
    "source_player_class",
    "source_player_role",
]
_TARGET_KEYS = ["raid_id", "target_entity_id", "target_entity_name", "target_entity_type"]
NPC_TARGET_TYPES = ("boss", "add")
"""Target types that make an id a non-player for its whole raid."""


@dataclass(frozen=True)
class EventSummary:
    """Small frames that hold everything gold needs from a silver frame.

    * ``raids``: one row per raid — ``raid_id, event_date, duration_ms, boss_min_hp_pct``
      (null when no boss health was seen), ``any_success``, ``all_healing`` (Σ of every
      ``heal`` event, whoever the healer).
    * ``sources``: one row per (raid, source id, name, class, role) — ``ts`` (latest event),
      ``damage_total, healing_total, damage_events, healing_events, crit_events``,
      ``phase_events`` (``boss_phase`` events it is the source of: the boss, by its name).
    * ``targets``: one row per (raid, target id, name, type) — ``n`` (events), ``player_hits``
      (events on which the target is a player), ``player_ts`` (latest of those),
      ``player_deaths``, ``total_damage_received``.
    * ``difficulties``: one row per (raid, non-null difficulty) — ``n``.
    """

    raids: Any
    sources: Any
    targets: Any
    difficulties: Any


def summarise_events(silver: Any) -> EventSummary:
    """Scan the silver rows once per grouping and return :class:`EventSummary`.

    ``silver`` must hold every row of each raid in it (durations and dates are per raid).
    """
    missing = [c for c in EVENT_COLUMNS if c not in silver.columns]
    if missing:
        raise ValueError(f"silver frame lacks columns {missing}")
    ev = _flagged_events(silver)
    difficulties = ev.groupby(["raid_id", "difficulty"]).agg(n=("timestamp", "count")).reset_index()
    return EventSummary(
        raids=_raid_rows(ev),
        sources=_source_rows(ev),
        targets=_no_npc_players(_target_rows(ev)),
        difficulties=difficulties,
    )


def _flagged_events(silver: Any) -> Any:
    """The columns gold reads, plus the per-event flags and amounts the groupings sum."""
    # A column selection is a new frame on both backends (pandas 3 is copy-on-write): adding
    # columns to it never touches ``silver``, so no deep copy of the strings is needed.
    ev = silver[list(EVENT_COLUMNS)]
    etype, ttype = ev["event_type"], ev["target_entity_type"]
    is_damage = _flag(etype == "combat_damage")
    is_heal = _flag(etype == "heal")
    target_player_type = _flag(ttype == "player")
    death_of_player = _flag(etype == "player_death") & (target_player_type | _flag(ttype.isna()))
    target_is_player = (target_player_type | death_of_player) & _flag(
        ev["target_entity_id"].notna()
    )
    # Flags are summed as int64: summing booleans is not equally supported by both backends.
    ev["is_damage"] = is_damage.astype("int64")
    ev["is_heal"] = is_heal.astype("int64")
    ev["is_phase"] = _flag(etype == "boss_phase").astype("int64")
    ev["damage"] = ev["damage_amount"].astype("float64").fillna(0.0).where(is_damage, 0.0)
    ev["healing"] = ev["healing_amount"].astype("float64").fillna(0.0).where(is_heal, 0.0)
    ev["is_crit"] = (_flag(ev["is_critical_hit"]) & (is_damage | is_heal)).astype("int64")
    ev["death_of_player"] = death_of_player.astype("int64")
    ev["target_is_player"] = target_is_player.astype("int64")
    ev["player_ts"] = ev["timestamp"].where(target_is_player)
    ev["success"] = _flag(ev["encounter_success"]).astype("int64")
    ev["boss_hp"] = (
        ev["target_entity_health_pct_after"].astype("float64").where(_flag(ttype == "boss"))
    )
    return ev


def _raid_rows(ev: Any) -> Any:
    """:attr:`EventSummary.raids` from :func:`_flagged_events`."""
    raids = (
        ev.groupby("raid_id")
        .agg(
            first_ts=("timestamp", "min"),
            last_ts=("timestamp", "max"),
            boss_min_hp_pct=("boss_hp", "min"),
            any_success=("success", "max"),
            all_healing=("healing", "sum"),
        )
        .reset_index()
    )
    raids["event_date"] = date_text(raids["first_ts"])
    first_us = raids["first_ts"].astype("datetime64[us]").astype("int64")
    last_us = raids["last_ts"].astype("datetime64[us]").astype("int64")
    raids["duration_ms"] = (last_us - first_us) // 1000
    columns = ["raid_id", "event_date", "duration_ms", "boss_min_hp_pct", "any_success"]
    return raids[[*columns, "all_healing"]]


def _source_rows(ev: Any) -> Any:
    """:attr:`EventSummary.sources` from :func:`_flagged_events`."""
    return (
        ev.groupby(_SOURCE_KEYS, dropna=False)
        .agg(
            ts=("timestamp", "max"),
            damage_total=("damage", "sum"),
            healing_total=("healing", "sum"),
            damage_events=("is_damage", "sum"),
            healing_events=("is_heal", "sum"),
            crit_events=("is_crit", "sum"),
            phase_events=("is_phase", "sum"),
        )
        .reset_index()
    )


def _target_rows(ev: Any) -> Any:
    """Targets of :func:`_flagged_events` with an id (before :func:`_no_npc_players`)."""
    targets = (
        ev.groupby(_TARGET_KEYS, dropna=False)
        .agg(
            n=("timestamp", "count"),
            player_hits=("target_is_player", "sum"),
            player_ts=("player_ts", "max"),
            player_deaths=("death_of_player", "sum"),
            total_damage_received=("damage", "sum"),
        )
        .reset_index()
    )
    return targets.loc[targets["target_entity_id"].notna()]


def _no_npc_players(targets: Any) -> Any:
    """``targets`` with no player hits or deaths on an id the raid types ``boss`` or ``add``.

    An untyped ``player_death`` target counts as a player (the event type says so), but not
    when the same raid targets that id as a boss or add elsewhere: bosses are never players
    (CONTRACT §5), whatever one event leaves out. Rows that type the id ``player`` outright
    keep counting unless the raid also types it ``boss``: a raider once typed ``add`` (mind
    controlled) is still a player when a hit or death names them one.
    """
    typed = targets["target_entity_type"]
    npc = targets.loc[
        _flag(typed.isin(list(NPC_TARGET_TYPES))),
        ["raid_id", "target_entity_id", "target_entity_type"],
    ]
    if len(npc) == 0:
        return targets.reset_index(drop=True)
    # The flag from the selection's own column (boss or add, never null): a series of all the
    # targets would be aligned to it, a join on cuDF.
    npc = npc.assign(_boss=(npc["target_entity_type"] == "boss").astype("int64"))
    npc = npc.groupby(["raid_id", "target_entity_id"]).agg(_boss=("_boss", "max")).reset_index()
    out = targets.merge(npc, on=["raid_id", "target_entity_id"], how="left")
    typed_player = _flag(out["target_entity_type"] == "player") & _flag(out["_boss"] == 0)
    player = out["_boss"].isna() | typed_player
    out["player_hits"] = out["player_hits"].where(player, 0)
    out["player_deaths"] = out["player_deaths"].where(player, 0)
    out["player_ts"] = out["player_ts"].where(player)
    return out.drop(columns=["_boss"]).reset_index(drop=True)


def players_frame(summary: EventSummary) -> Any:
    """Distinct ``(raid_id, player_id)`` of every player seen in each raid."""
    xdf = frame_library(summary.sources)
    src, tgt = summary.sources, summary.targets
    sources = src.loc[src["source_player_role"].notna(), ["raid_id", "source_player_id"]]
    targets = tgt.loc[tgt["player_hits"] > 0, ["raid_id", "target_entity_id"]]
    both = xdf.concat(
        [
            sources.rename(columns={"source_player_id": "player_id"}),
            targets.rename(columns={"target_entity_id": "player_id"}),
        ],
        ignore_index=True,
    )
    return both.drop_duplicates().reset_index(drop=True)


def latest_value(
    candidates: Any, keys: list[str], column: str, out: str, order: tuple[str, ...] = ("ts",)
) -> Any:
    """Per ``keys``, the non-null ``column`` value that comes last by ``order``.

    Ties on ``order`` go to the greatest value, so the answer never depends on row order.
    ``candidates`` should be pre-reduced (one row per distinct value and its latest ``order``).
    """
    rows = candidates.loc[candidates[column].notna(), [*keys, *order, column]]
    rows = rows.sort_values([*keys, *order, column])
    rows = rows.drop_duplicates(subset=keys, keep="last")
    return rows[[*keys, column]].rename(columns={column: out})


def player_attributes(summary: EventSummary, players: Any) -> Any:
    """``players`` with ``player_name``, ``player_class`` and ``player_role`` (may be null).

    Name, class and role come from the latest event where the player is the source (each the
    latest non-null value); a player never seen as a source takes the latest
    ``target_entity_name`` it was targeted under as a player, and null class and role.
    """
    src = summary.sources.rename(columns={"source_player_id": "player_id"})
    out = players
    for column, name in (
        ("source_player_name", "src_name"),
        ("source_player_class", "player_class"),
        ("source_player_role", "player_role"),
    ):
        out = out.merge(latest_value(src, KEY, column, name), on=KEY, how="left")
    tgt = summary.targets.loc[summary.targets["player_hits"] > 0]
    tgt = tgt.rename(columns={"target_entity_id": "player_id"})
    tgt_name = latest_value(tgt, KEY, "target_entity_name", "tgt_name", order=("player_ts",))
    out = out.merge(tgt_name, on=KEY, how="left")
    out["player_name"] = out["src_name"].where(out["src_name"].notna(), out["tgt_name"])
    return out.drop(columns=["src_name", "tgt_name"])


def boss_names(summary: EventSummary) -> Any:
    """Per raid, ``boss_name``: the most frequent ``boss`` target name, else the most frequent
    name among the sources of ``boss_phase`` events (a boss nobody hit, or one a combat log did
    not type as ``boss``, is still named); missing when neither exists."""
    targets = summary.targets
    bosses = targets.loc[targets["target_entity_type"] == "boss"]
    by_target = most_frequent(bosses, "target_entity_name", "boss_name")
    sources = summary.sources
    phases = sources.loc[
        sources["phase_events"] > 0, ["raid_id", "source_player_name", "phase_events"]
    ].rename(columns={"phase_events": "n"})
    by_phase = most_frequent(phases, "source_player_name", "phase_name")
    names = by_target.merge(by_phase, on="raid_id", how="outer")
    names["boss_name"] = names["boss_name"].where(names["boss_name"].notna(), names["phase_name"])
    return names[["raid_id", "boss_name"]]


def most_frequent(counts: Any, column: str, out: str) -> Any:
    """Per raid, the non-null ``column`` value with the greatest summed ``n``.

    Ties go to the alphabetically first value. ``counts`` has ``raid_id``, ``column``, ``n``.
    """
    rows = counts.loc[counts[column].notna(), ["raid_id", column, "n"]]
    totals = rows.groupby(["raid_id", column]).agg(n=("n", "sum")).reset_index()
    totals = totals.sort_values(["raid_id", "n", column], ascending=[True, False, True])
    best = totals.drop_duplicates(subset=["raid_id"], keep="first")
    return best[["raid_id", column]].rename(columns={column: out})
