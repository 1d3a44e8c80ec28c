"""End-to-end and per-quirk tests of the combat log importer."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from raidlib.combatlog import (
    TimestampContextError,
    encounters,
    import_events,
    iter_event_frames,
    parse_log,
)
from raidlib.combatlog.report import ParseReport
from raidlib.schemas import validate_events

from .conftest import (
    ALICE,
    BOB,
    BOSS,
    DATA,
    HDR9_CLASSIC,
    HDR20_OFF,
    HDR22,
    KILL,
    LOOM,
    NONE4,
    PET,
    WIPE,
    block16,
    block19,
    unit,
    write_log,
)

FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def _events(path, **kw):
    """The imported events, each checked as the receiver would check it."""
    batches, report = import_events(path, **kw)
    events = [e for batch in batches for e in batch]
    validate_events(events, now=FUTURE)
    return events, report


@pytest.fixture(scope="module")
def kill():
    return _events(KILL)


def test_kill_log_end_to_end(kill):
    events, report = kill
    assert report.malformed_count == 0
    assert report.lines_total == 63753
    ends = [e for e in events if e["event_type"] == "boss_phase" and "encounter_success" in e]
    assert len(ends) == 1 and ends[0]["encounter_success"] is True
    assert ends[0]["encounter_duration_ms"] == 97676
    assert {e["raid_id"] for e in events} == {"enc-3131-pull-1-loom-ithar-2026-02-16"}
    assert {e["encounter_id"] for e in events} == {"3131-1"}
    assert {e["difficulty"] for e in events} == {"normal"}
    assert not any("source_player_level" in e for e in events)  # the log carries no level
    assert report.skipped["swing_damage_landed_duplicate"] == report.events["SWING_DAMAGE_LANDED"]
    # the kinds with no raidlib event are counted by name, not lost from the accounts
    assert report.not_mapped["SPELL_AURA_APPLIED"] == report.events["SPELL_AURA_APPLIED"] > 0
    assert "SPELL_DAMAGE" not in report.not_mapped and "UNIT_DIED" not in report.not_mapped
    assert report.not_mapped_rows(top=3)[-1][0].endswith("other kinds")
    boss_hp = [
        e["target_entity_health_pct_after"]
        for e in events
        if e.get("target_entity_type") == "boss" and "target_entity_health_pct_after" in e
    ]
    assert boss_hp and min(boss_hp) < 0.1  # the kill took the boss to ~0 %


def test_kill_duration_matches_fight_time():
    enc = encounters(KILL)
    assert len(enc) == 1
    row = enc.iloc[0]
    assert row["boss"] == LOOM and row["difficulty"] == "normal" and row["group_size"] == 25
    assert bool(row["success"]) is True
    wall_ms = (row["end"] - row["start"]).total_seconds() * 1000
    assert abs(wall_ms - row["fight_time_ms"]) < 1000


def test_kill_players_classes(kill):
    events, _ = kill
    players = pd.DataFrame([e for e in events if e.get("source_player_role")]).drop_duplicates(
        "source_player_id"
    )
    assert len(players) == 25
    classes = dict(zip(players["source_player_name"], players["source_player_class"], strict=True))
    # cross-check specs with the abilities the players actually used
    assert classes["Cadburyy-Ravencrest-EU"] == "death_knight"  # Obliterate
    assert classes["Deyanm-Draenor-EU"] == "monk"  # Spinning Crane Kick
    assert classes["Willòwí-Draenor-EU"] == "death_knight"  # Scourge Strike
    used = pd.DataFrame(
        [e for e in events if e["event_type"] == "spell_cast" and e.get("source_player_class")]
    )
    by_class = used.groupby("source_player_class")["ability_name"].agg(set)
    assert "Frostbolt" in by_class["mage"] or "Arcane Blast" in by_class["mage"]
    assert "Rejuvenation" in by_class["druid"] or "Mangle" in by_class["druid"]


def test_a_cast_at_no_one_has_no_target(kill):
    """Most casts name no target (``0000000000000000,nil``): the event has none, rather than
    a target id of zeros that would count as one more unit."""
    events, _ = kill
    casts = [e for e in events if e["event_type"] == "spell_cast"]
    untargeted = [e for e in casts if "target_entity_id" not in e]
    assert untargeted and len(untargeted) < len(casts)
    assert not any(e.get("target_entity_id") == "0000000000000000" for e in events)


def test_wipe_log():
    events, report = _events(WIPE)
    end = [e for e in events if e.get("ability_name") == "ENCOUNTER_END"][0]
    assert end["encounter_success"] is False and end["encounter_duration_ms"] == 21012
    assert end["encounter_id"] == "3135-1"
    enc = encounters(WIPE).iloc[0]
    assert enc["boss"] == "Dimensius, the All-Devouring" and enc["group_size"] == 23
    # the boss unit is "Dimensius": recognised through the part before the comma
    boss = "Creature-0-3061-2810-120284-241517-0000139B0F"
    assert end["source_player_id"] == boss
    hits = [
        e for e in events if e["source_player_id"] == boss and e["event_type"] == "combat_damage"
    ]
    assert hits and all("source_player_role" not in e for e in hits)
    assert {e["target_entity_type"] for e in hits} == {"player"}


GLACIERSMASHER = "Pet-0-3061-2810-120284-26125-0102E18649"
SENTINEL = "Creature-0-3061-2810-120284-233814-0000139B0F"


@pytest.mark.parametrize(
    ("fixture", "expected", "misaligned"),
    [
        ("owner-attribution-edge-no-signal.log", None, [1, 2]),
        ("owner-attribution-edge-swing-seed.log", "Player-1403-071099E1", [1, 3]),
        ("owner-attribution-edge-spell-seed.log", "Player-1403-071099E1", [1, 3]),
    ],
)
def test_owner_attribution_edge_cases(tmp_path, fixture, expected, misaligned):
    """The fixtures' 41-field rows carry a block of ``1,0,0,0,nil…`` that no client writes: the
    field count fits a 19-field block, but the fields are shifted, so they are malformed
    rather than read as 0 damage. The owner seeds still count: with well-formed rows of the
    owner and then of the pet appended to the fixture, the pet's row is credited to the owner,
    or stays the pet's without a seed."""
    owner = unit("Player-1403-071099E1", "Willòwí-Draenor-EU", SENTINEL, "Plexus Sentinel")
    pet = unit(GLACIERSMASHER, "Glaciersmasher", SENTINEL, "Plexus Sentinel", sf="0x1114")
    hits = [f'{owner},55090,"Scourge Strike",0x20', f'{pet},91776,"Claw",0x1']
    lines = (DATA / fixture).read_text(encoding="utf-8").splitlines()
    lines += [
        f"2/16/2026 22:41:08.0000  SPELL_DAMAGE,{hit},{block19(SENTINEL)},210,282,-1,1,0,0,0,nil,nil,nil,ST"
        for hit in hits
    ]
    log = write_log(tmp_path / fixture, lines)
    report = ParseReport()
    rows = pd.concat([c.rows for c in parse_log(log, scope="all", report=report)])
    not_guid = sorted(n for n, why in report.malformed if why.endswith("not a GUID"))
    assert not_guid == misaligned
    assert dict(report.malformed)[1] == (
        "SPELL_DAMAGE: 41 fields, but the advanced block starts with '1', not a GUID"
    )
    last = rows[rows["src_name"] == "Glaciersmasher"].iloc[-1]
    assert (last["line"], last["amount"]) == (len(lines), 210.0)
    if expected is None:
        assert last["actor_guid"] == GLACIERSMASHER and pd.isna(last["pet_name"])
    else:
        assert last["actor_guid"] == expected
        assert last["actor_name"] == "Willòwí-Draenor-EU"
        assert last["pet_name"] == "Glaciersmasher"


