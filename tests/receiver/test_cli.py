"""``raidlib serve`` as a real process and ``raidlib send`` posting generated raids to it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from raidlib.cli import main

from .conftest import make_events

pytestmark = pytest.mark.e2e


@contextmanager
def _serve(lake: Path, token: str | None = "t0k") -> Iterator[str]:
    """``raidlib serve`` in its own process on a free loopback port; yields its URL."""
    with _serving(lake, token) as (url, _proc):
        yield url


@contextmanager
def _serving(
    lake: Path, token: str | None = "t0k", *options: str
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like :func:`_serve`, also yielding the process (its output is merged into stdout)."""
    command = [
        sys.executable, "-c", "from raidlib.cli import main; raise SystemExit(main())",
        "serve", "--port", "0", "--lake", str(lake), "--threads", "4", *options,
    ]  # fmt: skip
    if token:
        command += ["--token", token]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAIDLIB_")}
    env["RAIDLIB_ENV_FILE"] = ""  # the developer's .env must not steer the server either
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while url is None and time.monotonic() < deadline:  # readline returns at EOF: bounded
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            url = match.group(1) if match else None
        assert url, "raidlib serve did not print its URL"
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    lake = tmp_path / "lake"
    with _serve(lake) as url:
        yield url, lake


def test_send_posts_generated_raids_with_faults(served, capsys) -> None:
    url, lake = served
    argv = [
        "send", "--url", url, "--token", "t0k", "--raids", "1", "--seed", "3",
        "--batch-size", "2000", "--concurrency", "3", "--no-progress",
        "--duplicates", "0.02", "--invalid", "0.001",
    ]  # fmt: skip
    assert main(argv) == 0
    out, err = capsys.readouterr()
    # stdout is the summary alone (`raidlib send > file`); what it is doing goes to stderr
    assert out.startswith("generated 1 raids") and "simulating 1 raid(s)…" in err
    accepted = int(re.search(r"accepted: (\d+)", out).group(1))
    rejected = int(re.search(r"rejected\(4xx\): (\d+)", out).group(1))
    expected_rejections = int(re.search(r"built to be rejected \(--invalid\): (\d+)", out).group(1))
    assert rejected == expected_rejections >= 1
    assert "first error: HTTP 400 validation_failed" in out

    manifests = list((lake / "bronze" / "_batches").glob("*.json"))
    assert len(manifests) == accepted
    landed = sum(json.loads(m.read_text())["event_count"] for m in manifests)
    events_accepted = int(re.search(r"events accepted: (\d+)", out).group(1))
    lines = sum(len(p.read_bytes().splitlines()) for p in (lake / "bronze").rglob("*.jsonl"))
    assert landed == events_accepted == lines
    # raid ids carry the first raid's date, so another night never merges into these raids
    raids = {p.name for p in (lake / "bronze" / "wow_raid_events" / "v1").iterdir()}
    assert len(raids) == 1 and re.fullmatch(r"raid_id=raid\d{8}-001", raids.pop())


def test_a_second_night_sent_with_the_same_seed_lands_as_new_raids(served, capsys) -> None:
    # Same seed, another start: the same fight, but other raids; nothing may be answered
    # "duplicate", and sending the first night again must land nothing.
    url, lake = served
    night = ["send", "--url", url, "--token", "t0k", "--raids", "1", "--no-progress"]
    night += ["--batch-size", "5000"]
    for start in ("2026-11-19T19:30:00Z", "2026-11-20T19:30:00Z", "2026-11-19T19:30:00Z"):
        assert main([*night, "--start", start]) == 0
    first, second, again = re.findall(r"accepted: (\d+) +duplicate: (\d+)", capsys.readouterr().out)
    assert int(first[0]) == int(second[0]) > 0 and first[1] == second[1] == "0"
    assert again == ("0", first[0])
    raids = {p.name for p in (lake / "bronze" / "wow_raid_events" / "v1").iterdir()}
    assert raids == {"raid_id=raid20261119-001", "raid_id=raid20261120-001"}


def test_send_without_the_token_stops_before_simulating(served, capsys) -> None:
    """It simulated the raids, posted every batch into a 401 and said only "21 batches could not
    be delivered"; /health says the receiver needs a token, so that is said first."""
    url, _ = served
    assert main(["send", "--url", url, "--raids", "1", "--no-progress"]) == 2
    out, err = capsys.readouterr()
    assert (
        f"raidlib send: the receiver at {url} needs a token: pass --token or set "
        "RAIDLIB_AUTH_TOKEN (the one given to raidlib serve)"
    ) in err
    assert "simulating" not in out + err


def test_send_with_a_wrong_token_stops_at_the_first_401(served, capsys) -> None:
    url, lake = served
    argv = ["send", "--url", url, "--token", "wrong", "--raids", "1", "--no-progress"]
    assert main([*argv, "--batch-size", "500", "--concurrency", "2"]) == 2
    out, err = capsys.readouterr()
    assert (
        f"raidlib send: the receiver at {url} refused the token given "
        "(--token / RAIDLIB_AUTH_TOKEN)"
    ) in err
    assert "could not be delivered" not in err and not (lake / "bronze" / "_batches").exists()


def test_send_retries_as_many_times_as_it_is_told(lake, capsys) -> None:
    """A receiver whose storage fails for a moment answers 503: `--retries 1` sends the batch
    once more and it lands (the option reaches the client)."""
    from raidlib.receiver import create_app, make_server
    from raidlib.settings import Settings
    from tests.receiver.conftest import answer_first_post_with

    app = create_app(Settings(auth_token="t0k"), lake)
    failed_once = answer_first_post_with(app, "503 Service Unavailable", b"storage failed")
    srv = make_server(app, "127.0.0.1", 0, threads=4).start()
    try:
        argv = ["send", "--url", srv.url, "--token", "t0k", "--raids", "1", "--no-progress"]
        assert main([*argv, "--batch-size", "10000", "--retries", "1"]) == 0
    finally:
        srv.close()
    out = capsys.readouterr().out
    assert failed_once and re.search(r"failed: 0\b", out), out


