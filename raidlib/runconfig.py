"""Settings for one run, from the few parameters flows and CLI commands expose.

Environment variables and ``.env`` (``RAIDLIB_*``) give the base; explicit parameters win.
"""

from __future__ import annotations

from typing import Any

from raidlib.settings import Settings, invalid_setting


def settings_for_run(lake: str | None = None, **overrides: Any) -> Settings:
    """``lake`` (a local folder) sets all three roots to ``<lake>/bronze|silver|gold``.

    Any other keyword is a :class:`Settings` field; ``None`` values are ignored.
    """
    values: dict[str, Any] = {}
    if lake is not None:
        if not lake.strip():  # " " put the lake at /bronze, "" quietly used the settings
            raise invalid_setting("lake", lake, "is empty: give the lake's folder")
        lake = lake.strip().rstrip("/")
        values.update(
            bronze_root=f"{lake}/bronze", silver_root=f"{lake}/silver", gold_root=f"{lake}/gold"
        )
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
