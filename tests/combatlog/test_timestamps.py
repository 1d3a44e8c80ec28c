"""Time stamps without a year or a UTC offset (≤ 10.x retail, Classic): the year and the
zone offset each row falls in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from raidlib.combatlog import import_events
from raidlib.combatlog.timestamps import ClockState, parse_timestamps

from .conftest import ALICE, BOSS, HDR9_CLASSIC, block16, unit, write_log


def _text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _utc(stamps: list[str], clock: ClockState) -> list[str]:
    ms, valid = parse_timestamps(pa.array(stamps), clock)
    assert valid.all()
    return [_text(datetime.fromtimestamp(m / 1000, UTC)) for m in ms]


# Rows out of order across midnight on New Year's Eve (COMBATLOG-FORMAT §11.2), recorded at UTC+1.
NEW_YEARS_EVE = ["12/31 23:59:59.000", "1/1 00:00:01.000", "12/31 23:59:59.500", "1/1 00:00:02.000"]
NEW_YEARS_EVE_UTC = [
    "2023-12-31 22:59:59.000",
    "2023-12-31 23:00:01.000",
    "2023-12-31 22:59:59.500",
    "2023-12-31 23:00:02.000",
]


def test_a_small_step_back_over_midnight_is_the_previous_year() -> None:
    later = [*NEW_YEARS_EVE, "1/1 01:00:00.000", "3/1 20:00:00.000"]
    got = _utc(later, ClockState(year=2023, utc_offset_hours=1))
    assert got == [*NEW_YEARS_EVE_UTC, "2024-01-01 00:00:00.000", "2024-03-01 19:00:00.000"]


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_the_year_carries_over_chunks(cut: int) -> None:
    clock = ClockState(year=2023, utc_offset_hours=1)
    got = _utc(NEW_YEARS_EVE[:cut], clock) + _utc(NEW_YEARS_EVE[cut:], clock)
    assert got == NEW_YEARS_EVE_UTC


# Paris, the night clocks went back (2024-10-27): 02:00–03:00 happened twice, first in summer
# time (UTC+2), then in standard time (UTC+1). A row a few seconds out of order stays in its pass.
FALL_BACK = [
    "10/27 01:59:00.000",
    "10/27 02:10:00.000",
    "10/27 02:50:00.000",
    "10/27 02:49:58.000",
    "10/27 02:10:30.000",
    "10/27 02:59:00.000",
    "10/27 03:10:00.000",
]
FALL_BACK_UTC = [
    "2024-10-26 23:59:00.000",
    "2024-10-27 00:10:00.000",
    "2024-10-27 00:50:00.000",
    "2024-10-27 00:49:58.000",
    "2024-10-27 01:10:30.000",
    "2024-10-27 01:59:00.000",
    "2024-10-27 02:10:00.000",
]


@pytest.mark.parametrize("cut", [0, 3, 4, 5])
def test_the_hour_repeated_when_clocks_go_back_is_read_in_order(cut: int) -> None:
    clock = ClockState(year=2024, tz="Europe/Paris")
    assert _utc(FALL_BACK[:cut], clock) + _utc(FALL_BACK[cut:], clock) == FALL_BACK_UTC


def test_a_later_year_appended_to_the_same_file() -> None:
    """A client kept appending to one file: November, then February (a new year), then a
    step forward of months (the same year)."""
    stamps = ["11/20 21:00:00.000", "2/12 21:00:00.000", "10/1 21:00:00.000", "12/31 23:00:00.000"]
    got = _utc(stamps, ClockState(year=2022, utc_offset_hours=0))
    assert [g[:10] for g in got] == ["2022-11-20", "2023-02-12", "2023-10-01", "2023-12-31"]


def test_small_steps_back_within_a_day_stay_in_the_year() -> None:
    """A rewritten header can be stamped before the line above it; DST repeats an hour."""
    stamps = ["6/1 13:32:30.000", "6/1 13:31:52.000", "6/2 02:30:00.000", "6/2 02:10:00.000"]
    got = _utc(stamps, ClockState(year=2024, utc_offset_hours=0))
    assert all(g.startswith("2024-06-0") for g in got)


def test_leap_day_and_a_leap_base_year() -> None:
    stamps = ["2/28 23:00:00.000", "2/29 01:00:00.000", "12/31 23:59:59.000", "1/1 00:00:01.000"]
    got = _utc(stamps + ["12/31 23:59:58.000"], ClockState(year=2024, utc_offset_hours=0))
    assert got == [
        "2024-02-28 23:00:00.000",
        "2024-02-29 01:00:00.000",
        "2024-12-31 23:59:59.000",
        "2025-01-01 00:00:01.000",
        "2024-12-31 23:59:58.000",
    ]


@pytest.mark.parametrize(
    "clock", [ClockState(year=2023, utc_offset_hours=0), ClockState(year=2024, utc_offset_hours=0)]
)
def test_a_day_the_month_does_not_have_is_unreadable_not_the_next_day(clock: ClockState) -> None:
    """2/29 read with a year that has none (a wrong --year, or a damaged line), 4/31, 2/30."""
    stamps = [
        "2/29 01:00:00.000",
        "2/29/2025 01:00:00.000-0",
        "4/31 01:00:00.000",
        "2/30 01:00:00.000",
    ]
    _, valid = parse_timestamps(pa.array([*stamps, "4/30 01:00:00.000"]), clock)
    assert valid.tolist() == [clock.year == 2024, False, False, False, True]


def test_a_pull_over_midnight_stays_in_its_year(tmp_path: Path) -> None:
    hit = f"SWING_DAMAGE,{unit(ALICE, 'Alice', BOSS, 'Boss')},{block16(BOSS)},30,30,-1,1,0,0,0"
    lines = [
        f"12/31 23:59:58.000  {HDR9_CLASSIC}",
        '12/31 23:59:58.500  ENCOUNTER_START,714,"Boss",9,40,531,2',
        *(f"{stamp}  {hit},nil,nil,nil" for stamp in NEW_YEARS_EVE),
        '1/1 00:00:03.000  ENCOUNTER_END,714,"Boss",9,40,1',
    ]
    path = write_log(tmp_path / "WoWCombatLog-123123_235958.txt", lines)
    batches, _ = import_events(path, utc_offset_hours=1)
    stamps = [_text(datetime.fromisoformat(e["timestamp"])) for batch in batches for e in batch]
    assert stamps == ["2023-12-31 22:59:58.500", *NEW_YEARS_EVE_UTC, "2023-12-31 23:00:03.000"]


def test_clock_options_are_reported_unused_only_after_dated_rows_did_without_them() -> None:
    clock = ClockState(year=2024, utc_offset_hours=2.0)
    assert clock.unused_options() == []  # nothing dated yet (an empty or all-malformed log)
    parse_timestamps(pa.array(["9/21/2024 16:02:11.667-4"]), clock)  # 11.0.2+: both inline
    assert clock.unused_options() == ["year", "UTC offset"]
    assert clock.unused_options(year_given=False) == ["UTC offset"]  # the file name's year
    parse_timestamps(pa.array(["4/10 22:25:55.168"]), clock)  # an old row needs both
    assert clock.unused_options() == []
