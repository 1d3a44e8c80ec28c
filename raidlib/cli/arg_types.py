"""argparse types for the commands' and flow scripts' options: each refuses a value the command
could not use, with the reason, before any work starts (a count of 0, a rate above 1, a raid id
the contract does not allow)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, datetime

from raidlib.schemas.events import RAID_ID_PATTERN, RAID_PREFIX_PATTERN


def _id_type(pattern: str, what: str, longest: int) -> Callable[[str], str]:
    """An argparse type for an identifier the contract spells with ``pattern``."""

    def parse(text: str) -> str:
        if not re.fullmatch(pattern, text):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a {what} (a letter or digit, then letters, digits, _ and -; "
                f"at most {longest})"
            )
        return text

    return parse


raid_prefix = _id_type(RAID_PREFIX_PATTERN, "raid-id prefix", 32)
"""An argparse type: a raid-id prefix (raid ids are ``<prefix>001`` …, CONTRACT §1)."""

raid_id = _id_type(RAID_ID_PATTERN, "raid id", 64)
"""An argparse type: a raid id (checked before a combat log is read)."""


def rate(text: str) -> float:
    """An argparse type: a fraction in [0, 1]."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a rate in [0, 1]")
    return value


MAX_BATCH_SIZE = 10_000
"""The receiver's default limit on events per request (CONTRACT §2)."""

MAX_RAIDS = 1000
"""The most raids the ingest flow simulates in one run (and so the demo's limit)."""


def int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high`` (no upper bound when ``None``).

    A count of 0 or less would otherwise surface as a traceback deep in the command, or as a
    command that quietly does nothing.
    """

    def parse(text: str) -> int:
        value = int(text)
        if high is None and value < low:
            raise argparse.ArgumentTypeError(f"{text} is less than {low}")
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not between {low} and {high}")
        return value

    parse.__name__ = "int"  # argparse names the type in "invalid int value: 'x'"
    return parse


def positive_float(text: str) -> float:
    """An argparse type: a number above 0 (a duration, a skill factor)."""
    value = float(text)
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return value


positive_float.__name__ = "float"


def report_interval(text: str) -> float:
    """An argparse type: seconds between progress reports, 0 (none) up to a day."""
    value = float(text)
    if not 0 <= value <= 86_400:  # also refuses nan; inf killed the reporting thread
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 86400 seconds")
    return value


report_interval.__name__ = "float"

batch_size = int_in(1, MAX_BATCH_SIZE)
"""An argparse type: events per batch, 1 … :data:`MAX_BATCH_SIZE`; a bigger batch would be
refused whole (413) by a receiver with the default limit."""

random_seed = int_in(0)
"""An argparse type: a random seed (NumPy takes no negative seed)."""

MAX_PLAYERS = 40
"""The biggest raid WoW has had (Classic's 40); the simulation's volume grows with it."""

MAX_SKILL = 3.0
"""The strongest simulated team (×3 the nominal output): the boss dies in a few seconds."""

MAX_ENRAGE_MS = 3_600_000
"""The longest simulated enrage timer (an hour); events, and memory, grow with it."""


def skill_factor(text: str) -> float:
    """An argparse type: a team's skill, above 0 and at most :data:`MAX_SKILL`."""
    value = float(text)
    if not 0.0 < value <= MAX_SKILL:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} is not a skill above 0 and at most {MAX_SKILL:g}")
    return value


skill_factor.__name__ = "float"

port = int_in(0, 65535)
"""An argparse type: a TCP port; 0 lets the system pick a free one."""


def iso_datetime(text: str) -> datetime:
    """An argparse type: an ISO-8601 moment; one without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 date-time ({exc})") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)
