"""frame_to_wire_events: JSON-ready dicts that the receiver accepts."""

from __future__ import annotations

import json
import math

import pandas as pd

from raidlib.generator import RaidConfig, frame_to_wire_events, generate_raid
from raidlib.schemas import validate_events

from .conftest import FAR_FUTURE, START


def test_wire_events_are_json_ready_and_omit_nulls(small: RaidConfig) -> None:
    df = generate_raid("raid001", seed=1, start=START, config=small)
    events = frame_to_wire_events(df)
    assert len(events) == len(df)
    text = json.dumps(events)  # plain Python types only
    assert "NaN" not in text and "null" not in text
    first = events[0]
    assert first["timestamp"] == "2024-05-01T20:00:00.000+00:00"
    assert first["event_type"] == "boss_phase" and "source_player_role" not in first
    for e, (_, row) in zip(events[:200], df.head(200).iterrows(), strict=True):
        assert e["event_id"] == row["event_id"]
        assert set(e) == {k for k, v in row.items() if not _is_null(v)}
        assert type(e["encounter_duration_ms"]) is int
        assert type(e["is_critical_hit"]) is bool


def test_wire_events_round_trip_through_the_models(small: RaidConfig) -> None:
    df = generate_raid("raid001", seed=2, start=START, config=small)
    models = validate_events(json.dumps(frame_to_wire_events(df)).encode(), now=FAR_FUTURE)
    assert [str(m.event_id) for m in models] == df["event_id"].tolist()
    assert [m.timestamp for m in models] == [t.to_pydatetime() for t in df["timestamp"]]
    damage = [m.damage_amount for m in models if m.event_type == "combat_damage"]
    assert damage == df.loc[df["event_type"] == "combat_damage", "damage_amount"].tolist()


def test_microsecond_timestamps_keep_their_precision() -> None:
    df = pd.DataFrame(
        {
            "event_type": ["spell_cast"],
            "timestamp": [pd.Timestamp("2024-05-01T20:00:00.123456Z")],
            "raid_id": ["raid001"],
            "source_player_id": ["p1"],
            "source_player_name": ["P"],
            "data_quality_flags": [["late"]],
        }
    )
    [event] = frame_to_wire_events(df)
    assert event["timestamp"] == "2024-05-01T20:00:00.123456+00:00"
    assert event["data_quality_flags"] == ["late"]


def _is_null(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)
