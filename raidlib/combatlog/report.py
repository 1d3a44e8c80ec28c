"""What an import saw: counts per event name, malformed lines, and everything left out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_MALFORMED_KEPT = 10_000


@dataclass
class ParseReport:
    """Filled while a log streams through :func:`~raidlib.combatlog.parse_log`.

    Nothing vanishes silently: every non-blank line is either counted under its event name or
    listed in ``malformed`` (line number + reason; the first ``MAX_MALFORMED_KEPT`` are kept,
    ``malformed_count`` counts all). ``skipped`` counts rows that parsed but were deliberately
    not turned into raidlib events, by reason.
    """

    lines_total: int = 0
    blank_lines: int = 0
    events: Counter[str] = field(default_factory=Counter)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    malformed_count: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    emitted: Counter[str] = field(default_factory=Counter)
    versions: list[dict[str, Any]] = field(default_factory=list)

    def add_malformed(self, line: int, reason: str) -> None:
        self.malformed_count += 1
        if len(self.malformed) < MAX_MALFORMED_KEPT:
            self.malformed.append((int(line), reason))

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] += int(n)

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly digest (for logs and the CLI)."""
        return {
            "lines_total": self.lines_total,
            "blank_lines": self.blank_lines,
            "events": dict(self.events.most_common()),
            "malformed_count": self.malformed_count,
            "malformed_first": self.malformed[:20],
            "skipped": dict(self.skipped),
            "emitted": dict(self.emitted),
            "versions": self.versions,
        }
