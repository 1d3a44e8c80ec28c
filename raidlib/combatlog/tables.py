"""Lookup tables for the combat log: specs, difficulties, schools, power types, unit flags.

Sources: COMBATLOG-FORMAT.md §3 (schools), §6.2 (difficulty IDs), §6.3 (spec IDs), §8 (unit
flags); spec IDs follow Blizzard's ChrSpecialization table (12.0 adds Demon Hunter "Devourer",
1480). IDs are resolved through these tables, never hard-coded at the call sites.
"""

from __future__ import annotations

# spec id -> (class, role). Roles: tank, healer, dps (CONTRACT §1).
SPECS: dict[int, tuple[str, str]] = {
    # Warrior
    71: ("warrior", "dps"),
    72: ("warrior", "dps"),
    73: ("warrior", "tank"),
    1446: ("warrior", "dps"),
    # Paladin
    65: ("paladin", "healer"),
    66: ("paladin", "tank"),
    70: ("paladin", "dps"),
    1451: ("paladin", "dps"),
    # Hunter
    253: ("hunter", "dps"),
    254: ("hunter", "dps"),
    255: ("hunter", "dps"),
    1448: ("hunter", "dps"),
    # Rogue
    259: ("rogue", "dps"),
    260: ("rogue", "dps"),
    261: ("rogue", "dps"),
    1453: ("rogue", "dps"),
    # Priest
    256: ("priest", "healer"),
    257: ("priest", "healer"),
    258: ("priest", "dps"),
    1452: ("priest", "dps"),
    # Death Knight
    250: ("death_knight", "tank"),
    251: ("death_knight", "dps"),
    252: ("death_knight", "dps"),
    1455: ("death_knight", "dps"),
    # Shaman
    262: ("shaman", "dps"),
    263: ("shaman", "dps"),
    264: ("shaman", "healer"),
    1444: ("shaman", "dps"),
    # Mage
    62: ("mage", "dps"),
    63: ("mage", "dps"),
    64: ("mage", "dps"),
    1449: ("mage", "dps"),
    # Warlock
    265: ("warlock", "dps"),
    266: ("warlock", "dps"),
    267: ("warlock", "dps"),
    1454: ("warlock", "dps"),
    # Monk
    268: ("monk", "tank"),
    269: ("monk", "dps"),
    270: ("monk", "healer"),
    1450: ("monk", "dps"),
    # Druid
    102: ("druid", "dps"),
    103: ("druid", "dps"),
    104: ("druid", "tank"),
    105: ("druid", "healer"),
    1447: ("druid", "dps"),
    # Demon Hunter (1480 = Devourer, new in 12.0)
    577: ("demon_hunter", "dps"),
    581: ("demon_hunter", "tank"),
    1480: ("demon_hunter", "dps"),
    1456: ("demon_hunter", "dps"),
    # Evoker
    1467: ("evoker", "dps"),
    1468: ("evoker", "healer"),
    1473: ("evoker", "dps"),
    1465: ("evoker", "dps"),
}

# difficultyID -> contract difficulty (None: not one of normal/heroic/mythic/lfr).
DIFFICULTIES: dict[int, str] = {
    1: "normal",  # 5-player normal
    2: "heroic",  # 5-player heroic
    3: "normal",  # legacy 10-player
    4: "normal",  # legacy 25-player
    5: "heroic",  # legacy 10-player heroic
    6: "heroic",  # legacy 25-player heroic
    7: "lfr",  # legacy LFR
    8: "mythic",  # Mythic Keystone
    9: "normal",  # 40-player (Classic raids)
    14: "normal",
    15: "heroic",
    16: "mythic",
    17: "lfr",
    23: "mythic",  # 5-player mythic
    33: "normal",  # timewalking raid
    148: "normal",  # Classic 20-player
    175: "normal",  # legacy 10-player (Classic progression)
    176: "normal",  # legacy 25-player (Classic progression)
    193: "heroic",
    194: "heroic",
    226: "normal",  # Classic Season of Discovery 20-player
}

# Spell school bit -> contract school. A multi-school mask maps to "chaos" when it holds
# every magic school, otherwise to its lowest set bit (physical before holy before fire ...).
SCHOOL_BITS: tuple[tuple[int, str], ...] = (
    (0x1, "physical"),
    (0x2, "holy"),
    (0x4, "fire"),
    (0x8, "nature"),
    (0x10, "frost"),
    (0x20, "shadow"),
    (0x40, "arcane"),
)
CHAOS_MASK = 0x7C  # fire|nature|frost|shadow|arcane (0x7C) or more = Chromatic/Chaos


def school_name(mask: int | None) -> str | None:
    """Contract school of a school bit mask (see the rule above SCHOOL_BITS)."""
    if mask is None or mask <= 0:
        return None
    if mask & CHAOS_MASK == CHAOS_MASK:
        return "chaos"
    for bit, name in SCHOOL_BITS:
        if mask & bit:
            return name
    return None


# powerType -> contract resource type; other power types are skipped (and counted).
POWER_TYPES: dict[int, str] = {0: "mana", 1: "rage", 2: "focus", 3: "energy", 6: "runic_power"}

# Unit flag bits (COMBATLOG-FORMAT §8) that raidlib reads: the unit's type.
FLAG_TYPE_PLAYER = 0x400
FLAG_TYPE_NPC = 0x800
FLAG_TYPE_PET = 0x1000
FLAG_TYPE_GUARDIAN = 0x2000
FLAG_TYPE_OBJECT = 0x4000

NO_GUID = "0000000000000000"
