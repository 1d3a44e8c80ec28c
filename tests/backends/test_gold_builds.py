"""Gold built for a group of raids in one go writes exactly what one build per raid writes,
on every backend, and on a GPU too small for the group it builds in GPU-sized chunks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from raidlib.backend import resolve_backend
from raidlib.gold.compare import assert_frames_equivalent
from raidlib.gold.pipeline import PER_RAID_TABLES, build_gold_for_raids, group_raids
from raidlib.gpu_memory import DEFAULT_POLICY
from raidlib.lake import Lake
from raidlib.lake.gold_store import (
    fingerprint_bytes,
    read_gold_table,
    read_silver_for_raids,
    silver_fingerprint,
    silver_raid_ids,
)
from raidlib.lake.state import find_unprocessed_batches
from raidlib.silver.pipeline import process_batches

from .medallion import land_random_raids

PANDAS = resolve_backend("pandas")


def test_raids_are_grouped_in_order_up_to_the_silver_size():
    sizes = {"r1": 3, "r2": 4, "r3": 2, "r4": 9, "r5": 1}
    assert group_raids(sizes, 9) == [["r1", "r2", "r3"], ["r4"], ["r5"]]
    assert group_raids(sizes, 100) == [["r1", "r2", "r3", "r4", "r5"]]
    assert group_raids(sizes, 5) == [["r1"], ["r2"], ["r3"], ["r4"], ["r5"]]  # r4 alone
    assert group_raids(sizes, 0) == [[r] for r in sizes]  # RAIDLIB_GOLD_TASK_SILVER_MIB=0
    assert group_raids({}, 9) == []


@pytest.fixture(scope="module")
def silver_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three random raids through silver (pandas), no gold yet."""
    root = tmp_path_factory.mktemp("silver")
    lake = land_random_raids(root, n_raids=3).lake
    process_batches(lake, PANDAS, find_unprocessed_batches(lake))
    return root


def _copy(silver_lake: Path, tmp_path: Path, name: str) -> Lake:
    shutil.copytree(silver_lake, tmp_path / name)
    return Lake.local(tmp_path / name)


def _assert_same_gold(lake: Lake, reference: Lake) -> None:
    from raidlib.gold.schema import GOLD_SCHEMAS

    for name in PER_RAID_TABLES:
        keys = list(GOLD_SCHEMAS[name].keys)
        got, want = read_gold_table(lake, name, PANDAS), read_gold_table(reference, name, PANDAS)
        assert len(want) > 0, name
        assert_frames_equivalent(got, want, keys, rtol=1e-9)


def test_one_build_for_all_raids_equals_one_build_per_raid(silver_lake, tmp_path, any_backend):
    one_each, together = _copy(silver_lake, tmp_path, "each"), _copy(silver_lake, tmp_path, "all")
    raids = silver_raid_ids(one_each)
    assert len(raids) == 3
    for raid in raids:
        build_gold_for_raids(one_each, PANDAS, [raid])

    built = build_gold_for_raids(together, any_backend, raids)

    assert built.backends == [any_backend.name]
    assert built.fingerprints == {r: silver_fingerprint(together, r) for r in raids}
    assert sorted(built.summary["raid_id"]) == raids
    assert built.silver_rows == len(read_silver_for_raids(together, raids, PANDAS))
    _assert_same_gold(together, one_each)


def test_no_raids_build_nothing(silver_lake, tmp_path):
    lake = _copy(silver_lake, tmp_path, "none")
    built = build_gold_for_raids(lake, PANDAS, [])
    assert (built.fingerprints, built.paths, built.silver_rows, built.backends) == ({}, [], 0, [])
    assert not (tmp_path / "none" / "gold").exists()


@pytest.mark.gpu
def test_a_group_too_big_for_the_gpu_is_built_in_chunks(silver_lake, tmp_path, gpu_backend, caplog):
    """Free GPU memory for about one raid's gold: the group is built raid by raid, on the GPU,
    and the lake ends as one pandas build leaves it."""
    reference, lake = _copy(silver_lake, tmp_path, "pandas"), _copy(silver_lake, tmp_path, "gpu")
    raids = silver_raid_ids(lake)
    build_gold_for_raids(reference, PANDAS, raids)
    policy = DEFAULT_POLICY
    largest = max(fingerprint_bytes(silver_fingerprint(lake, r)) for r in raids)
    one_raid = largest * policy.bytes_per_silver_parquet_byte
    small_card = (int(one_raid * 1.5 / policy.usable_fraction), 4 * 2**30)

    with caplog.at_level("INFO", logger="raidlib.gold.pipeline"):
        built = build_gold_for_raids(lake, gpu_backend, raids, probe=lambda: small_card)

    assert built.backends == ["cudf"]
    assert any("GPU-sized chunks" in r.getMessage() for r in caplog.records)
    _assert_same_gold(lake, reference)


def test_read_gold_returns_a_table_with_rows_missing_a_count_as_read_and_says_so(
    silver_lake: Path, tmp_path: Path
) -> None:
    """A gold file written before a column existed (or damaged) made ``read_gold`` fail on the
    whole table ("cannot convert NA to integer") once it cast counts to int64."""
    import pyarrow.parquet as pq

    from raidlib.read import read_gold

    root = tmp_path / "lake"
    shutil.copytree(silver_lake, root)
    lake = Lake.local(root)
    build_gold_for_raids(lake, PANDAS, ["raid001", "raid002", "raid003"])
    assert read_gold("fact_raid_summary", root)["n_tanks"].dtype == "int64"

    older = next((root / "gold" / "fact_raid_summary" / "raid_id=raid002").rglob("*.parquet"))
    pq.write_table(pq.read_table(older).drop_columns(["n_tanks"]), older)
    with pytest.warns(UserWarning, match="fact_raid_summary: n_tanks missing in some rows"):
        summary = read_gold("fact_raid_summary", root)
    assert summary["n_tanks"].isna().tolist() == [False, True, False]
    assert list(summary["raid_id"]) == ["raid001", "raid002", "raid003"]
