"""Hive Parquet partitions: exact paths, round trip, atomic replacement, listing, deletion."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from raidlib.lake import layout
from raidlib.lake.listing import list_partitions
from raidlib.lake.parquet import (
    PART_FILE,
    delete_partition,
    read_partition,
    write_partition,
)

FILE_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("n", pa.int64()),
        ("flag", pa.bool_()),
    ]
)
SCHEMA = FILE_SCHEMA.append(pa.field("raid_id", pa.string())).append(
    pa.field("event_date", pa.string())
)


def frame(n: int, value: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n)],
            "timestamp": pd.to_datetime(["2026-11-23 10:00:00.123456"] * n).astype(
                "datetime64[us]"
            ),
            "n": pd.array([value] * (n - 1) + [None], dtype="Int64"),
            "flag": pd.array([True] * (n - 1) + [None], dtype="boolean"),
            "raid_id": "raid001",
            "event_date": "2026-11-23",
        }
    )


def test_exact_hive_path_and_partition_columns_not_in_file(lake):
    rel = layout.silver_partition("raid001", "2026-11-23")
    path = write_partition(lake, "silver", rel, frame(3), FILE_SCHEMA)
    assert (
        path
        == f"{lake.silver_root}/wow_raid_events/v1/raid_id=raid001/event_date=2026-11-23/{PART_FILE}"
    )
    file_schema = pq.read_schema(path)
    assert "raid_id" not in file_schema.names and "event_date" not in file_schema.names
    assert file_schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "SNAPPY"


def test_round_trip_in_memory_convention(lake):
    rel = layout.silver_partition("raid001", "2026-11-23")
    write_partition(lake, "silver", rel, frame(3), FILE_SCHEMA)
    back = read_partition(lake, "silver", rel, FILE_SCHEMA, _pandas(), schema=SCHEMA)
    assert list(back.columns) == SCHEMA.names
    assert back["timestamp"].dtype == "datetime64[us]"
    assert back["timestamp"].iloc[0] == pd.Timestamp("2026-11-23 10:00:00.123456")
    assert back["n"].dtype == "Int64" and back["n"].isna().sum() == 1
    assert back["flag"].dtype == "boolean"
    assert back["raid_id"].tolist() == ["raid001"] * 3
    assert back["event_date"].tolist() == ["2026-11-23"] * 3


def test_replace_leaves_one_file_and_no_temp(lake):
    rel = layout.silver_partition("raid001", "2026-11-23")
    for value in (1, 2, 3):
        write_partition(lake, "silver", rel, frame(5, value), FILE_SCHEMA)
    folder = Path(lake.path("silver", rel))
    assert sorted(os.listdir(folder)) == [PART_FILE]
    back = read_partition(lake, "silver", rel, FILE_SCHEMA, _pandas())
    assert back["n"].dropna().unique().tolist() == [3]


def test_a_failed_write_keeps_the_old_partition_and_leaves_no_temp(lake, monkeypatch):
    """A rename that fails (full disk, permissions): the old file stays, no hidden half-file."""
    rel = layout.silver_partition("raid001", "2026-11-23")
    write_partition(lake, "silver", rel, frame(4, 1), FILE_SCHEMA)

    def no_space(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    try:
        write_partition(lake, "silver", rel, frame(4, 2), FILE_SCHEMA)
    except OSError as exc:
        assert exc.errno == 28
    else:  # pragma: no cover - the write must not pretend to succeed
        raise AssertionError("write_partition swallowed the failed rename")
    monkeypatch.undo()
    assert sorted(os.listdir(lake.path("silver", rel))) == [PART_FILE]
    back = read_partition(lake, "silver", rel, FILE_SCHEMA, _pandas())
    assert back["n"].dropna().unique().tolist() == [1]


def test_the_next_write_sweeps_temporaries_of_writers_that_died(lake):
    rel = layout.silver_partition("raid001", "2026-11-23")
    write_partition(lake, "silver", rel, frame(4, 1), FILE_SCHEMA)
    folder = Path(lake.path("silver", rel))
    dead = folder / f".tmp-dead-{PART_FILE}"
    live = folder / f".tmp-live-{PART_FILE}"  # another writer, right now
    for path in (dead, live):
        path.write_bytes(b"PAR1 half written")
    two_hours_ago = time.time() - 7200
    os.utime(dead, (two_hours_ago, two_hours_ago))
    write_partition(lake, "silver", rel, frame(4, 2), FILE_SCHEMA)
    assert sorted(os.listdir(folder)) == sorted([PART_FILE, live.name])


def test_crash_before_rename_readers_see_old_partition(lake):
    """A writer killed after writing its temp file but before the rename: old data, nothing else."""
    rel = layout.silver_partition("raid001", "2026-11-23")
    write_partition(lake, "silver", rel, frame(4, 1), FILE_SCHEMA)
    folder = Path(lake.path("silver", rel))
    (folder / f".tmp-deadbeef-{PART_FILE}").write_bytes(b"PAR1 half written")
    back = read_partition(lake, "silver", rel, FILE_SCHEMA, _pandas())
    assert len(back) == 4 and back["n"].dropna().unique().tolist() == [1]
    assert list_partitions(lake, "silver", layout.DATASET, ("raid_id", "event_date")) == [
        {"raid_id": "raid001", "event_date": "2026-11-23"}
    ]


def test_sigkill_mid_rewrite_never_mixes(lake, tmp_path):
    """Really kill a process looping over rewrites of a big partition; the partition stays whole."""
    rows = 300_000
    rel = layout.silver_partition("raid001", "2026-11-23")
    script = tmp_path / "rewrite.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import itertools, sys
            import pandas as pd, pyarrow as pa
            from raidlib.lake import Lake
            from raidlib.lake.parquet import write_partition
            schema = pa.schema([("event_id", pa.string()), ("n", pa.int64())])
            lake = Lake.local({str(tmp_path / "lake")!r})
            ids = [f"e{{i}}" for i in range({rows})]
            for value in itertools.count():
                df = pd.DataFrame({{"event_id": ids, "n": value}})
                write_partition(lake, "silver", {rel!r}, df, schema)
                print(value, flush=True)
            """
        )
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for _ in range(3):  # let it complete a few rewrites, then kill it mid-way through another
            proc.stdout.readline()
        time.sleep(0.05)
        os.kill(proc.pid, 9)
    finally:
        proc.wait(timeout=30)
    schema = pa.schema([("event_id", pa.string()), ("n", pa.int64())])
    back = read_partition(lake, "silver", rel, schema, _pandas())
    assert len(back) == rows and back["n"].nunique() == 1
    # A re-run completes the partition and a normal write leaves no temporary behind.
    write_partition(lake, "silver", rel, pd.DataFrame({"event_id": ["x"], "n": [7]}), schema)
    again = read_partition(lake, "silver", rel, schema, _pandas())
    assert again["n"].tolist() == [7]


def test_list_and_delete_partitions(lake):
    for raid, day in [
        ("raid001", "2026-11-23"),
        ("raid001", "2026-11-24"),
        ("raid002", "2026-11-23"),
    ]:
        write_partition(lake, "silver", layout.silver_partition(raid, day), frame(2), FILE_SCHEMA)
    keys = ("raid_id", "event_date")
    assert [
        p["event_date"]
        for p in list_partitions(lake, "silver", layout.DATASET, keys, raid_id="raid001")
    ] == [
        "2026-11-23",
        "2026-11-24",
    ]
    assert len(list_partitions(lake, "silver", layout.DATASET, keys)) == 3
    assert delete_partition(lake, "silver", layout.silver_partition("raid001", "2026-11-24"))
    assert not delete_partition(lake, "silver", layout.silver_partition("raid001", "2026-11-24"))
    assert len(list_partitions(lake, "silver", layout.DATASET, keys)) == 2
    empty = read_partition(
        lake, "silver", layout.silver_partition("raid009", "2026-01-01"), FILE_SCHEMA, _pandas()
    )
    assert len(empty) == 0


def _pandas():
    from raidlib.backend import resolve_backend

    return resolve_backend("pandas")
