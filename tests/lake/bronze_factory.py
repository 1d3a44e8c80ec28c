"""Write bronze objects and manifests the way the receiver does (for tests; no HTTP).

Loaded by the ``conftest.py`` of ``tests/lake`` and ``tests/silver`` (not collected as tests).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from raidlib.lake import Lake, layout
from raidlib.schemas import validate_events

T0 = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


def event_id(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def make_event(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid combat_damage event; ``n`` fixes its id and time (T0 + n seconds)."""
    event = {
        "event_id": event_id(n),
        "event_type": "combat_damage",
        "timestamp": (T0 + timedelta(seconds=n)).isoformat(),
        "raid_id": "raid001",
        "source_player_id": f"p{n % 5}",
        "source_player_name": f"Player{n % 5}",
        "source_player_role": "dps",
        "damage_amount": 100.0 + n,
        "target_entity_id": "boss1",
        "target_entity_name": "Boss",
        "target_entity_type": "boss",
    }
    event.update(overrides)
    return event


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def bronze_lines(events: list[dict[str, Any]], *, now: datetime, validate: bool) -> list[dict]:
    if not validate:
        return [dict(e) for e in events]
    models = validate_events(events, now=now)
    return [json.loads(m.model_dump_json(exclude_none=True)) for m in models]


def write_batch(
    lake: Lake,
    events: list[dict[str, Any]],
    *,
    batch_id: str | None = None,
    ingest_timestamp: datetime | None = None,
    source: str = "test",
    validate: bool = True,
    manifest: bool = True,
    extra_lines: dict[str, list[str]] | None = None,
) -> str:
    """Land one batch: one JSONL object per raid, then its manifest. Returns the batch id.

    ``validate=False`` writes the dicts as given (bronze written without the receiver);
    ``extra_lines`` appends raw text lines to the object of the given raid.
    """
    batch_id = batch_id or str(uuid.uuid4())
    ingest = ingest_timestamp or T0 + timedelta(hours=1)
    by_raid: dict[str, list[str]] = defaultdict(list)
    for line in bronze_lines(events, now=ingest, validate=validate):
        line.update(batch_id=batch_id, ingest_timestamp=iso(ingest), batch_source=source)
        by_raid[str(line.get("raid_id"))].append(json.dumps(line, default=str))
    for raid, lines in (extra_lines or {}).items():
        by_raid[raid].extend(lines)
    fs = lake.fs("bronze")
    paths = []
    for raid, lines in sorted(by_raid.items()):
        key = layout.bronze_batch_key(raid, ingest.strftime("%Y-%m-%d"), batch_id)
        path = lake.path("bronze", key)
        fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        fs.pipe_file(path, ("\n".join(lines) + "\n").encode())
        paths.append(key)
    if manifest:
        record = {
            "batch_id": batch_id,
            "paths": paths,
            "events": sum(len(v) for v in by_raid.values()),
            "ingest_timestamp": iso(ingest),
        }
        lake.write_bytes_atomic(
            "bronze", layout.bronze_manifest_key(batch_id), json.dumps(record).encode()
        )
    return batch_id
