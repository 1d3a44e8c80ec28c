"""The medallion flows as a user runs them: incremental, idempotent, with artifacts."""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from raidlib.backend import resolve_backend
from raidlib.generator import RaidConfig, generate_raids, plan_batches
from raidlib.gold import build_gold
from raidlib.lake import Lake
from raidlib.lake.bronze_writer import land_batch
from raidlib.lake.gold_store import read_gold_table
from raidlib.schemas import validate_events

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flows.medallion import medallion  # noqa: E402

pytestmark = pytest.mark.usefixtures("prefect_harness", "dated_events_stay_young")

START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
CONFIG = RaidConfig(n_players=10, enrage_timer_ms=60_000)
PANDAS = resolve_backend("pandas")


def land(lake: Lake, frame: pd.DataFrame, *, seed: int = 0, fresh_ids: bool = False) -> int:
    """Land ``frame``'s events in bronze in batches (new batch ids when ``fresh_ids``)."""
    batches = plan_batches(frame, batch_size=700, seed=seed)
    for batch in batches:
        batch_id = str(uuid.uuid4()) if fresh_ids else batch.batch_id
        land_batch(lake, validate_events(batch.events), batch_id=batch_id, source="test")
    return len(batches)


def gold(lake: Lake) -> dict[str, pd.DataFrame]:
    names = ("dim_player", "dim_raid", "fact_raid_summary", "fact_player_raid_stats")
    return {n: read_gold_table(lake, n, PANDAS) for n in names}


def lake_files(root: Path) -> dict[str, int]:
    """Every visible data file under silver/ and gold/ with its modification time (ns)."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for layer in ("silver", "gold")
        for p in (root / layer).rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def assert_gold_equal(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-12)


def test_medallion_builds_gold_then_reruns_change_nothing(lake_dir: Path) -> None:
    lake = Lake.local(lake_dir)
    frame = generate_raids(2, seed=11, start=START, config=CONFIG)
    land(lake, frame)

    first = medallion(lake=str(lake_dir), backend="pandas")
    assert first["silver"]["batches"] > 0
    assert first["silver"]["rows_in"] == len(frame)
    assert first["silver"]["duplicates_removed"] == 0
    assert first["gold"]["raids_built"] == ["raid001", "raid002"]
    built = gold(lake)
    summary = built["fact_raid_summary"]
    assert list(summary["raid_id"]) == ["raid001", "raid002"]
    events = frame[frame["event_type"] == "combat_damage"]
    by_players = events[events["source_player_role"].notna()]
    expected = by_players.groupby("raid_id")["damage_amount"].sum()
    assert summary.set_index("raid_id")["total_damage"].to_dict() == pytest.approx(
        expected.to_dict(), rel=1e-9
    )
    assert (built["dim_player"]["total_raids"] == 2).all()  # a guild: same players twice

    before = lake_files(lake_dir)
    second = medallion(lake=str(lake_dir), backend="pandas")
    assert second["silver"]["batches"] == 0
    assert second["gold"]["raids_built"] == []
    assert lake_files(lake_dir) == before  # not one file rewritten
    assert_gold_equal(gold(lake), built)

    # Gold an older raidlib built (its state holds no rules version) is rebuilt once: it was
    # kept, with the old rules' numbers, until the raid's silver changed (upgrade audit).
    for state in (lake_dir / "gold" / "_state" / "gold_inputs").glob("*.json"):
        state.write_text(json.dumps(json.loads(state.read_text())["silver"]))
    upgraded = medallion(lake=str(lake_dir), backend="pandas")
    assert upgraded["gold"]["raids_built"] == ["raid001", "raid002"]
    assert medallion(lake=str(lake_dir), backend="pandas")["gold"]["raids_built"] == []
    # ... and a rebuild can be asked for
    rebuilt = medallion(lake=str(lake_dir), backend="pandas", rebuild_gold=True)
    assert rebuilt["silver"]["batches"] == 0
    assert rebuilt["gold"]["raids_built"] == ["raid001", "raid002"]
    assert_gold_equal(gold(lake), built)


def readme_reading_example() -> str:
    """The README's "Reading the tables" code block."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("<!-- reading-example:", 1)[1].split("```python\n", 1)[1]
    return block.split("```", 1)[0]


