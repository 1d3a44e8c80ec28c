"""What the receiver's blueprints share, kept in ``app.extensions`` (no module globals)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app

from raidlib.lake.bronze_writer import BronzeWriter
from raidlib.lake.lake import Lake
from raidlib.receiver.broker import EventBroker
from raidlib.receiver.parsing import BatchParser
from raidlib.settings import Settings

EXTENSION_KEY = "raidlib.receiver"


@dataclass
class IngestStats:
    """Counters for ``/health``; updated under a lock from request threads."""

    batches_accepted: int = 0
    batches_duplicate: int = 0
    batches_rejected: int = 0
    events_accepted: int = 0
    storage_failures: int = 0
    storage_ok: bool | None = None
    """Whether the latest write to bronze succeeded (None before the first)."""
    last_storage_failure: dict[str, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def storage_succeeded(self) -> None:
        with self._lock:
            self.storage_ok = True

    def storage_failed(self, exc: BaseException) -> None:
        with self._lock:
            self.storage_failures += 1
            self.storage_ok = False
            self.last_storage_failure = {
                "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                # The type only, as in the 503 itself: /health needs no token, and the
                # message (paths, bucket) is in the receiver's log.
                "error": type(exc).__name__,
            }

    def storage(self) -> dict[str, Any]:
        """``/health``'s storage block: ``ok``, ``failing`` (the latest write failed: POSTs get
        503 until one succeeds) or ``unknown`` (nothing written yet), and the last failure."""
        with self._lock:
            status = {None: "unknown", True: "ok", False: "failing"}[self.storage_ok]
            return {"status": status, "last_failure": self.last_storage_failure}

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "batches_accepted": self.batches_accepted,
                "batches_duplicate": self.batches_duplicate,
                "batches_rejected": self.batches_rejected,
                "events_accepted": self.events_accepted,
                "storage_failures": self.storage_failures,
            }


@dataclass
class ReceiverState:
    settings: Settings
    lake: Lake
    writer: BronzeWriter
    parser: BatchParser
    broker: EventBroker
    stats: IngestStats = field(default_factory=IngestStats)


def receiver_state(app: Flask | None = None) -> ReceiverState:
    """The state of ``app`` (default: the app handling the current request)."""
    return (app or current_app).extensions[EXTENSION_KEY]
