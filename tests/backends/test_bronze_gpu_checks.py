"""The GPU bronze reader's acceptance checks, run on pandas with a frame shaped like the one
``cudf.read_json(dtype=str)`` returns (every scalar as its JSON text)."""

from __future__ import annotations

import io
import json
import uuid

import pandas as pd
import pyarrow as pa
import pytest

from raidlib.backend import resolve_backend
from raidlib.gold.compare import assert_frames_equivalent
from raidlib.lake import Lake, bronze_gpu, bronze_gpu_text
from raidlib.lake.bronze_batches import BronzeBatch, list_landed_batches
from raidlib.lake.bronze_gpu import group_by_size, read_group_bytes
from raidlib.lake.bronze_gpu_checks import (
    NotExact,
    fill_lineage,
    finish_raw_frame,
)
from raidlib.lake.bronze_gpu_text import line_count, line_pieces, scan_bytes
from raidlib.lake.bronze_reader import (
    BRONZE_LINE_SCHEMA,
    _read_object,
    read_bronze,
)
from raidlib.lake.frames import table_to_frame

from .medallion import write_unlabelled_batches
from .posing import posing_as_cudf

PANDAS = resolve_backend("pandas")
BATCH = BronzeBatch("b-1", ("x",), ingest_timestamp="2026-03-04T08:00:00.000000Z")

LINES = [
    {
        "event_id": "00000000-0000-4000-8000-000000000001",
        "event_type": "combat_damage",
        "timestamp": "2026-03-02T00:10:00.5Z",
        "raid_id": "raid001",
        "source_player_id": "p1",
        "source_player_name": "One",
        "source_player_level": 80,
        "damage_amount": 12345.25,
        "is_critical_hit": True,
        "data_quality_flags": ["late"],
        "batch_id": "b-1",
        "ingest_timestamp": "2026-03-04T08:00:00.000001Z",
    },
    {
        "event_id": "00000000-0000-4000-8000-000000000002",
        "event_type": "heal",
        "timestamp": "2026-03-02T00:10:01+00:00",
        "raid_id": "raid001",
        "source_player_id": "p2",
        "source_player_name": "Two",
        "healing_amount": 1e3,
        "is_critical_hit": False,
        "server_latency_ms": 0,
    },
]


def _as_read_json_would(lines: list[dict]) -> pd.DataFrame:
    """Scalars as their JSON text (strings unquoted), lists kept, absent keys absent."""
    rows = []
    for line in lines:
        row = {}
        for key, value in line.items():
            if isinstance(value, list) or value is None or isinstance(value, str):
                row[key] = value
            else:
                row[key] = json.dumps(value)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in frame.columns:
        if name != "data_quality_flags":
            frame[name] = frame[name].astype("str")
    return frame


def _pyarrow_read(lines: list[dict]) -> pd.DataFrame:
    data = ("\n".join(json.dumps(line) for line in lines) + "\n").encode()
    table, rejected = _read_object(data, BATCH, "raid_id=raid001/x.jsonl")
    assert len(rejected) == 0
    return table_to_frame(table, PANDAS)


