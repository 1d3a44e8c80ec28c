"""Bronze's JSON Lines: validated events serialised once, each line carrying its batch's fields.

Serialisation has no per-event Python loop: each model goes through pydantic's Rust serializer
via ``map``, and the batch fields are injected in the single ``join`` that builds the object:
each event's opening ``{`` is cut off and the separator re-opens the object with the fields.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

_raid_id = attrgetter("raid_id")
_after_brace = itemgetter(slice(1, None))


def _dump(model: Any) -> bytes:
    return model.__pydantic_serializer__.to_json(model, exclude_none=True)


def format_ingest_timestamp(moment: datetime) -> str:
    """Server UTC time as ISO-8601 with microseconds and ``Z`` (``2026-01-02T03:04:05.000006Z``)."""
    if moment.tzinfo is None:
        raise ValueError("ingest_timestamp must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class EncodedEvents:
    """Validated events serialised once: one JSON object per event (no newline) and its raid.

    Build with :meth:`from_models`; the receiver reuses ``lines`` for its SSE frames.
    """

    lines: list[bytes]
    raid_ids: list[str]

    @classmethod
    def from_models(cls, events: Sequence[Any]) -> EncodedEvents:
        return cls(lines=list(map(_dump, events)), raid_ids=list(map(_raid_id, events)))

    def __len__(self) -> int:
        return len(self.lines)

    def group_by_raid(self) -> dict[str, list[bytes]]:
        """Lines per raid, in input order within each raid; raids in sorted order."""
        first = self.raid_ids[0]
        if self.raid_ids.count(first) == len(self.raid_ids):
            return {first: self.lines}
        raids, inverse = np.unique(np.asarray(self.raid_ids, dtype=object), return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(raids) + 1))
        groups: dict[str, list[bytes]] = {}
        for k, raid in enumerate(raids):
            idx = order[bounds[k] : bounds[k + 1]].tolist()
            picked = itemgetter(*idx)(self.lines)
            groups[str(raid)] = [picked] if len(idx) == 1 else list(picked)
        return groups


def batch_prefix(batch_id: str, ingest_timestamp: str, source: str) -> bytes:
    """The ``{"batch_id":…,"ingest_timestamp":…,"batch_source":…,`` that opens every line."""
    fields = (
        f'"batch_id":{json.dumps(batch_id)},'
        f'"ingest_timestamp":{json.dumps(ingest_timestamp)},'
        f'"batch_source":{json.dumps(source)},'
    )
    return ("{" + fields).encode()


def render_jsonl(lines: Sequence[bytes], prefix: bytes) -> bytes:
    """Join event objects into JSON Lines, each line opened by ``prefix`` instead of its ``{``.

    ``lines`` are serialised JSON objects (each starts with ``{``, as model dumps do).

    One C-level pass: every line minus its ``{`` (``map`` + ``itemgetter``), joined by
    ``b"\\n" + prefix``. About ten times faster than ``b"\\n".join`` followed by a
    ``bytes.replace`` of ``b"\\n{"``, which CPython runs slowly with many replacements.
    """
    return b"".join((prefix, (b"\n" + prefix).join(map(_after_brace, lines)), b"\n"))
