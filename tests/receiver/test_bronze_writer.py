"""land_batch: exact Hive keys, one line per event with the batch fields, atomic, idempotent."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import raidlib.lake.bronze_writer as writer
from raidlib.lake.bronze_lines import EncodedEvents
from raidlib.lake.bronze_writer import BatchLocks, land_batch, read_manifest
from raidlib.lake.lake import Lake
from raidlib.schemas import validate_events

from .conftest import make_events

INGEST = datetime(2026, 1, 6, 1, 2, 3, 4, tzinfo=UTC)
LATER_SAME_DAY = INGEST.replace(hour=2)


def _models(events):
    return validate_events(json.dumps(events))


def _lines(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    return [json.loads(line) for line in raw.splitlines()]


def test_one_object_per_batch_at_the_exact_hive_key(lake: Lake) -> None:
    events = make_events(7)
    landed = land_batch(
        lake, _models(events), batch_id="b-1", source="tests", ingest_timestamp=INGEST
    )

    key = "wow_raid_events/v1/raid_id=raid001/ingest_date=2026-01-06/batch=b-1.jsonl"
    assert landed.keys == (key,)
    assert landed.paths == (str(Path(lake.bronze_root).resolve() / key),)
    assert landed.counts == {"raid001": 7}
    assert not landed.duplicate
    lines = _lines(Path(lake.path("bronze", key)))
    assert len(lines) == 7
    for sent, line in zip(events, lines, strict=True):
        assert line["batch_id"] == "b-1"
        assert line["ingest_timestamp"] == "2026-01-06T01:02:03.000004Z"
        assert line["batch_source"] == "tests"
        assert line["event_id"] == sent["event_id"]
        assert line["event_type"] == sent["event_type"]
        assert line["timestamp"].endswith("Z")
        assert "ingestion_timestamp" not in line  # None fields are left out


def test_ingest_date_is_the_utc_date_of_the_server_clock(lake: Lake) -> None:
    late_evening_elsewhere = datetime.fromisoformat("2026-01-06T23:30:00-05:00")
    landed = land_batch(
        lake, _models(make_events(1)), batch_id="b-2", ingest_timestamp=late_evening_elsewhere
    )
    assert "/ingest_date=2026-01-07/" in landed.keys[0]
    line = _lines(Path(landed.paths[0]))[0]
    assert line["batch_source"] == "receiver"
    assert line["ingest_timestamp"] == "2026-01-07T04:30:00.000000Z"


def test_mixed_raids_are_split_and_nothing_is_misfiled(lake: Lake) -> None:
    events = make_events(4, "raidB") + make_events(3, "raidA") + make_events(2, "raidB")
    landed = land_batch(lake, _models(events), batch_id="mix", ingest_timestamp=INGEST)
    assert landed.counts == {"raidA": 3, "raidB": 6}
    assert [k.split("/")[2] for k in landed.keys] == ["raid_id=raidA", "raid_id=raidB"]
    for key in landed.keys:
        raid = key.split("/")[2].removeprefix("raid_id=")
        lines = _lines(Path(lake.path("bronze", key)))
        assert {line["raid_id"] for line in lines} == {raid}
        expected = [e["event_id"] for e in events if e["raid_id"] == raid]
        assert [line["event_id"] for line in lines] == expected  # input order kept


def test_manifest_marks_landed_and_a_second_landing_writes_nothing(lake: Lake) -> None:
    models = _models(make_events(3))
    first = land_batch(lake, models, batch_id="dup", ingest_timestamp=INGEST)
    manifest = read_manifest(lake, "dup")
    assert manifest is not None and manifest["event_count"] == 3
    assert [o["key"] for o in manifest["objects"]] == list(first.keys)
    mtime = Path(first.paths[0]).stat().st_mtime_ns

    again = land_batch(lake, models, batch_id="dup", ingest_timestamp=datetime.now(UTC))
    assert again.duplicate
    assert again.keys == first.keys and again.counts == first.counts
    assert again.ingest_timestamp == first.ingest_timestamp
    assert Path(first.paths[0]).stat().st_mtime_ns == mtime
    assert len(list(Path(lake.bronze_root).rglob("*.jsonl"))) == 1


class ProcessKilled(BaseException):
    """Stands in for SIGKILL between two writes."""


def test_a_failed_write_takes_back_its_objects_and_the_retry_lands_at_once(
    lake: Lake, monkeypatch
) -> None:
    """The second raid's object fails (storage error): the first raid's object is removed,
    so nothing uncommitted stays where tools look, and the retry has no leftover to wait for."""
    models = _models(make_events(2, "r1") + make_events(2, "r2"))
    real_create = Lake.create_bytes_exclusive

    def failing_second_raid(self, layer, relative, data):
        if "raid_id=r2" in relative:
            raise OSError("bucket unavailable")
        return real_create(self, layer, relative, data)

    monkeypatch.setattr(Lake, "create_bytes_exclusive", failing_second_raid)
    with pytest.raises(OSError, match="bucket unavailable"):
        land_batch(lake, models, batch_id="flaky", ingest_timestamp=INGEST)
    assert list(Path(lake.bronze_root).rglob("*.jsonl")) == []
    monkeypatch.undo()

    started = time.monotonic()
    retry = land_batch(lake, models, batch_id="flaky", ingest_timestamp=INGEST)
    assert time.monotonic() - started < 1.0
    assert not retry.duplicate and retry.counts == {"r1": 2, "r2": 2}


def test_crash_before_the_manifest_is_repaired_by_the_retry(lake: Lake, monkeypatch) -> None:
    monkeypatch.setattr(writer, "LEFTOVER_AFTER_S", 0.3)
    models = _models(make_events(2, "r1") + make_events(2, "r2"))
    real_create = Lake.create_bytes_exclusive

    def dying_before_the_manifest(self, layer, relative, data):
        if relative.startswith("_batches/"):
            raise ProcessKilled  # no except clause of the writer runs: like a killed process
        return real_create(self, layer, relative, data)

    monkeypatch.setattr(Lake, "create_bytes_exclusive", dying_before_the_manifest)
    with pytest.raises(ProcessKilled):
        land_batch(lake, models, batch_id="crash", ingest_timestamp=INGEST)
    assert read_manifest(lake, "crash") is None
    assert len(list(Path(lake.bronze_root).rglob("*.jsonl"))) == 2  # objects, no commit
    monkeypatch.setattr(Lake, "create_bytes_exclusive", real_create)

    started = time.monotonic()
    retry = land_batch(lake, models, batch_id="crash", ingest_timestamp=INGEST)
    assert time.monotonic() - started < 5  # waited for a manifest at most LEFTOVER_AFTER_S
    assert not retry.duplicate and retry.counts == {"r1": 2, "r2": 2}
    assert sum(len(_lines(Path(p))) for p in retry.paths) == 4
    assert read_manifest(lake, "crash") is not None


def _race(monkeypatch, winner_commits) -> None:
    """The manifest check passes (nothing landed yet); another process commits right after."""
    real_read = writer.read_manifest
    checks = []

    def read_before_the_winner(lake, batch_id):
        if not checks:
            checks.append(batch_id)
            winner_commits()
            return None
        return real_read(lake, batch_id)

    monkeypatch.setattr(writer, "read_manifest", read_before_the_winner)


def test_a_second_process_racing_on_a_batch_answers_duplicate(lake: Lake, monkeypatch) -> None:
    models = _models(make_events(3, "r1"))
    first = {}

    def winner() -> None:  # its own process: its own locks
        first["landed"] = land_batch(
            lake, models, batch_id="race", ingest_timestamp=INGEST, locks=BatchLocks()
        )

    _race(monkeypatch, winner)
    later = INGEST.replace(microsecond=999)
    second = land_batch(lake, models, batch_id="race", ingest_timestamp=later)

    assert second.duplicate and second.keys == first["landed"].keys
    assert read_manifest(lake, "race")["ingest_timestamp"] == first["landed"].ingest_timestamp
    lines = [line for p in second.paths for line in _lines(Path(p))]
    assert len(lines) == 3
    # the winner's objects are immutable: the loser did not rewrite them with its own stamp
    assert {line["ingest_timestamp"] for line in lines} == {first["landed"].ingest_timestamp}


def test_a_writer_finding_a_fresh_object_waits_for_its_manifest(lake: Lake) -> None:
    """Another process has written the object and commits its manifest a moment later."""
    models = _models(make_events(3, "r1"))
    other = land_batch(lake, models, batch_id="slow", ingest_timestamp=INGEST)
    manifest_path = Path(lake.bronze_root) / other.manifest_key
    manifest = manifest_path.read_bytes()
    manifest_path.unlink()  # as if that writer had not committed yet
    committer = threading.Timer(0.3, manifest_path.write_bytes, args=(manifest,))
    committer.start()
    try:
        mine = land_batch(lake, models, batch_id="slow", ingest_timestamp=LATER_SAME_DAY)
    finally:
        committer.join(timeout=10)
    assert mine.duplicate and mine.ingest_timestamp == other.ingest_timestamp
    assert {line["ingest_timestamp"] for line in _lines(Path(other.paths[0]))} == {
        other.ingest_timestamp
    }


def test_an_object_a_store_cannot_date_is_replaced_only_after_the_wait(
    lake: Lake, monkeypatch
) -> None:
    monkeypatch.setattr(writer, "LEFTOVER_AFTER_S", 0.3)
    models = _models(make_events(3, "r1"))
    crashed = land_batch(lake, models, batch_id="undated", ingest_timestamp=INGEST)
    (Path(lake.bronze_root) / crashed.manifest_key).unlink()
    hour_ago = time.time() - 3600
    os.utime(crashed.paths[0], (hour_ago, hour_ago))  # old, but the store will not say so

    def undated(self, path):
        raise NotImplementedError

    monkeypatch.setattr(type(lake.fs("bronze")), "modified", undated)
    started = time.monotonic()
    retry = land_batch(lake, models, batch_id="undated", ingest_timestamp=LATER_SAME_DAY)
    assert time.monotonic() - started >= 0.3
    assert not retry.duplicate and retry.keys == crashed.keys


def test_an_old_uncommitted_object_is_replaced_without_waiting(lake: Lake) -> None:
    models = _models(make_events(3, "r1"))
    crashed = land_batch(lake, models, batch_id="old", ingest_timestamp=INGEST)
    (Path(lake.bronze_root) / crashed.manifest_key).unlink()
    hour_ago = time.time() - 3600
    os.utime(crashed.paths[0], (hour_ago, hour_ago))

    started = time.monotonic()
    retry = land_batch(lake, models, batch_id="old", ingest_timestamp=LATER_SAME_DAY)
    assert retry.keys == crashed.keys
    assert time.monotonic() - started < writer.LEFTOVER_AFTER_S / 2
    assert not retry.duplicate and read_manifest(lake, "old") is not None
    assert {line["ingest_timestamp"] for line in _lines(Path(retry.paths[0]))} == {
        retry.ingest_timestamp
    }


def test_a_racing_loser_after_midnight_leaves_no_stray_object(lake: Lake, monkeypatch) -> None:
    models = _models(make_events(3, "r1"))
    _race(
        monkeypatch,
        lambda: land_batch(
            lake, models, batch_id="midnight", ingest_timestamp=INGEST, locks=BatchLocks()
        ),
    )
    second = land_batch(
        lake,
        models,
        batch_id="midnight",
        ingest_timestamp=datetime(2026, 1, 7, 0, 0, 1, tzinfo=UTC),
    )

    assert second.duplicate
    objects = sorted(
        p.relative_to(lake.bronze_root).as_posix() for p in Path(lake.bronze_root).rglob("*.jsonl")
    )
    assert objects == ["wow_raid_events/v1/raid_id=r1/ingest_date=2026-01-06/batch=midnight.jsonl"]


def test_a_writer_yielding_to_a_stalled_winner_keeps_the_objects_its_manifest_lists(
    lake: Lake, monkeypatch
) -> None:
    """A writer stalled past ``LEFTOVER_AFTER_S`` may still commit first: the other writer, which
    took its object for a leftover and replaced it, answers duplicate and must not delete the
    object the committed manifest lists, or the accepted events are gone."""
    models = _models(make_events(3, "r1"))
    real_commit = writer._commit_manifest
    held: dict = {}

    def stall_before_the_manifest(lake, manifest_key, manifest):
        held.update(key=manifest_key, manifest=manifest)  # committed later, by the other writer

    monkeypatch.setattr(writer, "_commit_manifest", stall_before_the_manifest)
    stalled = land_batch(lake, models, batch_id="stall", ingest_timestamp=INGEST)
    hour_ago = time.time() - 3600
    os.utime(stalled.paths[0], (hour_ago, hour_ago))  # uncommitted long enough to look crashed

    def stalled_writer_commits_first(lake, manifest_key, manifest):
        assert real_commit(lake, held["key"], held["manifest"]) is None
        return real_commit(lake, manifest_key, manifest)

    monkeypatch.setattr(writer, "_commit_manifest", stalled_writer_commits_first)
    second = land_batch(lake, models, batch_id="stall", ingest_timestamp=LATER_SAME_DAY)

    assert second.duplicate and second.keys == stalled.keys
    assert read_manifest(lake, "stall")["ingest_timestamp"] == stalled.ingest_timestamp
    assert Path(second.paths[0]).is_file(), "the committed batch's object was deleted"
    assert len(_lines(Path(second.paths[0]))) == 3


def test_no_temporary_files_are_left_behind(lake: Lake) -> None:
    land_batch(
        lake,
        _models(make_events(5, "a") + make_events(5, "b")),
        batch_id="t",
        ingest_timestamp=INGEST,
    )
    names = [p.name for p in Path(lake.bronze_root).rglob("*")]
    assert not [n for n in names if n.startswith(".tmp-")]


def test_concurrent_landings_of_one_batch_id_land_once(lake: Lake) -> None:
    models = _models(make_events(20))
    encoded = EncodedEvents.from_models(models)
    results = []
    barrier = threading.Barrier(8)

    def land() -> None:
        barrier.wait(timeout=10)
        results.append(land_batch(lake, encoded, batch_id="race", ingest_timestamp=INGEST))

    threads = [threading.Thread(target=land) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(results) == 8
    assert sorted(r.duplicate for r in results) == [False] + [True] * 7


def test_bad_input_is_refused_before_any_write(lake: Lake) -> None:
    with pytest.raises(ValueError, match="at least one event"):
        land_batch(lake, [], batch_id="empty", ingest_timestamp=INGEST)
    with pytest.raises(ValueError, match="batch_id"):
        land_batch(lake, _models(make_events(1)), batch_id="../escape", ingest_timestamp=INGEST)
    with pytest.raises(ValueError, match="aware"):
        land_batch(
            lake, _models(make_events(1)), batch_id="naive", ingest_timestamp=datetime(2026, 1, 1)
        )
    assert not Path(lake.bronze_root).exists()
