"""raidlib: World of Warcraft raid telemetry — events, receiver, bronze/silver/gold lake, Prefect flows."""

from __future__ import annotations

__version__ = "0.1.0"
