"""Validate many events at once and turn Pydantic's errors into the receiver's error shape.

Errors are reported per event index with a ``loc`` that names the field as a user sent it: the
discriminated union's tag (``combat_damage`` …) is dropped from the location, and a bad or
missing ``event_type`` is reported at ``["event_type"]`` rather than at the object.

CONTRACT §1 trims every string. The models trim inside pydantic-core, except in
:data:`UNTRIMMED_FIELDS`, whose types (the union tag, UUID, datetimes) take no trimming there;
a batch that fails validation is therefore validated once more with those fields trimmed
(:func:`trim_untrimmed_fields`), so valid batches pay nothing for it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from raidlib.schemas.events import DEFAULT_MAX_CLOCK_SKEW_S, EVENT_TYPES, EventListAdapter
from raidlib.schemas.whitespace import WHITESPACE

_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}

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


def normalise_error(error: dict[str, Any]) -> dict[str, Any]:
    """One Pydantic error → ``{"loc", "msg", "type"}`` with the union tag removed from ``loc``."""
    loc = list(error.get("loc", ()))
    if loc and loc[0] in EVENT_TYPES:
        loc = loc[1:]
    if error.get("type") in _TAG_ERRORS:
        loc = [*loc, "event_type"]
    return {"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "value_error")}


def group_list_errors(exc: ValidationError) -> dict[int, list[dict[str, Any]]]:
    """Group the errors of a ``list[Event]`` validation by the event index that caused them."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = err.get("loc", ())
        if not loc or not isinstance(loc[0], int):
            continue
        grouped[loc[0]].append(normalise_error({**err, "loc": loc[1:]}))
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
    grouped = group_list_errors(failure)
    if not grouped:
        first = failure.errors(include_url=False)[0]
        raise ValueError(f"not a JSON array of events: {first['msg']}") from failure
    raise EventValidationError(grouped, _count_elements(data)) from failure


def _validate_list(data: bytes | str | list[Any], context: dict[str, Any]) -> list[Any]:
    if isinstance(data, (bytes, str)):
        return EventListAdapter.validate_json(data, context=context)
    return EventListAdapter.validate_python(data, context=context)


def _trimmed(data: bytes | str | list[Any]) -> bytes | list[Any] | None:
    """``data`` with :data:`UNTRIMMED_FIELDS` trimmed, in the same form (error path only)."""
    return trim_untrimmed_fields(data) if isinstance(data, list) else trimmed_json(data)


def _count_elements(data: bytes | str | list[Any]) -> int:
    """Length of the array (error path only, so a second parse is affordable)."""
    if isinstance(data, list):
        return len(data)
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        return 0
    return len(parsed) if isinstance(parsed, list) else 0
