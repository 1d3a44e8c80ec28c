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


def test_up_refuses_receiver_port_zero_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The option refused 0, the variable did not: Prefect started, the receiver took a random
    port, and `up` failed 100 s later at "not healthy at http://127.0.0.1:0/health"."""
    from raidlib.cli import main

    monkeypatch.setenv("RAIDLIB_RECEIVER_PORT", "0")
    assert main(["up", "--state-dir", str(tmp_path / "state")]) == 2
    assert "RAIDLIB_RECEIVER_PORT=0 (any free port) does not suit `raidlib up`" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "state").exists()


def test_up_says_where_the_lake_is() -> None:
    from raidlib.cli.up import describe_lake

    checkout = Path("/src/raidlib")
    assert describe_lake({}, checkout) == "/src/raidlib/lake  (bronze/ silver/ gold/)"
    roots = {"RAIDLIB_BRONZE_ROOT": "/data/mine/bronze", "RAIDLIB_GOLD_ROOT": "s3://gold/x"}
    assert describe_lake(roots, checkout) == (
        "bronze /data/mine/bronze, silver /src/raidlib/lake/silver, gold s3://gold/x"
    )
    one_folder = {f"RAIDLIB_{k.upper()}_ROOT": f"/d/{k[0]}" for k in ("bronze", "silver", "gold")}
    assert describe_lake(one_folder, checkout) == "bronze /d/b, silver /d/s, gold /d/g"
