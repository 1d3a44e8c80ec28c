"""Readable terminal output for the end-to-end run (rich tables; Prefect already depends on rich)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from raidlib.gold.summary import raid_outcomes, top_players
from raidlib.silver.report import interrupted_note

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters, line and paragraph separators and text-direction overrides."""


def printable(text: str) -> str:
    """``text`` with :data:`_CONTROL` characters as ``�``: names from clients and logs reach
    terminals and the Prefect UI, where an escape sequence or a line feed would act."""
    return _CONTROL.sub("\ufffd", text)


def shown(value: Any) -> str:
    """``value`` as text safe to print inside rich markup: player, boss and file names come
    from clients and logs, and a name such as ``[/]x`` stopped a finished run with a
    MarkupError, ``[link=…]`` made a hyperlink, an escape sequence reached the terminal and a
    line feed forged a table row (security audit)."""
    return escape(printable(str(value)))


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(
            *(
                Text("" if pd.isna(v) else f"{v:,}" if isinstance(v, int) else printable(str(v)))
                for v in row
            )
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
    *,
    rebuilt: int | None = None,
    gold_backend: str | None = None,
) -> None:
    """Ingest → bronze → silver → gold, as a person wants to read it after a run.

    ``rebuilt``: raids whose gold this run rebuilt; ``gold_backend``: what gold ran on (a raid
    too big for the GPU falls back to pandas on its own), else silver's backend is shown.
    """
    # Wide enough for the tables when output is piped (rich assumes 80 columns then).
    console = console or Console(width=None if Console().is_terminal else 140)
    console.rule("[bold]raidlib end-to-end run")
    console.print(
        f"receiver: {delivery['accepted']} batch(es) accepted (201), "
        f"{delivery['duplicate']} duplicate (200), {delivery['rejected']} rejected (400)"
        + (
            f" — first rejection: {shown(delivery['first_error'])}"
            if delivery.get("first_error")
            else ""
        )
    )
    console.print(
        f"bronze:   {bronze['batches']} batch(es), {bronze['objects']} JSON Lines object(s), "
        f"{bronze['events']:,} events  → {shown(lake_urls['bronze'])}"
    )
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(silver["quarantined_by_reason"].items()))
    console.print(
        f"silver:   {silver['rows_in']:,} rows in, {silver['rows_added']:,} added, "
        f"{silver['duplicates_removed']:,} duplicates removed"
        f"{interrupted_note(silver.get('rewritten_after_interruption', 0))}, "
        f"{silver['rows_quarantined']:,} quarantined{f' ({reasons})' if reasons else ''}, "
        f"{silver['late_events']:,} dated before their ingest day  → {shown(lake_urls['silver'])}"
    )
    note = "" if rebuilt is None else f"{rebuilt} raid(s) rebuilt in this run  "
    backend = gold_backend or silver["backend"]
    console.print(f"gold:     {note}→ {shown(lake_urls['gold'])}  (backend: {backend})")
    if summary.empty:
        console.print("No gold yet: nothing has reached silver.")
        return
    outcomes = raid_outcomes(summary).sort_values(["event_date", "raid_id"], kind="stable")
    order = list(outcomes["raid_id"])
    console.print(frame_table(outcomes, "Raid outcomes (fact_raid_summary)"))
    console.print(
        frame_table(
            _in_raid_order(top_players(stats, "dps"), order),
            "Top DPS per raid (fact_player_raid_stats)",
        )
    )
    console.print(frame_table(_in_raid_order(top_players(stats, "hps"), order), "Top HPS per raid"))
    if players_in_dim is not None:
        console.print(f"dim_player: {players_in_dim} player(s) tracked across raids")


def print_demo_result(out: dict[str, Any], console: Console | None = None) -> None:
    """:func:`print_run_report` for what the ``demo`` flow returns."""
    print_run_report(
        out["delivery"],
        out["bronze"],
        out["silver"],
        out["gold_summary"],
        out["gold_stats"],
        out["players"],
        out["lake_urls"],
        console,
        rebuilt=len(out["gold"]["raids_built"]),
        gold_backend=out["gold"].get("backend"),
    )


def _in_raid_order(top: pd.DataFrame, raid_order: list[str]) -> pd.DataFrame:
    """``top``'s rows grouped in the outcome table's raid order (stable within a raid)."""
    rank = {raid: i for i, raid in enumerate(raid_order)}
    position = top["raid_id"].map(rank).fillna(len(rank))
    return top.iloc[position.argsort(kind="stable")].reset_index(drop=True)


