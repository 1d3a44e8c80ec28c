"""Builders for hand-made combat log lines (layouts from COMBATLOG-FORMAT.md §2–§6)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path("/work/shared/data/combatlogs")
KILL = DATA / "enc-3131-pull-1-loom-ithar.log.gz"
WIPE = DATA / "enc-3135-pull-1-dimensius-the-all-devouring.log.gz"

ALICE = "Player-1403-0000000A"
BOB = "Player-1403-0000000B"
BOSS = "Vehicle-0-3061-2810-120284-233815-0000139D68"
PET = "Pet-0-3061-2810-120284-26125-0102E18649"
LOOM = "Loom'ithar"
NONE4 = "0000000000000000,nil,0x80000000,0x80000000"

HDR22 = "COMBAT_LOG_VERSION,22,ADVANCED_LOG_ENABLED,1,BUILD_VERSION,12.0.1,PROJECT_ID,1"
HDR21 = "COMBAT_LOG_VERSION,21,ADVANCED_LOG_ENABLED,1,BUILD_VERSION,11.0.2,PROJECT_ID,1"
HDR20_OFF = "COMBAT_LOG_VERSION,20,ADVANCED_LOG_ENABLED,0,BUILD_VERSION,10.2.5,PROJECT_ID,1"
HDR9_CLASSIC = "COMBAT_LOG_VERSION,9,ADVANCED_LOG_ENABLED,1,BUILD_VERSION,1.14.3,PROJECT_ID,2"


def block19(guid: str, hp: int = 800, max_hp: int = 1000, owner: str = "0000000000000000") -> str:
    return f"{guid},{owner},{hp},{max_hp},0,0,377,0,0,0,3,0,100,0,1.0,2.0,2462,0.5,83"


def block17(guid: str, hp: int = 800, max_hp: int = 1000) -> str:
    return f"{guid},0000000000000000,{hp},{max_hp},0,0,377,0,3,0,100,0,1.0,2.0,2462,0.5,80"


def block16(guid: str, hp: int = 800, max_hp: int = 1000) -> str:
    return f"{guid},0000000000000000,{hp},{max_hp},0,0,0,0,0,100,0,1.0,2.0,0,0.5,60"


def unit(
    src: str, src_name: str, dst: str, dst_name: str, sf: str = "0x514", df: str = "0x10a48"
) -> str:
    return f'{src},"{src_name}",{sf},0x80000000,{dst},"{dst_name}",{df},0x80000000'


def combatant(guid: str, spec: int) -> str:
    stats = ",".join(["0"] * 23)
    return (
        f"COMBATANT_INFO,{guid},{stats},{spec},[(1,2,1),(3,4,1)],(0,0,0,0),[(1,2,(),(1,2),())],[]"
    )


def write_log(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def v22_log(tmp_path: Path) -> Path:
    ts = "2/16/2026 22:48:05.{ms}0"
    a2boss = unit(ALICE, "Alice-Realm-EU", BOSS, LOOM)
    pet2boss = unit(PET, "Water Elemental", BOSS, LOOM, sf="0x1114")
    summon = unit(ALICE, "Alice-Realm-EU", PET, "Water Elemental", df="0xa28")
    b2a = unit(BOB, "Bob-Realm-EU", ALICE, "Alice-Realm-EU", df="0x514")
    b2b = unit(BOB, "Bob-Realm-EU", BOB, "Bob-Realm-EU", df="0x514")
    enc = f'3131,"{LOOM}",15,20'
    lines = [
        f"{ts.format(ms='000')}  {HDR22}",
        f"{ts.format(ms='001')}  ENCOUNTER_START,{enc},2810",
        f"{ts.format(ms='002')}  {combatant(ALICE, 63)}",
        f"{ts.format(ms='003')}  {combatant(BOB, 256)}",
        # 5: Alice hits the boss: 200 amount, no overkill, crit, fire, AOE tag
        f'{ts.format(ms="100")}  SPELL_DAMAGE,{a2boss},133,"Fireball",0x4,{block19(BOSS)},200,250,-1,4,0,0,0,1,nil,nil,AOE',
        # 6: the same melee twice: SWING_DAMAGE counts, SWING_DAMAGE_LANDED does not
        f"{ts.format(ms='200')}  SWING_DAMAGE,{a2boss},{block19(ALICE)},50,60,-1,1,0,0,0,nil,nil,nil",
        f"{ts.format(ms='200')}  SWING_DAMAGE_LANDED,{a2boss},{block19(BOSS)},50,60,-1,1,0,0,0,nil,nil,nil",
        # 8: summon then pet damage credited to Alice
        f'{ts.format(ms="300")}  SPELL_SUMMON,{summon},31687,"Summon Water Elemental",0x10',
        f'{ts.format(ms="400")}  SPELL_DAMAGE,{pet2boss},31707,"Waterbolt",0x10,{block19(BOSS, 700)},100,120,-1,16,0,0,0,nil,nil,nil,ST',
        # 10: heal 300 with 100 overheal; 11: heal all overheal (dropped, counted)
        f'{ts.format(ms="500")}  SPELL_HEAL,{b2a},2061,"Flash Heal",0x2,{block19(ALICE)},300,300,100,0,nil',
        f'{ts.format(ms="600")}  SPELL_HEAL,{b2a},2061,"Flash Heal",0x2,{block19(ALICE)},300,300,300,0,1',
        # 12: cast success; 13: mana energize; 14: holy power energize (skipped, counted)
        f'{ts.format(ms="700")}  SPELL_CAST_SUCCESS,{b2a},2061,"Flash Heal",0x2,{block19(BOB)}',
        f'{ts.format(ms="701")}  SPELL_ENERGIZE,{b2b},1,"Mana Tea",0x8,{block19(BOB)},50.0000,0.0000,0,100',
        f'{ts.format(ms="702")}  SPELL_ENERGIZE,{b2b},2,"Judgment",0x2,{block19(BOB)},1.0000,0.0000,9,5',
        # 15: a broken line; 16: a killing blow with overkill 30 -> 70 damage
        "this is not a combat log line",
        f'{ts.format(ms="800")}  SPELL_DAMAGE,{a2boss},133,"Fireball",0x4,{block19(BOSS, 0)},100,120,30,4,0,0,0,nil,nil,nil,ST',
        # 17: a feigned death (flag 1), 18: a real death
        f'{ts.format(ms="900")}  UNIT_DIED,{NONE4},{BOB},"Bob-Realm-EU",0x514,0x80000000,1',
        f'{ts.format(ms="950")}  UNIT_DIED,{NONE4},{ALICE},"Alice-Realm-EU",0x514,0x80000000,0',
        f"2/16/2026 22:48:15.0000  ENCOUNTER_END,{enc},0,9999",
        # 20: after the pull (outside the encounter scope)
        f'2/16/2026 22:48:16.0000  SPELL_DAMAGE,{a2boss},133,"Fireball",0x4,{block19(BOSS)},200,250,-1,4,0,0,0,nil,nil,nil,AOE',
    ]
    return write_log(tmp_path / "WoWCombatLog-021626_224800.txt", lines)
