"""Simulate raids as numpy arrays: players hit the boss, the boss hits back, healers heal.

One raid is a fixed team against one boss. Every event family is drawn as whole arrays; the boss
health is a cumsum over the time-sorted player damage, and ``searchsorted`` finds the kill and the
phase thresholds. The raid ends at the killing blow, or (a wipe) when everyone is dead: either
before the enrage timer or by the boss's Berserk right after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from raidlib.generator.frame import FrameBuilder
from raidlib.generator.roster import Player, Roster
from raidlib.generator.specs import (
    BOSS_BERSERK,
    BOSS_MELEE,
    BOSS_RAID_WIDE,
    BOSS_TARGETED,
    DAMAGE_ABILITIES,
    HEAL_ABILITIES,
    RESOURCE_MAX,
    RESOURCE_REGEN_PER_S,
    Ability,
)
from raidlib.schemas.events import DIFFICULTIES, RAID_ID_PATTERN

SOURCE_SYSTEM = "raidlib-generator"
NEVER = np.iinfo(np.int64).max // 4
ROLE_CODE = {"tank": 0, "healer": 1, "dps": 2}

# (mean, sd) of one hit before crits and skill, by role code; healers heal instead of hitting.
_HIT = np.array([[4_500.0, 1_200.0], [0.0, 1.0], [9_000.0, 2_500.0]])
_HEAL = (11_000.0, 3_000.0)
_CRIT_MULTIPLIER = (2.0, 2.3)  # uniform, rounded to 0.01: the base 200 % plus talents
# Boss hits (mean, sd) and how hard the difficulty makes them (and how often players die).
_BOSS_MELEE_HIT = (30_000.0, 5_000.0)
_BOSS_RAID_WIDE_HIT = (18_000.0, 2_500.0)
_BOSS_TARGETED_HIT = (26_000.0, 6_000.0)
_KILLING_BLOW = (60_000.0, 10_000.0)
_DIFFICULTY_SCALE = {"lfr": 0.5, "normal": 0.75, "heroic": 1.0, "mythic": 1.5}
_TANK_SWAP_MS = 30_000
_BOSS_CAST_MS = 2_000
_BERSERK_WIPE_MS = (200, 5_000)

# Same-millisecond order: a cast before its hit, a hit before the phase change or death it causes.
_P_PULL, _P_CAST, _P_HIT, _P_PHASE, _P_DEATH = -1, 0, 1, 2, 3


@dataclass
class RaidConfig:
    """Knobs of one raid. Rates are per player (or per boss) and scale the event volume."""

    n_players: int = 20
    difficulty: str = "heroic"
    boss_name: str = "Ragnaros"
    boss_id: str | None = None  # None: "boss-<name>"
    boss_max_hp: float | None = None  # None: a skill-1.0 team kills at kill_fraction of enrage
    enrage_timer_ms: int = 360_000
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
    return 1.0 + crit_chance * (sum(_CRIT_MULTIPLIER) / 2 - 1.0)


def default_boss_max_hp(team: list[Player], config: RaidConfig) -> float:
    """Boss HP such that ``team`` at nominal skill 1.0 (nobody dying) kills it at
    ``kill_fraction`` of the enrage timer: a weaker raid wipes, a stronger one kills sooner."""
    roles = np.array([ROLE_CODE[p.player_role] for p in team])
    per_ms = config.actions_per_second / 1000 * _HIT[roles, 0].sum()
    return (
        per_ms
        * _mean_crit_factor(config.crit_chance)
        * config.enrage_timer_ms
        * config.kill_fraction
    )


class _Tables:
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
        off, cnt = (self.heal_off, self.heal_cnt) if heal else (self.dmg_off, self.dmg_cnt)
        return off[owner] + (rng.random(len(owner)) * cnt[owner]).astype(np.int64)


def _poisson_times(
    rng: np.random.Generator, rate_ms: float, horizon: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson process of ``rate_ms`` events/ms on [0, horizon) for each of ``n`` players:
    (player index, time) per event, unsorted."""
    counts = rng.poisson(rate_ms * horizon, size=n)
    owner = np.repeat(np.arange(n), counts)
    return owner, rng.integers(0, horizon, size=len(owner))


def _normal(
    rng: np.random.Generator, mean_sd: tuple[float, float], n: int, scale: float | np.ndarray = 1.0
) -> np.ndarray:
    """Positive whole-number amounts ~ Normal(mean, sd) × scale."""
    return np.maximum(np.rint(rng.normal(mean_sd[0], mean_sd[1], n) * scale), 1.0)


