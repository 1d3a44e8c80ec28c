"""Artifacts a user wants in the Prefect UI: data quality, gold summary, written partitions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from raidlib.gold.summary import raid_outcomes, records, top_players


def _key(name: str) -> str:
    """Artifact keys: lowercase letters, digits and dashes only."""
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def publish_gold_summary(summary: pd.DataFrame, stats: pd.DataFrame, backend: str) -> None:
    """Raid outcomes and top DPS/HPS per raid, as table artifacts."""
    if summary.empty:
        create_markdown_artifact(
            key="gold-summary",
            markdown="No raid needed a gold rebuild in this run.",
            description="Gold summary",
        )
        return
    create_table_artifact(
        key="gold-raid-outcomes",
        table=records(raid_outcomes(summary)),
        description=f"Gold: outcome per raid (backend: {backend})",
    )
    top = pd.concat([top_players(stats, "dps"), top_players(stats, "hps")], ignore_index=True)
    create_table_artifact(
        key="gold-top-players",
        table=records(top.fillna("")),
        description="Gold: top 3 DPS and top 3 HPS per raid",
    )


def publish_partitions(title: str, key: str, paths: Sequence[str]) -> None:
    """A markdown list of the partition files written (paths or s3:// URLs)."""
    lines = [f"### {title}", "", f"{len(paths)} file(s) written:", ""]
    lines += [f"- `{p}`" for p in sorted(paths)[:200]]
    if len(paths) > 200:
        lines.append(f"- … and {len(paths) - 200} more")
    create_markdown_artifact(key=_key(key), markdown="\n".join(lines), description=title)


def publish_table(key: str, rows: list[dict[str, Any]], description: str) -> None:
    create_table_artifact(key=_key(key), table=rows, description=description)
