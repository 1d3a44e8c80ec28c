"""Validate many events at once and turn Pydantic's errors into the receiver's error shape.

Errors are reported per event index with a ``loc`` that names the field as a user sent it: the
discriminated union's tag (``combat_damage`` …) is dropped from the location, and a bad or
missing ``event_type`` is reported at ``["event_type"]`` rather than at the object, with the
allowed types. A few messages name the value sent (an unknown ``event_type``, a timestamp in
milliseconds); they are rewritten here, on the error path, from the raw event, so valid
batches pay nothing for them.

CONTRACT §1 trims every string. The models trim inside pydantic-core, except in
:data:`UNTRIMMED_FIELDS`, whose types (the union tag, UUID, datetimes) take no trimming there;
a batch that fails validation is therefore validated once more with those fields trimmed
(:func:`trim_untrimmed_fields`), so valid batches pay nothing for it.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from raidlib.schemas.events import DEFAULT_MAX_CLOCK_SKEW_S, EVENT_TYPES, EventListAdapter
from raidlib.schemas.whitespace import WHITESPACE

_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}
_DATETIME_ERRORS = {"datetime_type", "datetime_parsing", "datetime_from_date_parsing"}
_TIMESTAMP_FIELDS = ("timestamp", "ingestion_timestamp")
_NUMBER_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]*)?")
# (unit, per second, earliest plausible date in unix seconds): a millisecond stamp is read as
# one from 1970 on, as the commonest mistake; a finer one (its range overlaps the millisecond
# one's) only from 2000 on, as telemetry this pipeline sees.
_EPOCH_UNITS = (
    ("milliseconds", 1e3, 0),
    ("microseconds", 1e6, 946_684_800),
    ("nanoseconds", 1e9, 946_684_800),
)
_YEAR_2100 = 4_102_444_800  # unix seconds of 2100-01-01T00:00:00Z
_UNIX_SECONDS = range(-62_135_596_800, 253_402_300_800)  # years 1 to 9999, as Python has them
_SHOWN_CHARS = 40

UNTRIMMED_FIELDS = ("event_type", "event_id", "timestamp", "ingestion_timestamp")
"""Event fields pydantic-core cannot trim before parsing them (see the module doc)."""


def trim_untrimmed_fields(events: Any) -> list[Any] | None:
    """``events`` with the string values of :data:`UNTRIMMED_FIELDS` stripped, or ``None`` when
    there is nothing to strip (or ``events`` is not a list). The input is not modified."""
    if not isinstance(events, list):
        return None
    trimmed, changed = [], False
    for event in events:
        if isinstance(event, dict):
            fixes = {
                key: value.strip(WHITESPACE)  # as pydantic-core trims the other fields
                for key in UNTRIMMED_FIELDS
                if isinstance(value := event.get(key), str) and value != value.strip(WHITESPACE)
            }
            if fixes:
                event, changed = {**event, **fixes}, True
        trimmed.append(event)
    return trimmed if changed else None


def trimmed_json(text: bytes | str, events_of: str | None = None) -> bytes | None:
    """The JSON ``text`` with its events trimmed, or ``None`` when nothing changes (error path).

    ``events_of`` names the key holding the events (an envelope); ``None``: the document is the
    list. Text that does not parse, or values JSON cannot carry back (NaN, infinities), also
    give ``None``.
    """
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if events_of is None:
        events = trim_untrimmed_fields(document)
        value: Any = events
    else:
        if not isinstance(document, dict):
            return None
        events = trim_untrimmed_fields(document.get(events_of))
        value = {**document, events_of: events}
    if events is None:
        return None
    try:
        return json.dumps(value, allow_nan=False).encode("utf-8")
    except (ValueError, RecursionError):
        return None


class EventValidationError(ValueError):
    """Some events of a batch are invalid; holds every error, grouped by event index."""

    def __init__(
        self,
        errors_by_index: dict[int, list[dict[str, Any]]],
        total: int,
        invalid_count: int | None = None,
    ) -> None:
        self.errors_by_index = dict(sorted(errors_by_index.items()))
        self.total = total
        self._invalid_count = invalid_count  # when errors_by_index holds only the first events
        first: tuple[int | None, list[dict[str, Any]]] = next(
            iter(self.errors_by_index.items()), (None, [])
        )
        detail = (
            f"; event {first[0]}: {first[1][0]['msg']} at {first[1][0]['loc']}" if first[1] else ""
        )
        super().__init__(f"{self.invalid_count} of {total} events are invalid{detail}")

    @property
    def invalid_count(self) -> int:
        if self._invalid_count is not None:
            return self._invalid_count
        return len(self.errors_by_index)

    @property
    def valid_count(self) -> int:
        return self.total - self.invalid_count

    def errors(self, max_events: int = 20) -> list[dict[str, Any]]:
        """The first ``max_events`` invalid events as ``[{"index": i, "errors": [...]}]``."""
        return [
            {"index": index, "errors": errs}
            for index, errs in list(self.errors_by_index.items())[:max_events]
        ]


def normalise_error(error: dict[str, Any], event: Any = None) -> dict[str, Any]:
    """One Pydantic error → ``{"loc", "msg", "type"}`` with the union tag removed from ``loc``.

    ``event`` is the event the error is about as it was sent (``None`` when unknown): messages
    that name the value sent are taken from it. ``loc`` and ``type`` are Pydantic's, always.
    """
    loc = list(error.get("loc", ()))
    if loc and loc[0] in EVENT_TYPES:
        loc = loc[1:]
    kind = error.get("type", "value_error")
    msg = error.get("msg", "")
    if kind in _TAG_ERRORS:
        loc = [*loc, "event_type"]
        msg = _event_type_message(kind, event)
    elif kind in _DATETIME_ERRORS and len(loc) == 1 and loc[0] in _TIMESTAMP_FIELDS:
        msg = _unix_time_message(loc[0], event) or msg
    return {"loc": loc, "msg": msg, "type": kind}


def _event_type_message(kind: str, event: Any) -> str:
    """A missing or unknown ``event_type``, with the allowed ones (Pydantic's message spoke of
    "discriminators" and "tags")."""
    allowed = ", ".join(EVENT_TYPES)
    if kind == "union_tag_not_found":
        return f"event_type is required: one of {allowed}"
    if isinstance(event, dict) and "event_type" in event:
        return f"event_type {_shown(event['event_type'])} is not one of {allowed}"
    return f"event_type is not one of {allowed}"


def _unix_time_message(field: str, event: Any) -> str | None:
    """The message for a ``field`` sent as a number that is no unix time in *seconds*, naming
    the unit it likely is; ``None`` for anything else (Pydantic's message stands).

    Pydantic answered the commonest producer mistake, unix milliseconds, with "dates after
    9999 are not supported as unix timestamps". A number that is a date between 1970 and 2100
    once divided by 1000 (or between 2000 and 2100 divided by 10**6, 10**9) is named as such;
    another number out of range is said to be so.
    """
    value: Any = event.get(field) if isinstance(event, dict) else None
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    # Trimmed as the receiver trims (``str.strip`` also drops U+001C..U+001F, which ``float``
    # refuses: a 500 in review)
    text = value.strip(WHITESPACE) if isinstance(value, str) else None
    if not (is_number or text is not None and _NUMBER_TEXT.fullmatch(text)):
        return None
    try:
        number = float(value if text is None else text)
    except OverflowError:  # an integer of over 308 digits
        number = math.inf
    if _UNIX_SECONDS.start <= number < _UNIX_SECONDS.stop:  # not a range error: Pydantic's
        return None
    fix = "send unix seconds or ISO-8601 with an offset"
    for unit, per_second, earliest in _EPOCH_UNITS:
        if earliest <= number / per_second < _YEAR_2100:
            return f"{field} {_shown(value)} looks like {unit} since the epoch: {fix}"
    return f"{field} {_shown(value)} is out of range for unix seconds (years 1 to 9999): {fix}"


def _shown(value: Any) -> str:
    """``value`` as JSON, cut short: a message never echoes a long input in full."""
    try:
        text = json.dumps(value)
    except TypeError:  # validate_events also takes Python objects
        return f"of type {type(value).__name__}"
    except (ValueError, RecursionError):  # more digits than int → str converts, deep nesting
        return "(too long to show)"
    return text if len(text) <= _SHOWN_CHARS else f"{text[: _SHOWN_CHARS - 1]}…"


def group_list_errors(
    exc: ValidationError, events: list[Any] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Group the errors of a ``list[Event]`` validation by the event index that caused them.

    ``events`` is the list as sent, when known (see :func:`normalise_error`).
    """
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = err.get("loc", ())
        if not loc or not isinstance(loc[0], int):
            continue
        event = events[loc[0]] if events is not None and loc[0] < len(events) else None
        grouped[loc[0]].append(normalise_error({**err, "loc": loc[1:]}, event))
    return grouped


def validation_context(
    max_clock_skew_s: float = DEFAULT_MAX_CLOCK_SKEW_S, now: datetime | None = None
) -> dict[str, Any]:
    """The context the models read their clock-skew rule from."""
    return {"max_clock_skew_s": max_clock_skew_s, "now": now or datetime.now(UTC)}


def validate_events(
    data: bytes | str | list[Any],
    *,
    max_clock_skew_s: float = DEFAULT_MAX_CLOCK_SKEW_S,
    now: datetime | None = None,
) -> list[Any]:
    """Validate a JSON array (bytes/str) or a list of dicts into event models, all or nothing.

    Raises:
        EventValidationError: at least one element is invalid (every error is kept).
        ValueError: the input is not a JSON array at all.
    """
    context = validation_context(max_clock_skew_s, now)
    try:
        return _validate_list(data, context)
    except ValidationError as exc:
        failure = exc
    retry = _trimmed(data)
    if retry is not None:
        try:
            return _validate_list(retry, context)
        except ValidationError as exc:  # what is still wrong once trimmed
            failure, data = exc, retry
    events = _as_list(data)
    grouped = group_list_errors(failure, events)
    if not grouped:
        first = failure.errors(include_url=False)[0]
        raise ValueError(f"not a JSON array of events: {first['msg']}") from failure
    raise EventValidationError(grouped, 0 if events is None else len(events)) from failure


def _validate_list(data: bytes | str | list[Any], context: dict[str, Any]) -> list[Any]:
    if isinstance(data, (bytes, str)):
        return EventListAdapter.validate_json(data, context=context)
    return EventListAdapter.validate_python(data, context=context)


def _trimmed(data: bytes | str | list[Any]) -> bytes | list[Any] | None:
    """``data`` with :data:`UNTRIMMED_FIELDS` trimmed, in the same form (error path only)."""
    return trim_untrimmed_fields(data) if isinstance(data, list) else trimmed_json(data)


def _as_list(data: bytes | str | list[Any]) -> list[Any] | None:
    """The array as sent, or ``None`` when it is none (error path only, so a second parse is
    affordable)."""
    if isinstance(data, list):
        return data
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, list) else None