def test_send_to_a_url_where_nothing_listens_stops_before_simulating(capsys) -> None:
    argv = ["send", "--url", "http://127.0.0.1:9", "--raids", "1", "--no-progress"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "no receiver answers at http://127.0.0.1:9" in err and "raidlib serve" in err
    assert "simulating" not in out + err  # failed fast: nothing simulated, nothing retried


def test_serve_on_a_taken_port_says_so_without_a_traceback(tmp_path: Path, capsys) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--lake", str(tmp_path / "lake")]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "another receiver may run" in err


def test_serve_refuses_a_lake_it_cannot_write_before_listening(tmp_path: Path, capsys) -> None:
    a_file = tmp_path / "lake"
    a_file.write_text("not a folder")
    assert main(["serve", "--port", "0", "--lake", str(a_file)]) == 2
    assert "cannot take files: Not a directory" in capsys.readouterr().err


def test_two_receivers_on_one_lake_accept_each_batch_once(tmp_path: Path) -> None:
    """Each batch posted to two receiver processes at the same moment: one 201, one 200."""
    import httpx

    lake = tmp_path / "lake"
    batches = [
        {"batch_id": str(uuid.uuid4()), "events": make_events(50, f"raid{n % 3:03d}")}
        for n in range(30)
    ]
    with _serve(lake, token=None) as first, _serve(lake, token=None) as second:

        def post_to_both(batch: dict) -> list[int]:
            barrier = threading.Barrier(2)

            def post(url: str) -> int:
                with httpx.Client(timeout=30) as client:
                    barrier.wait(timeout=30)
                    return client.post(f"{url}/events", json=batch).status_code

            with ThreadPoolExecutor(2) as pool:
                return sorted(pool.map(post, [first, second]))

        statuses = [post_to_both(b) for b in batches]

    assert statuses == [[200, 201]] * len(batches)
    assert len(list((lake / "bronze" / "_batches").glob("*.json"))) == len(batches)
    lines = sum(len(p.read_bytes().splitlines()) for p in (lake / "bronze").rglob("*.jsonl"))
    assert lines == 50 * len(batches)


def test_serve_says_whether_a_token_is_required_and_warns_on_an_open_port() -> None:
    from raidlib.cli.serve import auth_line

    assert auth_line("t0ken", "0.0.0.0").startswith("auth: a bearer token is required")
    assert auth_line(None, "127.0.0.1") == "auth: off (no RAIDLIB_AUTH_TOKEN / --token)"
    assert "WARNING: listening on 0.0.0.0 without a token" in auth_line(None, "0.0.0.0")
    assert "WARNING" not in auth_line(None, "127.0.0.2") + auth_line(None, "[::1]")
    assert "WARNING" in auth_line(None, "raid-box.lan")


@pytest.mark.parametrize("every", ["inf", "nan", "-5"])
def test_serve_refuses_a_report_interval_it_cannot_keep(
    every: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """inf killed the reporting thread with a traceback while serving on; -5 and nan silently
    turned the reports off."""
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--report-every", every])
    assert stopped.value.code == 2
    assert f"--report-every: {every} is not between 0 and 86400 seconds" in capsys.readouterr().err


def test_serve_all_refuses_a_run_limit_below_one() -> None:
    """-1 failed after registering the deployments; 0 skipped every run forever."""
    done = subprocess.run(
        [sys.executable, "deployments/serve_all.py", "--limit", "0"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "argument --limit: 0 is less than 1" in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_at_once_on_sigterm_or_ctrl_c_with_a_stream_client(
    signum: int, tmp_path: Path
) -> None:
    """``docker stop`` and ``raidlib up`` send SIGTERM: it used to kill the receiver mid-request
    (and a PID 1 receiver ignored it); Ctrl-C waited 5 s on every connected stream client."""
    import httpx

    with _serving(tmp_path / "lake") as (url, proc):
        headers = {"Authorization": "Bearer t0k"}
        with httpx.stream("GET", f"{url}/stream/events", headers=headers, timeout=10) as stream:
            assert stream.status_code == 200
            proc.send_signal(signum)
            output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    name = signal.Signals(signum).name
    assert f"stopping receiver ({name}): finishing the requests in flight" in output
    assert "receiver stopped" in output
    assert "still running" not in output and "Traceback" not in output


def test_serve_says_what_came_in_while_it_runs_and_in_all_when_it_stops(tmp_path: Path) -> None:
    """Thousands of batches used to leave no line: an operator had to poll /health."""
    import httpx

    with _serving(tmp_path / "lake", "t0k", "--report-every", "0.5") as (url, proc):
        headers = {"Authorization": "Bearer t0k"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            assert client.post("/events", json=make_events(3)).status_code == 201
            assert client.post("/events", json=[{"event_type": "dance"}]).status_code == 400
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while "accepted" not in line and time.monotonic() < deadline:  # bounded: EOF returns
            line = proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert re.fullmatch(r"last \d+ s: 1 batch\(es\) accepted \(3 events\), 0 duplicate, "
                        r"1 rejected\n", line), line  # fmt: skip
    assert "since start: 1 batch(es) accepted (3 events), 0 duplicate, 1 rejected" in rest
