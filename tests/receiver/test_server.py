"""The real thing: waitress on 127.0.0.1, httpx posts, the SSE stream and the bronze files agree."""

from __future__ import annotations

import contextlib
import io
import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from waitress import wasyncore

from raidlib.client import (
    EventBatch,
    ReceiverRefusedToken,
    ReceiverUnreachable,
    post_batch,
    post_batches,
    require_receiver,
)
from raidlib.lake.lake import Lake
from raidlib.receiver import ReceiverServer, create_app, make_server
from raidlib.receiver.state import receiver_state
from raidlib.settings import Settings

from .conftest import make_events

pytestmark = pytest.mark.e2e

WAIT_S = 10.0


@pytest.fixture
def server(lake: Lake) -> Iterator[ReceiverServer]:
    settings = Settings(sse_heartbeat_s=0.2, auth_token="tok")
    srv = make_server(create_app(settings, lake), "127.0.0.1", 0, threads=4).start()
    try:
        yield srv
    finally:
        srv.close()


def _read_sse(url: str, frames: queue.Queue, comments: queue.Queue, stop: threading.Event) -> None:
    """Collect ``data:`` payloads until the server ends the stream or ``stop`` is set."""
    timeout = httpx.Timeout(WAIT_S, read=WAIT_S)
    auth = {"Authorization": "Bearer tok"}
    with httpx.stream("GET", f"{url}/stream/events", timeout=timeout, headers=auth) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if stop.is_set():
                return
            if line.startswith("data: "):
                frames.put(line.removeprefix("data: "))
            elif line.startswith(":"):
                comments.put(line)


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_posts_stream_and_bronze_agree_line_by_line(server: ReceiverServer, lake: Lake) -> None:
    auth = {"Authorization": "Bearer tok"}
    assert httpx.get(f"{server.url}/health", timeout=WAIT_S).json()["status"] == "ok"
    # with a token configured the stream, which carries every accepted event, needs it too
    assert httpx.get(f"{server.url}/stream/events", timeout=WAIT_S).status_code == 401

    frames: queue.Queue[str] = queue.Queue()
    comments: queue.Queue[str] = queue.Queue()
    stop = threading.Event()
    reader = threading.Thread(
        target=_read_sse, args=(server.url, frames, comments, stop), daemon=True
    )
    reader.start()
    _wait_for(
        lambda: httpx.get(f"{server.url}/health", timeout=WAIT_S).json()["stream"]["clients"] == 1,
        "the SSE client to subscribe",
    )

    batch_a = {
        "batch_id": str(uuid.UUID(int=0xE2EA)),
        "source": "e2e",
        "events": make_events(40, "raidX"),
    }
    batch_b = make_events(25, "raidY") + make_events(15, "raidX")
    with httpx.Client(base_url=server.url, timeout=WAIT_S, headers=auth) as client:
        assert client.post("/events", json=batch_a).status_code == 201
        second = client.post("/events", json=batch_b)
        assert second.status_code == 201
        assert client.post("/events", json=batch_a).json()["status"] == "duplicate"
        bad = make_events(3)
        bad[1]["healing_amount"] = 0  # event 1 is a heal: the amount must be > 0
        assert client.post("/events", json=bad).status_code == 400
        assert (
            client.post("/events", json=batch_a, headers={"Authorization": ""}).status_code == 401
        )

    expected = batch_a["events"] + batch_b  # duplicate and rejected batches are not streamed
    received = []
    deadline = time.monotonic() + WAIT_S
    while len(received) < len(expected) and time.monotonic() < deadline:
        try:
            received.append(json.loads(frames.get(timeout=0.5)))
        except queue.Empty:
            continue
    assert [e["event_id"] for e in received] == [e["event_id"] for e in expected]
    _wait_for(lambda: ": heartbeat" in list(comments.queue), "a heartbeat comment")

    # Every bronze line is the streamed event plus the three batch fields.
    by_id = {e["event_id"]: e for e in received}
    bronze = sorted(Path(lake.bronze_root).rglob("*.jsonl"))
    assert len(bronze) == 3  # batch A: raidX; batch B: raidX and raidY
    lines = [json.loads(raw) for path in bronze for raw in path.read_bytes().splitlines()]
    assert len(lines) == len(expected)
    for line in lines:
        batch_fields = {k: line.pop(k) for k in ("batch_id", "ingest_timestamp", "batch_source")}
        assert batch_fields["ingest_timestamp"].endswith("Z")
        assert line == by_id[line["event_id"]]
    assert frames.empty()

    stop.set()
    server.close()
    reader.join(WAIT_S)
    assert not reader.is_alive()


