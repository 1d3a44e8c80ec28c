"""Backend selection on a CPU machine: pandas forced, auto falls back with a reason, forced cuDF
fails with a message that says what to do, and the choice is logged once."""

from __future__ import annotations

import logging
import sys
import types

import pandas as pd
import pytest

from raidlib import backend as backend_module
from raidlib.backend import BackendUnavailableError, _probe_cudf, resolve_backend


@pytest.fixture
def no_cudf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend cuDF is absent, whatever this machine has."""
    monkeypatch.setattr(
        backend_module,
        "_probe_cudf",
        lambda: (None, "cudf is not importable (ModuleNotFoundError: No module named 'cudf')"),
    )


@pytest.fixture
def fake_cudf_without_gpu(monkeypatch: pytest.MonkeyPatch):
    """A ``cudf`` module that imports but fails on the first GPU call, as on a CPU-only box."""

    class CudaRuntimeError(RuntimeError):
        pass

    def series(*args, **kwargs):
        raise CudaRuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = types.ModuleType("cudf")
    fake.Series = series
    fake.__version__ = "26.10.0"
    monkeypatch.setitem(sys.modules, "cudf", fake)
    _probe_cudf.cache_clear()
    yield
    _probe_cudf.cache_clear()


def test_pandas_forced():
    chosen = resolve_backend("pandas")
    assert chosen.name == "pandas" and chosen.xdf is pd and not chosen.is_gpu
    assert chosen.reason == "requested pandas"


def test_auto_without_cudf_is_pandas_with_the_reason(no_cudf):
    chosen = resolve_backend("auto")
    assert chosen.name == "pandas"
    assert "cudf is not importable" in chosen.reason and "using pandas" in chosen.reason


def test_forced_cudf_without_cudf_says_why_and_what_to_do(no_cudf):
    with pytest.raises(BackendUnavailableError) as info:
        resolve_backend("cudf")
    message = str(info.value)
    assert "cudf is not importable" in message
    assert "gpu-cu12" in message and "gpu-cu13" in message
    assert "RAIDLIB_BACKEND=pandas" in message and "--backend pandas" in message


def test_cudf_that_imports_without_a_gpu_is_not_chosen(fake_cudf_without_gpu):
    module, why_not = _probe_cudf()
    assert module is None
    assert "no usable GPU" in why_not and "CudaRuntimeError" in why_not
    assert resolve_backend("auto").name == "pandas"
    with pytest.raises(BackendUnavailableError, match="no usable GPU"):
        resolve_backend("CUDF")


def test_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError, match="auto, cudf, pandas"):
        resolve_backend("polars")


def test_choice_is_logged_once_per_process(no_cudf, caplog, monkeypatch):
    monkeypatch.setattr(backend_module, "_logged", set())
    with caplog.at_level(logging.INFO, logger="raidlib.backend"):
        for _ in range(3):
            resolve_backend("auto")
            resolve_backend("pandas")
    lines = [r.getMessage() for r in caplog.records if r.name == "raidlib.backend"]
    assert len(lines) == 2, lines
    assert any("cudf is not importable" in line for line in lines)


def test_this_machine_auto_matches_the_probe():
    module, why_not = _probe_cudf()
    chosen = resolve_backend("auto")
    assert chosen.name == ("cudf" if module is not None else "pandas")
    if module is None:
        assert why_not in chosen.reason
