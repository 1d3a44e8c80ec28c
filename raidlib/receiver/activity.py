"""What the receiver did lately, as one line of its output: an operator watching ``raidlib
serve`` sees the traffic (and the rejections) without polling ``/health``."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from raidlib.receiver.state import IngestStats


def describe_activity(before: dict[str, int], now: dict[str, int]) -> str | None:
    """The counters' change from ``before`` to ``now`` (``IngestStats.snapshot()``), or None
    when nothing happened."""
    delta = {name: now[name] - before.get(name, 0) for name in now}
    if not any(delta.values()):
        return None
    line = (
        f"{delta['batches_accepted']:,} batch(es) accepted ({delta['events_accepted']:,} "
        f"events), {delta['batches_duplicate']:,} duplicate, "
        f"{delta['batches_rejected']:,} rejected"
    )
    if delta["storage_failures"]:
        line += f", {delta['storage_failures']:,} storage failure(s) (503)"
    return line


@contextlib.contextmanager
def reporting_activity(
    stats: IngestStats, every_s: float, echo: Callable[[str], object]
) -> Iterator[None]:
    """Every ``every_s`` seconds (0: never) in which something happened, ``echo`` one line of
    it; when the block ends, one line of everything since the start."""
    start = stats.snapshot()
    stop = threading.Event()

    def report() -> None:
        before, since = start, time.monotonic()
        while not stop.wait(every_s):
            now = stats.snapshot()
            if (line := describe_activity(before, now)) is not None:
                echo(f"last {time.monotonic() - since:.0f} s: {line}")
            before, since = now, time.monotonic()

    reporter = threading.Thread(target=report, name="raidlib-activity", daemon=True)
    if every_s > 0:
        reporter.start()
    try:
        yield
    finally:
        stop.set()
        if reporter.is_alive():
            reporter.join(5)
        echo(f"since start: {describe_activity(start, stats.snapshot()) or 'no batch'}")
