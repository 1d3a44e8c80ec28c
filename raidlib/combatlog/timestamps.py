"""Vectorised timestamp parsing (COMBATLOG-FORMAT §1.1, §11 item 1).

Three generations share one regular expression:

* ``4/10 22:25:55.168`` (before 11.0.2, i.e. v ≤ 20; Classic): no year, no zone -> the caller
  supplies the year (or it comes from the ``WoWCombatLog-MMDDYY_HHMMSS`` file name) and the
  recorder's UTC offset or IANA time zone. The year changes where the date wraps (see
  :func:`_year_carry`).
* ``9/21/2024 16:02:11.667-4`` (11.0.2+, v ≥ 21): year and a signed whole-hour UTC offset glued
  to the milliseconds.
* ``2/16/2026 22:48:05.7130`` / ``…14:34:46.26612``: a positive offset has no ``+`` sign. The
  milliseconds are always the first three fraction digits; the rest is the offset in hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TS_REGEX = (
    r"^(?P<mo>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}))? "
    r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})\.(?P<ms>\d{3})(?P<off>-?\d{1,2})?$"
)
_MS_PER_HOUR = 3_600_000
_MS_PER_DAY = 86_400_000
MAX_STEP_BACK_MS = _MS_PER_DAY
"""Timestamps are not in order (a rewritten header can be stamped before the line above it,
COMBATLOG-FORMAT §11.2), but never by as much as a day: a bigger step back is a new year."""
_FOLD_STEP_BACK_MS = 60_000
"""Inside the hour a time zone repeats when clocks go back, a step back of more than this (rows
are out of order by far less) is the wall clock starting the hour again: the second pass."""
_NEW_YEAR_STEP_MS = 364 * _MS_PER_DAY
"""Seen in one year, a step *forward* this long is a small step back over New Year's Eve
(Jan 1 00:00:02 -> Dec 31 23:59:59 is 365 days less 3 s forward): the previous year."""


class TimestampContextError(ValueError):
    """The log's timestamps lack a year or a UTC offset and none (or no usable one) was given."""


FIRST_LOG_YEAR = 2004
"""WoW's release: no combat log is older."""
MAX_UTC_OFFSET_HOURS = 14.0
"""Kiribati's UTC+14 (and -12 the other way): no clock is further from UTC."""


# A "cannot date" error names the options of every way in: CLI and flow script, flow, library.
_OLD_LOGS = "(logs before 11.0.2, i.e. COMBAT_LOG_VERSION < 21, and Classic logs)"
_FLAGS = "(raidlib import-log and python flows/import_combat_log.py)"
_PARAMETERS = "(the import_combat_log flow, raidlib.combatlog.import_events)"


@dataclass
class ClockState:
    """Carried from chunk to chunk: year rollovers of year-less logs, and the hour a time zone
    repeats when clocks go back."""

    year: int | None = None
    utc_offset_hours: float | None = None
    tz: str | None = None
    prev_local_ms: int | None = None  # the last year-less row, read in ``year``
    year_carry: int = 0
    fold_day: int | None = None  # local day of the last row in a repeated (ambiguous) hour
    fold_latest_ms: int = 0  # the latest local time of that hour's rows so far
    fold_second_pass: bool = False  # whether that hour has started again
    rows_dated: int = 0  # rows with a valid time stamp
    rows_without_year: int = 0  # of them, rows that needed ``year``
    rows_without_offset: int = 0  # and rows that needed ``utc_offset_hours`` or ``tz``

    def unused_options(self, *, year_given: bool = True) -> list[str]:
        """The options given that no row needed (a log from 11.0.2 on carries both itself);
        ``year_given`` False: the year came from the file name, which nobody typed."""
        given = (
            ("year", self.year if year_given else None, self.rows_without_year),
            ("UTC offset", self.utc_offset_hours, self.rows_without_offset),
            ("time zone", self.tz, self.rows_without_offset),
        )
        if not self.rows_dated:  # nothing was dated: nothing to say about the options
            return []
        return [name for name, value, needed in given if value is not None and not needed]

    def __post_init__(self) -> None:
        """Refuse a clock no recorder had, before any row is read with it."""
        if self.year is not None and not FIRST_LOG_YEAR <= self.year <= 9999:
            raise TimestampContextError(
                f"year {self.year} is no year a combat log was written in ({FIRST_LOG_YEAR}…9999)"
            )
        offset = self.utc_offset_hours
        if offset is not None and not abs(offset) <= MAX_UTC_OFFSET_HOURS:  # nan too
            raise TimestampContextError(
                f"UTC offset {offset} h is outside ±{MAX_UTC_OFFSET_HOURS:g} h"
            )
        if self.tz is not None:
            try:
                ZoneInfo(self.tz)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise TimestampContextError(
                    f"unknown time zone {self.tz!r}: give an IANA name such as Europe/Paris"
                ) from exc


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = np.where(m > 2, m - 3, m + 9)
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    return days_from_civil(y + (m == 12), m % 12 + 1, np.ones_like(m)) - days_from_civil(
        y, m, np.ones_like(m)
    )


