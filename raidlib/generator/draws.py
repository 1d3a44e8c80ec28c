"""Random draws the simulation's event families share: when things happen, how big they are,
which hits crit."""

from __future__ import annotations

import numpy as np

from raidlib.generator.config import CRIT_MULTIPLIER_RANGE


def poisson_times(
    rng: np.random.Generator, rate_ms: float, horizon: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson process of ``rate_ms`` events/ms on [0, horizon) for each of ``n`` players:
    (player index, time) per event, unsorted."""
    counts = rng.poisson(rate_ms * horizon, size=n)
    owner = np.repeat(np.arange(n), counts)
    return owner, rng.integers(0, horizon, size=len(owner))


def normal_amounts(
    rng: np.random.Generator, mean_sd: tuple[float, float], n: int, scale: float | np.ndarray = 1.0
) -> np.ndarray:
    """Positive whole-number amounts ~ Normal(mean, sd) × scale."""
    return np.maximum(np.rint(rng.normal(mean_sd[0], mean_sd[1], n) * scale), 1.0)


def crits(rng: np.random.Generator, n: int, chance: float) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``n`` hits crit, and each hit's multiplier (1.0 when it does not)."""
    crit = rng.random(n) < chance
    mult = np.where(crit, np.round(rng.uniform(*CRIT_MULTIPLIER_RANGE, n), 2), 1.0)
    return crit, mult
