"""A wrong bucket, key or endpoint is an error naming the setting, never an empty lake."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from raidlib.cli import main
from raidlib.lake import Lake, LakeStorageError
from raidlib.read import read_gold
from raidlib.settings import Settings

from .conftest import MotoS3

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def moto_checks_keys(moto_s3: MotoS3) -> Iterator[None]:
    """moto accepts any key by default; this makes it refuse every key it did not issue."""

    def reset_auth(count: bytes) -> bytes:
        request = urllib.request.Request(
            f"{moto_s3.endpoint_url}/moto-api/reset-auth",
            data=count,
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.load(response)["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])

    previous = reset_auth(b"0")
    try:
        yield
    finally:
        reset_auth(previous.encode())


def storage_error(settings: Settings, *layers: str) -> str:
    with pytest.raises(LakeStorageError) as failed:
        Lake.from_settings(settings).check_storage(layers or ("bronze", "silver", "gold"))  # type: ignore[arg-type]
    return str(failed.value)


def test_existing_buckets_pass_even_with_an_empty_prefix(moto_s3: MotoS3, s3_settings) -> None:
    settings = moto_s3.settings(silver_root="s3://silver/nothing/here/yet")
    Lake.from_settings(settings).check_storage()


def test_a_missing_bucket_names_the_variable_url_endpoint_and_reason(
    moto_s3: MotoS3, s3_settings
) -> None:
    text = storage_error(moto_s3.settings(bronze_root="s3://bronz"))
    assert text.startswith("bronze root s3://bronz (RAIDLIB_BRONZE_ROOT")
    assert moto_s3.endpoint_url in text and "bucket 'bronz' does not exist" in text


def test_refused_credentials_name_the_key_settings(moto_s3: MotoS3, s3_settings) -> None:
    with moto_checks_keys(moto_s3):
        text = storage_error(moto_s3.settings(), "gold")
    assert "RAIDLIB_GOLD_ROOT" in text and "s3://gold" in text
    assert "credentials were refused (InvalidAccessKeyId" in text
    assert "RAIDLIB_S3_ACCESS_KEY_ID / RAIDLIB_S3_SECRET_ACCESS_KEY" in text


def test_an_endpoint_nobody_listens_on_is_unreachable(moto_s3: MotoS3, s3_settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = storage_error(moto_s3.settings(s3_endpoint_url=f"http://127.0.0.1:{port}"), "silver")
    assert f"endpoint http://127.0.0.1:{port}" in text and "endpoint is unreachable" in text
    assert "AWS_ENDPOINT_URL_S3" in text  # the endpoint may come from AWS's variables too


def test_a_hung_endpoint_costs_the_timeouts_not_minutes(moto_s3: MotoS3, s3_settings) -> None:
    """Accepts connections, never answers: botocore's 2 attempts (the suite's AWS_MAX_ATTEMPTS)
    of 0.3 s each, and no s3fs retry rounds on top (5 of them before)."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        endpoint = f"http://127.0.0.1:{hung.getsockname()[1]}"
        settings = moto_s3.settings(s3_endpoint_url=endpoint, s3_read_timeout_s=0.3)
        started = time.monotonic()
        text = storage_error(settings, "bronze")
    assert "did not answer in time" in text and "RAIDLIB_S3_READ_TIMEOUT_S" in text
    assert time.monotonic() - started < 2.5


def test_read_gold_raises_instead_of_returning_no_rows(moto_s3: MotoS3, s3_settings) -> None:
    with pytest.raises(LakeStorageError, match="RAIDLIB_GOLD_ROOT.*bucket 'glod' does not exist"):
        read_gold("fact_raid_summary", Lake.from_settings(moto_s3.settings(gold_root="s3://glod")))


def test_serve_and_import_log_refuse_a_missing_bronze_bucket_before_starting(
    moto_s3: MotoS3, s3_settings, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path
) -> None:
    monkeypatch.setenv("RAIDLIB_BRONZE_ROOT", "s3://bronz")
    monkeypatch.setenv("RAIDLIB_S3_ENDPOINT_URL", moto_s3.endpoint_url)
    monkeypatch.setenv("RAIDLIB_S3_REGION", "us-east-1")
    monkeypatch.setenv("RAIDLIB_S3_ACCESS_KEY_ID", "raidlib-test-key")
    monkeypatch.setenv("RAIDLIB_S3_SECRET_ACCESS_KEY", "raidlib-test-secret")
    assert main(["serve", "--port", "0"]) == 2
    captured = capsys.readouterr()
    assert "listening" not in captured.out
    assert "RAIDLIB_BRONZE_ROOT" in captured.err and "bucket 'bronz' does not exist" in captured.err
    # import-log too, before it reads the log
    log = tmp_path / "WoWCombatLog-021626_224800.txt"
    # a first row, so that the log's own start check passes: the lake is checked before reading
    log.write_text("2/16/2026 22:48:00.000  COMBAT_LOG_VERSION,22,ADVANCED_LOG_ENABLED,1\n")
    assert main(["import-log", str(log), "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(
        "raidlib import-log: bronze root s3://bronz (RAIDLIB_BRONZE_ROOT"
    )
    assert "lines:" not in captured.out


def test_a_flow_fails_at_its_first_task_with_the_message(
    prefect_harness: None, moto_s3: MotoS3, s3_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.states import State

    from flows.bronze_to_silver import bronze_to_silver

    monkeypatch.setenv("RAIDLIB_BRONZE_ROOT", "s3://bronz")
    for name in ("silver_root", "gold_root", "s3_endpoint_url", "s3_region"):
        monkeypatch.setenv(f"RAIDLIB_{name.upper()}", str(getattr(s3_settings, name)))
    monkeypatch.setenv("RAIDLIB_S3_ACCESS_KEY_ID", str(s3_settings.s3_access_key_id))
    monkeypatch.setenv("RAIDLIB_S3_SECRET_ACCESS_KEY", str(s3_settings.s3_secret_access_key))
    state: State = bronze_to_silver(backend="pandas", return_state=True)
    assert state.is_failed()
    with pytest.raises(LakeStorageError, match="RAIDLIB_BRONZE_ROOT.*'bronz' does not exist"):
        state.result()


@pytest.mark.parametrize("script", ["medallion", "bronze_to_silver"])
def test_a_flow_script_stops_before_any_flow_run_with_one_line(
    moto_s3: MotoS3, s3_settings, tmp_path, script: str
) -> None:
    """Not Prefect's failed-task and failed-flow tracebacks: the storage error, exit 2."""
    env = {
        **os.environ,
        "RAIDLIB_ENV_FILE": "",
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "RAIDLIB_BRONZE_ROOT": "s3://bronz",
        "RAIDLIB_SILVER_ROOT": str(s3_settings.silver_root),
        "RAIDLIB_GOLD_ROOT": str(s3_settings.gold_root),
        "RAIDLIB_S3_ENDPOINT_URL": moto_s3.endpoint_url,
        "RAIDLIB_S3_REGION": "us-east-1",
        "RAIDLIB_S3_ACCESS_KEY_ID": "raidlib-test-key",
        "RAIDLIB_S3_SECRET_ACCESS_KEY": "raidlib-test-secret",
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "flows" / f"{script}.py"), "--backend", "pandas"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"{script}.py: bronze root s3://bronz (RAIDLIB_BRONZE_ROOT")
    assert "bucket 'bronz' does not exist" in done.stderr
    assert "Traceback" not in done.stderr and "flow run" not in done.stdout + done.stderr
