"""Fan-out of accepted events to Server-Sent-Event clients, never at ingestion's expense.

Each client owns a buffer bounded in events and in bytes. ``publish`` only appends (under that
client's own lock) and never waits: when a client's buffer cannot take a batch, the batch is
dropped for that client and counted, and the client is told with an SSE comment when it next
reads. Memory is thus bounded by ``clients × (capacity_bytes + one batch)`` whatever the
clients do (events alone were no bound: 250 events of 4 MiB each held 1.3 GB for 8 stalled
clients).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Delivery:
    """What a client reads at once: SSE bytes (possibly empty) and events dropped since last read."""

    chunks: list[bytes]
    dropped: int
    closed: bool


class Subscription:
    """One SSE client's bounded queue of ready-made SSE frames."""

    def __init__(self, capacity: int, capacity_bytes: int | None = None) -> None:
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self._chunks: deque[bytes] = deque()
        self._pending = 0
        self._pending_bytes = 0
        self._dropped_unreported = 0
        self.dropped_total = 0
        self._closed = False
        self._cond = threading.Condition()

    def offer(self, chunk: bytes, n_events: int) -> bool:
        """Queue ``chunk`` (``n_events`` frames) unless the buffer would exceed its capacity."""
        with self._cond:
            if self._closed:
                return False
            # An empty buffer takes any one batch, so a bound set below a request's size
            # delays big batches instead of never delivering them.
            too_big = (
                self.capacity_bytes is not None
                and self._pending_bytes > 0
                and self._pending_bytes + len(chunk) > self.capacity_bytes
            )
            if self._pending + n_events > self.capacity or too_big:
                self._dropped_unreported += n_events
                self.dropped_total += n_events
                return False
            self._chunks.append(chunk)
            self._pending += n_events
            self._pending_bytes += len(chunk)
            self._cond.notify()
            return True

    def take(self, timeout: float) -> Delivery:
        """Everything queued, waiting at most ``timeout`` seconds for something to arrive."""
        with self._cond:
            if not self._chunks and not self._dropped_unreported and not self._closed:
                self._cond.wait(timeout)
            chunks = list(self._chunks)
            self._chunks.clear()
            self._pending = 0
            self._pending_bytes = 0
            dropped, self._dropped_unreported = self._dropped_unreported, 0
            return Delivery(chunks, dropped, self._closed)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class TooManySubscribers(RuntimeError):
    """The broker already serves its maximum number of subscribers."""


class EventBroker:
    """Subscribers and the frames published to them; safe to use from any thread.

    ``max_subscribers`` (None: unlimited) bounds the concurrent subscriptions;
    ``capacity_bytes`` (None: no byte bound) each client's buffered SSE bytes.
    """

    def __init__(
        self,
        capacity: int,
        max_subscribers: int | None = None,
        capacity_bytes: int | None = None,
    ) -> None:
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self.max_subscribers = max_subscribers
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._dropped_closed = 0

    def subscribe(self) -> Subscription:
        """A new subscription; :class:`TooManySubscribers` when the broker is full."""
        sub = Subscription(self.capacity, self.capacity_bytes)
        with self._lock:
            if self.max_subscribers is not None and len(self._subs) >= self.max_subscribers:
                raise TooManySubscribers(f"{self.max_subscribers} stream clients already connected")
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        sub.close()
        with self._lock:
            if sub in self._subs:
                self._subs.discard(sub)
                self._dropped_closed += sub.dropped_total

    @property
    def client_count(self) -> int:
        with self._lock:
            return len(self._subs)

    @property
    def dropped_events(self) -> int:
        """Events not delivered to some client because its buffer was full (all time)."""
        with self._lock:
            return self._dropped_closed + sum(s.dropped_total for s in self._subs)

    def publish(self, event_lines: Sequence[bytes]) -> None:
        """One ``data:`` frame per event JSON, offered to every client (never blocks on one)."""
        with self._lock:
            subs = list(self._subs)
        if not subs or not event_lines:
            return
        chunk = b"data: " + b"\n\ndata: ".join(event_lines) + b"\n\n"
        for sub in subs:
            sub.offer(chunk, len(event_lines))

    def close(self) -> None:
        """End every stream (server shutdown)."""
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.close()