def test_client_retries_reuse_the_batch_id(server: ReceiverServer, lake: Lake) -> None:
    batch = EventBatch.of(make_events(5))
    with httpx.Client(timeout=WAIT_S) as client:
        first = post_batch(client, f"{server.url}/events", batch, token="tok")
        # As if the first response had been lost: the client sends the same bytes again.
        again = post_batch(client, f"{server.url}/events", batch, token="tok")
        unauthorised = post_batch(client, f"{server.url}/events", batch, retries=2)
    assert (first.outcome, first.status_code) == ("accepted", 201)
    assert (again.outcome, again.status_code) == ("duplicate", 200)
    assert (unauthorised.outcome, unauthorised.attempts) == ("rejected", 1)
    assert len(list(Path(lake.bronze_root).rglob("*.jsonl"))) == 1


def test_post_batches_is_concurrent_and_summarises(server: ReceiverServer) -> None:
    good = [EventBatch.of(make_events(20, f"raid{i}")) for i in range(6)]
    bad_events = make_events(2)
    bad_events[0]["raid_id"] = "no/slashes"
    batches = [*good, good[0], EventBatch.of(bad_events)]
    summary = post_batches(server.url, batches, concurrency=3, token="tok", progress=False)
    assert (summary.accepted, summary.duplicate, summary.rejected, summary.failed) == (6, 1, 1, 0)
    assert summary.events_accepted == 120
    assert "raid_id" in summary.first_error


@pytest.mark.parametrize("path", ["", "/", "/events", "/events/"])
def test_post_batches_takes_the_base_url_or_the_events_url(
    server: ReceiverServer, path: str
) -> None:
    summary = post_batches(
        server.url + path, [EventBatch.of(make_events(2))], token="tok", progress=False
    )
    assert (summary.accepted, summary.first_error) == (1, None)


def test_post_batches_takes_a_lazy_iterable_as_it_goes(server: ReceiverServer) -> None:
    """Batches read from a big log come from a generator: no more than twice the concurrency
    are taken ahead of the answers, so the log is never all in memory at once."""
    taken: list[int] = []

    def batches():
        for i in range(30):
            taken.append(i)
            yield EventBatch.of(make_events(2, f"lazy{i}"))

    taken_at_answer: list[int] = []
    summary = post_batches(
        server.url,
        batches(),
        concurrency=2,
        token="tok",
        progress=False,
        on_result=lambda _: taken_at_answer.append(len(taken)),
    )
    assert summary.accepted == 30 and len(taken_at_answer) == 30
    assert taken_at_answer[0] <= 2 * 2 + 1, taken_at_answer


def test_the_progress_bar_counts_the_answered_events(
    server: ReceiverServer, capsys: pytest.CaptureFixture[str]
) -> None:
    batches = [EventBatch.of(make_events(20, f"bar{i}")) for i in range(3)]
    summary = post_batches(server.url, batches, concurrency=2, token="tok")
    assert summary.accepted == 3
    last = capsys.readouterr().err.split("\r")[-1]  # the bar as it was left
    assert "100%" in last and "60.0/60.0" in last, last


