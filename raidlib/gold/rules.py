"""Which version of the gold rules built a raid's gold.

Gold is rebuilt for a raid when its silver changes. Without this, gold an older raidlib built
stayed as it was after an upgrade whose gold rules changed (how healing is summed, when a pull
counts as a kill): a lake then mixed old and new numbers raid by raid, without a word (upgrade
audit). The version is recorded with each raid's silver fingerprint, and a raid built under
another version is rebuilt by the next gold run.
"""

from __future__ import annotations

GOLD_RULES_VERSION = 2
"""Bump it with any change that gives other gold for the same silver (a new rule, a fixed
formula, a new column): the next gold run after the upgrade rebuilds every raid once. Gold
recorded before versions existed counts as version 0."""
