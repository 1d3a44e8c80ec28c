"""Bronze on S3: the receiver lands batches there, and bronze listings see every one of them."""

from __future__ import annotations

import collections
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from raidlib.lake import Lake, bronze_batches, layout
from raidlib.schemas import validate_events
from raidlib.settings import Settings

from .conftest import MotoS3
from .events import campaign

create_app = pytest.importorskip("raidlib.receiver.app").create_app
B0001 = str(uuid.UUID(int=1))  # CONTRACT §2: a UUID
bronze_writer = pytest.importorskip("raidlib.lake.bronze_writer")


def test_receiver_lands_on_s3(s3_settings: Settings, s3_lake: Lake, moto_s3: MotoS3) -> None:
    client = create_app(s3_settings, s3_lake).test_client()
    raid001 = [e for e in campaign() if e["raid_id"] == "raid001"][:50]
    raid002 = [e for e in campaign() if e["raid_id"] == "raid002"][:20]
    events = raid002[:10] + raid001 + raid002[10:]  # two raids mixed in one POST
    body = {"batch_id": B0001, "source": "s3-test", "events": events}

    response = client.post("/events", json=body)
    assert response.status_code == 201, response.get_json()
    paths = response.get_json()["storage"]["paths"]
    date = datetime.now(UTC).date().isoformat()
    expected = [
        layout.bronze_batch_key("raid001", date, B0001),
        layout.bronze_batch_key("raid002", date, B0001),
    ]
    assert paths == [f"s3://bronze/{key}" for key in expected]
    assert moto_s3.keys("bronze") == sorted([*expected, layout.bronze_manifest_key(B0001)])
    lines = moto_s3.client().get_object(Bucket="bronze", Key=expected[0])["Body"].read()
    assert [json.loads(line)["event_id"] for line in lines.splitlines()] == [
        e["event_id"] for e in raid001
    ]

    again = client.post("/events", json=body)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert len(moto_s3.keys("bronze")) == 3

    (landed,) = bronze_batches.list_landed_batches(s3_lake)
    assert landed.batch_id == B0001
    assert sorted(landed.paths) == [f"bronze/{key}" for key in expected]
    assert landed.json_bytes == sum(s3_lake.fs("bronze").size(p) for p in landed.paths)


def test_reading_a_landed_batch_is_one_get_per_object(
    s3_settings: Settings, s3_lake: Lake, s3_requests: collections.Counter[str]
) -> None:
    """s3fs asks an object's size (a HEAD) before a plain read; for these small objects that
    doubled the requests: 10,000 landed batches took 20,000 requests to read their manifests."""
    from raidlib.backend import resolve_backend
    from raidlib.lake.bronze_reader import read_bronze
    from raidlib.lake.gold_inputs import recorded_fingerprint

    events = [e for e in campaign() if e["raid_id"] == "raid001"][:5]
    events += [e for e in campaign() if e["raid_id"] == "raid002"][:5]
    body = {"batch_id": B0001, "events": events}
    client = create_app(s3_settings, s3_lake).test_client()
    assert client.post("/events", json=body).status_code == 201

    s3_requests.clear()
    (batch,) = bronze_batches.list_landed_batches(s3_lake)
    read = read_bronze(s3_lake, [batch], resolve_backend("pandas"))
    assert recorded_fingerprint(s3_lake, "raid001") is None  # gold never built: one 404
    assert len(batch.paths) == 2 and read.lines == 10
    # one listing of the manifests, then one GET for the manifest and for each object
    assert dict(s3_requests) == {
        "list_objects_v2 bronze": 1,
        "get_object bronze": 3,
        "get_object gold": 1,
    }


def test_receiver_answers_503_while_s3_is_down(
    s3_settings: Settings, s3_lake: Lake, moto_s3: MotoS3
) -> None:
    client = create_app(s3_settings, s3_lake).test_client()
    body = {"batch_id": str(uuid.UUID(int=0xD0)), "events": campaign()[:10]}
    with moto_s3.outage():
        response = client.post("/events", json=body)
        assert response.status_code == 503
        assert response.get_json()["status"] == "storage_failed"
    assert moto_s3.keys("bronze") == []  # nothing acknowledged, nothing half-landed
    assert client.post("/events", json=body).status_code == 201  # the client's retry lands it


