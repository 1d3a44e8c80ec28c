"""Make sure the Prefect objects a flow relies on exist before it uses them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache


@cache
def _ensured(api_url: str, name: str) -> None:
    from prefect.client.orchestration import get_client

    from raidlib.prefect_setup import ensure_concurrency_limit

    with get_client(sync_client=True) as client:
        ensure_concurrency_limit(client, name=name, limit=1)


def ensure_limit(name: str) -> None:
    """Create the 1-slot global concurrency limit ``name`` when missing (idempotent).

    ``raidlib up`` / ``raidlib setup-prefect`` create them for a server; plain-Python runs on
    Prefect's ephemeral API and fresh test servers need this, or ``strict`` acquisition fails.
    """
    from prefect.settings import PREFECT_API_URL

    _ensured(PREFECT_API_URL.value() or "ephemeral", name)


@contextmanager
def exclusive_slot(name: str, wait_s: float) -> Iterator[None]:
    """Hold the only slot of limit ``name`` (created when missing) for the ``with`` block.

    Waiting is bounded: after ``wait_s`` seconds the run fails with a message saying which
    slot is busy and where to look, instead of hanging. A slot held by a process that died is
    given back by the Prefect server when its lease (5 minutes, renewed while alive) runs out.
    """
    from prefect.concurrency.sync import concurrency

    ensure_limit(name)
    try:
        with concurrency(name, occupy=1, strict=True, timeout_seconds=wait_s):
            yield
    except TimeoutError as exc:
        raise TimeoutError(
            f"waited {wait_s:g} s for the concurrency slot {name!r}, which another run holds; "
            "see Concurrency > Global in the Prefect UI (or `prefect gcl inspect "
            f"{name}`), or raise RAIDLIB_SLOT_WAIT_S"
        ) from exc
