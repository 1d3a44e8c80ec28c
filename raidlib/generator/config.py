"""Knobs of one simulated raid, and the boss health that makes a nominal team kill on time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from raidlib.generator.roster import Player
from raidlib.schemas.events import DIFFICULTIES
from raidlib.settings import DEFAULT_ENRAGE_TIMER_MS

ROLE_CODE = {"tank": 0, "healer": 1, "dps": 2}
# (mean, sd) of one hit before crits and skill, by role code; healers heal instead of hitting.
HIT_MEAN_SD = np.array([[4_500.0, 1_200.0], [0.0, 1.0], [9_000.0, 2_500.0]])
CRIT_MULTIPLIER_RANGE = (2.0, 2.3)  # uniform, rounded to 0.01: the base 200 % plus talents


@dataclass
class RaidConfig:
    """Knobs of one raid. Rates are per player (or per boss) and scale the event volume."""

    n_players: int = 20
    difficulty: str = "heroic"
    boss_name: str = "Ragnaros"
    boss_id: str | None = None  # None: "boss-<name>"
    boss_max_hp: float | None = None  # None: a skill-1.0 team kills at kill_fraction of enrage
    enrage_timer_ms: int = DEFAULT_ENRAGE_TIMER_MS
    skill: float = 1.0  # scales damage and healing; low skill also means more deaths
    phase_thresholds: tuple[float, ...] = (70.0, 40.0)
    kill_fraction: float = 0.8
    actions_per_second: float = 2.5  # hits (tanks, dps) or heals (healers) per player
    casts_per_second: float = 0.5
    regen_interval_ms: int = 2_000
    boss_melee_interval_ms: int = 1_500
    raid_wide_interval_ms: int = 20_000
    boss_targeted_per_second: float = 0.5
    deaths_per_player_minute: float = 0.02  # at skill 1.0, heroic
    crit_chance: float = 0.25

    def __post_init__(self) -> None:
        if self.difficulty not in DIFFICULTIES:
            raise ValueError(f"difficulty must be one of {DIFFICULTIES}, not {self.difficulty!r}")
        if self.skill <= 0:
            raise ValueError("skill must be > 0")
        if self.enrage_timer_ms < 1 or self.n_players < 1:
            raise ValueError("enrage_timer_ms and n_players must be >= 1")
        if not all(0 < t < 100 for t in self.phase_thresholds):
            raise ValueError("phase thresholds are health percentages strictly between 0 and 100")

    @property
    def resolved_boss_id(self) -> str:
        return self.boss_id or "boss-" + "-".join(self.boss_name.lower().split())


def _mean_crit_factor(crit_chance: float) -> float:
    return 1.0 + crit_chance * (sum(CRIT_MULTIPLIER_RANGE) / 2 - 1.0)


def default_boss_max_hp(team: list[Player], config: RaidConfig) -> float:
    """Boss HP such that ``team`` at nominal skill 1.0 (nobody dying) kills it at
    ``kill_fraction`` of the enrage timer: a weaker raid wipes, a stronger one kills sooner."""
    roles = np.array([ROLE_CODE[p.player_role] for p in team])
    per_ms = config.actions_per_second / 1000 * HIT_MEAN_SD[roles, 0].sum()
    return (
        per_ms
        * _mean_crit_factor(config.crit_chance)
        * config.enrage_timer_ms
        * config.kill_fraction
    )
