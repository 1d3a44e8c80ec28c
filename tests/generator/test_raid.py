"""generate_raid / generate_raids: reproducibility, contract validity, fight mechanics."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from raidlib.generator import (
    RaidConfig,
    Roster,
    dated_raid_prefix,
    default_first_raid_start,
    generate_raid,
    generate_raids,
    summarize_raids,
)
from raidlib.schemas import validate_events
from raidlib.schemas.events import EVENT_FIELDS, EVENT_TYPES

from .conftest import FAR_FUTURE, START


def test_same_seed_gives_identical_frames_including_ids_and_timestamps(small: RaidConfig) -> None:
    a = generate_raid("raid001", seed=11, start=START, config=small)
    b = generate_raid("raid001", seed=11, start=START, config=small)
    pd.testing.assert_frame_equal(a, b)
    assert a["event_id"].is_unique


def test_different_seeds_differ(small: RaidConfig) -> None:
    a = generate_raid("raid001", seed=11, start=START, config=small)
    b = generate_raid("raid001", seed=12, start=START, config=small)
    assert set(a["event_id"]).isdisjoint(b["event_id"])
    assert not a["damage_amount"].head(50).equals(b["damage_amount"].head(50))


def test_another_night_or_raid_id_from_the_same_seed_gets_other_event_ids(
    small: RaidConfig,
) -> None:
    """Replaying a seed on another night must not reuse event ids already in the lake."""
    tonight = generate_raid("raid001", seed=11, start=START, config=small)
    next_week = generate_raid("raid001", seed=11, start=START + timedelta(days=7), config=small)
    renamed = generate_raid("pugtue001", seed=11, start=START, config=small)
    assert set(tonight["event_id"]).isdisjoint(next_week["event_id"])
    assert set(tonight["event_id"]).isdisjoint(renamed["event_id"])
    # Same fight, only the ids (and times) move.
    assert tonight["damage_amount"].equals(next_week["damage_amount"])


def test_frame_shape_and_types(small: RaidConfig) -> None:
    df = generate_raid("raid001", seed=1, start=START, config=small)
    assert tuple(df.columns) == EVENT_FIELDS
    assert str(df["timestamp"].dt.tz) == "UTC"
    assert df["timestamp"].is_monotonic_increasing
    assert df["timestamp"].iloc[0] == START
    ms = (df["timestamp"] - pd.Timestamp(START)) // pd.Timedelta(milliseconds=1)
    assert (ms == df["encounter_duration_ms"]).all()
    assert all(uuid.UUID(e).version == 4 for e in df["event_id"].head(100))
    assert set(df["event_type"]) == set(EVENT_TYPES) - ({"player_death"} - set(df["event_type"]))


def test_every_event_validates_against_the_contract(small: RaidConfig) -> None:
    from raidlib.generator import frame_to_wire_events

    weak = replace(small, skill=0.4)  # a wipe: deaths, Berserk
    for config in (small, weak):
        df = generate_raid("raid001", seed=3, start=START, config=config)
        events = frame_to_wire_events(df)
        models = validate_events(events, now=FAR_FUTURE)
        assert len(models) == len(df)
    assert {m.event_type for m in models} == set(EVENT_TYPES)


def test_volume_of_a_six_minute_twenty_player_raid() -> None:
    df = generate_raid("raid001", seed=5, start=START)
    assert 10_000 < len(df) < 60_000
    assert df["source_player_id"][df["source_player_role"].notna()].nunique() == 20


def test_density_is_configurable(small: RaidConfig) -> None:
    sparse = generate_raid("raid001", seed=5, start=START, config=small)
    dense = generate_raid(
        "raid001", seed=5, start=START, config=replace(small, actions_per_second=5.0)
    )
    assert (dense["event_type"] == "heal").sum() > 1.5 * (sparse["event_type"] == "heal").sum()


def test_crit_multiplier_is_applied(small: RaidConfig) -> None:
    df = generate_raids(3, seed=2, start=START, config=small)
    hits = df[(df["event_type"] == "combat_damage") & (df["source_player_role"].notna())]
    normal, crit = hits[~hits["is_critical_hit"]], hits[hits["is_critical_hit"]]
    assert (normal["critical_multiplier"] == 1.0).all()
    assert (crit["critical_multiplier"] >= 2.0).all() and (crit["critical_multiplier"] <= 2.3).all()
    base = crit["damage_amount"] / crit["critical_multiplier"]
    # Crits are base hits (whole numbers from the same distribution) times the multiplier.
    assert np.allclose(base, base.round())
    assert base.mean() == pytest.approx(normal["damage_amount"].mean(), rel=0.05)
    assert crit["damage_amount"].mean() > 1.9 * normal["damage_amount"].mean()
    heals = df[df["event_type"] == "heal"]
    assert (heals.loc[~heals["is_critical_hit"], "critical_multiplier"] == 1.0).all()


def test_weak_raid_wipes_at_the_enrage_timer(small: RaidConfig) -> None:
    config = replace(small, skill=0.5)
    df = generate_raid("raid001", seed=4, start=START, config=config)
    boss_hits = df[(df["target_entity_type"] == "boss") & (df["event_type"] == "combat_damage")]
    assert boss_hits["target_entity_health_pct_after"].min() > 0
    berserk = df[(df["event_type"] == "boss_phase") & (df["ability_name"] == "Berserk")]
    assert berserk["encounter_duration_ms"].tolist() == [config.enrage_timer_ms]
    deaths = df[df["event_type"] == "player_death"]
    assert deaths["target_entity_id"].nunique() == config.n_players  # everyone died
    assert not boss_hits["encounter_duration_ms"].ge(config.enrage_timer_ms).any()
    last = df.iloc[-1]
    assert last["event_type"] == "player_death" and last["encounter_success"] is np.False_
    assert summarize_raids(df)["outcome"].tolist() == ["wipe"]


def test_strong_raid_kills_with_a_final_blow_at_zero(small: RaidConfig) -> None:
    config = replace(small, skill=1.3)
    df = generate_raid("raid001", seed=4, start=START, config=config)
    last = df.iloc[-1]
    assert last["event_type"] == "combat_damage" and last["target_entity_type"] == "boss"
    assert last["target_entity_health_pct_after"] == 0.0
    assert last["encounter_success"] is np.True_
    assert df["encounter_success"].notna().sum() == 1
    assert last["encounter_duration_ms"] < config.enrage_timer_ms
    boss = df[(df["target_entity_type"] == "boss") & (df["event_type"] == "combat_damage")]
    after = boss["target_entity_health_pct_after"].to_numpy()
    assert (np.diff(after) <= 0).all() and (after[:-1] > 0).all()
    assert np.allclose(boss["target_entity_health_pct_before"].to_numpy()[1:], after[:-1])
    assert summarize_raids(df)["outcome"].tolist() == ["kill"]


def test_boss_max_hp_sets_the_fight_length(small: RaidConfig) -> None:
    # A token boss dies within seconds; its health drops by each hit's share of its max HP.
    df = generate_raid(
        "raid001", seed=4, start=START, config=replace(small, boss_max_hp=2_000_000.0)
    )
    hits = df[(df["target_entity_type"] == "boss") & (df["event_type"] == "combat_damage")]
    drop = hits["target_entity_health_pct_before"] - hits["target_entity_health_pct_after"]
    expected = (hits["damage_amount"] / 2_000_000.0 * 100).clip(
        upper=hits["target_entity_health_pct_before"]
    )
    assert np.allclose(drop, expected)
    assert df["encounter_duration_ms"].iloc[-1] < 10_000


def test_boss_phases_at_thresholds(small: RaidConfig) -> None:
    df = generate_raid("raid001", seed=4, start=START, config=replace(small, skill=1.2))
    phases = df[df["event_type"] == "boss_phase"]
    assert phases["ability_name"].tolist() == ["Phase 1", "Phase 2", "Phase 3"]
    pct = phases["target_entity_health_pct_after"].tolist()
    assert pct[0] == 100.0 and 60 < pct[1] <= 70 and 30 < pct[2] <= 40
    assert (phases["source_player_role"].isna()).all()
    assert (phases["target_entity_type"] == "boss").all()


def test_deaths_have_the_boss_as_source_and_a_player_as_target(small: RaidConfig) -> None:
    df = generate_raid("raid001", seed=4, start=START, config=replace(small, skill=0.5))
    deaths = df[df["event_type"] == "player_death"]
    assert len(deaths) > 0
    assert (deaths["source_player_id"] == "boss-ragnaros").all()
    assert (deaths["source_player_name"] == "Ragnaros").all()
    assert deaths["source_player_role"].isna().all()
    assert deaths["source_player_class"].isna().all()
    assert (deaths["target_entity_type"] == "player").all()
    players = set(df.loc[df["source_player_role"].notna(), "source_player_id"])
    assert set(deaths["target_entity_id"]) <= players
    # Nobody acts after dying.
    died = deaths.set_index("target_entity_id")["encounter_duration_ms"]
    acts = df[df["source_player_id"].isin(died.index)]
    assert (
        acts["encounter_duration_ms"].to_numpy() <= died[acts["source_player_id"]].to_numpy()
    ).all()


def test_boss_damage_targets_players_and_healers_heal_players(small: RaidConfig) -> None:
    df = generate_raid("raid001", seed=4, start=START, config=small)
    from_boss = df[(df["event_type"] == "combat_damage") & df["source_player_role"].isna()]
    assert len(from_boss) > 0 and (from_boss["target_entity_type"] == "player").all()
    heals = df[df["event_type"] == "heal"]
    assert (heals["source_player_role"] == "healer").all()
    assert (heals["target_entity_type"] == "player").all()
    regen = df[df["event_type"] == "mana_regeneration"]
    by_class = regen.groupby("source_player_class")["resource_type"].first().to_dict()
    assert by_class.get("rogue", "energy") == "energy" and by_class.get("mage", "mana") == "mana"
    assert (regen["resource_amount_after"] >= regen["resource_amount_before"]).all()


def test_difficulty_and_encounter_fields(small: RaidConfig) -> None:
    df = generate_raid("raid007", seed=4, start=START, config=replace(small, difficulty="mythic"))
    assert set(df["difficulty"]) == {"mythic"}
    assert set(df["raid_id"]) == {"raid007"}
    assert set(df["encounter_id"]) == {"raid007-boss-ragnaros"}
    assert (df.loc[df["source_player_role"].notna(), "source_player_level"] == 80).all()


def test_generate_raids_spreads_over_consecutive_days(small: RaidConfig) -> None:
    df = generate_raids(3, seed=9, start=START, config=small)
    firsts = df.groupby("raid_id")["timestamp"].min()
    assert firsts.index.tolist() == ["raid001", "raid002", "raid003"]
    assert (firsts.diff().dropna() == pd.Timedelta(days=1)).all()
    again = generate_raids(3, seed=9, start=START, config=small)
    pd.testing.assert_frame_equal(df, again)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 2, 0, 5, tzinfo=UTC),
        datetime(2026, 12, 2, 23, 59, tzinfo=UTC),
        datetime(2026, 12, 3, 1, 0, tzinfo=timezone(timedelta(hours=5))),  # 20:00 UTC the 2nd
    ],
)
def test_default_start_puts_the_last_raid_yesterday_evening_utc(now: datetime) -> None:
    start = default_first_raid_start(3, now=now)
    assert start == datetime(2026, 11, 29, 19, 30, tzinfo=UTC)
    last_raid_ends = start + timedelta(days=2, milliseconds=RaidConfig().enrage_timer_ms)
    assert last_raid_ends < now  # nothing the receiver's clock-skew check could reject


def test_dated_raid_ids_are_named_after_the_utc_date_whatever_the_offset() -> None:
    """The same moment given with another offset must not name other raids."""
    sydney_morning = datetime(2026, 1, 2, 5, 0, tzinfo=timezone(timedelta(hours=10)))
    assert dated_raid_prefix(sydney_morning) == "raid20260101-"
    assert dated_raid_prefix(sydney_morning.astimezone(UTC)) == "raid20260101-"


def test_roster_persists_across_raids(small: RaidConfig) -> None:
    roster = Roster.create(10, seed=1)
    df = generate_raids(3, seed=9, start=START, roster=roster, config=small)
    players = df[df["source_player_role"].notna()]
    per_raid = players.groupby("raid_id")["source_player_id"].agg(lambda s: frozenset(s))
    assert len(set(per_raid)) == 1
    assert set(per_raid.iloc[0]) == {p.player_id for p in roster.players}
    names = players.groupby("source_player_id")["source_player_name"].nunique()
    assert (names == 1).all()
    # Without a roster, a guild is created from the seed: still the same players every raid.
    guild = generate_raids(2, seed=9, start=START, config=small)
    ids = (
        guild[guild["source_player_role"].notna()]
        .groupby("raid_id")["source_player_id"]
        .agg(frozenset)
    )
    assert ids.iloc[0] == ids.iloc[1]


def test_pug_mode_draws_fresh_players(small: RaidConfig) -> None:
    df = generate_raids(3, seed=9, start=START, pug=True, config=small)
    players = df[df["source_player_role"].notna()]
    per_raid = players.groupby("raid_id")["source_player_id"].agg(lambda s: set(s))
    assert per_raid.iloc[0].isdisjoint(per_raid.iloc[1])
    assert per_raid.iloc[1].isdisjoint(per_raid.iloc[2])
    with pytest.raises(ValueError, match="PUG"):
        generate_raids(1, seed=9, start=START, pug=True, roster=Roster.create(10, seed=1))


def test_larger_roster_fields_a_role_balanced_team(small: RaidConfig) -> None:
    roster = Roster.create(30, seed=2)
    df = generate_raid("raid001", seed=3, start=START, roster=roster, config=small)
    team = df[df["source_player_role"].notna()].drop_duplicates("source_player_id")
    assert len(team) == 10
    assert team["source_player_role"].value_counts().to_dict() == {"dps": 6, "healer": 2, "tank": 2}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="raid_id"):
        generate_raid("../etc", seed=1, start=START)
    with pytest.raises(ValueError, match="timezone"):
        generate_raid("raid001", seed=1, start=START.replace(tzinfo=None))
    with pytest.raises(ValueError, match="difficulty"):
        RaidConfig(difficulty="insane")
