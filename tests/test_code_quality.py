"""The code stays ruff-clean and type-checks: CI fails on a lint, format or type error.

``raidlib`` ships ``py.typed``, so its hints are part of what users get; a wrong one misleads
their own type checker. The tools are in the ``dev`` extra (pinned to a minor release); where
one is missing (a GPU machine with only the runtime packages) its check is skipped.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINTED = ["."]  # every Python file of the checkout (ruff skips .venv and git-ignored paths)


def _run_tool(module: str, *args: str, timeout_s: float = 240) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def test_ruff_finds_no_lint_errors() -> None:
    done = _run_tool("ruff", "check", "--no-cache", *LINTED)

    assert done.returncode == 0, f"`ruff check` found problems:\n{done.stdout}{done.stderr}"


def test_code_is_ruff_formatted() -> None:
    done = _run_tool("ruff", "format", "--check", "--no-cache", *LINTED)

    assert done.returncode == 0, (
        f"files need `ruff format` (run it on them):\n{done.stdout}{done.stderr}"
    )


def test_library_and_flows_type_check(tmp_path: Path) -> None:
    # Files come from [tool.mypy] in pyproject.toml (raidlib, flows).
    done = _run_tool("mypy", "--cache-dir", str(tmp_path / "mypy-cache"))

    assert done.returncode == 0, f"mypy found type errors:\n{done.stdout}{done.stderr}"
