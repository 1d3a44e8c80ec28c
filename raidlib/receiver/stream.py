"""``GET /stream/events``: Server-Sent Events, one ``data:`` frame per landed event.

Frames are published by the ingest blueprint only after bronze confirmed the write. A comment
``: heartbeat`` goes out when nothing happened for ``sse_heartbeat_s`` (it keeps proxies from
closing the connection), and ``: dropped N`` tells a client that its bounded buffer overflowed and
N events were skipped for it.

A WSGI app learns that a client went away only when a write to it fails, usually the second
write after the close. So an idle stream also writes an empty comment (``:``, ignored by SSE
clients) every :data:`PROBE_S`: a vanished client frees its thread and its slot within about
3 s instead of two or three heartbeats (40-50 s by default). Clients are told to reconnect
after 2 s, so at the client limit a network blip would otherwise get them 503 for most of a
minute. (Waitress can report a closed connection itself, but only by reading the socket while
a request runs, which drops the response of a client that half-closes after its POST:
Pylons/waitress#310.)

A stream client keeps a server thread for as long as it stays connected (WSGI); one that stops
reading is disconnected after ``sse_stall_timeout_s`` with nothing sent to it (see
:mod:`raidlib.receiver.server`). At most ``sse_max_clients`` are served at once (more get ``503`` JSON), and the
served receiver (:mod:`raidlib.receiver.server`) adds that many threads to its pool, so stream
clients — slow, stalled or many — never hold up ``POST /events`` or ``/health``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from raidlib.receiver.auth import check_auth
from raidlib.receiver.broker import TooManySubscribers
from raidlib.receiver.responses import json_error
from raidlib.receiver.state import receiver_state

bp = Blueprint("stream", __name__)

RETRY_MS = 2000
PROBE_S = 1.0


@bp.get("/stream/events")
def stream_events() -> ResponseReturnValue:
    state = receiver_state()
    denied = check_auth(state)  # the stream carries every accepted event
    if denied is not None:
        return denied
    broker = state.broker
    heartbeat_s = state.settings.sse_heartbeat_s
    wait_s = min(heartbeat_s, PROBE_S)
    try:
        sub = broker.subscribe()
    except TooManySubscribers as exc:  # each client holds a thread: never take ingest's
        response = json_error(
            503,
            "too_many_stream_clients",
            f"{exc}; retry later (RAIDLIB_SSE_MAX_CLIENTS raises the limit)",
            max_clients=broker.max_subscribers,
        )
        response.headers["Retry-After"] = "5"
        return response

    def frames() -> Iterator[bytes]:
        try:
            yield b"retry: %d\n: connected\n\n" % RETRY_MS
            last_beat = time.monotonic()  # last data, notice or heartbeat (not probes)
            while True:
                delivery = sub.take(timeout=wait_s)
                out = list(delivery.chunks)
                if delivery.dropped:
                    out.insert(0, b": dropped %d events (client too slow)\n\n" % delivery.dropped)
                if not out and delivery.closed:
                    return
                if out or time.monotonic() - last_beat >= heartbeat_s:
                    yield b"".join(out) or b": heartbeat\n\n"
                    last_beat = time.monotonic()
                else:
                    yield b":\n\n"  # the probe: fails once the client is gone
        finally:
            broker.unsubscribe(sub)

    response = Response(
        frames(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    # A generator that never started does not run its ``finally``: unsubscribe on close too.
    response.call_on_close(lambda: broker.unsubscribe(sub))
    return response
