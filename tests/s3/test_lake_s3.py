"""The lake on a real S3 HTTP endpoint (moto server): configuration, atomic writes, listings."""

from __future__ import annotations

import time
from typing import Any

import fsspec
import pytest
from botocore.exceptions import EndpointConnectionError

from raidlib.lake import Lake, layout
from raidlib.lake.s3 import (
    CHECKSUM_CONFIG,
    cat_listed,
    prefect_result_storage,
    s3_storage_options,
)
from raidlib.settings import Settings

from .conftest import ACCESS_KEY, REGION, SECRET_KEY, MotoS3


def test_storage_options_come_from_settings_only() -> None:
    settings = Settings(
        _env_file=None,
        bronze_root="s3://bronze",
        s3_endpoint_url="http://minio.internal:9000",
        s3_access_key_id="AK",
        s3_secret_access_key="SK",
        s3_region="eu-west-1",
        s3_verify_tls=False,
    )
    assert s3_storage_options(settings) == {
        "key": "AK",
        "secret": "SK",
        "client_kwargs": {
            "endpoint_url": "http://minio.internal:9000",
            "region_name": "eu-west-1",
            "verify": False,
        },
        "config_kwargs": {
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
            "connect_timeout": 5.0,
            "read_timeout": 15.0,
        },
        "use_listings_cache": False,
    }


def test_unset_values_are_left_to_botocore() -> None:
    """Nothing invented: no keys, endpoint or region unless configured (AWS chain fills them)."""
    options = s3_storage_options(Settings(_env_file=None))
    assert set(options) == {"config_kwargs", "use_listings_cache"}


