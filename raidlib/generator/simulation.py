"""The raid simulation: every event family of one raid drawn as numpy arrays.

Players hit the boss, the boss hits back, healers heal. The boss health is a cumsum over the
time-sorted player damage, and ``searchsorted`` finds the kill and the phase thresholds. The raid
ends at the killing blow, or (a wipe) when everyone is dead: either before the enrage timer or by
the boss's Berserk right after it.
"""

from __future__ import annotations

import numpy as np

from raidlib.generator.boss_actions import boss_melee, boss_raid_wide, boss_targeted, killing_blows
from raidlib.generator.config import (
    HIT_MEAN_SD,
    ROLE_CODE,
    RaidConfig,
    default_boss_max_hp,
)
from raidlib.generator.draws import crits, normal_amounts, poisson_times
from raidlib.generator.frame import FrameBuilder, Order
from raidlib.generator.roster import Player
from raidlib.generator.specs import (
    BOSS_BERSERK,
)
from raidlib.generator.team_tables import TeamTables, ability_fields

SOURCE_SYSTEM = "raidlib-generator"
NEVER = np.iinfo(np.int64).max // 4

_HEAL = (11_000.0, 3_000.0)
# Boss hits (mean, sd) and how hard the difficulty makes them (and how often players die).
_DIFFICULTY_SCALE = {"lfr": 0.5, "normal": 0.75, "heroic": 1.0, "mythic": 1.5}
_BERSERK_WIPE_MS = (200, 5_000)


