"""``validate_events``: all or nothing, counts and indices, and the errors a user sees."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raidlib.schemas.validation import EventValidationError, validate_events

from .strategies import NOW, valid_events

SCHEMAS = settings.get_profile("schemas")

# Ways to break one event; each yields errors for that event only.
BREAKERS = {
    "raid_id_path": lambda raw: {**raw, "raid_id": "../etc"},
    "unknown_key": lambda raw: {**raw, "colour": "red"},
    "no_name": lambda raw: {k: v for k, v in raw.items() if k != "source_player_name"},
    "level_0": lambda raw: {**raw, "source_player_level": 0},
    "bad_type": lambda raw: {**raw, "event_type": "dance"},
    "naive_ts": lambda raw: {**raw, "timestamp": "2024-01-01T00:00:00"},
    "future_ts": lambda raw: {**raw, "timestamp": (NOW + timedelta(days=1)).isoformat()},
    "not_an_object": lambda raw: 42,
}


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[Any], set[int]]:
    """A batch of 1..12 events and the indices of those that were broken."""
    size = draw(st.integers(1, 12))
    events: list[Any] = []
    broken: set[int] = set()
    for index in range(size):
        raw = draw(valid_events())
        if draw(st.integers(0, 3)) == 0:
            raw = BREAKERS[draw(st.sampled_from(sorted(BREAKERS)))](raw)
            broken.add(index)
        events.append(raw)
    return events, broken


@SCHEMAS
@given(batch=batches(), as_json=st.booleans())
def test_counts_indices_and_all_or_nothing(
    batch: tuple[list[Any], set[int]], as_json: bool
) -> None:
    events, broken = batch
    data: Any = json.dumps(events) if as_json else events
    if not broken:
        accepted = validate_events(data, now=NOW)
        assert len(accepted) == len(events)
        assert [e.event_type for e in accepted] == [raw["event_type"] for raw in events]
        return
    with pytest.raises(EventValidationError) as info:
        validate_events(data, now=NOW)
    exc = info.value
    assert exc.total == len(events)
    assert exc.invalid_count == len(broken)
    assert exc.valid_count == len(events) - len(broken)
    assert exc.valid_count + exc.invalid_count == exc.total
    assert set(exc.errors_by_index) == broken
    reported = exc.errors()
    assert [entry["index"] for entry in reported] == sorted(broken)[:20]
    for entry in reported:
        assert entry["errors"], entry
        for error in entry["errors"]:
            assert set(error) == {"loc", "msg", "type"}
            assert all(part not in {"combat_damage", "heal"} for part in error["loc"][:1])


def test_errors_are_capped_at_twenty_events_by_default() -> None:
    events = [{"event_type": "nope"} for _ in range(25)]
    with pytest.raises(EventValidationError) as info:
        validate_events(events, now=NOW)
    assert info.value.invalid_count == 25
    assert [e["index"] for e in info.value.errors()] == list(range(20))
    assert len(info.value.errors(max_events=100)) == 25


def test_empty_list_is_no_events() -> None:
    assert validate_events([], now=NOW) == []
    assert validate_events("[]", now=NOW) == []


@pytest.mark.parametrize("data", ['{"event_type": "heal"}', "[", "42", b"not json"])
def test_input_that_is_not_an_array_is_a_plain_value_error(data: str | bytes) -> None:
    with pytest.raises(ValueError, match="not a JSON array of events") as info:
        validate_events(data, now=NOW)
    assert not isinstance(info.value, EventValidationError)


# --- the errors a user sees ---------------------------------------------------------------


def _event(**fields: Any) -> dict[str, Any]:
    return {
        "event_type": "combat_damage",
        "timestamp": "2024-05-01T20:15:00+02:00",
        "raid_id": "raid001",
        "source_player_id": "player-1",
        "source_player_name": "Thrall",
        "damage_amount": 1500.0,
        **fields,
    }


def _errors(*events: Any, **options: Any) -> list[dict[str, Any]]:
    options.setdefault("now", NOW)
    with pytest.raises(EventValidationError) as info:
        validate_events(list(events), **options)
    return info.value.errors()


def test_zero_damage_on_combat_damage() -> None:
    assert _errors(_event(damage_amount=0)) == [
        {
            "index": 0,
            "errors": [
                {
                    "loc": ["damage_amount"],
                    "msg": "Input should be greater than 0",
                    "type": "greater_than",
                }
            ],
        }
    ]


def test_missing_healing_amount_on_heal() -> None:
    raw = _event(event_type="heal")
    del raw["damage_amount"]
    assert _errors(raw)[0]["errors"] == [
        {"loc": ["healing_amount"], "msg": "Field required", "type": "missing"}
    ]


def test_player_death_needs_its_victim() -> None:
    (entry,) = _errors(_event(event_type="player_death"))
    assert {tuple(e["loc"]) for e in entry["errors"]} == {
        ("target_entity_id",),
        ("target_entity_name",),
    }
    assert {e["type"] for e in entry["errors"]} == {"missing"}


@pytest.mark.parametrize("target_type", ["boss", "add", "interactive"])
def test_player_death_of_a_boss_or_add_is_rejected_naming_the_target_type(target_type) -> None:
    victim = {"target_entity_id": "boss-1", "target_entity_name": "Ragnaros"}
    raw = _event(event_type="player_death", target_entity_type=target_type, **victim)
    (entry,) = _errors(raw)
    assert [(e["loc"], e["type"]) for e in entry["errors"]] == [
        (["target_entity_type"], "literal_error")
    ]
    assert validate_events([{**raw, "target_entity_type": "player"}], now=NOW)


def test_unknown_key_names_the_key() -> None:
    (entry,) = _errors(_event(damage=5))
    assert entry["errors"] == [
        {"loc": ["damage"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
    ]


ALLOWED = "combat_damage, heal, player_death, spell_cast, boss_phase, mana_regeneration"


@pytest.mark.parametrize(("value", "shown"), [("dance", '"dance"'), (None, "null"), (5, "5")])
def test_bad_event_type_names_the_value_and_the_allowed_ones(value, shown) -> None:
    """Pydantic's "Input tag 'None' found using 'event_type' does not match any of the
    expected tags: ..." read oddly and turned null into 'None' (error-UX audit)."""
    (entry,) = _errors(_event(event_type=value))
    assert entry["errors"] == [
        {
            "loc": ["event_type"],
            "msg": f"event_type {shown} is not one of {ALLOWED}",
            "type": "union_tag_invalid",
        }
    ]


