"""process_new_bronze end to end on real files: conservation, late data, increments, crashes."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raidlib.backend import resolve_backend
from raidlib.lake import Lake, layout
from raidlib.lake.quarantine import read_quarantine
from raidlib.lake.state import find_unprocessed_batches, processed_batch_ids
from raidlib.read import read_silver
from raidlib.silver import pipeline
from raidlib.silver.pipeline import process_batches, process_new_bronze, read_silver_partitions
from raidlib.silver.report import combine_reports

bronze = sys.modules["raidlib_tests_bronze_factory"]  # loaded by the root conftest

T0 = bronze.T0


def silver_all(lake: Lake, backend) -> pd.DataFrame:
    from raidlib.lake.listing import list_partitions

    parts = list_partitions(lake, "silver", layout.DATASET, ("raid_id", "event_date"))
    return read_silver_partitions(lake, [(p["raid_id"], p["event_date"]) for p in parts], backend)


def test_exact_paths_counts_and_conservation(lake, factory, backend):
    events = [factory.make_event(i) for i in range(10)]
    events += [
        factory.make_event(10, damage_amount=-3.0),
        factory.make_event(11, raid_id="raid002"),
    ]
    factory.write_batch(
        lake, events, batch_id="b1", validate=False, extra_lines={"raid001": ["{oops"]}
    )
    factory.write_batch(lake, events[:4], batch_id="b2")  # a retried post under a new batch id
    report = process_new_bronze(lake, backend)
    assert sorted(report.batches) == ["b1", "b2"]
    assert report.rows_in == 17
    assert report.rows_quarantined == 2
    assert report.quarantined_by_reason == {
        "damage_amount_missing_or_not_positive": 1,
        "negative_amount": 1,
        "unparseable_line": 1,
    }
    assert report.duplicates_removed == 4
    assert report.rewritten_after_interruption == 0  # a retried post is a true duplicate
    assert report.rows_added == 11
    assert report.rows_in == report.rows_added + report.rows_quarantined + report.duplicates_removed
    silver = lake.silver_root
    assert sorted(os.path.relpath(p, silver) for p in report.partitions_written) == [
        "wow_raid_events/v1/raid_id=raid001/event_date=2026-11-23/part-0.parquet",
        "wow_raid_events/v1/raid_id=raid002/event_date=2026-11-23/part-0.parquet",
    ]
    assert sorted(os.path.relpath(p, silver) for p in report.quarantine_files) == [
        "_quarantine/wow_raid_events/v1/raid_id=raid001/event_date=2026-11-23/batch=b1.parquet"
    ]
    assert os.path.exists(f"{silver}/_state/processed_bronze_batches/b1.json")
    out = silver_all(lake, backend)
    assert len(out) == 11 and out["event_id"].is_unique
    assert out["event_id"].tolist() == sorted(
        out["event_id"]
    )  # sorted by (partition, timestamp, id)
    # the b2 copies were ingested at the same time: the larger batch id wins
    assert set(
        out.loc[out["event_id"].isin([factory.event_id(i) for i in range(4)]), "batch_id"]
    ) == {"b2"}
    q = read_quarantine(lake, backend)
    assert sorted(q["quarantine_reason"].str.split(":").str[0]) == [
        "damage_amount_missing_or_not_positive; negative_amount",
        "unparseable_line",
    ]
    assert q["raw_line"].dropna().tolist() == ["{oops"]


def test_the_report_says_where_the_time_went_and_chunks_add_up(lake, factory, backend):
    factory.write_batch(lake, [factory.make_event(i) for i in range(5)], batch_id="b1")
    report = process_new_bronze(lake, backend)
    stages = ["read", "prepare", "rebuild", "write", "quarantine", "mark"]
    assert list(report.stage_seconds) == stages
    assert all(seconds >= 0 for seconds in report.stage_seconds.values())
    assert report.stage_summary().startswith("read ")
    both = combine_reports([report, report])
    assert both.stage_seconds == {s: 2 * report.stage_seconds[s] for s in stages}


def test_each_quarantine_file_holds_its_own_batch_and_partition(lake, factory, backend):
    def bad(i: int, raid_id: str) -> dict:
        return factory.make_event(i, raid_id=raid_id, damage_amount=-1.0)

    first = [bad(0, "raid001"), bad(1, "raid002"), bad(2, "raid001"), factory.make_event(3)]
    factory.write_batch(lake, first, batch_id="b1", validate=False)
    factory.write_batch(lake, [bad(4, "raid002")], batch_id="b2", validate=False)
    report = process_new_bronze(lake, backend)
    assert report.rows_quarantined == 4
    filed = {}
    for path in report.quarantine_files:
        rows = pd.read_parquet(path)
        folder, name = os.path.split(os.path.relpath(path, lake.silver_root))
        filed[(os.path.basename(os.path.dirname(folder)), name)] = sorted(
            zip(rows["batch_id"], rows["event_id"], strict=True)
        )
    assert filed == {
        ("raid_id=raid001", "batch=b1.parquet"): sorted(
            [("b1", factory.event_id(0)), ("b1", factory.event_id(2))]
        ),
        ("raid_id=raid002", "batch=b1.parquet"): [("b1", factory.event_id(1))],
        ("raid_id=raid002", "batch=b2.parquet"): [("b2", factory.event_id(4))],
    }


def test_late_events_land_in_their_own_date(lake, factory, backend):
    ingest = T0 + timedelta(days=3)
    late = factory.make_event(0, timestamp=(T0 - timedelta(days=2)).isoformat())
    fresh = factory.make_event(1, timestamp=(ingest - timedelta(minutes=5)).isoformat())
    factory.write_batch(lake, [late, fresh], ingest_timestamp=ingest)
    report = process_new_bronze(lake, backend)
    assert report.late_events == 1
    assert sorted(p.split("event_date=")[1][:10] for p in report.partitions_written) == [
        "2026-11-21",
        "2026-11-26",
    ]
    # a later batch for the old date extends that partition, keeping its rows
    factory.write_batch(
        lake, [factory.make_event(2, timestamp=late["timestamp"])], ingest_timestamp=ingest
    )
    process_new_bronze(lake, backend)
    old = read_silver_partitions(lake, [("raid001", "2026-11-21")], backend)
    assert old["event_id"].tolist() == [factory.event_id(0), factory.event_id(2)]


def test_each_batchs_marker_names_the_partitions_its_own_rows_reached(lake, factory, backend):
    """Batches processed together (one chunk) each record only where their rows went: a late
    event's date too, never another batch's raids."""
    ingest = T0 + timedelta(days=3)
    late = factory.make_event(0, timestamp=(T0 - timedelta(days=2)).isoformat())
    fresh = factory.make_event(1, timestamp=(ingest - timedelta(minutes=5)).isoformat())
    factory.write_batch(lake, [late, fresh], batch_id="b1", ingest_timestamp=ingest)
    other = factory.make_event(2, raid_id="raid002")
    factory.write_batch(lake, [other], batch_id="b2")
    process_new_bronze(lake, backend)
    state = f"{lake.silver_root}/_state/processed_bronze_batches"
    marked = {b: json.loads(Path(f"{state}/{b}.json").read_text()) for b in ("b1", "b2")}
    assert marked["b1"]["partitions"] == ["raid001/2026-11-21", "raid001/2026-11-26"]
    assert marked["b2"]["partitions"] == ["raid002/2026-11-23"]


def test_an_event_moved_to_another_date_is_read_once_as_gold_counts_it(lake, factory, backend):
    from raidlib.read import read_silver

    first = factory.make_event(0)
    factory.write_batch(lake, [first, factory.make_event(1)], ingest_timestamp=T0)
    moved = {**first, "timestamp": (T0 - timedelta(days=1)).isoformat(), "damage_amount": 7.0}
    factory.write_batch(lake, [moved], ingest_timestamp=T0 + timedelta(hours=1))
    process_new_bronze(lake, backend)
    # Silver deduplicates per partition, so the first copy stays in its own date ...
    assert len(silver_all(lake, backend)) == 3
    # ... and the reader keeps only the latest ingest, like gold.
    events = read_silver("raid001", lake, backend=backend.name)
    assert sorted(events["event_id"]) == [factory.event_id(0), factory.event_id(1)]
    assert float(events.loc[events["event_id"] == first["event_id"], "damage_amount"].iloc[0]) == 7


def test_incremental_run_processes_only_new_batches_and_rerun_changes_nothing(
    lake, factory, backend
):
    factory.write_batch(lake, [factory.make_event(i) for i in range(5)], batch_id="b1")
    first = process_new_bronze(lake, backend)
    assert first.batches == ["b1"]
    path = first.partitions_written[0]
    before = Path(path).read_bytes()
    assert process_new_bronze(lake, backend).batches == []
    assert Path(path).read_bytes() == before
    factory.write_batch(lake, [factory.make_event(i) for i in range(3, 8)], batch_id="b2")
    second = process_new_bronze(lake, backend)
    assert second.batches == ["b2"] and second.rows_added == 3 and second.duplicates_removed == 2
    assert processed_batch_ids(lake) == {"b1", "b2"}
    assert len(silver_all(lake, backend)) == 8


def test_a_cap_on_batches_per_run_takes_that_many_oldest_first(lake, factory, backend):
    """``bronze_to_silver --max-batches N`` must move N batches a run, not fewer."""
    for n in range(3):
        ingest = T0 + timedelta(hours=n + 1)
        factory.write_batch(
            lake, [factory.make_event(n)], batch_id=f"b{n}", ingest_timestamp=ingest
        )
    assert process_new_bronze(lake, backend, max_batches=2).batches == ["b0", "b1"]
    assert process_new_bronze(lake, backend, max_batches=1).batches == ["b2"]
    assert len(silver_all(lake, backend)) == 3


def test_orphan_objects_wait_for_their_manifest(lake, factory, backend):
    factory.write_batch(lake, [factory.make_event(0)], batch_id="b1", manifest=False)
    assert process_new_bronze(lake, backend).batches == []
    factory.write_batch(lake, [factory.make_event(0)], batch_id="b1")
    assert process_new_bronze(lake, backend).batches == ["b1"]


def test_a_manifest_listing_no_objects_still_brings_its_batch_to_silver(lake, factory, backend):
    """Another tool may commit a batch with a manifest that names no objects: its events must
    reach silver (found by the batch's file name), not be marked processed with no rows."""
    factory.write_batch(
        lake, [factory.make_event(i) for i in range(3)], batch_id="b1", manifest=False
    )
    bare = {"batch_id": "b1", "event_count": 3}
    lake.write_bytes_atomic("bronze", layout.bronze_manifest_key("b1"), json.dumps(bare).encode())
    report = process_new_bronze(lake, backend)
    assert report.batches == ["b1"] and report.rows_in == 3
    assert sorted(silver_all(lake, backend)["event_id"]) == [bronze.event_id(i) for i in range(3)]


def test_crash_before_marking_then_rerun_completes(lake, factory, backend, monkeypatch, tmp_path):
    factory.write_batch(lake, [factory.make_event(i) for i in range(6)], batch_id="b1")
    factory.write_batch(
        lake,
        [
            factory.make_event(i, timestamp=(T0 - timedelta(days=1)).isoformat())
            for i in range(6, 9)
        ],
        batch_id="b2",
    )

    def crash(*args, **kwargs):
        raise SystemExit("killed after the partitions were replaced")

    monkeypatch.setattr(pipeline, "mark_processed", crash)
    with pytest.raises(SystemExit):
        process_new_bronze(lake, backend)
    monkeypatch.undo()
    assert len(find_unprocessed_batches(lake)) == 2
    report = process_new_bronze(lake, backend)
    assert report.rows_added == 0 and report.duplicates_removed == 9
    # and the report says why so many: the interrupted run had written them
    assert report.rewritten_after_interruption == 9
    assert process_new_bronze(lake, backend).rewritten_after_interruption == 0

    clean = Lake.local(tmp_path / "uninterrupted")
    shutil.copytree(lake.path("bronze"), clean.path("bronze"))
    process_new_bronze(clean, backend)
    pd.testing.assert_frame_equal(silver_all(lake, backend), silver_all(clean, backend))


EVENTS = [
    bronze.make_event(i, timestamp=(T0 + timedelta(hours=7 * i)).isoformat()) for i in range(12)
]


@settings(max_examples=12, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 3)), min_size=1, max_size=24),
    st.randoms(use_true_random=False),
    st.integers(1, 4),
)
def test_any_split_and_arrival_order_gives_identical_silver(copies, rnd, runs):
    """Batches (events, possibly repeated, ingest hour) processed in any order and grouping."""
    backend = resolve_backend("pandas")
    batches: dict[int, list[int]] = {}
    for n, hour in copies:
        batches.setdefault(hour, []).append(n)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        results = []
        for root, shuffle in ((a, False), (b, True)):
            lake = Lake.local(root)
            for hour, ids in sorted(batches.items()):
                factory_events = [EVENTS[n] for n in ids]
                bronze.write_batch(
                    lake,
                    factory_events,
                    batch_id=f"b{hour}",
                    ingest_timestamp=T0 + timedelta(days=5, hours=hour),
                )
            pending = find_unprocessed_batches(lake)
            if shuffle:
                rnd.shuffle(pending)
                cut = sorted(rnd.sample(range(1, len(pending) + 1), min(runs, len(pending))))
                start = 0
                for end in cut:
                    process_batches(lake, backend, pending[start:end])
                    start = end
                process_batches(lake, backend, pending[start:])
            else:
                process_batches(lake, backend, pending)
            results.append(silver_all(lake, backend))
        pd.testing.assert_frame_equal(results[0], results[1])
        assert sorted(results[0]["event_id"]) == sorted({EVENTS[n]["event_id"] for n, _ in copies})