@pytest.mark.parametrize("chunk_bytes", [300, 1 << 20], ids=["line-per-chunk", "one-chunk"])
def test_a_pet_is_credited_from_the_row_that_first_names_its_owner(tmp_path, chunk_bytes):
    """The pet's first swing names its owner in the advanced block; the SPELL_SUMMON comes after
    it. Both swings are the owner's, however the file is cut into chunks."""
    elemental = "Creature-0-3061-2810-120284-77942-0000AAAA01"
    swing = f"SWING_DAMAGE,{unit(elemental, 'Storm Elemental', BOSS, LOOM, sf='0x2114')}"
    ts = "2/16/2026 22:48:0{}.0000  "
    rows = [
        HDR22,
        f'ENCOUNTER_START,3131,"{LOOM}",15,20,2810',
        f"{swing},{block19(elemental, owner=ALICE)},40,40,-1,1,0,0,0,nil,nil,nil",
        f'SPELL_SUMMON,{unit(ALICE, "Alice-Realm-EU", elemental, "Storm Elemental")},1,"S",0x8',
        f"{swing},{block19(elemental, owner=ALICE)},50,50,-1,1,0,0,0,nil,nil,nil",
        f'ENCOUNTER_END,3131,"{LOOM}",15,20,1,3000',
    ]
    log = write_log(tmp_path / "WoWCombatLog.txt", [ts.format(i) + r for i, r in enumerate(rows)])
    events, _ = _events(log, chunk_bytes=chunk_bytes)
    hits = [e for e in events if e["event_type"] == "combat_damage"]
    assert [(e["source_player_id"], e["damage_amount"]) for e in hits] == [(ALICE, 40), (ALICE, 50)]


@pytest.mark.parametrize("chunk_bytes", [300, 1 << 20], ids=["line-per-chunk", "one-chunk"])
def test_a_pet_hit_before_the_row_naming_its_owner_stays_the_pets(tmp_path, chunk_bytes):
    """Read in order, the owner is unknown at the pet's first hit (its SPELL_DAMAGE block
    describes the target): that hit stays the pet's, however the file is cut into chunks."""
    bolt = f'SPELL_DAMAGE,{unit(PET, "Water Elemental", BOSS, LOOM, sf="0x1114")},31707,"Waterbolt"'
    rows = [
        HDR22,
        f'ENCOUNTER_START,3131,"{LOOM}",15,20,2810',
        f"{bolt},0x10,{block19(BOSS)},100,120,-1,16,0,0,0,nil,nil,nil,ST",
        f'SPELL_SUMMON,{unit(ALICE, "Alice-Realm-EU", PET, "Water Elemental")},31687,"S",0x10',
        f"{bolt},0x10,{block19(BOSS)},60,70,-1,16,0,0,0,nil,nil,nil,ST",
        f'ENCOUNTER_END,3131,"{LOOM}",15,20,1,3000',
    ]
    ts = "2/16/2026 22:48:0{}.0000  "
    log = write_log(tmp_path / "WoWCombatLog.txt", [ts.format(i) + r for i, r in enumerate(rows)])
    events, _ = _events(log, chunk_bytes=chunk_bytes)
    hits = [e for e in events if e["event_type"] == "combat_damage"]
    assert [(e["source_player_id"], e["damage_amount"]) for e in hits] == [(PET, 100), (ALICE, 60)]
    assert "pet_owner_unknown" in hits[0]["data_quality_flags"]


