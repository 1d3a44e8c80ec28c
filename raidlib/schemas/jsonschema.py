"""The JSON Schema of one raid event, generated from the Pydantic models (CONTRACT §1).

The schema ships with the package as ``event.schema.json`` next to this module, for producers
that validate before they send. It is generated, never edited by hand::

    python -m raidlib.schemas.jsonschema           # rewrite event.schema.json from the models
    python -m raidlib.schemas.jsonschema --check   # exit 1 when the file is out of date

The models remain the authority: the schema describes the wire form a producer sends
(validation mode), but cannot express the server-side rules that need a clock (the allowed
clock skew of ``timestamp``) and does not trim strings before checking them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from raidlib.schemas.events import EventAdapter

SCHEMA_PATH = Path(__file__).with_name("event.schema.json")
SCHEMA_ID = "urn:raidlib:schemas:event:v1"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
REGENERATE_COMMAND = "python -m raidlib.schemas.jsonschema"


def build_event_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one event, as Pydantic derives it from the models.

    Returns:
        A fresh dict: ``oneOf`` the six event types with an ``event_type`` discriminator, their
        definitions under ``$defs``, plus ``$schema``, ``$id``, ``title`` and ``description``.
    """
    schema: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "raidlib raid event",
        "description": (
            "One World of Warcraft raid telemetry event (raidlib CONTRACT §1). event_type "
            "selects the rules; unknown keys are rejected. Generated from raidlib's Pydantic "
            f"models by `{REGENERATE_COMMAND}`; do not edit."
        ),
    }
    schema.update(EventAdapter.json_schema(mode="validation"))
    return schema


def render_event_json_schema() -> str:
    """The schema file's exact text: sorted keys, 2-space indent, trailing newline."""
    return (
        json.dumps(build_event_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def main(argv: list[str] | None = None, path: Path = SCHEMA_PATH) -> int:
    """Write the schema file, or with ``--check`` report whether it matches the models.

    Returns:
        The process exit status: 0 when written or up to date, 1 when ``--check`` finds drift.
    """
    parser = argparse.ArgumentParser(
        prog=REGENERATE_COMMAND, description="Generate the raid event JSON Schema file."
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 when the file differs from the models",
    )
    args = parser.parse_args(argv)

    expected = render_event_json_schema()
    if args.check:
        actual = path.read_text(encoding="utf-8") if path.exists() else None
        if actual == expected:
            print(f"{path.name} is up to date")
            return 0
        state = "is missing" if actual is None else "differs from the event models"
        print(f"{path} {state}; regenerate it with `{REGENERATE_COMMAND}`", file=sys.stderr)
        return 1
    path.write_text(expected, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
