"""Pydantic v2 models of the six raid event types (CONTRACT §1).

The wire form is one flat JSON object whose ``event_type`` selects the rules. Each type is its
own model in a discriminated union, so per-type rules (``damage_amount`` required and > 0 for
``combat_damage`` and so on) are plain field constraints: they hold whatever order the keys
arrive in, and a failure's ``loc`` names the field.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

RAID_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
# A prefix that generated ids ``<prefix>001`` … get: short enough that they stay valid raid ids.
RAID_PREFIX_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
DEFAULT_MAX_CLOCK_SKEW_S = 300.0

RoleName = Literal["tank", "healer", "dps"]
PlayerClassName = Literal[
    "warrior",
    "paladin",
    "hunter",
    "rogue",
    "priest",
    "shaman",
    "mage",
    "warlock",
    "druid",
    "death_knight",
    "monk",
    "demon_hunter",
    "evoker",
]
SchoolName = Literal["physical", "fire", "frost", "nature", "shadow", "arcane", "holy", "chaos"]
TargetTypeName = Literal["player", "boss", "add", "interactive"]
ResourceTypeName = Literal["mana", "energy", "rage", "focus", "runic_power"]
DifficultyName = Literal["normal", "heroic", "mythic", "lfr"]
EventType = Literal[
    "combat_damage", "heal", "player_death", "spell_cast", "boss_phase", "mana_regeneration"
]

EVENT_TYPES: tuple[str, ...] = get_args(EventType)
PLAYER_ROLES: tuple[str, ...] = get_args(RoleName)
PLAYER_CLASSES: tuple[str, ...] = get_args(PlayerClassName)
ABILITY_SCHOOLS: tuple[str, ...] = get_args(SchoolName)
TARGET_TYPES: tuple[str, ...] = get_args(TargetTypeName)
RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceTypeName)
DIFFICULTIES: tuple[str, ...] = get_args(DifficultyName)


class _Trimmed:
    """Trim a string before matching it against a ``Literal``, all inside pydantic-core.

    CONTRACT §1 trims strings, but ``str_strip_whitespace`` does not reach ``Literal`` fields
    (pydantic/pydantic#8597), and a Python validator per field would cost the receiver several
    percent. The JSON Schema stays the literal's ``enum``.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.chain_schema(
            [core_schema.str_schema(strip_whitespace=True), handler(source)]
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(schema["steps"][-1])


_TRIMMED = _Trimmed()
Role = Annotated[RoleName, _TRIMMED]
PlayerClass = Annotated[PlayerClassName, _TRIMMED]
School = Annotated[SchoolName, _TRIMMED]
TargetType = Annotated[TargetTypeName, _TRIMMED]
ResourceType = Annotated[ResourceTypeName, _TRIMMED]
Difficulty = Annotated[DifficultyName, _TRIMMED]

# Numbers and booleans are strict (CONTRACT §1 types): a JSON number for a float (an integer
# is one too), an integer without a fraction for an int, true/false for a bool. Lax mode took
# true as 1.0, "yes" or 1 as true and "5" as 5.0.
Amount = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False, strict=True)]
PositiveAmount = Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False, strict=True)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)]  # bronze holds int64


def _as_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; a result outside years 1..9999 is a validation error.

    ``astimezone`` raises ``OverflowError`` (not ``ValueError``) for e.g.
    ``9999-12-31T23:00:00-05:00``; Pydantic would let that escape as a crash, not a 400.
    """
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("datetime is out of range once converted to UTC") from None


_EVENT_TIME_SCHEMA: JsonSchemaValue = {
    "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
    "title": "Timestamp",
    "description": "ISO-8601 with a UTC offset, or unix seconds (CONTRACT §1)",
}
"""What a producer may send as ``timestamp``: Pydantic's own schema names the string form only."""


def _strings_only(value: Any) -> Any:
    """One error for a list with items that are not strings, not one per item: a list of a
    million numbers made a million errors, gigabytes of the receiver's memory (security
    audit). Anything else is left to the ``list[str]`` validation."""
    if isinstance(value, list):
        wrong = sum(1 for item in value if not isinstance(item, str))
        if wrong:
            first = next(i for i, item in enumerate(value) if not isinstance(item, str))
            raise ValueError(
                f"{wrong} of its {len(value)} items are not strings (the first at index {first})"
            )
    return value


