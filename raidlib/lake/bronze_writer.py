"""Land one validated batch in bronze (CONTRACT §3): one JSON Lines object per raid, then a manifest.

Layout under the bronze root::

    wow_raid_events/v1/raid_id=<raid>/ingest_date=<YYYY-MM-DD>/batch=<batch_id>.jsonl
    _batches/<batch_id>.json        # written last: its presence means "this batch landed"

Each line is the validated event (``exclude_none``; UTC timestamps with ``Z``) with the batch's
``batch_id``, ``ingest_timestamp`` and ``batch_source`` in front. Objects are written atomically
and only where nothing is yet (:meth:`Lake.create_bytes_exclusive`), so a landed object is never
rewritten. Writers of one ``batch_id`` in one process are serialised by a lock. Across processes
(several receivers on one lake, a client retrying on another instance):

- a writer that finds one of its keys taken waits for that batch's manifest; when it appears the
  batch landed elsewhere and the answer is "duplicate", with the other writer's objects untouched;
- an object whose manifest has not come after :data:`LEFTOVER_AFTER_S` is the leftover of an
  attempt that crashed before committing, and is replaced;
- the manifest itself is created exclusively: the first writer commits, a racing second one
  removes any object only it wrote (another ``ingest_date`` after midnight) and answers
  "duplicate".

A storage error part-way (one raid's object written, the next refused) removes the objects this
call wrote before the error is raised, so only a killed process leaves an uncommitted object.

Each object's bytes come from :mod:`raidlib.lake.bronze_lines`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from raidlib.lake.bronze_lines import (
    EncodedEvents,
    batch_prefix,
    format_ingest_timestamp,
    render_jsonl,
)
from raidlib.lake.errors import LakeDataError
from raidlib.lake.lake import Lake
from raidlib.lake.layout import DATASET, bronze_batch_key, bronze_manifest_key
from raidlib.lake.s3 import cat_object

DEFAULT_SOURCE = "receiver"
MANIFEST_VERSION = 1
#: How long an object may sit without its batch's manifest before it counts as the leftover of a
#: crashed attempt; a live writer commits within moments of writing its last object. (S3 dates
#: objects to the whole second, so an object may look up to 1 s older than it is.)
LEFTOVER_AFTER_S = 10.0
_MANIFEST_POLL_S = 0.05


@dataclass(frozen=True)
class LandedBatch:
    """Where a batch's events live. ``duplicate``: it had landed before and nothing was written."""

    batch_id: str
    keys: tuple[str, ...]
    """Object keys relative to the bronze root, one per raid (sorted by raid)."""
    paths: tuple[str, ...]
    """The same objects as URLs a person can paste (``s3://…`` or an absolute local path)."""
    counts: dict[str, int]
    """Events per raid."""
    duplicate: bool
    ingest_timestamp: str
    source: str = DEFAULT_SOURCE
    manifest_key: str = ""

    @property
    def event_count(self) -> int:
        return sum(self.counts.values())


@dataclass
class BatchLocks:
    """A fixed set of lock stripes keyed by ``batch_id``: bounded memory, same id → same lock."""

    stripes: int = 64
    _locks: list[threading.Lock] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._locks = [threading.Lock() for _ in range(self.stripes)]

    def lock_for(self, batch_id: str) -> threading.Lock:
        return self._locks[hash(batch_id) % self.stripes]


_DEFAULT_LOCKS = BatchLocks()


def read_manifest(lake: Lake, batch_id: str) -> dict[str, Any] | None:
    """The manifest of a landed batch, or ``None`` if the batch has not (fully) landed.

    Raises:
        LakeDataError: the manifest is not a JSON object whose ``objects`` (if any) is a list
            of objects with a ``key`` and whose ``paths`` (if any) is a list of strings (a
            damaged or hand-edited file); names it and how to repair it.
    """
    fs = lake.fs("bronze")
    path = lake.path("bronze", bronze_manifest_key(batch_id))
    try:
        data = cat_object(fs, path)
    except FileNotFoundError:
        return None
    try:
        record = json.loads(data)
    except ValueError as exc:  # UnicodeDecodeError too
        url = lake.url_of("bronze", path)
        raise damaged_manifest(url, batch_id, f"is not valid JSON ({exc})") from exc
    if (problem := _manifest_shape_problem(record)) is not None:
        raise damaged_manifest(
            lake.url_of("bronze", path), batch_id, f"is not a batch manifest ({problem})"
        )
    return record


_JSON_TYPES: dict[type, str] = {
    list: "array", str: "string", int: "number", float: "number", bool: "boolean",
    type(None): "null",
}  # fmt: skip


