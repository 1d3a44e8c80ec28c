"""plan_batches: delivery order, deterministic ids, and each injected fault."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime

import pandas as pd
import pytest

from raidlib.generator import FaultConfig, RaidConfig, WireBatch, generate_raids, plan_batches
from raidlib.generator.batches import INVALID_KINDS
from raidlib.schemas import EventValidationError, validate_events

from .conftest import FAR_FUTURE, START


@pytest.fixture
def raids(small: RaidConfig) -> pd.DataFrame:
    return generate_raids(3, seed=5, start=START, config=small)


def _flat(batches: list[WireBatch]) -> list[dict]:
    return [e for b in batches for e in b.events]


def test_clean_plan_delivers_every_event_once_in_time_order(raids: pd.DataFrame) -> None:
    batches = plan_batches(raids, batch_size=500, seed=1)
    assert all(len(b.events) <= 500 for b in batches)
    assert all(b.expect_valid and not b.injected for b in batches)
    events = _flat(batches)
    assert [e["event_id"] for e in events] == raids["event_id"].tolist()
    body = json.loads(batches[0].body())
    assert body == {
        "batch_id": batches[0].batch_id,
        "source": "raidlib-generator",
        "events": batches[0].events,
    }
    for b in batches:
        validate_events(b.events, now=FAR_FUTURE)


def test_batch_ids_are_deterministic_uuids(raids: pd.DataFrame) -> None:
    faults = FaultConfig(duplicate_rate=0.02, late_rate=0.02, invalid_rate=0.01)
    a = plan_batches(raids, batch_size=400, faults=faults, seed=3)
    b = plan_batches(raids, batch_size=400, faults=faults, seed=3)
    c = plan_batches(raids, batch_size=400, faults=faults, seed=4)
    assert [x.batch_id for x in a] == [x.batch_id for x in b]
    assert [x.body() for x in a] == [x.body() for x in b]
    assert set(x.batch_id for x in a).isdisjoint(x.batch_id for x in c)
    assert all(uuid.UUID(x.batch_id).version == 5 for x in a)
    assert len({x.batch_id for x in a}) == len(a)


def test_another_night_or_prefix_from_the_same_seed_gets_new_batch_ids(small: RaidConfig) -> None:
    # The same seed draws the same event ids; the receiver must still see new batches, or it
    # answers "200 duplicate" and the second night never lands.
    def ids(**kwargs: object) -> set[str]:
        frame = generate_raids(1, seed=5, config=small, **kwargs)  # type: ignore[arg-type]
        return {b.batch_id for b in plan_batches(frame, batch_size=400, seed=0)}

    first = ids(start=START)
    assert first == ids(start=START)
    assert first.isdisjoint(ids(start=START + pd.Timedelta(days=1)))
    assert first.isdisjoint(ids(start=START, raid_prefix="alt"))


def test_duplicates_share_the_event_id(raids: pd.DataFrame) -> None:
    batches = plan_batches(raids, batch_size=300, faults=FaultConfig(duplicate_rate=0.05), seed=2)
    counts = Counter(e["event_id"] for e in _flat(batches))
    dup_ids = {k for k, v in counts.items() if v > 1}
    injected = [b.events[i] for b in batches for i, k in b.injected.items() if k == "duplicate"]
    assert len(injected) == pytest.approx(0.05 * len(raids), rel=0.3)
    assert {e["event_id"] for e in injected} == dup_ids
    assert set(counts) == set(raids["event_id"])  # nothing lost
    # A re-sent event is identical to the original, and some land in another batch.
    where = {}
    moved = 0
    for k, b in enumerate(batches):
        for i, e in enumerate(b.events):
            if e["event_id"] in dup_ids and b.injected.get(i) != "duplicate":
                where[e["event_id"]] = (k, e)
    for k, b in enumerate(batches):
        for i, kind in b.injected.items():
            if kind == "duplicate":
                first_k, original = where[b.events[i]["event_id"]]
                assert b.events[i] == original and k >= first_k
                moved += k > first_k
    assert moved > 0


def test_late_events_arrive_in_later_batches(raids: pd.DataFrame) -> None:
    faults = FaultConfig(late_rate=0.05, max_late_days=2)
    batches = plan_batches(raids, batch_size=500, faults=faults, seed=2)
    assert sorted(e["event_id"] for e in _flat(batches)) == sorted(raids["event_id"])
    newest_so_far = pd.Timestamp.min.tz_localize("UTC")
    late_seen = 0
    for b in batches:
        for i, e in enumerate(b.events):
            stamp = pd.Timestamp(e["timestamp"])
            if i not in b.injected:
                newest_so_far = max(newest_so_far, stamp)
                continue
            assert b.injected[i] == "late"
            # Held back: newer events were delivered before it, hours to days after it happened.
            assert stamp < newest_so_far
            sent = pd.Timestamp(e["ingestion_timestamp"])
            assert pd.Timedelta(hours=1) <= sent - stamp <= pd.Timedelta(days=2)
            late_seen += 1
    assert late_seen == pytest.approx(0.05 * len(raids), rel=0.3)
    # The first raid's late events come after later raids' on-time ones; the last ones at the end.
    tail = batches[-1]
    assert tail.injected and set(tail.injected.values()) == {"late"}
    validate_events(_flat(batches), now=FAR_FUTURE)


def test_invalid_events_fail_validation_naming_the_field(raids: pd.DataFrame) -> None:
    batches = plan_batches(raids, batch_size=1000, faults=FaultConfig(invalid_rate=0.01), seed=2)
    poison = [b for b in batches if not b.expect_valid]
    assert poison and all(set(b.injected) == set(range(len(b.events))) for b in poison)
    kinds = {k.removeprefix("invalid:") for b in poison for k in b.injected.values()}
    assert kinds == set(INVALID_KINDS)
    for b in poison:
        with pytest.raises(EventValidationError) as info:
            validate_events(b.events, now=FAR_FUTURE)
        errors = info.value.errors_by_index
        assert set(errors) == set(range(len(b.events)))  # every event is rejected
        for i, kind in b.injected.items():
            field = kind.removeprefix("invalid:")
            assert [field] in [err["loc"] for err in errors[i]], (field, errors[i])
    # Ordinary batches stay valid and still carry every original event exactly once.
    good = [b for b in batches if b.expect_valid]
    assert sorted(e["event_id"] for e in _flat(good)) == sorted(raids["event_id"])
    for b in good:
        validate_events(b.events, now=FAR_FUTURE)
    # Invalid copies have ids of their own.
    assert not {e["event_id"] for e in _flat(poison)} & set(raids["event_id"])


def test_invalid_batches_go_where_their_originals_would_have_gone(raids: pd.DataFrame) -> None:
    """Not all at the end: a client sends them in time order with the others."""
    batches = plan_batches(raids, batch_size=1000, faults=FaultConfig(invalid_rate=0.01), seed=2)

    def times(b: WireBatch) -> list[datetime]:  # an invalid copy may have lost its offset
        stamps = (datetime.fromisoformat(e["timestamp"]) for e in b.events)
        return [t if t.tzinfo else t.replace(tzinfo=UTC) for t in stamps]

    poison = [k for k, b in enumerate(batches) if not b.expect_valid]
    assert poison and poison[0] < len(batches) - len(poison)
    for k in poison:
        first = min(times(batches[k]))
        before = [t for b in batches[:k] if b.expect_valid for t in times(b)]
        after = [b for b in batches[k + 1 :] if b.expect_valid]
        assert all(t <= first for t in before)
        assert not after or max(times(after[0])) >= first


def test_fault_config_checks_rates() -> None:
    with pytest.raises(ValueError, match="late_rate"):
        FaultConfig(late_rate=1.5)
    with pytest.raises(ValueError, match="batch_size"):
        plan_batches(pd.DataFrame(), batch_size=0)
