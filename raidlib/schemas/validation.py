"""Validate many events at once and turn Pydantic's errors into the receiver's error shape.

Errors are reported per event index with a ``loc`` that names the field as a user sent it: the
discriminated union's tag (``combat_damage`` …) is dropped from the location, and a bad or
missing ``event_type`` is reported at ``["event_type"]`` rather than at the object.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from raidlib.schemas.events import DEFAULT_MAX_CLOCK_SKEW_S, EVENT_TYPES, EventListAdapter

_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}


class EventValidationError(ValueError):
    """Some events of a batch are invalid; holds every error, grouped by event index."""

    def __init__(self, errors_by_index: dict[int, list[dict[str, Any]]], total: int) -> None:
        self.errors_by_index = dict(sorted(errors_by_index.items()))
        self.total = total
        first = next(iter(self.errors_by_index.items()), (None, []))
        detail = (
            f"; event {first[0]}: {first[1][0]['msg']} at {first[1][0]['loc']}" if first[1] else ""
        )
        super().__init__(f"{self.invalid_count} of {total} events are invalid{detail}")

    @property
    def invalid_count(self) -> int:
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
        if isinstance(data, (bytes, str)):
            return EventListAdapter.validate_json(data, context=context)
        return EventListAdapter.validate_python(data, context=context)
    except ValidationError as exc:
        grouped = group_list_errors(exc)
        if not grouped:
            first = exc.errors(include_url=False)[0]
            raise ValueError(f"not a JSON array of events: {first['msg']}") from exc
        total = _count_elements(data)
        raise EventValidationError(grouped, total) from exc


def _count_elements(data: bytes | str | list[Any]) -> int:
    """Length of the array (error path only, so a second parse is affordable)."""
    if isinstance(data, list):
        return len(data)
    import json

    try:
        parsed = json.loads(data)
    except ValueError:
        return 0
    return len(parsed) if isinstance(parsed, list) else 0
