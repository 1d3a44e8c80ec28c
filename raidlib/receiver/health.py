"""``GET /health``: liveness plus the counters an operator looks at first."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from raidlib.receiver.state import receiver_state

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    state = receiver_state()
    settings = state.settings
    storage = state.stats.storage()
    return jsonify(
        {
            # Still 200 when degraded (CONTRACT §2): the process is alive and answers; a
            # monitor reads "status" and "storage" for whether batches are landing.
            "status": "degraded" if storage["status"] == "failing" else "ok",
            "service": "raidlib-receiver",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "bronze_root": state.lake.url("bronze"),
            "storage": storage,
            "auth_required": bool(settings.auth_token),
            "limits": {
                "max_events_per_request": settings.max_events_per_request,
                "max_request_bytes": settings.max_request_bytes,
                "max_clock_skew_s": settings.max_clock_skew_s,
            },
            "ingest": state.stats.snapshot(),
            "stream": {
                "clients": state.broker.client_count,
                "dropped_events": state.broker.dropped_events,
                "queue_size": state.broker.capacity,
            },
        }
    )
