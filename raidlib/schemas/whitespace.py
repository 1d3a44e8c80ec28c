"""The whitespace CONTRACT §1's trimming removes, named once for the receiver and silver.

The event models trim inside pydantic-core, which strips Unicode ``White_Space`` (Rust's
``str::trim``). Python's ``str.isspace()`` also counts the separators U+001C–U+001F, so a name
made of them passed the receiver and then failed silver as blank when silver used Python's
set. A bare ``str.strip()`` is no substitute either: Unicode whitespace on pandas (Arrow), every
byte up to 0x20 on cuDF.
"""

from __future__ import annotations

WHITESPACE = "".join(
    c for c in map(chr, range(0x3001)) if c.isspace() and c not in "\x1c\x1d\x1e\x1f"
)
"""Unicode ``White_Space`` (no such character lies past U+3000)."""
