"""What a user gets from the built distributions, not from this editable checkout."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _build(kind: str, out: Path) -> Path:
    """Build with setuptools' own backend, in a child process and without network."""
    code = f"from setuptools import build_meta; print(build_meta.build_{kind}({str(out)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dist")


def test_the_sdist_is_the_whole_project(dist: Path) -> None:
    """Flows, deployments and tests travel with their conftest; the licence travels too."""
    with tarfile.open(_build("sdist", dist)) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for path in (
        "LICENSE",
        "prefect.yaml",
        "flows/medallion.py",
        "deployments/serve_all.py",
        "tests/conftest.py",
        "tests/gold/conftest.py",
        "raidlib/schemas/event.schema.json",
    ):
        assert path in names, path
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_the_wheel_holds_the_package_its_data_and_the_licence(dist: Path) -> None:
    with zipfile.ZipFile(_build("wheel", dist)) as wheel:
        names = set(wheel.namelist())
    assert {"raidlib/py.typed", "raidlib/schemas/event.schema.json", "raidlib/__main__.py"} <= names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert not any(name.startswith(("flows/", "tests/")) for name in names)


def test_python_dash_m_raidlib_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "raidlib", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("raidlib ")
