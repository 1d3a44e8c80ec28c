"""What the boss does in a simulated raid: melee on the tanks, raid-wide pulses, targeted
abilities, and the killing blow behind each death. Each function adds one family of events to
the simulation's frame (see :class:`~raidlib.generator.simulation.RaidSimulation`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from raidlib.generator.config import ROLE_CODE
from raidlib.generator.draws import normal_amounts
from raidlib.generator.frame import Order
from raidlib.generator.specs import BOSS_BERSERK, BOSS_MELEE, BOSS_RAID_WIDE, BOSS_TARGETED
from raidlib.generator.team_tables import ability_codes, ability_fields

if TYPE_CHECKING:
    from raidlib.generator.simulation import RaidSimulation

_BOSS_MELEE_HIT = (30_000.0, 5_000.0)
_BOSS_RAID_WIDE_HIT = (18_000.0, 2_500.0)
_BOSS_TARGETED_HIT = (26_000.0, 6_000.0)
_KILLING_BLOW = (60_000.0, 10_000.0)
_TANK_SWAP_MS = 30_000
_BOSS_CAST_MS = 2_000
"""A raid-wide pulse's cast time."""


def boss_melee(sim: RaidSimulation) -> None:
    """Melee swings on the active tank (tanks swap every 30 s); with the tank dead, on anyone."""
    tb, rng = sim.tb, sim.rng
    interval = sim.config.boss_melee_interval_ms
    t = np.arange(interval, sim.enrage, interval)
    t = t + rng.integers(-min(200, interval // 2), min(200, interval // 2) + 1, size=len(t))
    tanks = np.flatnonzero(tb.role == ROLE_CODE["tank"])
    fallback = rng.integers(0, tb.n, size=len(t))
    target = tanks[(t // _TANK_SWAP_MS) % len(tanks)] if len(tanks) else fallback
    target = np.where(sim.alive(target, t), target, fallback)
    keep = sim.alive(target, t)
    t, target = t[keep], target[keep]
    blocked = (tb.role[target] == ROLE_CODE["tank"]) & (rng.random(len(t)) < 0.3)
    damage = normal_amounts(rng, _BOSS_MELEE_HIT, len(t), sim.danger)
    damage = np.maximum(np.rint(damage * np.where(blocked, 0.7, 1.0)), 1.0)
    sim.fb.add(
        t,
        Order.HIT,
        event_type="combat_damage",
        **sim.common,
        **sim.boss_src,
        **ability_fields(BOSS_MELEE),
        damage_amount=damage,
        is_blocked=blocked,
        is_absorbed=rng.random(len(t)) < 0.1,
        **tb.target(target),
    )


def boss_raid_wide(sim: RaidSimulation) -> None:
    """Raid-wide pulses: a 2 s cast, then a hit on every living player."""
    tb, rng = sim.tb, sim.rng
    interval = sim.config.raid_wide_interval_ms
    pulses = np.arange(interval, sim.enrage, interval)
    pulses = pulses + rng.integers(-1_000, 1_000, size=len(pulses))
    pulses = pulses[pulses >= _BOSS_CAST_MS]
    casts = pulses - _BOSS_CAST_MS
    casts = casts[casts < sim.end_t]
    sim.fb.add(
        casts,
        Order.CAST,
        event_type="spell_cast",
        **sim.common,
        **sim.boss_src,
        **ability_fields(BOSS_RAID_WIDE),
    )
    t = np.repeat(pulses, tb.n)
    target = np.tile(np.arange(tb.n), len(pulses))
    keep = sim.alive(target, t)
    t, target = t[keep], target[keep]
    _boss_hits(
        sim, t, _boss_ability_on(sim, ability_fields(BOSS_RAID_WIDE), target), _BOSS_RAID_WIDE_HIT
    )


def boss_targeted(sim: RaidSimulation) -> None:
    """Instant targeted abilities on random living players: a cast and its hit, same ms."""
    tb, rng = sim.tb, sim.rng
    count = rng.poisson(sim.config.boss_targeted_per_second / 1000 * sim.enrage)
    t = rng.integers(0, sim.enrage, size=count)
    target = rng.integers(0, tb.n, size=count)
    which = rng.integers(0, len(BOSS_TARGETED), size=count)
    keep = sim.alive(target, t)
    t, target = t[keep], target[keep]
    ability = ability_codes(sim.fb, BOSS_TARGETED, which[keep])
    on_them = _boss_ability_on(sim, ability, target)
    sim.fb.add(t, Order.CAST, event_type="spell_cast", **on_them)
    _boss_hits(sim, t, on_them, _BOSS_TARGETED_HIT)


def killing_blows(sim: RaidSimulation) -> None:
    """Each death: the boss's killing blow (health 0 after), then ``player_death``, same ms.

    After a kill only deaths before the killing blow count; in a wipe every death does, the
    last one ending the encounter.
    """
    rng = sim.rng
    if sim.killed:
        dead = np.flatnonzero(sim.death_t < sim.end_t)
    else:
        dead = np.flatnonzero(sim.death_t <= sim.end_t)
    t = sim.death_t[dead]
    which = rng.integers(0, len(BOSS_TARGETED), size=len(t))
    which = np.where(sim.berserk & (t >= sim.enrage), len(BOSS_TARGETED), which)
    ability = ability_codes(sim.fb, (*BOSS_TARGETED, BOSS_BERSERK), which)
    on_them = _boss_ability_on(sim, ability, dead)
    sim.fb.add(
        t,
        Order.HIT,
        event_type="combat_damage",
        **on_them,
        damage_amount=normal_amounts(rng, _KILLING_BLOW, len(t), sim.danger),
        target_entity_health_pct_before=np.round(rng.uniform(5.0, 40.0, len(t)), 1),
        target_entity_health_pct_after=0.0,
    )
    sim.fb.add(t, Order.DEATH, event_type="player_death", **on_them)


def _boss_ability_on(
    sim: RaidSimulation, ability: Mapping[str, object], players: np.ndarray
) -> dict[str, object]:
    """The columns a boss ability's cast, hit and death share: raid, boss, ability, target."""
    return {**sim.common, **sim.boss_src, **ability, **sim.tb.target(players)}


def _boss_hits(
    sim: RaidSimulation, t: np.ndarray, on_them: dict[str, object], amount: tuple[float, float]
) -> None:
    """A boss ability's hits at ``t``: damage drawn around ``amount`` (mean, sd) scaled by the
    difficulty, one in ten partly absorbed."""
    sim.fb.add(
        t,
        Order.HIT,
        event_type="combat_damage",
        **on_them,
        damage_amount=normal_amounts(sim.rng, amount, len(t), sim.danger),
        is_absorbed=sim.rng.random(len(t)) < 0.1,
    )
