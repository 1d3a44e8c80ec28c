"""Roster: composition, real class/spec/role pairs, JSON persistence, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from raidlib.generator import Roster, role_counts
from raidlib.generator.specs import DAMAGE_ABILITIES, HEAL_ABILITIES, SPECS
from raidlib.schemas.events import ABILITY_SCHOOLS, PLAYER_CLASSES, RESOURCE_TYPES


def test_specs_cover_the_thirteen_classes_with_real_roles() -> None:
    assert {s.player_class for s in SPECS} == set(PLAYER_CLASSES)
    assert set(DAMAGE_ABILITIES) == set(PLAYER_CLASSES)
    healers = {s.player_class for s in SPECS if s.role == "healer"}
    assert (
        healers == set(HEAL_ABILITIES) == {"paladin", "priest", "shaman", "druid", "monk", "evoker"}
    )
    tanks = {s.player_class for s in SPECS if s.role == "tank"}
    assert tanks == {"warrior", "paladin", "druid", "death_knight", "monk", "demon_hunter"}
    assert {s.resource for s in SPECS} <= set(RESOURCE_TYPES)
    abilities = [
        a for table in (DAMAGE_ABILITIES, HEAL_ABILITIES) for t in table.values() for a in t
    ]
    assert {a.school for a in abilities} <= set(ABILITY_SCHOOLS)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(20, {"tank": 2, "healer": 4, "dps": 14}), (10, {"tank": 2, "healer": 2, "dps": 6}),
     (5, {"tank": 1, "healer": 1, "dps": 3}), (2, {"tank": 1, "healer": 1, "dps": 0}),
     (1, {"tank": 1, "healer": 0, "dps": 0})],
)  # fmt: skip
def test_role_counts(n: int, expected: dict[str, int]) -> None:
    assert role_counts(n) == expected


def test_create_is_deterministic_and_unique() -> None:
    a, b = Roster.create(25, seed=4), Roster.create(25, seed=4)
    assert a == b
    assert a != Roster.create(25, seed=5)
    ids = [p.player_id for p in a.players]
    names = [p.player_name for p in a.players]
    assert len(set(ids)) == len(set(names)) == 25
    assert all(p.player_id.startswith("Player-") for p in a.players)
    assert all(1 <= len(p.player_name) <= 64 for p in a.players)
    roles = [p.player_role for p in a.players]
    assert roles.count("tank") == 2 and roles.count("healer") == 5
    for p in a.players:
        assert p.spec.role == p.player_role  # a real spec of that class, for that role


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    roster = Roster.create(12, seed=3, name="Knights of the Ember")
    path = tmp_path / "nested" / "roster.json"
    roster.save(path)
    loaded = Roster.load(path)
    assert loaded == roster and loaded.name == "Knights of the Ember"
    body = json.loads(path.read_text())
    assert body["format_version"] == 1 and len(body["players"]) == 12
    assert Roster.load_or_create(path, 99, seed=0) == roster  # existing file wins


def test_load_or_create_persists(tmp_path: Path) -> None:
    path = tmp_path / "roster.json"
    first = Roster.load_or_create(path, 10, seed=1)
    assert path.exists()
    assert Roster.load_or_create(path, 10, seed=2) == first


def test_load_rejects_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "roster.json"
    body = json.loads(Roster.create(3, seed=1).to_json())
    body["players"][0]["player_spec"] = "beast_mastery"
    body["players"][0]["player_class"] = "mage"
    path.write_text(json.dumps(body))
    with pytest.raises(ValueError, match="roster player 0: mage has no spec 'beast_mastery'"):
        Roster.load(path)
    body["format_version"] = 99
    path.write_text(json.dumps(body))
    with pytest.raises(ValueError, match="format_version"):
        Roster.load(path)


def test_pick_team_keeps_small_rosters_whole() -> None:
    roster = Roster.create(8, seed=1)
    assert roster.pick_team(20, np.random.default_rng(0)) == roster.players
    frame = roster.frame()
    assert list(frame.columns) == [
        "player_id", "player_name", "player_class", "player_spec", "player_role",
        "player_level", "skill",
    ]  # fmt: skip
    assert len(frame) == 8