def test_settings_read_raidlib_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAIDLIB_BRONZE_ROOT", "s3://bronze/prefix")
    monkeypatch.setenv("RAIDLIB_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("RAIDLIB_S3_ACCESS_KEY_ID", "minioadmin")
    monkeypatch.setenv("RAIDLIB_S3_SECRET_ACCESS_KEY", "minioadmin")
    monkeypatch.setenv("RAIDLIB_S3_VERIFY_TLS", "false")
    lake = Lake.from_settings(Settings(_env_file=None))
    assert lake.is_remote("bronze") and not lake.is_remote("silver")
    assert lake.path("bronze", "a/b.jsonl") == "bronze/prefix/a/b.jsonl"
    assert lake.url("bronze", "a/b.jsonl") == "s3://bronze/prefix/a/b.jsonl"
    assert lake.storage_options["key"] == "minioadmin"
    assert lake.storage_options["client_kwargs"] == {
        "endpoint_url": "http://127.0.0.1:9000",
        "verify": False,
    }


def test_hand_built_lake_gets_the_same_s3_defaults(moto_s3: MotoS3) -> None:
    lake = Lake("s3://bronze", "s3://silver", "s3://gold", {"key": "k", "secret": "s"})
    fs = lake.fs("bronze")
    assert fs.config_kwargs == {**CHECKSUM_CONFIG, "connect_timeout": 5.0, "read_timeout": 15.0}
    assert fs.dircache.use_listings_cache is False
    assert fs.retries == 1  # botocore's attempts only, not 5 s3fs rounds of them


def test_big_or_unsized_objects_keep_s3fs_ranged_reads(
    s3_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only an object listed within s3fs's block size is read with one plain GET; a bigger or
    unsized one keeps s3fs's read (a HEAD for the size, then parallel ranges past a block)."""
    fs = s3_lake.fs("silver")
    path = s3_lake.path("silver", "x/blob.bin")
    fs.pipe_file(path, b"0123456789" * 10)
    calls: list[dict[str, Any]] = []
    original = fs.cat_file

    def spy(p: str, **kwargs: Any) -> bytes:
        calls.append(kwargs)
        return original(p, **kwargs)

    monkeypatch.setattr(fs, "cat_file", spy)  # s3fs's cat_file is an instance attribute
    block = fs.default_block_size
    assert cat_listed(fs, path, 100) == cat_listed(fs, path, block + 1) == b"0123456789" * 10
    cat_listed(fs, path, None)
    assert calls == [{"max_concurrency": 1}, {}, {}]


def test_write_bytes_atomic_on_s3(s3_lake: Lake, moto_s3: MotoS3) -> None:
    key = layout.bronze_batch_key("raid001", "2026-01-02", "b-1")
    written = s3_lake.write_bytes_atomic("bronze", key, b'{"a":1}\n')
    assert written == f"bronze/{key}"
    assert s3_lake.url("bronze", key) == f"s3://bronze/{key}"
    assert moto_s3.keys("bronze") == [key]  # no temporary objects beside it
    body = moto_s3.client().get_object(Bucket="bronze", Key=key)["Body"].read()
    assert body == b'{"a":1}\n'

    s3_lake.write_bytes_atomic("bronze", key, b'{"a":2}\n')  # overwrite replaces whole
    assert s3_lake.fs("bronze").cat_file(written) == b'{"a":2}\n'
    assert moto_s3.keys("bronze") == [key]


def test_create_bytes_exclusive_on_s3(s3_lake: Lake, moto_s3: MotoS3) -> None:
    """A conditional PUT (If-None-Match: *): the second writer of a key changes nothing."""
    key = "_batches/b-1.json"
    assert s3_lake.create_bytes_exclusive("bronze", key, b"first") is True
    assert s3_lake.create_bytes_exclusive("bronze", key, b"second") is False
    body = moto_s3.client().get_object(Bucket="bronze", Key=key)["Body"].read()
    assert body == b"first"


def test_root_with_prefix(moto_s3: MotoS3, s3_settings: Settings) -> None:
    lake = Lake.from_settings(s3_settings.model_copy(update={"silver_root": "s3://silver/lake/"}))
    lake.write_bytes_atomic("silver", "_state/x.json", b"{}")
    assert moto_s3.keys("silver") == ["lake/_state/x.json"]


def _capture_headers(fs: fsspec.AbstractFileSystem) -> list[dict[str, str]]:
    """Record the headers of every request the filesystem's botocore client sends."""
    fs.connect()  # type: ignore[attr-defined]
    seen: list[dict[str, str]] = []

    def record(request: Any, **_: Any) -> None:
        seen.append({k.lower(): v for k, v in request.headers.items()})

    fs.s3.meta.events.register("before-send.s3", record)  # type: ignore[attr-defined]
    return seen


def test_no_flexible_checksum_headers(s3_lake: Lake, s3_settings: Settings) -> None:
    """Uploads carry no ``x-amz-checksum-*`` headers, which older MinIO rejects.

    The control (same options minus the checksum config) shows this botocore does send them by
    default, so the assertion is not vacuous.
    """
    fs = s3_lake.fs("bronze")
    seen = _capture_headers(fs)
    s3_lake.write_bytes_atomic("bronze", "a/one.jsonl", b"{}\n")
    assert seen and not [h for h in seen[-1] if h.startswith(("x-amz-checksum", "x-amz-sdk-c"))]

    options = s3_storage_options(s3_settings)
    del options["config_kwargs"]
    control = fsspec.filesystem("s3", skip_instance_cache=True, **options)
    seen = _capture_headers(control)
    control.pipe_file("bronze/a/two.jsonl", b"{}\n")
    assert any(h.startswith("x-amz-checksum") for h in seen[-1])


def test_listings_are_never_stale(s3_lake: Lake, moto_s3: MotoS3) -> None:
    """An object landed by another process shows up in the next listing of a cached instance."""
    prefix = s3_lake.path("bronze", layout.DATASET)
    s3_lake.write_bytes_atomic("bronze", f"{layout.DATASET}/a.jsonl", b"1\n")
    fs = s3_lake.fs("bronze")
    assert fs.find(prefix) == [f"{prefix}/a.jsonl"]
    assert fs.ls(prefix) == [f"{prefix}/a.jsonl"]

    moto_s3.client().put_object(Bucket="bronze", Key=f"{layout.DATASET}/b.jsonl", Body=b"2\n")
    again = Lake.from_settings(moto_s3.settings()).fs("bronze")
    assert again is fs  # fsspec reuses the instance (and its connection pool) ...
    assert fs.ls(prefix) == [f"{prefix}/a.jsonl", f"{prefix}/b.jsonl"]  # ... but not listings
    assert fs.find(prefix) == [f"{prefix}/a.jsonl", f"{prefix}/b.jsonl"]
    assert fs.exists(f"{prefix}/b.jsonl")


N_LISTED = 1_234


def test_listing_more_than_1000_objects_is_complete(s3_lake: Lake, moto_s3: MotoS3) -> None:
    """S3 returns at most 1,000 keys per ListObjectsV2 page; the lake must follow every page."""
    keys = [
        layout.bronze_batch_key(f"raid{i % 3:03d}", "2026-01-02", f"b{i:05d}")
        for i in range(N_LISTED)
    ]
    fs = s3_lake.fs("bronze")
    fs.pipe({s3_lake.path("bronze", key): b"{}\n" for key in keys})  # concurrent PUTs
    assert len(moto_s3.keys("bronze")) == N_LISTED

    started = time.perf_counter()
    found = fs.find(s3_lake.path("bronze", layout.DATASET))
    elapsed = time.perf_counter() - started
    print(f"\n[s3] fs.find listed {len(found)} bronze objects in {elapsed:.3f} s")
    assert sorted(found) == sorted(s3_lake.path("bronze", key) for key in keys)

    one_raid = fs.find(s3_lake.path("bronze", layout.bronze_partition("raid000", "2026-01-02")))
    assert len(one_raid) == len(range(0, N_LISTED, 3))


def test_outage_names_the_endpoint_and_recovers(s3_lake: Lake, moto_s3: MotoS3) -> None:
    s3_lake.write_bytes_atomic("gold", "dim_player/part-0.parquet", b"before")
    with moto_s3.outage():
        started = time.perf_counter()
        with pytest.raises(EndpointConnectionError) as caught:
            s3_lake.write_bytes_atomic("gold", "dim_player/part-0.parquet", b"during")
        print(f"\n[s3] outage surfaced after {time.perf_counter() - started:.2f} s: {caught.value}")
        assert moto_s3.endpoint_url in str(caught.value)
    # Same cached filesystem instance, server back on the same port: works again.
    s3_lake.write_bytes_atomic("gold", "dim_player/part-0.parquet", b"after")
    assert s3_lake.fs("gold").cat_file("gold/dim_player/part-0.parquet") == b"after"


def test_aws_environment_is_the_fallback(moto_s3: MotoS3, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no RAIDLIB_S3_* values, the standard AWS variables configure the client."""
    moto_s3.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_s3.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    settings = Settings(
        _env_file=None, bronze_root="s3://bronze", silver_root="s3://silver", gold_root="s3://gold"
    )
    # A fresh instance: the environment is read when its botocore client is created.
    fs = fsspec.filesystem("s3", skip_instance_cache=True, **s3_storage_options(settings))
    fs.pipe_file("bronze/env/x.jsonl", b"{}\n")
    assert moto_s3.keys("bronze") == ["env/x.jsonl"]


def test_prefect_persists_flow_results_in_the_bucket(
    prefect_harness: None,
    s3_settings: Settings,
    moto_s3: MotoS3,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect import flow, task
    from prefect.filesystems import RemoteFileSystem

    assert prefect_result_storage(Settings(_env_file=None)) is None  # local lake: Prefect default
    slug = prefect_result_storage(s3_settings, name="raidlib-test-results")
    assert slug == "remote-file-system/raidlib-test-results"
    block = RemoteFileSystem.load("raidlib-test-results")
    assert block.basepath == "s3://gold/_prefect/results"
    assert "key" not in block.settings and "secret" not in block.settings  # never stored
    # The process running the flow supplies the keys (here: the standard AWS variables).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)

    @task(persist_result=True)
    def double(x: int) -> int:
        return 2 * x

    @flow(persist_result=True)
    def tiny(x: int) -> int:
        return double(x)

    assert tiny.with_options(result_storage=slug)(21) == 42
    keys = moto_s3.keys("gold", "_prefect/results/")
    assert len(keys) >= 2, keys  # the task's result and the flow's
