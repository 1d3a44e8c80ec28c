"""Assemble per-event-type numpy blocks into one time-ordered event DataFrame.

Blocks hold plain arrays; string columns are int32 codes into one shared vocabulary, turned into
pandas ``str`` columns through Arrow dictionary arrays, so no per-event Python object is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from raidlib.generator.ids import uuid4_arrow
from raidlib.schemas.events import EVENT_FIELDS

STR_FIELDS = frozenset(
    {
        "event_type", "raid_id", "encounter_id", "difficulty", "source_player_id",
        "source_player_name", "source_player_role", "source_player_class", "ability_id",
        "ability_name", "ability_school", "target_entity_id", "target_entity_name",
        "target_entity_type", "resource_type", "source_system",
    }
)  # fmt: skip
FLOAT_FIELDS = frozenset(
    {
        "damage_amount", "healing_amount", "critical_multiplier",
        "target_entity_health_pct_before", "target_entity_health_pct_after",
        "resource_amount_before", "resource_amount_after", "resource_regeneration_rate",
    }
)  # fmt: skip
BOOL_FIELDS = frozenset({"is_critical_hit", "is_resisted", "is_blocked", "is_absorbed"})
NULLABLE_INT_FIELDS = frozenset({"source_player_level", "server_latency_ms", "client_latency_ms"})
# Filled by build() itself: event_id, timestamp, encounter_duration_ms, ingestion_timestamp,
# encounter_success (last event only) and data_quality_flags (always null: no flags).
_FLOAT_FILL = {"critical_multiplier": 1.0}
_STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)


class Order(IntEnum):
    """Order of events in the same millisecond: a cast before its hit, a hit before the phase
    change or the death it causes (the pull's own events first)."""

    PULL = -1
    CAST = 0
    HIT = 1
    PHASE = 2
    DEATH = 3


class FrameBuilder:
    """Collects event blocks (``add``) and builds the ordered frame (``build``)."""

    def __init__(self) -> None:
        self._vocab: dict[str, int] = {}
        self._blocks: list[tuple[np.ndarray, int, dict[str, Any]]] = []

    def code(self, value: str | None) -> int:
        """The vocabulary code of one string (-1 for null)."""
        if value is None:
            return -1
        return self._vocab.setdefault(value, len(self._vocab))

    def codes(self, values: Sequence[str | None]) -> np.ndarray:
        """Vocabulary codes of a small list of strings (a lookup table indexed per event)."""
        return np.array([self.code(v) for v in values], dtype=np.int32)

    def add(self, t_ms: np.ndarray, priority: int, **columns: Any) -> None:
        """Add ``len(t_ms)`` events at ``t_ms`` (ms since the pull).

        ``priority`` orders events of the same millisecond (cause before effect). A column is an
        array of that length or a scalar; string columns take vocabulary codes (arrays) or ``str``.
        """
        unknown = set(columns) - set(EVENT_FIELDS)
        if unknown:
            raise KeyError(f"not event fields: {sorted(unknown)}")
        n = len(t_ms)
        if n:
            self._blocks.append((np.asarray(t_ms, dtype=np.int64), priority, columns))

    def __len__(self) -> int:
        return sum(len(t) for t, _, _ in self._blocks)

    def build(
        self,
        *,
        start: datetime,
        rng: np.random.Generator,
        last_event_success: bool | None,
        latency_ms: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> pd.DataFrame:
        """One row per event, sorted by (time, priority, insertion order), every wire field.

        ``event_id`` is drawn from ``rng`` in final row order; ``timestamp`` is ``start`` + t
        (UTC, µs); ``encounter_success`` is set on the last row only. ``latency_ms`` is the
        (client, server) latency per row in final order, or null when None.
        """
        t = np.concatenate([b[0] for b in self._blocks])
        prio = np.concatenate([np.full(len(b[0]), b[1], dtype=np.int8) for b in self._blocks])
        order = np.lexsort((np.arange(len(t)), prio, t))
        t = t[order]
        n = len(t)
        # Codes first: scalar strings of the blocks join the vocabulary as they are concatenated.
        str_codes = {
            f: self._concat(f, np.int32, -1)[order] for f in EVENT_FIELDS if f in STR_FIELDS
        }
        vocab = pa.array(list(self._vocab), type=pa.large_string())
        cols: dict[str, Any] = {}
        for field, codes in str_codes.items():
            arr = vocab.take(pa.array(codes, mask=codes < 0))
            cols[field] = pd.array(arr, dtype=_STR_DTYPE)
        for field in EVENT_FIELDS:
            if field in FLOAT_FIELDS:
                cols[field] = self._concat(field, np.float64, _FLOAT_FILL.get(field, np.nan))[order]
            elif field in BOOL_FIELDS:
                cols[field] = self._concat(field, np.bool_, False)[order]
            elif field in NULLABLE_INT_FIELDS:
                values = self._concat(field, np.int64, -1)[order]
                cols[field] = pd.arrays.IntegerArray(values.clip(0), values < 0)
        start_us = np.datetime64(pd.Timestamp(start).tz_convert("UTC").tz_localize(None), "us")
        when = start_us + (t * 1000).astype("timedelta64[us]")
        cols["timestamp"] = pd.DatetimeIndex(when).tz_localize("UTC")
        cols["encounter_duration_ms"] = t
        cols["event_id"] = pd.array(uuid4_arrow(rng, n), dtype=_STR_DTYPE)
        success = np.zeros(n, dtype=np.bool_)
        mask = np.ones(n, dtype=np.bool_)
        if last_event_success is not None and n:
            success[-1] = last_event_success
            mask[-1] = False
        cols["encounter_success"] = pd.arrays.BooleanArray(success, mask)
        if latency_ms is None:
            cols["ingestion_timestamp"] = pd.DatetimeIndex(when).tz_localize("UTC")
        else:
            client, server = latency_ms
            sent = when + (client * 1000).astype("timedelta64[us]")
            cols["ingestion_timestamp"] = pd.DatetimeIndex(sent).tz_localize("UTC")
            cols["client_latency_ms"] = pd.arrays.IntegerArray(client, np.zeros(n, np.bool_))
            cols["server_latency_ms"] = pd.arrays.IntegerArray(server, np.zeros(n, np.bool_))
        cols["data_quality_flags"] = np.full(n, None, dtype=object)
        return pd.DataFrame({f: cols[f] for f in EVENT_FIELDS}, copy=False)

    def _concat(self, field: str, dtype: Any, fill: Any) -> np.ndarray:
        parts = []
        for t, _, columns in self._blocks:
            value = columns.get(field, None)
            if value is None:
                parts.append(np.full(len(t), fill, dtype=dtype))
            elif isinstance(value, str):
                parts.append(np.full(len(t), self.code(value), dtype=dtype))
            elif np.ndim(value) == 0:
                parts.append(np.full(len(t), value, dtype=dtype))
            else:
                parts.append(np.asarray(value, dtype=dtype))
        return np.concatenate(parts)
