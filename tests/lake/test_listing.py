"""Partition listings: one recursive listing finds exactly what the folder-by-folder walk found."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from raidlib.lake import Lake, layout
from raidlib.lake.gold_inputs import record_fingerprint, recorded_fingerprint
from raidlib.lake.gold_store import raids_needing_gold, silver_fingerprint, silver_fingerprints
from raidlib.lake.listing import list_partition_files, list_partitions
from raidlib.lake.parquet import PART_FILE, write_partition_table

KEYS = ("raid_id", "event_date")
EMPTY = pa.schema([("n", pa.int64())]).empty_table()


def _touch(path: Path, data: bytes = b"x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _tricky_silver(lake: Lake) -> Path:
    """Three real partitions (raid001 ×2 days, raid0010) among everything a reader must skip."""
    for raid, day in [
        ("raid001", "2026-11-23"),
        ("raid001", "2026-11-24"),
        ("raid0010", "2026-11-23"),
    ]:
        write_partition_table(lake, "silver", layout.silver_partition(raid, day), EMPTY)
    root = Path(lake.silver_root)
    data = root / layout.DATASET
    day = data / "raid_id=raid001" / "event_date=2026-11-23"
    _touch(day / f".tmp-deadbeef-{PART_FILE}")  # a killed writer's temporary, beside the file
    _touch(day / "_SUCCESS")
    _touch(day / "_common_metadata.parquet")
    _touch(day / "notes.txt")
    _touch(day / "sub" / PART_FILE)  # deeper than a partition
    _touch(data / "raid_id=raid002" / "event_date=2026-11-23" / f".tmp-cafe-{PART_FILE}")
    (data / "raid_id=raid003" / "event_date=2026-11-23").mkdir(parents=True)  # empty folder
    _touch(data / "raid_id=raid004" / PART_FILE)  # a file at the raid level
    _touch(data / "raidid=raid005" / "event_date=2026-11-23" / PART_FILE)  # not the key
    _touch(data / "raid_id=raid006" / "day=2026-11-23" / PART_FILE)  # not the second key
    _touch(data / "_state" / "x" / PART_FILE)  # state kept inside the dataset folder
    _touch(root / "_state" / "processed_bronze_batches" / "b1.json")  # beside the dataset
    _touch(root / "_quarantine" / layout.silver_partition("raid007", "2026-11-23") / PART_FILE)
    return data


def test_listing_skips_what_readers_skip(lake: Lake) -> None:
    data = _tricky_silver(lake)
    assert list_partitions(lake, "silver", layout.DATASET, KEYS) == [
        {"raid_id": "raid001", "event_date": "2026-11-23"},
        {"raid_id": "raid001", "event_date": "2026-11-24"},
        {"raid_id": "raid0010", "event_date": "2026-11-23"},
    ]
    listed = list_partition_files(lake, "silver", layout.DATASET, KEYS)
    assert {k: [f.path for f in v] for k, v in listed.items()} == {
        ("raid001", "2026-11-23"): [f"{data}/raid_id=raid001/event_date=2026-11-23/{PART_FILE}"],
        ("raid001", "2026-11-24"): [f"{data}/raid_id=raid001/event_date=2026-11-24/{PART_FILE}"],
        ("raid0010", "2026-11-23"): [f"{data}/raid_id=raid0010/event_date=2026-11-23/{PART_FILE}"],
    }
    stat = os.stat(listed[("raid0010", "2026-11-23")][0].path)
    assert listed[("raid0010", "2026-11-23")][0].size == stat.st_size
    assert listed[("raid0010", "2026-11-23")][0].version == stat.st_mtime


def test_raid_filter_lists_that_raid_only(lake: Lake) -> None:
    _tricky_silver(lake)
    assert list_partitions(lake, "silver", layout.DATASET, KEYS, raid_id="raid001") == [
        {"raid_id": "raid001", "event_date": "2026-11-23"},
        {"raid_id": "raid001", "event_date": "2026-11-24"},
    ]
    for raid in ("raid002", "raid003", "raid004", "raid009"):  # temp only, empty, flat, absent
        assert list_partitions(lake, "silver", layout.DATASET, KEYS, raid_id=raid) == []
    pinned = list_partitions(lake, "silver", layout.DATASET, KEYS, event_date="2026-11-24")
    assert pinned == [{"raid_id": "raid001", "event_date": "2026-11-24"}]
    assert list_partitions(lake, "silver", "no/such/dataset", KEYS) == []


def test_fingerprints_keep_the_recorded_format(lake: Lake) -> None:
    """``size:mtime`` of each file, as ``fs.info`` gave it: state recorded before still matches."""
    _tricky_silver(lake)
    fs = lake.fs("silver")
    part = f"{layout.silver_partition('raid001', '2026-11-23')}/{PART_FILE}"
    info = fs.info(lake.path("silver", part))
    fingerprint = silver_fingerprint(lake, "raid001")
    assert fingerprint[part] == f"{info['size']}:{info['mtime']}"
    assert len(fingerprint) == 2
    assert silver_fingerprints(lake) == {
        "raid001": fingerprint,
        "raid0010": silver_fingerprint(lake, "raid0010"),
    }
    assert silver_fingerprints(lake, ["raid001", "raid009"])["raid009"] == {}


def test_raids_needing_gold_from_one_listing(lake: Lake) -> None:
    _tricky_silver(lake)
    assert recorded_fingerprint(lake, "raid001") is None
    assert list(raids_needing_gold(lake)) == ["raid001", "raid0010"]
    record_fingerprint(lake, "raid001", silver_fingerprint(lake, "raid001"))
    assert list(raids_needing_gold(lake)) == ["raid0010"]
    assert raids_needing_gold(lake, ["raid001"]) == {}
    assert raids_needing_gold(lake, ["raid009", "raid001"]) == {"raid009": 0}
    many = [f"raid{i:03d}" for i in range(20)]  # more than are listed one by one
    assert list(raids_needing_gold(lake, many)) == [r for r in many if r != "raid001"]


def test_gold_built_under_other_rules_is_rebuilt_once(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gold an older raidlib built was never rebuilt after an upgrade that changed the gold
    rules: the lake kept old numbers (total_healing 500 vs 7,500) raid by raid (upgrade audit)."""
    import json

    import raidlib.lake.gold_inputs as gold_inputs

    _tricky_silver(lake)
    state = Path(lake.gold_root) / "_state" / "gold_inputs"
    state.mkdir(parents=True)
    # what raidlib wrote before the rules had a version: the fingerprint alone
    old = silver_fingerprint(lake, "raid001")
    (state / "raid001.json").write_text(json.dumps(old))
    record_fingerprint(lake, "raid0010", silver_fingerprint(lake, "raid0010"))
    assert list(raids_needing_gold(lake)) == ["raid001"]

    record_fingerprint(lake, "raid001", old)
    assert raids_needing_gold(lake) == {}
    monkeypatch.setattr(gold_inputs, "GOLD_RULES_VERSION", gold_inputs.GOLD_RULES_VERSION + 1)
    assert list(raids_needing_gold(lake)) == ["raid001", "raid0010"]
