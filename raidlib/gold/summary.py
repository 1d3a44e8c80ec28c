"""Small, human-sized views of gold for artifacts and terminal output (pandas, host side)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from raidlib.backend import to_pandas


def raid_outcomes(fact_raid_summary: Any) -> pd.DataFrame:
    """One row per raid: outcome, duration, players, deaths, raid DPS/HPS, boss min HP."""
    s = to_pandas(fact_raid_summary)
    out = pd.DataFrame(
        {
            "raid_id": s["raid_id"],
            "event_date": s["event_date"],
            "outcome": s["raid_outcome"],
            "duration_s": (s["duration_ms"] / 1000).round(1),
            "players": s["n_players"],
            "deaths": s["total_player_deaths"],
            "raid_dps": s["raid_dps"].round(0),
            "raid_hps": s["raid_hps"].round(0),
            "boss_min_hp_pct": s["boss_min_hp_pct"].round(1),
        }
    )
    return out.sort_values(["event_date", "raid_id"]).reset_index(drop=True)


def top_players(fact_player_raid_stats: Any, metric: str = "dps", n: int = 3) -> pd.DataFrame:
    """The ``n`` best players of each raid by ``metric`` (``dps`` or ``hps``), ties by name."""
    s = to_pandas(fact_player_raid_stats)
    s = s[s[metric] > 0]
    ranked = s.sort_values(["raid_id", metric, "player_name"], ascending=[True, False, True])
    top = ranked.groupby("raid_id", sort=True).head(n)
    cols = ["raid_id", "player_name", "player_class", "player_role", metric, "player_deaths"]
    out = top[cols].copy()
    out[metric] = out[metric].round(0)
    return out.reset_index(drop=True)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-friendly rows for Prefect table artifacts."""
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
