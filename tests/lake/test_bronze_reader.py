"""Landed-batch discovery (manifests only, unpaginated-cap free) and tolerant bronze reading."""

from __future__ import annotations

import json

import pytest

from raidlib.lake import layout
from raidlib.lake.bronze_batches import iter_manifest_ids, list_landed_batches
from raidlib.lake.bronze_reader import BRONZE_LINE_SCHEMA, read_bronze
from raidlib.lake.state import (
    find_unprocessed_batches,
    mark_processed,
    processed_batch_ids,
    unprocessed_batch_ids,
)


def test_only_batches_with_a_manifest_count_as_landed(lake, factory):
    landed = factory.write_batch(lake, [factory.make_event(0)], batch_id="b-landed")
    factory.write_batch(lake, [factory.make_event(1)], batch_id="b-orphan", manifest=False)
    assert list(iter_manifest_ids(lake)) == [landed]
    (batch,) = list_landed_batches(lake)
    assert batch.paths == (
        lake.path("bronze", layout.bronze_batch_key("raid001", "2026-11-23", "b-landed")),
    )


def test_a_manifest_without_sizes_is_planned_by_its_event_count(lake, factory):
    """Hand-written manifests (``paths``, ``events``) record no sizes: GPU planning falls back
    to the event count times the policy's bytes per event."""
    from raidlib.gpu_memory import MemoryPolicy

    factory.write_batch(lake, [factory.make_event(i) for i in range(3)], batch_id="b-hand")
    (batch,) = list_landed_batches(lake)
    assert batch.json_bytes is None and batch.events == 3
    assert batch.expected_json_bytes(MemoryPolicy(bytes_per_bronze_event=500)) == 1_500


def test_more_than_a_thousand_manifests(lake):
    fs = lake.fs("bronze")
    folder = lake.path("bronze", "_batches")
    fs.makedirs(folder, exist_ok=True)
    ids = [f"batch-{i:05d}" for i in range(1_250)]
    for batch_id in ids:
        with open(f"{folder}/{batch_id}.json", "w") as handle:
            json.dump({"batch_id": batch_id, "objects": []}, handle)
    assert sorted(iter_manifest_ids(lake)) == ids
    mark_processed(lake, ids[:200])
    assert len(processed_batch_ids(lake)) == 200
    assert unprocessed_batch_ids(lake) == ids[200:]
    assert len(find_unprocessed_batches(lake, max_batches=1_100)) == 1_050


def test_reads_receiver_written_bronze(lake, factory, backend):
    land_batch = pytest.importorskip("raidlib.lake.bronze_writer").land_batch
    from raidlib.schemas import validate_events

    events = [factory.make_event(i) for i in range(3)] + [factory.make_event(3, raid_id="raid002")]
    models = validate_events(events, now=factory.T0.replace(hour=11))
    land_batch(lake, models, batch_id="recv-1", ingest_timestamp=factory.T0.replace(hour=11))
    (batch,) = list_landed_batches(lake)
    assert len(batch.paths) == 2
    # the manifest's sizes are what GPU memory planning counts, before anything is loaded
    assert batch.json_bytes == sum(lake.fs("bronze").size(p) for p in batch.paths)
    read = read_bronze(lake, [batch], backend)
    assert len(read.frame) == 4 and len(read.rejected) == 0
    assert set(read.frame["batch_id"]) == {"recv-1"}
    assert read.frame["timestamp"].dtype == "datetime64[us]"


def test_bad_lines_are_rejected_with_reason_not_lost(lake, factory, backend):
    good = [factory.make_event(i) for i in range(4)]
    bad_lines = [
        '{"event_id": "x", "damage_amount": ',  # truncated JSON
        '{"event_type": "heal", "surprise": 1}',  # unknown key
        '{"event_type": "heal", "damage_amount": "lots"}',  # wrong type
    ]
    factory.write_batch(lake, good, batch_id="b1", extra_lines={"raid001": bad_lines})
    read = read_bronze(lake, list_landed_batches(lake), backend)
    assert read.lines == 7
    assert len(read.frame) == 4
    assert sorted(read.rejected["raw_line"]) == sorted(bad_lines)
    assert read.rejected["quarantine_reason"].str.startswith("unparseable_line: ").all()
    assert set(read.rejected["raid_id"]) == {"raid001"}
    assert set(read.rejected["batch_id"]) == {"b1"}


