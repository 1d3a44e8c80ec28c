"""Silver's timestamp limits follow the settings the receiver and the importer use."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

from raidlib.lake import Lake
from raidlib.settings import Settings
from raidlib.silver.rules import DEFAULT_RULE_PARAMS
from raidlib.tasks.silver import rule_params

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from flows.bronze_to_silver import bronze_to_silver  # noqa: E402

bronze = sys.modules["raidlib_tests_bronze_factory"]  # loaded by the root conftest
INGEST = bronze.T0 + timedelta(hours=1)
LIMITS = ("RAIDLIB_MAX_CLOCK_SKEW_S", "RAIDLIB_MAX_EVENT_AGE_DAYS")


def test_default_settings_give_the_default_rules() -> None:
    assert rule_params(Settings(_env_file=None)) == DEFAULT_RULE_PARAMS


@pytest.mark.parametrize(
    ("env", "added", "quarantined"),
    [
        ({}, 1, {"timestamp_in_future": 1, "timestamp_too_old": 1}),
        ({"RAIDLIB_MAX_CLOCK_SKEW_S": "3600", "RAIDLIB_MAX_EVENT_AGE_DAYS": "3650"}, 3, {}),
    ],
    ids=["defaults", "raised"],
)
def test_the_flow_applies_the_clock_skew_and_age_settings(
    prefect_harness: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    added: int,
    quarantined: dict[str, int],
) -> None:
    for name in LIMITS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    events = [
        bronze.make_event(0),
        bronze.make_event(1, timestamp=(INGEST + timedelta(seconds=1000)).isoformat()),
        bronze.make_event(2, timestamp=(INGEST - timedelta(days=6 * 365)).isoformat()),
    ]
    bronze.write_batch(Lake.local(tmp_path), events, ingest_timestamp=INGEST, validate=False)
    out = bronze_to_silver(lake=str(tmp_path), backend="pandas")
    assert (out["rows_added"], out["quarantined_by_reason"]) == (added, quarantined)


def test_an_age_limit_beyond_a_century_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="max_event_age_days"):
        Settings(_env_file=None, max_event_age_days=40_000)
