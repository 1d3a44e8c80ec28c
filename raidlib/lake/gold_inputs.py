"""What each raid's gold was built from: one state file per raid, and a cache of them all.

Each raid's ``<gold_root>/_state/gold_inputs/<raid>.json`` holds the silver fingerprint its gold
was built from and the version of the gold rules that built it; it is written by that raid's
build alone, so builds of different raids never share a file. Planning a gold run compares
every raid's file with its silver, and reading one file per raid made every run, even one with
nothing new, cost one GET per raid ever built (604 at 603 raids on S3: growth audit).

``<gold_root>/_state/gold_inputs_index.json`` caches those files' contents, each with the size
and version (ETag, modification time) that one listing of the folder showed for it. A planner
lists the folder, takes from the cache every file whose listing still matches, reads only the
others, and rewrites the cache. The per-raid files stay the truth: a cache that is missing,
unreadable, stale or written by another version only costs the reads it would have saved.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from raidlib.gold.rules import GOLD_RULES_VERSION
from raidlib.lake.lake import Lake
from raidlib.lake.layout import silver_partition
from raidlib.lake.listing import version_token
from raidlib.lake.parquet import READ_WORKERS
from raidlib.lake.s3 import cat_object
from raidlib.threads import map_in_threads

GOLD_STATE_DIR = "_state/gold_inputs"
GOLD_INPUTS_INDEX = "_state/gold_inputs_index.json"
_INDEX_FORMAT = 1

log = logging.getLogger(__name__)


def _state_path(raid_id: str) -> str:
    silver_partition(raid_id, "2000-01-01")  # validates raid_id as a path component
    return f"{GOLD_STATE_DIR}/{raid_id}.json"


def record_fingerprint(lake: Lake, raid_id: str, fingerprint: dict[str, str]) -> None:
    """Remember what gold was built from, and under which rules (written last, after the gold
    partitions)."""
    recorded = {"gold_rules": GOLD_RULES_VERSION, "silver": fingerprint}
    data = json.dumps(recorded, sort_keys=True, indent=1).encode()
    lake.write_bytes_atomic("gold", _state_path(raid_id), data)


def record_fingerprints(lake: Lake, fingerprints: Mapping[str, dict[str, str]]) -> None:
    """:func:`record_fingerprint` for each raid, then the cache brought up to date with them,
    so that the next plan, finding nothing new, reads and writes nothing more."""
    for raid_id, fingerprint in fingerprints.items():
        record_fingerprint(lake, raid_id, fingerprint)
    if fingerprints:
        recorded_fingerprints(lake, list(fingerprints))


def recorded_fingerprint(lake: Lake, raid_id: str) -> dict[str, str] | None:
    """The silver fingerprint gold was last built from for ``raid_id`` under the current
    :data:`~raidlib.gold.rules.GOLD_RULES_VERSION` (``None``: never built, or built under
    other rules)."""
    return _under_current_rules(_read_state(lake, raid_id))


def recorded_fingerprints(lake: Lake, raid_ids: Sequence[str]) -> list[dict[str, str] | None]:
    """:func:`recorded_fingerprint` of each of ``raid_ids``, reading only the state files the
    cache does not hold as listed now (and updating the cache when it read any)."""
    listed = _listed_states(lake)
    cached = _read_index(lake)
    fresh = {raid: entry for raid, entry in cached.items() if listed.get(raid) == entry["token"]}
    unread = [raid for raid in raid_ids if raid in listed and raid not in fresh]
    # One small GET per state file the cache lacks: they overlap instead of waiting in turn.
    for raid, state in zip(
        unread, map_in_threads(lambda r: _read_state(lake, r), unread, READ_WORKERS), strict=True
    ):
        if state is not None:  # None: removed since the listing
            fresh[raid] = {"token": listed[raid], "state": state}
    if unread or len(fresh) != len(cached):
        _write_index(lake, fresh)
    return [
        _under_current_rules(fresh[raid]["state"]) if raid in fresh else None for raid in raid_ids
    ]


def _read_state(lake: Lake, raid_id: str) -> Any:
    """A raid's state file as JSON (``None`` when there is none, or it is not JSON: a damaged
    or hand-edited file means "rebuild", with a warning naming it, not a failed run)."""
    path = lake.path("gold", _state_path(raid_id))
    try:
        return json.loads(cat_object(lake.fs("gold"), path))
    except FileNotFoundError:  # one GET, answered 404: no ``exists`` first
        return None
    except ValueError as exc:  # UnicodeDecodeError too
        log.warning(
            "%s is not valid JSON (%s): raid %s's gold is rebuilt, which rewrites it",
            lake.url_of("gold", path),
            exc,
            raid_id,
        )
        return None


def _under_current_rules(state: Any) -> dict[str, str] | None:
    # Before versions, the file held the fingerprint alone (version 0).
    if not isinstance(state, dict) or state.get("gold_rules") != GOLD_RULES_VERSION:
        return None
    silver = state.get("silver")  # a hand-edited file or cache entry: rebuild, do not crash
    return silver if isinstance(silver, dict) else None


def _listed_states(lake: Lake) -> dict[str, str]:
    """``{raid: "size:version"}`` of the state files, from one listing of their folder."""
    fs = lake.fs("gold")
    folder = lake.path("gold", GOLD_STATE_DIR)
    fs.invalidate_cache(folder)  # see raidlib.lake.listing: a listing must show others' writes
    try:
        # on_error="raise": fsspec's walk otherwise drops a failed listing (an S3 AccessDenied,
        # a 503) and every raid would read as never built, and be rebuilt (review).
        found = fs.find(folder, maxdepth=1, detail=True, on_error="raise")
    except FileNotFoundError:
        return {}
    tokens = {}
    for path, info in found.items():
        name = path.rstrip("/").rsplit("/", 1)[-1]
        if name.endswith(".json") and not name.startswith((".", "_")):
            tokens[name[: -len(".json")]] = f"{info.get('size')}:{version_token(info)}"
    return tokens


def _read_index(lake: Lake) -> dict[str, dict[str, Any]]:
    """The cache's ``{raid: {"token", "state"}}``; empty when missing or not of this format."""
    try:
        data = json.loads(cat_object(lake.fs("gold"), lake.path("gold", GOLD_INPUTS_INDEX)))
    except FileNotFoundError:
        return {}
    except ValueError:  # not JSON (a hand edit, another tool): read the state files instead
        return {}
    if not isinstance(data, dict) or data.get("format") != _INDEX_FORMAT:
        return {}
    raids = data.get("raids")
    if not isinstance(raids, dict):
        return {}
    return {
        raid: entry
        for raid, entry in raids.items()
        if isinstance(entry, dict) and isinstance(entry.get("token"), str) and "state" in entry
    }


def _write_index(lake: Lake, entries: dict[str, dict[str, Any]]) -> None:
    data = json.dumps({"format": _INDEX_FORMAT, "raids": entries}, sort_keys=True).encode()
    try:
        lake.write_bytes_atomic("gold", GOLD_INPUTS_INDEX, data)
    except OSError as exc:  # a read-only credential may plan: the next planner reads again
        log.warning("could not update %s (%s); gold planning still works", GOLD_INPUTS_INDEX, exc)