def _manifest_shape_problem(record: Any) -> str | None:
    """What makes ``record`` no manifest that readers can follow, else ``None``."""
    if not isinstance(record, dict):
        return f"a JSON {_JSON_TYPES.get(type(record), 'value')}, not an object"
    objects = record.get("objects")
    if objects is not None and not (
        isinstance(objects, list)
        and all(isinstance(o, dict) and isinstance(o.get("key"), str) for o in objects)
    ):
        return '"objects" is not a list of objects with a "key"'
    paths = record.get("paths")
    if paths is not None and not (
        isinstance(paths, list) and all(isinstance(p, str) for p in paths)
    ):
        return '"paths" is not a list of strings'
    return None


def damaged_manifest(url: str, batch_id: str, problem: str) -> LakeDataError:
    """The error for batch ``batch_id``'s manifest at ``url``, with the repairs that hold.

    A manifest without ``objects`` or ``paths`` sends silver to the batch's objects by name
    (:func:`~raidlib.lake.bronze_batches.load_landed_batch`), so one holding the batch id alone
    recovers intact objects; without a manifest the batch has not landed, and sending it again
    lands it (its uncommitted objects are replaced).
    """
    objects = f"bronze {DATASET}/*/*/batch={batch_id}.jsonl"
    return LakeDataError(
        url,
        problem,
        f"restore it; or, if the batch's objects ({objects}) are intact, replace it with "
        f'{{"batch_id": "{batch_id}"}} (silver finds them by that id); if they are not, delete '
        "it and send the batch again",
    )


def _from_manifest(lake: Lake, manifest: dict[str, Any]) -> LandedBatch:
    objects = manifest.get("objects", [])
    keys = tuple(obj["key"] for obj in objects)
    return LandedBatch(
        batch_id=manifest["batch_id"],
        keys=keys,
        paths=tuple(lake.url("bronze", key) for key in keys),
        counts={obj["raid_id"]: int(obj["events"]) for obj in objects},
        duplicate=True,
        ingest_timestamp=manifest.get("ingest_timestamp", ""),
        source=manifest.get("source", DEFAULT_SOURCE),
        manifest_key=bronze_manifest_key(manifest["batch_id"]),
    )


def _yield_to(lake: Lake, winner: dict[str, Any], written: Sequence[str]) -> LandedBatch:
    """Another writer committed this batch: delete the objects this one made that the winner's
    manifest does not list, and answer with the winner's landing ("duplicate").

    Keys the winner lists are its objects (this writer never overwrites those); only a loser
    that crossed midnight wrote elsewhere, and no reader would ever list those files.
    """
    kept = {obj["key"] for obj in winner.get("objects", [])}
    _delete_objects(lake, [key for key in written if key not in kept])
    return _from_manifest(lake, winner)


def _remove_uncommitted(lake: Lake, batch_id: str, written: Sequence[str]) -> None:
    """Best effort: delete the objects of a failed landing unless its manifest exists after
    all (then they are committed). A retry then has no leftover to wait for."""
    with contextlib.suppress(Exception):
        if read_manifest(lake, batch_id) is None:
            _delete_objects(lake, written)


def _delete_objects(lake: Lake, keys: Sequence[str]) -> None:
    """Delete bronze objects; one already gone is fine."""
    fs = lake.fs("bronze")
    for key in keys:
        with contextlib.suppress(FileNotFoundError):
            fs.rm_file(lake.path("bronze", key))


def _create_object(lake: Lake, key: str, data: bytes, batch_id: str) -> dict[str, Any] | None:
    """Create one bronze object; the manifest instead if another writer landed the batch meanwhile."""
    if lake.create_bytes_exclusive("bronze", key, data):
        return None
    deadline = time.monotonic() + LEFTOVER_AFTER_S
    while (winner := read_manifest(lake, batch_id)) is None:
        if time.monotonic() >= deadline or _is_leftover(lake, key):
            lake.write_bytes_atomic("bronze", key, data)  # never committed: a crashed attempt's
            return None
        time.sleep(_MANIFEST_POLL_S)
    return winner


def _is_leftover(lake: Lake, key: str) -> bool:
    """The object has sat uncommitted longer than any live writer would leave it.

    An object gone meanwhile counts (write it); a store that cannot date it does not (the
    caller then waits :data:`LEFTOVER_AFTER_S` before replacing it).
    """
    try:
        modified = lake.fs("bronze").modified(lake.path("bronze", key))
    except FileNotFoundError:
        return True
    except (NotImplementedError, IsADirectoryError):  # no modification time on this store
        return False
    return (datetime.now(UTC) - modified).total_seconds() >= LEFTOVER_AFTER_S


