"""The README's main command (``flows/demo.py``): guild kills, a PUG wipe, and a no-op re-run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flows.demo import demo  # noqa: E402
from flows.ingest import ingest  # noqa: E402
from raidlib.console import print_demo_result  # noqa: E402

pytestmark = pytest.mark.usefixtures("prefect_harness")


def report_text(out: dict) -> str:
    console = Console(record=True, width=160)
    print_demo_result(out, console)
    return console.export_text()


def test_demo_shows_a_guild_kill_and_a_pug_wipe_then_reruns_as_duplicates(lake_dir: Path) -> None:
    first = demo(raids=1, lake=str(lake_dir), backend="pandas", invalid_rate=0.0)
    summary = first["gold_summary"]
    outcomes = dict(zip(summary["raid_id"], summary["raid_outcome"], strict=True))
    assert outcomes == {"raid001": "success", "pug001": "wipe"}
    assert first["delivery"]["rejected"] == 0 and first["delivery"]["duplicate"] == 0
    assert first["players"] == 40  # 20 guild members + 20 fresh PUG players
    text = report_text(first)
    assert "pug001" in text and "wipe" in text and "success" in text
    # The outcome table, then each top table, lists the guild's night before the PUG's.
    for title in ("Raid outcomes", "Top DPS per raid", "Top HPS per raid"):
        section = text.split(title, 1)[1]
        assert section.index("raid001") < section.index("pug001"), title

    again = demo(raids=1, lake=str(lake_dir), backend="pandas", invalid_rate=0.0)
    assert again["delivery"]["accepted"] == 0
    assert again["delivery"]["duplicate"] == first["delivery"]["accepted"]
    assert again["gold"]["raids_built"] == []
    assert again["gold_summary"].equals(first["gold_summary"])


def test_ingest_names_raids_after_their_date_unless_told(lake_dir: Path) -> None:
    from datetime import UTC, datetime

    night = datetime(2026, 3, 1, 19, 30, tzinfo=UTC)
    first = ingest(raids=2, players=2, lake=str(lake_dir), start=night)
    assert [r["raid_id"] for r in first["raids"]] == ["raid20260301-001", "raid20260301-002"]
    named = ingest(raids=1, players=2, lake=str(lake_dir), start=night, raid_prefix="guild")
    assert [r["raid_id"] for r in named["raids"]] == ["guild001"]


def test_ingest_reads_a_start_without_offset_as_utc_as_its_command_line_does(
    lake_dir: Path,
) -> None:
    """A deployment run or the UI passes ``start`` as text; one without an offset failed the
    run in generate-raids with "start must be timezone-aware"."""
    params = ingest.validate_parameters(
        {"raids": 1, "players": 2, "lake": str(lake_dir), "start": "2026-03-01T19:30:00"}
    )
    result = ingest(**params)
    assert [r["raid_id"] for r in result["raids"]] == ["raid20260301-001"]


def test_landing_without_a_receiver_allows_the_clock_skew_the_settings_allow(
    lake_dir: Path, factory
) -> None:
    """The direct mode must accept what the receiver, given the same settings, accepts: a
    producer whose clock runs 20 minutes ahead, with ``max_clock_skew_s`` raised to an hour."""
    from datetime import UTC, datetime, timedelta

    from raidlib.generator import WireBatch
    from raidlib.settings import Settings
    from raidlib.tasks.ingest import land_directly

    ahead = datetime.now(UTC) + timedelta(minutes=20)
    events = [
        factory.make_event(n, timestamp=(ahead + timedelta(seconds=n)).isoformat())
        for n in range(5)
    ]
    settings = Settings(bronze_root=str(lake_dir / "bronze"), max_clock_skew_s=3600)
    delivery = land_directly(settings, [WireBatch("b-ahead", events)])
    assert (delivery["accepted"], delivery["rejected"], delivery["events_accepted"]) == (1, 0, 5)
    assert len(list(lake_dir.rglob("batch=b-ahead.jsonl"))) == 1


@pytest.mark.parametrize("prefix", ["../x", "_x", "x" * 33])
def test_ingest_rejects_a_raid_prefix_before_generating_anything(
    lake_dir: Path, prefix: str
) -> None:
    # Escaping the partition, or ids the receiver would refuse (they must start with a letter
    # or digit): refused as a parameter, the same rule as `raidlib send --raid-prefix`.
    with pytest.raises(Exception, match="raid_prefix"):
        ingest(raids=1, lake=str(lake_dir), raid_prefix=prefix)
    assert not any(lake_dir.rglob("*.jsonl"))


def test_a_token_given_as_a_flow_parameter_is_warned_about(
    lake_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Prefect stores it in plain text with the run, receiver or not (docs audit: ingest
    warned only when it posted to a receiver)."""
    import logging

    with caplog.at_level(logging.WARNING):
        ingest(raids=1, players=2, lake=str(lake_dir), token="s3cret")
    assert "stores in plain text" in caplog.text
