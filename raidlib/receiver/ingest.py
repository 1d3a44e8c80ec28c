"""``POST /events``: validate all or nothing, land in bronze, acknowledge, then fan out to SSE.

Order of checks: auth (401) → content type (400) → charset (400) → Content-Encoding (415) →
declared size (413, before reading) → capped read (413) → validation (400/413) → landing (201,
200 duplicate, 503 when storage fails, 500 when the batch's manifest in bronze is damaged).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from raidlib.lake import LakeDataError
from raidlib.lake.bronze_lines import EncodedEvents, format_ingest_timestamp
from raidlib.receiver.auth import check_auth
from raidlib.receiver.parsing import BadBatch
from raidlib.receiver.responses import json_error
from raidlib.receiver.state import ReceiverState, receiver_state
from raidlib.schemas.validation import validation_context

log = logging.getLogger(__name__)

bp = Blueprint("ingest", __name__)


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _read_body(state: ReceiverState) -> bytes:
    """The request body, refusing (413) anything over ``max_request_bytes`` before or while reading."""
    limit = state.settings.max_request_bytes
    too_large = BadBatch(
        413,
        {
            "status": "payload_too_large",
            "error": f"the request body exceeds {limit} bytes",
            "max_bytes": limit,
        },
    )
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large
    # create_app sets MAX_CONTENT_LENGTH = limit + 1, so werkzeug's stream also stops a chunked
    # body (no Content-Length) one byte past the limit instead of buffering all of it
    # (pallets/werkzeug#2620).
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(body) > limit:
        raise too_large
    return body


@bp.post("/events")
def post_events() -> ResponseReturnValue:
    state = receiver_state()
    refused = _refusal(state)
    if refused is not None:
        return refused
    try:
        body = _read_body(state)
        batch = state.parser.parse(body, validation_context(state.settings.max_clock_skew_s))
    except BadBatch as bad:
        state.stats.add(batches_rejected=1)
        response = jsonify(bad.payload)
        response.status_code = bad.status_code
        return response

    batch_id = batch.batch_id or str(uuid.uuid4())
    ingested_at = datetime.now(UTC)
    encoded = EncodedEvents.from_models(batch.events)
    try:
        landed = state.writer.land(
            encoded, batch_id=batch_id, source=batch.source, ingest_timestamp=ingested_at
        )
    except LakeDataError as exc:  # not transient: a 503 would have clients retry it forever
        log.error("batch %s not landed: %s", batch_id, exc)
        return _manifest_damaged(batch_id)
    except Exception as exc:  # any storage error: nothing is acknowledged, the client retries
        log.exception("storage failed for batch %s", batch_id)
        state.stats.storage_failed(exc)
        return _storage_failed(batch_id, exc)
    state.stats.storage_succeeded()

    if landed.duplicate:
        state.stats.add(batches_duplicate=1)
        return jsonify(
            {
                "status": "duplicate",
                "batch_id": batch_id,
                "events_received": len(encoded),
                "storage": {"status": "already_landed", "paths": list(landed.paths)},
                "timestamp": landed.ingest_timestamp,
            }
        )

    state.stats.add(batches_accepted=1, events_accepted=len(encoded))
    state.broker.publish(encoded.lines)
    response = jsonify(
        {
            "status": "accepted",
            "batch_id": batch_id,
            "events_received": len(encoded),
            "storage": {"status": "success", "paths": list(landed.paths)},
            "timestamp": format_ingest_timestamp(ingested_at),
        }
    )
    response.status_code = 201
    return response


def _refusal(state: ReceiverState) -> Response | None:
    """The answer to a request refused before its body is read (auth, content type, charset,
    encoding), or ``None`` to go on."""
    denied = check_auth(state)
    if denied is not None:
        return denied
    if not _is_json(request.mimetype):
        state.stats.add(batches_rejected=1)
        return json_error(
            400,
            "unsupported_content_type",
            f"Content-Type must be application/json, got {request.mimetype or 'none'!r}",
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        state.stats.add(batches_rejected=1)
        return json_error(400, "unsupported_content_type", f"the body must be UTF-8, not {charset}")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):  # never guess: a compressed body is not JSON text
        state.stats.add(batches_rejected=1)
        return json_error(
            415,
            "unsupported_content_encoding",
            f"Content-Encoding {encoding!r} is not supported; send the JSON uncompressed",
        )
    return None


def _manifest_damaged(batch_id: str) -> Response:
    """500 without Retry-After: whether the batch landed cannot be read until an operator
    repairs its manifest (the log names the file and how), so nothing is acknowledged."""
    return json_error(
        500,
        "bronze_manifest_damaged",
        f"the bronze manifest of batch {batch_id} is damaged, so whether the batch landed "
        "cannot be told; the receiver's log names the file and its repair. Sending the batch "
        "again does not help until it is repaired",
        batch_id=batch_id,
        storage={"status": "failed"},
    )


def _storage_failed(batch_id: str, exc: Exception) -> Response:
    """503 with Retry-After: nothing of the batch was acknowledged, so the client retries."""
    response = json_error(
        503,
        "storage_failed",
        f"the batch could not be written to bronze ({type(exc).__name__}); retry later",
        batch_id=batch_id,
        storage={"status": "failed"},
    )
    response.headers["Retry-After"] = "1"
    return response