def test_late_events_are_counted_by_utc_day_at_midnight_edges():
    stamps = ["2026-11-23T23:59:59.999999", "2026-11-24T00:00:00", "2026-11-24T00:00:00"]
    ingests = ["2026-11-24T00:00:00", "2026-11-24T23:59:59", "2026-11-23T23:59:59"]
    clean = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(stamps, format="ISO8601"),
            "ingest_timestamp": pd.to_datetime(ingests, format="ISO8601"),
        }
    )
    assert pipeline.late_event_count(clean) == 2  # the first and the last cross midnight


def test_a_line_that_is_not_utf8_is_quarantined_byte_for_byte_and_its_batch_done(
    lake, factory, backend
):
    """Bronze written by a Windows tool in cp1252: pyarrow's reader let the bad bytes through,
    silver raised ArrowInvalid on them and, the batch never marked, on every later run."""
    factory.write_batch(lake, [factory.make_event(i) for i in range(4)], batch_id="b1")
    written = next(Path(lake.bronze_root).rglob("*.jsonl"))
    lines = written.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"Player2"', '"Zoë"'.encode("cp1252"))
    written.write_bytes(b"\n".join(lines))

    report = process_new_bronze(lake, backend)

    assert (report.rows_in, report.rows_added) == (4, 3)
    assert report.quarantined_by_reason == {"unparseable_line": 1}
    quarantined = read_quarantine(lake, backend)
    quarantined = quarantined.to_pandas() if hasattr(quarantined, "to_pandas") else quarantined
    assert quarantined["quarantine_reason"].tolist() == ["unparseable_line: not UTF-8"]
    assert '"source_player_name": "Zo\\xeb"' in quarantined["raw_line"].iloc[0]
    assert process_new_bronze(lake, backend).batches == []


