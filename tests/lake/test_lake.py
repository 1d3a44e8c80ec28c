"""Lake.create_bytes_exclusive on a local folder: first writer wins, whole objects only."""

from __future__ import annotations

import errno
import importlib
import os
import sys
import threading
from pathlib import Path

import pytest

from raidlib.lake import Lake, LakeStorageError, LakeWriteError
from raidlib.settings import Settings


def test_only_the_first_create_writes(tmp_path: Path) -> None:
    lake = Lake.local(tmp_path)

    assert lake.create_bytes_exclusive("bronze", "_batches/b-1.json", b"first") is True
    assert lake.create_bytes_exclusive("bronze", "_batches/b-1.json", b"second") is False

    folder = tmp_path / "bronze" / "_batches"
    assert (folder / "b-1.json").read_bytes() == b"first"
    assert [p.name for p in folder.iterdir()] == ["b-1.json"]  # no temporaries left


def test_concurrent_creates_have_exactly_one_winner(tmp_path: Path) -> None:
    lake = Lake.local(tmp_path)
    results: list[bool] = []
    start = threading.Barrier(8)

    def create(n: int) -> None:
        start.wait(timeout=30)
        results.append(lake.create_bytes_exclusive("gold", "_state/lock.json", f"{n}".encode()))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False] * 7 + [True]
    content = (tmp_path / "gold" / "_state" / "lock.json").read_bytes()
    assert content in {f"{n}".encode() for n in range(8)}


def test_a_quarantined_event_from_year_1_is_filed_under_a_four_digit_year() -> None:
    import pandas as pd

    from raidlib.lake.quarantine import placement

    rows = pd.DataFrame(
        {
            "raid_id": ["raid001", "raid001"],
            "timestamp": [pd.Timestamp("0001-01-01"), pd.Timestamp("2026-11-02")],
            "ingest_timestamp": [pd.Timestamp("2026-11-02", tz="UTC")] * 2,
        }
    )
    assert placement(rows)["q_date"].tolist() == ["0001-01-01", "2026-11-02"]


def _dead_temporary(path: Path) -> None:
    """A hidden temporary two hours old, as a killed writer leaves it."""
    import os
    import time

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"{")
    os.utime(path, (time.time() - 7200, time.time() - 7200))


def _recorded_sweeps(monkeypatch) -> list[str]:
    """The folders swept from now on (the sweep still runs)."""
    from raidlib.lake import lake as lake_module

    swept: list[str] = []
    sweep = lake_module._remove_stale_temporaries
    monkeypatch.setattr(
        lake_module, "_remove_stale_temporaries", lambda f: (swept.append(f), sweep(f))
    )
    return swept


def test_many_writes_land_whole_in_order_and_sweep_each_folder_once(
    tmp_path: Path, monkeypatch
) -> None:
    import os

    lake = Lake.local(str(tmp_path))
    folder = tmp_path / "silver" / "_state"
    _dead_temporary(folder / ".tmp-dead-x.json")
    swept = _recorded_sweeps(monkeypatch)
    items = [(f"_state/{i}.json", str(i).encode()) for i in range(40)] + [("other/a.json", b"a")]
    paths = lake.write_many_atomic("silver", items)
    assert paths == [lake.path("silver", rel) for rel, _ in items]
    assert all(Path(p).read_bytes() == data for p, (_, data) in zip(paths, items, strict=True))
    assert sorted(os.listdir(folder)) == sorted(f"{i}.json" for i in range(40))  # dead swept
    assert sorted(swept) == sorted({str(folder), str(tmp_path / "silver" / "other")})


