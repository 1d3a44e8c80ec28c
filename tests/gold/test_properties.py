"""Hypothesis properties: gold totals equal silver sums, order independence, idempotence.

Amounts are multiples of 1/4, so float sums are exact whatever the summation order and the
shuffled builds can be compared for identity, not just closeness.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from raidlib.gold import GOLD_SCHEMAS, build_dim_player, build_gold, merge_player_raid_stats
from raidlib.gold.schema import frame_dtypes
from raidlib.schemas.events import EVENT_TYPES

from .conftest import make_silver

PLAYERS = [
    ("P1", "Ayla", "tank", "warrior"),
    ("P2", "Bren", "healer", "priest"),
    ("P3", "Cato", "dps", "mage"),
    ("P4", "Dara", "dps", None),
]
NON_PLAYERS = [("B1", "Ragnaros"), ("A1", "Core Hound")]
START = datetime(2026, 3, 1, 23, 0, 0)  # raids often cross midnight

# Each example builds gold several times (~30 ms of fixed pandas overhead per build), so these
# run fewer examples than the suite profile unless it asks for fewer still (or "thorough").
_FEW = settings(max_examples=min(settings.default.max_examples, 40))
_FEWER = settings(max_examples=min(settings.default.max_examples, 20))
_FEWEST = settings(max_examples=min(settings.default.max_examples, 10))  # up to 5 builds each
if settings.default.max_examples >= 500:
    _FEW = _FEWER = _FEWEST = settings(max_examples=settings.default.max_examples)

amounts = st.integers(1, 40_000).map(lambda n: n / 4)


@st.composite
def event(draw: Any) -> dict[str, Any]:
    etype = draw(st.sampled_from(EVENT_TYPES))
    if draw(st.integers(0, 3)) == 0:
        pid, name = draw(st.sampled_from(NON_PLAYERS))
        actor = {"source_player_id": pid, "source_player_name": name}
    else:
        pid, name, role, cls = draw(st.sampled_from(PLAYERS))
        renamed = draw(st.sampled_from([name, name + "x"]))
        actor = {
            "source_player_id": pid,
            "source_player_name": renamed,
            "source_player_role": draw(st.sampled_from([role, role, None])),
            "source_player_class": cls,
        }
    target_kind = draw(st.sampled_from(["none", "boss", "player", "add", "untyped"]))
    target: dict[str, Any] = {}
    if target_kind == "boss":
        target = {
            "target_entity_id": "B1",
            "target_entity_name": "Ragnaros",
            "target_entity_type": "boss",
        }
        target["target_entity_health_pct_after"] = draw(st.sampled_from([None, 0.0, 12.5, 100.0]))
    elif target_kind in ("player", "untyped"):
        pid, name, _, _ = draw(st.sampled_from([*PLAYERS, ("P9", "Zed", None, None)]))
        target = {"target_entity_id": pid, "target_entity_name": name}
        if target_kind == "player":
            target["target_entity_type"] = "player"
    elif target_kind == "add":
        target = {
            "target_entity_id": "A1",
            "target_entity_name": "Core Hound",
            "target_entity_type": "add",
        }
    if etype == "player_death" and "target_entity_id" not in target:
        target = {
            "target_entity_id": "P3",
            "target_entity_name": "Cato",
            "target_entity_type": "player",
        }
    row = {
        "raid_id": draw(st.sampled_from(["ra", "rb", "rc"])),
        "event_type": etype,
        "timestamp": START + timedelta(milliseconds=draw(st.integers(0, 7_200_000))),
        "is_critical_hit": draw(st.booleans()),
        "difficulty": draw(st.sampled_from([None, None, "heroic", "mythic"])),
        "encounter_success": draw(st.sampled_from([None] * 12 + [True, False])),
        **actor,
        **target,
    }
    if etype == "combat_damage":
        row["damage_amount"] = draw(amounts)
    elif etype == "heal":
        row["healing_amount"] = draw(amounts)
    elif etype == "mana_regeneration":
        row["resource_type"] = "mana"
    return row


silver_frames = st.lists(event(), min_size=1, max_size=60).map(make_silver)


def oracle(silver: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per-raid sums computed row by row in plain Python, straight from CONTRACT §4."""
    rows = silver.astype(object).where(silver.notna(), None).to_dict("records")
    players: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["source_player_role"] is not None:
            players[r["raid_id"]].add(r["source_player_id"])
        is_death = r["event_type"] == "player_death"
        if r["target_entity_type"] == "player" or (is_death and r["target_entity_type"] is None):
            players[r["raid_id"]].add(r["target_entity_id"])
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        mine = players[r["raid_id"]]
        acc = out[r["raid_id"]]
        acc["n_players"] = len(mine)
        if r["event_type"] == "combat_damage" and r["source_player_id"] in mine:
            acc["damage"] += r["damage_amount"]
        if r["event_type"] == "heal":  # Σ heal (§4), whoever healed
            acc["healing"] += r["healing_amount"]
            if r["source_player_id"] in mine:
                acc["player_healing"] += r["healing_amount"]
        if r["event_type"] == "player_death" and r["target_entity_type"] in ("player", None):
            acc["deaths"] += 1
    return out