@pytest.mark.parametrize("advanced", [True, False], ids=["advanced", "plain"])
def test_environmental_damage_is_damage_the_player_received(tmp_path, advanced):
    """A fall or lava: done by ``environment`` (no player, so in nobody's damage done), received
    by the player; the environmental type is the ability."""
    block = f"{block19(ALICE)}," if advanced else ""
    victim = f'{ALICE},"Alice-Realm-EU",0x514,0x80000000'
    rows = [
        HDR22 if advanced else HDR20_OFF,
        f'ENCOUNTER_START,3131,"{LOOM}",15,20,2810',
        f"ENVIRONMENTAL_DAMAGE,{NONE4},{victim},{block}Falling,482,482,-1,1,0,0,0,nil,nil,nil",
        f'ENCOUNTER_END,3131,"{LOOM}",15,20,0,3000',
    ]
    log = write_log(
        tmp_path / "l.txt", [f"2/16/2026 22:48:0{i}.0000  {r}" for i, r in enumerate(rows)]
    )
    events, report = _events(log)
    (fall,) = [e for e in events if e["event_type"] == "combat_damage"]
    assert (fall["source_player_id"], fall["target_entity_id"]) == ("environment", ALICE)
    assert (fall["damage_amount"], fall["ability_name"]) == (482.0, "Falling")
    assert fall["target_entity_type"] == "player" and "source_player_role" not in fall
    assert report.malformed_count == 0 and not report.not_mapped


def test_pet_damage_folded_into_owner_in_kill(kill):
    events, _ = kill
    df = pd.DataFrame([e for e in events if e["event_type"] == "combat_damage"])
    pets = df[df["data_quality_flags"].map(lambda f: any(x.startswith("pet=") for x in f))]
    assert len(pets) > 1000
    assert pets["source_player_id"].str.startswith("Player-").all()
    dk = pets[pets["source_player_name"] == "Willòwí-Draenor-EU"]
    assert (
        dk["data_quality_flags"]
        .map(lambda f: "pet=Lesser Ghoul" in f or "pet=Glaciersmasher" in f)
        .any()
    )


def test_v22_hand_made(v22_log):
    events, report = _events(v22_log)
    by_line = {}
    frames = list(iter_event_frames(v22_log, report=ParseReport()))
    for frame in frames:
        for line, etype, amount in zip(
            frame["line"], frame["event_type"], frame["damage_amount"], strict=True
        ):
            by_line[line] = (etype, amount)
    dmg = [e for e in events if e["event_type"] == "combat_damage"]
    assert [e["damage_amount"] for e in dmg] == [200.0, 50.0, 100.0, 70.0]  # overkill clamped
    assert dmg[0]["is_critical_hit"] is True and dmg[0]["ability_school"] == "fire"
    assert dmg[0]["source_player_class"] == "mage" and dmg[0]["source_player_role"] == "dps"
    assert dmg[0]["target_entity_type"] == "boss"
    assert dmg[0]["target_entity_health_pct_after"] == 80.0
    assert dmg[0]["target_entity_health_pct_before"] == 100.0
    assert dmg[1]["ability_name"] == "Melee" and dmg[1]["ability_school"] == "physical"
    assert (
        dmg[2]["source_player_id"] == ALICE
        and "pet=Water Elemental" in dmg[2]["data_quality_flags"]
    )
    assert dmg[3]["target_entity_health_pct_after"] == 0.0
    heals = [e for e in events if e["event_type"] == "heal"]
    assert [h["healing_amount"] for h in heals] == [200.0]
    assert (
        heals[0]["source_player_role"] == "healer"
        and "overhealing=100" in heals[0]["data_quality_flags"]
    )
    assert report.skipped["heal_all_overheal"] == 1
    regen = [e for e in events if e["event_type"] == "mana_regeneration"]
    assert len(regen) == 1 and regen[0]["resource_type"] == "mana"
    assert report.skipped["energize_unsupported_power_type"] == 1
    casts = [e for e in events if e["event_type"] == "spell_cast"]
    assert len(casts) == 1 and casts[0]["ability_name"] == "Flash Heal"
    deaths = [e for e in events if e["event_type"] == "player_death"]
    assert len(deaths) == 1 and deaths[0]["target_entity_id"] == ALICE
    assert deaths[0]["source_player_id"] == BOSS
    assert report.skipped["feign_death"] == 1
    assert report.skipped["swing_damage_landed_duplicate"] == 1
    assert report.malformed == [(15, "no '<timestamp>  EVENT,' prefix")]
    assert report.skipped["outside_encounter"] == 1
    end = [e for e in events if e.get("ability_name") == "ENCOUNTER_END"][0]
    assert end["difficulty"] == "heroic" and end["encounter_success"] is False
    assert end["encounter_duration_ms"] == 9999
    assert dmg[0]["timestamp"] == "2026-02-16T22:48:05.100000+00:00"


def _one_pull(tmp_path, body: list[str]) -> Path:
    """A v22 log of one Loom'ithar pull holding ``body``, its rows one second apart."""
    rows = [
        HDR22,
        f'ENCOUNTER_START,3131,"{LOOM}",15,20,2810',
        *body,
        f'ENCOUNTER_END,3131,"{LOOM}",15,20,1,60000',
    ]
    stamp = "2/16/2026 22:48:{:02d}.0000  "
    return write_log(
        tmp_path / "WoWCombatLog.txt", [stamp.format(i) + r for i, r in enumerate(rows)]
    )