def _crits(rng: np.random.Generator, n: int, chance: float) -> tuple[np.ndarray, np.ndarray]:
    crit = rng.random(n) < chance
    mult = np.where(crit, np.round(rng.uniform(*_CRIT_MULTIPLIER, n), 2), 1.0)
    return crit, mult


def generate_raid(
    raid_id: str,
    *,
    seed: int,
    start: datetime,
    roster: Roster | None = None,
    config: RaidConfig | None = None,
) -> pd.DataFrame:
    """One raid's events, one row per event, every wire field as a column, ordered by time.

    ``timestamp`` is tz-aware UTC (``start`` + ms since the pull); ``event_id`` is a uuid4-format
    string drawn from ``seed``, so the same arguments give an identical frame. The team is
    ``roster`` (a role-balanced subset when it is larger than ``config.n_players``) or, without a
    roster, fresh players drawn from ``seed``. The last row carries ``encounter_success``: a
    killing blow (boss health after = 0, ``True``) or the last player death of a wipe (``False``).
    """
    if not re.match(RAID_ID_PATTERN, raid_id):
        raise ValueError(f"raid_id {raid_id!r} does not match {RAID_ID_PATTERN}")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    config = config or RaidConfig()
    rng = np.random.default_rng(seed)
    if roster is None:
        roster = Roster.create(config.n_players, int(rng.integers(0, 2**62)), name="pug")
    team = roster.pick_team(config.n_players, rng)
    raid = _Raid(raid_id, team, config, rng)
    raid.simulate()
    n = len(raid.fb)
    client = np.rint(rng.lognormal(np.log(40.0), 0.5, n)).astype(np.int64)
    server = rng.integers(1, 25, n)
    return raid.fb.build(
        start=start, rng=rng, last_event_success=raid.killed, latency_ms=(client, server)
    )


