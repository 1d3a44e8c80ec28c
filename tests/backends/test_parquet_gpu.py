"""Silver Parquet encoded on the GPU reads back exactly as pyarrow's files do."""

from __future__ import annotations

import io
import logging

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from raidlib.backend import resolve_backend
from raidlib.lake import Lake, parquet, parquet_gpu
from raidlib.lake.frames import frame_to_table, strip_utc, table_to_frame
from raidlib.lake.gold_store import silver_raid_ids, silver_raid_partitions
from raidlib.lake.layout import silver_partition
from raidlib.lake.parquet import (
    PART_FILE,
    table_to_parquet_bytes,
    write_partition_files,
)
from raidlib.lake.parquet_gpu import (
    ARROW_SCHEMA_KEY,
    arrow_schema_metadata,
    declared_layout,
    encode_files,
    gpu_encodes,
    sample_table,
)
from raidlib.silver.pipeline import process_new_bronze
from raidlib.silver.schema import QUARANTINE_FILE_SCHEMA, SILVER_FILE_SCHEMA

from .medallion import land_random_raids
from .posing import posing_as_cudf

PANDAS = resolve_backend("pandas")


def test_the_schema_entry_is_the_one_pyarrow_writes():
    written = table_to_parquet_bytes(SILVER_FILE_SCHEMA.empty_table())
    stored = pq.read_metadata(io.BytesIO(written)).metadata[ARROW_SCHEMA_KEY.encode()]
    assert arrow_schema_metadata(SILVER_FILE_SCHEMA)[ARROW_SCHEMA_KEY] == stored.decode()


@pytest.mark.parametrize("schema", [SILVER_FILE_SCHEMA, QUARANTINE_FILE_SCHEMA])
def test_every_lake_column_has_a_gpu_layout(schema):
    assert all(declared_layout(f.type) is not None for f in schema)


@pytest.mark.parametrize(
    ("arrow_type", "layout"),
    [
        (pa.list_(pa.string()), ("LIST", ("STRING",))),
        (pa.timestamp("us", tz="UTC"), ("TIMESTAMP_MICROSECONDS",)),
        (pa.timestamp("ns", tz="UTC"), None),
        (pa.int32(), None),
        (pa.list_(pa.int32()), None),
    ],
)
def test_types_outside_the_lake_schemas_are_left_to_pyarrow(arrow_type, layout):
    assert declared_layout(arrow_type) == layout


def test_the_check_sample_holds_a_null_and_a_value_in_every_column():
    sample = sample_table(SILVER_FILE_SCHEMA)
    assert sample.schema == SILVER_FILE_SCHEMA
    for column in sample.columns:
        assert column.null_count == 1
        assert column.drop_null().to_pylist()  # a value besides the null


def test_pandas_posing_as_cudf_never_encodes_on_the_gpu():
    assert not gpu_encodes(posing_as_cudf(), SILVER_FILE_SCHEMA)


def _written(lake, frame, bounds, backend):
    """``frame`` written as partitions ``p0``, ``p1``, … of ``bounds``; their files' contents."""
    parts = [(f"p{i}", start, stop) for i, (start, stop) in enumerate(bounds)]
    paths = write_partition_files(lake, "silver", frame, SILVER_FILE_SCHEMA, parts, backend)
    return [lake.fs("silver").cat_file(path) for path in paths]


def test_pandas_frames_are_encoded_by_pyarrow_in_their_bounds(tmp_path):
    sample = sample_table(SILVER_FILE_SCHEMA)
    frame = table_to_frame(sample, PANDAS)
    files = _written(Lake.local(tmp_path), frame, [(0, 1), (1, 3)], PANDAS)
    tables = [pq.read_table(io.BytesIO(f)) for f in files]
    assert [t.num_rows for t in tables] == [1, 2]
    assert pa.concat_tables(tables).equals(sample)


def _pyarrow_encoder(frame, file_schema, bounds):
    """Stands in for libcudf in the check: files exactly as pyarrow writes them."""
    table = frame_to_table(frame, file_schema)
    return [table_to_parquet_bytes(table.slice(a, b - a)) for a, b in bounds]


@pytest.fixture
def checked_afresh(monkeypatch):
    """pandas posing as a cuDF module named ``cudf``, and no check remembered."""
    monkeypatch.setattr(parquet_gpu, "_encodes", {})
    return posing_as_cudf(__name__="cudf")


def test_the_check_accepts_files_that_read_back_as_pyarrows(checked_afresh, monkeypatch, caplog):
    monkeypatch.setattr(parquet_gpu, "encode_files", _pyarrow_encoder)
    caplog.set_level(logging.WARNING, logger="raidlib.lake")
    assert gpu_encodes(checked_afresh, SILVER_FILE_SCHEMA)
    assert not caplog.records


def test_the_check_refuses_files_that_lose_the_time_zone(checked_afresh, monkeypatch, caplog):
    def zone_losing_encoder(frame, file_schema, bounds):
        table = strip_utc(frame_to_table(frame, file_schema))
        return [table_to_parquet_bytes(table.slice(a, b - a)) for a, b in bounds]

    monkeypatch.setattr(parquet_gpu, "encode_files", zone_losing_encoder)
    caplog.set_level(logging.WARNING, logger="raidlib.lake")
    assert not gpu_encodes(checked_afresh, SILVER_FILE_SCHEMA)
    assert "encoding with pyarrow instead" in caplog.text
    assert "timestamp[us]" in caplog.text
    assert not gpu_encodes(checked_afresh, SILVER_FILE_SCHEMA)  # remembered: one warning
    assert caplog.text.count("encoding with pyarrow instead") == 1


