"""Gold planning reads each raid's state file once, then its cache, and never trusts a stale one."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pyarrow as pa
import pytest

import raidlib.lake.gold_inputs as gold_inputs
from raidlib.gold.rules import GOLD_RULES_VERSION
from raidlib.lake import Lake, layout
from raidlib.lake.gold_inputs import GOLD_INPUTS_INDEX, record_fingerprint, record_fingerprints
from raidlib.lake.gold_store import raids_needing_gold, silver_fingerprint
from raidlib.lake.parquet import write_partition_table

EMPTY = pa.schema([("n", pa.int64())]).empty_table()
RAIDS = ("raid001", "raid002", "raid003")


@pytest.fixture
def built(lake: Lake) -> Lake:
    """Three raids in silver, each with gold recorded as built from it."""
    for raid in RAIDS:
        write_partition_table(lake, "silver", layout.silver_partition(raid, "2026-11-23"), EMPTY)
        record_fingerprint(lake, raid, silver_fingerprint(lake, raid))
    return lake


@pytest.fixture
def state_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the state files (and cache) planning reads, in order."""
    reads: list[str] = []
    real = gold_inputs.cat_object

    def counting(fs, path):  # noqa: ANN001, ANN202 (fsspec's own types)
        reads.append(Path(path).name)
        return real(fs, path)

    monkeypatch.setattr(gold_inputs, "cat_object", counting)
    return reads


def test_a_second_plan_reads_the_cache_not_one_file_per_raid(built, state_reads):
    assert raids_needing_gold(built) == {}
    assert sorted(state_reads) == sorted(
        [Path(GOLD_INPUTS_INDEX).name, *(f"{r}.json" for r in RAIDS)]
    )
    state_reads.clear()
    assert raids_needing_gold(built) == {}
    assert state_reads == [Path(GOLD_INPUTS_INDEX).name]


def test_a_state_file_rewritten_since_is_read_again_and_decides(built, state_reads):
    raids_needing_gold(built)  # the cache now holds all three
    record_fingerprint(built, "raid002", {"other": "1:2"})  # gold built from other silver
    state_reads.clear()
    assert list(raids_needing_gold(built)) == ["raid002"]
    assert sorted(state_reads) == [Path(GOLD_INPUTS_INDEX).name, "raid002.json"]
    record_fingerprint(built, "raid002", silver_fingerprint(built, "raid002"))
    assert raids_needing_gold(built) == {}


def test_a_removed_state_file_means_the_raid_needs_gold_whatever_the_cache_says(built):
    raids_needing_gold(built)
    (Path(built.gold_root) / "_state" / "gold_inputs" / "raid003.json").unlink()
    assert list(raids_needing_gold(built)) == ["raid003"]


@pytest.mark.parametrize(
    "cache",
    [b"not json", b"[]", b'{"format": 99, "raids": {}}', b'{"format": 1, "raids": {"raid001": 7}}'],
    ids=["garbage", "a-list", "another-format", "a-bad-entry"],
)
def test_a_cache_that_is_not_ours_is_ignored_and_replaced(built, cache):
    record_fingerprint(built, "raid001", {"other": "1:2"})
    path = Path(built.gold_root) / GOLD_INPUTS_INDEX
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cache)
    assert list(raids_needing_gold(built)) == ["raid001"]
    assert list(raids_needing_gold(built)) == ["raid001"]  # from the cache written meanwhile
    assert path.read_bytes() != cache


def test_a_cache_entry_without_its_state_is_read_again_not_a_crash(built):
    """A cache entry hand-edited (or cut) to lose its ``state`` still matches the listing."""
    raids_needing_gold(built)  # the cache now holds all three, tokens as listed
    path = Path(built.gold_root) / GOLD_INPUTS_INDEX
    cache = json.loads(path.read_bytes())
    del cache["raids"]["raid002"]["state"]
    path.write_text(json.dumps(cache))
    record_fingerprint(built, "raid001", {"other": "1:2"})
    assert list(raids_needing_gold(built)) == ["raid001"]


def test_a_cache_that_cannot_be_written_only_costs_a_warning(built, monkeypatch, caplog):
    def refuse(*_args: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Lake, "write_bytes_atomic", refuse)  # a read-only credential
    with caplog.at_level(logging.WARNING, logger="raidlib.lake.gold_inputs"):
        assert raids_needing_gold(built) == {}
    assert "gold planning still works" in caplog.text


def test_after_a_build_records_its_raids_a_plan_reads_and_writes_nothing_more(
    lake, state_reads, monkeypatch
):
    """A rerun with nothing new leaves the lake as it was, cache included."""
    for raid in RAIDS:
        write_partition_table(lake, "silver", layout.silver_partition(raid, "2026-11-23"), EMPTY)
    record_fingerprints(lake, {raid: silver_fingerprint(lake, raid) for raid in RAIDS})
    writes: list[str] = []
    monkeypatch.setattr(Lake, "write_bytes_atomic", lambda _self, *args: writes.append(args[1]))
    state_reads.clear()
    assert raids_needing_gold(lake) == {}
    assert state_reads == [Path(GOLD_INPUTS_INDEX).name]
    assert writes == []


def test_a_failed_listing_of_the_state_is_an_error_not_a_full_rebuild(built, monkeypatch):
    """fsspec's walk dropped a failed listing: with no gold ListBucket right (or a 503) every
    raid read as never built, was rebuilt, and the cache was emptied (review)."""
    from fsspec.implementations.local import LocalFileSystem

    raids_needing_gold(built)
    real_ls = LocalFileSystem.ls

    def denied(self, path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if str(path).rstrip("/").endswith("_state/gold_inputs"):
            raise PermissionError(13, "Access Denied", path)
        return real_ls(self, path, *args, **kwargs)

    monkeypatch.setattr(LocalFileSystem, "ls", denied)
    with pytest.raises(PermissionError, match="Access Denied"):
        raids_needing_gold(built)
    monkeypatch.setattr(LocalFileSystem, "ls", real_ls)
    assert raids_needing_gold(built) == {}  # the cache was left as it was


def test_a_state_without_its_fingerprint_means_rebuild_not_a_crash(built):
    state = Path(built.gold_root) / "_state" / "gold_inputs" / "raid002.json"
    state.write_text(json.dumps({"gold_rules": GOLD_RULES_VERSION}))
    assert list(raids_needing_gold(built)) == ["raid002"]


@pytest.mark.parametrize("content", [b"[1,2", b"", b"\xff\xfe"], ids=["cut", "empty", "binary"])
def test_a_damaged_state_file_means_rebuild_with_a_warning_not_a_crash(
    built, caplog, content: bytes
):
    """A state file that is not JSON ended the gold run in a JSONDecodeError after retries."""
    state = Path(built.gold_root) / "_state" / "gold_inputs" / "raid002.json"
    state.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="raidlib.lake.gold_inputs"):
        assert list(raids_needing_gold(built)) == ["raid002"]
    assert (
        f"{state} is not valid JSON" in caplog.text
        and "raid raid002's gold is rebuilt" in caplog.text
    )
    record_fingerprint(built, "raid002", silver_fingerprint(built, "raid002"))  # as the build does
    assert raids_needing_gold(built) == {}
