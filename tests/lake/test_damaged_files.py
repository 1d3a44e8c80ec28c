"""A damaged file in the lake is an error that names the file and says how to repair it, never
a bare decoder error (pyarrow's named ``'<Buffer>'``, not the file) or a retry."""

from __future__ import annotations

from pathlib import Path

import pytest

from raidlib.lake import Lake, LakeDataError, layout
from raidlib.lake.bronze_batches import list_landed_batches, load_landed_batch
from raidlib.lake.parquet import read_partition, write_partition
from raidlib.read import read_gold, read_silver
from tests.lake.test_parquet import FILE_SCHEMA, frame


def truncate(path: str | Path, keep: int | None = None) -> None:
    """Cut a file short, as a full disk or a crashed copy leaves it."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2 if keep is None else keep])


@pytest.mark.parametrize("keep", [None, 0, 100], ids=["half", "empty", "100-bytes"])
def test_a_truncated_silver_partition_is_named_with_its_repair(
    lake: Lake, backend, keep: int | None
) -> None:
    rel = layout.silver_partition("raid001", "2026-11-23")
    path = write_partition(lake, "silver", rel, frame(50), FILE_SCHEMA)
    truncate(path, keep)
    with pytest.raises(LakeDataError) as failed:
        read_partition(lake, "silver", rel, FILE_SCHEMA, backend)
    message = str(failed.value)
    assert message.startswith(f"{path} is not readable Parquet (truncated or corrupt: ")
    assert "'<Buffer>'" not in message
    assert message.endswith(
        "restore it, or rebuild silver from bronze (README: Upgrading and reprocessing)"
    )
    assert failed.value.url == path


def test_the_readme_section_the_repair_names_exists() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "\n### Upgrading and reprocessing\n" in readme


def test_read_silver_and_read_gold_name_the_damaged_file(tmp_path: Path, backend) -> None:
    """What a notebook sees: the file and what to do, not pyarrow's '<Buffer>'."""
    lake = Lake.local(tmp_path / "lake")
    silver = write_partition(
        lake, "silver", layout.silver_partition("raid001", "2026-11-23"), frame(5), FILE_SCHEMA
    )
    truncate(silver)
    with pytest.raises(LakeDataError, match=rf"^{silver} is not readable Parquet .*rebuild silver"):
        read_silver("raid001", tmp_path / "lake")
    dim_player = tmp_path / "lake" / "gold" / "dim_player" / "part-0.parquet"
    dim_player.parent.mkdir(parents=True)
    dim_player.write_bytes(b"PAR1 and then nothing")
    with pytest.raises(
        LakeDataError,
        match=rf"^{dim_player} is not readable Parquet .*delete it and run "
        r"`python flows/silver_to_gold.py --rebuild`",
    ):
        read_gold("dim_player", tmp_path / "lake")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "is not valid JSON (Expecting property name enclosed in double quotes"),
        (b"", "is not valid JSON (Expecting value: line 1 column 1 (char 0))"),
        (b"\xff\xfe{", "is not valid JSON ("),
        (b"[1, 2]", "is not a batch manifest (a JSON array, not an object)"),
        (b'{"batch_id": 5, "objects": "x"}', 'is not a batch manifest ("objects" is not a list'),
        (b'{"paths": [1]}', 'is not a batch manifest ("paths" is not a list of strings)'),
    ],
    ids=["garbage", "empty", "not-utf8", "array", "objects-a-string", "paths-not-strings"],
)
def test_a_damaged_manifest_is_named_with_its_repair(
    lake: Lake, factory, content: bytes, problem: str
) -> None:
    """Silver read every unprocessed batch's manifest with a bare json.loads: a JSONDecodeError
    or an AttributeError naming no file, retried."""
    batch_id = factory.write_batch(lake, [factory.make_event(0)])
    manifest = Path(lake.path("bronze", layout.bronze_manifest_key(batch_id)))
    manifest.write_bytes(content)
    with pytest.raises(LakeDataError) as failed:
        list_landed_batches(lake)
    message = str(failed.value)
    assert message.startswith(f"{manifest} {problem}"), message
    assert f'replace it with {{"batch_id": "{batch_id}"}}' in message
    assert message.endswith("if they are not, delete it and send the batch again")


def test_the_repair_a_damaged_manifest_names_finds_the_batch_again(lake: Lake, factory) -> None:
    """The message's advice holds: a manifest holding the batch id alone leads silver to the
    batch's objects by name."""
    batch_id = factory.write_batch(
        lake, [factory.make_event(0), factory.make_event(1, raid_id="raid002")]
    )
    before = load_landed_batch(lake, batch_id).paths
    manifest = Path(lake.path("bronze", layout.bronze_manifest_key(batch_id)))
    manifest.write_text(f'{{"batch_id": "{batch_id}"}}', encoding="utf-8")
    assert load_landed_batch(lake, batch_id).paths == before and len(before) == 2
