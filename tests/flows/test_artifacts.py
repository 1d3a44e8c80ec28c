"""Table artifacts show client-given names as text in the Prefect UI, not as markdown."""

from __future__ import annotations

import pandas as pd

from raidlib.tasks import artifacts


def test_names_in_table_artifacts_are_escaped_for_the_uis_markdown(monkeypatch) -> None:
    """The UI renders text cells as markdown: a player named ``![](http://…)`` loaded an image
    from another host when the artifact was opened (security audit)."""
    published: dict[str, list[dict]] = {}
    monkeypatch.setattr(
        artifacts,
        "create_table_artifact",
        lambda key, table, description: published.__setitem__(key, table),
    )
    summary = pd.DataFrame(
        {
            "raid_id": ["raid001"],
            "event_date": ["2026-11-23"],
            "raid_outcome": ["success"],
            "duration_ms": [1000],
            "raid_dps": [1.0],
            "raid_hps": [0.0],
            "n_players": [1],
            "total_player_deaths": [0],
            "boss_min_hp_pct": [0.0],
        }
    )
    stats = pd.DataFrame(
        {
            "raid_id": ["raid001"],
            "player_id": ["p1"],
            "player_name": ["![](http://x.test/a.png)<img src=x>\nnext"],
            "player_class": ["death_knight"],
            "player_role": ["dps"],
            "dps": [10.0],
            "hps": [0.0],
            "player_deaths": [0],
        }
    )

    artifacts.publish_gold_summary(summary, stats, "pandas")

    names = {row.get("player_name") for row in published["gold-top-players"]}
    assert r"\!\[\](http\://x.test/a.png)\<img src=x\>" + "\ufffdnext" in names
    assert published["gold-raid-outcomes"][0]["raid_id"] == "raid001"  # plain text unchanged
    assert published["gold-raid-outcomes"][0]["event_date"] == "2026-11-23"
    assert {row.get("player_class") for row in published["gold-top-players"]} == {"death_knight"}
    assert published["gold-raid-outcomes"][0]["players"] == 1


def test_only_what_would_render_as_markdown_is_escaped() -> None:
    r"""Ids, dates and class names read back through Prefect's API as they are (an e2e test
    found raid ids as ``raid\-e2e\-win`` when every punctuation character was escaped)."""
    for plain in ("raid-e2e-win", "2026-12-05", "death_knight", "20:00:01", "Zoë 龍"):
        assert artifacts.as_plain_text(plain) == plain
    escaped = {
        "www.evil.test": r"www\.evil.test",
        "see https://x.test": r"see https\://x.test",
        "# title": r"\# title",
        "1. first": r"1\. first",
        "_em_": r"\_em\_",
        "a@b.test": r"a\@b.test",
        "&amp;": r"\&amp;",
    }
    for raw, shown in escaped.items():
        assert artifacts.as_plain_text(raw) == shown


def test_a_run_that_wrote_no_partition_says_so(monkeypatch) -> None:
    """A run with nothing new published "0 file(s) written:" over an empty list (live audit)."""
    published: dict[str, str] = {}
    monkeypatch.setattr(
        artifacts,
        "create_markdown_artifact",
        lambda key, markdown, description: published.__setitem__(key, markdown),
    )
    artifacts.publish_partitions("Silver partitions written", "silver-partitions", [])
    artifacts.publish_partitions("Gold partitions written", "gold-partitions", ["b/p.parquet"])
    assert published["silver-partitions"].endswith("No partition written in this run.")
    assert "1 file(s) written:" in published["gold-partitions"]
    assert "- `b/p.parquet`" in published["gold-partitions"]
