"""Per-pull gold tables, values computed by hand for a tiny raid of three pulls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from raidlib.generator import generate_raids
from raidlib.gold import (
    FACT_ENCOUNTER_SUMMARY,
    FACT_PLAYER_ENCOUNTER_STATS,
    build_encounter_tables,
    build_fact_encounter_summary,
    build_fact_player_encounter_stats,
    build_fact_player_raid_stats,
    build_fact_raid_summary,
    build_gold,
)
from raidlib.gold.schema import frame_dtypes

from .conftest import BOSS, DPS, HEALER, TANK, make_silver

ONYXIA_PHASE = {"source_player_id": "Encounter-200", "source_player_name": "Onyxia"}
AT_BOSS = {"target_entity_id": "B1", "target_entity_name": "Ragnaros", "target_entity_type": "boss"}
AT_ADD = {"target_entity_id": "A1", "target_entity_name": "Whelp", "target_entity_type": "add"}

PULL1 = datetime(2026, 3, 1, 23, 59, 0)  # the second pull starts after midnight UTC
PULL2 = datetime(2026, 3, 2, 0, 1, 0)
PULL3 = datetime(2026, 3, 2, 0, 5, 0)


def at(actor: dict[str, Any]) -> dict[str, Any]:
    return {
        "target_entity_id": actor["source_player_id"],
        "target_entity_name": actor["source_player_name"],
        "target_entity_type": "player",
    }


def ev(start: datetime, seconds: float, event_type: str, actor: dict[str, Any], **fields: Any):
    return {
        "timestamp": start + timedelta(seconds=seconds),
        "raid_id": "r1",
        "event_type": event_type,
        **actor,
        **fields,
    }


@pytest.fixture
def three_pulls() -> pd.DataFrame:
    """Pull 100-1 (wipe), 100-2 (kill, after midnight), 200-1 (no end), and trash between."""
    p1 = {"encounter_id": "100-1", "difficulty": "heroic"}
    p2 = {"encounter_id": "100-2", "difficulty": "heroic"}
    p3 = {"encounter_id": "200-1", "difficulty": "mythic"}
    rows = [
        ev(PULL1, 0, "boss_phase", BOSS, **p1, encounter_duration_ms=0),
        ev(PULL1, 10, "combat_damage", DPS, **p1, **AT_BOSS, damage_amount=1000.0),
        ev(PULL1, 20, "combat_damage", TANK, **p1, **AT_BOSS, damage_amount=500.0),
        ev(PULL1, 30, "heal", HEALER, **p1, **at(TANK), healing_amount=400.0),
        ev(PULL1, 40, "combat_damage", BOSS, **p1, **at(TANK), damage_amount=2000.0),
        ev(PULL1, 45, "player_death", BOSS, **p1, **at(DPS)),
        ev(
            PULL1,
            50,
            "boss_phase",
            BOSS,
            **p1,
            encounter_success=False,
            encounter_duration_ms=50_000,
        ),
        # trash between pulls: no encounter_id, so in the raid tables only
        ev(PULL2, -30, "combat_damage", DPS, **AT_ADD, damage_amount=999.0),
        ev(PULL2, 0, "boss_phase", BOSS, **p2, encounter_duration_ms=0),
        ev(PULL2, 5, "combat_damage", DPS, **p2, **AT_BOSS, damage_amount=3000.0),
        ev(
            PULL2,
            6,
            "combat_damage",
            DPS,
            **p2,
            **AT_BOSS,
            damage_amount=1000.0,
            target_entity_health_pct_before=2.0,
            target_entity_health_pct_after=0.0,
        ),
        ev(PULL2, 8, "heal", HEALER, **p2, **at(DPS), healing_amount=200.0),
        # fightTime (9.5 s) differs from the wall-clock span (10 s): the end event wins
        ev(
            PULL2, 10, "boss_phase", BOSS, **p2, encounter_success=True, encounter_duration_ms=9_500
        ),
        # a pull the log never ends; no boss is hit, the boss_phase source names it
        ev(PULL3, 0, "boss_phase", ONYXIA_PHASE, **p3, encounter_duration_ms=0),
        ev(PULL3, 2, "combat_damage", DPS, **p3, **AT_ADD, damage_amount=120.0),
        ev(PULL3, 4, "combat_damage", DPS, **p3, **AT_ADD, damage_amount=80.0),
    ]
    return make_silver(rows)


def test_encounter_summary_by_hand(three_pulls: pd.DataFrame) -> None:
    summary = build_fact_encounter_summary(three_pulls)
    got = summary.set_index("encounter_id").to_dict("index")
    assert list(summary["encounter_id"]) == ["100-1", "100-2", "200-1"]
    assert got["100-1"] == {
        "raid_id": "r1",
        "event_date": "2026-03-01",
        "boss_name": "Ragnaros",
        "difficulty": "heroic",
        "outcome": "wipe",
        "duration_ms": 50_000,
        "raid_dps": 1500 / 50,
        "raid_hps": 400 / 50,
        "total_damage": 1500.0,
        "total_healing": 400.0,
        "player_deaths": 1,
        "n_players": 3,
    }
    assert got["100-2"] == {
        "raid_id": "r1",
        "event_date": "2026-03-02",
        "boss_name": "Ragnaros",
        "difficulty": "heroic",
        "outcome": "kill",
        "duration_ms": 9_500,
        "raid_dps": pytest.approx(4000 / 9.5),
        "raid_hps": pytest.approx(200 / 9.5),
        "total_damage": 4000.0,
        "total_healing": 200.0,
        "player_deaths": 0,
        "n_players": 2,
    }
    assert got["200-1"] == {
        "raid_id": "r1",
        "event_date": "2026-03-02",
        "boss_name": "Onyxia",
        "difficulty": "mythic",
        "outcome": "unknown",
        "duration_ms": 4_000,
        "raid_dps": 200 / 4,
        "raid_hps": 0.0,
        "total_damage": 200.0,
        "total_healing": 0.0,
        "player_deaths": 0,
        "n_players": 1,
    }


def test_player_encounter_stats_by_hand(three_pulls: pd.DataFrame) -> None:
    stats = build_fact_player_encounter_stats(three_pulls)
    cols = ["encounter_id", "player_id", "damage_total", "healing_total", "dps", "hps"]
    cols += ["deaths", "damage_events", "healing_events", "player_role", "event_date"]
    got = [tuple(r) for r in stats[cols].itertuples(index=False)]
    assert got == [
        ("100-1", "D1", 1000.0, 0.0, 20.0, 0.0, 1, 1, 0, "dps", "2026-03-01"),
        ("100-1", "H1", 0.0, 400.0, 0.0, 8.0, 0, 0, 1, "healer", "2026-03-01"),
        ("100-1", "T1", 500.0, 0.0, 10.0, 0.0, 0, 1, 0, "tank", "2026-03-01"),
        ("100-2", "D1", 4000.0, 0.0, pytest.approx(4000 / 9.5), 0.0, 0, 2, 0, "dps", "2026-03-02"),
        ("100-2", "H1", 0.0, 200.0, 0.0, pytest.approx(200 / 9.5), 0, 0, 1, "healer", "2026-03-02"),
        ("200-1", "D1", 200.0, 0.0, 50.0, 0.0, 0, 2, 0, "dps", "2026-03-02"),
    ]
    assert "B1" not in set(stats["player_id"])  # the boss is never a player
    assert set(stats["player_class"]) == {"rogue", "priest", "warrior"}


def test_pulls_add_up_to_the_raid_minus_trash(three_pulls: pd.DataFrame) -> None:
    summary = build_fact_encounter_summary(three_pulls)
    raid = build_fact_raid_summary(three_pulls).iloc[0]
    assert summary["total_damage"].sum() == raid["total_damage"] - 999.0
    assert summary["total_healing"].sum() == raid["total_healing"]
    assert summary["player_deaths"].sum() == raid["total_player_deaths"]
    per_player = build_fact_player_encounter_stats(three_pulls).groupby("player_id")
    raid_stats = build_fact_player_raid_stats(three_pulls).set_index("player_id")
    assert per_player["deaths"].sum().to_dict() == raid_stats["player_deaths"].to_dict()


def test_declared_schema_even_when_empty(three_pulls: pd.DataFrame) -> None:
    for frame in (three_pulls, three_pulls.iloc[:0], three_pulls[three_pulls.encounter_id.isna()]):
        summary, stats = build_encounter_tables(frame)
        for out, table in ((summary, FACT_ENCOUNTER_SUMMARY), (stats, FACT_PLAYER_ENCOUNTER_STATS)):
            assert tuple(out.columns) == table.columns
            assert {c: str(t) for c, t in out.dtypes.items()} == frame_dtypes(table)
    assert len(build_encounter_tables(three_pulls.iloc[:0])[0]) == 0


def test_order_of_rows_does_not_matter(three_pulls: pd.DataFrame) -> None:
    a = build_encounter_tables(three_pulls)
    b = build_encounter_tables(three_pulls.iloc[::-1])
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_synthetic_raids_have_one_pull_each() -> None:
    wire = generate_raids(2, seed=3, start=datetime(2026, 3, 1, 19, tzinfo=UTC))
    silver = wire.assign(
        timestamp=wire["timestamp"].dt.tz_convert(None).astype("datetime64[us]"),
        event_date=wire["timestamp"].dt.strftime("%Y-%m-%d"),
    )
    gold = build_gold(silver)
    pulls = gold.fact_encounter_summary
    raids = gold.fact_raid_summary
    assert list(pulls["raid_id"]) == list(raids["raid_id"]) == ["raid001", "raid002"]
    assert list(pulls["encounter_id"]) == ["raid001-boss-ragnaros", "raid002-boss-ragnaros"]
    expected = raids["raid_outcome"].map({"success": "kill", "wipe": "wipe"})
    assert list(pulls["outcome"]) == list(expected)
    for column in ("total_damage", "total_healing", "n_players"):
        assert list(pulls[column]) == pytest.approx(list(raids[column]))
    assert list(pulls["player_deaths"]) == list(raids["total_player_deaths"])
    per_pull = gold.fact_player_encounter_stats
    per_raid = gold.fact_player_raid_stats
    assert len(per_pull) == len(per_raid)
    assert list(per_pull["damage_total"]) == pytest.approx(list(per_raid["damage_total"]))


def test_one_pull_raids_reuse_the_raid_tables_with_the_same_result() -> None:
    """When each raid is one pull holding all its rows, the pull tables come from the raid's
    own summary (about a quarter of a gold build saved): the same tables as computed anew."""
    from raidlib.gold._prep import summarise_events
    from raidlib.gold.facts import _player_stats

    wire = generate_raids(2, seed=5, start=datetime(2026, 3, 1, 19, tzinfo=UTC))
    silver = wire.assign(
        timestamp=wire["timestamp"].dt.tz_convert(None).astype("datetime64[us]"),
        event_date=wire["timestamp"].dt.strftime("%Y-%m-%d"),
    )
    events = summarise_events(silver)
    reused = build_encounter_tables(silver, events, _player_stats(events))
    anew = build_encounter_tables(silver)
    for got, want in zip(reused, anew, strict=True):
        pd.testing.assert_frame_equal(got, want)
    # raids of two pulls each are computed anew
    two_pulls = silver.assign(
        encounter_id=silver["encounter_id"].where(silver.index % 2 == 0, "second-pull")
    )
    events = summarise_events(two_pulls)
    reused = build_encounter_tables(two_pulls, events, _player_stats(events))
    assert len(reused[0]) == 4
    for got, want in zip(reused, build_encounter_tables(two_pulls), strict=True):
        pd.testing.assert_frame_equal(got, want)


def _boss_hit_to_zero(pull: dict[str, str]) -> dict:
    """A player's hit 5 s into ``pull`` that takes a boss unit from 3 % to 0 %."""
    return ev(
        PULL1,
        5,
        "combat_damage",
        DPS,
        **pull,
        **AT_BOSS,
        damage_amount=1000.0,
        target_entity_health_pct_before=3.0,
        target_entity_health_pct_after=0.0,
    )


