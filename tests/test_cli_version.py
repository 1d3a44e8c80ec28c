"""``raidlib --version``: what a bug report needs, on one line."""

from __future__ import annotations

from importlib import metadata

import pandas as pd
import pyarrow as pa
import pytest

from raidlib.cli import main


def test_version_names_raidlib_and_the_engines_it_runs_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--version"]) == 0

    line = capsys.readouterr().out.strip()
    assert "\n" not in line
    assert line.startswith(f"raidlib {metadata.version('raidlib')} (Python ")
    assert f"pandas {pd.__version__}" in line and f"pyarrow {pa.__version__}" in line
    assert f"prefect {metadata.version('prefect')}" in line
    assert "cudf" in line  # its version, or "cudf not installed"


def test_version_names_cudf_installed_by_conda(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """environment.yml's rapidsai package is named ``cudf``, without the wheels' CUDA suffix."""
    real_version = metadata.version

    def version(name: str) -> str:
        if name == "cudf":
            return "26.10.2"
        if name.startswith("cudf-"):
            raise metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(metadata, "version", version)
    assert main(["--version"]) == 0
    line = capsys.readouterr().out
    assert "cudf 26.10.2" in line and "not installed" not in line
