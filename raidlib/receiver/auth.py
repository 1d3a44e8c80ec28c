"""The optional shared secret: with ``auth_token`` set, ``POST /events`` and the event stream
need ``Authorization: Bearer <token>`` (the stream carries every accepted event)."""

from __future__ import annotations

import hmac

from flask import Response, request

from raidlib.receiver.responses import json_error
from raidlib.receiver.state import ReceiverState


def check_auth(state: ReceiverState) -> Response | None:
    """``None`` when the request may proceed, else the ``401`` JSON answer."""
    token = state.settings.auth_token
    if not token:
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    response = json_error(
        401, "unauthorized", "a valid 'Authorization: Bearer <token>' is required"
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="raidlib"'
    return response
