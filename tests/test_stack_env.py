"""What ``raidlib up`` hands its Prefect server, worker and flow runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from raidlib.stack import Stack, StackConfig

FILESYSTEM_LEASES = "prefect.server.concurrency.lease_storage.filesystem"


def test_slot_leases_outlive_a_server_restart_unless_the_user_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect keeps concurrency leases in the server's memory by default: after `raidlib up`
    was restarted (after its Prefect server died, say), a slot a killed run held was never given
    back, and every later silver run waited an hour and failed (ops audit). Leases on disk
    under PREFECT_HOME are revoked when they run out, restart or not (checked by hand: a
    60 s lease was freed 68 s after a restart, and never in memory)."""
    monkeypatch.delenv("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", raising=False)
    stack = Stack(StackConfig(project_dir=tmp_path), echo=lambda line: None)
    assert stack.child_env()["PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE"] == FILESYSTEM_LEASES
    monkeypatch.setenv("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", "my.leases")
    assert stack.child_env()["PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE"] == "my.leases"