def test_a_failed_gpu_encoding_is_redone_by_pyarrow(tmp_path, monkeypatch, caplog):
    """Whatever libcudf raises while encoding (out of device memory too), the files still come,
    from the host path, with a warning naming the error."""

    def failing(frame, file_schema, bounds):
        raise MemoryError("std::bad_alloc: out of memory")

    monkeypatch.setattr(parquet, "is_cudf", lambda frame: True)
    monkeypatch.setattr(parquet, "gpu_encodes", lambda backend, schema: True)
    monkeypatch.setattr(parquet, "encode_files", failing)
    caplog.set_level(logging.WARNING, logger="raidlib.lake")
    sample = sample_table(SILVER_FILE_SCHEMA)
    (content,) = _written(Lake.local(tmp_path), table_to_frame(sample, PANDAS), [(0, 3)], PANDAS)
    assert pq.read_table(io.BytesIO(content)).equals(sample)
    assert "GPU Parquet encoding failed (std::bad_alloc: out of memory)" in caplog.text


# --- on a GPU ------------------------------------------------------------------------------


@pytest.fixture
def silver_both_ways(tmp_path, any_backend, caplog):
    """The same raids brought into silver on pandas and on ``any_backend`` (two lakes; on
    pandas the test below checks its own comparison)."""
    caplog.set_level(logging.INFO, logger="raidlib.lake")
    by_pandas = land_random_raids(tmp_path / "pandas").lake
    by_backend = land_random_raids(tmp_path / "backend").lake
    process_new_bronze(by_pandas, PANDAS)
    process_new_bronze(by_backend, any_backend)
    return by_pandas, by_backend


@pytest.mark.gpu
def test_this_cudf_encodes_the_silver_schema_as_pyarrow_does(gpu_backend, caplog):
    caplog.set_level(logging.WARNING, logger="raidlib.lake")
    assert gpu_encodes(gpu_backend, SILVER_FILE_SCHEMA), caplog.text
    assert gpu_encodes(gpu_backend, QUARANTINE_FILE_SCHEMA), caplog.text


def test_silver_files_written_on_the_gpu_read_back_as_pyarrow_files(
    silver_both_ways, any_backend, caplog
):
    backend = any_backend
    by_pandas, by_gpu = silver_both_ways
    setup = [r.getMessage() for r in caplog.get_records("setup")]
    assert not [m for m in setup if "with pyarrow" in m], setup
    partitions = [
        silver_partition(p["raid_id"], p["event_date"])
        for raid in silver_raid_ids(by_pandas)
        for p in silver_raid_partitions(by_pandas, raid)
    ]
    assert partitions
    for partition in partitions:
        relative = f"{partition}/{PART_FILE}"
        got_bytes = by_gpu.fs("silver").cat_file(by_gpu.path("silver", relative))
        want_bytes = by_pandas.fs("silver").cat_file(by_pandas.path("silver", relative))
        got, want = pq.read_table(io.BytesIO(got_bytes)), pq.read_table(io.BytesIO(want_bytes))
        assert got.schema.equals(want.schema, check_metadata=True)
        assert pq.read_schema(io.BytesIO(got_bytes)).equals(
            pq.read_schema(io.BytesIO(want_bytes)), check_metadata=True
        )
        footer = pq.read_metadata(io.BytesIO(got_bytes))
        assert footer.metadata == pq.read_metadata(io.BytesIO(want_bytes)).metadata
        # Written by libcudf on a GPU, not by the pyarrow fallback (which would pass the rest).
        assert footer.created_by.startswith("parquet-cpp-arrow") == (not backend.is_gpu)
        # libcudf leaves a column chunk uncompressed where Snappy would not shrink it (a
        # decision per chunk); pyarrow labels such a chunk SNAPPY anyway.
        codecs = {
            footer.row_group(g).column(c).compression
            for g in range(footer.num_row_groups)
            for c in range(footer.num_columns)
        }
        assert "SNAPPY" in codecs and codecs <= {"SNAPPY", "UNCOMPRESSED"}, codecs
        assert_same_rows(got, want, partition)


def assert_same_rows(got: pa.Table, want: pa.Table, partition: str) -> None:
    """Equal after sorting by event_id: exactly, floats within 1e-9 relative (GPU-parsed floats
    may differ in their last bit, rapidsai/cudf#10599, as in every other GPU comparison)."""
    order = [("event_id", "ascending")]
    got, want = got.sort_by(order), want.sort_by(order)
    floats = [f.name for f in want.schema if pa.types.is_floating(f.type)]
    exact = [name for name in want.column_names if name not in floats]
    assert got.select(exact).equals(want.select(exact)), partition
    for name in floats:
        x, y = got.column(name), want.column(name)
        assert x.is_null().equals(y.is_null()), (partition, name)
        close = np.isclose(
            x.to_numpy(zero_copy_only=False), y.to_numpy(zero_copy_only=False), rtol=1e-9, atol=0
        )
        assert close[y.is_valid().to_numpy(zero_copy_only=False)].all(), (partition, name)


@pytest.mark.gpu
def test_a_column_held_as_another_type_is_cast_by_pyarrow(tmp_path, gpu_backend):
    sample = sample_table(SILVER_FILE_SCHEMA)
    frame = table_to_frame(sample, gpu_backend)
    frame["source_player_level"] = frame["source_player_level"].astype("int32")
    assert encode_files(frame, SILVER_FILE_SCHEMA, [(0, 3)]) is None
    (content,) = _written(Lake.local(tmp_path), frame, [(0, 3)], gpu_backend)
    assert pq.read_table(io.BytesIO(content)).equals(sample)
