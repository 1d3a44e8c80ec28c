"""The whole product on S3: receiver → bronze → silver → gold, configured by settings alone.

Every check compares with the same events run through a local-folder lake (the reference), so
"works on S3" means "gives exactly what the local lake gives", not just "does not crash".
"""

from __future__ import annotations

import io
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import EndpointConnectionError

from raidlib.backend import resolve_backend, to_pandas
from raidlib.lake import Lake, layout
from raidlib.settings import Settings

from .conftest import MotoS3
from .events import batches, campaign

pytestmark = pytest.mark.usefixtures("dated_events_stay_young")  # a campaign of January 2026
NO_AGE_LIMIT = pytest.importorskip("raidlib.silver.rules").RuleParams(max_event_age_s=float("inf"))

create_app = pytest.importorskip("raidlib.receiver.app").create_app
silver_pipeline = pytest.importorskip("raidlib.silver.pipeline")
gold_store = pytest.importorskip("raidlib.lake.gold_store")
state = pytest.importorskip("raidlib.lake.state")
parquet = pytest.importorskip("raidlib.lake.parquet")
# flows/ is not an installed package: a Prefect worker loads it from the project root.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
medallion_module = pytest.importorskip("flows.medallion")
from raidlib.gold.compare import assert_frames_equivalent  # noqa: E402
from raidlib.gold.schema import GOLD_SCHEMAS  # noqa: E402
from raidlib.silver.schema import SILVER_FILE_SCHEMA, SILVER_SCHEMA  # noqa: E402

BACKEND = resolve_backend("pandas")
# Differ between two runs of the same events by design (server clock at ingest).
RUN_DEPENDENT = ["ingest_timestamp", "ingest_latency_ms"]


def posts() -> list[dict[str, Any]]:
    """The POST bodies of one run: 100-event batches mixing raids, one exact retry (same
    ``batch_id``) and one retry under a new ``batch_id`` (silver must deduplicate it)."""
    bodies = [
        {"batch_id": str(uuid.UUID(int=i)), "source": "s3-test", "events": chunk}
        for i, chunk in enumerate(batches(campaign(), 100))
    ]
    return [*bodies, bodies[3], {**bodies[5], "batch_id": str(uuid.UUID(int=1005))}]


def land(settings: Settings, lake: Lake) -> None:
    client = create_app(settings, lake).test_client()
    for body in posts():
        response = client.post("/events", json=body)
        assert response.status_code in (200, 201), response.get_json()


def run_medallion(monkeypatch: pytest.MonkeyPatch, settings: Settings, lake_arg: str | None):
    """The real flow, configured the way a user does it: ``RAIDLIB_*`` environment variables."""
    for name in ("bronze_root", "silver_root", "gold_root", "s3_endpoint_url", "s3_region"):
        value = getattr(settings, name)
        if value is not None:
            monkeypatch.setenv(f"RAIDLIB_{name.upper()}", str(value))
    if settings.s3_access_key_id:
        monkeypatch.setenv("RAIDLIB_S3_ACCESS_KEY_ID", settings.s3_access_key_id)
        monkeypatch.setenv("RAIDLIB_S3_SECRET_ACCESS_KEY", str(settings.s3_secret_access_key))
    return medallion_module.medallion(lake=lake_arg, backend="pandas")


def silver_frame(lake: Lake) -> pd.DataFrame:
    partitions = [
        layout.silver_partition(p["raid_id"], p["event_date"])
        for p in gold_store.silver_raid_partitions(lake)
    ]
    frame = parquet.read_partitions(
        lake, "silver", partitions, SILVER_FILE_SCHEMA, BACKEND, schema=SILVER_SCHEMA
    )
    frame = to_pandas(frame).drop(columns=RUN_DEPENDENT)
    # A list column cannot be sorted or hashed by the comparison helper: compare it as text.
    flags = frame["data_quality_flags"]
    frame["data_quality_flags"] = flags.map(lambda v: None if v is None else ",".join(v))
    return frame


def gold_frames(lake: Lake) -> dict[str, pd.DataFrame]:
    return {name: gold_store.read_gold_table(lake, name, BACKEND) for name in GOLD_SCHEMAS}


def assert_same_lake_contents(lake: Lake, reference: dict[str, Any]) -> None:
    assert_frames_equivalent(silver_frame(lake), reference["silver"], keys=["event_id"])
    for name, frame in gold_frames(lake).items():
        expected = reference["gold"][name]
        assert len(frame) == len(expected) > 0, name
        assert_frames_equivalent(frame, expected, keys=list(GOLD_SCHEMAS[name].keys))