def test_an_s3_root_without_s3fs_names_the_extra_to_install(monkeypatch) -> None:
    """Quick start's environment has no s3 extra: say so, not fsspec's bare ImportError."""
    monkeypatch.setitem(sys.modules, "s3fs", None)  # import s3fs → ImportError
    known = importlib.import_module("fsspec.registry")._registry  # protocols fsspec imported
    monkeypatch.delitem(known, "s3", raising=False)
    lake = Lake.from_settings(Settings(_env_file=None, bronze_root="s3://bronze"))
    with pytest.raises(LakeStorageError) as failed:
        lake.check_storage(("bronze",))
    message = str(failed.value)
    assert message.startswith("bronze root s3://bronze (RAIDLIB_BRONZE_ROOT")
    assert (
        "s3fs is not installed: install the s3 extra (in a checkout: .venv/bin/pip install -e "
        "'.[s3]'; elsewhere: pip install 's3fs>=2024.6')" in message
    )


def test_url_of_gives_paths_as_a_person_pastes_them(tmp_path: Path) -> None:
    """Logs and artifacts show written files as URLs: s3://bucket/key on S3, paths locally."""
    s3 = Lake.from_settings(Settings(_env_file=None, gold_root="s3://gold/lake"))
    assert s3.url_of("gold", "gold/lake/dim_player/part-0.parquet") == (
        "s3://gold/lake/dim_player/part-0.parquet"
    )
    assert s3.url_of("gold", "s3://gold/x") == "s3://gold/x"  # already a URL
    local = Lake.local(tmp_path)
    path = local.path("gold", "dim_player/part-0.parquet")
    assert local.url_of("gold", path) == path == local.url("gold", "dim_player/part-0.parquet")


def test_a_write_removes_what_a_killed_writer_left_in_its_folder_once_in_a_while(
    tmp_path: Path, monkeypatch
) -> None:
    """A receiver killed mid-write leaves a hidden temporary in bronze; the next one removes it."""
    import os

    from raidlib.lake import lake as lake_module

    monkeypatch.setattr(lake_module, "_last_sweep", {})
    lake = Lake.local(str(tmp_path))
    folder = tmp_path / "bronze" / "_batches"
    _dead_temporary(folder / ".tmp-dead-b-0.json")
    live = folder / ".tmp-live-b-9.json"  # another writer's, still being written
    live.write_bytes(b"{")
    swept = _recorded_sweeps(monkeypatch)

    for n in range(5):
        assert lake.create_bytes_exclusive("bronze", f"_batches/b-{n}.json", b"{}") is True

    assert sorted(os.listdir(folder)) == [live.name, *(f"b-{n}.json" for n in range(5))]
    assert swept == [str(folder)]  # once, not on every write


def test_a_windows_root_is_spelled_with_forward_slashes_as_fsspec_lists_it(monkeypatch) -> None:
    """On Windows ``C:\\x\\lake\\silver`` never prefixed the ``C:/x/lake/silver/…`` paths fsspec
    lists, so every partition listing came back empty and each silver run overwrote a raid's
    earlier rows (found by emulating Windows path spelling on Linux)."""
    import ntpath
    import pathlib

    from raidlib.lake import lake as lake_module

    monkeypatch.setattr(lake_module.os.path, "abspath", ntpath.abspath)
    monkeypatch.setattr(lake_module, "PurePath", pathlib.PureWindowsPath)
    lake = Lake.local("C:\\x\\lake")

    assert lake.root("silver") == "C:/x/lake/silver"
    assert lake.path("silver", "wow_raid_events/v1") == "C:/x/lake/silver/wow_raid_events/v1"


def test_on_windows_a_file_held_open_briefly_is_replaced_and_one_held_on_is_named(
    tmp_path: Path, monkeypatch
) -> None:
    """Windows refuses to replace a file another program has open (an antivirus scan, DuckDB
    on a gold file): a brief hold is waited out, a lasting one named with what to do."""
    import os

    from raidlib.lake import lake as lake_module

    real_replace = os.replace
    refusals = iter([True, True])

    def replace_as_windows(src: str, dst: str) -> None:
        if next(refusals, False):
            raise PermissionError(13, "Access is denied")
        real_replace(src, dst)

    monkeypatch.setattr(lake_module, "_WINDOWS", True)
    monkeypatch.setattr(lake_module.time, "sleep", lambda _s: None)
    monkeypatch.setattr(lake_module.os, "replace", replace_as_windows)
    lake = Lake.local(str(tmp_path))
    path = lake.write_bytes_atomic("gold", "dim_player/part-0.parquet", b"new")
    assert Path(path).read_bytes() == b"new"

    refusals = iter([True] * 10)
    with pytest.raises(PermissionError, match="another program holds it open"):
        lake.write_bytes_atomic("gold", "dim_player/part-0.parquet", b"newer")
    assert Path(path).read_bytes() == b"new"
    assert os.listdir(Path(path).parent) == ["part-0.parquet"]  # no temporary left


