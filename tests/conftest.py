"""Suite-wide fixtures.

``PREFECT_HOME`` points at a throw-away folder before anything imports Prefect, so persisted
results and the ephemeral API database never leak between sessions or into the user's home.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_PREFECT_HOME = tempfile.mkdtemp(prefix="raidlib-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
# Servers and flow runs the tests start are stopped by then; the folder must not pile up in /tmp.
atexit.register(shutil.rmtree, _PREFECT_HOME, ignore_errors=True)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# ... which raidlib's own loggers would follow: the tests read their INFO lines.
logging.getLogger("raidlib").setLevel(logging.INFO)
# Settings read RAIDLIB_* and .env: a developer's own configuration must not steer the tests
# (nor the servers and flows they start, which inherit this environment).
for _name in [n for n in os.environ if n.startswith("RAIDLIB_")]:
    del os.environ[_name]
os.environ["RAIDLIB_ENV_FILE"] = ""
# A slot left busy by a broken test must fail that test in minutes, not hang the suite.
os.environ["RAIDLIB_SLOT_WAIT_S"] = "120"

_RUN_STARTED = time.time()
# Written by the e2e session (tests/e2e/conftest.py) when it stops the stack.
E2E_TIMINGS_FILE = Path(__file__).resolve().parents[1] / "test-output" / "e2e-timings.json"

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the e2e step wall times at the end of a run that started the stack.

    Read from the file rather than from the fixture, because under pytest-xdist the stack runs
    in a worker whose fixtures this (controller) process never sees.
    """
    path = E2E_TIMINGS_FILE
    if not path.is_file() or path.stat().st_mtime < _RUN_STARTED:
        return
    times = json.loads(path.read_text(encoding="utf-8"))
    terminalreporter.write_sep("-", "raidlib e2e timings")
    terminalreporter.write_line(f"e2e wall times (s), also in {path}:")
    for name, seconds in times.items():
        terminalreporter.write_line(f"  {name:28s} {seconds:7.2f}")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness (temporary SQLite API) shared by every flow test."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def dated_events_stay_young() -> Iterator[None]:
    """For modules whose events carry fixed 2026 dates but land with the real ingest time:
    silver's age limit (five years before the ingest time) would quarantine them all once the
    suite runs in 2031. A test about that limit unsets the variable itself."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAIDLIB_MAX_EVENT_AGE_DAYS", "36525")
        yield


@pytest.fixture
def lake_dir(tmp_path: Path) -> Path:
    """An empty local lake folder (bronze/, silver/, gold/ are created on first write)."""
    path = tmp_path / "lake"
    path.mkdir()
    return path


def cudf_or_skip():
    """The cuDF backend, or skip the test with the probe's reason (visible with ``-rs``)."""
    from raidlib.backend import _probe_cudf, resolve_backend

    module, why_not = _probe_cudf()
    if module is None:
        pytest.skip(f"cuDF not available: {why_not}")
    return resolve_backend("cudf")


@pytest.fixture(params=["pandas", pytest.param("cudf", marks=pytest.mark.gpu)])
def any_backend(request: pytest.FixtureRequest):
    """Each test using this runs on pandas, and on cuDF when it is usable (skipped otherwise)."""
    from raidlib.backend import resolve_backend

    if request.param == "cudf":
        return cudf_or_skip()
    return resolve_backend("pandas")


@pytest.fixture
def gpu_backend():
    return cudf_or_skip()


BRONZE_FACTORY_MODULE = "raidlib_tests_bronze_factory"


def _load_bronze_factory():
    """``tests/lake/bronze_factory.py`` as one module for every test folder that writes bronze.

    Registered in ``sys.modules`` under :data:`BRONZE_FACTORY_MODULE`, so a test module can
    take it at import time with ``bronze = sys.modules[BRONZE_FACTORY_MODULE]`` (this root
    conftest is always imported before any test module).
    """
    if BRONZE_FACTORY_MODULE not in sys.modules:
        path = Path(__file__).resolve().parent / "lake" / "bronze_factory.py"
        spec = importlib.util.spec_from_file_location(BRONZE_FACTORY_MODULE, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[BRONZE_FACTORY_MODULE] = module
        spec.loader.exec_module(module)
    return sys.modules[BRONZE_FACTORY_MODULE]


_load_bronze_factory()


@pytest.fixture
def lake(tmp_path: Path):
    """A local lake under ``tmp_path`` (the layers are created on first write)."""
    from raidlib.lake import Lake

    return Lake.local(tmp_path / "lake")


@pytest.fixture
def backend():
    """The pandas backend (tests that run on every backend use ``any_backend``)."""
    from raidlib.backend import resolve_backend

    return resolve_backend("pandas")


@pytest.fixture
def factory():
    """The bronze factory module: valid events and hand-written bronze batches."""
    return sys.modules[BRONZE_FACTORY_MODULE]