def land_batch(
    lake: Lake,
    events: Sequence[Any] | EncodedEvents,
    *,
    batch_id: str,
    source: str | None = None,
    ingest_timestamp: datetime | None = None,
    locks: BatchLocks | None = None,
) -> LandedBatch:
    """Write a validated batch to bronze once, atomically, one object per raid.

    Args:
        lake: the lake whose bronze root receives the batch.
        events: validated event models (``raidlib.schemas``) or an :class:`EncodedEvents`.
        batch_id: idempotency key; a safe path component (see ``layout``).
        source: the envelope's ``source`` (``batch_source`` on every line; default "receiver").
        ingest_timestamp: server clock (aware); ``ingest_date`` partition is its UTC date.
        locks: lock stripes serialising writers of one ``batch_id`` (default: process-wide).

    Returns:
        The landed objects; ``duplicate=True`` (and nothing written) if the manifest existed.

    Raises:
        ValueError: no events, unsafe ``batch_id``/``raid_id`` or naive timestamp.
        OSError: the storage failed; nothing was committed (no manifest written).
    """
    encoded = events if isinstance(events, EncodedEvents) else EncodedEvents.from_models(events)
    if not len(encoded):
        raise ValueError("a batch needs at least one event")
    source = source or DEFAULT_SOURCE
    moment = ingest_timestamp or datetime.now(UTC)
    stamp = format_ingest_timestamp(moment)
    ingest_date = moment.astimezone(UTC).date().isoformat()
    manifest_key = bronze_manifest_key(batch_id)  # validates batch_id before any I/O

    with (locks or _DEFAULT_LOCKS).lock_for(batch_id):
        existing = read_manifest(lake, batch_id)
        if existing is not None:
            return _from_manifest(lake, existing)
        objects: list[dict[str, Any]] = []  # appended as each object is written
        try:
            winner = _write_raid_objects(
                lake, encoded, batch_id, batch_prefix(batch_id, stamp, source), ingest_date, objects
            )
            if winner is None:
                manifest = {
                    "manifest_version": MANIFEST_VERSION,
                    "batch_id": batch_id,
                    "source": source,
                    "ingest_timestamp": stamp,
                    "event_count": len(encoded),
                    "objects": objects,
                }
                winner = _commit_manifest(lake, manifest_key, manifest)
        except Exception:  # storage failed: take back what this call wrote, then report it
            _remove_uncommitted(lake, batch_id, [obj["key"] for obj in objects])
            raise
        if winner is not None:  # landed by another process while this one was writing
            return _yield_to(lake, winner, [obj["key"] for obj in objects])

    keys = tuple(obj["key"] for obj in objects)
    return LandedBatch(
        batch_id=batch_id,
        keys=keys,
        paths=tuple(lake.url("bronze", key) for key in keys),
        counts={obj["raid_id"]: obj["events"] for obj in objects},
        duplicate=False,
        ingest_timestamp=stamp,
        source=source,
        manifest_key=manifest_key,
    )


def _write_raid_objects(
    lake: Lake,
    encoded: EncodedEvents,
    batch_id: str,
    prefix: bytes,
    ingest_date: str,
    objects: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """Write the batch's object for each raid, appending its manifest entry to ``objects``;
    stops at the first key another writer committed and returns that writer's manifest."""
    for raid_id, lines in encoded.group_by_raid().items():
        key = bronze_batch_key(raid_id, ingest_date, batch_id)
        data = render_jsonl(lines, prefix)
        winner = _create_object(lake, key, data, batch_id)
        if winner is not None:
            return winner
        objects.append({"key": key, "raid_id": raid_id, "events": len(lines), "bytes": len(data)})
    return None


def _commit_manifest(
    lake: Lake, manifest_key: str, manifest: dict[str, Any]
) -> dict[str, Any] | None:
    """Create the manifest exclusively: None when this writer committed the batch, else the
    manifest of the writer that committed it first."""
    data = json.dumps(manifest, indent=1).encode()
    if lake.create_bytes_exclusive("bronze", manifest_key, data):
        return None
    return read_manifest(lake, manifest["batch_id"])


class BronzeWriter:
    """A lake's bronze root plus the locks that serialise its writers; what the receiver holds."""

    def __init__(self, lake: Lake, locks: BatchLocks | None = None) -> None:
        self.lake = lake
        self.locks = locks or _DEFAULT_LOCKS

    def land(
        self,
        events: Sequence[Any] | EncodedEvents,
        *,
        batch_id: str,
        source: str | None = None,
        ingest_timestamp: datetime | None = None,
    ) -> LandedBatch:
        """:func:`land_batch` on this writer's lake and locks."""
        return land_batch(
            self.lake,
            events,
            batch_id=batch_id,
            source=source,
            ingest_timestamp=ingest_timestamp,
            locks=self.locks,
        )
