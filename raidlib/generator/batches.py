"""Cut wire events into POST batches in delivery order, optionally with injected faults.

Faults exercise the pipeline, each in the way the contract says it must cope:

* duplicates: an event re-sent (same dict, same ``event_id``) a little later, often in another
  batch; silver dedups them by ``event_id``.
* late arrivals: an event withheld and delivered hours to days after it happened, so it lands in
  a later batch (the final ones when the raids are all in the past); silver files it by its own
  date.
* invalid events: corrupted *copies* (fresh ``event_id``) that break one rule each. They travel
  in batches of their own, because the receiver rejects a request all or nothing; mixing them
  into ordinary batches would drop good events and make end-to-end totals unpredictable.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from raidlib.generator.ids import uuid4_strings
from raidlib.generator.wire import frame_to_wire_events

BATCH_NAMESPACE = uuid.UUID("3c9a6e52-8f0d-4b1e-a7c4-5d2e9b8f1a36")
"""uuid5 namespace of generated batch ids (:func:`content_batch_id`)."""
DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_DUPLICATE_DELAY_MEAN_MS = 10 * 60_000
# How an invalid copy is broken, in rotation; each names the field its error points at.
INVALID_KINDS = (
    "damage_amount",
    "timestamp",
    "raid_id",
    "event_type",
    "source_player_id",
    "critical_multiplier",
)


@dataclass
class FaultConfig:
    """Fault rates, each a fraction of the events (0.0 = none)."""

    duplicate_rate: float = 0.0
    late_rate: float = 0.0
    max_late_days: float = 2.0
    invalid_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("duplicate_rate", "late_rate", "invalid_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.max_late_days <= 0:
            raise ValueError("max_late_days must be > 0")


@dataclass
class WireBatch:
    """One POST body's worth of events.

    ``injected`` maps an index into ``events`` to the fault placed there: ``"duplicate"``,
    ``"late"`` or ``"invalid:<field>"`` (the field the receiver's 400 will name).
    """

    batch_id: str
    events: list[dict[str, Any]]
    source: str = "raidlib-generator"
    injected: dict[int, str] = field(default_factory=dict)

    @property
    def expect_valid(self) -> bool:
        """False when the receiver must reject this batch (it holds invalid events)."""
        return not any(kind.startswith("invalid:") for kind in self.injected.values())

    def body(self) -> bytes:
        """``{"batch_id", "source", "events"}`` as compact JSON bytes."""
        payload = {"batch_id": self.batch_id, "source": self.source, "events": self.events}
        return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def plan_batches(
    df: pd.DataFrame,
    *,
    batch_size: int = 1000,
    faults: FaultConfig | None = None,
    seed: int = 0,
) -> list[WireBatch]:
    """The events of ``df`` as batches in the order a client would send them.

    Events are delivered in timestamp order (ties: frame order) in batches of ``batch_size``.
    With ``faults``, duplicates follow their original by minutes, late events by one hour to
    ``max_late_days`` days, and invalid copies come in batches of their own placed where their
    originals would have gone. Everything follows from ``seed`` and the frame; batch ids follow
    from the events they carry (:func:`content_batch_id`).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    faults = faults or FaultConfig()
    rng = np.random.default_rng(seed)
    events = frame_to_wire_events(df)
    n = len(events)
    happened = _epoch_ms(df["timestamp"])

    late = rng.random(n) < faults.late_rate
    delay = rng.uniform(_HOUR_MS, max(faults.max_late_days * DAY_MS, _HOUR_MS), size=n)
    delivery = happened + np.where(late, delay, 0.0)
    dup = np.flatnonzero(rng.random(n) < faults.duplicate_rate)
    dup_delivery = delivery[dup] + rng.exponential(_DUPLICATE_DELAY_MEAN_MS, size=len(dup))

    # The stream: originals then duplicates, ordered by delivery time (stable on ties).
    index = np.concatenate([np.arange(n), dup])
    when = np.concatenate([delivery, dup_delivery])
    kind = np.concatenate([np.where(late, 1, 0), np.full(len(dup), 2)])
    order = np.argsort(when, kind="stable")
    index, when, kind = index[order], when[order], kind[order]

    for i in np.flatnonzero(late):  # the producer stamps the (late) moment it finally sends
        events[i] = {**events[i], "ingestion_timestamp": _iso(delivery[i])}

    labels = {1: "late", 2: "duplicate"}
    chunks: list[tuple[float, list[dict[str, Any]], dict[int, str]]] = []
    for lo in range(0, len(index), batch_size):
        sl = slice(lo, lo + batch_size)
        injected = {j: labels[k] for j, k in enumerate(kind[sl].tolist()) if k}
        chunks.append((float(when[sl][-1]), [events[i] for i in index[sl].tolist()], injected))

    poison = _invalid_copies(events, happened, faults.invalid_rate, rng)
    for lo in range(0, len(poison), batch_size):
        part = poison[lo : lo + batch_size]
        injected = {j: f"invalid:{broken}" for j, (_, _, broken) in enumerate(part)}
        chunks.append((part[0][0] - 0.5, [event for _, event, _ in part], injected))

    chunks.sort(key=lambda c: c[0])  # stable: a poison batch goes before the batch it precedes
    return [
        WireBatch(batch_id=content_batch_id(evs), events=evs, injected=inj)
        for _, evs, inj in chunks
    ]


def content_batch_id(events: list[dict[str, Any]]) -> str:
    """A uuid5 of the events' ids, raids and times, in order.

    The receiver answers a known batch id with ``200 duplicate`` and lands nothing, so the id
    must change whenever the events do: the same seed with another start date or raid prefix
    replays the same fight, and seed-drawn batch ids made such a second night vanish as a
    "duplicate" of the first. The same delivery sent again keeps its ids (idempotent retries).
    """
    key = "\n".join(f"{e.get('event_id')}|{e.get('raid_id')}|{e.get('timestamp')}" for e in events)
    return str(uuid.uuid5(BATCH_NAMESPACE, hashlib.sha1(key.encode()).hexdigest()))


def _invalid_copies(
    events: list[dict[str, Any]], happened: np.ndarray, rate: float, rng: np.random.Generator
) -> list[tuple[float, dict[str, Any], str]]:
    """(delivery ms, corrupted copy, field it breaks) for about ``rate`` × len(events) events."""
    if not events or rate <= 0:
        return []
    picks = np.sort(rng.choice(len(events), size=rng.binomial(len(events), rate), replace=False))
    new_ids = uuid4_strings(rng, len(picks))
    out = []
    for k, i in enumerate(picks.tolist()):
        broken = INVALID_KINDS[k % len(INVALID_KINDS)]
        out.append((float(happened[i]), corrupt(events[i], broken, new_ids[k]), broken))
    return out


def corrupt(event: dict[str, Any], broken: str, event_id: str) -> dict[str, Any]:
    """A copy of ``event`` with a fresh ``event_id`` that breaks the contract at ``broken``."""
    bad = {**event, "event_id": event_id}
    if broken == "damage_amount":
        bad["damage_amount"] = -5.0
    elif broken == "timestamp":  # naive: the offset is dropped
        bad["timestamp"] = str(bad["timestamp"]).removesuffix("+00:00")
    elif broken == "raid_id":  # a path, never a raid id
        bad["raid_id"] = "../" + str(bad["raid_id"])
    elif broken == "event_type":
        bad["event_type"] = "combat_dmg"
    elif broken == "source_player_id":
        del bad["source_player_id"]
    elif broken == "critical_multiplier":
        bad["critical_multiplier"] = 0.5
    else:
        raise ValueError(f"unknown corruption {broken!r}")
    return bad


def _epoch_ms(ts: pd.Series) -> np.ndarray:
    naive = pd.to_datetime(ts, utc=True).dt.tz_localize(None).to_numpy()
    return naive.astype("datetime64[ms]").astype(np.int64).astype(np.float64)


def _iso(epoch_ms: float) -> str:
    text = np.datetime_as_string(np.datetime64(int(epoch_ms), "ms"), unit="ms")
    return f"{text}+00:00"
