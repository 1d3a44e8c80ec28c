"""Writing a raid's gold partitions: the build replaces them whole, other raids untouched."""

from __future__ import annotations

import pyarrow as pa

from raidlib.backend import pandas_backend
from raidlib.gold.pipeline import build_gold_for_raids
from raidlib.gold.schema import GOLD_SCHEMAS
from raidlib.lake.gold_inputs import record_fingerprint
from raidlib.lake.gold_store import (
    raids_needing_gold,
    read_gold_table,
    write_gold_table_for_raids,
)
from raidlib.lake.listing import list_partitions
from raidlib.silver.pipeline import process_new_bronze

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


def _raids_read(lake) -> list[tuple[str, str]]:
    table = read_gold_table(lake, SUMMARY.name, pandas_backend("test"))
    return sorted(zip(table["raid_id"], table["event_date"].astype(str), strict=True))


def test_a_read_while_a_raid_moves_date_sees_it_once_not_twice(lake, monkeypatch):
    """Between writing a raid's new partition and deleting its old one, a reader listed both
    and returned the raid twice; it now waits for the build to finish the move."""
    import threading

    import raidlib.lake.gold_store as gold_store

    write_gold_table_for_raids(
        lake, SUMMARY.name, summary_rows(("raid001", "2026-11-24")), ["raid001"]
    )
    reads: list[list[tuple[str, str]]] = []
    delete = gold_store.delete_partition

    def slow_delete(*args):
        reader = threading.Thread(target=lambda: reads.append(_raids_read(lake)))
        reader.start()  # reads while both partitions exist
        threading.Event().wait(0.3)
        delete(*args)
        reader.join(10)

    monkeypatch.setattr(gold_store, "delete_partition", slow_delete)
    write_gold_table_for_raids(
        lake, SUMMARY.name, summary_rows(("raid001", "2026-11-23")), ["raid001"]
    )
    assert reads == [[("raid001", "2026-11-23")]]


def two_raids_on_the_24th(lake) -> None:
    rows = summary_rows(("raid001", "2026-11-24"), ("raid002", "2026-11-24"))
    write_gold_table_for_raids(lake, SUMMARY.name, rows, ["raid001", "raid002"])


def test_a_read_that_loses_a_partition_to_a_move_reads_the_table_again(lake, monkeypatch):
    """A reader that listed a raid's old partition, which a build then moved, re-listed only the
    old (now empty) folder and silently returned the table without that raid."""
    import raidlib.lake.gold_store as gold_store

    two_raids_on_the_24th(lake)
    listing = gold_store.list_partition_files
    moved: list[bool] = []

    def list_then_move(*args, **kwargs):
        listed = listing(*args, **kwargs)
        if not moved:  # the build runs between the reader's listing and its reads
            moved.append(True)
            write_gold_table_for_raids(
                lake, SUMMARY.name, summary_rows(("raid001", "2026-11-23")), ["raid001"]
            )
        return listed

    monkeypatch.setattr(gold_store, "list_partition_files", list_then_move)
    assert _raids_read(lake) == [("raid001", "2026-11-23"), ("raid002", "2026-11-24")]


def test_a_build_stopped_between_write_and_removal_is_an_error_not_a_doubled_raid(
    lake, monkeypatch
):
    import pytest

    import raidlib.lake.gold_store as gold_store

    write_gold_table_for_raids(
        lake, SUMMARY.name, summary_rows(("raid001", "2026-11-24")), ["raid001"]
    )
    monkeypatch.setattr(gold_store, "delete_partition", lambda *args: None)  # the build stopped
    write_gold_table_for_raids(
        lake, SUMMARY.name, summary_rows(("raid001", "2026-11-23")), ["raid001"]
    )
    monkeypatch.setattr(gold_store, "GOLD_READ_PAUSES_S", (0.01, 0.01))
    with pytest.raises(
        gold_store.GoldReadError,
        match=r"raid\(s\) raid001 with a key in two partitions.*silver_to_gold",
    ):
        _raids_read(lake)


ENCOUNTERS = GOLD_SCHEMAS["fact_encounter_summary"]


