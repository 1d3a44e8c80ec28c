"""The flows' code path records the backend: flow results, silver data-quality rows, artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from .medallion import land_random_raids


@pytest.fixture
def lake_root(tmp_path):
    land_random_raids(tmp_path, n_raids=1)
    return tmp_path


def test_pandas_run_records_the_backend(prefect_harness, lake_root, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))  # the flows/ package
    from prefect.client.orchestration import get_client

    from flows.bronze_to_silver import bronze_to_silver
    from flows.silver_to_gold import silver_to_gold

    silver = bronze_to_silver(lake=str(lake_root), backend="pandas")
    gold = silver_to_gold(lake=str(lake_root), backend="pandas")
    assert silver["backend"] == "pandas" and gold["backend"] == "pandas"
    assert silver["rows_quarantined"] == 2

    import asyncio

    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def artifacts(key: str):
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )

    quality = asyncio.run(artifacts("silver-data-quality"))
    assert quality and "backend: pandas" in (quality[0].description or "")
    assert '"backend"' in str(quality[0].data) and '"pandas"' in str(quality[0].data)
    outcomes = asyncio.run(artifacts("gold-raid-outcomes"))
    assert outcomes and "backend: pandas" in (outcomes[0].description or "")


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
    from raidlib.silver.pipeline import SilverRunReport, combine_reports
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
