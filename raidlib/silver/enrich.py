"""Silver enrichment: derived columns every consumer needs (CONTRACT §3)."""

from __future__ import annotations

from typing import Any

from raidlib.backend import date_text
from raidlib.silver.schema import MASSIVE_HIT_THRESHOLD


def enrich(frame: Any, massive_hit_threshold: float = MASSIVE_HIT_THRESHOLD) -> Any:
    """Add the enrichment columns to clean silver rows (a new frame; the input is untouched).

    * ``event_date``: ``YYYY-MM-DD`` of the UTC ``timestamp`` (the partition the row lives in);
    * ``ingest_latency_ms``: ``ingest_timestamp − timestamp`` in whole ms (floored; negative
      when the producer's clock ran ahead within the allowed skew);
    * ``is_massive_hit``: ``combat_damage`` with ``damage_amount`` above the threshold.

    ``batch_id`` / ``batch_source`` / ``ingest_timestamp`` are kept as read from bronze.
    """
    latency_us = (frame["ingest_timestamp"] - frame["timestamp"]).astype("int64")
    massive = (frame["event_type"] == "combat_damage") & (
        frame["damage_amount"] > massive_hit_threshold
    )
    # ``assign`` rather than a deep copy: the other columns are shared, not duplicated.
    return frame.assign(
        event_date=date_text(frame["timestamp"]),
        ingest_latency_ms=(latency_us // 1000).astype(frame["ingest_latency_ms"].dtype),
        is_massive_hit=massive.fillna(False).astype(frame["is_massive_hit"].dtype),
    )