def test_post_batches_reports_results_and_the_first_error_in_completion_order(
    lake: Lake,
) -> None:
    """Four rejected batches, each held by the receiver for longer the earlier it was sent: they
    finish last-sent first, and the summary lists them (and names its first error) that way."""
    holds = {f"batch-{i}": 0.15 * (3 - i) for i in range(4)}
    app = create_app(Settings(auth_token="tok"), lake)
    receiver = app.wsgi_app

    def held(environ, start_response):  # hold each request for its batch's time, then answer
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)
        time.sleep(holds[json.loads(body)["source"]])
        return receiver(environ, start_response)

    app.wsgi_app = held  # type: ignore[method-assign]
    batches = []
    for i in range(4):
        events = make_events(i + 1)
        events[i]["raid_id"] = "no/slashes"  # batch i is rejected for its event i
        batches.append(EventBatch(str(uuid.uuid4()), events, source=f"batch-{i}"))
    srv = make_server(app, "127.0.0.1", 0, threads=4).start()
    try:
        summary = post_batches(srv.url, batches, concurrency=4, token="tok", progress=False)
    finally:
        srv.close()
    assert [r.batch_id for r in summary.results] == [b.batch_id for b in reversed(batches)]
    assert summary.rejected == 4
    assert "; event 3: " in (summary.first_error or "")
    assert (summary.first_error or "").count("event 3") == 1  # named once, not repeated


@pytest.fixture
def counted(lake: Lake) -> Iterator[tuple[ReceiverServer, list[str]]]:
    """A receiver that needs the token ``tok``, and the method and path of each request to it."""
    app = create_app(Settings(auth_token="tok"), lake)
    receiver, requests = app.wsgi_app, []

    def counting(environ, start_response):
        requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return receiver(environ, start_response)

    app.wsgi_app = counting  # type: ignore[method-assign]
    srv = make_server(app, "127.0.0.1", 0, threads=4).start()
    try:
        yield srv, requests
    finally:
        srv.close()


def test_a_refused_token_stops_the_sending_at_the_first_401(counted) -> None:
    """A wrong token posted every batch, each answered 401, before the summary said so. Now
    the first 401 stops it: nothing more is taken from the batches, those in flight finish,
    and the exception names the cause and carries what was answered."""
    srv, requests = counted
    taken: list[int] = []

    def batches():  # lazy, as import-log reads a log: counts what post_batches took
        for n in range(50):
            taken.append(n)
            yield EventBatch.of(make_events(3))

    with pytest.raises(ReceiverRefusedToken, match="refused the token given") as refused:
        post_batches(srv.url, batches(), concurrency=2, token="wrong", progress=False)
    summary = refused.value.summary
    assert summary is not None and {r.status_code for r in summary.results} == {401}
    assert len(taken) <= 2 * 2 + 1  # the window of batches in flight or queued, and no more
    assert requests.count("POST /events") == len(summary.results) <= 2 * 2
    with pytest.raises(ReceiverRefusedToken, match="needs a token: pass --token"):
        post_batches(srv.url, [EventBatch.of(make_events(3))], progress=False)


def test_require_receiver_says_when_the_batches_would_carry_no_token(counted) -> None:
    """/health says ``auth_required``: a sender without a token is stopped before it posts."""
    srv, requests = counted
    with pytest.raises(ReceiverRefusedToken, match=r"needs a token: pass --token or set RAID"):
        require_receiver(srv.url, sends_token=False)
    require_receiver(srv.url, sends_token=True)  # /health cannot tell a wrong token
    require_receiver(srv.url)  # not asked: as before
    assert set(requests) == {"GET /health"}  # looking posted nothing


def test_unreachable_receiver_fails_after_bounded_retries() -> None:
    batch = EventBatch.of(make_events(1))
    sleeps: list[float] = []
    with httpx.Client(timeout=1.0) as client:
        result = post_batch(
            client,
            "http://127.0.0.1:9/events",
            batch,
            retries=2,
            backoff_s=0.01,
            sleep=sleeps.append,
        )
    assert result.outcome == "failed" and result.attempts == 3 and len(sleeps) == 2
    assert "ConnectError" in (result.error or "")