@pytest.fixture(scope="module")
def local_reference(
    prefect_harness: None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The same POSTs through a local-folder lake and the same flow: what S3 must reproduce."""
    root: Path = tmp_path_factory.mktemp("local-lake")
    settings = Settings(_env_file=None).model_copy(
        update={
            "bronze_root": str(root / "bronze"),
            "silver_root": str(root / "silver"),
            "gold_root": str(root / "gold"),
        }
    )
    lake = Lake.from_settings(settings)
    land(settings, lake)
    with pytest.MonkeyPatch.context() as env:
        result = run_medallion(env, settings, str(root))
    assert result["silver"]["batches"] == len(posts()) - 1
    return {"silver": silver_frame(lake), "gold": gold_frames(lake), "result": result}


def test_full_pipeline_on_s3_equals_local(
    local_reference: dict[str, Any],
    s3_settings: Settings,
    s3_lake: Lake,
    moto_s3: MotoS3,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = time.perf_counter()
    land(s3_settings, s3_lake)
    landed = time.perf_counter()
    result = run_medallion(monkeypatch, s3_settings, None)
    finished = time.perf_counter()
    print(
        f"\n[s3] full pipeline on S3: receiver→bronze {landed - started:.2f} s, "
        f"medallion flow (silver+gold) {finished - landed:.2f} s, total {finished - started:.2f} s"
    )

    reference = local_reference["result"]
    assert result["silver"]["batches"] == reference["silver"]["batches"]
    assert result["silver"]["duplicates_removed"] == reference["silver"]["duplicates_removed"] > 0
    assert sorted(result["gold"]["raids_built"]) == ["raid001", "raid002", "raid003"]
    assert_same_lake_contents(s3_lake, local_reference)

    # Everything, state included, lives in the buckets.
    batch_ids = {b["batch_id"] for b in posts()}
    assert state.processed_batch_ids(s3_lake) == batch_ids
    assert {f"{layout.processed_batch_key(b)}" for b in batch_ids} <= set(moto_s3.keys("silver"))
    gold_keys = moto_s3.keys("gold")
    assert {f"_state/gold_inputs/{r}.json" for r in ("raid001", "raid002", "raid003")} <= set(
        gold_keys
    )
    assert any(k.startswith("dim_player/") for k in gold_keys)
    assert not [k for k in moto_s3.keys("silver") + gold_keys if "/." in k or ".tmp" in k]

    # A second run finds nothing new and changes nothing.
    before = {b: moto_s3.keys(b) for b in ("silver", "gold")}
    again = run_medallion(monkeypatch, s3_settings, None)
    assert again["silver"]["batches"] == 0 and again["gold"]["raids_built"] == []
    assert {b: moto_s3.keys(b) for b in ("silver", "gold")} == before


def _assert_objects_whole(moto_s3: MotoS3, bucket: str) -> None:
    """Every Parquet object in ``bucket`` is complete (readable); no temporary objects."""
    client = moto_s3.client()
    for key in moto_s3.keys(bucket):
        assert "/." not in key and ".tmp" not in key, key
        if key.endswith(".parquet"):
            pq.read_table(io.BytesIO(client.get_object(Bucket=bucket, Key=key)["Body"].read()))


def test_outage_before_silver_then_recovery(
    local_reference: dict[str, Any],
    s3_settings: Settings,
    s3_lake: Lake,
    moto_s3: MotoS3,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """S3 goes away after bronze landed: silver fails loudly, writes nothing; rerun completes."""
    land(s3_settings, s3_lake)
    with moto_s3.outage():
        started = time.perf_counter()
        with pytest.raises(EndpointConnectionError) as caught:
            silver_pipeline.process_new_bronze(s3_lake, BACKEND, params=NO_AGE_LIMIT)
        print(f"\n[s3] silver failed after {time.perf_counter() - started:.2f} s: {caught.value}")
        assert moto_s3.endpoint_url in str(caught.value)
    assert moto_s3.keys("silver") == []

    run_medallion(monkeypatch, s3_settings, None)
    assert_same_lake_contents(s3_lake, local_reference)


def test_outage_in_the_middle_of_silver_then_recovery(
    local_reference: dict[str, Any],
    s3_settings: Settings,
    s3_lake: Lake,
    moto_s3: MotoS3,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """S3 goes away after some silver partitions were replaced and before any batch was marked.

    The step raises a connection error naming the endpoint; every object left is whole; the
    rerun (after the server is back) gives exactly the clean run's silver and gold: nothing
    lost, nothing doubled.
    """
    land(s3_settings, s3_lake)
    original = parquet.write_partition_file
    calls: list[str] = []
    lock, first_written, down = threading.Lock(), threading.Event(), threading.Event()

    def flaky_write(lake: Lake, layer: str, partition: str, content: bytes) -> str:
        """The first partition is replaced; then S3 goes down under the other (parallel) writes."""
        with lock:
            calls.append(partition)
            n = len(calls)
        if n == 1:
            try:
                return original(lake, layer, partition, content)
            finally:
                first_written.set()
        if n == 2:
            first_written.wait(30)
            moto_s3.stop()
            down.set()
        down.wait(30)
        return original(lake, layer, partition, content)

    monkeypatch.setattr(parquet, "write_partition_file", flaky_write)
    with pytest.raises(EndpointConnectionError) as caught:
        silver_pipeline.process_new_bronze(s3_lake, BACKEND, params=NO_AGE_LIMIT)
    assert moto_s3.endpoint_url in str(caught.value)
    monkeypatch.setattr(parquet, "write_partition_file", original)
    moto_s3.start()

    written = [k for k in moto_s3.keys("silver") if k.endswith(".parquet")]
    assert len(written) == 1 < len(calls)  # it really stopped half-way
    assert state.processed_batch_ids(s3_lake) == set()  # nothing marked
    _assert_objects_whole(moto_s3, "silver")

    result = run_medallion(monkeypatch, s3_settings, None)
    assert result["silver"]["batches"] == len(posts()) - 1
    assert_same_lake_contents(s3_lake, local_reference)
    _assert_objects_whole(moto_s3, "silver")
    _assert_objects_whole(moto_s3, "gold")
