"""Ctrl-C in a flow script that runs on Prefect's temporary server: stop at once, cleanly.

The terminal sends Ctrl-C to the whole process group, so the temporary server stops with the
script. Prefect then turned the interrupt into a crashed run and kept reporting it to the gone
server: 1.5 to 5 minutes of ``Connection refused`` tracebacks (about 220 lines), then exit 1,
and a second Ctrl-C did not help (CLI audit). Every lake write is atomic (a temporary, then a
rename or a conditional put), so a script stopped anywhere leaves nothing half-written, and
running it again finishes the work: stopping at once loses nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from types import FrameType

INTERRUPTED = (
    b"\ninterrupted: nothing half-written is in the lake; run the same command again to finish\n"
)


@contextlib.contextmanager
def exit_at_once_on_interrupt() -> Iterator[None]:
    """Inside, SIGINT and SIGTERM end this process at once with 128 + the signal's number,
    after stopping Prefect's temporary server (a ``kill`` of the script alone would leave it).

    While a flow runs, Prefect's engine swaps SIGTERM for a bridge that first reports the crash
    to the server (PrefectHQ/prefect#9498). A SIGTERM to the whole group (``timeout``, a
    cancelled CI job, ``kill -- -PGID``) had stopped the temporary server too, so that report
    retried for about 70 s of tracebacks, then exit 1 (review). The bridge only serves runs a
    worker can cancel, and a script on the temporary server has no worker: it is off inside too.
    """
    import prefect.flow_engine as engine  # noqa: PLC0415

    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    bridge = getattr(engine, "capture_sigterm", None)
    if bridge is not None:
        engine.capture_sigterm = contextlib.nullcontext  # type: ignore[assignment]
    try:
        yield
    finally:
        if bridge is not None:
            engine.capture_sigterm = bridge
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop(signum: int, _frame: FrameType | None) -> None:
    # A signal handler: no print() (its buffer may be mid-write in this very thread), no logging.
    os.write(2, INTERRUPTED)
    _stop_temporary_servers()
    os._exit(128 + signum)


def _stop_temporary_servers(wait_s: float = 5.0) -> None:
    module = sys.modules.get("prefect.server.api.server")  # imported only if one was started
    servers = getattr(getattr(module, "SubprocessASGIServer", None), "_instances", {})
    for server in list(servers.values()):
        process = getattr(server, "server_process", None)
        if process is None or process.poll() is not None:
            continue
        process.terminate()
        try:
            process.wait(wait_s)
        except subprocess.TimeoutExpired:
            process.kill()