def test_missing_event_type_is_required_with_the_allowed_ones() -> None:
    """It said "Unable to extract tag using discriminator 'event_type'" (error-UX audit)."""
    raw = _event()
    del raw["event_type"]
    (entry,) = _errors(raw)
    assert entry["errors"] == [
        {
            "loc": ["event_type"],
            "msg": f"event_type is required: one of {ALLOWED}",
            "type": "union_tag_not_found",
        }
    ]


def test_bad_enum_lists_the_allowed_values() -> None:
    (entry,) = _errors(_event(source_player_role="bard"))
    assert entry["errors"] == [
        {
            "loc": ["source_player_role"],
            "msg": "Input should be 'tank', 'healer' or 'dps'",
            "type": "literal_error",
        }
    ]


def test_raid_id_that_is_a_path() -> None:
    (entry,) = _errors(_event(raid_id="../../etc"))
    (error,) = entry["errors"]
    assert error["loc"] == ["raid_id"]
    assert error["type"] == "string_pattern_mismatch"
    assert "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$" in error["msg"]


def test_naive_timestamp() -> None:
    (entry,) = _errors(_event(timestamp="2024-05-01T20:15:00"))
    assert entry["errors"] == [
        {"loc": ["timestamp"], "msg": "Input should have timezone info", "type": "timezone_aware"}
    ]


