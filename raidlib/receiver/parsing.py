"""Request bytes → validated batch, or a :class:`BadBatch` carrying the exact 400/413 answer.

Validation runs once, in pydantic-core, straight from the request bytes: a bare JSON array goes
through ``list[Event]``, an object through the envelope ``{"batch_id", "source", "events"}``.
Both cap the list length in the schema, so an oversized batch stops at the first event past the
cap (413) instead of being validated in full. Everything below the happy path only runs for bad
input, where a second ``json.loads`` to describe the problem is affordable, and so does the one
retry with ``event_type``/``event_id``/timestamps trimmed (pydantic-core cannot trim those).
"""

from __future__ import annotations

import codecs
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from raidlib.schemas.events import EVENT_FIELDS, Event, EventAdapter
from raidlib.schemas.validation import EventValidationError, normalise_error, trimmed_json

MAX_REPORTED_EVENTS = 20

EXPLAINED_IN_FULL = 1_000
"""A body with more errors than this is explained from its first invalid events only, each with
at most :data:`MAX_ERRORS_PER_EVENT` errors: one event whose ``data_quality_flags`` held a
million numbers got a 197 MB answer and held 2.7 GB of the receiver's memory (security audit)."""

MAX_ERRORS_PER_EVENT = 20


class BadBatch(Exception):
    """The request cannot be accepted; ``status_code`` and ``payload`` are the JSON answer."""

    def __init__(self, status_code: int, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("error", payload.get("status", "bad request")))
        self.status_code = status_code
        self.payload = payload


@dataclass(frozen=True)
class ParsedBatch:
    """Validated events (non-empty) and the envelope's optional ``batch_id`` and ``source``."""

    events: list[Any]
    batch_id: str | None = None
    source: str | None = None


