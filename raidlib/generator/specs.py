"""Static game data: the 13 classes with their real specialisations, roles, resources and abilities.

Ability ids are the game's spell ids where one is well known; the generator only needs them to be
stable strings. Everything here is plain data; :mod:`raidlib.generator.raid` turns it into numpy
lookup tables once at import.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LEVEL = 80
"""The current expansion's level cap: raiders are max level (the contract allows up to 90)."""


@dataclass(frozen=True)
class Spec:
    player_class: str
    spec: str
    role: str  # tank, healer, dps
    resource: str  # one of the contract's resource types


@dataclass(frozen=True)
class Ability:
    ability_id: str
    name: str
    school: str


# Demon hunters spend fury, which the contract has no word for; like rage it is built by attacking,
# so they report rage.
SPECS: tuple[Spec, ...] = (
    Spec("warrior", "arms", "dps", "rage"),
    Spec("warrior", "fury", "dps", "rage"),
    Spec("warrior", "protection", "tank", "rage"),
    Spec("paladin", "holy", "healer", "mana"),
    Spec("paladin", "protection", "tank", "mana"),
    Spec("paladin", "retribution", "dps", "mana"),
    Spec("hunter", "beast_mastery", "dps", "focus"),
    Spec("hunter", "marksmanship", "dps", "focus"),
    Spec("hunter", "survival", "dps", "focus"),
    Spec("rogue", "assassination", "dps", "energy"),
    Spec("rogue", "outlaw", "dps", "energy"),
    Spec("rogue", "subtlety", "dps", "energy"),
    Spec("priest", "discipline", "healer", "mana"),
    Spec("priest", "holy", "healer", "mana"),
    Spec("priest", "shadow", "dps", "mana"),
    Spec("shaman", "elemental", "dps", "mana"),
    Spec("shaman", "enhancement", "dps", "mana"),
    Spec("shaman", "restoration", "healer", "mana"),
    Spec("mage", "arcane", "dps", "mana"),
    Spec("mage", "fire", "dps", "mana"),
    Spec("mage", "frost", "dps", "mana"),
    Spec("warlock", "affliction", "dps", "mana"),
    Spec("warlock", "demonology", "dps", "mana"),
    Spec("warlock", "destruction", "dps", "mana"),
    Spec("druid", "balance", "dps", "mana"),
    Spec("druid", "feral", "dps", "energy"),
    Spec("druid", "guardian", "tank", "rage"),
    Spec("druid", "restoration", "healer", "mana"),
    Spec("death_knight", "blood", "tank", "runic_power"),
    Spec("death_knight", "frost", "dps", "runic_power"),
    Spec("death_knight", "unholy", "dps", "runic_power"),
    Spec("monk", "brewmaster", "tank", "energy"),
    Spec("monk", "mistweaver", "healer", "mana"),
    Spec("monk", "windwalker", "dps", "energy"),
    Spec("demon_hunter", "havoc", "dps", "rage"),
    Spec("demon_hunter", "vengeance", "tank", "rage"),
    Spec("evoker", "devastation", "dps", "mana"),
    Spec("evoker", "preservation", "healer", "mana"),
    Spec("evoker", "augmentation", "dps", "mana"),
)

