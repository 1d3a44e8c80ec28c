"""Field layouts of the unit events raidlib maps, per COMBAT_LOG_VERSION (COMBATLOG-FORMAT §3–§5, §10).

Indices count the event name as field 0. A unit event is ``prefix`` fields (header + spell
triple), then the optional advanced block, then the suffix. The block's width depends on the
version (13 in v4, 16 in v9/Classic, 17 in v18–v21, 19 in v22+) and is 0 when the client wrote
no block; the suffix of damage rows may end with a v22 ``AOE``/``ST`` tag. The block width is
therefore *derived per row* from the field count, checked against the version of the nearest
header above the row when there is one, so logs with and without advanced logging, slices
without a header, and files that older clients kept appending to across patches (a v21 night,
then a v22 header and night in the same file) parse.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

BLOCK_WIDTHS = (13, 16, 17, 19)
"""Advanced block widths by version: up to v8, v9–v17 (and Classic), v18–v21, v22 and later."""

NAME_FIELDS = (2, 6, 10)
"""Fields that are quoted names (source, dest, spell) and may hold commas."""


NO_VERSION = 0
"""Version of a row with no header above it (a slice cut out of a longer log)."""


def versions_at(
    line_numbers: np.ndarray, header_lines: list[int], header_versions: list[int]
) -> np.ndarray:
    """COMBAT_LOG_VERSION in force on each line: that of the nearest header above it.

    A header is rewritten on every /reload or logging restart, and a file a client kept
    appending to across a patch holds several versions; :data:`NO_VERSION` before the first.
    ``header_lines`` must be increasing.
    """
    if not header_lines:
        return np.full(len(line_numbers), NO_VERSION, np.int64)
    pos = np.searchsorted(np.asarray(header_lines, np.int64), line_numbers, side="right") - 1
    known = np.asarray(header_versions, np.int64)[np.clip(pos, 0, None)]
    return np.where(pos >= 0, known, NO_VERSION)


def block_widths_for_versions(versions: np.ndarray) -> np.ndarray:
    """The advanced block width each version implies (0 for :data:`NO_VERSION`)."""
    to_v8, to_v17, to_v21, from_v22 = BLOCK_WIDTHS
    return np.select(
        [versions == NO_VERSION, versions <= 8, versions <= 17, versions <= 21],
        [0, to_v8, to_v17, to_v21],
        from_v22,
    )


@dataclass(frozen=True)
class Suffix:
    """Offsets inside one suffix layout; -1 = not present."""

    width: int
    amount: int = -1
    over: int = -1  # overkill (damage), overhealing (heal), overEnergize (energize)
    school: int = -1
    resisted: int = -1
    blocked: int = -1
    absorbed: int = -1
    critical: int = -1
    power_type: int = -1

    def after_one_field(self) -> Suffix:
        """The same layout behind one more leading field (every offset and the width + 1)."""
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        return Suffix(**{k: v + 1 if v >= 0 else v for k, v in moved.items()})


SUFFIXES: dict[tuple[str, bool], Suffix] = {
    # (kind, legacy v4 layout) -> suffix
    ("damage", False): Suffix(10, 0, 2, 3, 4, 5, 6, 7),
    ("damage", True): Suffix(9, 0, 1, 2, 3, 4, 5, 6),
    ("heal", False): Suffix(5, amount=0, over=2, absorbed=3, critical=4),
    ("heal", True): Suffix(4, amount=0, over=1, absorbed=2, critical=3),
    ("energize", False): Suffix(4, amount=0, over=1, power_type=2),
    ("energize", True): Suffix(4, amount=0, over=1, power_type=2),
    ("cast", False): Suffix(0),
    ("cast", True): Suffix(0),
}
# ENVIRONMENTAL_DAMAGE: environmentalType (Falling, Lava …), then the damage suffix
for _legacy in (False, True):
    SUFFIXES[("environmental", _legacy)] = SUFFIXES[("damage", _legacy)].after_one_field()

# event name -> (kind, prefix width)
UNIT_EVENTS: dict[str, tuple[str, int]] = {
    "SPELL_DAMAGE": ("damage", 12),
    "SPELL_PERIODIC_DAMAGE": ("damage", 12),
    "RANGE_DAMAGE": ("damage", 12),
    "SWING_DAMAGE": ("damage", 9),
    "SPELL_HEAL": ("heal", 12),
    "SPELL_PERIODIC_HEAL": ("heal", 12),
    "SPELL_ENERGIZE": ("energize", 12),
    "SPELL_PERIODIC_ENERGIZE": ("energize", 12),
    "SPELL_CAST_SUCCESS": ("cast", 12),
    "ENVIRONMENTAL_DAMAGE": ("environmental", 9),
}

GUID_REGEX = r"^(?:[A-Z][A-Za-z]*(?:-[0-9A-Fa-f]+)+|0x[0-9A-Fa-f]{16}|0{16})$"
"""A unit GUID as the advanced block's first field (infoGUID) holds it (COMBATLOG-FORMAT §4,
§7): ``Player-1403-0ACA162B``, ``Creature-0-3061-…-0000139B0F``, a pre-6.0 ``0xF13000…``, or
``0000000000000000`` (no unit; advanced logging off). A row whose field count fits a layout but
whose block starts with anything else (``1``, ``nil``) is misaligned, not a row to read."""

# Offsets inside the advanced block, by block width.
BLOCK_CURRENT_POWER = {13: 7, 16: 8, 17: 9, 19: 11}


def resolve_blocks(
    kind: str, prefix: int, n: np.ndarray, tagged: np.ndarray, versions: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: advanced block width, legacy (v4) suffix flag, and validity.

    Args:
        kind: damage, heal, energize or cast.
        prefix: fields before the block (event name included).
        n: field count per row (event name included).
        tagged: whether the row's last field is an ``AOE``/``ST`` tag (damage only).
        versions: each row's COMBAT_LOG_VERSION (:func:`versions_at`); a row under no header
            (:data:`NO_VERSION`) takes whichever known layout its field count fits.
    """
    modern = SUFFIXES[(kind, False)].width
    legacy_w = SUFFIXES[(kind, True)].width
    tag = tagged.astype(np.int64)
    b_modern = n - prefix - modern - tag
    b_legacy = n - prefix - legacy_w
    expected = block_widths_for_versions(versions)
    known = expected > 0
    ok_modern = np.isin(b_modern, (0, 16, 17, 19))
    ok_legacy = b_legacy == 13
    legacy = np.where(known, expected == 13, ~ok_modern & ok_legacy)
    block = np.where(legacy, b_legacy, b_modern)
    valid = np.where(known, (block == 0) | (block == expected), ok_modern | ok_legacy)
    return block, legacy, valid
