"""Make sure the Prefect objects a flow relies on exist before it uses them."""

from __future__ import annotations

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
