"""What a combat log import did: its counts, the pulls it carried, and an age warning.

:func:`raidlib.combatlog.delivery.import_log` fills an :class:`ImportResult`; the CLI, the
Prefect task and the console report read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from raidlib.combatlog.report import ParseReport


@dataclass
class EncounterLog:
    """Pulls seen in the delivered events (from their ENCOUNTER_START/END ``boss_phase``)."""

    pulls: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def observe(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event.get("event_type") != "boss_phase" or "encounter_id" not in event:
                continue
            key = (event["raid_id"], event["encounter_id"])
            pull = self.pulls.setdefault(
                key,
                {
                    "raid_id": key[0],
                    "encounter_id": key[1],
                    "boss": event.get("source_player_name"),
                    "difficulty": event.get("difficulty"),
                    "start": event.get("timestamp"),
                    "outcome": "unknown",
                    "duration_s": None,
                },
            )
            if event.get("ability_name") == "ENCOUNTER_START":
                pull["boss"] = event.get("source_player_name") or pull["boss"]
                pull["start"] = event.get("timestamp")
            if "encounter_success" in event:
                pull["outcome"] = "kill" if event["encounter_success"] else "wipe"
                if event.get("encounter_duration_ms") is not None:
                    pull["duration_s"] = round(event["encounter_duration_ms"] / 1000, 1)

    def frame(self) -> pd.DataFrame:
        """raid_id, encounter_id, boss, difficulty, start, outcome (kill/wipe/unknown),
        duration_s (fightTime; null without ENCOUNTER_END), in order of appearance."""
        columns = ["raid_id", "encounter_id", "boss", "difficulty", "start", "outcome"]
        return pd.DataFrame(list(self.pulls.values()), columns=[*columns, "duration_s"])


@dataclass
class ImportResult:
    """What an import did: parse report, pulls, delivery counts and where events went."""

    path: str
    destination: str
    report: ParseReport
    encounters: pd.DataFrame
    raid_ids: list[str] = field(default_factory=list)
    batches: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    failed: int = 0
    events: int = 0
    events_landed: int = 0
    first_error: str | None = None
    bytes_total: int = 0
    seconds: float = 0.0
    earliest_event: datetime | None = None

    @property
    def ok(self) -> bool:
        """Every batch landed or was already there (malformed *lines* do not count here)."""
        return self.rejected == 0 and self.failed == 0

    def counts(self) -> dict[str, Any]:
        """JSON-friendly headline numbers (flow return value, artifacts)."""
        r = self.report
        return {
            "path": self.path,
            "destination": self.destination,
            "raid_ids": ", ".join(self.raid_ids),
            "lines": r.lines_total,
            "blank_lines": r.blank_lines,
            "malformed_lines": r.malformed_count,
            "not_utf8_lines": r.not_utf8_count,
            "events": self.events,
            "batches": self.batches,
            "batches_landed": self.accepted,
            "batches_duplicate": self.duplicate,
            "batches_rejected": self.rejected,
            "batches_failed": self.failed,
            "events_landed": self.events_landed,
            "pulls": len(self.encounters),
            "seconds": round(self.seconds, 2),
            "lines_per_s": round(r.lines_total / self.seconds) if self.seconds else None,
            "first_error": self.first_error,
        }

    def malformed(self, limit: int = 20) -> list[dict[str, Any]]:
        return [{"line": n, "reason": why} for n, why in self.report.malformed[:limit]]


def event_time(event: dict[str, Any]) -> datetime | None:
    """An event's time stamp as an aware datetime (UTC when it carries no offset), or None."""
    try:
        when = datetime.fromisoformat(str(event.get("timestamp")))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def age_limit_warning(
    result: ImportResult, max_event_age_days: float, now: datetime | None = None
) -> str | None:
    """Why silver will quarantine (part of) this import as too old, and which setting to raise.

    Silver quarantines events more than ``RAIDLIB_MAX_EVENT_AGE_DAYS`` before their ingest time
    (``timestamp_too_old``); a log from years ago lands in bronze fine and would otherwise only
    show up as an empty silver.
    """
    if result.earliest_event is None or result.accepted + result.duplicate == 0:
        return None
    age_days = ((now or datetime.now(UTC)) - result.earliest_event).total_seconds() / 86_400
    if age_days <= max_event_age_days:
        return None
    return (
        f"this log starts on {result.earliest_event:%Y-%m-%d}, {age_days:,.0f} days ago: silver "
        f"quarantines events more than {max_event_age_days:,.0f} days older than their ingest "
        f"time (timestamp_too_old). Set RAIDLIB_MAX_EVENT_AGE_DAYS={math.ceil(age_days) + 1} "
        "(or more) before building silver (silver already built from it: README, "
        "Upgrading and reprocessing)."
    )
