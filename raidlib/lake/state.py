"""Which bronze batches silver has processed: one small marker object per batch.

Design: ``<silver_root>/_state/processed_bronze_batches/<batch_id>.json``, written atomically
*after* every silver partition the batch touched was replaced. Why markers rather than one JSON
list rewritten each run:

* no read-modify-write: two runs (or a run and a manual re-mark) never lose each other's
  records, which a single rewritten object would on S3 without conditional writes;
* marking is idempotent (re-writing a marker changes nothing) and a crash loses at most the
  markers not yet written — those batches are simply processed again, which the idempotent
  partition rebuild makes harmless;
* "what is left" is a set difference of two listings (manifests minus markers), both paginated,
  with no object growing without bound.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from raidlib.lake import layout
from raidlib.lake.bronze_batches import BronzeBatch, iter_manifest_ids, list_landed_batches
from raidlib.lake.lake import Lake
from raidlib.lake.listing import json_record_names


def processed_batch_ids(lake: Lake) -> set[str]:
    """Ids of every batch marked processed (full, paginated listing of the marker folder)."""
    folder = lake.path("silver", layout.state_key(layout.PROCESSED_BATCHES))
    return set(json_record_names(lake.fs("silver"), folder))


def unprocessed_batch_ids(lake: Lake) -> list[str]:
    """Landed batches (manifest present) without a processed marker, sorted by id."""
    done = processed_batch_ids(lake)
    return sorted(b for b in iter_manifest_ids(lake) if b not in done)


def find_unprocessed_batches(lake: Lake, max_batches: int | None = None) -> list[BronzeBatch]:
    """Manifests of the landed, unprocessed batches, oldest ingest first (at most ``max_batches``)."""
    batches = list_landed_batches(lake, unprocessed_batch_ids(lake))
    return batches if max_batches is None else batches[:max_batches]


def mark_processed(
    lake: Lake,
    batch_ids: Iterable[str],
    *,
    partitions: Mapping[str, Sequence[str]] | None = None,
    processed_at: datetime | None = None,
) -> list[str]:
    """Write a marker per batch; call only after their silver partitions are written.

    ``partitions`` maps a batch to the silver partitions (``raid/date``) its rows reached,
    recorded in its marker for lineage (none: a batch whose rows were all quarantined, or bronze
    another tool wrote whose lines name another batch id than their manifest)."""
    stamp = (processed_at or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    reached = partitions or {}

    def marker(batch_id: str) -> tuple[str, bytes]:
        record = {
            "batch_id": batch_id,
            "processed_at": stamp,
            "partitions": list(reached.get(batch_id, ())),
        }
        return layout.processed_batch_key(batch_id), json.dumps(record, sort_keys=True).encode()

    # One small object per batch: on S3 each is a round trip, so they are written concurrently.
    return lake.write_many_atomic("silver", [marker(b) for b in batch_ids])