def _duration(ms: Any) -> str:
    """``97676`` → ``1:37.7`` (m:ss.s); empty for null."""
    if ms is None or pd.isna(ms):
        return ""
    seconds = float(ms) / 1000.0
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def _amount(value: float) -> str:
    return f"{value:,.0f}"


def encounter_line(pull: dict[str, Any]) -> str:
    """``Loom'ithar (normal) — kill in 1:37.7 — 25 players, 3 deaths, raid DPS 1,234,567``."""
    colour = {"kill": "green", "wipe": "red"}.get(str(pull["outcome"]), "yellow")
    return (
        f"[bold]{shown(pull.get('boss_name') or 'unknown boss')}[/bold] "
        f"({shown(pull.get('difficulty') or 'unknown difficulty')}) — "
        f"[{colour}]{shown(pull['outcome'])}[/{colour}] in {_duration(pull['duration_ms'])} — "
        f"{pull['n_players']} players, {pull['player_deaths']} deaths, "
        f"raid DPS {_amount(pull['raid_dps'])}, raid HPS {_amount(pull['raid_hps'])} "
        f"[dim](raid {shown(pull['raid_id'])}, pull {shown(pull['encounter_id'])}, "
        f"{pull['event_date']})[/dim]"
    )


def pull_player_frame(encounter_stats: pd.DataFrame) -> pd.DataFrame:
    """One pull's players as a raider reads them, sorted by damage (then healing, name)."""
    s = encounter_stats.sort_values(
        ["damage_total", "healing_total", "player_name"], ascending=[False, False, True]
    )
    return pd.DataFrame(
        {
            "name": s["player_name"].astype(object).where(s["player_name"].notna(), s["player_id"]),
            "class": s["player_class"].astype(object).fillna("").str.replace("_", " "),
            "role": s["player_role"].astype(object),
            "damage": s["damage_total"].round().astype("int64"),
            "DPS": s["dps"].round().astype("int64"),
            "healing": s["healing_total"].round().astype("int64"),
            "HPS": s["hps"].round().astype("int64"),
            "deaths": s["deaths"].astype("int64"),
        }
    ).reset_index(drop=True)


DETAILED_PULLS = 5
"""Pulls shown with their player tables by default; more are listed one line each."""

OVERVIEW_PULLS = 50
"""At most this many (the latest) pulls in the one-line-each overview."""


def pull_overview_frame(pulls: pd.DataFrame) -> pd.DataFrame:
    """One line per pull (``fact_encounter_summary`` rows), in the given order."""
    return pd.DataFrame(
        {
            "date": pulls["event_date"].astype(object),
            "raid": pulls["raid_id"].astype(object),
            "pull": pulls["encounter_id"].astype(object),
            "boss": pulls["boss_name"].astype(object).fillna("unknown boss"),
            "difficulty": pulls["difficulty"].astype(object).fillna(""),
            "outcome": pulls["outcome"].astype(object),
            "time": [_duration(ms) for ms in pulls["duration_ms"]],
            "players": pulls["n_players"].astype("int64"),
            "deaths": pulls["player_deaths"].astype("int64"),
            "raid DPS": pulls["raid_dps"].round().astype("int64"),
            "raid HPS": pulls["raid_hps"].round().astype("int64"),
        }
    ).reset_index(drop=True)


def _numbers_padded(encounter_id: str) -> str:
    """``3131-9`` before ``3131-10``: as text, pull 10 sorted before pull 2, so a night of 26
    pulls showed pulls 5-9 as "the latest 5" (big-log audit). Pulls of different bosses on one
    date stay grouped by the game's encounter id: gold keeps no start time to interleave them."""
    return re.sub(r"\d+", lambda number: number.group().zfill(12), str(encounter_id))