def _json_kind(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


class BatchParser:
    """Validates request bodies against the event models with a per-request event cap."""

    def __init__(self, max_events: int) -> None:
        self.max_events = max_events
        events_field = Annotated[list[Event], Field(min_length=1, max_length=max_events)]

        class Envelope(BaseModel):
            model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

            # CONTRACT §2: a UUID. Any spelling uuid.UUID parses (upper case, no hyphens) is
            # the same batch, kept in its canonical form, so a respelt retry is a duplicate.
            batch_id: uuid.UUID | None = None
            source: Annotated[str, Field(min_length=1, max_length=128)] | None = None
            events: events_field  # type: ignore[valid-type]

        class EnvelopeFields(Envelope):
            """The envelope with its events unchecked: its own errors, found on their own."""

            events: list[Any]  # type: ignore[assignment]

        self._envelope = Envelope
        self._envelope_fields = EnvelopeFields
        self._bare: TypeAdapter[list[Any]] = TypeAdapter(events_field)

    def parse(self, body: bytes, context: dict[str, Any]) -> ParsedBatch:
        """Validate ``body`` (all or nothing).

        Raises:
            BadBatch: 400 for malformed JSON, a body that is neither array nor object, an empty
                list, an invalid envelope or invalid events; 413 for too many events.
        """
        head = body.lstrip()[:1]
        if not head:
            raise BadBatch(400, {"status": "empty_body", "error": "the request body is empty"})
        if head not in (b"[", b"{"):
            self._reject_non_container(body)
        enveloped = head == b"{"
        try:
            return self._validate(body, enveloped, context)
        except ValidationError as exc:
            bad = self._explain(exc, body, enveloped=enveloped, context=context)
        # Events that fail only for spaces around event_type, event_id or a timestamp are
        # valid once trimmed (CONTRACT §1); only a failed batch pays for this second pass.
        retry = (
            trimmed_json(body, "events" if enveloped else None)
            if bad.payload["status"] == "validation_failed"
            else None
        )
        if retry is None:
            raise bad
        try:
            return self._validate(retry, enveloped, context)
        except ValidationError as exc:
            raise self._explain(exc, retry, enveloped=enveloped, context=context) from None

    def _validate(self, body: bytes, enveloped: bool, context: dict[str, Any]) -> ParsedBatch:
        if not enveloped:
            return ParsedBatch(events=self._bare.validate_json(body, context=context))
        envelope = self._envelope.model_validate_json(body, context=context)
        batch_id = None if envelope.batch_id is None else str(envelope.batch_id)
        return ParsedBatch(envelope.events, batch_id, envelope.source)

    # -- error path -------------------------------------------------------------------------

    @staticmethod
    def _reject_non_container(body: bytes) -> None:
        if body.startswith(codecs.BOM_UTF8):
            raise BadBatch(
                400,
                {"status": "invalid_json", "error": "the body must be UTF-8 JSON without a BOM"},
            )
        not_utf8 = _not_utf8(body)
        if not_utf8 is not None:
            raise not_utf8
        try:
            # Strict UTF-8 (``json.loads(bytes)`` would also guess UTF-16/32); nesting too deep
            # for Python's parser is malformed input too, never a 500.
            value = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise BadBatch(
                400, {"status": "invalid_json", "error": f"malformed JSON: {exc}"}
            ) from None
        raise BadBatch(
            400,
            {
                "status": "invalid_body",
                "error": "the body must be a JSON array of events or an object "
                f'{{"batch_id", "source", "events"}}, got {_json_kind(value)}',
            },
        )

    def _too_many_events(self) -> BadBatch:
        return BadBatch(
            413,
            {
                "status": "payload_too_large",
                "error": f"at most {self.max_events} events per request",
                "max_events": self.max_events,
            },
        )

    def _explain(
        self, exc: ValidationError, body: bytes, *, enveloped: bool, context: dict[str, Any]
    ) -> BadBatch:
        if exc.error_count() > EXPLAINED_IN_FULL:
            brief = self._explain_briefly(body, enveloped, context)
            if brief is not None:
                return brief
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        list_loc: tuple[Any, ...] = ("events",) if enveloped else ()
        for err in errors:
            if err["type"] == "json_invalid":
                not_utf8 = _not_utf8(body)
                if not_utf8 is not None:
                    return not_utf8
                return BadBatch(400, {"status": "invalid_json", "error": err["msg"]})
        for err in errors:
            if tuple(err["loc"]) == list_loc and err["type"] == "too_long":
                return self._too_many_events()
        event_errors = [e for e in errors if _is_event_error(e["loc"], enveloped)]
        other_errors = [e for e in errors if not _is_event_error(e["loc"], enveloped)]
        if (
            len(other_errors) == 1
            and other_errors[0]["type"] == "too_short"
            and tuple(other_errors[0]["loc"]) == list_loc
        ):
            return BadBatch(400, {"status": "empty_batch", "error": "the batch holds no events"})
        if other_errors:
            return _body_rejected(other_errors, enveloped)
        events = _events_sent(body, enveloped)
        grouped = _group_by_index(event_errors, events, offset=1 if enveloped else 0)
        total = 0 if events is None else len(events)
        return _validation_failed(EventValidationError(grouped, total))

    def _explain_briefly(
        self, body: bytes, enveloped: bool, context: dict[str, Any]
    ) -> BadBatch | None:
        """The answer for a body with too many errors to list, from its events one at a time:
        every invalid event counted, the first :data:`MAX_REPORTED_EVENTS` described. None
        when the body is not a list of events after all (the full explanation then runs)."""
        try:
            value = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):
            return None
        events = value.get("events") if enveloped and isinstance(value, dict) else value
        if not isinstance(events, list):
            return None
        if enveloped:  # the envelope's own errors come first, as in the full explanation
            try:
                self._envelope_fields.model_validate(value)
            except ValidationError as exc:
                errors = exc.errors(include_url=False, include_context=False, include_input=False)
                return _body_rejected(errors, enveloped)
        if len(events) > self.max_events:
            return self._too_many_events()
        described: dict[int, list[dict[str, Any]]] = {}
        invalid = 0
        for index, event in enumerate(events):
            listed = _event_errors(event, context, describe=len(described) < MAX_REPORTED_EVENTS)
            if listed is not None:
                invalid += 1
                if listed:
                    described[index] = listed
        if not invalid:
            return None
        return _validation_failed(EventValidationError(described, len(events), invalid))


_WIDE_BOMS = (codecs.BOM_UTF32_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)


def _not_utf8(body: bytes) -> BadBatch | None:
    """The 400 for a body that is not UTF-8, naming the first byte that shows it; ``None`` for
    UTF-8. Pydantic said "invalid unicode code point at line 1 column 54" (Latin-1), Python
    "'utf-8' codec can't decode byte 0xff" (UTF-16 with a byte-order mark).

    UTF-16 or UTF-32 without a byte-order mark can be valid UTF-8 (``[`` is ``5B 00`` in
    UTF-16LE), but JSON text holds no NUL byte: one in the first four bytes is how RFC 4627
    §3 tells those encodings apart, and is named instead.
    """
    if body.startswith(_WIDE_BOMS):
        offset, hint = 0, ", a UTF-16 or UTF-32 byte-order mark"
    elif b"\x00" in body[:4]:
        offset, hint = body.index(b"\x00"), ", as in UTF-16 or UTF-32"
    else:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            offset, hint = exc.start, ""
        else:
            return None
    return BadBatch(
        400,
        {
            "status": "invalid_json",
            "error": f"the body is not UTF-8 (byte 0x{body[offset]:02x} at offset {offset}{hint}): "
            "send UTF-8 JSON",
        },
    )