def test_an_uncommitted_object_on_s3_is_left_to_its_writer_or_replaced(
    s3_lake: Lake, moto_s3: MotoS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crashed attempt's object (no manifest) is replaced once its writer is plainly gone."""
    # S3's LastModified has whole seconds: an object can look up to 1 s older than it is.
    monkeypatch.setattr(bronze_writer, "LEFTOVER_AFTER_S", 2.5)
    models = validate_events(json.dumps(campaign()[:5]))
    first_stamp = datetime(2026, 1, 6, 1, tzinfo=UTC)
    # Timed from before the object exists: measured from the retry's start, a busy machine's
    # set-up time counted against the object's age, and a CI run saw 1.38 s (flaky).
    started = time.monotonic()
    crashed = bronze_writer.land_batch(
        s3_lake, models, batch_id="b-x", ingest_timestamp=first_stamp
    )
    moto_s3.client().delete_object(Bucket="bronze", Key=crashed.manifest_key)
    s3_lake.fs("bronze").invalidate_cache()

    retry = bronze_writer.land_batch(
        s3_lake, models, batch_id="b-x", ingest_timestamp=first_stamp.replace(hour=2)
    )
    # taken over once the object looked 2.5 s old: at least 1.5 s after it was written
    assert 1.4 < time.monotonic() - started < 12
    assert not retry.duplicate and retry.keys == crashed.keys
    body = moto_s3.client().get_object(Bucket="bronze", Key=crashed.keys[0])["Body"].read()
    assert {json.loads(line)["ingest_timestamp"] for line in body.splitlines()} == {
        retry.ingest_timestamp
    }
    assert bronze_writer.read_manifest(s3_lake, "b-x")["ingest_timestamp"] == retry.ingest_timestamp


N_BATCHES = 1_050


def test_bronze_listing_over_1000_batches_is_complete(s3_lake: Lake, moto_s3: MotoS3) -> None:
    """More than one ListObjectsV2 page (1,000 keys) of manifests: every batch is found.

    The first batch lands through the writer; the others get a copy of its manifest under their
    own ids (one PUT each instead of the writer's round trips: listing and reading manifests is
    what is tested here, and no step below opens the objects).
    """
    ids = [f"b{i:05d}" for i in range(N_BATCHES)]
    models = validate_events(json.dumps(campaign()[:2]))
    first = bronze_writer.land_batch(s3_lake, models, batch_id=ids[0])
    client = moto_s3.client()
    manifest = client.get_object(Bucket="bronze", Key=first.manifest_key)["Body"].read()

    def land(batch_id: str) -> None:
        client.put_object(
            Bucket="bronze",
            Key=first.manifest_key.replace(ids[0], batch_id),
            Body=manifest.replace(ids[0].encode(), batch_id.encode()),
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(land, ids[1:]))
    print(f"\n[s3] landed {N_BATCHES} batches in {time.perf_counter() - started:.2f} s")
    assert len(moto_s3.keys("bronze", "_batches/")) == N_BATCHES

    started = time.perf_counter()
    found = list(bronze_batches.iter_manifest_ids(s3_lake))
    listed = time.perf_counter() - started
    started = time.perf_counter()
    batches = bronze_batches.list_landed_batches(s3_lake)
    loaded = time.perf_counter() - started
    print(
        f"[s3] bronze_batches: listed {len(found)} manifests in {listed:.3f} s; "
        f"list_landed_batches (listing + {len(batches)} manifests) in {loaded:.2f} s"
    )
    assert sorted(found) == ids
    assert sorted(b.batch_id for b in batches) == ids
    assert all(len(b.paths) == 1 for b in batches)

    state = pytest.importorskip("raidlib.lake.state")
    started = time.perf_counter()
    state.mark_processed(s3_lake, ids[:1_001])
    assert state.processed_batch_ids(s3_lake) == set(ids[:1_001])
    assert state.unprocessed_batch_ids(s3_lake) == ids[1_001:]
    print(f"[s3] state: 1,001 markers written and listed in {time.perf_counter() - started:.2f} s")
