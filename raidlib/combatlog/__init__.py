"""Import World of Warcraft client combat logs (``WoWCombatLog*.txt``) as raidlib events.

Format notes: ``COMBATLOG-FORMAT.md`` (shared docs). Entry points:

* :func:`parse_log` — stream a log (plain or gzip) as :class:`ParsedChunk` columnar chunks;
* :func:`import_events` — batches of wire events (``list[dict]``) plus a :class:`ParseReport`;
* :func:`iter_event_frames` / :func:`to_wire_events` — the same as pandas frames;
* :func:`encounters` — one row per pull;
* :func:`tokenize` — the quote- and bracket-aware field splitter.

The damage and healing definitions are documented in :mod:`raidlib.combatlog.mapping`.
"""

from __future__ import annotations

from raidlib.combatlog.mapping import (
    chunk_to_frame,
    encounters,
    import_events,
    iter_event_frames,
    raid_slug,
    to_wire_events,
)
from raidlib.combatlog.parser import ParsedChunk, parse_log
from raidlib.combatlog.reader import UnreadableLogError
from raidlib.combatlog.report import ParseReport
from raidlib.combatlog.state import Combatant, Encounter
from raidlib.combatlog.timestamps import TimestampContextError
from raidlib.combatlog.tokenize import split_fields, tokenize
from raidlib.combatlog.unit_events import (
    COUNT_ABSORBED_AS_DAMAGE,
    effective_damage,
    effective_healing,
)

__all__ = [
    "COUNT_ABSORBED_AS_DAMAGE",
    "Combatant",
    "Encounter",
    "ParseReport",
    "ParsedChunk",
    "TimestampContextError",
    "UnreadableLogError",
    "chunk_to_frame",
    "effective_damage",
    "effective_healing",
    "encounters",
    "import_events",
    "iter_event_frames",
    "parse_log",
    "raid_slug",
    "split_fields",
    "to_wire_events",
    "tokenize",
]
