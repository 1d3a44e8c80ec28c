"""The Prefect UI as a person sees it: the medallion run's page, rendered by headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from raidlib.stack import Stack

from .browser import Browser, find_or_install_chromium
from .conftest import TEST_OUTPUT, MedallionRun, StepTimes, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="session")
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


def test_flow_run_page_shows_completed_run_and_its_artifacts(
    stack: Stack,
    medallion_run: MedallionRun,
    prefect_client: Any,
    browser: Browser,
    step_times: StepTimes,
    tmp_path: Path,
) -> None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    flow_run = prefect_client.read_flow_run(medallion_run.flow_run_id)
    artifacts = prefect_client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
    )
    keys = sorted({a.key for a in artifacts if a.key})
    assert keys, "the medallion run made no keyed artifacts"

    with step_times.measure("ui_render_and_check"):
        browser.navigate(f"{stack.ui_url}/runs/flow-run/{flow_run.id}")
        text = browser.wait_for_text(flow_run.name, "Completed", "medallion", "Artifacts")
        # The Artifacts tab is only offered once the run is known to be finished, so it is
        # clicked rather than asked for with ?tab=Artifacts (which falls back to Logs).
        assert browser.click_text("Artifacts"), f"no Artifacts tab on the page:\n{text[:2000]}"
        browser.wait_for_text(*keys)
        shot = browser.screenshot(tmp_path / "flow-run-artifacts.png")

    TEST_OUTPUT.mkdir(exist_ok=True)
    shutil.copy(shot, TEST_OUTPUT / "flow-run-artifacts.png")
    assert shot.stat().st_size > 10_000  # a real picture, not a blank page
