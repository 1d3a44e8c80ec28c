"""Deduplicate silver rows by ``event_id`` within each partition, keeping the latest ingest."""

from __future__ import annotations

from typing import Any

from raidlib.backend import frame_library

PARTITION_KEY = ("raid_id", "event_date")
DEDUP_KEY = (*PARTITION_KEY, "event_id")
"""A row's identity: ``event_id`` within its partition (CONTRACT §3, per-partition dedup)."""

ORDER = ("ingest_timestamp", "batch_id")
"""Among copies, the one with the latest ``ingest_timestamp`` wins; ties: the larger ``batch_id``,
then the later position in the input (bronze is concatenated after existing silver, so a
re-read batch replaces its own earlier copy with identical content)."""


def deduplicate(frame: Any, key: tuple[str, ...] = DEDUP_KEY) -> Any:
    """One row per ``key`` (default :data:`DEDUP_KEY`), the copy chosen by :data:`ORDER`.

    Only rows whose ``event_id`` occurs more than once are sorted, so the common case (few
    duplicates) costs one hash pass. Row order of survivors is not specified (callers sort).
    Idempotent: ``deduplicate(deduplicate(f))`` equals ``deduplicate(f)``.
    """
    lib = frame_library(frame)
    frame = frame.reset_index(drop=True)
    candidates = frame.duplicated(subset=["event_id"], keep=False)
    if not bool(candidates.any()):
        return frame
    unique = frame[~candidates]
    # The input position breaks ties (see ORDER). ``reset_index()`` turns the 0..n-1 index into
    # a column on both backends (``Index.to_series(index=...)`` is pandas-only).
    dups = frame[candidates].reset_index().rename(columns={"index": "_row"})
    dups = dups.sort_values([*key, *ORDER, "_row"], na_position="first")
    dups = dups.drop_duplicates(subset=list(key), keep="last").drop(columns=["_row"])
    return lib.concat([unique, dups]).reset_index(drop=True)


def count_duplicates(frame: Any) -> int:
    """How many rows :func:`deduplicate` would remove."""
    return int(frame.duplicated(subset=list(DEDUP_KEY)).sum())