@pytest.mark.parametrize("mask", [0x7F, 0x7C], ids=["chaos-bolt", "chromatic"])
def test_a_hit_of_every_magic_school_is_chaos(tmp_path, mask):
    """Chaos Bolt (0x7F) and chromatic hits (0x7C) are chaos, not their lowest school."""
    bolt = f'SPELL_DAMAGE,{unit(ALICE, "Alice-Realm-EU", BOSS, LOOM)},116858,"Chaos Bolt"'
    hit = f"{bolt},{mask:#x},{block19(BOSS)},900,900,-1,{mask},0,0,0,1,nil,nil,ST"
    events, _ = _events(_one_pull(tmp_path, [hit]))
    dmg = [e for e in events if e["event_type"] == "combat_damage"]
    assert [(e["damage_amount"], e["ability_school"]) for e in dmg] == [(900.0, "chaos")]


def test_energy_and_focus_gains_are_named_by_their_power_type(tmp_path):
    """powerType 3 is a rogue's energy and 2 a hunter's focus, as the game numbers them."""
    rogue = unit(ALICE, "Alice-Realm-EU", ALICE, "Alice-Realm-EU", df="0x514")
    hunter = unit(BOB, "Bob-Realm-EU", BOB, "Bob-Realm-EU", df="0x514")
    body = [
        f'SPELL_ENERGIZE,{rogue},51637,"Relentless Strikes",0x1,{block19(ALICE)},25.0000,0.0000,3,100',
        f'SPELL_ENERGIZE,{hunter},246152,"Barbed Shot",0x1,{block19(BOB)},20.0000,0.0000,2,120',
    ]
    events, report = _events(_one_pull(tmp_path, body))
    gains = [e for e in events if e["event_type"] == "mana_regeneration"]
    assert [(e["target_entity_id"], e["resource_type"]) for e in gains] == [
        (ALICE, "energy"),
        (BOB, "focus"),
    ]
    assert "energize_unsupported_power_type" not in report.skipped


def test_a_heal_partly_eaten_by_a_heal_absorb_is_not_an_absorbed_hit(tmp_path):
    """is_absorbed marks damage a shield ate; a heal's absorbed part (a heal-absorb debuff on
    the target) leaves it a plain heal."""
    hit = f'SPELL_DAMAGE,{unit(ALICE, "Alice-Realm-EU", BOSS, LOOM)},133,"Fireball",0x4'
    heal = f"SPELL_HEAL,{unit(BOB, 'Bob-Realm-EU', ALICE, 'Alice-Realm-EU', df='0x514')}"
    body = [
        f"{hit},{block19(BOSS)},200,250,-1,4,0,0,50,nil,nil,nil,ST",
        f'{heal},2061,"Flash Heal",0x2,{block19(ALICE)},300,300,0,120,nil',
    ]
    events, _ = _events(_one_pull(tmp_path, body))
    done = [e for e in events if e["event_type"] in ("combat_damage", "heal")]
    assert [(e["event_type"], e.get("is_absorbed", False)) for e in done] == [
        ("combat_damage", True),
        ("heal", False),
    ]
    assert done[1]["healing_amount"] == 300.0


def test_a_raider_named_like_the_boss_is_a_player_target(tmp_path):
    """Classic names carry no realm, so a raider can be called "Onyxia" in the Onyxia pull: a
    unit with the player flag is a player, and its health is not the boss's."""
    boss = "Creature-0-4469-249-1-10184-00001"
    lines = [
        f"1/10 20:00:00.000  {HDR9_CLASSIC}",
        '1/10 20:00:00.100  ENCOUNTER_START,1084,"Onyxia",9,40,249',
        f'1/10 20:00:01.000  SPELL_DAMAGE,{unit(ALICE, "Onyxia", boss, "Onyxia")},25288,"Revenge",'
        f"0x1,{block16(boss, 900000, 1000000)},500,520,-1,1,0,0,0,nil,nil,nil",
        f"1/10 20:00:02.000  SWING_DAMAGE,{unit(boss, 'Onyxia', ALICE, 'Onyxia', sf='0xa48', df='0x514')},"
        f"{block16(boss, 899500, 1000000)},30,31,-1,1,0,0,0,nil,nil,nil",
        '1/10 20:00:03.000  ENCOUNTER_END,1084,"Onyxia",9,40,1',
    ]
    path = write_log(tmp_path / "classic.txt", lines)
    events, _ = _events(path, year=2020, utc_offset_hours=0)
    dmg = [e for e in events if e["event_type"] == "combat_damage"]
    assert [(e["target_entity_id"], e["target_entity_type"]) for e in dmg] == [
        (boss, "boss"),
        (ALICE, "player"),
    ]
    assert dmg[0]["target_entity_health_pct_after"] == 90.0
    assert "target_entity_health_pct_after" not in dmg[1]


@pytest.mark.parametrize(
    ("boss", "pet"),
    [
        ("Creature-0-4469-249-1-10184-00001", "Pet-0-4469-249-1-416-0100000001"),
        # before 6.0 GUIDs were hex: a pet has type digit 4, a creature 3
        ("0xF130002BA0000001", "0xF1400012340000AB"),
    ],
    ids=["typed-guids", "pre-6.0-hex-guids"],
)
def test_a_raider_named_like_the_boss_and_seen_first_is_not_the_pulls_boss(tmp_path, boss, pet):
    """The pull's boss unit (the source of its deaths and its end) is the creature, even when a
    raider or a hunter's pet called "Onyxia" shows up before it."""
    lines = [
        f"1/10 20:00:00.000  {HDR9_CLASSIC}",
        '1/10 20:00:00.100  ENCOUNTER_START,1084,"Onyxia",9,40,249',
        f"1/10 20:00:00.500  SWING_DAMAGE,{unit(BOB, 'Bob', pet, 'Onyxia', df='0x1114')},"
        f"{block16(BOB)},30,31,-1,1,0,0,0,nil,nil,nil",
        f"1/10 20:00:01.000  SWING_DAMAGE,{unit(BOB, 'Bob', ALICE, 'Onyxia', df='0x514')},"
        f"{block16(BOB)},30,31,-1,1,0,0,0,nil,nil,nil",
        f"1/10 20:00:02.000  SWING_DAMAGE,{unit(boss, 'Onyxia', BOB, 'Bob', sf='0xa48', df='0x514')},"
        f"{block16(boss, 899500, 1000000)},30,31,-1,1,0,0,0,nil,nil,nil",
        f'1/10 20:00:03.000  UNIT_DIED,{NONE4},{BOB},"Bob",0x514,0x0',
        '1/10 20:00:04.000  ENCOUNTER_END,1084,"Onyxia",9,40,1',
    ]
    events, _ = _events(write_log(tmp_path / "classic.txt", lines), year=2020, utc_offset_hours=0)
    death = next(e for e in events if e["event_type"] == "player_death")
    end = [e for e in events if e["event_type"] == "boss_phase"][-1]
    assert (death["source_player_id"], end["source_player_id"]) == (boss, boss)
    hit_pet = next(e for e in events if e.get("target_entity_id") == pet)
    assert hit_pet.get("target_entity_type") != "boss"
    assert "target_entity_health_pct_after" not in hit_pet


