"""Make sure the Prefect objects a flow relies on exist before it uses them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

_FIRST_TRY_S = 1.0
"""How long a slot is tried before the run says it is waiting (then it waits the rest)."""
_FIRST_TRY_SERVER_S = 5.0
"""The same on a Prefect server: a busy SQLite server answers a slot request 503, and Prefect's
client asks again ~2 s later, so a 1 s try announced waits for a slot nobody held (live audit)."""


class _QuietTimedOutSlotTries(logging.Filter):
    """Prefect logs every timed-out slot request at ERROR (``Service
    'ConcurrencySlotAcquisitionWithLeaseService' failed to process item …
    TimeoutError``): that is each first try of a slot that was not free, which the run already
    reports itself as a wait. Other failures of the service still pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (
            record.msg == "Service %r failed to process item %r"
            and len(args) == 2
            and str(args[0]).startswith("ConcurrencySlotAcquisition")
            and "TimeoutError" in repr(args[1])
        )


_QUIET_SLOT_TRIES = _QuietTimedOutSlotTries()


@cache
def _ensured(api_url: str, name: str) -> None:
    from prefect.client.orchestration import get_client

    from raidlib.prefect_setup import ensure_concurrency_limit

    with get_client(sync_client=True) as client:
        ensure_concurrency_limit(client, name=name, limit=1)


def ensure_limit(name: str) -> None:
    """Create the 1-slot global concurrency limit ``name`` when missing (idempotent).

    ``raidlib up`` / ``raidlib setup-prefect`` create them for a server; a server they did not
    set up (a fresh test server) needs this, or ``strict`` acquisition fails.
    """
    from prefect.settings import PREFECT_API_URL

    _ensured(PREFECT_API_URL.value() or "ephemeral", name)


@contextmanager
def exclusive_slot(name: str, wait_s: float) -> Iterator[None]:
    """Hold slot ``name``, one run at a time, for the ``with`` block.

    On a Prefect server (``PREFECT_API_URL`` set) it is the only slot of the global concurrency
    limit ``name`` (created when missing); a slot held by a process that died is given back by
    the server when its lease (5 minutes, renewed while alive) runs out. Without one, flows run
    on a temporary server that dies with the script and never gives such a slot back, so the
    runs that share this ``PREFECT_HOME`` (its database) take a lock file there instead, which
    the operating system releases when its process ends, however it ends.

    Waiting is bounded: after ``wait_s`` seconds the run fails with a message saying which
    slot is busy and where to look, instead of hanging.
    """
    from prefect.settings import PREFECT_API_URL

    with ExitStack() as held:
        if PREFECT_API_URL.value():
            _take_server_slot(held, name, wait_s)
        else:
            _take_machine_slot(held, name, wait_s)
        yield


def _take_server_slot(held: ExitStack, name: str, wait_s: float) -> None:
    from prefect.concurrency.sync import concurrency

    ensure_limit(name)

    def take(seconds: float) -> None:
        held.enter_context(concurrency(name, occupy=1, strict=True, timeout_seconds=seconds))

    logging.getLogger("prefect._internal.concurrency").addFilter(_QUIET_SLOT_TRIES)  # once
    try:  # only the wait: a TimeoutError of the work itself is not a busy slot
        _take_saying_so(
            take,
            name,
            wait_s,
            "a slot a dead run held is freed within 5 minutes",
            first_try_s=_FIRST_TRY_SERVER_S,
            busy="is not free yet (another run holds it, or the Prefect server is slow to answer)",
        )
    except TimeoutError as exc:
        raise TimeoutError(
            f"waited {wait_s:g} s for the concurrency slot {name!r}, which another run holds; "
            "see Concurrency > Global in the Prefect UI (or `prefect gcl inspect "
            f"{name}`), or raise RAIDLIB_SLOT_WAIT_S"
        ) from exc


def _take_machine_slot(held: ExitStack, name: str, wait_s: float) -> None:
    from filelock import FileLock
    from prefect.settings import PREFECT_HOME

    path = Path(PREFECT_HOME.value()) / "raidlib-slots" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        _take_saying_so(
            lambda seconds: lock.acquire(timeout=seconds), name, wait_s, f"lock file {path}"
        )
    except TimeoutError as exc:
        raise TimeoutError(
            f"waited {wait_s:g} s for the slot {name!r}, which another flow run on this "
            f"machine holds (lock file {path}; runs without PREFECT_API_URL take it); let it "
            "finish, or raise RAIDLIB_SLOT_WAIT_S"
        ) from exc
    held.callback(lock.release)


def _take_saying_so(
    take: Callable[[float], object],
    name: str,
    wait_s: float,
    note: str,
    *,
    first_try_s: float = _FIRST_TRY_S,
    busy: str = "is held by another run",
) -> None:
    """``take(seconds)`` the slot; when it is not free within ``first_try_s``, log that the run
    waits (and for how long at most) before waiting the rest of ``wait_s``: a silent wait of
    minutes looks like a hung run."""
    first = min(first_try_s, wait_s)
    try:
        take(first)
        return
    except TimeoutError:  # filelock's Timeout is one too
        if wait_s <= first:
            raise
    log.warning(
        "slot %r %s: waiting up to %g s for it (RAIDLIB_SLOT_WAIT_S; %s)",
        name,
        busy,
        wait_s,
        note,
    )
    take(wait_s - first)