def test_future_timestamp_says_how_far_and_the_allowed_skew() -> None:
    (entry,) = _errors(_event(timestamp=(NOW + timedelta(hours=1)).isoformat()))
    assert entry["errors"] == [
        {
            "loc": ["timestamp"],
            "msg": "Value error, timestamp is 3600 s in the future; the allowed clock skew is 300 s",
            "type": "value_error",
        }
    ]


def test_health_pct_over_100() -> None:
    (entry,) = _errors(_event(target_entity_health_pct_after=100.5))
    assert entry["errors"] == [
        {
            "loc": ["target_entity_health_pct_after"],
            "msg": "Input should be less than or equal to 100",
            "type": "less_than_equal",
        }
    ]


def test_non_object_element_is_reported_at_its_index() -> None:
    errors = _errors(_event(), 42)
    assert [entry["index"] for entry in errors] == [1]
    assert errors[0]["errors"][0]["msg"]


def test_exception_message_summarises_the_first_error() -> None:
    with pytest.raises(EventValidationError) as info:
        validate_events([_event(), _event(damage_amount=-1)], now=NOW)
    assert str(info.value) == (
        "1 of 2 events are invalid; event 1: Input should be greater than 0 at ['damage_amount']"
    )
    assert (info.value.valid_count, info.value.invalid_count) == (1, 1)


@pytest.mark.parametrize("as_json", [False, True], ids=["dicts", "json"])
def test_spaces_around_the_tag_id_and_timestamps_are_trimmed(as_json: bool) -> None:
    event_id = "6f1c1a8e-3a43-4a36-9f0e-0e7c1c6a1f00"
    raw = _event(
        event_type=" combat_damage\n",
        event_id=f"\t{event_id} ",
        timestamp=" 2024-05-01T20:15:00+02:00 ",
        ingestion_timestamp=" 2024-05-01T18:15:01Z",
    )
    data: Any = json.dumps([raw]) if as_json else [raw]
    [event] = validate_events(data, now=NOW)
    assert event.event_type == "combat_damage"
    assert str(event.event_id) == event_id
    assert event.timestamp.isoformat() == "2024-05-01T18:15:00+00:00"
    assert raw["event_type"] == " combat_damage\n"  # the caller's dict is left as it was


@pytest.mark.parametrize("as_json", [False, True], ids=["dicts", "json"])
def test_an_ingestion_timestamp_without_a_zone_is_read_as_utc(as_json: bool) -> None:
    """The producer's clock (README): the original addon sent UTC without a zone, so bronze
    gets that instant with its zone, not a local time of unknown offset."""
    raw = _event(ingestion_timestamp="2024-05-01T18:15:01")
    data: Any = json.dumps([raw]) if as_json else [raw]
    [event] = validate_events(data, now=NOW)
    assert event.ingestion_timestamp.isoformat() == "2024-05-01T18:15:01+00:00"
    assert json.loads(event.model_dump_json())["ingestion_timestamp"] == "2024-05-01T18:15:01Z"


def test_trimming_does_not_hide_what_is_still_wrong() -> None:
    errors = _errors(_event(event_type=" heal "), _event(event_type=" dance "))
    assert [(e["index"], [x["loc"] for x in e["errors"]]) for e in errors] == [
        (0, [["healing_amount"]]),
        (1, [["event_type"]]),
    ]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("damage_amount", True, "float_type"),  # lax mode stored 1.0
        ("damage_amount", "1500", "float_type"),
        ("source_player_level", True, "int_type"),
        ("source_player_level", 80.0, "int_type"),
        ("is_critical_hit", "yes", "bool_type"),
        ("is_critical_hit", 1, "bool_type"),
        ("is_blocked", "true", "bool_type"),
        ("encounter_success", "yes", "bool_type"),
        # unix *seconds*: a millisecond stamp is thousands of years ahead, not read as ms
        ("timestamp", 1_764_740_000_000, "datetime_parsing"),
    ],
)
def test_values_of_another_json_type_are_rejected_not_coerced(field, value, error) -> None:
    (entry,) = _errors(_event(**{field: value}))
    assert [(e["loc"], e["type"]) for e in entry["errors"]] == [([field], error)]