def test_accepted_frame_equals_the_pyarrow_read():
    text = "".join(json.dumps(line) + "\n" for line in LINES).encode()
    got = fill_lineage(
        finish_raw_frame(_as_read_json_would(LINES), 2, PANDAS), [BATCH], [[text]], PANDAS
    )
    want = _pyarrow_read(LINES)
    assert list(got.columns) == BRONZE_LINE_SCHEMA.names
    compare = [c for c in want.columns if c != "data_quality_flags"]
    assert_frames_equivalent(got[compare], want[compare], keys=["event_id"])
    assert list(got["data_quality_flags"].iloc[0]) == ["late"]
    assert got["batch_id"].tolist() == ["b-1", "b-1"]  # filled from the manifest
    assert str(got["timestamp"].dtype) == "datetime64[us]"
    assert got["ingest_timestamp"].iloc[0] == pd.Timestamp("2026-03-04T08:00:00.000001")
    assert got["timestamp"].iloc[0] == pd.Timestamp("2026-03-02T00:10:00.500000")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"timestamp": "2026-03-02T01:10:00+01:00"}, "timestamp"),
        ({"timestamp": "2026-03-02 00:10:00"}, "timestamp"),
        ({"timestamp": "2026-03-02T00:10:00.1234567Z"}, "timestamp"),
        ({"damage_amount": "lots"}, "damage_amount"),
        ({"source_player_level": 80.5}, "source_player_level"),
        ({"is_critical_hit": "yes"}, "is_critical_hit"),
        ({"surprise": "key"}, "unknown keys"),
        ({"timestamp": "2026-02-30T00:10:00Z"}, "timestamp"),  # no such day
        ({"source_player_name": '{"nested": 1}'}, "source_player_name"),  # an object's text
        ({"raid_id": "[1, 2]"}, "raid_id"),  # an array's text
    ],
)
def test_values_pyarrow_would_reject_or_shift_send_the_batch_to_pyarrow(change, why):
    raw = _as_read_json_would([{**LINES[0], **change}, LINES[1]])
    with pytest.raises(NotExact, match=why):
        finish_raw_frame(raw, 2, PANDAS)


def test_row_count_must_match_line_count():
    with pytest.raises(NotExact, match="rows parsed from 3 lines"):
        finish_raw_frame(_as_read_json_would(LINES), 3, PANDAS)


def test_objects_are_joined_newline_terminated_and_blank_lines_counted():
    data = b"".join(line_pieces([b'{"a":1}', b"   \n", b"", b'{"a":2}\n\n']))
    assert data == b'{"a":1}\n{"a":2}\n\n'
    assert line_count(data) == scan_bytes(data).lines == 3  # a blank line: pyarrow decides


def test_raw_control_characters_are_left_to_pyarrow():
    line = json.dumps(LINES[0]).encode()
    assert not scan_bytes(line + b"\n" + line + b"\n").control
    assert not scan_bytes(json.dumps({"name": "tab\there"}).encode()).control  # escaped
    assert scan_bytes(b'{"name": "tab\there"}\n').control  # a raw tab byte
    assert scan_bytes(b'{"name": "a\x00b"}\n').control
    for data in (b'{"name": "tab\there"}\n', b'{"a": 1}\r\n', line + b"\n"):  # GPU scan agrees
        assert scan_bytes(data, pd) == scan_bytes(data)


# --------------------------------------------------------------------------- grouped GPU reads


def _read_json_as_cudf_would(buffer, **_options):
    """``cudf.read_json(lines=True, dtype=str…)`` on the host: reads the whole ``BytesIO``
    in place as pylibcudf does (``getbuffer``), skips blank lines, raises on a line that is
    not JSON, and gives ``data_quality_flags`` a list dtype."""
    assert isinstance(buffer, io.BytesIO)
    lines = [line for line in bytes(buffer.getbuffer()).split(b"\n") if line.strip()]
    frame = _as_read_json_would([json.loads(line) for line in lines])
    if "data_quality_flags" in frame:
        flags = frame["data_quality_flags"]
        frame["data_quality_flags"] = pd.Series(flags, dtype=pd.ArrowDtype(pa.list_(pa.string())))
    return frame


POSING = posing_as_cudf(
    __name__="pandas",
    to_datetime=pd.to_datetime,
    ListDtype=lambda _: "object",
    read_json=_read_json_as_cudf_would,
)


@pytest.fixture
def four_batches(tmp_path):
    lake = Lake.local(tmp_path)
    write_unlabelled_batches(lake)
    return lake


