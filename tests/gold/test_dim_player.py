"""dim_player is SCD type 1 and idempotent (CONTRACT §4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from raidlib.gold import build_dim_player, build_gold, merge_player_raid_stats

TANK = {
    "source_player_id": "T1",
    "source_player_name": "Tanky",
    "source_player_role": "tank",
    "source_player_class": "warrior",
}
DPS = {
    "source_player_id": "D1",
    "source_player_name": "Stabby",
    "source_player_role": "dps",
    "source_player_class": "rogue",
}
HEALER = {
    "source_player_id": "H1",
    "source_player_name": "Healz",
    "source_player_role": "healer",
    "source_player_class": "priest",
}
AT_BOSS = {"target_entity_id": "B1", "target_entity_name": "Onyxia", "target_entity_type": "boss"}


def raid(raid_id: str, start: datetime, *actors: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": start + timedelta(seconds=i),
            "raid_id": raid_id,
            "event_type": "combat_damage",
            "damage_amount": 100.0,
            **actor,
            **AT_BOSS,
        }
        for i, actor in enumerate(actors)
    ]


def test_second_raid_renames_keeps_first_seen_counts_two(silver_factory) -> None:
    first = silver_factory(raid("r1", datetime(2026, 3, 1, 20), TANK, DPS, HEALER))
    renamed = {
        **DPS,
        "source_player_name": "Stabbity",
        "source_player_class": "hunter",
        "source_player_role": "dps",
    }
    second = silver_factory(raid("r2", datetime(2026, 3, 5, 21), TANK, renamed))

    g1 = build_gold(first, None, None)
    g2 = build_gold(second, g1.dim_player, g1.fact_player_raid_stats)
    dim = g2.dim_player.set_index("player_id")
    assert dim.loc["D1"].to_dict() == {
        "player_name": "Stabbity",
        "player_class": "hunter",
        "player_role": "dps",
        "first_seen_date": "2026-03-01",
        "last_seen_date": "2026-03-05",
        "total_raids": 2,
    }
    assert dim.loc["T1", "total_raids"] == 2
    # H1 was not in r2: unchanged.
    assert dim.loc["H1"].to_dict() == {
        "player_name": "Healz",
        "player_class": "priest",
        "player_role": "healer",
        "first_seen_date": "2026-03-01",
        "last_seen_date": "2026-03-01",
        "total_raids": 1,
    }

    all_stats = merge_player_raid_stats(g1.fact_player_raid_stats, g2.fact_player_raid_stats)
    assert sorted(set(all_stats["raid_id"])) == ["r1", "r2"]

    # Rebuilding twice gives the same table.
    again = build_dim_player(g2.dim_player, all_stats)
    pd.testing.assert_frame_equal(again, g2.dim_player)
    pd.testing.assert_frame_equal(build_dim_player(again, all_stats), again)

    # Re-processing a raid already counted does not raise total_raids, nor does it let the
    # older raid's name win back.
    g3 = build_gold(first, g2.dim_player, all_stats)
    pd.testing.assert_frame_equal(g3.dim_player, g2.dim_player)
    g4 = build_gold(
        second, g3.dim_player, merge_player_raid_stats(all_stats, g3.fact_player_raid_stats)
    )
    pd.testing.assert_frame_equal(g4.dim_player, g2.dim_player)


def test_processing_order_does_not_matter(silver_factory) -> None:
    first = silver_factory(raid("r1", datetime(2026, 3, 1, 20), TANK, DPS))
    renamed = {**DPS, "source_player_name": "Stabbity"}
    second = silver_factory(raid("r2", datetime(2026, 3, 5, 21), renamed))
    forward = build_gold(first)
    forward = build_gold(second, forward.dim_player, forward.fact_player_raid_stats)
    backward = build_gold(second)
    backward = build_gold(first, backward.dim_player, backward.fact_player_raid_stats)
    pd.testing.assert_frame_equal(forward.dim_player, backward.dim_player)
    assert forward.dim_player.set_index("player_id").loc["D1", "player_name"] == "Stabbity"


def test_players_without_fact_rows_are_carried_over(silver_factory) -> None:
    existing = pd.DataFrame(
        {
            "player_id": ["OLD", "T1"],
            "player_name": ["Veteran", "Stale"],
            "player_class": ["mage", "warrior"],
            "player_role": ["dps", "tank"],
            "first_seen_date": ["2025-01-01", "2025-01-01"],
            "last_seen_date": ["2025-02-01", "2025-02-01"],
            "total_raids": [7, 9],
        }
    )
    stats = build_gold(
        silver_factory(raid("r1", datetime(2026, 3, 1, 20), TANK))
    ).fact_player_raid_stats
    dim = build_dim_player(existing, stats).set_index("player_id")
    assert dim.loc["OLD"].to_dict() == {
        "player_name": "Veteran",
        "player_class": "mage",
        "player_role": "dps",
        "first_seen_date": "2025-01-01",
        "last_seen_date": "2025-02-01",
        "total_raids": 0,  # none of their raids is in the facts (a raid's gold removed)
    }
    # A player present in the facts is recomputed from them (the facts are the record).
    assert dim.loc["T1", "player_name"] == "Tanky"
    assert dim.loc["T1", "total_raids"] == 1


def test_role_and_class_not_erased_by_a_raid_seen_only_as_target(silver_factory) -> None:
    first = silver_factory(raid("r1", datetime(2026, 3, 1, 20), DPS))
    boss = {"source_player_id": "B1", "source_player_name": "Onyxia"}
    target_only = [
        {
            "timestamp": datetime(2026, 3, 9, 20),
            "raid_id": "r2",
            "event_type": "combat_damage",
            "damage_amount": 1.0,
            **boss,
            "target_entity_id": "D1",
            "target_entity_name": "Stabby",
            "target_entity_type": "player",
        }
    ]
    g = build_gold(first)
    g = build_gold(silver_factory(target_only), g.dim_player, g.fact_player_raid_stats)
    row = g.dim_player.set_index("player_id").loc["D1"]
    assert (row["player_class"], row["player_role"], row["last_seen_date"], row["total_raids"]) == (
        "rogue",
        "dps",
        "2026-03-09",
        2,
    )


def test_the_latest_name_follows_the_raid_date_not_the_raid_id(silver_factory) -> None:
    """Raid ids need not sort by date: the April raid "alpha" is newer than the March raid
    "zeta", so its name is the player's current one."""
    renamed = {**DPS, "source_player_name": "Stabbity"}
    march = silver_factory(raid("zeta", datetime(2026, 3, 1, 20), DPS))
    april = silver_factory(raid("alpha", datetime(2026, 4, 1, 20), renamed))
    g = build_gold(march)
    g = build_gold(april, g.dim_player, g.fact_player_raid_stats)
    row = g.dim_player.set_index("player_id").loc["D1"]
    assert (row["player_name"], row["last_seen_date"], row["total_raids"]) == (
        "Stabbity",
        "2026-04-01",
        2,
    )


def test_a_rebuilt_raid_replaces_its_old_fact_rows(silver_factory) -> None:
    """r1 is rebuilt after a late event moved its start before midnight and the DPS's events
    were dropped: only the rebuilt r1 is left in the facts and in dim_player's dates."""
    first = silver_factory(raid("r1", datetime(2026, 3, 2, 0, 5), TANK, DPS))
    late = raid("r1", datetime(2026, 3, 1, 23, 55), TANK)
    rebuilt = silver_factory(late + raid("r1", datetime(2026, 3, 2, 0, 5), TANK))
    g1 = build_gold(first)
    g2 = build_gold(rebuilt, g1.dim_player, g1.fact_player_raid_stats)
    complete = merge_player_raid_stats(g1.fact_player_raid_stats, g2.fact_player_raid_stats)
    assert complete[["raid_id", "player_id", "event_date"]].values.tolist() == [
        ["r1", "T1", "2026-03-01"]
    ]
    tank = g2.dim_player.set_index("player_id").loc["T1"]
    assert (tank["first_seen_date"], tank["last_seen_date"], tank["total_raids"]) == (
        "2026-03-01",
        "2026-03-01",
        1,
    )
