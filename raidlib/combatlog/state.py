"""The combat log parser's working data: the chunk it is reading (:class:`DatedLines`) and what
it learns as it reads, in line order (pulls, combatants, pet owners, headers). The latter is
kept across chunks, so a chunk's rows are read with everything the lines above it said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from raidlib.combatlog.tables import DIFFICULTIES


class DatedLines(NamedTuple):
    """One chunk's lines with what the first pass read from every line's head."""

    lines: pa.StringArray
    numbers: np.ndarray
    """1-based line numbers in the file."""
    events: pa.Array
    """The event name (null where the line has no ``<timestamp>  EVENT,`` head)."""
    ts_ms: np.ndarray
    """UTC epoch ms, for the rows the parser keeps whose timestamp could be read."""


@dataclass
class Encounter:
    """One pull (ENCOUNTER_START .. ENCOUNTER_END) as the parser saw it."""

    index: int
    game_id: int
    name: str
    difficulty_id: int
    group_size: int | None
    instance_id: int | None
    pull: int
    start_line: int
    start_ms: int
    end_line: int | None = None
    end_ms: int | None = None
    success: bool | None = None
    fight_time_ms: int | None = None
    boss_guid: str | None = None
    boss_first_line: int | None = None

    @property
    def encounter_id(self) -> str:
        """raidlib's encounter id: ``<encounterId>-<pull number within the night>``."""
        return f"{self.game_id}-{self.pull}"

    @property
    def difficulty(self) -> str | None:
        return DIFFICULTIES.get(self.difficulty_id)

    @property
    def short_name(self) -> str:
        """The boss unit's usual name: the part before a comma ("Dimensius, the ...")."""
        return self.name.split(",", 1)[0].strip()


@dataclass
class Combatant:
    """A player as COMBATANT_INFO describes them at a pull's start: spec, class and role."""

    guid: str
    spec_id: int | None
    player_class: str | None
    role: str | None


@dataclass
class ParserState:
    """Everything a later chunk needs from the lines above it."""

    header_lines: list[int] = field(default_factory=list)  # COMBAT_LOG_VERSION rows, in order
    header_versions: list[int] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    open_encounter: Encounter | None = None
    pulls: dict[int, int] = field(default_factory=dict)
    combatants: dict[str, Combatant] = field(default_factory=dict)
    owners: dict[str, tuple[str, int]] = field(default_factory=dict)
    player_names: dict[str, str] = field(default_factory=dict)
    first_ms: int | None = None

    def link_owner(self, unit: str, owner: str, line: int) -> None:
        """Record that ``owner`` owns ``unit``, as seen on ``line``. The earliest sighting wins
        whatever order a chunk's rows are examined in (its SPELL_SUMMON rows are read before
        its damage rows), so attribution does not depend on where chunks are cut."""
        known = self.owners.get(unit)
        if known is None or line < known[1]:
            self.owners[unit] = (owner, line)
