"""Shared fixtures: a local lake in ``tmp_path`` and the bronze factory."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from raidlib.backend import resolve_backend
from raidlib.lake import Lake


def _load_factory():
    name = "raidlib_tests_bronze_factory"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "lake" / "bronze_factory.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


bronze = _load_factory()


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.local(tmp_path / "lake")


@pytest.fixture
def backend():
    return resolve_backend("pandas")


@pytest.fixture
def factory():
    return bronze
