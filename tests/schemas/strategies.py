"""Hypothesis strategies for raw wire events (plain JSON-able dicts, as a producer sends them).

``valid_events()`` draws every shape the contract accepts: all six types, each optional field
absent / null / set, keys in random order, timestamps as ISO-8601 with a random offset or as
unix seconds, free-text strings padded with whitespace the models must trim.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from raidlib.schemas.events import (
    ABILITY_SCHOOLS,
    DIFFICULTIES,
    EVENT_TYPES,
    PLAYER_CLASSES,
    PLAYER_ROLES,
    RESOURCE_TYPES,
    TARGET_TYPES,
)
from raidlib.schemas.whitespace import WHITESPACE

# Fixed clock for validate_events(now=...): timestamps are drawn well before it.
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MIN_TS = datetime(2015, 1, 1)
MAX_TS = datetime(2025, 5, 1)

# Whitespace both Python's str.strip and pydantic-core's (Rust) trim remove.
PADDING = st.text(alphabet=" \t\n\r", max_size=3)

FREE_TEXT_FIELDS = (
    "source_player_id",
    "source_player_name",
    "encounter_id",
    "ability_id",
    "ability_name",
    "target_entity_id",
    "target_entity_name",
    "source_system",
)

_core_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20
).filter(lambda s: s[0] not in WHITESPACE and s[-1] not in WHITESPACE)
# (U+001C–U+001F are kept: Python's isspace() but not the receiver's whitespace.)


def core_text(max_size: int = 20) -> st.SearchStrategy[str]:
    """Non-empty text without leading/trailing whitespace (what survives trimming)."""
    return _core_text.filter(lambda s: len(s) <= max_size)


def padded(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``core`` with random whitespace around it; the model must store exactly ``core``."""
    return st.tuples(PADDING, core, PADDING).map("".join)


raid_ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")


# Strategies are built once, at import: building them inside a draw costs more than drawing.
_moments = st.datetimes(min_value=MIN_TS, max_value=MAX_TS)
_timestamp_forms = st.sampled_from(["offset", "z", "unix_int", "unix_float"])
_offset_minutes = st.integers(-12 * 60, 14 * 60)


@st.composite
def timestamps(draw: st.DrawFn) -> Any:
    """A timezone-aware instant as the wire carries it: ISO-8601 with an offset, or unix seconds."""
    utc = draw(_moments).replace(tzinfo=UTC)
    form = draw(_timestamp_forms)
    if form == "unix_int":
        return int(utc.replace(microsecond=0).timestamp())
    if form == "unix_float":
        return round(utc.timestamp(), 3)
    if form == "z":
        return utc.replace(tzinfo=None).isoformat() + "Z"
    minutes = draw(_offset_minutes)
    local = utc + timedelta(minutes=minutes)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"{local.replace(tzinfo=None).isoformat()}{sign}{hh:02d}:{mm:02d}"


def instant_of(wire: Any) -> datetime:
    """The UTC instant a wire timestamp (as drawn by :func:`timestamps`) denotes."""
    if isinstance(wire, int | float):
        return datetime.fromtimestamp(wire, UTC)
    return datetime.fromisoformat(wire).astimezone(UTC)


amounts = st.floats(min_value=0, max_value=1e9, allow_nan=False)
positive_amounts = st.floats(min_value=0, max_value=1e9, exclude_min=True, allow_nan=False)
percents = st.floats(min_value=0, max_value=100, allow_nan=False)
non_negative_floats = st.floats(min_value=0, max_value=1e12, allow_nan=False)
non_negative_ints = st.integers(min_value=0, max_value=2**53)

# Optional fields: value strategy, and whether ``null`` is also a valid value.
OPTIONAL_FIELDS: dict[str, tuple[st.SearchStrategy[Any], bool]] = {
    "event_id": (st.uuids().map(str), False),
    "encounter_id": (padded(core_text()), True),
    "encounter_duration_ms": (non_negative_ints, True),
    "difficulty": (st.sampled_from(DIFFICULTIES), True),
    "encounter_success": (st.booleans(), True),
    "source_player_role": (st.sampled_from(PLAYER_ROLES), True),
    "source_player_class": (st.sampled_from(PLAYER_CLASSES), True),
    "source_player_level": (st.integers(1, 90), True),
    "ability_id": (padded(core_text()), True),
    "ability_name": (padded(core_text()), True),
    "ability_school": (st.sampled_from(ABILITY_SCHOOLS), True),
    "damage_amount": (amounts, True),
    "healing_amount": (amounts, True),
    "is_critical_hit": (st.booleans(), False),
    "critical_multiplier": (st.floats(1, 5), False),
    "is_resisted": (st.booleans(), False),
    "is_blocked": (st.booleans(), False),
    "is_absorbed": (st.booleans(), False),
    "target_entity_id": (padded(core_text()), True),
    "target_entity_name": (padded(core_text()), True),
    "target_entity_type": (st.sampled_from(TARGET_TYPES), True),
    "target_entity_health_pct_before": (percents, True),
    "target_entity_health_pct_after": (percents, True),
    "resource_type": (st.sampled_from(RESOURCE_TYPES), True),
    "resource_amount_before": (non_negative_floats, True),
    "resource_amount_after": (non_negative_floats, True),
    "resource_regeneration_rate": (non_negative_floats, True),
    "ingestion_timestamp": (timestamps(), True),
    "source_system": (padded(core_text()), False),
    "data_quality_flags": (st.lists(padded(core_text(10)), max_size=3), False),
    "server_latency_ms": (non_negative_ints, True),
    "client_latency_ms": (non_negative_ints, True),
}

# The fields each type requires beyond the common ones (CONTRACT §1), with their strategies.
TYPE_REQUIRED: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "combat_damage": {"damage_amount": positive_amounts},
    "heal": {"healing_amount": positive_amounts},
    "player_death": {
        "target_entity_id": padded(core_text()),
        "target_entity_name": padded(core_text()),
    },
    "spell_cast": {},
    "boss_phase": {},
    "mana_regeneration": {"resource_type": st.sampled_from(RESOURCE_TYPES)},
}


_event_types = st.sampled_from(EVENT_TYPES)
_wire_timestamps = timestamps()
_player_ids = padded(core_text())
_player_names = padded(core_text(64))
_nullable_choice = st.sampled_from(["absent", "value", "null"])
_plain_choice = st.sampled_from(["absent", "value"])


@st.composite
def valid_events(draw: st.DrawFn, event_type: str | None = None) -> dict[str, Any]:
    """One valid raw event (a JSON-able dict) with its keys in random order."""
    kind = event_type or draw(_event_types)
    event: dict[str, Any] = {
        "event_type": kind,
        "timestamp": draw(_wire_timestamps),
        "raid_id": draw(raid_ids),
        "source_player_id": draw(_player_ids),
        "source_player_name": draw(_player_names),
    }
    for name, (values, nullable) in OPTIONAL_FIELDS.items():
        choice = draw(_nullable_choice if nullable else _plain_choice)
        if choice == "value":
            event[name] = draw(values)
        elif choice == "null":
            event[name] = None
    for name, values in TYPE_REQUIRED[kind].items():
        event[name] = draw(values)
    if kind == "player_death" and event.get("target_entity_type") not in (None, "player"):
        event["target_entity_type"] = "player"  # the target is the player who died
    order = draw(st.permutations(list(event)))
    return {key: event[key] for key in order}
