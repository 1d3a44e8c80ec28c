"""EventBroker: bounded per-client buffers; a slow client loses frames, ingestion never waits."""

from __future__ import annotations

import time

from raidlib.receiver.broker import EventBroker


def test_frames_reach_every_subscriber_in_order() -> None:
    broker = EventBroker(capacity=10)
    a, b = broker.subscribe(), broker.subscribe()
    broker.publish([b'{"n":1}', b'{"n":2}'])
    broker.publish([b'{"n":3}'])
    for sub in (a, b):
        delivery = sub.take(timeout=0.1)
        assert b"".join(delivery.chunks) == b'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\n'
        assert delivery.dropped == 0


def test_a_full_buffer_drops_and_counts_without_blocking() -> None:
    broker = EventBroker(capacity=3)
    slow = broker.subscribe()
    started = time.perf_counter()
    for i in range(100):
        broker.publish([b"{}", b"{}"])  # the 2nd batch no longer fits: dropped for this client
        if i == 0:
            assert broker.dropped_events == 0
    assert time.perf_counter() - started < 1.0
    assert broker.dropped_events == 198
    delivery = slow.take(timeout=0.1)
    assert delivery.dropped == 198
    assert b"".join(delivery.chunks).count(b"data: ") == 2
    broker.publish([b"{}"])
    assert slow.take(timeout=0.1).dropped == 0  # reported once


def test_take_waits_at_most_the_timeout_and_close_wakes_it() -> None:
    broker = EventBroker(capacity=3)
    sub = broker.subscribe()
    started = time.perf_counter()
    delivery = sub.take(timeout=0.05)
    assert delivery.chunks == [] and not delivery.closed
    assert time.perf_counter() - started < 1.0
    broker.close()
    assert sub.take(timeout=5).closed


def test_unsubscribed_clients_get_nothing_and_keep_their_drop_count() -> None:
    broker = EventBroker(capacity=1)
    sub = broker.subscribe()
    broker.publish([b"{}", b"{}"])
    broker.unsubscribe(sub)
    broker.publish([b"{}"])
    assert broker.client_count == 0
    assert broker.dropped_events == 2


def test_a_stalled_client_buffers_at_most_its_bytes_whatever_the_events_weigh() -> None:
    """Counting events bounded nothing: 250 events of 4 MiB each held 1.3 GB for 8 stalled
    clients (security audit)."""
    broker = EventBroker(capacity=10_000, capacity_bytes=1_000)
    stalled = broker.subscribe()
    heavy = b'{"ability_name":"' + b"x" * 400 + b'"}'
    for _ in range(10):
        broker.publish([heavy])
    delivery = stalled.take(timeout=0.1)
    assert sum(map(len, delivery.chunks)) <= 1_000
    assert len(delivery.chunks) == 2 and delivery.dropped == 8


def test_a_batch_bigger_than_the_byte_bound_still_reaches_an_idle_client() -> None:
    broker = EventBroker(capacity=10, capacity_bytes=100)
    idle = broker.subscribe()
    broker.publish([b'{"name":"' + b"x" * 200 + b'"}'])
    broker.publish([b"{}"])  # the buffer holds more than its bound already: dropped
    delivery = idle.take(timeout=0.1)
    assert [len(chunk) > 200 for chunk in delivery.chunks] == [True] and delivery.dropped == 1


def test_a_batch_of_exactly_the_capacity_reaches_an_idle_client() -> None:
    """The largest batch POST /events accepts equals the default queue size: it must stream."""
    broker = EventBroker(capacity=3)
    idle = broker.subscribe()
    broker.publish([b'{"n":1}', b'{"n":2}', b'{"n":3}'])
    delivery = idle.take(timeout=0.1)
    assert b"".join(delivery.chunks).count(b"data: ") == 3
    assert delivery.dropped == 0 and broker.dropped_events == 0


def test_a_client_that_reads_promptly_keeps_receiving_past_the_byte_bound() -> None:
    """The byte bound is on what waits, not on what has passed: a live client gets everything."""
    broker = EventBroker(capacity=10, capacity_bytes=100)
    prompt = broker.subscribe()
    event = b'{"ability_name":"' + b"x" * 40 + b'"}'  # 67 bytes as a frame: 5 of them pass 300
    received = 0
    for _ in range(5):
        broker.publish([event])
        received += b"".join(prompt.take(timeout=0.1).chunks).count(b"data: ")
    assert received == 5
    assert broker.dropped_events == 0
