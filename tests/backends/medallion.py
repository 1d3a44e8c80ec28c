"""Helpers shared by the backend tests: land random raids, run the medallion on a backend."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from raidlib.backend import Backend
from raidlib.gpu_memory import MemoryProbe
from raidlib.lake import Lake

NOW = datetime(2030, 1, 1, tzinfo=UTC)
BROKEN_BATCH = 4242
"""``uuid.UUID(int=BROKEN_BATCH)``: the hand-written batch with a broken line."""


@dataclass
class LandedRaids:
    lake: Lake
    events: int


def land_generated(
    lake: Lake, frame: Any, *, first_batch: int, ingest_timestamp: datetime
) -> list[Any]:
    """A generated frame validated and landed as receiver batches of 5,000 events, with batch
    ids ``uuid.UUID(int=first_batch)``, ``…+1`` …; returns the validated events."""
    from raidlib.generator.wire import frame_to_wire_events
    from raidlib.lake.bronze_writer import land_batch
    from raidlib.schemas import validate_events

    models = validate_events(frame_to_wire_events(frame), now=NOW)
    size = 5_000
    for number, start in enumerate(range(0, len(models), size)):
        land_batch(
            lake,
            models[start : start + size],
            batch_id=str(uuid.UUID(int=first_batch + number)),
            ingest_timestamp=ingest_timestamp,
        )
    return models


def land_random_raids(root: Path, *, n_raids: int = 2, seed: int = 11) -> LandedRaids:
    """Generated raids landed as receiver batches, plus a re-posted batch (duplicates) and a
    hand-written object with a broken line (quarantine), in ``root``'s bronze."""
    from raidlib.generator import generate_raids
    from raidlib.lake.bronze_writer import land_batch

    lake = Lake.local(root)
    frame = with_non_ascii_names(
        generate_raids(n_raids, seed=seed, start=datetime(2026, 3, 1, 23, tzinfo=UTC), pug=True)
    )
    models = land_generated(
        lake, frame, first_batch=1, ingest_timestamp=datetime(2026, 3, 4, 8, tzinfo=UTC)
    )
    # A retried POST under a new batch id, landed later: every event a duplicate.
    land_batch(
        lake,
        models[:300],
        batch_id=str(uuid.UUID(int=999)),
        ingest_timestamp=datetime(2026, 3, 5, 8, tzinfo=UTC),
    )
    _write_broken_object(lake, models[0].raid_id)
    return LandedRaids(lake, len(models) + 300)


# Real raiders are called Zoë, Bjørn or 龍騎士: multi-byte UTF-8 in bronze, which cuDF's JSON
# tokenizer must read as the pyarrow path does (2-, 3- and 4-byte sequences).
_NON_ASCII = str.maketrans({"e": "é", "o": "ø", "K": "龍", "X": "𝒳"})


def with_non_ascii_names(frame: Any) -> Any:
    """``frame`` with player, target and ability names spelt in non-ASCII letters."""
    out = frame.copy()
    for column in ("source_player_name", "target_entity_name", "ability_name"):
        out[column] = out[column].map(
            lambda s: s.translate(_NON_ASCII) if isinstance(s, str) else s
        )
    return out


HAND_STAMP = "2026-03-05T09:00:00.000000Z"


def hand_line(raid_id: str, batch: int, number: int, **fields: Any) -> dict[str, Any]:
    """A valid bronze line as another tool might write it (event ``uuid.UUID(int=number)``)."""
    return {
        "event_id": str(uuid.UUID(int=number)),
        "event_type": "spell_cast",
        "timestamp": "2026-03-02T00:10:00.5Z",
        "raid_id": raid_id,
        "source_player_id": "hand-1",
        "source_player_name": "Hand",
        "batch_id": str(uuid.UUID(int=batch)),
        "ingest_timestamp": HAND_STAMP,
        **fields,
    }


def write_hand_batch(
    lake: Lake, raid_id: str, batch: int, lines: list[str], ingest_timestamp: str = HAND_STAMP
) -> None:
    """Bronze lines (JSON text, as given) and their manifest, not written by the receiver."""
    import json

    from raidlib.lake import layout

    batch_id = str(uuid.UUID(int=batch))
    key = layout.bronze_batch_key(raid_id, ingest_timestamp[:10], batch_id)
    lake.write_bytes_atomic("bronze", key, ("\n".join(lines) + "\n").encode())
    manifest = {
        "batch_id": batch_id,
        "ingest_timestamp": ingest_timestamp,
        "objects": [{"key": key}],
    }
    lake.write_bytes_atomic(
        "bronze", layout.bronze_manifest_key(batch_id), json.dumps(manifest).encode()
    )


def write_unlabelled_batches(lake: Lake, blank_line_in: int | None = None) -> None:
    """Four hand batches of lines without lineage (their batch id and ingest time come from
    the manifest), ingested on four days; the third holds a broken line, and ``blank_line_in``
    a blank one. Event ``10·b + i`` is in batch ``b``; each batch's first line has a flag."""
    import json

    for batch in range(1, 5):
        lines = []
        for i in range(3):
            line = hand_line("raid001", batch, batch * 10 + i)
            del line["batch_id"], line["ingest_timestamp"]
            if i == 0:
                line["data_quality_flags"] = ["late"]
            lines.append(json.dumps(line))
        if batch == 3:
            lines[1] = '{"event_id": "broken", "event_type": '
        if batch == blank_line_in:
            lines.insert(1, "  ")
        write_hand_batch(lake, "raid001", batch, lines, f"2026-03-0{batch}T08:00:00.000000Z")


def _write_broken_object(lake: Lake, raid_id: str) -> None:
    """A batch not written by the receiver: one good line, one broken, one with an unknown key."""
    import json

    good = hand_line(raid_id, BROKEN_BATCH, 77)
    lines = [
        json.dumps(good),
        '{"event_id": "broken", "event_type": ',
        json.dumps({**good, "event_id": str(uuid.UUID(int=78)), "surprise": 1}),
    ]
    write_hand_batch(lake, raid_id, BROKEN_BATCH, lines)


def run_medallion(
    lake: Lake, backend: Backend, *, memory_probe: MemoryProbe | None = None
) -> dict[str, Any]:
    """bronze → silver → gold on ``backend``; every silver and gold table, as frames.

    ``memory_probe`` stands in for the GPU's ``(free, total)`` bytes when silver plans its
    GPU-sized chunks (default: ask the device).
    """
    from raidlib.gold import build_gold
    from raidlib.gpu_device import device_memory
    from raidlib.lake.gold_store import read_silver_for_raids, silver_raid_ids
    from raidlib.lake.quarantine import read_quarantine
    from raidlib.lake.state import find_unprocessed_batches
    from raidlib.silver.pipeline import process_batches

    batches = find_unprocessed_batches(lake)
    report = process_batches(lake, backend, batches, probe=memory_probe or device_memory)
    silver = read_silver_for_raids(lake, silver_raid_ids(lake), backend)
    quarantine = read_quarantine(lake, backend)
    gold = build_gold(silver)
    return {"report": report, "silver": silver, "quarantine": quarantine, **gold.as_dict()}