def _body_rejected(errors: Sequence[Mapping[str, Any]], enveloped: bool) -> BadBatch:
    """The 400 for errors of the body itself (the envelope's fields), not of its events."""
    shaped = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    first = shaped[0]
    where = ".".join(map(str, first["loc"])) or "body"
    error = f"{where}: {first['msg']}"
    if enveloped and any(e["loc"] == ["event_type"] for e in shaped):
        error = (
            "the body is one event, not a batch: send a JSON array of events "
            '([{...}]) or an envelope {"events": [...]}'
        )
    return BadBatch(
        400,
        {
            "status": "invalid_envelope" if enveloped else "invalid_body",
            "error": error,
            "errors": shaped,
        },
    )


def _validation_failed(failure: EventValidationError) -> BadBatch:
    return BadBatch(
        400,
        {
            "status": "validation_failed",
            "error": str(failure),
            "valid_count": failure.valid_count,
            "invalid_count": failure.invalid_count,
            "errors": failure.errors(MAX_REPORTED_EVENTS),
        },
    )


def _event_errors(
    event: Any, context: dict[str, Any], *, describe: bool
) -> list[dict[str, Any]] | None:
    """None for a valid event; else its first :data:`MAX_ERRORS_PER_EVENT` errors (``[]``
    unless ``describe``), and one line saying how many more there are.

    An event with too many errors is described from a copy cut down to its known fields and 20
    unknown ones (a list field gives one error, see the event models), so the errors listed are
    its first ones without every error of the whole event ever becoming a Python object."""
    try:
        EventAdapter.validate_json(json.dumps(event), context=context)
    except ValidationError as exc:
        count = exc.error_count()
        if not describe:
            return []
        sample = exc if count <= MAX_ERRORS_PER_EVENT else _sample_errors(event, context)
        listed = [] if sample is None else _normalised(sample, event)[:MAX_ERRORS_PER_EVENT]
        if count > len(listed):
            more = count - len(listed)
            listed.append(
                {"loc": [], "msg": f"{more} more errors, not listed", "type": "too_many_errors"}
            )
        return listed
    return None


def _normalised(exc: ValidationError, event: Any) -> list[dict[str, Any]]:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    return [normalise_error(dict(e), event) for e in errors]


def _sample_errors(event: Any, context: dict[str, Any]) -> ValidationError | None:
    if not isinstance(event, dict):
        return None
    unknown = [key for key in event if key not in EVENT_FIELDS][:MAX_ERRORS_PER_EVENT]
    cut = {key: value for key, value in event.items() if key in EVENT_FIELDS or key in unknown}
    try:
        EventAdapter.validate_json(json.dumps(cut), context=context)
    except ValidationError as exc:
        return exc
    return None


def _is_event_error(loc: tuple[Any, ...], enveloped: bool) -> bool:
    if enveloped:
        return len(loc) >= 2 and loc[0] == "events" and isinstance(loc[1], int)
    return bool(loc) and isinstance(loc[0], int)


def _group_by_index(
    event_errors: Sequence[Mapping[str, Any]], events: list[Any] | None, *, offset: int
) -> dict[int, list[dict[str, Any]]]:
    """``("events", i, field…)`` or ``(i, field…)`` → ``{i: [{"loc": [field…], …}]}``;
    ``events`` is the list as sent, which some messages quote (see ``normalise_error``)."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for err in event_errors:
        loc = tuple(err["loc"])
        index = loc[offset]
        event = events[index] if events is not None and index < len(events) else None
        error = normalise_error({**err, "loc": loc[offset + 1 :]}, event)
        grouped.setdefault(index, []).append(error)
    return grouped


def _events_sent(body: bytes, enveloped: bool) -> list[Any] | None:
    """The request's events as sent, ``None`` when they are no list (error path only)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if enveloped and isinstance(value, dict):
        value = value.get("events")
    return value if isinstance(value, list) else None
