"""Every rule of CONTRACT §1 rejects what it must, with an error whose ``loc`` names the field.

Each property takes an otherwise valid event, breaks exactly one thing, and checks that the
batch is rejected with errors at that field only.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from raidlib.schemas.events import (
    ABILITY_SCHOOLS,
    DIFFICULTIES,
    EVENT_FIELDS,
    EVENT_TYPES,
    PLAYER_CLASSES,
    PLAYER_ROLES,
    RAID_ID_PATTERN,
    RESOURCE_TYPES,
    TARGET_TYPES,
)
from raidlib.schemas.validation import EventValidationError, validate_events

from .strategies import NOW, PADDING, TYPE_REQUIRED, padded, raid_ids, valid_events

SCHEMAS = settings.get_profile("schemas")


def errors_of(raw: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    """The normalised errors of a one-event batch that must be rejected."""
    options.setdefault("now", NOW)
    with pytest.raises(EventValidationError) as info:
        validate_events([raw], **options)
    (entry,) = info.value.errors()
    assert entry["index"] == 0
    return entry["errors"]


def assert_rejected_at(
    raw: dict[str, Any], field: str, types: set[str] | None = None, **options: Any
) -> list[dict[str, Any]]:
    """``raw`` is rejected, every error is located at ``field``, and (if given) of ``types``."""
    errors = errors_of(raw, **options)
    assert errors, raw
    assert {error["loc"][0] for error in errors} == {field}, errors
    if types is not None:
        assert {error["type"] for error in errors} <= types, errors
    for error in errors:
        assert error["msg"]
    return errors


def _outside(lo: float | None, hi: float | None) -> st.SearchStrategy[float]:
    """Floats (including ±inf and nan) outside [lo, hi]."""
    parts: list[st.SearchStrategy[float]] = [st.just(float("nan"))]
    if lo is not None:
        parts.append(st.floats(max_value=lo, exclude_max=True))
    if hi is not None:
        parts.append(st.floats(min_value=hi, exclude_min=True))
    return st.one_of(parts)


_RANGE_TYPES = {"greater_than_equal", "less_than_equal", "greater_than", "finite_number"}

FLOAT_RANGES: dict[str, tuple[float | None, float | None]] = {
    "damage_amount": (0, 1e9),
    "healing_amount": (0, 1e9),
    "critical_multiplier": (1, 5),
    "target_entity_health_pct_before": (0, 100),
    "target_entity_health_pct_after": (0, 100),
    "resource_amount_before": (0, None),
    "resource_amount_after": (0, None),
    "resource_regeneration_rate": (0, None),
}

INT_RANGES: dict[str, tuple[int, int | None]] = {
    "source_player_level": (1, 90),
    "server_latency_ms": (0, None),
    "client_latency_ms": (0, None),
    "encounter_duration_ms": (0, None),
}

ENUMS: dict[str, tuple[str, ...]] = {
    "source_player_role": PLAYER_ROLES,
    "source_player_class": PLAYER_CLASSES,
    "ability_school": ABILITY_SCHOOLS,
    "target_entity_type": TARGET_TYPES,
    "resource_type": RESOURCE_TYPES,
    "difficulty": DIFFICULTIES,
}


# --- ranges -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", sorted(FLOAT_RANGES))
@SCHEMAS
@given(data=st.data())
def test_float_out_of_range_is_rejected_at_the_field(field: str, data: st.DataObject) -> None:
    raw = data.draw(valid_events())
    raw[field] = data.draw(_outside(*FLOAT_RANGES[field]))
    assert_rejected_at(raw, field, _RANGE_TYPES)


@pytest.mark.parametrize("field", sorted(INT_RANGES))
@SCHEMAS
@given(data=st.data())
def test_int_out_of_range_is_rejected_at_the_field(field: str, data: st.DataObject) -> None:
    lo, hi = INT_RANGES[field]
    outside = st.integers(max_value=lo - 1)
    if hi is not None:
        outside = outside | st.integers(min_value=hi + 1)
    raw = data.draw(valid_events())
    raw[field] = data.draw(outside)
    assert_rejected_at(raw, field, {"greater_than_equal", "less_than_equal"})


@pytest.mark.parametrize("field", sorted(INT_RANGES))
def test_int_fields_reject_fractions(field: str) -> None:
    raw = _minimal("spell_cast")
    raw[field] = 1.5
    assert_rejected_at(raw, field, {"int_type"})


@pytest.mark.parametrize(
    ("event_type", "field"), [("combat_damage", "damage_amount"), ("heal", "healing_amount")]
)
@SCHEMAS
@given(data=st.data())
def test_own_amount_must_be_positive(event_type: str, field: str, data: st.DataObject) -> None:
    raw = data.draw(valid_events(event_type))
    raw[field] = data.draw(st.sampled_from([0, 0.0, -0.0]))
    assert_rejected_at(raw, field, {"greater_than"})


@pytest.mark.parametrize("field", ["damage_amount", "healing_amount"])
@SCHEMAS
@given(data=st.data())
def test_zero_amount_is_fine_on_other_types(field: str, data: st.DataObject) -> None:
    own = {"damage_amount": "combat_damage", "healing_amount": "heal"}[field]
    event_type = data.draw(st.sampled_from([t for t in EVENT_TYPES if t != own]))
    raw = data.draw(valid_events(event_type))
    raw[field] = 0
    (event,) = validate_events([raw], now=NOW)
    assert getattr(event, field) == 0


@pytest.mark.parametrize("value", [1e9, 1e9 + 1e-3])
def test_amount_upper_bound_is_inclusive(value: float) -> None:
    raw = {**_minimal("combat_damage"), "damage_amount": value}
    if value <= 1e9:
        (event,) = validate_events([raw], now=NOW)
        assert event.damage_amount == 1e9
    else:
        assert_rejected_at(raw, "damage_amount", {"less_than_equal"})


# --- enums --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", sorted(ENUMS))
@SCHEMAS
@given(data=st.data())
def test_enum_rejects_values_outside_it(field: str, data: st.DataObject) -> None:
    allowed = ENUMS[field]
    raw = data.draw(valid_events())
    bad = data.draw(
        st.text(max_size=15).filter(lambda s: s.strip() not in allowed)
        | st.sampled_from(allowed).map(str.upper)
    )
    raw[field] = bad
    assert_rejected_at(raw, field, {"literal_error"})


@pytest.mark.parametrize("field", sorted(ENUMS))
@SCHEMAS
@given(data=st.data())
def test_enum_rejects_non_strings_as_a_type_error(field: str, data: st.DataObject) -> None:
    raw = data.draw(valid_events())
    raw[field] = data.draw(st.integers() | st.booleans() | st.lists(st.integers(), max_size=2))
    assert_rejected_at(raw, field, {"string_type"})


@pytest.mark.parametrize("field", sorted(ENUMS))
@SCHEMAS
@given(data=st.data())
def test_enum_values_are_trimmed_like_every_string(field: str, data: st.DataObject) -> None:
    raw = data.draw(valid_events())
    value = data.draw(st.sampled_from(ENUMS[field]))
    if raw["event_type"] == "player_death" and field == "target_entity_type":
        value = "player"  # the one type a death's target may have
    raw[field] = data.draw(padded(st.just(value)))
    event = validate_events([raw], now=NOW)[0]
    assert getattr(event, field) == value


@SCHEMAS
@given(data=st.data())
def test_unknown_event_type_is_rejected_at_event_type(data: st.DataObject) -> None:
    raw = data.draw(valid_events())
    raw["event_type"] = data.draw(
        st.text(max_size=20).filter(lambda s: s not in EVENT_TYPES)
        | st.sampled_from(EVENT_TYPES).map(str.upper)
    )
    errors = errors_of(raw)
    assert [e["loc"] for e in errors] == [["event_type"]]
    assert errors[0]["type"] == "union_tag_invalid"


@SCHEMAS
@given(raw=valid_events())
def test_missing_event_type_is_reported_at_event_type(raw: dict[str, Any]) -> None:
    del raw["event_type"]
    errors = errors_of(raw)
    assert errors == [
        {"loc": ["event_type"], "msg": errors[0]["msg"], "type": "union_tag_not_found"}
    ]


# --- raid_id ------------------------------------------------------------------------------


def _raid_id_ok(value: str) -> bool:
    return re.fullmatch(RAID_ID_PATTERN.rstrip("$"), value.strip()) is not None


@SCHEMAS
@given(data=st.data())
def test_raid_id_outside_the_pattern_is_rejected(data: st.DataObject) -> None:
    raw = data.draw(valid_events())
    raw["raid_id"] = data.draw(
        st.text(max_size=80).filter(lambda s: not _raid_id_ok(s))
        | st.text(alphabet="aZ09_-/. \t\n", max_size=70).filter(lambda s: not _raid_id_ok(s))
    )
    assert_rejected_at(raw, "raid_id", {"string_pattern_mismatch", "string_type"})


@pytest.mark.parametrize(
    "raid_id",
    ["", " ", "../raid001", "raid/001", "raid 001", "-raid", "_raid", "raid..1", "a" * 65, "räid"],
)
def test_raid_id_examples_are_rejected(raid_id: str) -> None:
    raw = {**_minimal("spell_cast"), "raid_id": raid_id}
    assert_rejected_at(raw, "raid_id", {"string_pattern_mismatch"})


@pytest.mark.parametrize("raid_id", ["raid001", "raid1000", "a", "A-b_c", "9" * 64])
def test_raid_id_examples_are_accepted(raid_id: str) -> None:
    (event,) = validate_events([{**_minimal("spell_cast"), "raid_id": raid_id}], now=NOW)
    assert event.raid_id == raid_id


@SCHEMAS
@given(
    raid_id=st.text(max_size=80)
    | st.text(alphabet="aZ09_-/.\\ \t\n\u00a0\u2028", max_size=70)
    | padded(raid_ids)
)
def test_a_stored_raid_id_is_never_a_path(raid_id: str) -> None:
    """Whatever text arrives, a raid_id that validates is a safe single path segment."""
    raw = {**_minimal("spell_cast"), "raid_id": raid_id}
    try:
        (event,) = validate_events([raw], now=NOW)
    except EventValidationError:
        return
    stored = event.raid_id
    assert "/" not in stored and "\\" not in stored
    assert ".." not in stored
    assert not any(c.isspace() for c in stored)
    assert 1 <= len(stored) <= 64
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", stored, flags=re.ASCII)


# --- strings ------------------------------------------------------------------------------


@SCHEMAS
@given(data=st.data())
def test_player_name_must_have_1_to_64_characters(data: st.DataObject) -> None:
    raw = data.draw(valid_events())
    too_long = st.text(min_size=65, max_size=90).filter(lambda s: len(s.strip()) > 64)
    raw["source_player_name"] = data.draw(PADDING | too_long)
    assert_rejected_at(raw, "source_player_name", {"string_too_short", "string_too_long"})


@pytest.mark.parametrize(("name", "ok"), [("x" * 64, True), ("x" * 65, False), (" x ", True)])
def test_player_name_length_bounds(name: str, ok: bool) -> None:
    raw = {**_minimal("spell_cast"), "source_player_name": name}
    if ok:
        (event,) = validate_events([raw], now=NOW)
        assert event.source_player_name == name.strip()
    else:
        assert_rejected_at(raw, "source_player_name", {"string_too_long"})


@SCHEMAS
@given(raw=valid_events(), blank=PADDING)
def test_player_id_must_not_be_blank(raw: dict[str, Any], blank: str) -> None:
    raw["source_player_id"] = blank
    assert_rejected_at(raw, "source_player_id", {"string_too_short"})


# --- required fields ----------------------------------------------------------------------

_PER_TYPE_REQUIRED = [(t, f) for t, fields in TYPE_REQUIRED.items() for f in fields]


@pytest.mark.parametrize(("event_type", "field"), _PER_TYPE_REQUIRED)
@SCHEMAS
@given(data=st.data())
def test_per_type_required_field_missing_or_null(
    event_type: str, field: str, data: st.DataObject
) -> None:
    raw = data.draw(valid_events(event_type))
    how = data.draw(st.sampled_from(["missing", "null"]))
    if how == "missing":
        del raw[field]
        assert_rejected_at(raw, field, {"missing"})
    else:
        raw[field] = None
        assert_rejected_at(raw, field, {"float_type", "string_type", "literal_error"})


@pytest.mark.parametrize("field", ["target_entity_id", "target_entity_name"])
@SCHEMAS
@given(raw=valid_events("player_death"), blank=PADDING)
def test_death_target_must_not_be_blank(raw: dict[str, Any], field: str, blank: str) -> None:
    raw[field] = blank
    assert_rejected_at(raw, field, {"string_too_short"})


@pytest.mark.parametrize(
    "field", ["timestamp", "raid_id", "source_player_id", "source_player_name"]
)
@SCHEMAS
@given(raw=valid_events())
def test_common_required_field_missing(raw: dict[str, Any], field: str) -> None:
    del raw[field]
    assert_rejected_at(raw, field, {"missing"})


# --- unknown keys -------------------------------------------------------------------------


@SCHEMAS
@given(
    raw=valid_events(),
    key=st.text(min_size=1, max_size=30).filter(lambda k: k not in EVENT_FIELDS),
    value=st.none() | st.booleans() | st.integers() | st.text(max_size=10),
)
@example(raw={**{"event_type": "heal", "healing_amount": 1.0}}, key="damage", value=5)
def test_unknown_key_is_rejected_at_that_key(raw: dict[str, Any], key: str, value: Any) -> None:
    raw = {**_minimal(raw["event_type"]), **raw}
    raw[key] = value
    errors = assert_rejected_at(raw, key, {"extra_forbidden"})
    assert errors[0]["loc"] == [key]


# --- timestamps ---------------------------------------------------------------------------


@SCHEMAS
@given(raw=valid_events(), moment=st.datetimes(max_value=datetime(2025, 1, 1)))
def test_naive_timestamp_is_rejected(raw: dict[str, Any], moment: datetime) -> None:
    raw["timestamp"] = moment.isoformat()
    assert_rejected_at(raw, "timestamp", {"timezone_aware"})


@SCHEMAS
@given(
    raw=valid_events(),
    skew=st.integers(0, 86_400),
    beyond=st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(days=3650)),
    offset=st.integers(-12 * 60, 14 * 60),
)
def test_timestamp_beyond_the_clock_skew_is_rejected(
    raw: dict[str, Any], skew: int, beyond: timedelta, offset: int
) -> None:
    moment = NOW + timedelta(seconds=skew) + beyond
    raw["timestamp"] = moment.astimezone(timezone(timedelta(minutes=offset))).isoformat()
    errors = assert_rejected_at(raw, "timestamp", {"value_error"}, max_clock_skew_s=skew)
    assert "in the future" in errors[0]["msg"]
    assert f"allowed clock skew is {skew} s" in errors[0]["msg"]


@SCHEMAS
@given(
    raw=valid_events(),
    skew=st.integers(0, 86_400),
    fraction=st.floats(0, 1),
    as_unix=st.booleans(),
)
def test_timestamp_within_the_clock_skew_is_accepted(
    raw: dict[str, Any], skew: int, fraction: float, as_unix: bool
) -> None:
    moment = NOW + timedelta(seconds=int(skew * fraction))
    raw["timestamp"] = int(moment.timestamp()) if as_unix else moment.isoformat()
    (event,) = validate_events([raw], now=NOW, max_clock_skew_s=skew)
    assert event.timestamp == moment


@pytest.mark.parametrize(("ahead_s", "ok"), [(299, True), (300, True), (301, False)])
def test_default_clock_skew_is_300_seconds(ahead_s: int, ok: bool) -> None:
    raw = {**_minimal("spell_cast"), "timestamp": (NOW + timedelta(seconds=ahead_s)).isoformat()}
    if ok:
        validate_events([raw], now=NOW)
    else:
        assert_rejected_at(raw, "timestamp", {"value_error"})


def test_default_clock_is_the_real_clock() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=60)
    later = datetime.now(UTC) + timedelta(hours=1)
    validate_events([{**_minimal("spell_cast"), "timestamp": soon.isoformat()}])
    with pytest.raises(EventValidationError):
        validate_events([{**_minimal("spell_cast"), "timestamp": later.isoformat()}])


# --- robustness ---------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_extreme_datetimes = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.builds(
        timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
    ),
).map(datetime.isoformat)


@SCHEMAS
@given(
    raw=valid_events(),
    field=st.sampled_from(EVENT_FIELDS) | st.text(max_size=10),
    value=_json_values | _extreme_datetimes | st.integers(-(2**70), 2**70),
    skew=st.sampled_from([300.0, 0.0, 1e12, float("inf")]),
)
@example(
    raw={"event_type": "spell_cast"},
    field="timestamp",
    value="9999-12-31T23:00:00-05:00",
    skew=300.0,
)
@example(
    raw={"event_type": "spell_cast"}, field="timestamp", value="2020-01-01T00:00:00Z", skew=1e12
)
@example(
    raw={"event_type": "spell_cast"},
    field="ingestion_timestamp",
    value="0001-01-01T00:00:00+05:00",
    skew=300.0,
)
def test_any_value_in_any_field_is_accepted_or_rejected_never_a_crash(
    raw: dict[str, Any], field: str, value: Any, skew: float
) -> None:
    raw = {**_minimal(raw["event_type"]), **raw, field: value}
    for payload in (raw, _json_or_none(raw)):
        if payload is None:
            continue
        try:
            validate_events(
                [payload] if isinstance(payload, dict) else payload,
                now=NOW,
                max_clock_skew_s=skew,
            )
        except EventValidationError as exc:
            assert exc.errors()[0]["index"] == 0


def test_out_of_range_instant_after_utc_conversion_is_a_validation_error() -> None:
    """Regression: ``astimezone`` overflow used to escape as OverflowError (a 500, not a 400)."""
    raw = {**_minimal("spell_cast"), "timestamp": "9999-12-31T23:00:00-05:00"}
    assert_rejected_at(raw, "timestamp", {"value_error"}, max_clock_skew_s=float("inf"))


def test_huge_clock_skew_means_no_limit() -> None:
    """Regression: ``now + timedelta(skew)`` overflowed for skews beyond year 9999."""
    raw = {**_minimal("spell_cast"), "timestamp": "9000-01-01T00:00:00Z"}
    (event,) = validate_events([raw], now=NOW, max_clock_skew_s=1e12)
    assert event.timestamp.year == 9000


# --- helpers ------------------------------------------------------------------------------


def _minimal(event_type: str) -> dict[str, Any]:
    """The smallest valid event of a type."""
    raw: dict[str, Any] = {
        "event_type": event_type,
        "timestamp": "2024-05-01T20:15:00+02:00",
        "raid_id": "raid001",
        "source_player_id": "player-1",
        "source_player_name": "Thrall",
    }
    extra = {
        "combat_damage": {"damage_amount": 1500.0},
        "heal": {"healing_amount": 800.0},
        "player_death": {"target_entity_id": "player-2", "target_entity_name": "Jaina"},
        "mana_regeneration": {"resource_type": "mana"},
    }
    return {**raw, **extra.get(event_type, {})}


def _json_or_none(raw: dict[str, Any]) -> bytes | None:
    try:
        return json.dumps([raw], allow_nan=False).encode()
    except (ValueError, TypeError):
        return None
