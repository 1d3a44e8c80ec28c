"""``gpu_memory_limit_mib``: a cap on the GPU memory a process allocates, which the memory
policy plans against (checked with a stand-in for RMM here, and with RMM on a GPU)."""

from __future__ import annotations

import sys
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from raidlib import backend as backend_module
from raidlib import gpu_device
from raidlib.backend import backend_for, resolve_backend
from raidlib.gpu_device import device_memory, limit_device_memory
from raidlib.gpu_memory import is_gpu_oom, plan_step
from raidlib.settings import Settings

MiB = 2**20


class CardResource:
    """The bottom of RMM's chain: plain device allocations."""


class LimitingAdaptor:
    """``rmm.mr.LimitingResourceAdaptor`` as far as raidlib uses it."""

    def __init__(self, upstream: Any, allocation_limit: int) -> None:
        self.upstream = upstream
        self.limit = allocation_limit
        self.allocated = 0

    def get_upstream(self) -> Any:
        return self.upstream

    def get_allocation_limit(self) -> int:
        return self.limit

    def get_allocated_bytes(self) -> int:
        return self.allocated


class StatisticsAdaptor:
    def __init__(self, upstream: Any) -> None:
        self.upstream = upstream

    def get_upstream(self) -> Any:
        return self.upstream


@pytest.fixture
def rmm(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """An 8 GiB card with 6 GiB free, behind a stand-in ``rmm`` module."""
    card = SimpleNamespace(current=CardResource(), free=6 * 2**30, total=8 * 2**30)
    mr = ModuleType("rmm.mr")
    mr.LimitingResourceAdaptor = LimitingAdaptor  # type: ignore[attr-defined]
    mr.get_current_device_resource = lambda: card.current  # type: ignore[attr-defined]
    mr.set_current_device_resource = lambda r: setattr(card, "current", r)  # type: ignore[attr-defined]
    mr.available_device_memory = lambda: (card.free, card.total)  # type: ignore[attr-defined]
    package = ModuleType("rmm")
    package.mr = mr  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rmm", package)
    monkeypatch.setitem(sys.modules, "rmm.mr", mr)
    monkeypatch.setattr(gpu_device, "_installed_cap", None)
    card.bottom = card.current
    return card


def test_without_a_cap_the_card_s_free_memory_counts(rmm):
    assert device_memory() == (6 * 2**30, 8 * 2**30)


def test_a_cap_bounds_what_the_policy_plans_against(rmm):
    limit_device_memory(3500)
    rmm.current.allocated = 1000 * MiB  # cuDF holds some already
    assert device_memory() == (2500 * MiB, 3500 * MiB)
    plan = plan_step("silver", 2000 * MiB)
    assert not plan.use_gpu
    assert "1,500 MiB of GPU memory is usable (2,500 MiB free of 3,500 MiB)" in plan.reason


def test_the_card_s_free_memory_still_counts_when_it_is_below_the_cap(rmm):
    limit_device_memory(7000)
    assert device_memory() == (6 * 2**30, 7000 * MiB)


def test_setting_the_cap_again_keeps_one_adaptor_and_none_takes_it_away(rmm):
    limit_device_memory(3500)
    first = rmm.current
    limit_device_memory(3500)  # every task resolves its backend: no second adaptor
    assert rmm.current is first
    limit_device_memory(2000)  # replaced, not stacked
    assert rmm.current.get_upstream() is rmm.bottom
    assert rmm.current.get_allocation_limit() == 2000 * MiB
    limit_device_memory(None)
    assert rmm.current is rmm.bottom
    assert device_memory() == (6 * 2**30, 8 * 2**30)


def test_the_cap_is_found_under_a_statistics_adaptor(rmm):
    limit_device_memory(3500)
    rmm.current = StatisticsAdaptor(rmm.current)  # what PeakDeviceMemory pushes
    assert device_memory()[1] == 3500 * MiB
    limit_device_memory(3500)
    assert isinstance(rmm.current, StatisticsAdaptor)


def test_a_cudf_backend_applies_the_settings_cap_and_says_so(rmm, monkeypatch):
    fake_cudf = SimpleNamespace(__version__="26.10.02")
    monkeypatch.setattr(backend_module, "_probe_cudf", lambda: (fake_cudf, ""))
    monkeypatch.setenv("RAIDLIB_GPU_MEMORY_LIMIT_MIB", "3500")
    chosen = backend_for(Settings(_env_file=None, backend="auto"))
    assert chosen.name == "cudf"
    assert chosen.reason == "auto: cuDF 26.10.02 on a GPU, capped at 3,500 MiB"
    assert device_memory()[1] == 3500 * MiB


def test_pandas_ignores_the_cap(rmm):
    chosen = resolve_backend("pandas", gpu_memory_limit_mib=100)
    assert chosen.name == "pandas"
    assert rmm.current is rmm.bottom


@pytest.mark.parametrize(("value", "expected"), [("3500", 3500.0), ("", None), ("  ", None)])
def test_the_setting_reads_mib_and_empty_means_no_cap(monkeypatch, value, expected):
    monkeypatch.setenv("RAIDLIB_GPU_MEMORY_LIMIT_MIB", value)
    assert Settings(_env_file=None).gpu_memory_limit_mib == expected


def test_a_cap_of_zero_is_refused_naming_the_setting(monkeypatch):
    monkeypatch.setenv("RAIDLIB_GPU_MEMORY_LIMIT_MIB", "0")
    with pytest.raises(ValidationError, match="gpu_memory_limit_mib"):
        Settings(_env_file=None)


def test_on_a_gpu_an_allocation_past_the_cap_is_out_of_memory(gpu_backend):
    cudf = gpu_backend.xdf
    try:
        limit_device_memory(64)
        free, total = device_memory() or (0, 0)
        assert total == 64 * MiB
        assert free <= 64 * MiB
        with pytest.raises(Exception) as caught:
            cudf.Series(range(16 * MiB), dtype="int64")  # 128 MiB
        assert is_gpu_oom(caught.value)
    finally:
        limit_device_memory(None)
    assert device_memory()[1] > 64 * MiB


def test_the_installed_rmm_has_the_adaptor_calls_the_stand_in_mimics():
    """Where RMM imports (no GPU needed), the stand-in above must match its real API."""
    mr = pytest.importorskip("rmm.mr", reason="RMM is not installed (comes with cuDF)")
    for name in ("get_current_device_resource", "set_current_device_resource"):
        assert callable(getattr(mr, name))
    assert callable(mr.available_device_memory)
    for method in ("get_upstream", "get_allocation_limit", "get_allocated_bytes"):
        assert callable(getattr(mr.LimitingResourceAdaptor, method))
    assert callable(mr.StatisticsResourceAdaptor.get_upstream)
