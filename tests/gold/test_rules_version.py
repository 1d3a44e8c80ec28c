"""A change to the gold code must say whether it changes gold, so that upgraded lakes rebuild."""

from __future__ import annotations

import hashlib
from pathlib import Path

GOLD_CODE = Path(__file__).resolve().parents[2] / "raidlib" / "gold"

GOLD_CODE_DIGEST = "3cb0a5b9d4f630fde9edd2f42417069e04967a8e5f2f879f01aebe99fbff56a4"
"""sha256 of raidlib/gold/*.py but rules.py, as last reviewed against GOLD_RULES_VERSION."""


def gold_code_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(GOLD_CODE.glob("*.py")):
        if path.name != "rules.py":
            digest.update(path.name.encode() + b"\0" + path.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()


def test_a_change_to_the_gold_code_says_whether_it_changes_gold() -> None:
    """Gold is rebuilt when silver changes or when GOLD_RULES_VERSION does: an upgrade whose
    new rules give other gold for the same silver must bump it, or old raids keep old numbers."""
    digest = gold_code_digest()
    assert digest == GOLD_CODE_DIGEST, (
        "raidlib/gold changed. If the same silver now gives other gold (a rule, a formula, a "
        "column), bump GOLD_RULES_VERSION in raidlib/gold/rules.py: every raid's gold is "
        "rebuilt once after the upgrade. Either way, set GOLD_CODE_DIGEST in "
        f"{Path(__file__).name} to {digest!r}."
    )