SEND = "send unix seconds or ISO-8601 with an offset"


@pytest.mark.parametrize(
    ("field", "value", "msg", "error"),
    [
        # unix milliseconds, the commonest producer mistake, as a number or a string of digits
        (
            "timestamp",
            1767295800000,
            "1767295800000 looks like milliseconds since the epoch",
            "datetime_parsing",
        ),
        (
            "timestamp",
            1767295800000.5,
            "1767295800000.5 looks like milliseconds since the epoch",
            "datetime_parsing",
        ),
        (
            "timestamp",
            "1767295800000",
            '"1767295800000" looks like milliseconds since the epoch',
            "datetime_from_date_parsing",
        ),
        (
            "timestamp",
            1767295800000000,
            "1767295800000000 looks like microseconds since the epoch",
            "datetime_parsing",
        ),
        (
            "ingestion_timestamp",
            1767295800000,
            "1767295800000 looks like milliseconds since the epoch",
            "datetime_parsing",
        ),
        # a number that is no plausible date in any unit is still named, with the range
        (
            "timestamp",
            -1767295800000,
            "-1767295800000 is out of range for unix seconds (years 1 to 9999)",
            "datetime_parsing",
        ),
        (
            "timestamp",
            10**20,
            "100000000000000000000 is out of range for unix seconds (years 1 to 9999)",
            "datetime_type",
        ),
    ],
)
def test_a_timestamp_in_another_unit_is_named_keeping_pydantics_type(field, value, msg, error):
    """Pydantic said "dates after 9999 are not supported as unix timestamps" (error-UX audit).
    JSON text, as the receiver validates: a Python int past 64 bits is another error type."""
    with pytest.raises(EventValidationError) as info:
        validate_events(json.dumps([_event(**{field: value})]), now=NOW)
    (entry,) = info.value.errors()
    assert entry["errors"] == [{"loc": [field], "msg": f"{field} {msg}: {SEND}", "type": error}]


def test_a_numeric_timestamp_is_unix_seconds() -> None:
    (event,) = validate_events([_event(timestamp=1_714_587_300)], now=NOW)
    assert event.timestamp.isoformat() == "2024-05-01T18:15:00+00:00"


def test_the_receiver_trims_exactly_silvers_whitespace() -> None:
    """Both sides must agree on what trimming removes, or an accepted event is quarantined."""
    from pydantic import BaseModel, ConfigDict

    from raidlib.schemas.whitespace import WHITESPACE

    class Trimmed(BaseModel):
        model_config = ConfigDict(str_strip_whitespace=True)
        text: str

    every_space = [c for c in map(chr, range(0x110000)) if c.isspace()]
    trimmed = {c for c in every_space if Trimmed(text=f"{c}a{c}").text == "a"}
    assert trimmed == set(WHITESPACE)
    assert "\x1f" not in WHITESPACE and "\u3000" in WHITESPACE


@pytest.mark.parametrize("value", ["\x1c1767295800000", "1767295800000\x1f"])
def test_digits_beside_a_separator_control_are_a_400_not_a_crash(value: str) -> None:
    """``str.strip`` drops U+001C..U+001F, which ``float`` refuses: the milliseconds message
    crashed the error path (a 500) for such a timestamp (review)."""
    with pytest.raises(EventValidationError) as info:
        validate_events(json.dumps([_event(timestamp=value)]), now=NOW)
    (entry,) = info.value.errors()
    assert entry["errors"][0]["loc"] == ["timestamp"]
