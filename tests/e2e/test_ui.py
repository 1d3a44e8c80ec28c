"""The Prefect UI as a person sees it: the medallion run's page, rendered by headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from raidlib.stack import Stack

from .browser import Browser, find_or_install_chromium
from .conftest import (
    TEST_OUTPUT,
    MedallionRun,
    StepTimes,
    artifacts_of,
    free_port,
    run_with_subflows,
)

# One stack for all e2e tests: under pytest-xdist they all run on the same worker.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="package")
def chromium(step_times: StepTimes) -> str:
    """Path to Chromium; installs Debian's package when missing (root only), else skips."""
    with step_times.measure("chromium_find_or_install"):
        binary, why = find_or_install_chromium()
    if binary is None:
        pytest.skip(why)
    return binary


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[Browser]:
    browser = Browser(chromium, tmp_path / "profile", free_port(), tmp_path / "chromium.log")
    try:
        yield browser
    finally:
        browser.close()


def test_flow_run_pages_show_completed_runs_and_their_artifacts(
    stack: Stack,
    medallion_run: MedallionRun,
    prefect_client: Any,
    browser: Browser,
    step_times: StepTimes,
    tmp_path: Path,
) -> None:
    runs = run_with_subflows(prefect_client, medallion_run.flow_run_id)
    parent, subflows = runs[0], runs[1:]
    TEST_OUTPUT.mkdir(exist_ok=True)
    shots: list[Path] = []

    with step_times.measure("ui_render_and_check"):
        # The medallion run: Completed, with its two subflow runs listed.
        browser.navigate(f"{stack.ui_url}/runs/flow-run/{parent.id}")
        browser.wait_for_text(parent.name, "Completed", "medallion", "Subflow Runs")
        assert browser.click_text("Subflow Runs")
        browser.wait_for_text(*(run.name for run in subflows))
        shots.append(browser.screenshot(tmp_path / "medallion-run.png"))

        # Each subflow run lists its artifacts (data quality in silver, gold summary in gold).
        for run in subflows:
            keys = sorted({a.key for a in artifacts_of(prefect_client, [run]) if a.key})
            assert keys, f"subflow run {run.name} made no keyed artifacts"
            browser.navigate(f"{stack.ui_url}/runs/flow-run/{run.id}")
            text = browser.wait_for_text(run.name, "Completed", "Artifacts")
            # The Artifacts tab is only offered once the run is known to be finished, so it is
            # clicked rather than asked for with ?tab=Artifacts (which falls back to Logs).
            assert browser.click_text("Artifacts"), f"no Artifacts tab:\n{text[:2000]}"
            browser.wait_for_text(*keys)
            flow_name = prefect_client.read_flow(run.flow_id).name
            shots.append(browser.screenshot(tmp_path / f"{flow_name}-artifacts.png"))

    for shot in shots:
        assert shot.stat().st_size > 10_000  # a real picture, not a blank page
        shutil.copy(shot, TEST_OUTPUT / shot.name)
