"""Artifacts a user wants in the Prefect UI: data quality, gold summary, written partitions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from raidlib.console import printable
from raidlib.gold.summary import raid_outcomes, records, top_players

_ALWAYS_ESCAPED = re.compile(r"([\\`*\[\]<>!|~&@])")
"""Markdown that works anywhere in a line: code, emphasis, links, images, HTML, tables,
strikethrough, entities, e-mail autolinks."""
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
"""An underscore that can open or close emphasis (``death_knight`` cannot)."""
_LINE_START = re.compile(r"^(\s*)([#+\-]|\d+(?=[.)]))")
"""What makes a heading or a list item at the start of the cell's one line."""
_BARE_LINK = re.compile(r"(?i)\b(www)\.|\b([a-z][a-z0-9+.\-]*):(?=//)")
"""GFM's extended autolinks: ``www.`` and ``scheme://``."""


def as_plain_text(value: Any) -> Any:
    """A table cell the Prefect UI shows as the text it is. The UI renders every text cell as
    markdown (GFM), so a player named ``![](http://…)`` loaded an image from another host when
    the artifact was opened, and ``[x](…)`` or ``www.…`` became a link (security audit).
    Backslashes make the characters that start markdown literal, which the UI then shows
    without them; ids, dates and names like ``raid-001`` or ``death_knight`` read back through
    the API unchanged. Control and text-direction characters become ``�``; numbers and other
    values pass unchanged."""
    if not isinstance(value, str):
        return value
    text = _ALWAYS_ESCAPED.sub(r"\\\1", printable(value))
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    text = _BARE_LINK.sub(lambda m: f"{m[1]}\\." if m[1] else f"{m[2]}\\:", text)
    return _LINE_START.sub(
        lambda m: f"{m[1]}\\{m[2]}" if not m[2][0].isdigit() else f"{m[1]}{m[2]}\\", text
    )


def plain_text_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`as_plain_text` of every cell of a table artifact's rows."""
    return [{key: as_plain_text(value) for key, value in row.items()} for row in rows]


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
        table=plain_text_rows(records(raid_outcomes(summary))),
        description=f"Gold: outcome per raid (backend: {backend})",
    )
    top = pd.concat([top_players(stats, "dps"), top_players(stats, "hps")], ignore_index=True)
    create_table_artifact(
        key="gold-top-players",
        table=plain_text_rows(records(top.fillna(""))),
        description="Gold: top 3 DPS and top 3 HPS per raid",
    )


def publish_partitions(title: str, key: str, paths: Sequence[str]) -> None:
    """A markdown list of the partition files written (paths or s3:// URLs)."""
    if not paths:  # a run with nothing new
        markdown = f"### {title}\n\nNo partition written in this run."
        create_markdown_artifact(key=_key(key), markdown=markdown, description=title)
        return
    lines = [f"### {title}", "", f"{len(paths)} file(s) written:", ""]
    lines += [f"- `{p}`" for p in sorted(paths)[:200]]
    if len(paths) > 200:
        lines.append(f"- … and {len(paths) - 200} more")
    create_markdown_artifact(key=_key(key), markdown="\n".join(lines), description=title)


def publish_table(key: str, rows: list[dict[str, Any]], description: str) -> None:
    create_table_artifact(key=_key(key), table=plain_text_rows(rows), description=description)
