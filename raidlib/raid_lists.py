"""Raid ids in log lines, messages and task-run names: short, however many raids there are."""

from __future__ import annotations

from collections.abc import Sequence

RAIDS_NAMED = 10
"""Raids a message names before ``…``: a backlog of hundreds made one 1,000-character line."""


def name_raids(raid_ids: Sequence[str], empty: str = "none") -> str:
    """``raid001, raid002, …``: the first :data:`RAIDS_NAMED` raids of a message, or ``empty``."""
    shown = ", ".join(raid_ids[:RAIDS_NAMED]) + (" …" if len(raid_ids) > RAIDS_NAMED else "")
    return shown or empty


def describe_raids(raid_ids: Sequence[str]) -> str:
    """``raid001`` or ``raid001…raid008 (8 raids)``: a group in logs and task-run names."""
    if len(raid_ids) == 1:
        return raid_ids[0]
    return f"{raid_ids[0]}…{raid_ids[-1]} ({len(raid_ids)} raids)"
