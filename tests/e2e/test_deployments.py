"""prefect.yaml deployed on a real local stack; one medallion run, checked via API and on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pandas as pd
import pytest

from raidlib.prefect_setup import LIMIT_NAMES, WORK_POOL_NAME, setup_prefect
from raidlib.stack import Stack

from .conftest import MedallionRun, artifacts_of, run_with_subflows
from .raids import EXPECTED_SUMMARY, first_event_date

# One stack for all e2e tests: under pytest-xdist they all run on the same worker.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

FLOWS = ("ingest", "bronze_to_silver", "silver_to_gold", "medallion", "import_combat_log")
SET_WORKING_DIRECTORY = "prefect.deployments.steps.set_working_directory"


def test_the_e2e_tests_share_one_worker(request: pytest.FixtureRequest) -> None:
    """Under ``-n N --dist loadgroup`` every e2e test must run on one worker, or each worker
    starts its own stack (minutes of CI on 2 CPUs). pytest-xdist marks grouped tests by a
    ``@group`` suffix on their node id; some pytest releases silently drop it (xdist#1386)."""
    if os.environ.get("PYTEST_XDIST_WORKER") and request.config.getoption("loadgroup", False):
        assert request.node.nodeid.endswith("@e2e"), (
            "pytest-xdist did not group the e2e tests: check the pytest cap in pyproject.toml"
        )


def test_setup_created_pool_and_limit_and_is_idempotent(stack: Stack, prefect_client: Any) -> None:
    pool = prefect_client.read_work_pool(WORK_POOL_NAME)
    assert pool.type == "process"
    for name in LIMIT_NAMES:  # dim_player, silver and gold: one run at a time each
        limit = prefect_client.read_global_concurrency_limit_by_name(name)
        assert (limit.limit, limit.active) == (1, True), name

    again = setup_prefect(stack.api_url)
    assert not again.work_pool_created
    assert not again.concurrency_limit_changed


def test_every_flow_is_deployed_on_the_pool(stack: Stack, prefect_client: Any) -> None:
    for name in FLOWS:
        deployment = prefect_client.read_deployment_by_name(f"{name}/{name}")
        assert deployment.work_pool_name == WORK_POOL_NAME, name
        # RAIDLIB_PROJECT_DIR was set for `prefect deploy`, so the checkout is baked in.
        assert deployment.pull_steps == [
            {SET_WORKING_DIRECTORY: {"directory": str(stack.config.project_dir)}}
        ], name

    medallion = prefect_client.read_deployment_by_name("medallion/medallion")
    [schedule] = medallion.schedules
    assert schedule.schedule.interval.total_seconds() == 300
    assert schedule.active


def test_serve_all_will_not_serve_over_the_pool_deployments(stack: Stack) -> None:
    """Serving would keep them on the pool (Prefect 3.9), so their runs would miss the server."""
    done = subprocess.run(
        [sys.executable, "deployments/serve_all.py", "--api-url", stack.api_url],
        cwd=stack.config.project_dir,
        env=stack.child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    for name in FLOWS:
        assert f"{name}/{name} (pool {WORK_POOL_NAME})" in done.stderr, done.stderr
    assert "--replace" in done.stderr


def test_medallion_run_completed_with_artifacts(
    medallion_run: MedallionRun, prefect_client: Any
) -> None:
    assert medallion_run.returncode == 0, medallion_run.output
    runs = run_with_subflows(prefect_client, medallion_run.flow_run_id)
    states = {run.name: run.state.type.value if run.state else None for run in runs}
    assert all(state == "COMPLETED" for state in states.values()), states
    subflows = {prefect_client.read_flow(run.flow_id).name for run in runs[1:]}
    assert subflows == {"bronze_to_silver", "silver_to_gold"}

    artifacts = artifacts_of(prefect_client, runs)
    keys = {a.key for a in artifacts if a.key}
    assert any("quality" in k for k in keys), f"no data-quality artifact among {keys}"
    assert "table" in {a.type for a in artifacts}
    # The gold summary's raid-outcome table names each raid with its hand-computed outcome.
    [outcomes] = [a for a in artifacts if a.key == "gold-raid-outcomes"] or [None]
    assert outcomes is not None, f"no gold summary (gold-raid-outcomes) among {keys}"
    table = str(outcomes.data)
    for raid, expected in EXPECTED_SUMMARY.items():
        assert raid in table and expected["raid_outcome"] in table, table


def test_gold_summary_on_disk_has_hand_computed_values(
    medallion_run: MedallionRun, lake_root: Any
) -> None:
    assert medallion_run.returncode == 0, medallion_run.output
    table = lake_root / "gold" / "fact_raid_summary"
    for raid, expected in EXPECTED_SUMMARY.items():
        partition = (
            table / f"raid_id={raid}" / f"event_date={first_event_date(medallion_run.events, raid)}"
        )
        files = sorted(partition.glob("*.parquet"))
        assert files, f"no Parquet under {partition}"
        frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        assert len(frame) == 1, f"{raid}: {len(frame)} rows in {partition}"
        row = frame.iloc[0].to_dict()
        assert row["raid_outcome"] == expected["raid_outcome"], raid
        numbers = {k: v for k, v in expected.items() if k != "raid_outcome"}
        assert {k: float(row[k]) for k in numbers} == pytest.approx(numbers), raid

    # Each raid's player stats and dim_raid exist too.
    for raid in EXPECTED_SUMMARY:
        assert list(
            (lake_root / "gold" / "fact_player_raid_stats" / f"raid_id={raid}").rglob("*.parquet")
        )
        assert list((lake_root / "gold" / "dim_raid" / f"raid_id={raid}").rglob("*.parquet"))
    assert list((lake_root / "gold" / "dim_player").rglob("*.parquet"))
