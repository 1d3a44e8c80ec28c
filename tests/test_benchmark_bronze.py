"""The benchmarks' synthetic bronze is what they claim to measure: receiver-shaped batches,
events spread evenly over the raids, and 2 % of them posted again."""

from __future__ import annotations

import sys
from pathlib import Path

from raidlib.backend import resolve_backend
from raidlib.lake import Lake
from raidlib.lake.bronze_batches import list_landed_batches
from raidlib.silver.pipeline import process_new_bronze

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_silver import BATCH, SynthBronze, write_bronze  # noqa: E402


def test_synthetic_bronze_has_the_promised_shape(tmp_path):
    bronze = SynthBronze(2 * BATCH + 500, raids=3)
    lake = Lake.local(tmp_path)
    lines = write_bronze(lake, bronze, workers=1)
    reposted = 2 * BATCH // 50 + 500 // 50
    assert lines == bronze.n + reposted
    assert len(list_landed_batches(lake)) == bronze.batches == 4  # three originals, one re-post
    assert bronze.batch(1).equals(bronze.batch(1))  # a batch is the same however often drawn
    report = process_new_bronze(lake, resolve_backend("pandas"))
    assert report.duplicates_removed == reposted  # every re-post is an exact duplicate
    assert report.rows_added + report.rows_quarantined == bronze.n
    raids = bronze.original(0)["raid_id"].tolist() + bronze.original(2)["raid_id"].tolist()
    assert raids[0] == "raid000" and raids[-1] == "raid002" and raids == sorted(raids)