def _col(parts: pa.StructArray, name: str) -> np.ndarray:
    col = parts.field(name)
    col = pc.if_else(pc.equal(col, ""), pa.scalar("0"), col)
    return pc.cast(pc.fill_null(col, "0"), pa.int64()).to_numpy(zero_copy_only=False)


def parse_timestamps(ts: pa.Array, clock: ClockState) -> tuple[np.ndarray, np.ndarray]:
    """Parse timestamp strings to UTC epoch milliseconds.

    Returns:
        ``(epoch_ms int64, valid bool)``; invalid entries hold 0.

    Raises:
        TimestampContextError: a valid timestamp lacks the year or the offset and ``clock``
            supplies neither.
    """
    n = len(ts)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    parts = pc.extract_regex(ts, TS_REGEX)
    valid = ~np.asarray(pc.is_null(parts).to_numpy(zero_copy_only=False), dtype=bool)
    mo, d = _col(parts, "mo"), _col(parts, "d")
    h, mi, s, ms = _col(parts, "h"), _col(parts, "mi"), _col(parts, "s"), _col(parts, "ms")
    y_raw = pc.fill_null(parts.field("y"), "")
    off_raw = pc.fill_null(parts.field("off"), "")
    has_year = np.asarray(pc.not_equal(y_raw, "").to_numpy(zero_copy_only=False), dtype=bool)
    has_off = np.asarray(pc.not_equal(off_raw, "").to_numpy(zero_copy_only=False), dtype=bool)
    y, off = _col(parts, "y"), _col(parts, "off")
    valid &= (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= 31) & (h < 24) & (mi < 60) & (s < 61)
    valid &= np.abs(off) <= 14

    no_year = valid & ~has_year
    if no_year.any():
        if clock.year is None:
            raise TimestampContextError(
                f"this log's time stamps have no year {_OLD_LOGS}: give it with --year YEAR "
                f"{_FLAGS} or the year parameter {_PARAMETERS}, or keep the client's "
                "WoWCombatLog-MMDDYY_HHMMSS file name"
            )
        y = y.copy()
        y[no_year] = clock.year
        in_base_year = _local_ms(y, mo, d, h, mi, s, ms)[no_year]
        y[no_year] = clock.year + _year_carry(in_base_year, clock)

    # the rest of the range checks above, once the year is known: 2/29 of a common year, 4/31
    valid &= d <= _days_in_month(y, mo)
    clock.rows_dated += int(valid.sum())
    clock.rows_without_year += int((valid & ~has_year).sum())
    local = _local_ms(y, mo, d, h, mi, s, ms)
    epoch = local - off * _MS_PER_HOUR
    no_off = valid & ~has_off
    clock.rows_without_offset += int(no_off.sum())
    if no_off.any():
        if clock.utc_offset_hours is not None:
            epoch[no_off] = local[no_off] - int(round(clock.utc_offset_hours * _MS_PER_HOUR))
        elif clock.tz is not None:
            epoch[no_off] = _localize(local[no_off], clock)
        else:
            raise TimestampContextError(
                f"this log's time stamps carry no UTC offset {_OLD_LOGS}: give the recording "
                f"PC's with --utc-offset HOURS or --tz ZONE {_FLAGS} or the utc_offset_hours "
                f"or tz parameter {_PARAMETERS}"
            )
    epoch[~valid] = 0
    return epoch.astype(np.int64), valid