def test_a_death_after_the_boss_first_acts_is_the_bosss_even_if_it_is_hit_only_later(tmp_path):
    """The boss unit is known from the first line it is on, as source or as target: a raider
    it kills before anyone hits it still died to the boss, not to ``Encounter-<id>``."""
    boss = "Creature-0-4469-249-1-10184-00001"
    lines = [
        f"1/10 20:00:00.000  {HDR9_CLASSIC}",
        '1/10 20:00:00.100  ENCOUNTER_START,1084,"Onyxia",9,40,249',
        f"1/10 20:00:02.000  SWING_DAMAGE,{unit(boss, 'Onyxia', BOB, 'Bob', sf='0xa48', df='0x514')},"
        f"{block16(boss, 899500, 1000000)},30,31,-1,1,0,0,0,nil,nil,nil",
        f'1/10 20:00:03.000  UNIT_DIED,{NONE4},{BOB},"Bob",0x514,0x0',
        f"1/10 20:00:03.500  SWING_DAMAGE,{unit(ALICE, 'Alice', boss, 'Onyxia', df='0xa48')},"
        f"{block16(boss, 899000, 1000000)},500,510,-1,1,0,0,0,nil,nil,nil",
        '1/10 20:00:04.000  ENCOUNTER_END,1084,"Onyxia",9,40,1',
    ]
    events, _ = _events(write_log(tmp_path / "classic.txt", lines), year=2020, utc_offset_hours=0)
    death = next(e for e in events if e["event_type"] == "player_death")
    assert death["source_player_id"] == boss


def test_boss_health_comes_only_from_a_block_that_describes_the_boss(v22_log):
    """A melee swing's advanced block describes the attacker (line 6: Alice at 80 %): read as
    the boss's health it would put a boss at 80 % that never was."""
    events, _ = _events(v22_log)
    swing = next(e for e in events if e.get("ability_name") == "Melee")
    assert swing["target_entity_type"] == "boss"
    assert "target_entity_health_pct_after" not in swing
    assert "target_entity_health_pct_before" not in swing


def test_a_boss_a_raider_mind_controls_stays_the_boss(tmp_path):
    """While a raider controls Razorgore his rows carry the pet type flag: he is still the
    pull's boss unit, with his health read."""
    boss = "Creature-0-4469-469-1-12435-00001"
    add = "Creature-0-4469-469-1-12557-00002"
    name = "Razorgore the Untamed"
    hit = "SWING_DAMAGE,{},{},30,31,-1,1,0,0,0,nil,nil,nil"
    lines = [
        f"1/10 20:00:00.000  {HDR9_CLASSIC}",
        f'1/10 20:00:00.100  ENCOUNTER_START,610,"{name}",9,40,469',
        "1/10 20:00:01.000  "
        + hit.format(
            unit(add, "Grethok the Controller", boss, name, sf="0xa48", df="0x1112"),
            block16(boss, 900000, 1000000),
        ),
        f'1/10 20:00:02.000  UNIT_DIED,{NONE4},{BOB},"Bob",0x514,0x0',
        f'1/10 20:00:04.000  ENCOUNTER_END,610,"{name}",9,40,1',
    ]
    events, _ = _events(write_log(tmp_path / "classic.txt", lines), year=2020, utc_offset_hours=0)
    [damage] = [e for e in events if e["event_type"] == "combat_damage"]
    assert (damage["target_entity_type"], damage["target_entity_health_pct_after"]) == (
        "boss",
        90.0,
    )
    death = next(e for e in events if e["event_type"] == "player_death")
    assert death["source_player_id"] == boss


def test_a_death_in_a_pull_says_how_far_into_the_pull_it_came(tmp_path):
    """A death 42.5 s after ENCOUNTER_START carries encounter_duration_ms 42500."""
    pull = f'3131,"{LOOM}",15,20'
    lines = [
        f"2/16/2026 22:48:00.0000  {HDR22}",
        f"2/16/2026 22:48:00.0000  ENCOUNTER_START,{pull},2810",
        f'2/16/2026 22:48:42.5000  UNIT_DIED,{NONE4},{ALICE},"Alice-Realm-EU",0x514,0x80000000,0',
        f"2/16/2026 22:49:00.0000  ENCOUNTER_END,{pull},0,60000",
    ]
    events, _ = _events(write_log(tmp_path / "WoWCombatLog.txt", lines))
    deaths = [e for e in events if e["event_type"] == "player_death"]
    assert [(d["target_entity_id"], d["encounter_duration_ms"]) for d in deaths] == [(ALICE, 42500)]


