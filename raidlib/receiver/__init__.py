"""HTTP receiver: validate raid events, land them in bronze, stream them as SSE (CONTRACT §2)."""

from __future__ import annotations

from raidlib.receiver.app import create_app
from raidlib.receiver.broker import EventBroker
from raidlib.receiver.parsing import BadBatch, BatchParser, ParsedBatch
from raidlib.receiver.server import ReceiverServer, make_server

__all__ = [
    "BadBatch",
    "BatchParser",
    "EventBroker",
    "ParsedBatch",
    "ReceiverServer",
    "create_app",
    "make_server",
]
