"""Readable terminal output for the end-to-end run (rich tables; Prefect already depends on rich)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from raidlib.gold.summary import raid_outcomes, top_players


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(
            *("" if pd.isna(v) else f"{v:,}" if isinstance(v, int) else str(v) for v in row)
        )
    return table


def print_run_report(
    delivery: dict[str, Any],
    bronze: dict[str, Any],
    silver: dict[str, Any],
    summary: pd.DataFrame,
    stats: pd.DataFrame,
    players_in_dim: int | None,
    lake_urls: dict[str, str],
    console: Console | None = None,
) -> None:
    """Ingest → bronze → silver → gold, as a person wants to read it after a run."""
    # Wide enough for the tables when output is piped (rich assumes 80 columns then).
    console = console or Console(width=None if Console().is_terminal else 140)
    console.rule("[bold]raidlib end-to-end run")
    console.print(
        f"receiver: {delivery['accepted']} batch(es) accepted (201), "
        f"{delivery['duplicate']} duplicate (200), {delivery['rejected']} rejected (400)"
        + (f" — first rejection: {delivery['first_error']}" if delivery.get("first_error") else "")
    )
    console.print(
        f"bronze:   {bronze['batches']} batch(es), {bronze['objects']} JSON Lines object(s), "
        f"{bronze['events']:,} events  → {lake_urls['bronze']}"
    )
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(silver["quarantined_by_reason"].items()))
    console.print(
        f"silver:   {silver['rows_in']:,} rows in, {silver['rows_added']:,} added, "
        f"{silver['duplicates_removed']:,} duplicates removed, "
        f"{silver['rows_quarantined']:,} quarantined{f' ({reasons})' if reasons else ''}, "
        f"{silver['late_events']:,} dated before their ingest day  → {lake_urls['silver']}"
    )
    console.print(f"gold:     → {lake_urls['gold']}  (backend: {silver['backend']})")
    if summary.empty:
        console.print("No raid needed a gold rebuild (nothing new since the last run).")
        return
    console.print(frame_table(raid_outcomes(summary), "Raid outcomes (fact_raid_summary)"))
    console.print(
        frame_table(top_players(stats, "dps"), "Top DPS per raid (fact_player_raid_stats)")
    )
    console.print(frame_table(top_players(stats, "hps"), "Top HPS per raid"))
    if players_in_dim is not None:
        console.print(f"dim_player: {players_in_dim} player(s) tracked across raids")