DAMAGE_ABILITIES: dict[str, tuple[Ability, ...]] = {
    "warrior": (
        Ability("12294", "Mortal Strike", "physical"),
        Ability("23881", "Bloodthirst", "physical"),
        Ability("23922", "Shield Slam", "physical"),
        Ability("5308", "Execute", "physical"),
    ),
    "paladin": (
        Ability("35395", "Crusader Strike", "physical"),
        Ability("85256", "Templar's Verdict", "holy"),
        Ability("20271", "Judgment", "holy"),
    ),
    "hunter": (
        Ability("34026", "Kill Command", "physical"),
        Ability("19434", "Aimed Shot", "physical"),
        Ability("185358", "Arcane Shot", "arcane"),
        Ability("193455", "Cobra Shot", "nature"),
    ),
    "rogue": (
        Ability("1752", "Sinister Strike", "physical"),
        Ability("1329", "Mutilate", "physical"),
        Ability("32645", "Envenom", "nature"),
        Ability("196819", "Eviscerate", "physical"),
    ),
    "priest": (
        Ability("8092", "Mind Blast", "shadow"),
        Ability("589", "Shadow Word: Pain", "shadow"),
        Ability("585", "Smite", "holy"),
    ),
    "shaman": (
        Ability("188196", "Lightning Bolt", "nature"),
        Ability("51505", "Lava Burst", "fire"),
        Ability("17364", "Stormstrike", "physical"),
    ),
    "mage": (
        Ability("133", "Fireball", "fire"),
        Ability("116", "Frostbolt", "frost"),
        Ability("30451", "Arcane Blast", "arcane"),
        Ability("11366", "Pyroblast", "fire"),
    ),
    "warlock": (
        Ability("686", "Shadow Bolt", "shadow"),
        Ability("116858", "Chaos Bolt", "chaos"),
        Ability("29722", "Incinerate", "fire"),
        Ability("980", "Agony", "shadow"),
    ),
    "druid": (
        Ability("190984", "Wrath", "nature"),
        Ability("78674", "Starsurge", "arcane"),
        Ability("5221", "Shred", "physical"),
        Ability("33917", "Mangle", "physical"),
    ),
    "death_knight": (
        Ability("49020", "Obliterate", "frost"),
        Ability("49143", "Frost Strike", "frost"),
        Ability("49998", "Death Strike", "physical"),
        Ability("85948", "Festering Strike", "physical"),
    ),
    "monk": (
        Ability("100780", "Tiger Palm", "physical"),
        Ability("107428", "Rising Sun Kick", "physical"),
        Ability("100784", "Blackout Kick", "physical"),
    ),
    "demon_hunter": (
        Ability("162794", "Chaos Strike", "chaos"),
        Ability("198013", "Eye Beam", "chaos"),
        Ability("162243", "Demon's Bite", "physical"),
        Ability("228477", "Soul Cleave", "chaos"),
    ),
    "evoker": (
        Ability("356995", "Disintegrate", "arcane"),
        Ability("361469", "Living Flame", "fire"),
        Ability("357208", "Fire Breath", "fire"),
    ),
}

HEAL_ABILITIES: dict[str, tuple[Ability, ...]] = {
    "paladin": (
        Ability("82326", "Holy Light", "holy"),
        Ability("19750", "Flash of Light", "holy"),
        Ability("85673", "Word of Glory", "holy"),
    ),
    "priest": (
        Ability("2061", "Flash Heal", "holy"),
        Ability("2060", "Heal", "holy"),
        Ability("33076", "Prayer of Mending", "holy"),
    ),
    "shaman": (
        Ability("77472", "Healing Wave", "nature"),
        Ability("1064", "Chain Heal", "nature"),
        Ability("61295", "Riptide", "nature"),
    ),
    "druid": (
        Ability("774", "Rejuvenation", "nature"),
        Ability("8936", "Regrowth", "nature"),
        Ability("48438", "Wild Growth", "nature"),
    ),
    "monk": (
        Ability("116670", "Vivify", "nature"),
        Ability("115151", "Renewing Mist", "nature"),
        Ability("124682", "Enveloping Mist", "nature"),
    ),
    "evoker": (
        Ability("355913", "Emerald Blossom", "nature"),
        Ability("355936", "Dream Breath", "nature"),
        Ability("361469", "Living Flame", "fire"),
    ),
}

# The boss's kit. Melee lands on the active tank, the raid-wide ability on everyone alive, the
# targeted ones on random players; Berserk is the enrage that ends a raid that ran out of time.
BOSS_MELEE = Ability("1", "Melee", "physical")
BOSS_RAID_WIDE = Ability("98237", "Hand of Ragnaros", "fire")
BOSS_TARGETED: tuple[Ability, ...] = (
    Ability("98164", "Magma Trap", "fire"),
    Ability("99172", "Engulfing Flames", "fire"),
    Ability("98710", "Sulfuras Smash", "fire"),
)
BOSS_BERSERK = Ability("26662", "Berserk", "physical")

RESOURCE_MAX: dict[str, float] = {
    "mana": 250_000.0,
    "energy": 100.0,
    "rage": 100.0,
    "focus": 100.0,
    "runic_power": 125.0,
}
RESOURCE_REGEN_PER_S: dict[str, float] = {
    "mana": 2_000.0,
    "energy": 10.0,
    "rage": 4.0,
    "focus": 5.0,
    "runic_power": 5.0,
}


def specs_for_role(role: str) -> tuple[Spec, ...]:
    """Every spec that plays ``role`` (tank, healer or dps)."""
    return tuple(s for s in SPECS if s.role == role)


def find_spec(player_class: str, spec: str) -> Spec:
    """The spec named ``spec`` of ``player_class``; KeyError when the game has no such spec."""
    for s in SPECS:
        if s.player_class == player_class and s.spec == spec:
            return s
    raise KeyError(f"{player_class} has no spec {spec!r}")