def test_a_pull_without_end_event_whose_boss_reached_zero_is_a_kill() -> None:
    """The log stopped right after the killing blow: the boss at 0 % says kill, as the raid's
    ``raid_outcome`` does; without that the same pull stays ``unknown``."""
    pull = {"encounter_id": "100-1", "difficulty": "heroic"}
    killing_blow = _boss_hit_to_zero(pull)
    start = ev(PULL1, 0, "boss_phase", BOSS, **pull, encounter_duration_ms=0)
    [row] = build_fact_encounter_summary(make_silver([start, killing_blow])).to_dict("records")
    assert row["outcome"] == "kill"
    assert build_fact_raid_summary(make_silver([start, killing_blow]))["raid_outcome"].tolist() == [
        "success"
    ]
    alive = {**killing_blow, "target_entity_health_pct_after": 1.0}
    [row] = build_fact_encounter_summary(make_silver([start, alive])).to_dict("records")
    assert row["outcome"] == "unknown"


def test_a_pull_that_ends_in_failure_is_a_wipe_even_with_a_boss_at_zero() -> None:
    """A council fight: one boss unit died, the encounter still failed. ENCOUNTER_END with
    success=false decides; the 0 % only stands in for an end event the log never wrote."""
    pull = {"encounter_id": "100-1", "difficulty": "heroic"}
    one_boss_down = _boss_hit_to_zero(pull)
    failed_end = ev(
        PULL1, 60, "boss_phase", BOSS, **pull, encounter_success=False, encounter_duration_ms=60_000
    )
    [row] = build_fact_encounter_summary(make_silver([one_boss_down, failed_end])).to_dict(
        "records"
    )
    assert row["outcome"] == "wipe"
