"""Import a combat log end to end: parse, cut into deterministic batches, deliver.

Delivery goes either straight into the bronze layer of a lake (the receiver's own validation
and :func:`~raidlib.lake.bronze_writer.land_batch`) or over HTTP to a receiver
(:func:`~raidlib.client.post_batches`). Either way the import is idempotent: event ids are
uuid5(file identity, line number) (:mod:`raidlib.combatlog.mapping`) and a batch id is a uuid5 of
the batch's content, so importing the same log again lands nothing new (``duplicate``), and a
retry after a crash only adds the batches that are missing. Silver deduplicates by event id on
top of that, so even a re-import with another ``batch_size`` leaves gold unchanged.

Malformed lines never stop an import: the :class:`~raidlib.combatlog.ParseReport` counts them
with their line numbers and reasons, next to everything that was deliberately skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from raidlib.combatlog.import_result import EncounterLog, ImportResult, event_time
from raidlib.combatlog.mapping import import_events
from raidlib.combatlog.parser import count_rows
from raidlib.combatlog.reader import HEAD_BYTES, UnreadableLogError, head_lines
from raidlib.combatlog.report import ParseReport

if TYPE_CHECKING:
    from raidlib.client import SendSummary

BATCH_NAMESPACE = uuid.UUID("b7f3d0a4-2c5e-4f8b-9a61-0d4c3e2f1a90")
DEFAULT_BATCH_SIZE = 5_000
"""Events per batch: well under the receiver's 10,000 events / 16 MiB per request."""
BATCH_SOURCE = "wow-combatlog-import"

Progress = Callable[[int, int], None]
"""``on_progress(bytes_read, bytes_total)``: bytes of the file as stored (compressed for .gz)."""


@dataclass(frozen=True)
class LogBatch:
    """One batch of wire events with its deterministic id (fits :func:`post_batches`)."""

    batch_id: str
    events: list[dict[str, Any]]
    source: str = BATCH_SOURCE

    def body(self) -> bytes:
        envelope = {"batch_id": self.batch_id, "source": self.source, "events": self.events}
        return json.dumps(envelope, separators=(",", ":")).encode()


def batch_id_for(events: list[dict[str, Any]]) -> str:
    """uuid5 of the batch's canonical JSON: the same events always get the same id."""
    digest = hashlib.sha1(json.dumps(events, sort_keys=True, separators=(",", ":")).encode())
    return str(uuid.uuid5(BATCH_NAMESPACE, digest.hexdigest()))


@dataclass(frozen=True)
class LogReading:
    """How a log is read into events, whatever it is delivered to.

    Attributes:
        raid_id: the raid id to file events under (default: slug of the file name + UTC date).
        year, utc_offset_hours, tz, scope, chunk_bytes: see :func:`raidlib.combatlog.parse_log`;
            ``year`` defaults to the one in a ``WoWCombatLog-MMDDYY_…`` file name.
        boss_npc_ids: NPC ids (the 6th part of a ``Creature-…`` GUID) that are bosses too, for
            fights whose bosses are not named like the encounter (councils).
    """

    raid_id: str | None = None
    year: int | None = None
    utc_offset_hours: float | None = None
    tz: str | None = None
    scope: str = "encounter"
    chunk_bytes: int | None = None
    boss_npc_ids: tuple[int, ...] = ()


