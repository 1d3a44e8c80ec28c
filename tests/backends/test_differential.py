"""Same random raids through bronze → silver → gold on every backend; results must agree.

pandas runs everywhere (and checks the fixture itself); the cuDF comparison is skipped with the
probe's reason where cuDF or a GPU is missing.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest

from raidlib.backend import resolve_backend, to_pandas
from raidlib.gold.compare import assert_frames_equivalent
from raidlib.gold.schema import GOLD_SCHEMAS
from raidlib.gpu_memory import DEFAULT_POLICY
from raidlib.lake import Lake
from raidlib.lake.bronze_batches import list_landed_batches
from raidlib.silver.pipeline import estimate_batch_bytes

from .medallion import BROKEN_BATCH, land_random_raids, run_medallion

SILVER_KEYS = ["raid_id", "event_date", "event_id"]
QUARANTINE_KEYS = ["batch_id", "raw_line", "event_id", "quarantine_reason"]


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("landed")
    land_random_raids(root)
    return root


def _lake_copy(landed: Path, tmp_path: Path) -> Lake:
    shutil.copytree(landed / "bronze", tmp_path / "bronze")
    return Lake.local(tmp_path)


def _comparable(frame) -> pd.DataFrame:
    """Host copy with the list column as tuples (sortable, comparable)."""
    out = to_pandas(frame).copy()
    if "data_quality_flags" in out.columns:
        out["data_quality_flags"] = [
            None if v is None or (not hasattr(v, "__len__") and pd.isna(v)) else tuple(v)
            for v in out["data_quality_flags"]
        ]
    return out


def _assert_same_run(result: dict, reference: dict) -> None:
    """A cuDF run agrees with the pandas reference: report counts, silver, quarantine, gold."""
    assert result["report"].backend == "cudf"
    # only the hand-written batch with the broken line leaves the GPU JSON reader
    assert result["report"].read_by_pyarrow == [str(uuid.UUID(int=BROKEN_BATCH))]
    for field in ("rows_in", "rows_added", "duplicates_removed", "rows_quarantined"):
        assert getattr(result["report"], field) == getattr(reference["report"], field), field
    assert result["report"].quarantined_by_reason == reference["report"].quarantined_by_reason
    assert_frames_equivalent(
        _comparable(result["silver"]), _comparable(reference["silver"]), SILVER_KEYS
    )
    assert_frames_equivalent(
        _comparable(result["quarantine"]), _comparable(reference["quarantine"]), QUARANTINE_KEYS
    )
    for name, frame in reference.items():
        if name in GOLD_SCHEMAS:
            keys = list(GOLD_SCHEMAS[name].keys)
            assert_frames_equivalent(result[name], frame, keys, rtol=1e-9)


@pytest.fixture(scope="module")
def reference(landed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    lake = _lake_copy(landed, tmp_path_factory.mktemp("pandas"))
    return run_medallion(lake, resolve_backend("pandas"))


def test_pandas_reference_is_sane(reference):
    report = reference["report"]
    assert report.backend == "pandas"
    assert report.read_by_pyarrow == []  # that list is about the GPU reader only
    assert report.duplicates_removed == 300
    assert report.rows_quarantined == 2  # the broken line and the line with an unknown key
    assert report.rows_in == report.rows_added + report.rows_quarantined + 300
    silver, summary = reference["silver"], reference["fact_raid_summary"]
    damage = silver.loc[
        (silver["event_type"] == "combat_damage") & silver["source_player_role"].notna(),
        "damage_amount",
    ].sum()
    assert summary["total_damage"].sum() == pytest.approx(damage, rel=1e-12)
    reasons = " ".join(reference["quarantine"]["quarantine_reason"].tolist())
    assert "unparseable_line" in reasons


@pytest.mark.gpu
def test_cudf_matches_pandas_on_every_table(landed, reference, tmp_path, gpu_backend):
    result = run_medallion(_lake_copy(landed, tmp_path), gpu_backend)
    _assert_same_run(result, reference)


@pytest.mark.gpu
def test_cudf_in_gpu_sized_chunks_matches_pandas(landed, reference, tmp_path, gpu_backend, caplog):
    """A backlog bigger than the (pretended) free GPU memory runs on the GPU in several chunks,
    each an incremental silver step, and ends exactly where one pandas pass does."""
    lake = _lake_copy(landed, tmp_path)
    policy = DEFAULT_POLICY  # what silver plans with
    batch_bytes = max(estimate_batch_bytes(lake, b, policy) for b in list_landed_batches(lake))
    small_card = (int(batch_bytes * 3 / policy.usable_fraction), 4 * 2**30)  # three batches fit
    with caplog.at_level("INFO", logger="raidlib.silver.pipeline"):
        result = run_medallion(lake, gpu_backend, memory_probe=lambda: small_card)

    chunk_lines = [r.getMessage() for r in caplog.records if "GPU-sized chunks" in r.getMessage()]
    assert chunk_lines and "in 1 GPU-sized" not in chunk_lines[0], chunk_lines
    _assert_same_run(result, reference)