def test_the_backoff_between_retries_is_capped() -> None:
    """Many retries wait at most ``max_backoff_s`` each (jittered), not an ever-doubling wait."""
    sleeps: list[float] = []
    with httpx.Client(timeout=1.0) as client:
        result = post_batch(
            client,
            "http://127.0.0.1:9/events",
            EventBatch.of(make_events(1)),
            retries=6,
            backoff_s=1.0,
            max_backoff_s=2.0,
            sleep=sleeps.append,
        )
    assert result.outcome == "failed" and len(sleeps) == 6
    assert 0.5 <= sleeps[0] <= 1.0  # the first wait: backoff_s, jittered down to half
    assert all(wait <= 2.0 for wait in sleeps), sleeps


def test_a_429_from_a_proxy_in_front_of_the_receiver_is_retried(lake: Lake) -> None:
    """429 Too Many Requests says "later", not "never": the batch is sent again and lands."""
    from tests.receiver.conftest import answer_first_post_with

    app = create_app(Settings(auth_token="tok"), lake)
    answer_first_post_with(app, "429 Too Many Requests", b"slow down")
    srv = make_server(app, "127.0.0.1", 0, threads=2).start()
    sleeps: list[float] = []
    try:
        with httpx.Client(timeout=WAIT_S) as client:
            result = post_batch(
                client,
                f"{srv.url}/events",
                EventBatch.of(make_events(3)),
                token="tok",
                backoff_s=0.01,
                sleep=sleeps.append,
            )
    finally:
        srv.close()
    assert (result.outcome, result.status_code, result.attempts) == ("accepted", 201, 2)
    assert len(sleeps) == 1


def test_require_receiver_waits_briefly_then_names_the_url(server: ReceiverServer) -> None:
    require_receiver(server.url)  # a live receiver passes at once
    require_receiver(server.url + "/events/")  # the events URL works as well
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    with pytest.raises(ReceiverUnreachable, match=r"no receiver answers at http://127.0.0.1:9 "):
        require_receiver("http://127.0.0.1:9", wait_s=0.3, sleep=sleep)
    assert sleeps == [0.5]  # tried again within the wait (a receiver started a moment earlier)
    with pytest.raises(ReceiverUnreachable, match=r"127.0.0.1:9 is not an http:// or https://"):
        require_receiver("127.0.0.1:9", wait_s=60, sleep=sleep)  # no waiting on a bad URL
    assert sleeps == [0.5]


def test_stream_clients_never_take_the_threads_that_ingest(lake: Lake) -> None:
    """Stalled stream clients (connected, never reading) fill their own threads; POST /events
    and /health still answer at once, and one stream client too many gets 503 JSON."""
    import socket

    settings = Settings(sse_heartbeat_s=0.2, sse_max_clients=3)
    stalled: list[socket.socket] = []
    with make_server(create_app(settings, lake), "127.0.0.1", 0, threads=2).start() as srv:
        try:
            for _ in range(3):
                sock = socket.create_connection(("127.0.0.1", srv.port), timeout=WAIT_S)
                sock.sendall(b"GET /stream/events HTTP/1.1\r\nHost: x\r\n\r\n")
                stalled.append(sock)  # never read from
            broker = receiver_state(srv.app).broker
            _wait_for(lambda: broker.client_count == 3, "three stream clients")
            with httpx.Client(base_url=srv.url, timeout=5.0) as client:
                extra = client.get("/stream/events")
                assert extra.status_code == 503 and extra.headers["Retry-After"] == "5"
                assert extra.json()["status"] == "too_many_stream_clients"
                started = time.monotonic()
                assert client.post("/events", json=make_events(3)).status_code == 201
                assert client.get("/health").status_code == 200
                assert time.monotonic() - started < 5.0
        finally:
            for sock in stalled:
                sock.close()


