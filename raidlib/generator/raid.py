"""Generate raids: one raid's event frame, several raids over consecutive days, a summary."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from raidlib.generator.config import RaidConfig
from raidlib.generator.roster import Roster
from raidlib.generator.simulation import RaidSimulation
from raidlib.schemas.events import RAID_ID_PATTERN

__all__ = ["RaidConfig", "generate_raid", "generate_raids", "summarize_raids"]


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
    string drawn from ``seed``, ``raid_id`` and ``start``, so the same arguments give an
    identical frame and another night from the same seed gets other ids. The team is
    ``roster`` (a role-balanced subset when it is larger than ``config.n_players``) or, without a
    roster, fresh players drawn from ``seed``. The last row carries ``encounter_success``: a
    killing blow (boss health after = 0, ``True``) or the last player death of a wipe (``False``).
    """
    if not re.fullmatch(RAID_ID_PATTERN, raid_id):
        raise ValueError(f"raid_id {raid_id!r} does not match {RAID_ID_PATTERN}")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    config = config or RaidConfig()
    rng = np.random.default_rng(seed)
    if roster is None:
        roster = Roster.create(config.n_players, int(rng.integers(0, 2**62)), name="pug")
    team = roster.pick_team(config.n_players, rng)
    raid = RaidSimulation(raid_id, team, config, rng)
    raid.simulate()
    n = len(raid.fb)
    client = np.rint(rng.lognormal(np.log(40.0), 0.5, n)).astype(np.int64)
    server = rng.integers(1, 25, n)
    return raid.fb.build(
        start=start,
        rng=_event_id_rng(seed, raid_id, start),
        last_event_success=raid.killed,
        latency_ms=(client, server),
    )


def _event_id_rng(seed: int, raid_id: str, start: datetime) -> np.random.Generator:
    """The event ids' own stream, keyed by seed, raid id and start.

    Another night (or raid id) from the same seed replays the same fight but must not reuse its
    event ids: ids are meant to be unique across the lake, not only within a silver partition.
    """
    start_us = round(start.timestamp() * 1_000_000)
    key = [seed % 2**64, zlib.crc32(raid_id.encode()), start_us % 2**64]
    return np.random.default_rng(key)


RAID_NIGHT_START_UTC = (19, 30)
"""When a simulated raid night starts by default (hour, minute UTC)."""


def default_first_raid_start(raids: int, now: datetime | None = None) -> datetime:
    """19:30 UTC ``raids`` days before today: one raid a night, the last one yesterday.

    One rule for ``raidlib generate``, ``raidlib send`` and the ``ingest`` flow, so their raids
    fall on the same evenings. Every event lies in the past (a raid lasts minutes), so the
    receiver's clock-skew check never rejects one.
    """
    hour, minute = RAID_NIGHT_START_UTC
    today = (now or datetime.now(UTC)).astimezone(UTC)
    evening = today.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return evening - timedelta(days=raids)


def dated_raid_prefix(start: datetime) -> str:
    """``raid<YYYYMMDD>-``: raid ids named after the first raid's UTC date.

    Simulations started on different days (a daily ``ingest``, ``raidlib send`` today after the
    demo) then never reuse a raid id: a lake would otherwise merge unrelated nights into one
    raid, with a duration of days and twice the players.
    """
    day = start.astimezone(UTC) if start.tzinfo else start
    return f"raid{day:%Y%m%d}-"


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
