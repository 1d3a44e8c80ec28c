"""Gold values computed by hand for small raids (CONTRACT §4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from raidlib.gold import (
    build_dim_player,
    build_dim_raid,
    build_fact_player_raid_stats,
    build_fact_raid_summary,
    build_gold,
)

from .conftest import BOSS, DPS, HEALER, TANK, make_silver

START = datetime(2026, 3, 1, 20, 0, 0)

AT_BOSS = {"target_entity_id": "B1", "target_entity_name": "Ragnaros", "target_entity_type": "boss"}


def at_player(actor: dict[str, Any]) -> dict[str, Any]:
    return {
        "target_entity_id": actor["source_player_id"],
        "target_entity_name": actor["source_player_name"],
        "target_entity_type": "player",
    }


def ev(seconds: float, event_type: str, actor: dict[str, Any], raid: str = "r1", **fields: Any):
    return {
        "timestamp": START + timedelta(seconds=seconds),
        "raid_id": raid,
        "event_type": event_type,
        **actor,
        **fields,
    }


def success_raid_rows() -> list[dict[str, Any]]:
    """15 events: 3 players, a boss that kills the healer, heals itself and dies at 0 %."""
    hp = "target_entity_health_pct_after"
    return [
        ev(
            0,
            "combat_damage",
            TANK,
            damage_amount=1000.0,
            **AT_BOSS,
            **{hp: 90.0},
            difficulty="heroic",
        ),
        ev(
            1,
            "combat_damage",
            DPS,
            damage_amount=3000.0,
            is_critical_hit=True,
            **AT_BOSS,
            **{hp: 70.0},
            difficulty="heroic",
        ),
        ev(2, "combat_damage", BOSS, damage_amount=5000.0, **at_player(TANK), difficulty="heroic"),
        ev(3, "heal", HEALER, healing_amount=4000.0, is_critical_hit=True, **at_player(TANK)),
        ev(4, "combat_damage", BOSS, damage_amount=2000.0, **at_player(HEALER)),
        ev(5, "player_death", BOSS, **at_player(HEALER)),
        ev(6, "spell_cast", DPS, ability_name="Vanish"),
        ev(
            7,
            "combat_damage",
            DPS,
            damage_amount=2500.0,
            **AT_BOSS,
            **{hp: 40.0},
            difficulty="normal",
        ),
        ev(8, "heal", TANK, healing_amount=500.0, **at_player(TANK)),
        ev(9, "boss_phase", BOSS, ability_name="Phase 2"),
        ev(
            10,
            "combat_damage",
            TANK,
            damage_amount=1500.0,
            is_critical_hit=True,
            **AT_BOSS,
            **{hp: 20.0},
        ),
        ev(11, "mana_regeneration", HEALER, resource_type="mana"),
        ev(
            12,
            "combat_damage",
            DPS,
            damage_amount=4000.0,
            is_critical_hit=True,
            **AT_BOSS,
            **{hp: 0.0},
        ),
        ev(
            14.5,
            "combat_damage",
            DPS,
            damage_amount=100.0,
            target_entity_id="A1",
            target_entity_name="Core Hound",
            target_entity_type="add",
        ),
        ev(15, "heal", BOSS, healing_amount=9999.0, **AT_BOSS, **{hp: 5.0}),
    ]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with nulls as None (exact comparison of every column)."""
    return [
        {k: (None if (not isinstance(v, str) and pd.isna(v)) else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


@pytest.fixture
def success_silver(silver_factory):
    return silver_factory(success_raid_rows())


def test_fact_player_raid_stats_by_hand(success_silver) -> None:
    got = records(build_fact_player_raid_stats(success_silver))
    base = {"raid_id": "r1", "event_date": "2026-03-01"}
    assert got == [
        {
            **base,
            "player_id": "D1",
            "player_name": "Stabby",
            "player_class": "rogue",
            "player_role": "dps",
            "damage_total": 9600.0,
            "healing_total": 0.0,
            "damage_events": 4,
            "healing_events": 0,
            "player_deaths": 0,
            "crit_events": 2,
            "crit_rate": 0.5,
            "total_damage_received": 0.0,
            "dps": 640.0,
            "hps": 0.0,
            "damage_share": 9600.0 / 12100.0,
            "healing_share": 0.0,
        },
        {
            **base,
            "player_id": "H1",
            "player_name": "Healz",
            "player_class": "priest",
            "player_role": "healer",
            "damage_total": 0.0,
            "healing_total": 4000.0,
            "damage_events": 0,
            "healing_events": 1,
            "player_deaths": 1,
            "crit_events": 1,
            "crit_rate": 1.0,
            "total_damage_received": 2000.0,
            "dps": 0.0,
            "hps": 4000.0 / 15.0,
            "damage_share": 0.0,
            "healing_share": 4000.0 / 4500.0,
        },
        {
            **base,
            "player_id": "T1",
            "player_name": "Tanky",
            "player_class": "warrior",
            "player_role": "tank",
            "damage_total": 2500.0,
            "healing_total": 500.0,
            "damage_events": 2,
            "healing_events": 1,
            "player_deaths": 0,
            "crit_events": 1,
            "crit_rate": 1.0 / 3.0,
            "total_damage_received": 5000.0,
            "dps": 2500.0 / 15.0,
            "hps": 500.0 / 15.0,
            "damage_share": 2500.0 / 12100.0,
            "healing_share": 500.0 / 4500.0,
        },
    ]


def test_fact_raid_summary_by_hand(success_silver) -> None:
    assert records(build_fact_raid_summary(success_silver)) == [
        {
            "raid_id": "r1",
            "event_date": "2026-03-01",
            "duration_ms": 15_000,
            "total_damage": 12_100.0,  # by players only: the boss's damage on them is not output
            "total_healing": 4_500.0 + 9_999.0,  # Σ heal (§4): the boss's self-heal counts too
            "total_player_deaths": 1,
            "n_players": 3,
            "n_tanks": 1,
            "n_healers": 1,
            "n_dps": 1,
            "raid_dps": 12_100.0 / 15.0,
            "raid_hps": (4_500.0 + 9_999.0) / 15.0,
            "boss_min_hp_pct": 0.0,
            "raid_outcome": "success",
        }
    ]


def test_dim_raid_by_hand(success_silver) -> None:
    assert records(build_dim_raid(success_silver)) == [
        {
            "raid_id": "r1",
            "event_date": "2026-03-01",
            "boss_name": "Ragnaros",
            "difficulty": "heroic",  # 3 × heroic, 1 × normal
            "raid_size": 3,
            "duration_target_ms": 360_000,
        }
    ]
    assert build_dim_raid(success_silver, duration_target_ms=420_000)[
        "duration_target_ms"
    ].tolist() == [420_000]


def test_dim_player_by_hand(success_silver) -> None:
    stats = build_fact_player_raid_stats(success_silver)
    day = "2026-03-01"
    assert records(build_dim_player(None, stats)) == [
        {
            "player_id": "D1",
            "player_name": "Stabby",
            "player_class": "rogue",
            "player_role": "dps",
            "first_seen_date": day,
            "last_seen_date": day,
            "total_raids": 1,
        },
        {
            "player_id": "H1",
            "player_name": "Healz",
            "player_class": "priest",
            "player_role": "healer",
            "first_seen_date": day,
            "last_seen_date": day,
            "total_raids": 1,
        },
        {
            "player_id": "T1",
            "player_name": "Tanky",
            "player_class": "warrior",
            "player_role": "tank",
            "first_seen_date": day,
            "last_seen_date": day,
            "total_raids": 1,
        },
    ]


def test_build_gold_matches_the_separate_builders(success_silver) -> None:
    gold = build_gold(success_silver, None)
    stats = build_fact_player_raid_stats(success_silver)
    pd.testing.assert_frame_equal(gold.fact_player_raid_stats, stats)
    pd.testing.assert_frame_equal(gold.fact_raid_summary, build_fact_raid_summary(success_silver))
    pd.testing.assert_frame_equal(gold.dim_raid, build_dim_raid(success_silver))
    pd.testing.assert_frame_equal(gold.dim_player, build_dim_player(None, stats))
    assert set(gold.as_dict()) == {
        "dim_player",
        "dim_raid",
        "fact_raid_summary",
        "fact_player_raid_stats",
        "fact_encounter_summary",
        "fact_player_encounter_stats",
    }


def test_boss_is_never_a_player(success_silver) -> None:
    gold = build_gold(success_silver)
    assert "B1" not in gold.fact_player_raid_stats["player_id"].tolist()
    assert "B1" not in gold.dim_player["player_id"].tolist()
    assert "A1" not in gold.fact_player_raid_stats["player_id"].tolist()  # an add is no player


def test_an_untyped_death_of_the_boss_does_not_make_it_a_player(silver_factory) -> None:
    # The raid targets B1 as its boss; a death of B1 that leaves the target type out is not a
    # player's death, and B1 does not become a player with role "unknown".
    boss_death = {"target_entity_id": "B1", "target_entity_name": "Ragnaros"}
    rows = success_raid_rows()
    before = build_gold(silver_factory(rows))
    after = build_gold(silver_factory([*rows, ev(59, "player_death", DPS, **boss_death)]))
    assert "B1" not in after.fact_player_raid_stats["player_id"].tolist()
    assert "B1" not in after.dim_player["player_id"].tolist()
    summary = records(after.fact_raid_summary)[0]
    expected = records(before.fact_raid_summary)[0]
    assert summary["n_players"] == expected["n_players"] == 3
    assert summary["total_player_deaths"] == expected["total_player_deaths"] == 1
    # an untyped death of an id the raid never types as boss or add is still a player's
    victim = {"target_entity_id": "X9", "target_entity_name": "Newbie"}
    more = build_gold(silver_factory([*rows, ev(59, "player_death", BOSS, **victim)]))
    assert records(more.fact_raid_summary)[0]["total_player_deaths"] == 2
    assert "X9" in more.fact_player_raid_stats["player_id"].tolist()


def test_wipe_raid(silver_factory) -> None:
    hp = "target_entity_health_pct_after"
    silver = silver_factory(
        [
            ev(0, "combat_damage", DPS, raid="w1", damage_amount=800.0, **AT_BOSS, **{hp: 60.0}),
            ev(2, "combat_damage", BOSS, raid="w1", damage_amount=90_000.0, **at_player(DPS)),
            ev(3, "player_death", BOSS, raid="w1", **at_player(DPS)),
            ev(4, "combat_damage", TANK, raid="w1", damage_amount=200.0, **AT_BOSS, **{hp: 35.0}),
            ev(6, "player_death", BOSS, raid="w1", **at_player(TANK), encounter_success=False),
        ]
    )
    summary = records(build_fact_raid_summary(silver))[0]
    assert summary == {
        "raid_id": "w1",
        "event_date": "2026-03-01",
        "duration_ms": 6000,
        "total_damage": 1000.0,
        "total_healing": 0.0,
        "total_player_deaths": 2,
        "n_players": 2,
        "n_tanks": 1,
        "n_healers": 0,
        "n_dps": 1,
        "raid_dps": 1000.0 / 6.0,
        "raid_hps": 0.0,
        "boss_min_hp_pct": 35.0,
        "raid_outcome": "wipe",
    }
    stats = build_fact_player_raid_stats(silver).set_index("player_id")
    assert stats.loc["D1", "player_deaths"] == 1
    assert stats.loc["D1", "total_damage_received"] == 90_000.0
    assert stats.loc["T1", "player_deaths"] == 1
    assert stats["healing_share"].tolist() == [0.0, 0.0]  # zero denominator → 0.0


def test_encounter_success_without_boss_health(silver_factory) -> None:
    silver = silver_factory(
        [
            ev(
                0,
                "combat_damage",
                DPS,
                raid="s2",
                damage_amount=10.0,
                target_entity_id="B1",
                target_entity_type="boss",
            ),
            ev(1, "boss_phase", BOSS, raid="s2", encounter_success=True),
        ]
    )
    summary = build_fact_raid_summary(silver)
    assert summary["boss_min_hp_pct"].tolist() == [100.0]
    assert summary["raid_outcome"].tolist() == ["success"]
    # The boss target has no name; its boss_phase event names it.
    assert build_dim_raid(silver)["boss_name"].tolist() == ["Ragnaros"]
    assert build_dim_raid(silver)["difficulty"].isna().all()


def test_no_boss_health_and_no_success_is_a_wipe(silver_factory) -> None:
    silver = silver_factory([ev(0, "spell_cast", DPS, raid="x")])
    summary = records(build_fact_raid_summary(silver))[0]
    assert summary["boss_min_hp_pct"] == 100.0
    assert summary["raid_outcome"] == "wipe"
    assert summary["duration_ms"] == 0
    assert summary["raid_dps"] == 0.0  # zero duration → 0.0, not inf/NaN


def test_raid_spanning_midnight_takes_the_date_of_its_first_event(silver_factory) -> None:
    late = datetime(2026, 3, 1, 23, 59, 50)
    rows = [
        {
            **ev(0, "combat_damage", DPS, raid="m1", damage_amount=100.0, **AT_BOSS),
            "timestamp": late,
        },
        {
            **ev(0, "combat_damage", DPS, raid="m1", damage_amount=300.0, **AT_BOSS),
            "timestamp": late + timedelta(seconds=20),
        },
    ]
    silver = silver_factory(rows)
    assert silver["event_date"].tolist() == ["2026-03-01", "2026-03-02"]  # two silver partitions
    gold = build_gold(silver)
    assert gold.fact_raid_summary["event_date"].tolist() == ["2026-03-01"]
    assert gold.fact_raid_summary["duration_ms"].tolist() == [20_000]
    assert gold.fact_raid_summary["raid_dps"].tolist() == [20.0]
    assert gold.fact_player_raid_stats["event_date"].tolist() == ["2026-03-01"]
    assert gold.dim_raid["event_date"].tolist() == ["2026-03-01"]


def test_target_only_player_takes_its_target_name(silver_factory) -> None:
    silver = silver_factory(
        [
            ev(
                0,
                "combat_damage",
                BOSS,
                raid="t1",
                damage_amount=50.0,
                target_entity_id="P9",
                target_entity_name="Newbie",
                target_entity_type="player",
            ),
            # A death with no target type: the event type says the victim is a player.
            ev(
                1,
                "player_death",
                BOSS,
                raid="t1",
                target_entity_id="P8",
                target_entity_name="Ghost",
            ),
            # A boss "death" is not a player death.
            ev(2, "player_death", DPS, raid="t1", **AT_BOSS),
        ]
    )
    stats = records(build_fact_player_raid_stats(silver))
    assert [
        (
            r["player_id"],
            r["player_name"],
            r["player_class"],
            r["player_role"],
            r["player_deaths"],
            r["total_damage_received"],
        )
        for r in stats
    ] == [
        ("D1", "Stabby", "rogue", "dps", 0, 0.0),
        ("P8", "Ghost", None, "unknown", 1, 0.0),
        ("P9", "Newbie", None, "unknown", 0, 50.0),
    ]
    summary = build_fact_raid_summary(silver)
    assert summary["total_player_deaths"].tolist() == [1 + 0]
    assert summary["n_players"].tolist() == [3]


def test_latest_source_event_names_the_player(silver_factory) -> None:
    renamed = {**DPS, "source_player_name": "Stabbity"}
    silver = silver_factory(
        [
            ev(5, "spell_cast", renamed, raid="n1"),
            ev(0, "spell_cast", DPS, raid="n1"),
            ev(
                3,
                "combat_damage",
                BOSS,
                raid="n1",
                damage_amount=5.0,
                target_entity_id="D1",
                target_entity_name="Targetname",
                target_entity_type="player",
            ),
        ]
    )
    stats = build_fact_player_raid_stats(silver)
    assert stats["player_name"].tolist() == ["Stabbity"]


def test_boss_name_tie_is_alphabetical(silver_factory) -> None:
    other = {"target_entity_id": "B2", "target_entity_name": "Garr", "target_entity_type": "boss"}
    silver = silver_factory(
        [
            ev(0, "combat_damage", DPS, raid="b", damage_amount=1.0, **AT_BOSS),
            ev(1, "combat_damage", DPS, raid="b", damage_amount=1.0, **other),
        ]
    )
    assert build_dim_raid(silver)["boss_name"].tolist() == ["Garr"]


def test_boss_never_typed_as_a_target_is_named_by_its_phase_events(silver_factory) -> None:
    # A council fight a combat log did not type as "boss": dim_raid names it as the per-pull
    # table does, by the most frequent boss_phase source; a raid with neither stays null.
    garr = {"source_player_id": "B2", "source_player_name": "Garr"}
    silver = silver_factory(
        [
            ev(0, "combat_damage", DPS, raid="c", damage_amount=1.0, target_entity_id="B1"),
            ev(1, "boss_phase", BOSS, raid="c"),
            ev(2, "boss_phase", garr, raid="c"),
            ev(3, "boss_phase", garr, raid="c"),
            ev(4, "spell_cast", DPS, raid="d"),
        ]
    )
    dim = build_dim_raid(silver).set_index("raid_id")["boss_name"]
    assert dim["c"] == "Garr"
    assert pd.isna(dim["d"])


def test_rates_are_zero_for_a_zero_duration_and_null_for_an_unknown_one(any_backend):
    """CONTRACT §4's 0.0 for an empty fight; an unknown duration must not pass for one (cuDF
    reads ``null != 0`` as null, which ``where`` alone would turn into 0.0)."""
    from raidlib.backend import from_pandas, to_pandas
    from raidlib.gold.facts import per_second

    frame = pd.DataFrame(
        {
            "amount": [1000.0, 1000.0, 1000.0],
            "duration_ms": pd.array([0, None, 2000], dtype="Int64"),
        }
    )
    on = from_pandas(frame, any_backend)
    rates = to_pandas(per_second(on["amount"], on["duration_ms"]).to_frame("rate"))["rate"]
    assert rates[0] == 0.0 and pd.isna(rates[1]) and rates[2] == 500.0


def test_an_event_resent_with_a_corrected_date_counts_once() -> None:
    """Silver dedups per partition, so an event_id re-sent with a timestamp on the next UTC day
    sits in two partitions of its raid; gold counts only the latest ingest of it."""
    hit = {"raid_id": "r1", "event_type": "combat_damage", **DPS, **AT_BOSS}
    first_ingest = datetime(2026, 3, 2, 8, 0, 0)
    rows = [
        {**hit, "event_id": "keep", "timestamp": "2026-03-01T23:58:00", "damage_amount": 50.0},
        {
            **hit,
            "event_id": "resent",
            "timestamp": "2026-03-01T23:59:00",
            "damage_amount": 100.0,
            "ingest_timestamp": first_ingest,
            "batch_id": "b1",
        },
        {
            **hit,
            "event_id": "resent",
            "timestamp": "2026-03-02T00:00:01",
            "damage_amount": 999.0,
            "ingest_timestamp": first_ingest + timedelta(hours=1),
            "batch_id": "b2",
        },
    ]
    silver = make_silver(rows)
    assert sorted(silver["event_date"]) == ["2026-03-01", "2026-03-01", "2026-03-02"]
    gold = build_gold(silver)
    [player] = gold.fact_player_raid_stats.to_dict("records")
    assert (player["damage_events"], player["damage_total"]) == (2, 50.0 + 999.0)
    [raid] = gold.fact_raid_summary.to_dict("records")
    assert raid["total_damage"] == 1049.0 and raid["duration_ms"] == 121_000


def test_a_player_at_zero_health_is_no_boss_kill(silver_factory) -> None:
    """Only a boss target's health says the boss died: the tank hit to 0 % while the boss
    stands at 60 % is a wipe."""
    hp = "target_entity_health_pct_after"
    silver = silver_factory(
        [
            ev(0, "combat_damage", DPS, raid="w2", damage_amount=800.0, **AT_BOSS, **{hp: 60.0}),
            ev(
                2,
                "combat_damage",
                BOSS,
                raid="w2",
                damage_amount=9000.0,
                **at_player(TANK),
                **{hp: 0.0},
            ),
        ]
    )
    [summary] = records(build_fact_raid_summary(silver))
    assert (summary["boss_min_hp_pct"], summary["raid_outcome"]) == (60.0, "wipe")


def test_difficulty_is_the_one_most_events_carry(silver_factory) -> None:
    """Three normal events outweigh one heroic, although heroic wins a tie alphabetically."""
    rows = [
        ev(second, "combat_damage", DPS, raid="d1", damage_amount=10.0, **AT_BOSS, difficulty=tag)
        for second, tag in enumerate(["normal", "heroic", "normal", "normal"])
    ]
    assert build_dim_raid(silver_factory(rows))["difficulty"].tolist() == ["normal"]


def test_a_raider_once_typed_add_still_dies_as_a_player(silver_factory) -> None:
    # D1 is mind controlled (typed "add" once), then dies typed "player": the death counts,
    # as do the raider's other player-typed rows; an untyped death of an add still does not.
    rows = success_raid_rows()
    controlled = {**at_player(DPS), "target_entity_type": "add"}
    gold = build_gold(
        silver_factory(
            [
                *rows,
                ev(57, "combat_damage", TANK, damage_amount=5.0, **controlled),
                ev(58, "player_death", BOSS, **at_player(DPS)),
            ]
        )
    )
    before = records(build_gold(silver_factory(rows)).fact_raid_summary)[0]
    summary = records(gold.fact_raid_summary)[0]
    assert summary["total_player_deaths"] == before["total_player_deaths"] + 1
    stats = gold.fact_player_raid_stats.set_index("player_id")
    assert stats.loc[DPS["source_player_id"], "player_deaths"] == 1
    # the boss typed "player" in one row stays no player: bosses never are (CONTRACT §5)
    boss_as_player = {**AT_BOSS, "target_entity_type": "player"}
    odd = build_gold(
        silver_factory([*rows, ev(59, "combat_damage", DPS, damage_amount=1.0, **boss_as_player)])
    )
    assert "B1" not in odd.fact_player_raid_stats["player_id"].tolist()