def test_unparseable_timestamp_becomes_null_not_a_lost_file(lake, factory, backend):
    events = [factory.make_event(0), factory.make_event(1, timestamp="yesterday-ish")]
    factory.write_batch(lake, events, batch_id="b1", validate=False)
    read = read_bronze(lake, list_landed_batches(lake), backend)
    assert len(read.frame) == 2 and len(read.rejected) == 0
    assert read.frame["timestamp"].isna().tolist() == [False, True]


def test_an_event_time_without_a_zone_offset_is_not_guessed_to_be_utc(lake, factory, backend):
    # CONTRACT §1: timezone-aware. Another tool's naive stamp becomes null (silver quarantines
    # it) in the whole-file read and the line-by-line read alike; the producer's own
    # ingestion_timestamp may stay naive (read as UTC, as the receiver reads it).
    naive = factory.make_event(1, timestamp="2026-11-23T10:00:00.500")
    naive["ingestion_timestamp"] = "2026-11-23T10:00:01"
    zoned = [factory.make_event(0), factory.make_event(2, timestamp="2026-11-23T11:00:00+01:00")]
    date_only = factory.make_event(4, timestamp="2026-11-23")  # ends in -23, not an offset
    factory.write_batch(lake, [*zoned, naive, date_only], batch_id="b1", validate=False)
    factory.write_batch(
        lake, [factory.make_event(3), naive], batch_id="b2", validate=False,
        extra_lines={"raid001": ['{"event_id": "x", "damage_amount": ']},
    )  # fmt: skip
    read = read_bronze(lake, list_landed_batches(lake), backend)
    frame = read.frame.sort_values("event_id").reset_index(drop=True)
    by_id = dict(zip(frame["event_id"], frame["timestamp"].isna(), strict=True))
    assert [by_id[e["event_id"]] for e in [*zoned, naive, date_only]] == [False, False, True, True]
    assert str(frame["timestamp"][frame["event_id"] == zoned[1]["event_id"]].iloc[0]) == (
        "2026-11-23 10:00:00"
    )
    naive_rows = frame[frame["event_id"] == naive["event_id"]]
    assert len(naive_rows) == 2 and naive_rows["ingestion_timestamp"].notna().all()


def test_every_spelling_the_receiver_accepts_reads_as_the_same_moment(lake, factory, backend):
    """Silver repeats the receiver's checks on bronze written by other tools: a lower-case
    ``t``/``z``, a comma before the fraction (ISO 8601 allows both, and so does the receiver)
    or Unicode spaces around the stamp (the receiver trims them) was quarantined as an
    unparseable timestamp."""
    spellings = ["2026-11-23T10:00:05.5Z", "2026-11-23T10:00:05,5Z", "2026-11-23t10:00:05.5z",
                 "2026-11-23T11:00:05,5+01:00", "\u30002026-11-23T10:00:05.5Z\u00a0"]  # fmt: skip
    events = [factory.make_event(i, timestamp=ts) for i, ts in enumerate(spellings)]
    factory.write_batch(lake, events, batch_id="b1", validate=False)
    read = read_bronze(lake, list_landed_batches(lake), backend)
    assert len(read.frame) == 5 and len(read.rejected) == 0
    assert {str(ts) for ts in read.frame["timestamp"]} == {"2026-11-23 10:00:05.500000"}


def test_lineage_filled_from_manifest(lake, factory, backend):
    line = json.dumps({k: v for k, v in factory.make_event(0).items()})
    fs = lake.fs("bronze")
    key = layout.bronze_batch_key("raid001", "2026-11-23", "b9")
    fs.makedirs(lake.path("bronze", key).rsplit("/", 1)[0], exist_ok=True)
    fs.pipe_file(lake.path("bronze", key), (line + "\n").encode())
    manifest = {"batch_id": "b9", "paths": [key], "ingest_timestamp": "2026-11-23T11:00:00Z"}
    lake.write_bytes_atomic(
        "bronze", layout.bronze_manifest_key("b9"), json.dumps(manifest).encode()
    )
    read = read_bronze(lake, list_landed_batches(lake), backend)
    assert read.frame["batch_id"].tolist() == ["b9"]
    assert str(read.frame["ingest_timestamp"].iloc[0]) == "2026-11-23 11:00:00"


def test_bronze_schema_covers_every_wire_field():
    from raidlib.schemas.events import EVENT_FIELDS

    assert set(EVENT_FIELDS) <= set(BRONZE_LINE_SCHEMA.names)