def test_a_player_with_a_pre_6_0_hex_guid_who_dies_is_a_player_death(tmp_path):
    """Before 6.0 GUIDs were hex (``0x…``, no ``Player-``): the unit flags' player bit tells a
    raider's death from an NPC's."""
    raider, npc = "0x0000000002A1B3C4", "0xF130008061003BD7"
    nobody = "0x0000000000000000,nil,0x80000000,0x80000000"
    lines = [
        f'1/10 20:00:01.000  UNIT_DIED,{nobody},{npc},"Stone Guard",0xa48,0x0',
        f'1/10 20:00:02.000  UNIT_DIED,{nobody},{raider},"Carl",0x514,0x0',
    ]
    path = write_log(tmp_path / "WoWCombatLog-011013_200000.txt", lines)
    events, report = _events(path, scope="all", utc_offset_hours=0)
    deaths = [e for e in events if e["event_type"] == "player_death"]
    assert [(d["target_entity_id"], d["target_entity_name"]) for d in deaths] == [(raider, "Carl")]
    assert report.skipped["unit_died_not_a_player"] == 1


def test_scope_all_and_idempotent_ids(v22_log):
    all_events, _ = _events(v22_log, scope="all")
    inside, _ = _events(v22_log)
    assert len(all_events) == len(inside) + 1
    again, _ = _events(v22_log)
    assert [e["event_id"] for e in again] == [e["event_id"] for e in inside]
    small_chunks, _ = _events(v22_log, chunk_bytes=1 << 10)
    assert [e["event_id"] for e in small_chunks] == [e["event_id"] for e in inside]


def test_gzip_input_detected_by_magic(v22_log, tmp_path):
    gz = tmp_path / "renamed.txt"
    gz.write_bytes(gzip.compress(v22_log.read_bytes()))
    a, _ = _events(v22_log)
    b, _ = _events(gz, raid_id="night-1")
    assert [e["event_id"] for e in a] == [e["event_id"] for e in b]
    assert {e["raid_id"] for e in b} == {"night-1"}


def test_file_object_input(v22_log):
    with open(v22_log, "rb") as fh:
        events, _ = _events(fh)
    assert len(events) == len(_events(v22_log)[0])


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("9/21/2024 16:02:11.667-4", "2024-09-21T20:02:11.667000+00:00"),
        ("9/22/2024 04:12:04.5370", "2024-09-22T04:12:04.537000+00:00"),
        ("9/22/2024 14:34:46.26612", "2024-09-22T02:34:46.266000+00:00"),
        ("8/28/2025 14:31:12.50110", "2025-08-28T04:31:12.501000+00:00"),
        ("1/1/2025 00:30:00.000-10", "2025-01-01T10:30:00+00:00"),
        ("1/16/2026 20:00:05.12313", "2026-01-16T07:00:05.123000+00:00"),  # New Zealand summer
        ("1/1/2025 00:30:00.00014", "2024-12-31T10:30:00+00:00"),  # Kiribati, UTC+14
    ],
)
def test_timestamp_offsets(tmp_path, stamp, expected):
    line = f'{stamp}  ENCOUNTER_START,1,"X",14,20,1'
    path = write_log(tmp_path / "t.txt", [line])
    events, _ = _events(path)
    assert events[0]["timestamp"] == expected


def test_wal_epoch_values(tmp_path):
    # wowarenalogs' timezones test: 1726978324537 and 1726972486266 ms
    path = write_log(
        tmp_path / "t.txt",
        [
            '9/22/2024 04:12:04.5370  ENCOUNTER_START,1,"X",14,20,1',
            '9/22/2024 14:34:46.26612  ENCOUNTER_END,1,"X",14,20,1,5',
        ],
    )
    enc = encounters(path).iloc[0]
    assert enc["start"].value // 10**6 == 1726978324537
    assert enc["end"].value // 10**6 == 1726972486266


def test_v9_classic_without_year(tmp_path):
    boss = "Creature-0-4469-531-1-15509-00001"
    src = unit(ALICE, "Alice", boss, "Princess Huhuran")
    lines = [
        f"12/31 23:59:59.000  {HDR9_CLASSIC}",
        '12/31 23:59:59.100  ENCOUNTER_START,714,"Princess Huhuran",9,40,531,2',
        f'12/31 23:59:59.500  SPELL_DAMAGE,{src},25288,"Revenge",0x1,{block16(boss, 900000, 1000000)},500,520,-1,1,0,0,0,nil,nil,nil',
        f"1/1 00:00:00.500  SWING_DAMAGE,{src},{block16(ALICE, 92, 100)},300,310,-1,1,0,0,0,1,nil,nil",
        f'1/1 00:00:01.000  UNIT_DIED,{NONE4},{ALICE},"Alice",0x514,0x0',
        '1/1 00:00:02.000  ENCOUNTER_END,714,"Princess Huhuran",9,40,1',
    ]
    path = write_log(tmp_path / "classic.txt", lines)
    with pytest.raises(TimestampContextError):
        _events(path)
    events, report = _events(path, year=2019, utc_offset_hours=1)
    assert report.malformed_count == 0
    dmg = [e for e in events if e["event_type"] == "combat_damage"]
    assert [d["damage_amount"] for d in dmg] == [500.0, 300.0]
    assert dmg[0]["timestamp"] == "2019-12-31T22:59:59.500000+00:00"
    assert dmg[1]["timestamp"] == "2019-12-31T23:00:00.500000+00:00"  # Jan 1 2020 local
    assert dmg[1]["is_critical_hit"] is True and dmg[0]["difficulty"] == "normal"
    assert dmg[0]["source_player_class"] is None if "source_player_class" in dmg[0] else True
    assert dmg[0]["target_entity_health_pct_after"] == 90.0
    deaths = [e for e in events if e["event_type"] == "player_death"]
    assert len(deaths) == 1 and deaths[0]["target_entity_name"] == "Alice"
    end = [e for e in events if e.get("ability_name") == "ENCOUNTER_END"][0]
    assert end["encounter_success"] is True and end["encounter_duration_ms"] == 2900
    # a named zone works as well as a fixed offset (Europe/Berlin is UTC+1 in winter)
    by_zone, _ = _events(path, year=2019, tz="Europe/Berlin")
    assert [e["timestamp"] for e in by_zone] == [e["timestamp"] for e in events]


