"""The medallion's terminal summary of rebuilt pulls stays readable however many there are."""

from __future__ import annotations

import re

import pandas as pd
from rich.console import Console

from raidlib.console import DETAILED_PULLS, OVERVIEW_PULLS, print_pull_reports


def pulls(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` one-pull raids (``r000``, ``r001`` …, one day apart) with two players each."""
    raids = [f"r{i:03d}" for i in range(n)]
    dates = [f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(n)]
    encounters = pd.DataFrame(
        {
            "raid_id": raids,
            "event_date": dates,
            "encounter_id": [f"{r}-boss" for r in raids],
            "boss_name": ["Ragnaros"] * n,
            "difficulty": ["heroic"] * n,
            "outcome": ["kill"] * n,
            "duration_ms": [285_000] * n,
            "raid_dps": [431_645.4] * n,
            "raid_hps": [145_932.0] * n,
            "total_damage": [1.0] * n,
            "total_healing": [1.0] * n,
            "player_deaths": [2] * n,
            "n_players": [2] * n,
        }
    )
    stats = pd.DataFrame(
        [
            {
                "raid_id": r,
                "encounter_id": f"{r}-boss",
                "player_id": f"p{k}",
                "player_name": f"Player{k}",
                "player_class": "death_knight",
                "player_role": "dps",
                "damage_total": 1000.0 * k,
                "healing_total": 0.0,
                "dps": 10.0 * k,
                "hps": 0.0,
                "deaths": 0,
            }
            for r in raids
            for k in (1, 2)
        ]
    )
    return encounters, stats


def render(n: int, **options: int) -> str:
    console = Console(record=True, width=200)
    print_pull_reports(*pulls(n), console, **options)
    return console.export_text()


def test_a_few_pulls_each_get_their_player_table() -> None:
    text = render(3)
    assert text.count("Players (fact_player_encounter_stats)") == 3
    assert "pulls (fact_encounter_summary)" not in text
    assert "Ragnaros (heroic) — kill in 4:45.0 — 2 players, 2 deaths, raid DPS 431,645" in text


def test_as_many_pulls_as_get_tables_are_not_listed_twice() -> None:
    text = render(DETAILED_PULLS)
    assert text.count("Players (fact_player_encounter_stats)") == DETAILED_PULLS
    assert "pulls (fact_encounter_summary)" not in text and "Player tables:" not in text


def test_a_pulls_players_are_listed_by_damage_highest_first() -> None:
    text = render(1)
    assert text.index("Player2") < text.index("Player1")  # 2,000 damage before 1,000


def test_a_pull_time_keeps_two_digit_seconds() -> None:
    """``1:07.7`` for 67.7 s (``1:7.7`` reads as 1 min 70 s to a raider)."""
    encounters, stats = pulls(1)
    console = Console(record=True, width=200)
    print_pull_reports(encounters.assign(duration_ms=67_700), stats, console)
    assert "kill in 1:07.7 —" in console.export_text()


def test_a_season_is_listed_one_line_each_with_tables_for_the_latest_pulls_only() -> None:
    text = render(40)
    assert "40 pulls (fact_encounter_summary)" in text
    assert text.count("Players (fact_player_encounter_stats)") == 5
    assert "Player tables: the latest 5 of 40 pulls" in text
    tables_from = text.index("Player tables:")
    assert "r039-boss" in text[tables_from:] and "r034-boss" not in text[tables_from:]
    overview = text[:tables_from]
    assert all(f"r{i:03d}-boss" in overview for i in range(40))
    assert "4:45.0" in overview and "431,645" in overview
    assert len(text.splitlines()) < 200  # was about 1,000 lines for 40 pulls


def test_the_overview_keeps_the_latest_pulls_and_tables_can_be_turned_off() -> None:
    text = render(OVERVIEW_PULLS + 10, detailed=0)
    assert (
        f"{OVERVIEW_PULLS + 10} pulls (fact_encounter_summary), the latest {OVERVIEW_PULLS}" in text
    )
    assert "r009-boss" not in text and "r010-boss" in text
    assert "Player tables: none of" in text
    assert "Players (fact_player_encounter_stats)" not in text


def test_more_tables_on_request() -> None:
    assert render(8, detailed=8).count("Players (fact_player_encounter_stats)") == 8


def test_run_report_shows_what_gold_ran_on() -> None:
    """A gold fallback (raid too big for the GPU) shows on the gold line, not silver's backend."""
    from raidlib.console import print_run_report

    console = Console(record=True, width=160)
    print_run_report(
        {"accepted": 2, "duplicate": 0, "rejected": 0},
        {"batches": 2, "objects": 2, "events": 10},
        {
            "rows_in": 10,
            "rows_added": 10,
            "duplicates_removed": 0,
            "rows_quarantined": 0,
            "quarantined_by_reason": {},
            "late_events": 0,
            "backend": "cudf",
        },
        pd.DataFrame(),
        pd.DataFrame(),
        None,
        {"bronze": "/lake/bronze", "silver": "/lake/silver", "gold": "/lake/gold"},
        console,
        rebuilt=2,
        gold_backend="cudf + pandas",
    )
    text = console.export_text()
    assert "gold:     2 raid(s) rebuilt in this run  → /lake/gold  (backend: cudf + pandas)" in text


def test_names_from_clients_are_printed_as_text_not_markup_or_terminal_codes() -> None:
    """A player named ``[/]Crash`` stopped the medallion script with a MarkupError after its
    work was done; ``[link=…]`` made a hyperlink, an escape sequence reached the terminal and
    a line feed forged a table row (security audit)."""
    encounters, stats = pulls(1)
    encounters["boss_name"] = "[/]Boss"
    stats["player_name"] = ["[/]Crash", "\x1b]0;pwned\x07[link=http://x.test]Click[/link]\nrow"]
    console = Console(record=True, width=200)

    print_pull_reports(encounters, stats, console)

    text = console.export_text()
    assert "[/]Boss" in text and "[/]Crash" in text
    assert "[link=http://x.test]Click[/link]" in text
    assert "\x1b]0;" not in text and "\x07" not in text and "\ufffdrow" in text


def test_a_name_cannot_turn_the_terminal_text_around() -> None:
    """A right-to-left override (U+202E) or isolate (U+2066) in a name would reverse what
    follows it on the terminal line, spoofing numbers and names after it."""
    encounters, stats = pulls(1)
    stats["player_name"] = ["\u202eevil", "\u2066isolated"]
    console = Console(record=True, width=200)

    print_pull_reports(encounters, stats, console)

    text = console.export_text()
    assert "\u202e" not in text and "\u2066" not in text
    assert "\ufffdevil" in text and "\ufffdisolated" in text


def test_pulls_are_in_pull_order_past_nine() -> None:
    """As text, 3131-10 sorted before 3131-2: a 26-pull night showed pulls 5-9 as the latest."""
    encounters, stats = pulls(1)
    ids = [f"3131-{n}" for n in range(1, 27)]
    encounters = pd.concat([encounters] * 26, ignore_index=True).assign(encounter_id=ids)
    stats = pd.concat([stats.assign(encounter_id=i) for i in ids], ignore_index=True)
    console = Console(record=True, width=200)
    print_pull_reports(encounters.sample(frac=1, random_state=1), stats, console)
    text = console.export_text()
    overview, tables = text.split("Player tables:")
    listed = [
        re.search(r"3131-\d+", line).group() for line in overview.splitlines() if "3131-" in line
    ]
    assert listed == ids  # every pull, in order
    assert all(f"3131-{n}" in tables for n in range(22, 27))
    assert "3131-21 " not in tables and "3131-9 " not in tables
