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


def superseded_rows(frame: Any, key: tuple[str, ...] = DEDUP_KEY) -> Any | None:
    """Boolean mask of the copies :data:`ORDER` loses (``frame`` indexed 0..n-1); None if none.

    A mask rather than a new frame, so a caller that reorders the rows anyway (silver's sort)
    moves every column once. Only rows whose ``event_id`` occurs more than once are looked at,
    and only their key and order columns are sorted, so the common case costs one hash pass.
    """
    candidates = frame["event_id"].duplicated(keep=False)
    if not bool(candidates.any()):
        return None
    columns = list(dict.fromkeys([*key, *ORDER]))
    # The input position breaks ties (see ORDER); ``reset_index()`` turns it into a column on
    # both backends (``Index.to_series(index=...)`` is pandas-only).
    copies = frame.loc[candidates, columns].reset_index()
    copies = copies.sort_values([*key, *ORDER, "index"], na_position="first")
    losers = copies["index"][copies.duplicated(subset=list(key), keep="last")]
    return frame_library(frame).Series(frame.index.isin(losers), index=frame.index)


def deduplicate(frame: Any, key: tuple[str, ...] = DEDUP_KEY) -> Any:
    """One row per ``key`` (default :data:`DEDUP_KEY`), the copy chosen by :data:`ORDER`.

    Survivors keep their input order and get a fresh 0..n-1 index. Idempotent:
    ``deduplicate(deduplicate(f))`` equals ``deduplicate(f)``.
    """
    frame = frame.reset_index(drop=True)
    superseded = superseded_rows(frame, key)
    if superseded is None:
        return frame
    return frame[~superseded].reset_index(drop=True)


def deduplicate_across_dates(frame: Any) -> Any:
    """One row per ``(raid_id, event_id)`` over all of a raid's partitions, the copy chosen by
    :data:`ORDER` (as :func:`deduplicate`).

    Silver deduplicates within a partition (CONTRACT §3): an event re-sent with its timestamp
    moved to another UTC date lives in two partitions of its raid, and only its latest ingest
    counts, in gold and in what :func:`raidlib.read.read_silver` returns.
    """
    return deduplicate(frame, key=("raid_id", "event_id"))