def test_a_temporary_never_matches_the_globs_external_readers_use(tmp_path: Path) -> None:
    """DuckDB's and polars' ``**/*.parquet`` do not skip hidden files: a killed writer's
    ``.tmp-…-part-0.parquet`` was read as data (a raid's damage doubled in the lake audit)."""
    import fnmatch

    from raidlib.lake import lake as lake_module

    for final in ("part-0.parquet", "batch=b-1.jsonl", "b-1.json"):
        tmp = lake_module._durable_temporary(str(tmp_path / final), b"x")
        name = Path(tmp).name
        assert name.startswith(".tmp-")  # hidden, and swept by its prefix when stale
        assert not fnmatch.fnmatch(name, f"*{Path(final).suffix}"), name


def test_a_storage_error_never_shows_credentials_written_into_the_endpoint_url() -> None:
    """``RAIDLIB_S3_ENDPOINT_URL=http://key:secret@host:9000`` was echoed whole in every
    storage error (security audit)."""
    from raidlib.lake.preflight import _endpoint

    lake = Lake(
        bronze_root="s3://bronze",
        silver_root="s3://silver",
        gold_root="s3://gold",
        storage_options={"client_kwargs": {"endpoint_url": "http://key:s3cret@127.0.0.1:9"}},
    )
    assert _endpoint(lake, None) == "http://…@127.0.0.1:9"


def _fail_with(code: int):  # noqa: ANN202
    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


WRITES = {
    "write_bytes_atomic": lambda lake, rel: lake.write_bytes_atomic("silver", rel, b"new"),
    "write_many_atomic": lambda lake, rel: lake.write_many_atomic("silver", [(rel, b"new")]),
    "create_bytes_exclusive": lambda lake, rel: lake.create_bytes_exclusive("silver", rel, b"new"),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_full_disk_names_the_file_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write
) -> None:
    """A bare "[Errno 28] No space left on device" named no file. (A real full disk needs
    root to mount one: the write's fsync fails as a full disk's does.)"""
    lake = Lake.local(tmp_path)
    rel = "wow_raid_events/v1/raid_id=raid001/event_date=2026-11-23/part-0.parquet"
    monkeypatch.setattr(os, "fsync", _fail_with(errno.ENOSPC))
    with pytest.raises(LakeWriteError) as failed:
        write(lake, rel)
    assert failed.value.errno == errno.ENOSPC and isinstance(failed.value, OSError)
    assert str(failed.value) == (
        f"disk full writing {tmp_path / 'silver' / rel}: free space and run the same command "
        "again (nothing is half-written)"
    )
    assert not [p for p in (tmp_path / "silver").rglob("*") if p.is_file()]  # no temporary


def test_a_read_only_lake_names_its_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(A read-only mount needs root, and root writes through a chmod: the folder's creation
    fails as on a read-only file system.)"""
    lake = Lake.local(tmp_path)
    monkeypatch.setattr(os, "makedirs", _fail_with(errno.EROFS))
    with pytest.raises(LakeWriteError) as failed:
        lake.write_bytes_atomic("gold", "dim_player/part-0.parquet", b"new")
    assert str(failed.value) == (
        f"cannot write {tmp_path / 'gold'}: read-only file system; make it writable and run "
        "the same command again (nothing is half-written)"
    )


def test_other_write_failures_stay_as_they_were(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(os, "fsync", _fail_with(errno.EIO))
    with pytest.raises(OSError) as failed:
        Lake.local(tmp_path).write_bytes_atomic("gold", "x.json", b"{}")
    assert type(failed.value) is OSError and failed.value.errno == errno.EIO