def test_the_readme_reads_gold_and_silver_typed_as_declared(
    lake_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Raid ids made only of digits: pandas.read_parquet would make them integers.
    land(
        Lake.local(lake_dir), generate_raids(1, seed=3, start=START, config=CONFIG, raid_prefix="0")
    )
    medallion(lake=str(lake_dir), backend="pandas")
    monkeypatch.chdir(lake_dir.parent)  # the example's ./lake

    scope: dict = {}
    exec(readme_reading_example().replace('"raid001"', '"0001"'), scope)  # noqa: S102

    pd.testing.assert_frame_equal(
        scope["summary"],
        read_gold_table(Lake.local(lake_dir), "fact_raid_summary", PANDAS),
        check_dtype=False,
    )
    assert list(scope["summary"]["raid_id"]) == ["0001"]
    assert scope["stats"]["raid_id"].dtype == "str" and len(scope["top_dps"]) == 3
    assert set(scope["events"]["raid_id"]) == {"0001"} and len(scope["events"]) > 1000
    # timestamps as the files declare them, comparable with aware datetimes
    events = scope["events"]
    assert str(events["timestamp"].dtype) == "datetime64[us, UTC]"
    assert (events["timestamp"] > pd.Timestamp("2000-01-01", tz="UTC")).all()
    # and what the readers return can be built into gold again
    # ... and compare equal, dtypes included (read_gold gave Int64 counts, build_gold int64)
    rebuilt = build_gold(events)
    pd.testing.assert_frame_equal(rebuilt.fact_raid_summary, scope["summary"])
    pd.testing.assert_frame_equal(rebuilt.fact_player_raid_stats, scope["stats"])
    assert "0001" in capsys.readouterr().out

    from raidlib.read import read_gold, read_silver

    with pytest.raises(ValueError, match="no gold table 'players'; the tables are: dim_player"):
        read_gold("players", lake_dir)
    fresh = lake_dir.parent / "nothing-built-yet"
    fresh.mkdir()
    empty = read_gold("dim_raid", fresh)
    assert len(empty) == 0 and "raid_id" in empty.columns
    assert len(read_silver(lake=lake_dir)) == len(scope["events"])
    # a mistyped folder or raid id is an error, not an empty frame
    with pytest.raises(FileNotFoundError, match="no lake folder at .*lakke"):
        read_gold("dim_raid", lake_dir.parent / "lakke")
    with pytest.raises(ValueError, match="silver has no raid '0002'; its raids: 0001"):
        read_silver("0002", lake_dir)


def test_reposting_the_same_events_under_new_batch_ids_leaves_gold_identical(
    lake_dir: Path, tmp_path: Path
) -> None:
    frame = generate_raids(1, seed=5, start=START, config=CONFIG)
    once = Lake.local(tmp_path / "once")
    land(once, frame)
    medallion(lake=str(tmp_path / "once"), backend="pandas")

    twice = Lake.local(lake_dir)
    land(twice, frame)
    medallion(lake=str(lake_dir), backend="pandas")
    land(twice, frame, fresh_ids=True)  # a producer re-sending everything
    result = medallion(lake=str(lake_dir), backend="pandas")
    assert result["silver"]["duplicates_removed"] == len(frame)
    assert result["silver"]["rows_added"] == 0
    assert_gold_equal(gold(twice), gold(once))


def test_a_new_raid_rebuilds_only_itself_and_updates_dim_player(lake_dir: Path) -> None:
    lake = Lake.local(lake_dir)
    frames = generate_raids(3, seed=2, start=START, config=CONFIG)
    land(lake, frames[frames["raid_id"] != "raid003"])
    medallion(lake=str(lake_dir), backend="pandas")
    summary_before = gold(lake)["fact_raid_summary"]

    land(lake, frames[frames["raid_id"] == "raid003"], seed=1)
    result = medallion(lake=str(lake_dir), backend="pandas")
    assert result["gold"]["raids_built"] == ["raid003"]
    after = gold(lake)
    pd.testing.assert_frame_equal(
        after["fact_raid_summary"][after["fact_raid_summary"]["raid_id"] != "raid003"],
        summary_before,
    )
    assert (after["dim_player"]["total_raids"] == 3).all()
    assert after["dim_player"]["last_seen_date"].max() == "2026-03-03"


def test_a_run_whose_only_raid_has_no_player_builds_its_gold(lake_dir: Path) -> None:
    """Only the boss acts (a log imported with --scope all can hold such a raid): gold has the
    raid and no player rows, and the run's summary and artifacts are made of empty tables."""
    lake = Lake.local(lake_dir)
    frame = generate_raids(1, seed=4, start=START, config=CONFIG)
    land(lake, frame[frame["event_type"] == "boss_phase"])

    result = medallion(lake=str(lake_dir), backend="pandas")
    assert result["gold"]["raids_built"] == ["raid001"]
    assert result["gold"]["stats"].empty and "dps" in result["gold"]["stats"].columns
    built = gold(lake)
    assert built["fact_raid_summary"]["n_players"].to_list() == [0]
    assert built["fact_player_raid_stats"].empty


def test_gold_builds_raids_one_at_a_time_when_told_to(
    lake_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gold flow honours ``RAIDLIB_PARALLEL_TASKS``: here, never two raids at once (with
    one raid per task)."""
    import raidlib.gold.pipeline as gold_pipeline

    land(Lake.local(lake_dir), generate_raids(3, seed=4, start=START, config=CONFIG))
    most, now, lock = [0], [0], threading.Lock()
    build = gold_pipeline.build_raid_tables

    def counted(*args: object, **kwargs: object) -> object:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.05)  # long enough for a second raid to start, were it allowed to
        try:
            return build(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                now[0] -= 1

    monkeypatch.setattr(gold_pipeline, "build_raid_tables", counted)
    monkeypatch.setenv("RAIDLIB_PARALLEL_TASKS", "1")
    monkeypatch.setenv("RAIDLIB_GOLD_TASK_SILVER_MIB", "0")
    result = medallion(lake=str(lake_dir), backend="pandas")
    assert result["gold"]["raids_built"] == ["raid001", "raid002", "raid003"]
    assert most[0] == 1


def test_gold_builds_small_raids_in_one_task(
    lake_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three small raids are well under ``RAIDLIB_GOLD_TASK_SILVER_MIB``: one build for all."""
    import raidlib.gold.pipeline as gold_pipeline

    land(Lake.local(lake_dir), generate_raids(3, seed=4, start=START, config=CONFIG))
    built: list[list[str]] = []
    build = gold_pipeline.build_raid_tables

    def recorded(silver: pd.DataFrame, **kwargs: int) -> object:
        built.append(sorted(silver["raid_id"].unique()))
        return build(silver, **kwargs)

    monkeypatch.setattr(gold_pipeline, "build_raid_tables", recorded)
    result = medallion(lake=str(lake_dir), backend="pandas")
    assert result["gold"]["raids_built"] == ["raid001", "raid002", "raid003"]
    assert built == [["raid001", "raid002", "raid003"]]


def test_flow_parameters_are_validated(lake_dir: Path) -> None:
    from prefect.exceptions import ParameterTypeError

    with pytest.raises(ParameterTypeError, match="backend"):
        medallion(lake=str(lake_dir), backend="spark")


def test_medallion_fans_out_on_a_dask_cluster_with_the_same_gold(tmp_path: Path) -> None:
    """``dask_address`` puts the subflows' tasks (silver batch groups, gold raids) on Dask."""
    pytest.importorskip("prefect_dask")
    from distributed import LocalCluster

    frame = generate_raids(2, seed=11, start=START, config=CONFIG)
    here, there = Lake.local(tmp_path / "here"), Lake.local(tmp_path / "there")
    land(here, frame)
    land(there, frame)
    medallion(lake=str(tmp_path / "here"), backend="pandas")
    with LocalCluster(
        n_workers=1, processes=False, threads_per_worker=2, dashboard_address=None
    ) as cluster:
        out = medallion(
            lake=str(tmp_path / "there"), backend="pandas", dask_address=cluster.scheduler_address
        )
        ran = set(cluster.scheduler.task_prefixes)
    assert out["gold"]["raids_built"] == ["raid001", "raid002"]
    assert {"process_batch_group", "build_raid_gold"} <= ran  # the tasks ran on Dask
    assert_gold_equal(gold(there), gold(here))


@pytest.mark.parametrize("step", ["bronze_to_silver", "silver_to_gold", "medallion"])
def test_a_run_on_a_lake_that_does_not_exist_says_so(
    step: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A deployment run with a mistyped ``lake`` completed having read nothing, without a word
    (the scripts print a note; a deployment run has no script)."""
    import importlib
    import logging

    flow = getattr(importlib.import_module(f"flows.{step}"), step)
    with caplog.at_level(logging.WARNING):
        flow(lake=str(tmp_path / "lakke"), backend="pandas")
    read = "silver" if step == "silver_to_gold" else "bronze"
    assert f"{tmp_path / 'lakke' / read} does not exist, so there is nothing to read" in caplog.text


def test_gold_for_a_raid_silver_does_not_have_says_so(
    lake_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``raid_ids=["nope"]`` completed as if it had built something (ops audit)."""
    import logging

    from flows.silver_to_gold import silver_to_gold

    land(Lake.local(lake_dir), generate_raids(1, seed=3, start=START, config=CONFIG))
    medallion(lake=str(lake_dir), backend="pandas")
    with caplog.at_level(logging.WARNING):
        silver_to_gold(lake=str(lake_dir), backend="pandas", raid_ids=["nope"])
    assert "silver has no raid 'nope' (its raids: raid001)" in caplog.text


def test_a_full_disk_stops_the_run_at_once_naming_the_file_with_nothing_half_written(
    lake_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "[Errno 28] No space left on device" came after two retries (12 s) and four tracebacks,
    naming no file. (The writes' fsync fails as a full disk's does: mounting one needs root.)"""
    import errno
    import os

    from raidlib.lake import LakeWriteError

    land(Lake.local(lake_dir), generate_raids(1, seed=5, start=START, config=CONFIG))

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    started = time.monotonic()
    with pytest.raises(LakeWriteError, match=r"^disk full writing .*/silver/wow_raid_events/v1/"):
        medallion(lake=str(lake_dir), backend="pandas")
    assert time.monotonic() - started < 10  # not retried after 2 s, then 10 s
    assert not [p for p in (lake_dir / "silver").rglob("*") if p.is_file()]  # nothing, no .tmp
    monkeypatch.undo()  # space freed: the same command completes the work
    assert medallion(lake=str(lake_dir), backend="pandas")["gold"]["raids_built"] == ["raid001"]
