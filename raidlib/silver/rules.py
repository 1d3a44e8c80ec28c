"""Silver checks: split rows into clean and quarantined (with every reason), dropping none.

Each rule is one vectorised boolean column; a row failing any rule goes to quarantine with
``quarantine_reason`` = the codes of all rules it fails, joined by ``"; "`` in :data:`RULES`
order. Reasons are built only for the failing rows, so clean data pays for the masks alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from raidlib.backend import frame_library
from raidlib.backend import null_safe_flag as _flag
from raidlib.schemas.events import (
    ABILITY_SCHOOLS,
    DEFAULT_MAX_CLOCK_SKEW_S,
    DIFFICULTIES,
    EVENT_TYPES,
    PLAYER_CLASSES,
    PLAYER_ROLES,
    RAID_ID_PATTERN,
    RESOURCE_TYPES,
    TARGET_TYPES,
)
from raidlib.schemas.whitespace import WHITESPACE
from raidlib.settings import DEFAULT_MAX_EVENT_AGE_DAYS

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
MAX_AMOUNT = 1e9

ENUMS = {
    "source_player_role": PLAYER_ROLES,
    "source_player_class": PLAYER_CLASSES,
    "ability_school": ABILITY_SCHOOLS,
    "target_entity_type": TARGET_TYPES,
    "resource_type": RESOURCE_TYPES,
    "difficulty": DIFFICULTIES,
}
NON_NEGATIVE = (
    "damage_amount",
    "healing_amount",
    "resource_amount_before",
    "resource_amount_after",
    "resource_regeneration_rate",
    "encounter_duration_ms",
    "server_latency_ms",
    "client_latency_ms",
)

RULES = (
    "timestamp_missing_or_unparseable",
    "ingest_timestamp_missing",
    "event_id_not_uuid",
    "event_type_unknown",
    "raid_id_invalid",
    "source_player_missing",
    "source_player_name_too_long",
    *(f"{name}_invalid" for name in ENUMS),
    "damage_amount_missing_or_not_positive",
    "healing_amount_missing_or_not_positive",
    "death_target_missing",
    "death_target_not_player",
    "resource_type_missing",
    "negative_amount",
    "amount_out_of_range",
    "health_pct_out_of_range",
    "health_pct_increased_on_hit",
    "player_target_without_id",
    "source_player_level_out_of_range",
    "critical_multiplier_out_of_range",
    "timestamp_in_future",
    "timestamp_too_old",
)
"""Every rule code, in the order reasons are listed."""

RULES_BEYOND_THE_RECEIVER = (
    "health_pct_increased_on_hit",
    "player_target_without_id",
    "timestamp_too_old",
)
"""Rules the wire contract leaves to silver (the receiver accepts such events): the only
reasons an event the receiver answered 201 for can be quarantined. Every other rule repeats a
receiver check, for bronze written by other tools."""


@dataclass(frozen=True)
class RuleParams:
    """Tunable limits of the silver checks.

    Attributes:
        max_clock_skew_s: an event may be at most this far after its batch's ingest time.
        max_event_age_s: an event may be at most this far before its ingest time (5 years by
            default: old combat logs are legitimate late data, the epoch is not).
    """

    max_clock_skew_s: float = DEFAULT_MAX_CLOCK_SKEW_S
    max_event_age_s: float = DEFAULT_MAX_EVENT_AGE_DAYS * 86_400


DEFAULT_RULE_PARAMS = RuleParams()

_CENTURY_S = 100 * 365.25 * 86_400


def _blank(column: Any) -> Any:
    """Null or empty/whitespace-only string (:data:`WHITESPACE`), the same on every backend.

    The two tests are flagged apart: cuDF's ``|`` propagates nulls (``True | <NA>`` is
    ``<NA>``, not pandas' ``True``: rapidsai/cudf#19171), so a null would otherwise pass as
    "not blank".
    """
    return _flag(column.isna()) | _flag(column.str.strip(WHITESPACE).str.len() == 0)


def rule_masks(frame: Any, params: RuleParams = DEFAULT_RULE_PARAMS) -> dict[str, Any]:
    """``{rule code: boolean Series (True = fails)}`` for a frame with the silver columns."""
    lib = frame_library(frame)
    f = frame
    etype = f["event_type"]
    ts, ingest = f["timestamp"], f["ingest_timestamp"]
    masks: dict[str, Any] = {
        "timestamp_missing_or_unparseable": ts.isna(),
        "ingest_timestamp_missing": ingest.isna(),
        "event_id_not_uuid": ~_flag(f["event_id"].str.match(UUID_PATTERN)),
        "event_type_unknown": ~_flag(etype.isin(list(EVENT_TYPES))),
        "raid_id_invalid": ~_flag(f["raid_id"].str.match(RAID_ID_PATTERN)),
        "source_player_missing": _blank(f["source_player_id"]) | _blank(f["source_player_name"]),
        "source_player_name_too_long": _flag(f["source_player_name"].str.len() > 64),
    }
    for name, allowed in ENUMS.items():
        masks[f"{name}_invalid"] = _flag(f[name].notna() & ~f[name].isin(list(allowed)))
    masks["damage_amount_missing_or_not_positive"] = _flag(etype == "combat_damage") & ~_flag(
        f["damage_amount"] > 0
    )
    masks["healing_amount_missing_or_not_positive"] = _flag(etype == "heal") & ~_flag(
        f["healing_amount"] > 0
    )
    masks["death_target_missing"] = _flag(etype == "player_death") & (
        _blank(f["target_entity_id"]) | _blank(f["target_entity_name"])
    )
    # §1: a player_death's target is the player who died; a boss or add there is not one.
    masks["death_target_not_player"] = _flag(etype == "player_death") & _flag(
        f["target_entity_type"].notna() & (f["target_entity_type"] != "player")
    )
    masks["resource_type_missing"] = _flag(etype == "mana_regeneration") & f["resource_type"].isna()
    negative = lib.Series(False, index=f.index)
    for name in NON_NEGATIVE:
        negative = negative | _flag(f[name] < 0)
    masks["negative_amount"] = negative
    out_of_range = _flag(f["damage_amount"] > MAX_AMOUNT) | _flag(f["healing_amount"] > MAX_AMOUNT)
    for name in NON_NEGATIVE:  # Infinity, which the receiver refuses, in bronze from elsewhere
        out_of_range = out_of_range | _flag(f[name] == float("inf"))
    masks["amount_out_of_range"] = out_of_range
    before = f["target_entity_health_pct_before"]
    after = f["target_entity_health_pct_after"]
    masks["health_pct_out_of_range"] = (
        _flag(before < 0) | _flag(before > 100) | _flag(after < 0) | _flag(after > 100)
    )
    masks["health_pct_increased_on_hit"] = _flag(etype == "combat_damage") & _flag(after > before)
    masks["player_target_without_id"] = _flag(f["target_entity_type"] == "player") & _blank(
        f["target_entity_id"]
    )
    level = f["source_player_level"]
    masks["source_player_level_out_of_range"] = _flag(level < 1) | _flag(level > 90)
    mult = f["critical_multiplier"]
    masks["critical_multiplier_out_of_range"] = _flag(mult < 1) | _flag(mult > 5)
    # Capped: a limit of a century already lets every real timestamp through, and a larger
    # one (``inf`` is a valid skew for the receiver) does not fit a Timedelta.
    skew = pd.Timedelta(seconds=min(params.max_clock_skew_s, _CENTURY_S))
    age = pd.Timedelta(seconds=min(params.max_event_age_s, _CENTURY_S))
    masks["timestamp_in_future"] = _flag(ts > ingest + skew)
    masks["timestamp_too_old"] = _flag(ts < ingest - age)
    return {code: _flag(masks[code]) for code in RULES}


def check_rules(frame: Any, params: RuleParams = DEFAULT_RULE_PARAMS) -> tuple[Any, Any]:
    """Split ``frame`` (silver columns) into ``(clean, quarantined)``.

    ``clean`` keeps the input columns; ``quarantined`` adds ``quarantine_reason``. Together
    they hold every input row exactly once (input order kept within each).
    """
    lib = frame_library(frame)
    masks = rule_masks(frame, params)
    bad = lib.Series(False, index=frame.index)
    for mask in masks.values():
        bad = bad | mask
    clean = frame[~bad]
    quarantined = frame[bad].copy()
    reason = lib.Series("", index=quarantined.index, dtype="str")
    for code, mask in masks.items():
        hit = mask[bad]
        if bool(hit.any()):
            sep = reason.str.len() > 0
            tag = lib.Series("", index=quarantined.index, dtype="str").mask(hit, code)
            reason = reason + tag.where(~(sep & hit), "; " + code)
    quarantined["quarantine_reason"] = reason
    return clean, quarantined


def count_reasons(quarantined: Any) -> dict[str, int]:
    """Rows per rule code (a row failing several rules counts under each)."""
    counts: dict[str, int] = {}
    if len(quarantined) == 0:
        return counts
    reasons = quarantined["quarantine_reason"]
    for code in (*RULES, "unparseable_line"):
        n = int(reasons.str.contains(code, regex=False).sum())
        if n:
            counts[code] = n
    return counts
