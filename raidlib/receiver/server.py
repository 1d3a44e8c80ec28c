"""Serving the receiver with waitress: a production WSGI server, multi-threaded, pure Python.

:class:`ReceiverServer` binds at construction (``port=0`` picks a free port), so ``url`` is known
before the loop runs; ``start()`` runs it in a daemon thread (tests, benchmarks) and ``close()``
ends SSE streams, stops the worker threads and closes every socket.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from flask import Flask
from waitress import create_server, wasyncore
from waitress.server import BaseWSGIServer

from raidlib.receiver.state import receiver_state

log = logging.getLogger(__name__)

DEFAULT_THREADS = 8


class ReceiverServer:
    """A waitress server around a receiver app.

    ``threads`` answer ``POST /events`` and ``/health``; the pool gets ``sse_max_clients`` more
    for stream clients, which hold theirs while connected (see :mod:`raidlib.receiver.stream`).
    """

    def __init__(
        self,
        app: Flask,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        threads: int = DEFAULT_THREADS,
        **waitress_options: Any,
    ) -> None:
        self.app = app
        settings = receiver_state(app).settings
        self._map: dict[int, Any] = {}
        options: dict[str, Any] = {
            "threads": threads + settings.sse_max_clients,
            "ident": "raidlib-receiver",
            # Waitress buffers a whole body before calling the app and spills bodies over 512 KiB
            # to a temporary file: keep typical batches (5,000 events ≈ 3.3 MB) in memory, and
            # read the socket in larger steps.
            "inbuf_overflow": min(settings.max_request_bytes + 65536, 8 * 1024 * 1024),
            "recv_bytes": 262144,
            # Bodies up to twice the cap reach the app, which answers 413 in JSON; larger ones
            # are refused by waitress itself from the Content-Length (plain text), unbuffered.
            "max_request_body_size": 2 * settings.max_request_bytes + 65536,
            # How often the loop looks for idle and stalled connections (seconds).
            "cleanup_interval": max(1, min(30, int(settings.sse_stall_timeout_s / 2))),
        }
        options.update(waitress_options)
        self._server = create_server(app, map=self._map, host=host, port=port, **options)
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, BaseWSGIServer):
                _let_go_of_stalled_clients(dispatcher, settings.sse_stall_timeout_s)
        self.host = host
        self.port = int(self._server.effective_port)  # type: ignore[union-attr]
        self._thread: threading.Thread | None = None
        self._closing = False
        self._loop_error: BaseException | None = None
        self._loop_error_to_caller = False  # serve_forever raises it; start()'s thread does

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve until interrupted (``KeyboardInterrupt``) or :meth:`close`; stop gracefully.

        The loop runs in a thread of its own, so that while :meth:`close` lets the requests in
        flight finish, the loop still sends their answers. waitress's own ``run()`` stopped the
        loop first and then waited 5 s for every connected stream client's thread
        (Pylons/waitress#56), which the broker had not yet been told to end (10 s with a client
        that reads nothing).

        Raises:
            Exception: whatever ended the serving loop when :meth:`close` had not been called,
                so that a crashed receiver exits with a failure (a supervisor restarts it).
        """
        self._loop_error_to_caller = True
        loop = self.start()._thread
        try:
            while loop is not None and loop.is_alive():
                loop.join(0.5)  # signals reach this (main) thread between joins
        finally:
            self.close()
        if self._loop_error is not None:
            raise self._loop_error

    def start(self) -> ReceiverServer:
        """Serve from a daemon thread; returns self (use as a context manager to close)."""
        self._thread = threading.Thread(target=self._loop, name="raidlib-receiver", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        try:
            self._server.run()
        except BaseException as exc:
            self._loop_error = exc
            if not self._loop_error_to_caller:
                raise
        else:
            if not self._closing:
                self._loop_error = RuntimeError("the receiver's serving loop ended by itself")

    def close(self, timeout_s: float = 5.0) -> None:
        """Take no new connection, end the streams, let requests in flight finish (at most
        ``timeout_s``), then close every socket."""
        self._closing = True
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, BaseWSGIServer):
                dispatcher.accepting = False  # new connections wait in the backlog, then reset
        receiver_state(self.app).broker.close()
        self._server.task_dispatcher.shutdown(timeout=timeout_s)  # type: ignore[union-attr]
        loop = self._thread
        if loop is not None and loop.is_alive() and loop is not threading.current_thread():
            # Close the sockets in the loop's own thread: closed from here, they can vanish
            # between the loop listing them and its select(), which then fails with EBADF in
            # the server thread. With the map empty the loop ends by itself.
            # (An OSError: the trigger is closed already, the loop is winding down by itself.)
            with contextlib.suppress(OSError):
                self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._map))  # type: ignore[union-attr]
            loop.join(timeout_s)
        wasyncore.close_all(self._map)  # not started, or the loop did not stop in time

    def __enter__(self) -> ReceiverServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _let_go_of_stalled_clients(server: BaseWSGIServer, stall_timeout_s: float) -> None:
    """Make ``server``'s periodic maintenance also close connections that took no byte of their
    waiting output for ``stall_timeout_s``.

    waitress times out only connections without a running request (Pylons/waitress#267), so a
    stream client that stopped reading kept its thread (blocked once 16 MiB of output waited)
    and its stream slot until the receiver restarted. Closing the channel wakes that thread with
    ``ClientDisconnected``, which ends the stream and frees the slot. ``last_activity`` is the
    last byte sent or received. The kernel takes more of a client's output only once the client
    has read about half of its receive buffer (TCP's receiver-side silly-window avoidance), so
    the socket's own queue shows a slow reader's progress no sooner (tried: ``SIOCOUTQ`` stayed
    at 4,098,048 bytes while a client read 33 KiB/s): a very slow reader can look stalled.
    """
    idle_maintenance = server.maintenance

    def maintenance(now: float) -> None:
        idle_maintenance(now)
        cutoff = now - stall_timeout_s
        for channel in list(server.active_channels.values()):
            if channel.requests and channel.total_outbufs_len and channel.last_activity < cutoff:
                # Not ``will_close``: that acts in handle_write, which a socket whose buffer is
                # full never gets. Closed now, it would still be in the list being polled.
                log.warning(
                    "disconnecting %s: it took nothing of its waiting output for %.0f s",
                    _client_name(channel.addr),
                    now - channel.last_activity,
                )
                server.trigger.pull_trigger(channel.handle_close)

    server.maintenance = maintenance  # type: ignore[method-assign]


def _client_name(addr: Any) -> str:
    """``host:port`` of a channel's peer (waitress gives a tuple, or a path for Unix sockets)."""
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return str(addr or "a client")


def make_server(
    app: Flask, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> ReceiverServer:
    """A bound (not yet running) :class:`ReceiverServer`; ``port=0`` picks a free port."""
    return ReceiverServer(app, host, port, **options)
