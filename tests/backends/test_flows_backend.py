"""The flows' code path records the backend: flow results, silver data-quality rows, artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .medallion import land_generated, land_random_raids


@pytest.fixture
def lake_root(tmp_path):
    land_random_raids(tmp_path, n_raids=1)
    return tmp_path


def test_pandas_run_records_the_backend(prefect_harness, lake_root, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))  # the flows/ package
    from prefect.client.orchestration import get_client

    from flows.bronze_to_silver import bronze_to_silver
    from flows.silver_to_gold import silver_to_gold

    silver_run = bronze_to_silver(lake=str(lake_root), backend="pandas", return_state=True)
    gold_run = silver_to_gold(lake=str(lake_root), backend="pandas", return_state=True)
    silver, gold = silver_run.result(), gold_run.result()
    assert silver["backend"] == "pandas" and gold["backend"] == "pandas"
    assert silver["rows_quarantined"] == 2

    import asyncio

    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    async def artifacts(key: str, flow_run_id):
        """This run's artifacts only: other flow tests share the Prefect server and keys."""
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=[key]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
                )
            )

    quality = asyncio.run(artifacts("silver-data-quality", silver_run.state_details.flow_run_id))
    assert len(quality) == 1 and "backend: pandas" in (quality[0].description or "")
    assert {"metric": "backend", "value": "pandas"} in json.loads(quality[0].data)
    outcomes = asyncio.run(artifacts("gold-raid-outcomes", gold_run.state_details.flow_run_id))
    assert len(outcomes) == 1 and "backend: pandas" in (outcomes[0].description or "")


def test_flows_follow_raidlib_backend_unless_told_otherwise(
    prefect_harness, lake_root, monkeypatch
):
    """No ``backend`` parameter: the environment decides (a deployment's worker, a .env)."""
    from raidlib.backend import BackendUnavailableError, _probe_cudf

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    from flows.medallion import medallion

    if _probe_cudf()[0] is None:  # without a usable GPU, forcing cuDF must fail clearly
        monkeypatch.setenv("RAIDLIB_BACKEND", "cudf")
        with pytest.raises(BackendUnavailableError, match="RAIDLIB_BACKEND=pandas"):
            medallion(lake=str(lake_root))
    monkeypatch.setenv("RAIDLIB_BACKEND", "pandas")
    result = medallion(lake=str(lake_root))
    assert result["silver"]["backend"] == "pandas" and result["gold"]["backend"] == "pandas"


def test_data_quality_table_counts_batches_the_gpu_reader_handed_over():
    """A cuDF run says how many bronze batches its JSON reader passed to pyarrow; pandas runs
    (which read everything with pyarrow anyway) show no such row."""
    from raidlib.silver.report import SilverRunReport, combine_reports
    from raidlib.tasks.silver import data_quality_rows

    metric = "batches the GPU JSON reader handed to pyarrow"
    gpu = combine_reports(
        [
            SilverRunReport(batches=["a", "b"], backend="cudf", read_by_pyarrow=["b"]),
            SilverRunReport(batches=["c"], backend="cudf", read_by_pyarrow=["c"]),
        ]
    )
    rows = {row["metric"]: row["value"] for row in data_quality_rows(gpu)}
    assert rows[metric] == 2 and rows["bronze batches processed"] == 3
    cpu = data_quality_rows(SilverRunReport(batches=["a"], backend="pandas"))
    assert metric not in {row["metric"] for row in cpu}


FALLBACK_LOGGERS = ("raidlib.lake", "raidlib.gpu_memory", "raidlib.silver", "raidlib.tasks")


def _land_second_night(root: Path) -> None:
    """Two more raids (new raid ids, on the 8th and the 9th) landed on the 10th, each by its
    own client: two independent batch groups, which cuDF's silver flow reads in one task."""
    from datetime import UTC, datetime

    from raidlib.generator import generate_raids
    from raidlib.lake import Lake

    frame = generate_raids(2, seed=11, start=datetime(2026, 3, 8, 20, tzinfo=UTC), raid_prefix="b")
    for number, (_, raid) in enumerate(frame.groupby("raid_id", sort=True)):
        land_generated(
            Lake.local(root),
            raid,
            first_batch=20_000 + 1_000 * number,
            ingest_timestamp=datetime(2026, 3, 10, 8, tzinfo=UTC),
        )


def test_cudf_flows_write_the_gold_pandas_writes(
    gpu_backend, prefect_harness, tmp_path, monkeypatch, caplog
):
    """The Prefect task path on cuDF (per-raid gold written to the lake, dim_player rebuilt
    from the lake's facts, then a second night merged in) leaves the lake pandas leaves."""
    import logging

    from raidlib.backend import resolve_backend
    from raidlib.gold.compare import assert_frames_equivalent
    from raidlib.gold.schema import GOLD_SCHEMAS
    from raidlib.lake import Lake
    from raidlib.lake.gold_store import read_gold_table

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    from flows.medallion import medallion

    caplog.set_level(logging.WARNING, logger="raidlib")
    runs, lakes, warned = {}, {}, {}
    for name in ("pandas", gpu_backend.name):
        root = tmp_path / name
        seen = len(caplog.records)
        land_random_raids(root, n_raids=2)
        first = medallion(lake=str(root), backend=name)
        _land_second_night(root)
        runs[name] = (first, medallion(lake=str(root), backend=name))
        lakes[name] = Lake.local(root)
        warned[name] = [
            r.getMessage().replace(str(root), "<lake>")
            for r in caplog.records[seen:]
            if r.name.startswith(FALLBACK_LOGGERS)
        ]
    # No GPU reader or memory fallback on the way: cuDF warns only what pandas warns (the
    # hand-written object with a broken line, read line by line).
    assert warned[gpu_backend.name] == warned["pandas"], caplog.text
    for first, second in [runs[gpu_backend.name]]:
        assert first["gold"]["backend"] == second["gold"]["backend"] == gpu_backend.name
        assert len(second["gold"]["raids_built"]) == 2
    host = resolve_backend("pandas")
    for name, table in GOLD_SCHEMAS.items():
        got = read_gold_table(lakes[gpu_backend.name], name, host)
        want = read_gold_table(lakes["pandas"], name, host)
        assert len(want), name
        assert_frames_equivalent(got, want, list(table.keys), rtol=1e-9)


def test_library_log_lines_reach_the_flow_runs_log(prefect_harness, lake_root, monkeypatch):
    """raidlib's own warnings (here: the hand-written bronze object with a broken line, read
    line by line) show in the Prefect UI's log of the task that hit them, as GPU fallbacks do;
    the backend choice is left to the flow's own line."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    import raidlib.backend

    monkeypatch.setattr(raidlib.backend, "_logged", set())  # as in a fresh process
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    from flows.bronze_to_silver import bronze_to_silver

    state = bronze_to_silver(lake=str(lake_root), backend="pandas", return_state=True)
    APILogHandler().flush()  # logs are sent in batches, in the background

    async def messages() -> list[tuple[str, bool]]:
        async with get_client() as client:
            logs = await client.read_logs(
                log_filter=LogFilter(
                    flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])
                )
            )
        return [(log.message, log.task_run_id is not None) for log in logs]

    logged = asyncio.run(messages())
    found = [m for m in logged if "reading line by line" in m[0]]
    assert found and all(in_task for _, in_task in found), found
    # The flow logs the backend itself: the library's own choice line would repeat it.
    assert not [m for m, _ in logged if m.startswith("dataframe backend")]
