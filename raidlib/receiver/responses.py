"""The receiver's JSON error answer: ``{"status": <code word>, "error": <why>, ...}``."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def json_error(status_code: int, status: str, message: str, **extra: Any) -> Response:
    """An error response naming the problem (CONTRACT §2: never an HTML page)."""
    response = jsonify({"status": status, "error": message, **extra})
    response.status_code = status_code
    return response