def test_a_stream_client_that_stops_reading_is_let_go(
    lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that stays connected but reads nothing once its buffers are full (a hung
    consumer) used to keep its thread and slot for good, so eight of them answered every new
    stream client 503 until the receiver restarted. Now it is disconnected once nothing could be
    sent to it for ``sse_stall_timeout_s``."""
    import socket

    settings = Settings(sse_heartbeat_s=0.2, sse_max_clients=1, sse_stall_timeout_s=1.0)
    app = create_app(settings, lake)
    with make_server(app, "127.0.0.1", 0, threads=2, cleanup_interval=1).start() as srv:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(WAIT_S)
            sock.connect(("127.0.0.1", srv.port))
            sock.sendall(b"GET /stream/events HTTP/1.1\r\nHost: x\r\n\r\n")  # never read
            broker = receiver_state(app).broker
            _wait_for(lambda: broker.client_count == 1, "the stream client")
            with httpx.Client(base_url=srv.url, timeout=WAIT_S) as client:
                for _ in range(8):  # ~9 MB of frames: more than the sockets' buffers hold
                    assert client.post("/events", json=make_events(1500)).status_code == 201
                _wait_for(lambda: broker.client_count == 0, "the stalled client to be let go")
                with client.stream("GET", "/stream/events") as stream:  # the slot is free again
                    assert stream.status_code == 200
        finally:
            sock.close()
    assert "took nothing of its waiting output" in caplog.text  # the operator learns why


def _hammer_health(url: str, stop: threading.Event) -> None:
    with httpx.Client(timeout=1.0) as client:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                client.get(url + "/health")


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_closing_a_busy_server_raises_nothing_in_its_thread(settings: Settings, lake: Lake) -> None:
    # close() used to close the sockets from the caller's thread while the serving loop was
    # about to select() on them: now and then an EBADF traceback from the server thread.
    for _ in range(20):
        srv = make_server(create_app(settings, lake), "127.0.0.1", 0, threads=2).start()
        stop = threading.Event()
        clients = [threading.Thread(target=_hammer_health, args=(srv.url, stop)) for _ in range(3)]
        for thread in clients:
            thread.start()
        time.sleep(0.05)
        srv.close()
        stop.set()
        for thread in clients:
            thread.join(5)
        assert srv._thread is not None and not srv._thread.is_alive()


def test_send_takes_the_receivers_token_from_the_settings(
    server: ReceiverServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One ``RAIDLIB_AUTH_TOKEN`` serves both ends: ``raidlib send`` needs no ``--token``."""
    from raidlib.cli import main

    args = ["send", "--url", server.url, "--raids", "1", "--no-progress", "--retries", "0"]
    monkeypatch.setenv("RAIDLIB_AUTH_TOKEN", "tok")
    assert main(args) == 0
    assert "duplicate: 0  rejected(4xx): 0  failed: 0" in capsys.readouterr().out


def test_a_stream_client_that_goes_away_frees_its_slot_within_seconds(lake: Lake) -> None:
    """Clients reconnect after 2 s: at the client limit, a vanished client's slot must be free
    about then, not after two or three failed heartbeat writes (15 s each by default)."""
    settings = Settings(sse_max_clients=1)  # the default 15 s heartbeat
    with make_server(create_app(settings, lake), "127.0.0.1", 0, threads=2).start() as srv:
        broker = receiver_state(srv.app).broker
        with httpx.stream("GET", f"{srv.url}/stream/events", timeout=WAIT_S) as response:
            assert response.status_code == 200
            next(response.iter_lines())  # connected
            assert broker.client_count == 1
        _wait_for(lambda: broker.client_count == 0, "the vanished client's slot to be freed")
        with httpx.stream("GET", f"{srv.url}/stream/events", timeout=WAIT_S) as again:
            assert again.status_code == 200


def test_a_client_that_half_closes_after_its_post_still_gets_its_201(
    server: ReceiverServer,
) -> None:
    """Some clients shut their sending side once the request is out; the answer must still
    reach them (a 2xx is how a client knows its batch is durable)."""
    import socket

    body = json.dumps(make_events(200)).encode()
    head = (
        b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer tok\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S) as sock:
        sock.sendall(head % len(body) + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201")


def test_a_batch_in_flight_when_the_receiver_is_stopped_is_answered_and_kept(
    settings: Settings, lake: Lake, capfd: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C (or SIGTERM), as ``raidlib serve`` handles them, waits for the batch being landed
    and sends its answer, even when a second signal follows: a client is never left without
    an answer for a batch in bronze."""
    import os
    import signal

    from raidlib.cli.serve import _stopping_on_signals

    srv = make_server(create_app(settings, lake), "127.0.0.1", 0, threads=2)
    writer = receiver_state(srv.app).writer
    landing, release, stopped = threading.Event(), threading.Event(), threading.Event()
    real_land = writer.land

    def slow_land(*args: object, **kwargs: object) -> object:
        landing.set()
        release.wait(WAIT_S)
        return real_land(*args, **kwargs)

    writer.land = slow_land  # type: ignore[method-assign]
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(httpx.post(f"{srv.url}/events", json=make_events(5), timeout=WAIT_S))

    def interrupt_twice_while_landing() -> None:
        if landing.wait(WAIT_S):
            os.kill(os.getpid(), signal.SIGINT)  # → KeyboardInterrupt in this (main) thread
            time.sleep(0.2)
            os.kill(os.getpid(), signal.SIGTERM)  # impatient: must not cut the batch off
            time.sleep(0.2)
        release.set()
        if not stopped.wait(WAIT_S):
            srv.close()  # bound: the interrupt never arrived

    threads = [
        threading.Thread(target=f, daemon=True) for f in (post, interrupt_twice_while_landing)
    ]
    try:
        for thread in threads:
            thread.start()
        with pytest.raises(KeyboardInterrupt), _stopping_on_signals():
            srv.serve_forever()
    finally:
        release.set()
        stopped.set()
    threads[0].join(WAIT_S)
    assert [answer.status_code for answer in answers] == [201]
    lines = [
        raw
        for path in Path(lake.bronze_root).rglob("*.jsonl")
        for raw in path.read_bytes().splitlines()
    ]
    assert len(lines) == 5
    said = capfd.readouterr().out
    assert "stopping receiver (SIGINT)" in said and "already stopping" in said


def test_a_serving_loop_that_fails_is_not_a_clean_stop(settings: Settings, lake: Lake) -> None:
    """A supervisor restarts a receiver that exits with a failure, not one that exits 0."""
    srv = make_server(create_app(settings, lake), "127.0.0.1", 0, threads=2)

    def crash() -> None:
        raise ValueError("filedescriptor out of range in select()")

    srv._server.run = crash  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="out of range"):
        srv.serve_forever()


def test_a_serving_loop_that_ends_by_itself_is_not_a_clean_stop(
    settings: Settings, lake: Lake
) -> None:
    """Sockets closed under the loop end it without an exception: ``raidlib serve`` must still
    exit with a failure, so that a supervisor restarts the receiver."""
    srv = make_server(create_app(settings, lake), "127.0.0.1", 0, threads=2)
    # Runs in the loop's thread as soon as it starts, as a fault inside waitress would.
    srv._server.trigger.pull_trigger(lambda: wasyncore.close_all(srv._map))  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="serving loop ended by itself"):
        srv.serve_forever()


def test_a_body_just_over_the_cap_gets_the_json_413(lake: Lake) -> None:
    """CONTRACT §2: a client over the byte cap reads why in JSON, not waitress's plain page."""
    settings = Settings(max_request_bytes=10_000)
    body = json.dumps({"events": [{"ability_name": "x" * 15_000}]})
    with make_server(create_app(settings, lake), "127.0.0.1", 0, threads=2).start() as srv:
        response = httpx.post(
            f"{srv.url}/events",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=WAIT_S,
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json()["status"] == "payload_too_large"
    assert response.json()["max_bytes"] == 10_000
