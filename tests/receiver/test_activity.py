"""The receiver's activity lines: what a ``raidlib serve`` operator reads instead of /health."""

from __future__ import annotations

import threading

from raidlib.receiver.activity import describe_activity, reporting_activity
from raidlib.receiver.state import IngestStats


def test_a_line_says_what_changed_and_nothing_when_nothing_did() -> None:
    stats = IngestStats()
    before = stats.snapshot()
    assert describe_activity(before, stats.snapshot()) is None
    stats.add(batches_accepted=2_100, events_accepted=4_200_000, batches_rejected=4)
    assert describe_activity(before, stats.snapshot()) == (
        "2,100 batch(es) accepted (4,200,000 events), 0 duplicate, 4 rejected"
    )
    stats.add(storage_failures=1)
    assert describe_activity(before, stats.snapshot()).endswith(", 1 storage failure(s) (503)")


def test_lines_come_while_batches_do_and_a_total_at_the_end() -> None:
    stats, lines, seen = IngestStats(), [], threading.Event()

    def echo(line: str) -> None:
        lines.append(line)
        seen.set()

    with reporting_activity(stats, 0.05, echo):
        stats.add(batches_accepted=1, events_accepted=10)
        assert seen.wait(5)
    assert lines[0].startswith("last ") and lines[0].endswith(
        " s: 1 batch(es) accepted (10 events), 0 duplicate, 0 rejected"
    )
    assert lines[-1] == "since start: 1 batch(es) accepted (10 events), 0 duplicate, 0 rejected"
    assert len(lines) == 2  # quiet intervals print nothing


def test_each_line_counts_only_its_own_period() -> None:
    """An operator reads "last N s" as that period's traffic: 2 batches, then 1, never 2 then 3."""
    stats, lines, said = IngestStats(), [], threading.Semaphore(0)

    def echo(line: str) -> None:
        lines.append(line)
        said.release()

    with reporting_activity(stats, 0.02, echo):
        stats.add(batches_accepted=2, events_accepted=200)
        assert said.acquire(timeout=5)
        stats.add(batches_accepted=1, events_accepted=100)
        assert said.acquire(timeout=5)
    periods = [line.split(" s: ", 1)[1] for line in lines[:2]]
    assert periods == [
        "2 batch(es) accepted (200 events), 0 duplicate, 0 rejected",
        "1 batch(es) accepted (100 events), 0 duplicate, 0 rejected",
    ]
    assert lines[2] == "since start: 3 batch(es) accepted (300 events), 0 duplicate, 0 rejected"