@pytest.mark.parametrize("group_bytes", [1, 10_000_000], ids=["a-read-per-batch", "one-read"])
def test_grouped_gpu_reads_equal_the_pyarrow_read(four_batches, monkeypatch, group_bytes):
    """However many batches one GPU read takes, the frame, the quarantined lines and each row's
    lineage are pyarrow's; only the batch with the broken line is handed to pyarrow."""
    monkeypatch.setattr(bronze_gpu, "read_group_bytes", lambda _free: group_bytes)
    batches = list_landed_batches(four_batches)
    got, want = (
        read_bronze(four_batches, batches, POSING),
        read_bronze(four_batches, batches, PANDAS),
    )
    assert got.read_by_pyarrow == [str(uuid.UUID(int=3))]
    assert got.lines == want.lines == 12 and len(got.rejected) == len(want.rejected) == 1
    assert_frames_equivalent(got.rejected, want.rejected, ["raw_line"])
    compare = [c for c in want.frame.columns if c != "data_quality_flags"]
    assert_frames_equivalent(got.frame[compare], want.frame[compare], ["event_id"])
    for row in got.frame.itertuples():  # event 10·b + i came in batch b, ingested on day b
        batch = uuid.UUID(row.event_id).int // 10
        assert row.batch_id == str(uuid.UUID(int=batch))
        assert row.ingest_timestamp == pd.Timestamp(f"2026-03-0{batch}T08:00")


@pytest.mark.parametrize("group_bytes", [1, 10_000_000], ids=["a-read-per-batch", "one-read"])
def test_a_batch_with_a_blank_line_reads_alone_and_keeps_its_lineage(
    tmp_path, monkeypatch, group_bytes
):
    """cuDF's reader skips a blank line and pyarrow's too, but rows are matched to batches by
    counting lines: such a batch (here without lineage) is read by pyarrow on its own."""
    monkeypatch.setattr(bronze_gpu, "read_group_bytes", lambda _free: group_bytes)
    lake = Lake.local(tmp_path)
    write_unlabelled_batches(lake, blank_line_in=2)
    batches = list_landed_batches(lake)
    got, want = read_bronze(lake, batches, POSING), read_bronze(lake, batches, PANDAS)
    assert got.read_by_pyarrow == [str(uuid.UUID(int=2)), str(uuid.UUID(int=3))]
    assert got.lines == want.lines and len(got.frame) == len(want.frame) == 11
    for row in got.frame.itertuples():
        batch = uuid.UUID(row.event_id).int // 10
        assert row.batch_id == str(uuid.UUID(int=batch))
        assert row.ingest_timestamp == pd.Timestamp(f"2026-03-0{batch}T08:00")
    assert _flag_lists(got.frame) == _flag_lists(want.frame) == ["['late']"] * 4 + ["null"] * 7


def _flag_lists(frame: pd.DataFrame) -> list[str]:
    """``data_quality_flags`` as sorted text, whatever list type the frame holds."""
    return sorted(
        "null" if pd.api.types.is_scalar(v) else str(list(v)) for v in frame["data_quality_flags"]
    )


def test_rows_are_not_matched_to_batches_by_count_past_a_blank_line():
    """Even when the totals agree (a skipped blank line offset by a line read twice, which no
    reader should do), lineage is not filled across batches whose text has a blank line."""
    frame = finish_raw_frame(_as_read_json_would([{**LINES[0], "batch_id": None}]), 1, PANDAS)
    other = BronzeBatch("b-2", ("y",), ingest_timestamp=BATCH.ingest_timestamp)
    with pytest.raises(NotExact, match="blank lines"):
        fill_lineage(frame, [BATCH, other], [[b"\n"], [b"{}\n"]], PANDAS)


def test_gpu_reads_grow_with_the_free_device_memory():
    mib, gib = 1 << 20, 1 << 30
    assert read_group_bytes(int(3.5 * gib)) == 56 * mib  # a 4 GB laptop card
    assert read_group_bytes(32 * gib) == 512 * mib
    assert read_group_bytes(139 * gib) == 1 * gib  # an H200: capped
    assert read_group_bytes(200 * mib) == 16 * mib  # a crowded card: the floor
    assert read_group_bytes(None) == 64 * mib


def test_batches_are_grouped_in_order_up_to_the_byte_limit():
    def groups(sizes):
        return list(group_by_size(sizes, lambda size: size, 6))

    assert groups([3, 3, 3, 10, 1]) == [[3, 3], [3], [10], [1]]
    assert groups([]) == []


