"""Schema-on-write, silver and gold agree: every event shape the receiver accepts reaches silver,
and every raid made of such events builds gold.

The receiver's 201 is a promise that the batch is in bronze; silver then has to read every
accepted line and pass it, except for the rules the wire contract leaves to silver (README,
"Silver"): those, and only those, may quarantine an accepted event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raidlib.backend import Backend, to_pandas
from raidlib.gold import GOLD_SCHEMAS, build_gold
from raidlib.lake.frames import frame_to_table
from raidlib.lake.lake import Lake
from raidlib.read import read_silver
from raidlib.receiver import create_app
from raidlib.settings import Settings
from raidlib.silver.pipeline import process_new_bronze
from raidlib.silver.rules import RULES_BEYOND_THE_RECEIVER, RuleParams

from .strategies import valid_events

PIPELINE = settings(
    settings.default,
    max_examples=max(25, settings.default.max_examples // 4),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def post_accepted(lake: Lake, events: list[Any]) -> int:
    """POST ``events`` to a receiver on ``lake``; it must answer 201. Returns events_received."""
    client = create_app(Settings(), lake).test_client()
    response = client.post("/events", data=json.dumps(events), content_type="application/json")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["events_received"]


@PIPELINE
@given(events=st.lists(valid_events(), min_size=1, max_size=6))
def test_every_accepted_event_reaches_silver(
    tmp_path_factory: Any, any_backend: Backend, events: list[Any]
) -> None:
    lake = Lake.local(tmp_path_factory.mktemp("lake"))
    accepted = post_accepted(lake, events)

    report = process_new_bronze(lake, any_backend)

    assert report.rows_in == len(events) == accepted
    assert set(report.quarantined_by_reason) <= set(RULES_BEYOND_THE_RECEIVER), (
        report.quarantined_by_reason
    )
    assert report.rows_added + report.duplicates_removed + report.rows_quarantined == len(events)
    assert report.duplicates_removed == 0  # every event has its own id
    assert list(Path(lake.root("silver")).rglob("*.parquet")) or report.rows_added == 0


@settings(PIPELINE, max_examples=max(12, settings.default.max_examples // 8))
@given(events=st.lists(valid_events(), min_size=1, max_size=8))
def test_any_accepted_raid_builds_every_gold_table_in_its_schema(
    tmp_path_factory: Any, any_backend: Backend, events: list[Any]
) -> None:
    """Odd but valid raids (one event, no boss, no roles, padded names, 1e9 hits) build gold."""
    lake = Lake.local(tmp_path_factory.mktemp("lake"))
    post_accepted(lake, events)
    no_age_limit = RuleParams(max_event_age_s=float("inf"))  # the strategy dates events 2015-2025
    report = process_new_bronze(lake, any_backend, params=no_age_limit)
    silver = read_silver(lake=lake, backend=any_backend.name)
    assert len(silver) == report.rows_added
    if not len(silver):  # every event failed a silver-only rule
        return

    gold = build_gold(silver).as_dict()

    assert set(gold) == set(GOLD_SCHEMAS)
    for name, frame in gold.items():
        frame_to_table(frame, GOLD_SCHEMAS[name].schema)  # raises if a value breaks its type
    raids = set(to_pandas(silver)["raid_id"])
    assert set(to_pandas(gold["fact_raid_summary"])["raid_id"]) == raids
    assert set(to_pandas(gold["dim_raid"])["raid_id"]) == raids
