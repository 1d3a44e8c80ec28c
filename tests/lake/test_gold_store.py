"""Writing a raid's gold partitions: the build replaces them whole, other raids untouched."""

from __future__ import annotations

import pyarrow as pa

from raidlib.backend import pandas_backend
from raidlib.gold.schema import GOLD_SCHEMAS
from raidlib.lake.gold_store import read_gold_table, write_gold_table_for_raids
from raidlib.lake.listing import list_partitions

SUMMARY = GOLD_SCHEMAS["fact_raid_summary"]


def _zero(kind: pa.DataType) -> object:
    return "" if pa.types.is_string(kind) else False if pa.types.is_boolean(kind) else 0


def summary_rows(*rows: tuple[str, str]):
    """fact_raid_summary rows: raid_id and event_date (what placement reads), zeros elsewhere."""
    zeros = {f.name: _zero(f.type) for f in SUMMARY.schema if not f.nullable}
    records = [{**zeros, "raid_id": raid, "event_date": day} for raid, day in rows]
    return pa.Table.from_pylist(records, schema=SUMMARY.schema).to_pandas()


def partitions(lake) -> list[tuple[str, str]]:
    found = list_partitions(lake, "gold", SUMMARY.name, SUMMARY.partition_columns)
    return [(p["raid_id"], p["event_date"]) for p in found]


def test_a_rebuilt_raid_loses_the_partitions_its_new_build_lacks(lake):
    first = summary_rows(("raid001", "2026-11-24"), ("raid002", "2026-11-24"))
    write_gold_table_for_raids(lake, SUMMARY.name, first, ["raid001", "raid002"])
    # a late event moved raid001's first event to the day before: its row moves with it
    write_gold_table_for_raids(
        lake, SUMMARY.name, summary_rows(("raid001", "2026-11-23")), ["raid001"]
    )
    assert partitions(lake) == [("raid001", "2026-11-23"), ("raid002", "2026-11-24")]
    table = read_gold_table(lake, SUMMARY.name, pandas_backend("test"))
    assert sorted(zip(table["raid_id"], table["event_date"].astype(str), strict=True)) == [
        ("raid001", "2026-11-23"),
        ("raid002", "2026-11-24"),
    ]


def test_many_raids_rebuilt_at_once_keep_exactly_their_new_partitions(lake):
    raids = [f"raid{i:03d}" for i in range(12)]  # past the per-raid listings: one table listing
    write_gold_table_for_raids(
        lake, SUMMARY.name, summary_rows(*[(r, "2026-11-24") for r in raids]), raids
    )
    moved = summary_rows(*[(r, "2026-11-23") for r in raids[:10]])
    write_gold_table_for_raids(lake, SUMMARY.name, moved, raids[:10])
    expected = [(r, "2026-11-23") for r in raids[:10]] + [(r, "2026-11-24") for r in raids[10:]]
    assert partitions(lake) == sorted(expected)
