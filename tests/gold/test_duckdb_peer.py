"""The benchmark's DuckDB SQL is an independent oracle: it must agree with the builders."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from raidlib.gold import GOLD_SCHEMAS, build_gold
from raidlib.gold.compare import assert_frames_equivalent

duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_gold.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_gold", _BENCH)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_duckdb_sql_and_builders_agree_on_synthetic_raids() -> None:
    bench = _load_bench()
    silver = bench.make_silver(n_raids=6, events_per_raid=3_000, seed=11)
    gold = build_gold(silver).as_dict()
    con = duckdb.connect()
    con.register("silver", pa.Table.from_pandas(silver, preserve_index=False))
    duck = bench.duckdb_gold(con)
    # The SQL peer covers the raid-level tables; the per-pull tables reuse the same builders.
    assert set(duck) == {"dim_player", "dim_raid", "fact_raid_summary", "fact_player_raid_stats"}
    for name in duck:
        assert_frames_equivalent(duck[name], gold[name], GOLD_SCHEMAS[name].keys)
    outcomes = set(gold["fact_raid_summary"]["raid_outcome"])
    assert outcomes == {"success", "wipe"}