def test_a_group_is_handed_over_before_later_batches_have_come():
    def sizes():
        yield 4
        yield 4
        raise AssertionError("the first group should have been read before this batch came")

    assert next(group_by_size(sizes(), lambda size: size, 6)) == [4]


def test_the_read_buffer_holds_exactly_the_last_text_even_while_an_old_view_lives():
    buffer = bronze_gpu_text.ReadBuffer()
    assert buffer.fill([b'{"a":1}\n', b'{"a":2}\n']).getvalue() == b'{"a":1}\n{"a":2}\n'
    assert bytes(buffer.fill([b"{}\n"]).getbuffer()) == b"{}\n"  # shorter: no old tail
    view = buffer.fill([b"[1]\n"]).getbuffer()  # as an error's traceback might keep one
    text = buffer.fill([b"[2]\n", b"[3]\n"])
    assert text.tell() == 0 and text.getvalue() == b"[2]\n[3]\n"
    assert bytes(view) == b"[1]\n"  # the old view still reads what it saw


def test_reads_are_staged_in_host_memory_where_cudf_is_only_posed():
    stage = bronze_gpu_text.text_stage(POSING)
    assert isinstance(stage, bronze_gpu_text.ReadBuffer)
    text, scan = stage.stage([b'{"a":1}\n', b'{"a":"\x01"}\n'], None)
    assert text.getvalue() == b'{"a":1}\n{"a":"\x01"}\n'
    assert (scan.lines, scan.control) == (2, True)


def test_on_a_gpu_reads_are_staged_in_device_memory_and_read_in_place(gpu_backend):
    stage = bronze_gpu_text.text_stage(gpu_backend)
    assert isinstance(stage, bronze_gpu_text.DeviceText)  # the one-time check passed on this cuDF
    text, scan = stage.stage([b'{"a":"1"}\n', b"\n", b'{"a":"\x01"}\n'], gpu_backend.xdf)
    assert (text.size, scan.lines, scan.control) == (21, 3, True)
    text, scan = stage.stage([b'{"a":"one"}\n', b'{"a":"2"}\n{"a":null}\n'], gpu_backend.xdf)
    assert (scan.lines, scan.control) == (3, False)
    frame = gpu_backend.xdf.read_json(text, **bronze_gpu_text.READ_OPTIONS, dtype={"a": "str"})
    assert frame["a"].to_arrow().to_pylist() == ["one", "2", None]


def test_text_that_is_not_utf8_is_left_to_pyarrow(tmp_path, monkeypatch):
    """cuDF's reader does not check UTF-8 (nor does pyarrow's: raidlib does, then quarantines
    the line); a batch with such bytes is read by pyarrow, the others stay on the GPU."""

    def read_json_leniently(buffer, **options):  # as cuDF: bad bytes pass through
        text = bytes(buffer.getbuffer()).decode("utf-8", "replace").encode()
        return _read_json_as_cudf_would(io.BytesIO(text), **options)

    lenient = posing_as_cudf(
        __name__="pandas",
        to_datetime=pd.to_datetime,
        ListDtype=lambda _: "object",
        read_json=read_json_leniently,
    )
    lake = Lake.local(tmp_path)
    write_unlabelled_batches(lake)
    second = next(tmp_path.rglob(f"batch={uuid.UUID(int=2)}.jsonl"))
    second.write_bytes(second.read_bytes().replace(b'"Hand"', '"Zoë"'.encode("cp1252"), 1))
    assert scan_bytes(second.read_bytes()).non_ascii
    assert scan_bytes(second.read_bytes(), pd) == scan_bytes(second.read_bytes())
    batches = list_landed_batches(lake)

    got, want = read_bronze(lake, batches, lenient), read_bronze(lake, batches, PANDAS)

    assert got.read_by_pyarrow == [str(uuid.UUID(int=2)), str(uuid.UUID(int=3))]
    assert len(got.rejected) == len(want.rejected) == 2
    assert sorted(got.rejected["quarantine_reason"])[1] == "unparseable_line: not UTF-8"
    compare = [c for c in want.frame.columns if c != "data_quality_flags"]
    assert_frames_equivalent(got.frame[compare], want.frame[compare], ["event_id"])
