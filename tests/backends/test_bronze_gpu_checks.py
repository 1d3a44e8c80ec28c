"""The GPU bronze reader's acceptance checks, run on pandas with a frame shaped like the one
``cudf.read_json(dtype=str)`` returns (every scalar as its JSON text)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from raidlib.backend import resolve_backend
from raidlib.gold.compare import assert_frames_equivalent
from raidlib.lake.bronze_gpu import (
    NotExact,
    finish_raw_frame,
    has_raw_control_bytes,
    join_objects,
    line_count,
)
from raidlib.lake.bronze_reader import BRONZE_LINE_SCHEMA, BronzeBatch, _read_object
from raidlib.lake.frames import table_to_frame

PANDAS = resolve_backend("pandas")
BATCH = BronzeBatch("b-1", ("x",), ingest_timestamp="2026-03-04T08:00:00.000000Z")

LINES = [
    {
        "event_id": "00000000-0000-4000-8000-000000000001",
        "event_type": "combat_damage",
        "timestamp": "2026-03-02T00:10:00.5Z",
        "raid_id": "raid001",
        "source_player_id": "p1",
        "source_player_name": "One",
        "source_player_level": 80,
        "damage_amount": 12345.25,
        "is_critical_hit": True,
        "data_quality_flags": ["late"],
        "batch_id": "b-1",
        "ingest_timestamp": "2026-03-04T08:00:00.000001Z",
    },
    {
        "event_id": "00000000-0000-4000-8000-000000000002",
        "event_type": "heal",
        "timestamp": "2026-03-02T00:10:01+00:00",
        "raid_id": "raid001",
        "source_player_id": "p2",
        "source_player_name": "Two",
        "healing_amount": 1e3,
        "is_critical_hit": False,
        "server_latency_ms": 0,
    },
]


def _as_read_json_would(lines: list[dict]) -> pd.DataFrame:
    """Scalars as their JSON text (strings unquoted), lists kept, absent keys absent."""
    rows = []
    for line in lines:
        row = {}
        for key, value in line.items():
            if isinstance(value, list) or value is None or isinstance(value, str):
                row[key] = value
            else:
                row[key] = json.dumps(value)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in frame.columns:
        if name != "data_quality_flags":
            frame[name] = frame[name].astype("str")
    return frame


def _pyarrow_read(lines: list[dict]) -> pd.DataFrame:
    data = ("\n".join(json.dumps(line) for line in lines) + "\n").encode()
    table, rejected = _read_object(data, BATCH, "raid_id=raid001/x.jsonl")
    assert len(rejected) == 0
    return table_to_frame(table, PANDAS)


def test_accepted_frame_equals_the_pyarrow_read():
    got = finish_raw_frame(_as_read_json_would(LINES), 2, BATCH, PANDAS)
    want = _pyarrow_read(LINES)
    assert list(got.columns) == BRONZE_LINE_SCHEMA.names
    compare = [c for c in want.columns if c != "data_quality_flags"]
    assert_frames_equivalent(got[compare], want[compare], keys=["event_id"])
    assert list(got["data_quality_flags"].iloc[0]) == ["late"]
    assert got["batch_id"].tolist() == ["b-1", "b-1"]  # filled from the manifest
    assert str(got["timestamp"].dtype) == "datetime64[us]"
    assert got["ingest_timestamp"].iloc[0] == pd.Timestamp("2026-03-04T08:00:00.000001")
    assert got["timestamp"].iloc[0] == pd.Timestamp("2026-03-02T00:10:00.500000")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"timestamp": "2026-03-02T01:10:00+01:00"}, "timestamp"),
        ({"timestamp": "2026-03-02 00:10:00"}, "timestamp"),
        ({"timestamp": "2026-03-02T00:10:00.1234567Z"}, "timestamp"),
        ({"damage_amount": "lots"}, "damage_amount"),
        ({"source_player_level": 80.5}, "source_player_level"),
        ({"is_critical_hit": "yes"}, "is_critical_hit"),
        ({"surprise": "key"}, "unknown keys"),
        ({"timestamp": "2026-02-30T00:10:00Z"}, "timestamp"),  # no such day
        ({"source_player_name": '{"nested": 1}'}, "source_player_name"),  # an object's text
        ({"raid_id": "[1, 2]"}, "raid_id"),  # an array's text
    ],
)
def test_values_pyarrow_would_reject_or_shift_send_the_batch_to_pyarrow(change, why):
    raw = _as_read_json_would([{**LINES[0], **change}, LINES[1]])
    with pytest.raises(NotExact, match=why):
        finish_raw_frame(raw, 2, BATCH, PANDAS)


def test_row_count_must_match_line_count():
    with pytest.raises(NotExact, match="rows parsed from 3 lines"):
        finish_raw_frame(_as_read_json_would(LINES), 3, BATCH, PANDAS)


def test_objects_are_joined_newline_terminated_and_blank_lines_counted():
    data = join_objects([b'{"a":1}', b"   \n", b'{"a":2}\n\n'])
    assert data == b'{"a":1}\n{"a":2}\n\n'
    assert line_count(data) == 3  # one blank line: more lines than rows → pyarrow decides


def test_raw_control_characters_are_left_to_pyarrow():
    line = json.dumps(LINES[0]).encode()
    assert not has_raw_control_bytes(line + b"\n" + line + b"\n")
    assert not has_raw_control_bytes(json.dumps({"name": "tab\there"}).encode())  # escaped
    assert has_raw_control_bytes(b'{"name": "tab\there"}\n')  # a raw tab byte
    assert has_raw_control_bytes(b'{"name": "a\x00b"}\n')