def pull_rows(*pulls: tuple[str, str]):
    zeros = {f.name: _zero(f.type) for f in ENCOUNTERS.schema if not f.nullable}
    records = [
        {**zeros, "raid_id": "raid001", "encounter_id": e, "event_date": d} for e, d in pulls
    ]
    return pa.Table.from_pylist(records, schema=ENCOUNTERS.schema).to_pandas()


def test_a_pull_moving_between_two_dates_that_both_stay_is_not_lost(lake, monkeypatch):
    """Review: the raid's two partitions both survive the build (rewritten in place), so only
    the files' versions show that the reader saw one date before the build, one after it."""
    import raidlib.lake.parquet as parquet

    first = pull_rows(("p1", "2026-11-23"), ("p2", "2026-11-24"), ("p3", "2026-11-24"))
    write_gold_table_for_raids(lake, ENCOUNTERS.name, first, ["raid001"])
    read_partition = parquet.read_partition_table
    built: list[bool] = []

    def build_between_the_two_reads(lake_, layer, partition, *args, **kwargs):
        if "2026-11-24" in partition and not built:
            built.append(True)  # p2 moves to the 23rd, which this reader has already read
            moved = pull_rows(("p1", "2026-11-23"), ("p2", "2026-11-23"), ("p3", "2026-11-24"))
            write_gold_table_for_raids(lake, ENCOUNTERS.name, moved, ["raid001"])
        return read_partition(lake_, layer, partition, *args, **kwargs)

    monkeypatch.setattr(parquet, "read_partition_table", build_between_the_two_reads)
    table = read_gold_table(lake, ENCOUNTERS.name, pandas_backend("test"))
    assert built and sorted(zip(table["encounter_id"], table["event_date"], strict=True)) == [
        ("p1", "2026-11-23"), ("p2", "2026-11-23"), ("p3", "2026-11-24")
    ]  # fmt: skip


def test_other_raids_being_rewritten_do_not_hold_up_a_read(lake, monkeypatch):
    """Only the raids that changed are read again: a build rewriting raid002 on every listing
    (a long gold run) leaves raid001's rows as read, and the read still settles."""
    import raidlib.lake.gold_store as gold_store

    two_raids_on_the_24th(lake)
    listing = gold_store.list_partition_files
    listings: list[int] = []

    def rewrite_raid002_a_few_times(*args, **kwargs):
        listings.append(1)
        if len(listings) <= 3:
            write_gold_table_for_raids(
                lake, SUMMARY.name, summary_rows(("raid002", "2026-11-24")), ["raid002"]
            )
        return listing(*args, **kwargs)

    monkeypatch.setattr(gold_store, "list_partition_files", rewrite_raid002_a_few_times)
    assert _raids_read(lake) == [("raid001", "2026-11-24"), ("raid002", "2026-11-24")]
    assert len(listings) == 4  # settled once raid002 held still


def _incremental_gold_run(lake, backend) -> list[str]:
    """What ``silver_to_gold`` does without ``--rebuild``: build the raids whose silver changed,
    then record what they were built from. Returns the raids it built."""
    needing = list(raids_needing_gold(lake))
    built = build_gold_for_raids(lake, backend, needing)
    for raid, fingerprint in built.fingerprints.items():
        record_fingerprint(lake, raid, fingerprint)
    return needing


def test_late_events_for_a_built_raid_make_its_gold_rebuild_with_the_new_totals(
    lake, factory, backend
):
    """Gold must follow silver: events arriving after a raid's gold was built make the next
    incremental run rebuild that raid, not keep the old totals."""
    factory.write_batch(lake, [factory.make_event(n) for n in range(3)], batch_id="b1")
    process_new_bronze(lake, backend)
    assert _incremental_gold_run(lake, backend) == ["raid001"]
    assert _incremental_gold_run(lake, backend) == []  # nothing changed: nothing to build

    factory.write_batch(lake, [factory.make_event(n) for n in range(3, 5)], batch_id="b2")
    process_new_bronze(lake, backend)
    assert list(raids_needing_gold(lake)) == ["raid001"]
    assert _incremental_gold_run(lake, backend) == ["raid001"]
    summary = read_gold_table(lake, "fact_raid_summary", backend)
    assert summary["total_damage"].tolist() == [100.0 + 101 + 102 + 103 + 104]
