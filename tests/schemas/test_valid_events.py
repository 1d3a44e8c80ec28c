"""Every event the contract allows is accepted, normalised as promised, and round-trips."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from raidlib.schemas.events import EVENT_MODELS, EVENT_TYPES, EventAdapter, EventListAdapter
from raidlib.schemas.validation import validate_events
from raidlib.schemas.whitespace import WHITESPACE

from .strategies import FREE_TEXT_FIELDS, NOW, instant_of, valid_events

SCHEMAS = settings.get_profile("schemas")


def _validate_one(raw: dict[str, Any]) -> Any:
    (event,) = validate_events([raw], now=NOW)
    return event


@SCHEMAS
@given(raw=valid_events())
def test_every_valid_event_is_accepted_as_its_own_type(raw: dict[str, Any]) -> None:
    event = _validate_one(raw)
    assert type(event) is EVENT_MODELS[raw["event_type"]]
    assert event.event_type == raw["event_type"]


@SCHEMAS
@given(raw=valid_events())
def test_json_and_python_input_give_the_same_event(raw: dict[str, Any]) -> None:
    raw.setdefault("event_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427")  # else uuid4 differs
    from_python = validate_events([raw], now=NOW)
    from_json = validate_events(json.dumps([raw]), now=NOW)
    assert from_json == from_python


@SCHEMAS
@given(raw=valid_events())
def test_free_text_is_trimmed_and_otherwise_kept(raw: dict[str, Any]) -> None:
    event = _validate_one(raw)
    for name in FREE_TEXT_FIELDS:
        if raw.get(name) is not None:
            assert getattr(event, name) == raw[name].strip(WHITESPACE), name
    assert event.raid_id == raw["raid_id"]
    if "data_quality_flags" in raw:
        flags = raw["data_quality_flags"]
        assert event.data_quality_flags == [flag.strip(WHITESPACE) for flag in flags]


@SCHEMAS
@given(raw=valid_events())
def test_timestamps_are_stored_as_the_same_instant_in_utc(raw: dict[str, Any]) -> None:
    event = _validate_one(raw)
    assert event.timestamp.utcoffset() == timedelta(0)
    assert abs(event.timestamp - instant_of(raw["timestamp"])) <= timedelta(milliseconds=1)
    if raw.get("ingestion_timestamp") is not None:
        assert event.ingestion_timestamp.tzinfo is not None
        assert event.ingestion_timestamp.utcoffset() == timedelta(0)
        expected = instant_of(raw["ingestion_timestamp"])
        assert abs(event.ingestion_timestamp - expected) <= timedelta(milliseconds=1)


@SCHEMAS
@given(raw=valid_events())
def test_absent_optional_fields_take_the_contract_defaults(raw: dict[str, Any]) -> None:
    event = _validate_one(raw)
    defaults = {
        "is_critical_hit": False,
        "critical_multiplier": 1.0,
        "is_resisted": False,
        "is_blocked": False,
        "is_absorbed": False,
        "source_system": "wow-raid-addon-v1.2",
        "data_quality_flags": [],
        "source_player_role": None,
        "difficulty": None,
    }
    for name, default in defaults.items():
        if name not in raw:
            assert getattr(event, name) == default, name
    if "event_id" not in raw:
        assert event.event_id.version == 4


@SCHEMAS
@given(raw=valid_events())
def test_model_to_json_to_model_is_unchanged(raw: dict[str, Any]) -> None:
    event = _validate_one(raw)
    again = EventAdapter.validate_json(EventAdapter.dump_json(event))
    assert type(again) is type(event)
    assert again == event
    # A second trip is byte-for-byte stable.
    assert EventAdapter.dump_json(again) == EventAdapter.dump_json(event)


@SCHEMAS
@given(raws=st.lists(valid_events(), min_size=1, max_size=5))
def test_a_list_round_trips_through_json(raws: list[dict[str, Any]]) -> None:
    events = validate_events(raws, now=NOW)
    again = EventListAdapter.validate_json(EventListAdapter.dump_json(events))
    assert again == events


@SCHEMAS
@given(data=st.data(), event_type=st.sampled_from(EVENT_TYPES))
def test_key_order_never_changes_the_result(data: st.DataObject, event_type: str) -> None:
    raw = data.draw(valid_events(event_type))
    raw.setdefault("event_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    shuffled_keys = data.draw(st.permutations(list(raw)))
    shuffled = {key: raw[key] for key in shuffled_keys}
    assert _validate_one(shuffled) == _validate_one(raw)


def test_unix_seconds_are_read_as_utc() -> None:
    raw = {
        "event_type": "spell_cast",
        "timestamp": 1_700_000_000,
        "raid_id": "raid001",
        "source_player_id": "p1",
        "source_player_name": "Thrall",
    }
    event = _validate_one(raw)
    assert event.timestamp.isoformat() == "2023-11-14T22:13:20+00:00"
    assert event.timestamp.tzinfo == UTC