class RaidSimulation:
    """One raid's simulation state; each method, and each function of
    :mod:`raidlib.generator.boss_actions`, adds one family of events to ``fb``."""

    def __init__(
        self, raid_id: str, team: list[Player], config: RaidConfig, rng: np.random.Generator
    ) -> None:
        self.fb = FrameBuilder()
        self.tb = TeamTables(self.fb, team, config)
        self.config = config
        self.rng = rng
        self.enrage = int(config.enrage_timer_ms)
        self.hp = config.boss_max_hp or default_boss_max_hp(team, config)
        self.danger = _DIFFICULTY_SCALE[config.difficulty]
        boss_id = config.resolved_boss_id
        self.common = {
            "raid_id": raid_id,
            "encounter_id": f"{raid_id}-{boss_id}",
            "difficulty": config.difficulty,
            "source_system": SOURCE_SYSTEM,
        }
        self.boss_src = {"source_player_id": boss_id, "source_player_name": config.boss_name}
        self.boss_tgt = {
            "target_entity_id": boss_id,
            "target_entity_name": config.boss_name,
            "target_entity_type": "boss",
        }
        self.death_t = np.full(self.tb.n, NEVER, dtype=np.int64)
        self.end_t = NEVER
        self.killed = False
        self.berserk = False

    def alive(self, who: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Whether player ``who`` is still alive at ``when`` and the raid still running."""
        return (when < self.death_t[who]) & (when < self.end_t)

    def simulate(self) -> None:
        tb, rng, config = self.tb, self.rng, self.config
        # Deaths before the enrage: exponential waiting times, likelier for the unskilled and on
        # harder difficulties, rarer for tanks.
        hazard = config.deaths_per_player_minute / 60_000 * self.danger / tb.skill**2
        hazard = hazard * np.where(tb.role == ROLE_CODE["tank"], 0.5, 1.0)
        death_t = np.floor(rng.exponential(1.0 / hazard)).astype(np.int64)
        self.death_t = np.where(death_t >= self.enrage, NEVER, death_t)

        # Player actions, each until the player's death; healers heal, everyone else hits the boss.
        owner, t = poisson_times(rng, config.actions_per_second / 1000, self.enrage, tb.n)
        keep = t < self.death_t[owner]
        owner, t = owner[keep], t[keep]
        hitting = tb.role[owner] != ROLE_CODE["healer"]
        order = np.argsort(t[hitting], kind="stable")
        self._player_hits(owner[hitting][order], t[hitting][order])
        self._heals(owner[~hitting], t[~hitting])
        self._player_casts()
        boss_melee(self)
        boss_raid_wide(self)
        boss_targeted(self)
        killing_blows(self)
        self._regeneration()

    def _player_hits(self, owner: np.ndarray, t: np.ndarray) -> None:
        """Damage on the boss; its cumulative sum drives the boss health, the kill and the phases.

        Also settles how the raid ends (``end_t``, ``killed``, ``berserk``), which every later
        event family respects.
        """
        tb, rng = self.tb, self.rng
        m = len(t)
        role = tb.role[owner]
        base = rng.normal(HIT_MEAN_SD[role, 0], HIT_MEAN_SD[role, 1]) * tb.skill[owner]
        base = np.maximum(np.rint(base), 1.0)
        crit, mult = crits(rng, m, self.config.crit_chance)
        damage = base * mult
        ability = tb.pick(rng, owner, heal=False)
        cum = np.cumsum(damage)
        kill_idx = int(np.searchsorted(cum, self.hp, side="left"))
        self.killed = kill_idx < m
        if self.killed:
            self.end_t = int(t[kill_idx])
            n_hits = kill_idx + 1
        else:
            n_hits = m
            standing = self.death_t == NEVER
            if standing.any():  # the enrage: Berserk kills whoever is left within seconds
                self.berserk = True
                wipe = self.enrage + rng.integers(*_BERSERK_WIPE_MS, size=int(standing.sum()))
                self.death_t[standing] = wipe
            # np.max, not .max(): mypy rejects .max() on a shape-typed array under NumPy 2.5's
            # stubs (numpy/numpy#32282), which Python 3.12+ installs.
            self.end_t = int(np.max(self.death_t))

        s = slice(0, n_hits)
        pct_before = np.clip(100.0 * (1.0 - (cum[s] - damage[s]) / self.hp), 0.0, 100.0)
        pct_after = np.clip(100.0 * (1.0 - cum[s] / self.hp), 0.0, 100.0)
        self.fb.add(
            t[s],
            Order.HIT,
            event_type="combat_damage",
            **self.common,
            **tb.source(owner[s]),
            **tb.ability(ability[s]),
            damage_amount=damage[s],
            is_critical_hit=crit[s],
            critical_multiplier=mult[s],
            **self.boss_tgt,
            target_entity_health_pct_before=pct_before,
            target_entity_health_pct_after=pct_after,
        )
        self._phases(t[s], cum[s], pct_after)

    def _phases(self, t: np.ndarray, cum: np.ndarray, pct_after: np.ndarray) -> None:
        """The pull (Phase 1), each threshold crossed before the end, Berserk at the enrage."""
        self.fb.add(
            np.array([0]),
            Order.PULL,
            event_type="boss_phase",
            **self.common,
            **self.boss_src,
            **self.boss_tgt,
            ability_id="phase-1",
            ability_name="Phase 1",
            target_entity_health_pct_before=100.0,
            target_entity_health_pct_after=100.0,
        )
        times: list[int] = []
        pct: list[float] = []
        names: list[str] = []
        ids: list[str] = []
        for k, threshold in enumerate(sorted(self.config.phase_thresholds, reverse=True)):
            idx = int(np.searchsorted(cum, self.hp * (1.0 - threshold / 100.0), side="left"))
            # A phase change in the killing blow's millisecond would sort after it: skip it.
            if idx < len(t) and t[idx] < self.end_t:
                times.append(int(t[idx]))
                pct.append(float(pct_after[idx]))
                names.append(f"Phase {k + 2}")
                ids.append(f"phase-{k + 2}")
        pct_arr = np.array(pct)
        self.fb.add(
            np.array(times, dtype=np.int64),
            Order.PHASE,
            event_type="boss_phase",
            **self.common,
            **self.boss_src,
            **self.boss_tgt,
            ability_id=self.fb.codes(ids),
            ability_name=self.fb.codes(names),
            target_entity_health_pct_before=pct_arr,
            target_entity_health_pct_after=pct_arr,
        )
        if self.berserk:
            left = float(pct_after[-1]) if len(pct_after) else 100.0
            self.fb.add(
                np.array([self.enrage]),
                Order.PHASE,
                event_type="boss_phase",
                **self.common,
                **self.boss_src,
                **self.boss_tgt,
                **ability_fields(BOSS_BERSERK),
                target_entity_health_pct_before=left,
                target_entity_health_pct_after=left,
            )

    def _heals(self, owner: np.ndarray, t: np.ndarray) -> None:
        """Heals on living players, tanks three times as often as anyone else."""
        tb, rng = self.tb, self.rng
        weights = np.where(tb.role == ROLE_CODE["tank"], 3.0, 1.0)
        target = rng.choice(tb.n, size=len(t), p=weights / weights.sum())
        keep = self.alive(owner, t) & self.alive(target, t)
        owner, t, target = owner[keep], t[keep], target[keep]
        crit, mult = crits(rng, len(t), self.config.crit_chance)
        amount = normal_amounts(rng, _HEAL, len(t), tb.skill[owner]) * mult
        self.fb.add(
            t,
            Order.HIT,
            event_type="heal",
            **self.common,
            **tb.source(owner),
            **tb.ability(tb.pick(rng, owner, heal=True)),
            healing_amount=amount,
            is_critical_hit=crit,
            critical_multiplier=mult,
            **tb.target(target),
        )

    def _player_casts(self) -> None:
        """Spell casts: damage dealers at the boss, healers at a random living player."""
        tb, rng, fb = self.tb, self.rng, self.fb
        owner, t = poisson_times(rng, self.config.casts_per_second / 1000, self.enrage, tb.n)
        healer = tb.role[owner] == ROLE_CODE["healer"]
        target = rng.integers(0, tb.n, size=len(t))
        keep = self.alive(owner, t) & (~healer | self.alive(target, t))
        owner, t, healer, target = owner[keep], t[keep], healer[keep], target[keep]
        ability = np.where(healer, tb.pick(rng, owner, heal=True), tb.pick(rng, owner, heal=False))
        fb.add(
            t,
            Order.CAST,
            event_type="spell_cast",
            **self.common,
            **tb.source(owner),
            **tb.ability(ability),
            target_entity_id=np.where(
                healer, tb.pid[target], fb.code(self.boss_tgt["target_entity_id"])
            ),
            target_entity_name=np.where(healer, tb.name[target], fb.code(self.config.boss_name)),
            target_entity_type=np.where(healer, fb.code("player"), fb.code("boss")),
        )

    def _regeneration(self) -> None:
        """A resource tick per living player every ``regen_interval_ms`` (mana, energy, rage …)."""
        tb, rng = self.tb, self.rng
        interval = int(self.config.regen_interval_ms)
        ticks = np.arange(interval, self.enrage, interval)
        offset = rng.integers(0, interval, size=tb.n)
        t = (ticks[None, :] + offset[:, None]).ravel()
        owner = np.repeat(np.arange(tb.n), len(ticks))
        keep = self.alive(owner, t)
        t, owner = t[keep], owner[keep]
        cap = tb.resource_max[owner]
        rate = tb.resource_rate[owner]
        before = np.round(rng.uniform(0.05, 0.95, len(t)) * cap, 1)
        self.fb.add(
            t,
            Order.CAST,
            event_type="mana_regeneration",
            **self.common,
            **tb.source(owner),
            resource_type=tb.resource[owner],
            resource_amount_before=before,
            resource_amount_after=np.minimum(before + rate * interval / 1000, cap),
            resource_regeneration_rate=rate,
        )
