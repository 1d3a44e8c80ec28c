"""One raid team's lookups for the simulation: per-player vocabulary codes and numbers, and the
abilities each player draws from, so that an event family is a few fancy-indexing steps."""

from __future__ import annotations

import numpy as np

from raidlib.generator.config import ROLE_CODE, RaidConfig
from raidlib.generator.frame import FrameBuilder
from raidlib.generator.roster import Player
from raidlib.generator.specs import (
    DAMAGE_ABILITIES,
    HEAL_ABILITIES,
    RESOURCE_MAX,
    RESOURCE_REGEN_PER_S,
    Ability,
)


class TeamTables:
    """Per-player lookups (vocabulary codes and numbers) for one raid's team."""

    def __init__(self, fb: FrameBuilder, team: list[Player], config: RaidConfig) -> None:
        self.n = len(team)
        self.pid = fb.codes([p.player_id for p in team])
        self.name = fb.codes([p.player_name for p in team])
        self.role_name = fb.codes([p.player_role for p in team])
        self.cls = fb.codes([p.player_class for p in team])
        self.level = np.array([p.player_level for p in team], dtype=np.int64)
        self.role = np.array([ROLE_CODE[p.player_role] for p in team])
        self.skill = np.array([p.skill for p in team]) * config.skill
        self.resource = fb.codes([p.spec.resource for p in team])
        self.resource_max = np.array([RESOURCE_MAX[p.spec.resource] for p in team])
        self.resource_rate = np.array([RESOURCE_REGEN_PER_S[p.spec.resource] for p in team])
        # Each player's abilities: a slice [offset, offset + count) of one flat table.
        flat: list[Ability] = []
        self.dmg_off, self.dmg_cnt, self.heal_off, self.heal_cnt = (
            np.zeros(self.n, int) for _ in range(4)
        )
        for i, p in enumerate(team):
            dmg, heal = DAMAGE_ABILITIES[p.player_class], HEAL_ABILITIES.get(p.player_class, ())
            self.dmg_off[i], self.dmg_cnt[i] = len(flat), len(dmg)
            flat.extend(dmg)
            self.heal_off[i], self.heal_cnt[i] = len(flat), len(heal)
            flat.extend(heal)
        self.ab_id = fb.codes([a.ability_id for a in flat])
        self.ab_name = fb.codes([a.name for a in flat])
        self.ab_school = fb.codes([a.school for a in flat])

    def source(self, owner: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "source_player_id": self.pid[owner],
            "source_player_name": self.name[owner],
            "source_player_role": self.role_name[owner],
            "source_player_class": self.cls[owner],
            "source_player_level": self.level[owner],
        }

    def target(self, who: np.ndarray) -> dict[str, object]:
        return {
            "target_entity_id": self.pid[who],
            "target_entity_name": self.name[who],
            "target_entity_type": "player",
        }

    def ability(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "ability_id": self.ab_id[idx],
            "ability_name": self.ab_name[idx],
            "ability_school": self.ab_school[idx],
        }

    def pick(self, rng: np.random.Generator, owner: np.ndarray, heal: bool) -> np.ndarray:
        """A random damage (or heal) ability of each ``owner``, as an index of the flat table."""
        off, cnt = (self.heal_off, self.heal_cnt) if heal else (self.dmg_off, self.dmg_cnt)
        return off[owner] + (rng.random(len(owner)) * cnt[owner]).astype(np.int64)


def ability_fields(a: Ability) -> dict[str, str]:
    """One ability's wire fields, for an event family that always uses it."""
    return {"ability_id": a.ability_id, "ability_name": a.name, "ability_school": a.school}


def ability_codes(
    fb: FrameBuilder, table: tuple[Ability, ...], which: np.ndarray
) -> dict[str, np.ndarray]:
    """The wire fields of ``table[which[i]]`` for each event ``i``, as vocabulary codes."""
    return {
        "ability_id": fb.codes([a.ability_id for a in table])[which],
        "ability_name": fb.codes([a.name for a in table])[which],
        "ability_school": fb.codes([a.school for a in table])[which],
    }
