"""Backend fixtures: pandas always; cuDF only where it imports and a GPU answers.

The cuDF case is skipped with the probe's reason (visible with ``-rs``), e.g.
``cuDF not available: cudf is not importable (ModuleNotFoundError: No module named 'cudf')``.
"""

from __future__ import annotations

import pytest

from raidlib.backend import Backend, resolve_backend

from .medallion import cudf_or_skip


@pytest.fixture(params=["pandas", pytest.param("cudf", marks=pytest.mark.gpu)])
def any_backend(request: pytest.FixtureRequest) -> Backend:
    """Each test using this runs on pandas, and on cuDF when it is usable (skipped otherwise)."""
    if request.param == "cudf":
        return cudf_or_skip()
    return resolve_backend("pandas")


@pytest.fixture
def gpu_backend() -> Backend:
    return cudf_or_skip()
