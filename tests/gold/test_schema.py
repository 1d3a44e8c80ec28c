"""Declared gold schemas and the comparison helper."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from raidlib.gold import GOLD_SCHEMAS, build_gold
from raidlib.gold.compare import assert_frames_equivalent
from raidlib.gold.schema import conform, frame_dtypes
from raidlib.lake.layout import GOLD_TABLES, gold_partition


def test_one_schema_per_gold_table() -> None:
    assert set(GOLD_SCHEMAS) == set(GOLD_TABLES)


@pytest.mark.parametrize(
    ("name", "partitions", "keys"),
    [
        ("dim_player", (), ("player_id",)),
        ("dim_raid", ("raid_id",), ("raid_id",)),
        ("fact_raid_summary", ("raid_id", "event_date"), ("raid_id",)),
        ("fact_player_raid_stats", ("raid_id", "event_date"), ("raid_id", "player_id")),
    ],
)
def test_partitions_and_keys_follow_the_layout(name, partitions, keys) -> None:
    table = GOLD_SCHEMAS[name]
    assert table.partition_columns == partitions
    assert table.keys == keys
    assert set(partitions) <= set(table.columns)
    assert not set(partitions) & set(table.file_schema.names)
    assert table.file_schema.names == [c for c in table.columns if c not in partitions]
    # The Hive path the lake layer builds from these partition values.
    values = {"raid_id": "r1", "event_date": "2026-03-01"}
    args = [values[p] for p in partitions]
    assert gold_partition(name, *args) == "/".join(
        [name, *(f"{p}={values[p]}" for p in partitions)]
    )


def test_column_order_and_types_are_exact() -> None:
    assert GOLD_SCHEMAS["fact_raid_summary"].columns == (
        "raid_id", "event_date", "duration_ms", "total_damage", "total_healing",
        "total_player_deaths", "n_players", "n_tanks", "n_healers", "n_dps", "raid_dps",
        "raid_hps", "boss_min_hp_pct", "raid_outcome",
    )  # fmt: skip
    assert GOLD_SCHEMAS["dim_player"].columns == (
        "player_id", "player_name", "player_class", "player_role", "first_seen_date",
        "last_seen_date", "total_raids",
    )  # fmt: skip
    assert GOLD_SCHEMAS["dim_raid"].columns == (
        "raid_id", "event_date", "boss_name", "difficulty", "raid_size", "duration_target_ms",
    )  # fmt: skip
    stats = GOLD_SCHEMAS["fact_player_raid_stats"].schema
    assert stats.field("player_deaths").type == pa.int64()
    assert stats.field("crit_rate").type == pa.float64()
    assert stats.field("event_date").type == pa.string()


def test_builders_return_declared_dtypes_even_when_empty(silver_factory) -> None:
    silver = silver_factory(
        [
            {
                "timestamp": "2026-03-01T20:00:00",
                "raid_id": "r1",
                "event_type": "spell_cast",
                "source_player_id": "x",
                "source_player_name": "X",
            }
        ]
    )
    for frame_set in (build_gold(silver), build_gold(silver.iloc[:0])):
        for name, frame in frame_set.as_dict().items():
            table = GOLD_SCHEMAS[name]
            assert tuple(frame.columns) == table.columns
            assert {c: str(t) for c, t in frame.dtypes.items()} == frame_dtypes(table)


def test_conform_rejects_nulls_in_non_nullable_columns() -> None:
    frame = pd.DataFrame(
        {
            "player_id": ["a"],
            "player_name": ["A"],
            "player_class": [None],
            "player_role": [None],
            "first_seen_date": ["d"],
            "last_seen_date": ["d"],
            "total_raids": [1],
        }
    )
    with pytest.raises(ValueError, match="player_role"):
        conform(frame, GOLD_SCHEMAS["dim_player"])


def test_assert_frames_equivalent_ignores_order_and_dtypes() -> None:
    a = pd.DataFrame({"k": ["x", "y"], "n": [1, 2], "f": [0.1 + 0.2, 1.0], "s": ["p", None]})
    b = pd.DataFrame(
        {
            "k": pd.Series(["y", "x"], dtype=object),
            "n": pd.Series([2, 1], dtype="Int32"),
            "f": [1.0, 0.3],
            "s": pd.Series([None, "p"], dtype="string[pyarrow]"),
        }
    )
    assert_frames_equivalent(a, b, keys=["k"])
    with pytest.raises(AssertionError, match="'f'"):
        assert_frames_equivalent(a, b.assign(f=[1.0, 0.31]), keys=["k"])
    with pytest.raises(AssertionError, match="'s'"):
        assert_frames_equivalent(a, b.assign(s=["q", "p"]), keys=["k"])
    with pytest.raises(AssertionError, match="row counts"):
        assert_frames_equivalent(a, b.iloc[:1], keys=["k"])
    with pytest.raises(AssertionError, match="columns"):
        assert_frames_equivalent(a, b[["k", "f", "n", "s"]], keys=["k"])
    assert_frames_equivalent(a, b[["k", "f", "n", "s"]], keys=["k"], check_column_order=False)
