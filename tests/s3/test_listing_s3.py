"""Partition listings on a real S3 endpoint: a few requests whatever the number of raids."""

from __future__ import annotations

import collections

import pyarrow as pa
import pytest

from raidlib.lake import Lake, layout
from raidlib.lake.gold_inputs import record_fingerprint
from raidlib.lake.gold_store import (
    raids_needing_gold,
    read_gold_table,
    silver_fingerprint,
)
from raidlib.lake.listing import list_partitions
from raidlib.lake.parquet import PART_FILE, write_partition_table

from .conftest import MotoS3

KEYS = ("raid_id", "event_date")
DAYS = ("2026-11-23", "2026-11-24")
EMPTY = pa.schema([("n", pa.int64())]).empty_table()


def _silver(lake: Lake, raids: int) -> list[str]:
    names = [f"raid{i:03d}" for i in range(raids)]
    for raid in names:
        for day in DAYS:
            write_partition_table(lake, "silver", layout.silver_partition(raid, day), EMPTY)
    return names


@pytest.mark.parametrize("raids", [3, 12])
def test_planning_lists_silver_once(
    s3_lake: Lake, s3_requests: collections.Counter[str], raids: int
) -> None:
    names = _silver(s3_lake, raids)
    for raid in names[1:]:
        record_fingerprint(s3_lake, raid, silver_fingerprint(s3_lake, raid))
    size = _file_bytes(s3_lake)
    s3_requests.clear()
    assert raids_needing_gold(s3_lake) == {names[0]: 2 * size}
    # One listing of silver and no request per silver file; one listing of gold's state, the
    # cache of it (none yet: 404), one GET per raid's state object (none for the raid never
    # built), without s3fs's HEAD for its size first; then the cache is written.
    silver = {k: n for k, n in s3_requests.items() if k.endswith(" silver")}
    assert silver == {"list_objects_v2 silver": 1}
    gold = {k: n for k, n in s3_requests.items() if k.endswith(" gold")}
    assert gold == {"list_objects_v2 gold": 1, "get_object gold": raids, "put_object gold": 1}
    # The next plan reads the cache alone: a run with nothing new costs no request per raid.
    s3_requests.clear()
    assert raids_needing_gold(s3_lake) == {names[0]: 2 * size}
    gold = {k: n for k, n in s3_requests.items() if k.endswith(" gold")}
    assert gold == {"list_objects_v2 gold": 1, "get_object gold": 1}


def _file_bytes(lake: Lake) -> int:
    path = lake.path("silver", f"{layout.silver_partition('raid000', DAYS[0])}/{PART_FILE}")
    return int(lake.fs("silver").info(path)["size"])


def test_fingerprint_tokens_are_the_head_etags(s3_lake: Lake) -> None:
    """The listing's ``size:ETag`` equals what ``fs.info`` (HEAD) gave: recorded state matches."""
    _silver(s3_lake, 2)
    fs = s3_lake.fs("silver")
    fingerprint = silver_fingerprint(s3_lake, "raid001")
    assert len(fingerprint) == 2
    for relative, token in fingerprint.items():
        info = fs.info(s3_lake.path("silver", relative))
        assert token == f"{info['size']}:{info['ETag']}"


def test_raid_listing_reads_only_that_raids_prefix(
    s3_lake: Lake, s3_requests: collections.Counter[str]
) -> None:
    _silver(s3_lake, 12)  # raid001 and raid010, raid011: one prefix of the other as text
    s3_requests.clear()
    found = list_partitions(s3_lake, "silver", layout.DATASET, KEYS, raid_id="raid001")
    assert found == [{"raid_id": "raid001", "event_date": d} for d in DAYS]
    assert s3_requests == {"list_objects_v2 silver": 1}


def test_listing_sees_objects_written_behind_its_back(moto_s3: MotoS3, s3_lake: Lake) -> None:
    """No listing cache: a partition another process wrote after a first listing shows up,
    also on a lake whose options turn s3fs's listing cache on."""
    cached = Lake(
        s3_lake.bronze_root,
        s3_lake.silver_root,
        s3_lake.gold_root,
        {**s3_lake.storage_options, "use_listings_cache": True},
    )
    _silver(s3_lake, 1)
    for lake in (s3_lake, cached):
        assert len(list_partitions(lake, "silver", layout.DATASET, KEYS)) == 2
    key = f"{layout.silver_partition('raid000', '2026-11-25')}/{PART_FILE}"
    moto_s3.client().put_object(Bucket="silver", Key=key, Body=b"PAR1")
    for lake in (s3_lake, cached):
        assert len(list_partitions(lake, "silver", layout.DATASET, KEYS)) == 3
        assert len(list_partitions(lake, "silver", layout.DATASET, KEYS, raid_id="raid000")) == 3


def test_read_gold_table_lists_twice_and_gets_each_file_once(
    s3_lake: Lake, s3_requests: collections.Counter[str]
) -> None:
    from raidlib.backend import pandas_backend
    from raidlib.gold.schema import GOLD_SCHEMAS

    table = GOLD_SCHEMAS["fact_player_raid_stats"]
    for i in range(6):
        partition = layout.gold_partition(table.name, f"raid{i:03d}", DAYS[0])
        write_partition_table(s3_lake, "gold", partition, table.file_schema.empty_table())
    s3_requests.clear()
    frame = read_gold_table(s3_lake, table.name, pandas_backend("test"))
    assert list(frame.columns) == table.schema.names and len(frame) == 0
    # a listing, one GET per (small) file (the listing's sizes spare s3fs's HEAD), and a second
    # listing that shows no raid changed while it was read
    assert dict(s3_requests) == {"list_objects_v2 gold": 2, "get_object gold": 6}

    dim = GOLD_SCHEMAS["dim_player"]  # no partition columns: its folder, listed the same way
    write_partition_table(
        s3_lake, "gold", layout.gold_partition(dim.name), dim.file_schema.empty_table()
    )
    s3_requests.clear()
    assert len(read_gold_table(s3_lake, dim.name, pandas_backend("test"))) == 0
    assert dict(s3_requests) == {"list_objects_v2 gold": 1, "get_object gold": 1}


def test_silver_reads_touched_partitions_from_one_listing_per_raid(
    s3_lake: Lake, s3_requests: collections.Counter[str]
) -> None:
    """An incremental silver step reads the partitions its batches touch: one listing of each
    raid's folder and one GET per file, not two listings and a HEAD per partition."""
    from raidlib.backend import pandas_backend
    from raidlib.silver.pipeline import read_silver_partitions
    from raidlib.silver.schema import SILVER_FILE_SCHEMA

    for raid in ("raid000", "raid001"):
        for day in DAYS:
            partition = layout.silver_partition(raid, day)
            write_partition_table(s3_lake, "silver", partition, SILVER_FILE_SCHEMA.empty_table())
    touched = [("raid000", DAYS[0]), ("raid000", DAYS[1]), ("raid001", DAYS[1])]
    s3_requests.clear()
    frame = read_silver_partitions(s3_lake, [*touched, ("raid002", DAYS[0])], pandas_backend("t"))
    assert len(frame) == 0  # empty files: what is counted is the requests
    # one listing per raid and a GET per file; the new raid002 costs s3fs two more requests
    # (a HEAD and a listing) to tell a missing folder from a file
    assert dict(s3_requests) == {
        "list_objects_v2 silver": 3 + 1,
        "head_object silver": 1,
        "get_object silver": len(touched),
    }