@_FEW
@given(silver_frames)
def test_gold_totals_equal_silver_sums(silver: pd.DataFrame) -> None:
    gold = build_gold(silver)
    expected = oracle(silver)
    summary = gold.fact_raid_summary.set_index("raid_id")
    stats = gold.fact_player_raid_stats
    assert sorted(summary.index) == sorted(expected)
    for raid_id, want in expected.items():
        mine = stats[stats["raid_id"] == raid_id]
        row = summary.loc[raid_id]
        assert row["total_damage"] == want["damage"] == mine["damage_total"].sum()
        assert row["total_healing"] == want["healing"]
        assert want["player_healing"] == mine["healing_total"].sum()
        assert row["total_player_deaths"] == want["deaths"] == mine["player_deaths"].sum()
        assert row["n_players"] == want["n_players"] == len(mine)
        assert row["n_players"] >= row["n_tanks"] + row["n_healers"] + row["n_dps"]
        for share, total in (
            ("damage_share", row["total_damage"]),
            ("healing_share", want["player_healing"]),  # shares of the players' healing
        ):
            expected_sum = 1.0 if total > 0 else 0.0
            assert math.isclose(mine[share].sum(), expected_sum, rel_tol=1e-9, abs_tol=1e-12)
        assert ((mine["crit_rate"] >= 0) & (mine["crit_rate"] <= 1)).all()
        assert row["raid_outcome"] in ("success", "wipe")
    assert not stats["player_id"].isin(["B1", "A1"]).any()  # never counted as players
    for name, frame in gold.as_dict().items():
        table = GOLD_SCHEMAS[name]
        assert tuple(frame.columns) == table.columns
        assert {c: str(t) for c, t in frame.dtypes.items()} == frame_dtypes(table)
        assert frame[list(table.keys)].duplicated().sum() == 0


@_FEWER
@given(silver_frames, st.randoms(use_true_random=False))
def test_output_does_not_depend_on_row_order(silver: pd.DataFrame, rnd: Any) -> None:
    order = list(range(len(silver)))
    rnd.shuffle(order)
    shuffled = silver.iloc[order]
    a, b = build_gold(silver), build_gold(shuffled)
    for name in a.as_dict():
        pd.testing.assert_frame_equal(a.as_dict()[name], b.as_dict()[name], check_exact=True)


@_FEWEST
@given(silver_frames)
def test_incremental_dim_player_equals_one_shot_and_is_idempotent(silver: pd.DataFrame) -> None:
    one_shot = build_gold(silver)
    dim, stats = None, None
    for raid_id in sorted(set(silver["raid_id"]), reverse=True):
        g = build_gold(silver[silver["raid_id"] == raid_id], dim, stats)
        dim, stats = g.dim_player, merge_player_raid_stats(stats, g.fact_player_raid_stats)
    pd.testing.assert_frame_equal(stats, one_shot.fact_player_raid_stats, check_exact=True)
    pd.testing.assert_frame_equal(dim, one_shot.dim_player, check_exact=True)
    # Re-processing every raid again changes nothing.
    again = build_gold(silver, dim, stats)
    pd.testing.assert_frame_equal(again.dim_player, dim, check_exact=True)
    pd.testing.assert_frame_equal(build_dim_player(dim, stats), dim, check_exact=True)