class _Raid:
    """One raid's simulation state; each method adds one family of events to ``fb``."""

    def __init__(
        self, raid_id: str, team: list[Player], config: RaidConfig, rng: np.random.Generator
    ) -> None:
        self.fb = FrameBuilder()
        self.tb = _Tables(self.fb, team, config)
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
        owner, t = _poisson_times(rng, config.actions_per_second / 1000, self.enrage, tb.n)
        keep = t < self.death_t[owner]
        owner, t = owner[keep], t[keep]
        hitting = tb.role[owner] != ROLE_CODE["healer"]
        order = np.argsort(t[hitting], kind="stable")
        self._player_hits(owner[hitting][order], t[hitting][order])
        self._heals(owner[~hitting], t[~hitting])
        self._player_casts()
        self._boss_melee()
        self._boss_raid_wide()
        self._boss_targeted()
        self._deaths()
        self._regeneration()

    def _player_hits(self, owner: np.ndarray, t: np.ndarray) -> None:
        """Damage on the boss; its cumulative sum drives the boss health, the kill and the phases.

        Also settles how the raid ends (``end_t``, ``killed``, ``berserk``), which every later
        event family respects.
        """
        tb, rng = self.tb, self.rng
        m = len(t)
        role = tb.role[owner]
        base = rng.normal(_HIT[role, 0], _HIT[role, 1]) * tb.skill[owner]
        base = np.maximum(np.rint(base), 1.0)
        crit, mult = _crits(rng, m, self.config.crit_chance)
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
            self.end_t = int(self.death_t.max())

        s = slice(0, n_hits)
        pct_before = np.clip(100.0 * (1.0 - (cum[s] - damage[s]) / self.hp), 0.0, 100.0)
        pct_after = np.clip(100.0 * (1.0 - cum[s] / self.hp), 0.0, 100.0)
        self.fb.add(
            t[s],
            _P_HIT,
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
            _P_PULL,
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
            _P_PHASE,
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
                _P_PHASE,
                event_type="boss_phase",
                **self.common,
                **self.boss_src,
                **self.boss_tgt,
                **_ability(BOSS_BERSERK),
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
        crit, mult = _crits(rng, len(t), self.config.crit_chance)
        amount = _normal(rng, _HEAL, len(t), tb.skill[owner]) * mult
        self.fb.add(
            t,
            _P_HIT,
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
        owner, t = _poisson_times(rng, self.config.casts_per_second / 1000, self.enrage, tb.n)
        healer = tb.role[owner] == ROLE_CODE["healer"]
        target = rng.integers(0, tb.n, size=len(t))
        keep = self.alive(owner, t) & (~healer | self.alive(target, t))
        owner, t, healer, target = owner[keep], t[keep], healer[keep], target[keep]
        ability = np.where(healer, tb.pick(rng, owner, heal=True), tb.pick(rng, owner, heal=False))
        fb.add(
            t,
            _P_CAST,
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

    def _boss_melee(self) -> None:
        """Melee swings on the active tank (tanks swap every 30 s); with the tank dead, on anyone."""
        tb, rng = self.tb, self.rng
        interval = self.config.boss_melee_interval_ms
        t = np.arange(interval, self.enrage, interval)
        t = t + rng.integers(-min(200, interval // 2), min(200, interval // 2) + 1, size=len(t))
        tanks = np.flatnonzero(tb.role == ROLE_CODE["tank"])
        fallback = rng.integers(0, tb.n, size=len(t))
        target = tanks[(t // _TANK_SWAP_MS) % len(tanks)] if len(tanks) else fallback
        target = np.where(self.alive(target, t), target, fallback)
        keep = self.alive(target, t)
        t, target = t[keep], target[keep]
        blocked = (tb.role[target] == ROLE_CODE["tank"]) & (rng.random(len(t)) < 0.3)
        damage = _normal(rng, _BOSS_MELEE_HIT, len(t), self.danger)
        damage = np.maximum(np.rint(damage * np.where(blocked, 0.7, 1.0)), 1.0)
        self.fb.add(
            t,
            _P_HIT,
            event_type="combat_damage",
            **self.common,
            **self.boss_src,
            **_ability(BOSS_MELEE),
            damage_amount=damage,
            is_blocked=blocked,
            is_absorbed=rng.random(len(t)) < 0.1,
            **tb.target(target),
        )

    def _boss_raid_wide(self) -> None:
        """Raid-wide pulses: a 2 s cast, then a hit on every living player."""
        tb, rng = self.tb, self.rng
        interval = self.config.raid_wide_interval_ms
        pulses = np.arange(interval, self.enrage, interval)
        pulses = pulses + rng.integers(-1_000, 1_000, size=len(pulses))
        pulses = pulses[pulses >= _BOSS_CAST_MS]
        casts = pulses - _BOSS_CAST_MS
        casts = casts[casts < self.end_t]
        self.fb.add(
            casts,
            _P_CAST,
            event_type="spell_cast",
            **self.common,
            **self.boss_src,
            **_ability(BOSS_RAID_WIDE),
        )
        t = np.repeat(pulses, tb.n)
        target = np.tile(np.arange(tb.n), len(pulses))
        keep = self.alive(target, t)
        t, target = t[keep], target[keep]
        self.fb.add(
            t,
            _P_HIT,
            event_type="combat_damage",
            **self.common,
            **self.boss_src,
            **_ability(BOSS_RAID_WIDE),
            damage_amount=_normal(rng, _BOSS_RAID_WIDE_HIT, len(t), self.danger),
            is_absorbed=rng.random(len(t)) < 0.1,
            **tb.target(target),
        )

    def _boss_targeted(self) -> None:
        """Instant targeted abilities on random living players: a cast and its hit, same ms."""
        tb, rng = self.tb, self.rng
        count = rng.poisson(self.config.boss_targeted_per_second / 1000 * self.enrage)
        t = rng.integers(0, self.enrage, size=count)
        target = rng.integers(0, tb.n, size=count)
        which = rng.integers(0, len(BOSS_TARGETED), size=count)
        keep = self.alive(target, t)
        t, target = t[keep], target[keep]
        ability = _ability_codes(self.fb, BOSS_TARGETED, which[keep])
        self.fb.add(
            t,
            _P_CAST,
            event_type="spell_cast",
            **self.common,
            **self.boss_src,
            **ability,
            **tb.target(target),
        )
        self.fb.add(
            t,
            _P_HIT,
            event_type="combat_damage",
            **self.common,
            **self.boss_src,
            **ability,
            damage_amount=_normal(rng, _BOSS_TARGETED_HIT, len(t), self.danger),
            is_absorbed=rng.random(len(t)) < 0.1,
            **tb.target(target),
        )

    def _deaths(self) -> None:
        """Each death: the boss's killing blow (health 0 after), then ``player_death``, same ms.

        After a kill only deaths before the killing blow count; in a wipe every death does, the
        last one ending the encounter.
        """
        tb, rng = self.tb, self.rng
        if self.killed:
            dead = np.flatnonzero(self.death_t < self.end_t)
        else:
            dead = np.flatnonzero(self.death_t <= self.end_t)
        t = self.death_t[dead]
        which = rng.integers(0, len(BOSS_TARGETED), size=len(t))
        which = np.where(self.berserk & (t >= self.enrage), len(BOSS_TARGETED), which)
        ability = _ability_codes(self.fb, (*BOSS_TARGETED, BOSS_BERSERK), which)
        self.fb.add(
            t,
            _P_HIT,
            event_type="combat_damage",
            **self.common,
            **self.boss_src,
            **ability,
            damage_amount=_normal(rng, _KILLING_BLOW, len(t), self.danger),
            **tb.target(dead),
            target_entity_health_pct_before=np.round(rng.uniform(5.0, 40.0, len(t)), 1),
            target_entity_health_pct_after=0.0,
        )
        self.fb.add(
            t,
            _P_DEATH,
            event_type="player_death",
            **self.common,
            **self.boss_src,
            **ability,
            **tb.target(dead),
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
            _P_CAST,
            event_type="mana_regeneration",
            **self.common,
            **tb.source(owner),
            resource_type=tb.resource[owner],
            resource_amount_before=before,
            resource_amount_after=np.minimum(before + rate * interval / 1000, cap),
            resource_regeneration_rate=rate,
        )


def _ability(a: Ability) -> dict[str, str]:
    return {"ability_id": a.ability_id, "ability_name": a.name, "ability_school": a.school}


def _ability_codes(
    fb: FrameBuilder, table: tuple[Ability, ...], which: np.ndarray
) -> dict[str, np.ndarray]:
    return {
        "ability_id": fb.codes([a.ability_id for a in table])[which],
        "ability_name": fb.codes([a.name for a in table])[which],
        "ability_school": fb.codes([a.school for a in table])[which],
    }


def generate_raids(
    n_raids: int,
    *,
    seed: int,
    start: datetime,
    roster: Roster | None = None,
    pug: bool = False,
    config: RaidConfig | None = None,
    raid_prefix: str = "raid",
) -> pd.DataFrame:
    """``n_raids`` raids on consecutive days from ``start``, ids ``<prefix>001``, ``<prefix>002`` …

    A guild (``pug=False``) keeps the same players raid after raid: ``roster``, or one created
    from ``seed``. ``pug=True`` draws fresh players for every raid. Each raid gets its own seed
    spawned from ``seed``, so the frame is reproducible as a whole.
    """
    if pug and roster is not None:
        raise ValueError("a PUG draws fresh players: pass either pug=True or a roster, not both")
    config = config or RaidConfig()
    if roster is None and not pug:
        roster = Roster.create(config.n_players, seed)
    seeds = np.random.SeedSequence(seed).generate_state(max(n_raids, 1), dtype=np.uint64)
    frames = []
    for i in range(n_raids):
        raid_seed = int(seeds[i])
        team = (
            Roster.create(
                config.n_players, raid_seed ^ 0x5EED, name=f"pug-{i + 1}", skill_mean=0.95
            )
            if pug
            else roster
        )
        frames.append(
            generate_raid(
                f"{raid_prefix}{i + 1:03d}",
                seed=raid_seed,
                start=start + timedelta(days=i),
                roster=team,
                config=config,
            )
        )
    if not frames:
        return generate_raid("empty", seed=seed, start=start, config=config).iloc[0:0]
    return pd.concat(frames, ignore_index=True)


def summarize_raids(df: pd.DataFrame) -> pd.DataFrame:
    """One row per raid: raid_id, events, outcome (kill/wipe), duration_ms, boss_min_hp_pct, deaths."""
    boss = df["target_entity_type"] == "boss"
    g = df.groupby("raid_id", sort=True)
    out = pd.DataFrame(
        {
            "events": g.size(),
            "duration_ms": g["encounter_duration_ms"].max() - g["encounter_duration_ms"].min(),
            "boss_min_hp_pct": df[boss].groupby("raid_id")["target_entity_health_pct_after"].min(),
            "deaths": (df["event_type"] == "player_death").groupby(df["raid_id"]).sum(),
            "success": df["encounter_success"]
            .fillna(False)
            .astype(bool)
            .groupby(df["raid_id"])
            .any(),
        }
    )
    out["boss_min_hp_pct"] = out["boss_min_hp_pct"].fillna(100.0)
    out["outcome"] = np.where(out["success"] | (out["boss_min_hp_pct"] <= 0), "kill", "wipe")
    return out.drop(columns="success").reset_index()
