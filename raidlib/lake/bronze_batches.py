"""Landed bronze batches: which batches have landed, and what their manifests say.

*Landed* means the batch's manifest ``_batches/<batch_id>.json`` exists: the receiver writes it
only after every object of the batch is durable, so objects without a manifest (a crash
mid-batch) are ignored until their manifest appears. Reading the objects is
:mod:`raidlib.lake.bronze_reader`'s work.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from raidlib.gpu_memory import DEFAULT_POLICY, MemoryPolicy
from raidlib.lake import layout
from raidlib.lake.bronze_writer import read_manifest
from raidlib.lake.lake import Lake
from raidlib.lake.listing import json_record_names
from raidlib.threads import map_in_threads


@dataclass(frozen=True)
class BronzeBatch:
    """A landed batch: its id, its bronze objects (absolute fs paths) and its manifest facts."""

    batch_id: str
    paths: tuple[str, ...]
    events: int | None = None
    ingest_timestamp: str | None = None
    manifest_path: str = ""
    json_bytes: int | None = None
    """Size of the batch's objects as its manifest records them (``None`` when it does not)."""

    def expected_json_bytes(self, policy: MemoryPolicy = DEFAULT_POLICY) -> float | None:
        """The batch's JSON text before it is loaded, for memory planning: the manifest's byte
        count, else its event count × the policy's typical line, else ``None`` (unknown)."""
        if self.json_bytes is not None:
            return float(self.json_bytes)
        if self.events is not None:
            return policy.json_bytes(self.events)
        return None


def iter_manifest_ids(lake: Lake) -> Iterator[str]:
    """Batch ids with a manifest, streamed from a full (paginated) listing of ``_batches/``."""
    folder = lake.path("bronze", posixpath.dirname(layout.bronze_manifest_key("x")))
    yield from json_record_names(lake.fs("bronze"), folder)


def load_landed_batch(lake: Lake, batch_id: str) -> BronzeBatch:
    """The landed batch ``batch_id``, from its manifest (``FileNotFoundError`` without one,
    :class:`~raidlib.lake.errors.LakeDataError` for a damaged one; for "the manifest or
    ``None``" see :func:`raidlib.lake.bronze_writer.read_manifest`). The manifest's ``paths``
    may be keys, absolute paths or URLs; without ``objects`` or ``paths``, the batch's objects
    are found by name."""
    fs = lake.fs("bronze")
    manifest_path = lake.path("bronze", layout.bronze_manifest_key(batch_id))
    record = read_manifest(lake, batch_id)
    if record is None:
        raise FileNotFoundError(manifest_path)
    # The receiver writes ``objects: [{"key": ...}]``; a plain ``paths`` list is accepted too.
    objects = [o for o in record.get("objects") or () if o.get("key")]
    listed = [o["key"] for o in objects]
    listed += list(record.get("paths") or ())
    paths = tuple(dict.fromkeys(_resolve(lake, p) for p in listed))
    if not paths:
        pattern = lake.path("bronze", f"{layout.DATASET}/*/*/batch={batch_id}.jsonl")
        paths = tuple(sorted(fs.glob(pattern)))
    return BronzeBatch(
        batch_id=str(record.get("batch_id") or batch_id),
        paths=paths,
        events=record.get("event_count", record.get("events")),
        ingest_timestamp=record.get("ingest_timestamp"),
        manifest_path=manifest_path,
        json_bytes=None if record.get("paths") else _recorded_bytes(objects),
    )


def _recorded_bytes(objects: list[dict[str, Any]]) -> int | None:
    """The objects' total size when the manifest records every one (the receiver's does)."""
    sizes = [n for o in objects if isinstance(n := o.get("bytes"), int) and n >= 0]
    return sum(sizes) if objects and len(sizes) == len(objects) else None


def list_landed_batches(lake: Lake, batch_ids: Sequence[str] | None = None) -> list[BronzeBatch]:
    """Landed batches (all, or the given ids), ordered by ingest timestamp then batch id."""
    ids = list(iter_manifest_ids(lake)) if batch_ids is None else list(batch_ids)
    batches = map_in_threads(lambda b: load_landed_batch(lake, b), ids, max_workers=16)
    return sorted(batches, key=lambda b: (b.ingest_timestamp or "", b.batch_id))


def _resolve(lake: Lake, path: str) -> str:
    """Manifest path → absolute path on the bronze filesystem."""
    root = lake.root("bronze")
    path = path.split("://", 1)[1] if "://" in path else path
    if path.startswith(root + "/"):
        return path
    marker = path.find(layout.DATASET + "/")
    if marker >= 0:  # an absolute path from another mount of the same lake
        return lake.path("bronze", path[marker:])
    return lake.path("bronze", path.lstrip("/"))


def summarize_landed_batches(lake: Lake) -> dict[str, int]:
    """What bronze holds: landed ``batches``, their JSON Lines ``objects`` and their ``events``
    (as the manifests count them; a manifest without a count adds none)."""
    landed = list_landed_batches(lake)
    return {
        "batches": len(landed),
        "objects": sum(len(b.paths) for b in landed),
        "events": sum(b.events or 0 for b in landed),
    }
