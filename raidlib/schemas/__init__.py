"""Wire contract: event models (CONTRACT §1) and their validation helpers."""

from __future__ import annotations

from raidlib.schemas.events import (
    ABILITY_SCHOOLS,
    EVENT_TYPES,
    PLAYER_CLASSES,
    PLAYER_ROLES,
    RESOURCE_TYPES,
    TARGET_TYPES,
    Event,
    EventAdapter,
    EventListAdapter,
)
from raidlib.schemas.validation import EventValidationError, validate_events

__all__ = [
    "ABILITY_SCHOOLS",
    "EVENT_TYPES",
    "PLAYER_CLASSES",
    "PLAYER_ROLES",
    "RESOURCE_TYPES",
    "TARGET_TYPES",
    "Event",
    "EventAdapter",
    "EventListAdapter",
    "EventValidationError",
    "validate_events",
]
