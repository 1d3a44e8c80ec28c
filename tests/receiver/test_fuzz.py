"""Whatever a producer posts, the receiver answers JSON with a contract status, never a 500,
and a 2xx always means exactly the posted events are in bronze (CONTRACT §2)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from raidlib.backend import resolve_backend
from raidlib.lake.lake import Lake
from raidlib.schemas.events import EVENT_FIELDS
from raidlib.silver.pipeline import process_new_bronze
from raidlib.silver.rules import RULES_BEYOND_THE_RECEIVER

from .conftest import make_events

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
CONTRACT_STATUSES = {200, 201, 400, 413}
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def mutated_batches(draw: st.DrawFn) -> list[Any]:
    """Valid events with a few fields set to arbitrary JSON, removed, or added."""
    events: list[Any] = make_events(draw(st.integers(1, 4)))
    for _ in range(draw(st.integers(0, 4))):
        event = events[draw(st.integers(0, len(events) - 1))]
        name = draw(st.sampled_from([*EVENT_FIELDS, "unexpected_key"]))
        if draw(st.booleans()):
            event[name] = draw(JSON_VALUES)
        else:
            event.pop(name, None)
    return events


def bronze_lines(lake: Lake) -> list[dict[str, Any]]:
    root = Path(lake.bronze_root)
    files = sorted(root.rglob("*.jsonl")) if root.exists() else []
    return [json.loads(line) for path in files for line in path.read_bytes().splitlines()]


def post_and_check(app: Flask, lake: Lake, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST ``body`` to a fresh bronze layer; check the answer against what landed."""
    shutil.rmtree(lake.bronze_root, ignore_errors=True)
    response = app.test_client().post("/events", data=body, content_type="application/json")
    assert response.status_code in CONTRACT_STATUSES, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    answer = response.get_json()
    event(f"{response.status_code} {answer.get('status')}")  # --hypothesis-show-statistics
    landed = bronze_lines(lake)
    if response.status_code == 201:
        assert answer["status"] == "accepted"
        assert len(landed) == answer["events_received"]
        assert {line["batch_id"] for line in landed} == {answer["batch_id"]}
    else:
        assert landed == [], answer  # refused: nothing half-written
        assert isinstance(answer.get("status"), str)
    if answer.get("status") == "validation_failed":
        assert answer["invalid_count"] >= 1
        for failure in answer["errors"]:
            assert failure["errors"] and all(e["msg"] for e in failure["errors"])
    return response.status_code, answer


@FUZZ
@given(value=JSON_VALUES)
def test_any_json_value_gets_a_contract_answer(app: Flask, lake: Lake, value: Any) -> None:
    post_and_check(app, lake, json.dumps(value).encode())


@FUZZ
@given(events=mutated_batches(), envelope=st.booleans())
def test_mutated_events_are_accepted_whole_or_refused_naming_the_field(
    app: Flask, lake: Lake, events: list[Any], envelope: bool
) -> None:
    body = {"events": events} if envelope else events
    status, answer = post_and_check(app, lake, json.dumps(body).encode())
    if status == 201:
        assert answer["events_received"] == len(events)
    elif status == 400:
        # Each error names the event (its index) and the field (a non-empty ``loc``).
        assert answer["status"] == "validation_failed", answer
        assert all(0 <= f["index"] < len(events) for f in answer["errors"])
        assert all(e["loc"] for f in answer["errors"] for e in f["errors"]), answer


@FUZZ
@given(data=st.binary(max_size=200))
def test_any_bytes_get_a_contract_answer(app: Flask, lake: Lake, data: bytes) -> None:
    post_and_check(app, lake, data)


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 10))
@given(events=mutated_batches())
def test_whatever_is_accepted_reaches_silver_or_quarantine(
    app: Flask, lake: Lake, events: list[Any]
) -> None:
    """The receiver's 2xx is a promise silver keeps: every accepted event is read and counted."""
    shutil.rmtree(lake.root("silver"), ignore_errors=True)
    status, answer = post_and_check(app, lake, json.dumps(events).encode())
    if status != 201:
        return
    report = process_new_bronze(lake, resolve_backend("pandas"))
    assert report.rows_in == answer["events_received"]
    assert report.rows_added + report.rows_quarantined + report.duplicates_removed == report.rows_in
    quarantined = set(report.quarantined_by_reason)
    assert quarantined <= set(RULES_BEYOND_THE_RECEIVER), report.quarantined_by_reason
