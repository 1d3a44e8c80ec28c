"""The receiver's Flask app factory (CONTRACT §2)."""

from __future__ import annotations

import logging

from flask import Flask, json, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from raidlib.lake.bronze_writer import BronzeWriter
from raidlib.lake.lake import Lake
from raidlib.receiver import health, ingest, stream
from raidlib.receiver.broker import EventBroker
from raidlib.receiver.parsing import BatchParser
from raidlib.receiver.state import EXTENSION_KEY, ReceiverState
from raidlib.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, lake: Lake | None = None) -> Flask:
    """Build a receiver app.

    Args:
        settings: limits, auth token, SSE knobs (default: ``Settings()`` from the environment).
        lake: where bronze lives (default: ``Lake.from_settings(settings)``).

    The bronze writer, parser, SSE broker and counters live in
    ``app.extensions["raidlib.receiver"]`` (see :func:`raidlib.receiver.state.receiver_state`).
    """
    settings = settings or Settings()
    lake = lake or Lake.from_settings(settings)
    app = Flask("raidlib.receiver", static_folder=None)
    # One byte over the cap: werkzeug stops a body without Content-Length *at* its limit without
    # an error (pallets/werkzeug#2620), so reading limit + 1 bytes is how the ingest view tells
    # "too large" apart.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes + 1
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = ReceiverState(
        settings=settings,
        lake=lake,
        writer=BronzeWriter(lake),
        parser=BatchParser(settings.max_events_per_request),
        broker=EventBroker(
            settings.sse_queue_size,
            max_subscribers=settings.sse_max_clients,
            capacity_bytes=settings.sse_queue_bytes,
        ),
    )
    app.register_blueprint(ingest.bp)
    app.register_blueprint(stream.bp)
    app.register_blueprint(health.bp)
    _register_error_handlers(app)
    app.after_request(_options_without_body)
    return app


def _options_without_body(response: Response) -> Response:
    """Flask answers ``OPTIONS`` itself with an empty ``text/html`` 200; the receiver never
    sends HTML, so that answer becomes ``204 No Content`` with its ``Allow`` header."""
    automatic = response.status_code == 200 and not response.is_streamed
    if request.method == "OPTIONS" and automatic and not response.get_data():
        response.status_code = 204
        del response.headers["Content-Type"]
    return response


def _json_error(error: HTTPException) -> Response:
    """Any HTTP error as JSON, keeping its headers (``Allow`` on 405 …)."""
    response = error.get_response()
    code = error.code or 500
    status = (error.name or "error").lower().replace(" ", "_").replace("'", "")
    response.data = json.dumps({"status": status, "error": error.description, "code": code})
    response.content_type = "application/json"
    return response


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _json_error)

    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error", exc_info=error)
        return _json_error(InternalServerError())

    app.register_error_handler(Exception, unexpected)
