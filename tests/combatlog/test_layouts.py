"""Advanced-block layouts are chosen per row, by the nearest COMBAT_LOG_VERSION header above it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from raidlib.combatlog import import_events
from raidlib.combatlog.layouts import NO_VERSION, versions_at

from .conftest import ALICE, BOSS, HDR21, HDR22, LOOM, block17, block19, unit, write_log

HIT = unit(ALICE, "Alice-Realm-EU", BOSS, LOOM)
# Rows the importer counts but does not map: enough of them (~150 kB) to put a header and the
# rows below it in different chunks when chunks are 64 kB.
FILLER = [
    f'SPELL_AURA_APPLIED,{HIT},1459,"Arcane Intellect {i:05d}",0x40,BUFF' for i in range(1000)
]


def _pull(stamp: str, header: str, damage: str) -> list[str]:
    """A header, filler, then a pull holding one SPELL_DAMAGE row."""
    start = f'ENCOUNTER_START,3131,"{LOOM}",15,20,2810'
    end = f'ENCOUNTER_END,3131,"{LOOM}",15,20,1,2000'
    return [f"{stamp}  {row}" for row in (header, *FILLER, start, damage, end)]


# 12 + 17-field block + 10-field suffix = 39 fields (v21); 12 + 19 + 10 + AOE tag = 42 (v22)
V21 = _pull(
    "10/2/2024 17:34:00.153-7",
    HDR21,
    f'SPELL_DAMAGE,{HIT},133,"Fireball",0x4,{block17(BOSS)},500,550,-1,4,0,0,0,nil,nil,nil',
)
V22_STAMP = "11/2/2024 17:34:00.153-7"
V22 = _pull(
    V22_STAMP,
    HDR22,
    f'SPELL_DAMAGE,{HIT},133,"Fireball",0x4,{block19(BOSS)},700,750,-1,4,0,0,0,nil,nil,nil,AOE',
)


@pytest.mark.parametrize(("first", "second"), [(V21, V22), (V22, V21)], ids=["21-22", "22-21"])
@pytest.mark.parametrize("chunk_bytes", [None, 1 << 16], ids=["one-chunk", "64k-chunks"])
def test_each_row_is_read_with_the_version_of_its_own_header(
    tmp_path: Path, first: list[str], second: list[str], chunk_bytes: int | None
) -> None:
    path = write_log(tmp_path / "WoWCombatLog.txt", first + second)
    batches, report = import_events(path, chunk_bytes=chunk_bytes)
    events = [e for batch in batches for e in batch]
    assert report.malformed_count == 0, report.malformed
    damage = [e["damage_amount"] for e in events if e["event_type"] == "combat_damage"]
    in_order = [(500.0, 21), (700.0, 22)] if first is V21 else [(700.0, 22), (500.0, 21)]
    assert damage == [amount for amount, _ in in_order]
    assert [v["version"] for v in report.versions] == [version for _, version in in_order]


def test_a_v22_row_under_a_v21_header_is_malformed(tmp_path: Path) -> None:
    """The header, not the field count alone, decides: 42 fields under v21 are an error."""
    mixed = V21[:-2] + [V22[-2], V21[-1]]
    batches, report = import_events(write_log(tmp_path / "WoWCombatLog.txt", mixed))
    assert not [e for batch in batches for e in batch if e["event_type"] == "combat_damage"]
    assert report.malformed == [(len(mixed) - 1, "SPELL_DAMAGE: unexpected field count 42")]


def test_versions_at_takes_the_nearest_header_above() -> None:
    lines = np.array([1, 2, 5, 9, 10, 12])
    got = versions_at(lines, [2, 10], [21, 22])
    assert got.tolist() == [NO_VERSION, 21, 21, 21, 22, 22]
    assert versions_at(lines, [], []).tolist() == [NO_VERSION] * 6


@pytest.mark.parametrize(
    ("first", "read"),
    [
        (BOSS, True),
        ("Player-1403-0000000A", True),
        ("0xF130008061003BD7", True),  # a pre-6.0 GUID
        ("0000000000000000", True),  # advanced logging off: zero-filled block
        ("nil", False),
        ("1", False),
        ("Loom'ithar", False),
    ],
)
def test_an_advanced_block_must_start_with_a_guid(tmp_path: Path, first: str, read: bool) -> None:
    block = block19(BOSS).replace(BOSS, first, 1)
    row = f'SPELL_DAMAGE,{HIT},133,"Fireball",0x4,{block},700,750,-1,4,0,0,0,nil,nil,nil,AOE'
    path = write_log(tmp_path / "WoWCombatLog.txt", V22[:-2] + [f"{V22_STAMP}  {row}", V22[-1]])
    batches, report = import_events(path)
    damage = [e["damage_amount"] for batch in batches for e in batch if "damage_amount" in e]
    assert damage == ([700.0] if read else [])
    if not read:
        assert report.malformed == [
            (
                len(V22) - 1,
                f"SPELL_DAMAGE: 42 fields, but the advanced block starts with {first!r}, not a GUID",
            )
        ]
