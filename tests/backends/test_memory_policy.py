"""The 4 GB policy, decided on a CPU with a fake device-memory probe."""

from __future__ import annotations

import logging

import pytest

from raidlib.backend import Backend, resolve_backend
from raidlib.gold.pipeline import gold_group_bytes
from raidlib.gpu_device import PeakDeviceMemory
from raidlib.gpu_memory import (
    MemoryPolicy,
    estimate_gold_bytes,
    is_gpu_oom,
    plan_step,
    run_with_fallback,
    split_to_fit,
)
from raidlib.lake import layout
from raidlib.lake.bronze_batches import BronzeBatch
from raidlib.lake.gold_store import fingerprint_bytes
from raidlib.silver.pipeline import estimate_batch_bytes

GiB = 2**30
LAPTOP = lambda: (int(3.6 * GiB), 4 * GiB)  # noqa: E731 — RTX 3050 laptop with a desktop open


def test_a_step_that_fits_runs_on_the_gpu():
    plan = plan_step("gold raid001", 1 * GiB, probe=LAPTOP)
    assert plan.use_gpu
    assert plan.budget_bytes == int(3.6 * GiB * 0.6)
    assert "1,024 MiB" in plan.reason


def test_a_step_bigger_than_free_memory_goes_to_pandas_with_a_reason():
    plan = plan_step("gold raid001", 3 * GiB, probe=LAPTOP)
    assert not plan.use_gpu
    assert "using pandas" in plan.reason and "3,686 MiB free of 4,096 MiB" in plan.reason


def test_unknown_free_memory_still_tries_the_gpu():
    assert plan_step("silver", 100 * GiB, probe=lambda: None).use_gpu


def test_usable_fraction_is_a_knob():
    policy = MemoryPolicy(usable_fraction=0.9)
    assert plan_step("x", 3 * GiB, probe=LAPTOP, policy=policy).use_gpu


def test_batches_are_cut_into_consecutive_chunks_that_fit():
    assert split_to_fit([4, 4, 4, 1], budget=9) == [([0, 1], True), ([2, 3], True)]
    assert split_to_fit([], budget=9) == []


def test_a_batch_too_big_alone_is_its_own_pandas_chunk():
    assert split_to_fit([2, 20, 2, 2], budget=5) == [([0], True), ([1], False), ([2, 3], True)]


def test_bronze_batch_estimate_uses_the_manifest_size_else_its_count():
    policy = MemoryPolicy(bytes_per_bronze_event=700, bytes_per_bronze_byte=4)
    sized = BronzeBatch("b", ("x",), events=10_000, json_bytes=9_800_000)
    assert estimate_batch_bytes(None, sized, policy) == 9_800_000 * 4
    counted = BronzeBatch("b", ("x",), events=10_000)
    assert estimate_batch_bytes(None, counted, policy) == 10_000 * 700 * 4
    # 4 GB laptop, manifest without sizes: ~0.58 M events per GPU chunk with the defaults.
    per_chunk = MemoryPolicy().budget(int(3.6 * GiB)) / estimate_batch_bytes(
        None, BronzeBatch("b", (), events=1), MemoryPolicy()
    )
    assert 500_000 < per_chunk < 1_000_000


def test_bronze_batch_estimate_without_manifest_facts_asks_the_store(lake, factory):
    factory.write_batch(lake, [factory.make_event(i) for i in range(3)], batch_id="b1")
    path = lake.path("bronze", layout.bronze_batch_key("raid001", "2026-11-23", "b1"))
    policy = MemoryPolicy(bytes_per_bronze_byte=4)
    unknown = BronzeBatch("b1", (path,))
    assert estimate_batch_bytes(lake, unknown, policy) == lake.fs("bronze").size(path) * 4


@pytest.mark.parametrize(
    ("exc", "oom"),
    [
        (MemoryError("std::bad_alloc: out_of_memory: CUDA error"), True),
        (RuntimeError("CUDA error at: rmm: cudaErrorMemoryAllocation out of memory"), True),
        (OSError("cudaErrorMemoryAllocation: failed to allocate 4096 bytes"), True),
        (RuntimeError("cudf: column types differ"), False),
        (ValueError("out of memory"), False),
    ],
)
def test_out_of_memory_is_recognised(exc, oom):
    assert is_gpu_oom(exc) is oom


def _fake_gpu() -> Backend:
    pandas = resolve_backend("pandas")
    return Backend("cudf", pandas.xdf, "fake GPU backend for tests")


def test_gpu_oom_reruns_on_pandas_with_a_warning(caplog):
    calls = []

    def step(backend: Backend) -> str:
        calls.append(backend.name)
        if backend.is_gpu:
            raise MemoryError("out_of_memory")
        return "done"

    with caplog.at_level(logging.WARNING, logger="raidlib.gpu_memory"):
        result, used = run_with_fallback(
            "gold raid001", step, _fake_gpu(), lambda: resolve_backend("pandas")
        )
    assert (result, used.name, calls) == ("done", "pandas", ["cudf", "pandas"])
    assert "gold raid001 ran out of GPU memory" in caplog.text and "pandas" in caplog.text


def test_other_errors_are_not_swallowed():
    def step(backend: Backend) -> None:
        raise RuntimeError("a real bug")

    with pytest.raises(RuntimeError, match="a real bug"):
        run_with_fallback("silver", step, _fake_gpu(), lambda: resolve_backend("pandas"))


def test_pandas_steps_run_once():
    calls = []
    result, used = run_with_fallback(
        "silver", lambda b: calls.append(b.name) or 1, resolve_backend("pandas"), lambda: None
    )
    assert (result, used.name, calls) == (1, "pandas", ["pandas"])


def test_peak_memory_is_none_without_rmm():
    with PeakDeviceMemory() as peak:
        pass
    try:
        import rmm  # noqa: F401
    except ImportError:
        assert peak.peak_bytes is None


def test_gold_estimate_reads_sizes_from_the_silver_fingerprint():
    fingerprint = {"a/part-0.parquet": "1000:1712.5", "b/part-0.parquet": "500:etag"}
    assert fingerprint_bytes(fingerprint) == 1_500
    policy = MemoryPolicy(bytes_per_silver_parquet_byte=10)
    assert estimate_gold_bytes(fingerprint_bytes(fingerprint), policy) == 15_000


def test_gold_groups_are_as_big_as_one_gpu_build_holds_unless_set():
    pandas, gpu = resolve_backend("pandas"), _fake_gpu()
    mib = 2**20

    def big_card() -> tuple[int, int]:
        return 100_000 * mib, 140_000 * mib

    def size(setting: float | None, backend: Backend, **kwargs) -> float:
        return gold_group_bytes(setting, backend, **{"one_at_a_time": True, **kwargs})

    # 0.6 of the free memory, at 25 device bytes per silver byte
    assert size(None, gpu, probe=big_card) == pytest.approx(2_400 * mib)
    assert size(None, pandas, probe=big_card) == 8 * mib
    assert size(None, gpu, probe=lambda: None) == 8 * mib  # free memory unknown
    assert size(None, gpu, probe=lambda: (100 * mib, 4_096 * mib)) == 8 * mib
    # on a cluster the raids spread over the workers' GPUs
    assert size(None, gpu, probe=big_card, one_at_a_time=False) == 8 * mib
    assert size(0, gpu, probe=big_card) == 0  # one raid per task, as set
    assert size(16, gpu, probe=big_card) == 16 * mib