def test_v20_without_advanced_block(tmp_path):
    src = unit(ALICE, "Alice-Realm", BOSS, "Boss")
    heal = unit(BOB, "Bob-Realm", ALICE, "Alice-Realm", df="0x514")
    lines = [
        f"4/10 22:25:55.000  {HDR20_OFF}",
        '4/10 22:25:55.100  ENCOUNTER_START,2680,"Boss",16,20,2522',
        f'4/10 22:25:56.000  SPELL_DAMAGE,{src},133,"Fireball",0x24,1000,1100,-1,36,0,0,0,nil,nil,nil',
        f'4/10 22:25:56.100  SPELL_HEAL,{heal},2061,"Flash Heal",0x2,400,400,0,0,nil',
        f'4/10 22:25:56.200  SPELL_CAST_SUCCESS,{heal},2061,"Flash Heal",0x2',
        f'4/10 22:25:56.300  SPELL_DAMAGE,{src},133,"Fireball",0x4,1000,1100',
        f"4/10 22:25:56.400  SWING_DAMAGE,{src},20,20,-1,1,0,0,0,nil,nil,nil",
        '4/10 22:25:57.000  ENCOUNTER_END,2680,"Boss",16,20,1,1900',
    ]
    path = write_log(tmp_path / "v20.txt", lines)
    events, report = _events(path, year=2023, utc_offset_hours=-5)
    dmg = [e for e in events if e["event_type"] == "combat_damage"]
    assert [d["damage_amount"] for d in dmg] == [1000.0, 20.0]
    assert dmg[0]["ability_school"] == "fire" and dmg[0]["difficulty"] == "mythic"
    assert "target_entity_health_pct_after" not in dmg[0]
    assert dmg[0]["timestamp"] == "2023-04-11T03:25:56+00:00"
    assert [e["healing_amount"] for e in events if e["event_type"] == "heal"] == [400.0]
    assert report.malformed == [(6, "SPELL_DAMAGE: unexpected field count 14")]


def test_malformed_lines_never_crash(tmp_path):
    good = '2/16/2026 22:48:05.0000  ENCOUNTER_START,1,"X",14,20,1'
    lines = [
        good,
        "",
        "garbage",
        '2/16/2026 99:99:99.9990  ENCOUNTER_END,1,"X",14,20,1,5',
        f'2/16/2026 22:48:06.0000  SPELL_DAMAGE,{unit(ALICE, "A", BOSS, "X")},1,"Y",0x1,abc,0,-1,1,0,0,0,nil,nil,nil',
        "2/16/2026 22:48:06.0000  COMBATANT_INFO,Player-1-2,notanumber,[1]",
        "2/16/2026 22:48:06.0000  UNIT_DIED,short",
        "bad\x01line",
        '2/16/2026 22:48:07.0000  ENCOUNTER_END,1,"X",14,20,1,2000',
    ]
    path = write_log(tmp_path / "bad.txt", lines)
    events, report = _events(path)
    lines_reported = sorted(n for n, _ in report.malformed)
    assert lines_reported == [3, 4, 5, 6, 7, 8]
    assert report.blank_lines == 1
    assert report.lines_total == len(lines)
    reasons = dict(report.malformed)
    assert reasons[4] == "unreadable timestamp"
    assert reasons[5] == "SPELL_DAMAGE amount is not a number: 'abc'"
    assert [e["ability_name"] for e in events if e["event_type"] == "boss_phase"] == [
        "ENCOUNTER_START",
        "ENCOUNTER_END",
    ]


def test_encounter_without_end_and_pull_numbers(tmp_path):
    lines = [
        '2/16/2026 22:00:00.0000  ENCOUNTER_START,7,"X",14,20,1',
        '2/16/2026 22:01:00.0000  ENCOUNTER_START,7,"X",14,20,1',
        '2/16/2026 22:02:00.0000  ENCOUNTER_END,7,"X",14,20,1,60000',
    ]
    enc = encounters(write_log(tmp_path / "e.txt", lines))
    assert list(enc["encounter_id"]) == ["7-1", "7-2"]
    assert enc["success"].isna().iloc[0] and bool(enc["success"].iloc[1])


def test_raid_id_pattern(kill):
    import re

    from raidlib.schemas.events import RAID_ID_PATTERN

    events, _ = kill
    assert re.match(RAID_ID_PATTERN, events[0]["raid_id"])