def _local_ms(
    y: np.ndarray,
    mo: np.ndarray,
    d: np.ndarray,
    h: np.ndarray,
    mi: np.ndarray,
    s: np.ndarray,
    ms: np.ndarray,
) -> np.ndarray:
    """Wall-clock ms since 1970-01-01 of the given dates and times (no zone applied)."""
    return days_from_civil(y, mo, d) * _MS_PER_DAY + h * _MS_PER_HOUR + mi * 60_000 + s * 1000 + ms


def _year_carry(in_base_year: np.ndarray, clock: ClockState) -> np.ndarray:
    """Years to add to ``clock.year`` for each year-less row (rows in file order).

    All rows are read in the base year, so a step from one row to the next is the true step
    modulo a year: a step back of more than :data:`MAX_STEP_BACK_MS` (Dec 31 -> Jan 1) starts
    the next year, a step forward of more than :data:`_NEW_YEAR_STEP_MS` (Jan 1 -> Dec 31,
    seconds apart) returns to the previous one, anything between stays in the year. Looking at
    the month alone read a row stamped a second before midnight after one stamped after it as
    another new year, and put the rest of the log a year late. ``clock`` carries the state to
    the next chunk.
    """
    first = clock.prev_local_ms if clock.prev_local_ms is not None else in_base_year[0]
    step = np.diff(in_base_year, prepend=first)
    turns = (step < -MAX_STEP_BACK_MS).astype(np.int64) - (step > _NEW_YEAR_STEP_MS)
    carry = clock.year_carry + np.cumsum(turns)
    clock.prev_local_ms = int(in_base_year[-1])
    clock.year_carry = int(carry[-1])
    return carry


def _localize(local_ms: np.ndarray, clock: ClockState) -> np.ndarray:
    """Wall-clock ms in ``clock.tz`` -> UTC ms (rows in file order).

    When clocks go back, an hour of wall-clock times happens twice. Its rows are read as summer
    time until the wall clock steps back into the hour (:data:`_FOLD_STEP_BACK_MS`), then as
    standard time, so a raid through that night keeps its order and length.
    """
    import pandas as pd

    def utc_ms(aware: pd.DatetimeIndex) -> np.ndarray:
        return np.array(aware.tz_convert("UTC").tz_localize(None).as_unit("ms").asi8)

    idx = pd.DatetimeIndex(pd.to_datetime(local_ms, unit="ms"))
    aware = idx.tz_localize(clock.tz, ambiguous="NaT", nonexistent="shift_forward")
    epoch = utc_ms(aware)
    repeated = np.flatnonzero(np.asarray(aware.isna()))  # only ambiguous times become NaT
    if len(repeated):
        summer = ~_second_pass(local_ms[repeated], clock)
        again = idx[repeated].tz_localize(clock.tz, ambiguous=summer)
        epoch[repeated] = utc_ms(again)
    return epoch


def _second_pass(repeated_ms: np.ndarray, clock: ClockState) -> np.ndarray:
    """For rows in a repeated hour (local ms, file order): whether each is in its second pass.

    A pass ends where the wall clock steps back by more than :data:`_FOLD_STEP_BACK_MS` below
    the latest time of the hour so far; ``clock`` carries that hour's state to the next chunk.
    """
    second = np.zeros(len(repeated_ms), dtype=bool)
    days = repeated_ms // _MS_PER_DAY
    for day in np.unique(days):  # one repeated hour a night: one or two days a chunk at most
        rows = np.flatnonzero(days == day)
        if clock.fold_day != int(day):
            clock.fold_day, clock.fold_latest_ms, clock.fold_second_pass = int(day), 0, False
        times = repeated_ms[rows]
        latest = np.maximum.accumulate(np.concatenate([[clock.fold_latest_ms], times]))[:-1]
        stepped_back = np.logical_or.accumulate(times < latest - _FOLD_STEP_BACK_MS)
        second[rows] = stepped_back | clock.fold_second_pass
        clock.fold_latest_ms = int(max(clock.fold_latest_ms, times.max()))
        clock.fold_second_pass = bool(second[rows][-1])
    return second
