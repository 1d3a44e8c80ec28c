"""The shipped ``event.schema.json`` matches the models, and the generator's CLI behaves."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from raidlib.schemas.events import EVENT_FIELDS, EVENT_TYPES, RAID_ID_PATTERN
from raidlib.schemas.jsonschema import (
    REGENERATE_COMMAND,
    SCHEMA_PATH,
    build_event_json_schema,
    main,
    render_event_json_schema,
)
from raidlib.schemas.validation import validate_events

from .strategies import NOW, valid_events

SCHEMAS = settings.get_profile("schemas")


def _shipped_schema() -> dict[str, Any]:
    text = resources.files("raidlib.schemas").joinpath("event.schema.json").read_text("utf-8")
    return json.loads(text)


def test_shipped_schema_matches_the_models() -> None:
    assert _shipped_schema() == build_event_json_schema(), (
        f"event.schema.json is out of date; regenerate it with `{REGENERATE_COMMAND}`"
    )


def test_shipped_file_is_exactly_what_the_generator_writes() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_event_json_schema()


def test_schema_has_identity_and_covers_every_type() -> None:
    schema = build_event_json_schema()
    assert schema["$id"] and schema["title"] and schema["description"]
    assert schema["discriminator"]["propertyName"] == "event_type"
    assert sorted(schema["discriminator"]["mapping"]) == sorted(EVENT_TYPES)
    for definition in schema["$defs"].values():
        if "event_type" not in definition.get("properties", {}):
            continue
        assert definition["additionalProperties"] is False
        assert set(definition["properties"]) == set(EVENT_FIELDS)
        assert definition["properties"]["raid_id"]["pattern"] == RAID_ID_PATTERN


def test_schema_states_the_per_type_requirements() -> None:
    defs = build_event_json_schema()["$defs"]
    common = {"event_type", "timestamp", "raid_id", "source_player_id", "source_player_name"}
    expected = {
        "CombatDamageEvent": common | {"damage_amount"},
        "HealEvent": common | {"healing_amount"},
        "PlayerDeathEvent": common | {"target_entity_id", "target_entity_name"},
        "SpellCastEvent": common,
        "BossPhaseEvent": common,
        "ManaRegenerationEvent": common | {"resource_type"},
    }
    assert {name: set(defs[name]["required"]) for name in expected} == expected
    assert defs["CombatDamageEvent"]["properties"]["damage_amount"]["exclusiveMinimum"] == 0


def test_build_returns_a_fresh_dict() -> None:
    first = build_event_json_schema()
    first["title"] = "changed"
    assert build_event_json_schema()["title"] != "changed"


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(_shipped_schema())


@SCHEMAS
@given(raw=valid_events())
def test_every_valid_event_in_canonical_form_conforms_to_the_schema(raw: dict[str, Any]) -> None:
    """What the models accept and dump (trimmed, UTC ISO strings) the schema accepts too."""
    jsonschema = pytest.importorskip("jsonschema")
    (event,) = validate_events([raw], now=NOW)
    canonical = json.loads(event.model_dump_json())
    jsonschema.Draft202012Validator(_VALIDATOR_SCHEMA).validate(canonical)


_VALIDATOR_SCHEMA = build_event_json_schema()


def test_check_passes_on_the_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_write_then_check_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "event.schema.json"
    assert main([], path=target) == 0
    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.splitlines()[1].startswith('  "')  # 2-space indent
    assert json.loads(text) == build_event_json_schema()
    assert list(json.loads(text)) == sorted(json.loads(text))  # sorted keys
    assert main(["--check"], path=target) == 0


@pytest.mark.parametrize("state", ["drifted", "missing"])
def test_check_fails_and_says_how_to_regenerate(
    tmp_path: Path, state: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "event.schema.json"
    stale_text = None
    if state == "drifted":
        stale = build_event_json_schema()
        stale["$defs"]["HealEvent"]["properties"].pop("healing_amount")
        stale_text = json.dumps(stale, indent=2, sort_keys=True) + "\n"
        target.write_text(stale_text, encoding="utf-8")
    assert main(["--check"], path=target) == 1
    assert REGENERATE_COMMAND in capsys.readouterr().err
    if stale_text is not None:
        assert target.read_text(encoding="utf-8") == stale_text  # --check never writes
    else:
        assert not target.exists()


def test_module_entry_point_check_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "raidlib.schemas.jsonschema", "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_schema_takes_unix_seconds_where_the_models_do() -> None:
    """CONTRACT §1: ``timestamp`` is ISO-8601 with an offset, or unix seconds."""
    jsonschema = pytest.importorskip("jsonschema")
    event = {
        "event_type": "spell_cast",
        "timestamp": NOW.timestamp() - 60,
        "raid_id": "raid001",
        "source_player_id": "p-1",
        "source_player_name": "Alice",
    }
    (model,) = validate_events([event], now=NOW)
    assert model.timestamp.timestamp() == event["timestamp"]
    jsonschema.Draft202012Validator(_VALIDATOR_SCHEMA).validate(event)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(_VALIDATOR_SCHEMA).validate({**event, "timestamp": True})