@pytest.mark.parametrize("later_line_day", [1, 0], ids=["same-date", "a-date-earlier"])
def test_two_copies_in_one_batch_each_land_in_their_own_dates_partition(
    lake, factory, backend, later_line_day
):
    """They share their ingest: on one date the later line wins; on two dates each stays in
    its date's partition (CONTRACT §3: per-partition dedup, events land in their own date's
    partition), and read_silver, like gold, keeps the later date's."""
    day1 = (T0 + timedelta(days=1)).isoformat()
    first = factory.make_event(0, damage_amount=2.0, timestamp=day1)
    second = factory.make_event(
        0, damage_amount=1.0, timestamp=(T0 + timedelta(days=later_line_day)).isoformat()
    )
    ingest = T0 + timedelta(days=2)
    factory.write_batch(lake, [first, second], batch_id="b1", ingest_timestamp=ingest)

    report = process_new_bronze(lake, backend)

    out = silver_all(lake, backend)
    out = out.to_pandas() if hasattr(out, "to_pandas") else out
    placed = sorted(zip(out["event_date"], out["damage_amount"], strict=True))
    if later_line_day == 1:
        assert (report.rows_added, report.duplicates_removed) == (1, 1)
        assert placed == [((T0 + timedelta(days=1)).date().isoformat(), 1.0)]
    else:
        assert (report.rows_added, report.duplicates_removed) == (2, 0)
        assert placed == [
            (T0.date().isoformat(), 1.0),
            ((T0 + timedelta(days=1)).date().isoformat(), 2.0),
        ]
    assert read_silver("raid001", lake)["damage_amount"].tolist() == [
        1.0 if later_line_day == 1 else 2.0
    ]