def iter_log_batches(
    path: str | os.PathLike[str],
    reading: LogReading = LogReading(),
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    report_into: list[ParseReport] | None = None,
    on_progress: Progress | None = None,
) -> Iterator[LogBatch]:
    """Parse ``path`` as ``reading`` says and yield :class:`LogBatch` es of at most
    ``batch_size`` events.

    The :class:`ParseReport` is appended to ``report_into`` before the first batch; it is
    complete once the iterator is exhausted. ``on_progress`` is called after each parsed chunk
    with the bytes read so far (of the file as stored) and the file size.

    Raises:
        UnreadableLogError: the file holds no combat log row at all (empty, or not a combat
            log), or its gzip stream is truncated or corrupt (raised where the damage is,
            after the batches before it).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    path = os.fspath(path)
    total = os.path.getsize(path)
    # parse_log reads a year-less log's year from the file object's name itself, and knows
    # then that nobody typed it (no "year given but not used" for a modern log)
    with open(path, "rb") as handle:  # a file object, so the bytes read can be reported
        batches, report = import_events(
            handle,
            raid_id=reading.raid_id,
            year=reading.year,
            utc_offset_hours=reading.utc_offset_hours,
            tz=reading.tz,
            scope=reading.scope,
            chunk_bytes=reading.chunk_bytes,
            boss_npc_ids=reading.boss_npc_ids,
        )
        if report_into is not None:
            report_into.append(report)
        for chunk in batches:
            if on_progress is not None:
                on_progress(min(handle.tell(), total), total)
            for start in range(0, len(chunk), batch_size):
                events = chunk[start : start + batch_size]
                yield LogBatch(batch_id_for(events), events)
    if not report.events:
        raise UnreadableLogError(_no_rows(path))
    if on_progress is not None:
        on_progress(total, total)


def log_start_problem(path: str | os.PathLike[str]) -> str | None:
    """Why the start of ``path`` shows that importing it would fail at once, or None: it cannot
    be opened, is UTF-16 text, its gzip stream breaks before the first line, or its first
    :data:`~raidlib.combatlog.reader.HEAD_BYTES` hold no combat log row (a real log's first line
    is one: ``COMBAT_LOG_VERSION``).

    Checked before an import starts (``raidlib import-log``, ``flows/import_combat_log.py``):
    the flow script found an empty or binary file only after starting Prefect's temporary
    server (20-35 s), and said so after ~50 lines of a failed run's tracebacks.
    """
    try:
        lines, whole = head_lines(path)
    except UnreadableLogError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read {path} ({exc.strerror or exc})"
    if count_rows(lines):
        return None
    return _no_rows(path) if whole else _no_rows(f"the first {HEAD_BYTES >> 20} MiB of {path}")


def _no_rows(where: str | os.PathLike[str]) -> str:
    return f"no combat log rows in {where}"


def _deliver_to_lake(
    batches: Iterator[LogBatch], lake: Any, max_clock_skew_s: float, result: ImportResult
) -> None:
    from raidlib.landing import land_batches

    summary = land_batches(lake, batches, max_clock_skew_s=max_clock_skew_s)
    _count_delivery(summary, result)
    rejected = next((r for r in summary.results if r.error), None)
    if rejected is not None:
        result.first_error = f"batch {rejected.batch_id}: {rejected.error}"


def _deliver_to_receiver(
    batches: Iterator[LogBatch],
    url: str,
    token: str | None,
    concurrency: int,
    result: ImportResult,
) -> None:
    from raidlib.client import post_batches

    summary = post_batches(url, batches, concurrency=concurrency, token=token, progress=False)
    _count_delivery(summary, result)
    result.first_error = summary.first_error


def _count_delivery(summary: SendSummary, result: ImportResult) -> None:
    result.batches = len(summary.results)
    result.accepted, result.duplicate = summary.accepted, summary.duplicate
    result.rejected, result.failed = summary.rejected, summary.failed
    result.events_landed = summary.events_accepted


def import_log(
    path: str | os.PathLike[str],
    reading: LogReading = LogReading(),
    *,
    lake: Any = None,
    receiver_url: str | None = None,
    token: str | None = None,
    max_clock_skew_s: float = 300.0,
    concurrency: int = 4,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
) -> ImportResult:
    """Import one combat log, read as ``reading`` says, into ``lake``'s bronze layer, or post
    it to ``receiver_url``.

    Args:
        lake: a :class:`raidlib.lake.Lake` (used when ``receiver_url`` is not given).
        receiver_url: POST the batches here instead (``token``: its bearer token).
        max_clock_skew_s: the receiver's future-timestamp tolerance (lake delivery).
        batch_size: events per batch (≤ the receiver's limit, 10,000 by default).
        on_progress: ``(bytes_read, bytes_total)`` callback.

    Returns:
        :class:`ImportResult`; ``result.ok`` is False when a batch was rejected or failed.

    Raises:
        raidlib.client.ReceiverRefusedToken: the receiver answered 401 (no token, or not its
            own); the reading and the sending stopped there.
    """
    if receiver_url is None and lake is None:
        raise ValueError("give a lake or a receiver_url")
    started = time.perf_counter()
    reports: list[ParseReport] = []
    seen = EncounterLog()
    raids: set[str] = set()
    produced = 0

    earliest: datetime | None = None

    def tracked() -> Iterator[LogBatch]:
        nonlocal produced, earliest
        for batch in iter_log_batches(
            path, reading, batch_size=batch_size, report_into=reports, on_progress=on_progress
        ):
            produced += len(batch.events)
            ends = batch.events[:1] + batch.events[-1:]  # a log is in time order
            raids.update(e["raid_id"] for e in ends)
            for when in filter(None, map(event_time, ends)):
                earliest = when if earliest is None else min(earliest, when)
            seen.observe(batch.events)
            yield batch

    if receiver_url:
        destination = f"receiver {receiver_url}"
        result = ImportResult(os.fspath(path), destination, ParseReport(), pd.DataFrame())
        _deliver_to_receiver(tracked(), receiver_url, token, concurrency, result)
    else:
        destination = f"bronze {lake.url('bronze', '')}"
        result = ImportResult(os.fspath(path), destination, ParseReport(), pd.DataFrame())
        _deliver_to_lake(tracked(), lake, max_clock_skew_s, result)
    result.report = reports[0] if reports else ParseReport()
    result.encounters = seen.frame()
    result.raid_ids = sorted(raids)
    result.events = produced
    result.earliest_event = earliest
    result.bytes_total = os.path.getsize(path)
    result.seconds = time.perf_counter() - started
    return result