def test_the_default_raid_id_does_not_depend_on_the_scope(tmp_path):
    """Trash before UTC midnight, the pull after it: one raid id for both scopes, the date of
    the log's first row, so the same event ids are never filed under two raids."""
    trash = "Creature-0-3061-2810-120284-1234-0000000001"
    hit = f'SPELL_DAMAGE,{unit(ALICE, "Alice", trash, "Trash")},133,"Fireball",0x4,{block19(trash)}'
    lines = [
        f"2/16/2026 23:30:00.0000  {HDR22}",
        f"2/16/2026 23:31:00.0000  {hit},100,100,-1,4,0,0,0,nil,nil,nil,ST",
        '2/17/2026 00:30:00.0000  ENCOUNTER_START,3131,"Loom\'ithar",14,25,2810',
        f"2/17/2026 00:30:01.0000  {hit.replace(trash, BOSS)},500,500,-1,4,0,0,0,nil,nil,nil,ST",
        '2/17/2026 00:31:00.0000  ENCOUNTER_END,3131,"Loom\'ithar",14,25,1,60000',
    ]
    path = write_log(tmp_path / "WoWCombatLog-021626_233000.txt", lines)
    by_scope = {}
    for scope in ("encounter", "all"):
        events, _ = _events(path, scope=scope)
        by_scope[scope] = {e["event_id"]: e["raid_id"] for e in events}
    assert set(by_scope["all"].values()) == {"wowcombatlog-021626-233000-2026-02-16"}
    assert by_scope["encounter"].items() < by_scope["all"].items()


def test_deaths_outside_pulls_only_with_scope_all(tmp_path):
    """The default scope leaves out what happens between pulls: trash deaths as well as trash
    damage, so raid deaths and raid damage cover the same rows."""

    def died(minute: int, guid: str) -> str:
        return f'2/16/2026 22:{minute:02d}:00.0000  UNIT_DIED,{NONE4},{guid},"X",0x514,0x0,0'

    lines = [
        f"2/16/2026 22:00:00.0000  {HDR22}",
        died(1, ALICE),  # on trash
        f'2/16/2026 22:10:00.0000  ENCOUNTER_START,3131,"{LOOM}",14,25,2810',
        died(11, BOB),
        f'2/16/2026 22:12:00.0000  ENCOUNTER_END,3131,"{LOOM}",14,25,0,120000',
        died(20, ALICE),  # after the wipe
    ]
    path = write_log(tmp_path / "WoWCombatLog-021626_220000.txt", lines)
    events, report = _events(path)
    deaths = [e for e in events if e["event_type"] == "player_death"]
    assert [(d["target_entity_id"], d["encounter_id"]) for d in deaths] == [(BOB, "3131-1")]
    assert report.skipped["outside_encounter"] == 2
    events, report = _events(path, scope="all")
    deaths = [e for e in events if e["event_type"] == "player_death"]
    assert [d["target_entity_id"] for d in deaths] == [ALICE, BOB, ALICE]
    assert [d["source_player_id"] for d in deaths[::2]] == ["environment", "environment"]
    assert "outside_encounter" not in report.skipped


def test_year_from_file_name(tmp_path):
    path = write_log(
        tmp_path / "WoWCombatLog-021626_223411.txt",
        ['2/16 22:00:00.000  ENCOUNTER_START,7,"X",14,20,1'],
    )
    enc = encounters(path, utc_offset_hours=0)
    assert enc["start"].iloc[0] == pd.Timestamp("2026-02-16 22:00", tz="UTC")


def test_a_log_named_before_midnight_whose_rows_start_after_it_is_in_the_next_year(tmp_path):
    """The year comes from the name (``…123125_235959``: Dec 31 2025); the first row, a few
    seconds later, is Jan 1 of 2026, not of 2025 (a whole raid a year early)."""
    path = write_log(
        tmp_path / "WoWCombatLog-123125_235959.txt",
        ['1/1 00:00:01.000  ENCOUNTER_START,7,"X",14,20,1'],
    )
    enc = encounters(path, utc_offset_hours=0)
    assert enc["start"].iloc[0] == pd.Timestamp("2026-01-01 00:00:01", tz="UTC")
    path = write_log(  # the usual case: the log crosses midnight itself
        tmp_path / "WoWCombatLog-123125_235000.txt",
        [
            '12/31 23:59:59.000  ENCOUNTER_START,7,"X",14,20,1',
            '1/1 00:00:01.000  ENCOUNTER_END,7,"X",14,20,1,2000',
        ],
    )
    enc = encounters(path, utc_offset_hours=0)
    assert enc["start"].iloc[0] == pd.Timestamp("2025-12-31 23:59:59", tz="UTC")
    path = write_log(  # a copy renamed two days later than its rows: not a New Year's log
        tmp_path / "WoWCombatLog-021826_200000.txt",
        ['2/16 22:00:00.000  ENCOUNTER_START,7,"X",14,20,1'],
    )
    enc = encounters(path, utc_offset_hours=0)
    assert enc["start"].iloc[0] == pd.Timestamp("2026-02-16 22:00", tz="UTC")


def test_bob_is_healer(v22_log):
    events, _ = _events(v22_log)
    assert {e["source_player_role"] for e in events if e["source_player_id"] == BOB} == {"healer"}


def test_age_warning_only_for_a_log_older_than_the_silver_limit() -> None:
    from datetime import UTC, datetime

    import pandas as pd

    from raidlib.combatlog.import_result import ImportResult, age_limit_warning
    from raidlib.combatlog.report import ParseReport

    now = datetime(2026, 12, 2, tzinfo=UTC)
    result = ImportResult("log.txt", "bronze", ParseReport(), pd.DataFrame(), accepted=1)
    result.earliest_event = datetime(2021, 12, 1, tzinfo=UTC)  # 1,827 days before now
    assert age_limit_warning(result, 1826.25, now) == (
        "this log starts on 2021-12-01, 1,827 days ago: silver quarantines events more than "
        "1,826 days older than their ingest time (timestamp_too_old). Set "
        "RAIDLIB_MAX_EVENT_AGE_DAYS=1828 (or more) before building silver (silver already "
        "built from it: README, Upgrading and reprocessing)."
    )
    assert age_limit_warning(result, 2000, now) is None
    result.accepted = 0  # nothing landed (all rejected): nothing for silver to quarantine
    assert age_limit_warning(result, 1826.25, now) is None