@pytest.mark.parametrize("order", [("b0", "b1"), ("b1", "b0")])
def test_copies_in_one_batch_give_the_same_silver_one_batch_at_a_time_or_together(
    tmp_path, factory, backend, order
):
    """b1 sends event 0 twice, on day 1 then on day 0; b0 had it on day 1 with an earlier
    ingest. However the batches are grouped into runs, silver ends the same."""
    day1, day0 = (T0 + timedelta(days=1)).isoformat(), T0.isoformat()
    batches = {
        "b0": ([factory.make_event(0, damage_amount=5.0, timestamp=day1)], 2),
        "b1": (
            [
                factory.make_event(0, damage_amount=2.0, timestamp=day1),
                factory.make_event(0, damage_amount=1.0, timestamp=day0),
            ],
            3,
        ),
    }

    def land(lake, batch_id):
        events, ingest_day = batches[batch_id]
        ingest = T0 + timedelta(days=ingest_day)
        factory.write_batch(lake, events, batch_id=batch_id, ingest_timestamp=ingest)

    def rows(lake):
        out = silver_all(lake, backend)
        out = out.to_pandas() if hasattr(out, "to_pandas") else out
        return sorted(zip(out["event_date"], out["batch_id"], out["damage_amount"], strict=True))

    together = Lake.local(tmp_path / "together")
    for batch_id in order:
        land(together, batch_id)
    report = process_new_bronze(together, backend)
    one_at_a_time = Lake.local(tmp_path / "one-at-a-time")
    added = 0
    for batch_id in order:
        land(one_at_a_time, batch_id)
        added += process_new_bronze(one_at_a_time, backend).rows_added

    expected = [
        (T0.date().isoformat(), "b1", 1.0),
        ((T0 + timedelta(days=1)).date().isoformat(), "b1", 2.0),
    ]
    assert rows(together) == rows(one_at_a_time) == expected
    assert report.rows_added == added == 2
    assert report.duplicates_removed == 1


