"""raidlib.read in a notebook: a wrong lake or a bad setting is an error naming it, never an
empty frame or a traceback from deep inside pydantic or pandas."""

from __future__ import annotations

from pathlib import Path

import pytest

from raidlib.read import read_gold, read_silver


def test_a_folder_that_is_not_a_lake_is_an_error_not_an_empty_table(tmp_path: Path) -> None:
    gold = tmp_path / "lake" / "gold" / "fact_raid_summary"
    gold.mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("not a lake")
    with pytest.raises(FileNotFoundError, match=r"is a gold layer folder; pass the lake folder"):
        read_gold("fact_raid_summary", tmp_path / "lake" / "gold")
    with pytest.raises(FileNotFoundError, match=r"is not a lake folder: no bronze/, silver/ or"):
        read_gold("fact_raid_summary", tmp_path)
    (tmp_path / "fresh").mkdir()  # a lake nothing was written to yet reads empty
    assert len(read_gold("dim_raid", tmp_path / "fresh")) == 0


def test_the_default_lake_missing_is_named_with_how_to_point_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAIDLIB_ENV_FILE", "")
    for layer in ("BRONZE", "SILVER", "GOLD"):
        monkeypatch.delenv(f"RAIDLIB_{layer}_ROOT", raising=False)
    with pytest.raises(
        FileNotFoundError,
        match=r"no lake at .*/lake \(no gold/ there\).*RAIDLIB_GOLD_ROOT",
    ):
        read_gold("fact_raid_summary")
    with pytest.raises(FileNotFoundError, match=r"no lake at .*/lake \("):
        read_silver()


def test_an_s3_url_or_an_empty_string_as_lake_says_what_lake_takes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"lake takes a local folder.*RAIDLIB_GOLD_ROOT=s3://"):
        read_gold("fact_raid_summary", "s3://gold-bucket/lake")
    with pytest.raises(ValueError, match=r"lake is an empty string"):
        read_gold("fact_raid_summary", "")


def test_a_bad_setting_is_named_by_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fresh").mkdir()
    monkeypatch.setenv("RAIDLIB_BACKEND", "gpu")
    with pytest.raises(ValueError, match=r"setting backend \(env RAIDLIB_BACKEND\): Input should"):
        read_gold("dim_raid", tmp_path / "fresh")


def test_several_raid_ids_are_refused_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "fresh").mkdir()
    with pytest.raises(TypeError, match=r"raid_id takes one raid id .*read_silver\(\)"):
        read_silver(["raid001", "raid002"], tmp_path / "fresh")  # type: ignore[arg-type]


def test_only_the_layer_read_must_be_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gold on S3 (or anywhere) while the bronze and silver roots are folders of another
    machine: read_gold refused the lake because no local root existed here (review)."""
    from raidlib.read import open_lake

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAIDLIB_ENV_FILE", "")
    gold = tmp_path / "elsewhere" / "gold"
    gold.mkdir(parents=True)
    monkeypatch.setenv("RAIDLIB_GOLD_ROOT", str(gold))
    for layer in ("BRONZE", "SILVER"):
        monkeypatch.delenv(f"RAIDLIB_{layer}_ROOT", raising=False)
    assert len(read_gold("dim_raid")) == 0  # ./lake/bronze and ./lake/silver do not exist here
    with pytest.raises(FileNotFoundError, match=r"no lake at .*silver"):
        read_silver()
    assert open_lake().root("gold") == str(gold)
