"""What an import saw: counts per event name, malformed lines, and everything left out."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_MALFORMED_KEPT = 10_000


def by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    """``(name, n)`` pairs, most first, ties by name: one order for every report table."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass
class ParseReport:
    """Filled while a log streams through :func:`~raidlib.combatlog.parse_log`.

    Nothing vanishes silently: every non-blank line is either counted under its event name or
    listed in ``malformed`` (line number + reason; the first ``MAX_MALFORMED_KEPT`` are kept,
    ``malformed_count`` counts all). ``skipped`` counts rows of mapped kinds that were
    deliberately not turned into raidlib events, by reason; ``not_mapped`` counts the rows of
    the kinds raidlib has no event for (auras, misses, interrupts …), by name;
    ``used_for_attribution`` the rows read only for players' specs and pets' owners
    (``COMBATANT_INFO``, ``SPELL_SUMMON``, ``SPELL_CREATE``). ``not_utf8_count`` counts the lines whose bytes
    were not UTF-8 (read with U+FFFD in their place; the first line numbers in
    ``not_utf8_lines``): the client writes UTF-8, so names on those lines may be garbled.
    """

    lines_total: int = 0
    blank_lines: int = 0
    events: Counter[str] = field(default_factory=Counter)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    malformed_count: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    not_mapped: Counter[str] = field(default_factory=Counter)
    used_for_attribution: Counter[str] = field(default_factory=Counter)
    emitted: Counter[str] = field(default_factory=Counter)
    versions: list[dict[str, Any]] = field(default_factory=list)
    not_utf8_count: int = 0
    not_utf8_lines: list[int] = field(default_factory=list)
    unused_clock_options: list[str] = field(default_factory=list)

    def add_not_utf8(self, lines: Iterable[int]) -> None:
        for line in lines:
            self.not_utf8_count += 1
            if len(self.not_utf8_lines) < MAX_MALFORMED_KEPT:
                self.not_utf8_lines.append(int(line))

    def not_utf8_hint(self, first: int = 5) -> str | None:
        """What the lines that were not UTF-8 mean and what to do (None when there were none)."""
        if not self.not_utf8_count:
            return None
        lines = ", ".join(str(n) for n in self.not_utf8_lines[:first])
        more = " …" if self.not_utf8_count > first else ""
        return (
            f"{self.not_utf8_count:,} line(s) held bytes that are not UTF-8 (line {lines}{more}); "
            "they were read with U+FFFD in their place, so names there may be garbled. The "
            "client writes UTF-8: the file was probably re-saved in another encoding "
            "(Windows-1252, Latin-1); import the original, or convert it back to UTF-8."
        )

    def unused_clock_hint(self) -> str | None:
        """Why a year, UTC offset or time zone given for the import changed nothing (None when
        each given one was used)."""
        if not self.unused_clock_options:
            return None
        return (
            f"{' and '.join(self.unused_clock_options)} given but not used: every time stamp "
            "of this log carries its own year and UTC offset (logs from 11.0.2 on)"
        )

    def add_malformed(self, line: int, reason: str) -> None:
        """Count a malformed line; ``malformed`` keeps the first ones in file order (a chunk's
        bad lines arrive grouped by kind, not in order)."""
        self.malformed_count += 1
        entry = (int(line), reason)
        if len(self.malformed) < MAX_MALFORMED_KEPT or entry < self.malformed[-1]:
            bisect.insort(self.malformed, entry)
            del self.malformed[MAX_MALFORMED_KEPT:]

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] += int(n)

    def not_mapped_rows(self, top: int | None = None) -> list[tuple[str, int]]:
        """``not_mapped`` by count (ties by name); beyond ``top`` names, one row sums the rest."""
        rows = by_count(self.not_mapped)
        if top is None or len(rows) <= top:
            return rows
        rest = rows[top:]
        return [*rows[:top], (f"{len(rest)} other kinds", sum(n for _, n in rest))]

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly digest (for logs and the CLI)."""
        return {
            "lines_total": self.lines_total,
            "blank_lines": self.blank_lines,
            "events": dict(self.events.most_common()),
            "malformed_count": self.malformed_count,
            "malformed_first": self.malformed[:20],
            "skipped": dict(self.skipped),
            "not_mapped": dict(self.not_mapped_rows()),
            "used_for_attribution": dict(by_count(self.used_for_attribution)),
            "emitted": dict(self.emitted),
            "versions": self.versions,
            "not_utf8_count": self.not_utf8_count,
            "not_utf8_first": self.not_utf8_lines[:20],
        }