def test_an_event_id_resent_in_capitals_is_the_same_event(lake, factory, backend):
    """Bronze written by another tool may spell a UUID in capitals; UUIDs compare
    case-insensitively, so its resend is a duplicate in silver, not a second event."""
    uid = "3f2a4c1e-0b5d-4e6f-9a7b-8c9d0e1f2a3b"  # hex letters, so the spelling matters
    first = factory.make_event(0, event_id=uid.upper(), damage_amount=5.0)
    resent = factory.make_event(0, event_id=uid, damage_amount=7.0)
    factory.write_batch(
        lake, [first], batch_id="b1", validate=False, ingest_timestamp=T0 + timedelta(hours=1)
    )
    factory.write_batch(
        lake, [resent], batch_id="b2", validate=False, ingest_timestamp=T0 + timedelta(hours=2)
    )
    report = process_new_bronze(lake, backend)
    out = silver_all(lake, backend)
    assert list(zip(out["event_id"], out["damage_amount"], strict=True)) == [(uid, 7.0)]
    assert (report.rows_added, report.duplicates_removed) == (1, 1)


def test_events_of_one_instant_are_in_event_id_order_whichever_batch_came_first(
    lake, factory, backend
):
    """A combat-log millisecond often holds several events: silver orders them by event_id,
    so its row order does not depend on which batch arrived first."""
    same_instant = T0.isoformat()
    later_id = factory.make_event(2, timestamp=same_instant)
    earlier_id = factory.make_event(1, timestamp=same_instant)
    factory.write_batch(lake, [later_id], batch_id="b1")
    process_new_bronze(lake, backend)
    factory.write_batch(lake, [earlier_id], batch_id="b2")
    process_new_bronze(lake, backend)
    assert silver_all(lake, backend)["event_id"].tolist() == [
        factory.event_id(1),
        factory.event_id(2),
    ]