def print_pull_reports(
    encounters: pd.DataFrame | None,
    encounter_stats: pd.DataFrame | None,
    console: Console | None = None,
    limit: int | None = None,
    detailed: int = DETAILED_PULLS,
) -> None:
    """Each pull's encounter line and per-player table (``limit`` rows if given).

    Past ``detailed`` pulls (a season rebuilt, a night of progression wipes) the pulls are
    listed one line each instead — the latest :data:`OVERVIEW_PULLS` of them — and only the
    latest ``detailed`` get their player tables, so the summary stays readable.
    """
    console = console or Console(width=None if Console().is_terminal else 140)
    if encounters is None or encounters.empty or encounter_stats is None:
        return
    pulls = encounters.assign(_pull=encounters["encounter_id"].map(_numbers_padded))
    pulls = pulls.sort_values(["event_date", "raid_id", "_pull"], kind="stable").drop(
        columns="_pull"
    )
    detailed_pulls = pulls
    if len(pulls) > detailed:
        listed = pulls.tail(OVERVIEW_PULLS)
        title = f"{len(pulls)} pulls (fact_encounter_summary)"
        if len(listed) < len(pulls):
            title += f", the latest {len(listed)}"
        console.print(frame_table(pull_overview_frame(listed), title))
        detailed_pulls = pulls.tail(detailed) if detailed > 0 else pulls.head(0)
        which = f"the latest {len(detailed_pulls)}" if len(detailed_pulls) else "none"
        console.print(
            f"Player tables: {which} of {len(pulls)} pulls (more with --pull-tables N); every "
            'pull\'s players: read_gold("fact_player_encounter_stats") (README: Reading the '
            "tables)."
        )
    for pull in detailed_pulls.to_dict("records"):
        mine = encounter_stats[
            (encounter_stats["raid_id"] == pull["raid_id"])
            & (encounter_stats["encounter_id"] == pull["encounter_id"])
        ]
        players = pull_player_frame(mine)
        if limit is not None:
            players = players.head(limit)
        console.print(encounter_line(pull))
        console.print(frame_table(players, "Players (fact_player_encounter_stats), by damage"))


def print_import_report(result: Any, console: Console | None = None, malformed: int = 10) -> None:
    """What ``raidlib import-log`` did (a :class:`raidlib.combatlog.import_result.ImportResult`)."""
    from raidlib.combatlog.report import by_count  # noqa: PLC0415 (the importer's, loaded by it)

    console = console or Console(width=None if Console().is_terminal else 140)
    report = result.report
    rate = f", {report.lines_total / result.seconds:,.0f} lines/s" if result.seconds else ""
    console.rule(f"[bold]combat log import: {shown(result.path)}")
    console.print(
        f"lines: {report.lines_total:,} ({report.blank_lines:,} blank) in "
        f"{result.seconds:.1f} s{rate}; raid: {shown(', '.join(result.raid_ids) or 'none')}"
    )
    emitted = pd.DataFrame(by_count(report.emitted), columns=["event_type", "n"])
    emitted.loc[len(emitted)] = ["total", int(emitted["n"].sum()) if len(emitted) else 0]
    console.print(frame_table(emitted, "Events produced, by type"))
    if not result.encounters.empty:
        pulls = result.encounters.copy()
        pulls["start"] = pulls["start"].astype(object).fillna("").astype(str).str.slice(0, 19)
        pulls = pulls.rename(columns={"start": "start (UTC)"})  # not the recorder's clock
        console.print(frame_table(pulls, "Encounters (pulls)"))
    else:
        outside = report.skipped.get("outside_encounter", 0)
        hint = f"; --scope all keeps its {outside:,} row(s) outside pulls" if outside else ""
        console.print(f"encounters: none (no ENCOUNTER_START in the log){hint}")
    if report.malformed_count:
        first = ", ".join(f"line {n}: {shown(why)}" for n, why in report.malformed[:malformed])
        more = " …" if report.malformed_count > malformed else ""
        console.print(
            f"[yellow]malformed lines: {report.malformed_count:,}[/yellow] "
            f"(counted, not imported) — {first}{more}"
        )
    else:
        console.print("malformed lines: 0")
    for hint in (report.not_utf8_hint(), report.unused_clock_hint()):
        if hint:
            console.print(f"[yellow]{shown(hint)}[/yellow]")
    if report.skipped:
        skipped = pd.DataFrame(by_count(report.skipped), columns=["reason", "rows"])
        console.print(frame_table(skipped, "Rows skipped on purpose, by reason"))
    if report.not_mapped:
        kinds = pd.DataFrame(report.not_mapped_rows(top=8), columns=["combat log event", "rows"])
        console.print(frame_table(kinds, "Rows not mapped to an event, by kind"))
    if report.used_for_attribution:
        used = ", ".join(f"{kind} {n:,}" for kind, n in by_count(report.used_for_attribution))
        console.print(f"rows read for specs and pet owners (no event of their own): {used}")
    console.print(
        f"delivered to {shown(result.destination)}: {result.batches} batch(es) — "
        f"{result.accepted} landed ({result.events_landed:,} events), "
        f"{result.duplicate} already there (duplicate), {result.rejected} rejected, "
        f"{result.failed} failed"
        + (f" — first error: {shown(result.first_error)}" if result.first_error else "")
    )
