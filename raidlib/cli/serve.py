"""``raidlib serve``: the HTTP receiver (waitress) writing to the lake's bronze layer."""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Iterator

from raidlib.cli.arg_types import int_in, port, report_interval
from raidlib.cli.checks import bronze_unusable
from raidlib.cli.options import add_lake_options, settings_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the event receiver (POST /events, GET /stream/events, GET /health)",
        description=(
            "Serve the receiver with waitress. Validated batches land in bronze as JSON Lines, "
            "one object per raid; accepted events are streamed on /stream/events (SSE)."
        ),
    )
    parser.add_argument(
        "--host", default=None, help="bind address (env RAIDLIB_RECEIVER_HOST, default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=port, default=None, help="port (env RAIDLIB_RECEIVER_PORT, default 8000)"
    )
    parser.add_argument(
        "--threads",
        type=int_in(1),
        default=8,
        help="threads answering POST /events and /health (default 8); stream clients get "
        "RAIDLIB_SSE_MAX_CLIENTS (default 8) threads of their own",
    )
    parser.add_argument(
        "--token",
        default=None,
        help="require 'Authorization: Bearer TOKEN' (env RAIDLIB_AUTH_TOKEN)",
    )
    parser.add_argument(
        "--max-events",
        type=int_in(1),
        default=None,
        help="events per request (default: env RAIDLIB_MAX_EVENTS_PER_REQUEST, else 10000)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int_in(1),
        default=None,
        help="bytes per request (default: env RAIDLIB_MAX_REQUEST_BYTES, else 16 MiB)",
    )
    parser.add_argument(
        "--report-every",
        type=report_interval,
        default=60.0,
        metavar="SECONDS",
        help="print what was accepted, duplicate and rejected every SECONDS in which anything "
        "came (default 60; 0: only the total when it stops)",
    )
    add_lake_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from raidlib.lake.lake import Lake
    from raidlib.receiver import create_app, make_server
    from raidlib.receiver.activity import reporting_activity
    from raidlib.receiver.allocator import cap_malloc_arenas
    from raidlib.receiver.state import receiver_state

    cap_malloc_arenas()  # this process is the receiver: before its threads allocate
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = settings_from_args(
        args,
        receiver_host=args.host,
        receiver_port=args.port,
        auth_token=args.token,
        max_events_per_request=args.max_events,
        max_request_bytes=args.max_bytes,
    )
    lake = Lake.from_settings(settings)
    if (status := bronze_unusable(lake, "raidlib serve")) is not None:
        return status
    app = create_app(settings, lake)
    where = f"{settings.receiver_host}:{settings.receiver_port}"
    try:
        server = make_server(
            app, settings.receiver_host, settings.receiver_port, threads=args.threads
        )
    except (OSError, ValueError) as exc:  # port taken, no such address, host not resolvable
        taken = isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE
        hint = "another receiver may run there: " if taken else ""
        print(
            f"raidlib serve: cannot listen on {where}: {exc} ({hint}choose another --port or "
            "--host)",
            file=sys.stderr,
        )
        return 2
    print(f"raidlib receiver listening on {server.url}", flush=True)
    print(f"  POST {server.url}/events   GET {server.url}/stream/events   GET {server.url}/health")
    print(f"  bronze: {lake.url('bronze')}", flush=True)
    print(f"  {auth_line(settings.auth_token, settings.receiver_host)}", flush=True)
    stats = receiver_state(app).stats
    with reporting_activity(stats, args.report_every, lambda line: print(line, flush=True)):
        try:
            with _stopping_on_signals():
                server.serve_forever()
        except KeyboardInterrupt:
            pass
        print("receiver stopped", flush=True)
    return 0


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """SIGTERM stops like Ctrl-C: requests in flight are answered before the receiver exits.

    Without a handler SIGTERM (``docker stop``, ``raidlib up``'s shutdown) killed the process
    mid-request, so a batch could land in bronze unanswered; and a receiver running as PID 1
    in a container ignored SIGTERM altogether until it was killed.
    """

    def stop(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        print(f"stopping receiver ({name}): finishing the requests in flight", flush=True)
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut them off
            signal.signal(sig, already_stopping)
        raise KeyboardInterrupt

    def already_stopping(_signum: int, _frame: object) -> None:
        # Anywhere in the stop, perhaps inside a print: write to the file descriptor directly.
        os.write(1, b"already stopping: waiting (at most 5 s) for the requests in flight\n")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def auth_line(token: str | None, host: str) -> str:
    """Whether clients need the token, said at start; a warning when the receiver listens
    beyond this machine without one (anyone who reaches the port can then post and stream)."""
    if token:
        return "auth: a bearer token is required (POST /events, GET /stream/events)"
    line = "auth: off (no RAIDLIB_AUTH_TOKEN / --token)"
    if not _is_loopback(host):
        line += (
            f" — WARNING: listening on {host} without a token: anyone who reaches this port "
            "can post events and read the stream; set a token, and see README: Exposing the "
            "receiver"
        )
    return line


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve beyond this machine
        return False