class _EventBase(BaseModel):
    """Fields shared by every event type; subclasses pin ``event_type`` and tighten rules."""

    # A numeric timestamp is unix *seconds* (CONTRACT §1): pydantic would read a large one as
    # milliseconds (pydantic/pydantic#7940), so 1764740000000 became a date in 2025 instead of
    # a 400.
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, val_temporal_unit="seconds"
    )

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    timestamp: Annotated[AwareDatetime, WithJsonSchema(_EVENT_TIME_SCHEMA, mode="validation")]
    raid_id: Annotated[str, Field(pattern=RAID_ID_PATTERN)]
    encounter_id: str | None = None
    encounter_duration_ms: NonNegativeInt | None = None
    difficulty: Difficulty | None = None
    encounter_success: StrictBool | None = None

    source_player_id: Annotated[str, Field(min_length=1)]
    source_player_name: Annotated[str, Field(min_length=1, max_length=64)]
    source_player_role: Role | None = None
    source_player_class: PlayerClass | None = None
    source_player_level: Annotated[int, Field(ge=1, le=90, strict=True)] | None = None

    ability_id: str | None = None
    ability_name: str | None = None
    ability_school: School | None = None

    damage_amount: Amount | None = None
    healing_amount: Amount | None = None
    is_critical_hit: StrictBool = False
    critical_multiplier: Annotated[float, Field(ge=1, le=5, allow_inf_nan=False, strict=True)] = 1.0
    is_resisted: StrictBool = False
    is_blocked: StrictBool = False
    is_absorbed: StrictBool = False

    target_entity_id: str | None = None
    target_entity_name: str | None = None
    target_entity_type: TargetType | None = None
    target_entity_health_pct_before: Percent | None = None
    target_entity_health_pct_after: Percent | None = None

    resource_type: ResourceType | None = None
    resource_amount_before: NonNegativeFloat | None = None
    resource_amount_after: NonNegativeFloat | None = None
    resource_regeneration_rate: NonNegativeFloat | None = None

    ingestion_timestamp: datetime | None = None
    source_system: str = "wow-raid-addon-v1.2"
    data_quality_flags: Annotated[list[str], BeforeValidator(_strings_only)] = Field(
        default_factory=list
    )
    server_latency_ms: NonNegativeInt | None = None
    client_latency_ms: NonNegativeInt | None = None

    @field_validator("timestamp")
    @classmethod
    def _utc_and_not_in_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        """Normalise to UTC and reject clocks running ahead of the server's by more than the skew."""
        context = info.context or {}
        skew = float(context.get("max_clock_skew_s", DEFAULT_MAX_CLOCK_SKEW_S))
        now = context.get("now") or datetime.now(UTC)
        value = _as_utc(value)
        try:
            limit = now + timedelta(seconds=skew)
        except OverflowError:  # a skew beyond year 9999 (or inf) means "no limit"
            limit = datetime.max.replace(tzinfo=UTC)
        if value > limit:
            raise ValueError(
                f"timestamp is {(value - now).total_seconds():.0f} s in the future; "
                f"the allowed clock skew is {skew:.0f} s"
            )
        return value

    @field_validator("ingestion_timestamp")
    @classmethod
    def _ingestion_as_utc(cls, value: datetime | None) -> datetime | None:
        """The producer's clock: naive values are read as UTC (the original addon sent UTC)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return _as_utc(value)


class CombatDamageEvent(_EventBase):
    event_type: Literal["combat_damage"]
    damage_amount: PositiveAmount


class HealEvent(_EventBase):
    event_type: Literal["heal"]
    healing_amount: PositiveAmount


class PlayerDeathEvent(_EventBase):
    """``target_entity_*`` is the player who died; the source is the killer (often the boss)."""

    event_type: Literal["player_death"]
    target_entity_id: Annotated[str, Field(min_length=1)]
    target_entity_name: Annotated[str, Field(min_length=1)]
    # CONTRACT §1: the target is the player who died, so a boss/add/interactive type is a 400
    # (silver quarantines it too, as death_target_not_player, for bronze from other tools).
    target_entity_type: Annotated[Literal["player"], _TRIMMED] | None = None


class SpellCastEvent(_EventBase):
    event_type: Literal["spell_cast"]


class BossPhaseEvent(_EventBase):
    event_type: Literal["boss_phase"]


class ManaRegenerationEvent(_EventBase):
    event_type: Literal["mana_regeneration"]
    resource_type: ResourceType


Event = Annotated[
    CombatDamageEvent
    | HealEvent
    | PlayerDeathEvent
    | SpellCastEvent
    | BossPhaseEvent
    | ManaRegenerationEvent,
    Field(discriminator="event_type"),
]
"""Any one raid event; validate through :data:`EventAdapter` or :data:`EventListAdapter`."""

EventAdapter: TypeAdapter[Any] = TypeAdapter(Event)
EventListAdapter: TypeAdapter[list[Any]] = TypeAdapter(list[Event])

EVENT_MODELS: dict[str, type[_EventBase]] = {
    "combat_damage": CombatDamageEvent,
    "heal": HealEvent,
    "player_death": PlayerDeathEvent,
    "spell_cast": SpellCastEvent,
    "boss_phase": BossPhaseEvent,
    "mana_regeneration": ManaRegenerationEvent,
}

EVENT_FIELDS: tuple[str, ...] = ("event_type", *_EventBase.model_fields)
"""Every wire field, in a stable order (bronze and silver column order)."""
