"""Lake tables as DataFrames, for a notebook or a script: local or S3 alike, typed as declared
(timestamps tz-aware UTC, as in the Parquet files).

``pandas.read_parquet`` on a gold folder works too, but it infers the Hive partition columns
(``raid_id`` becomes a category, of integers when every raid id is made of digits); these
readers give every column its declared type, on either backend.
"""

from __future__ import annotations

import os
from typing import Any

from raidlib.backend import resolve_backend
from raidlib.gold.schema import GOLD_SCHEMAS
from raidlib.lake import Lake
from raidlib.lake.frames import with_utc
from raidlib.lake.gold_store import read_gold_table, read_silver_for_raids, silver_raid_ids
from raidlib.runconfig import settings_for_run
from raidlib.silver.dedup import deduplicate

LakeLike = Lake | str | os.PathLike[str] | None


def open_lake(lake: LakeLike = None) -> Lake:
    """A :class:`Lake` as given; a folder (like ``--lake``); or, for None, the ``RAIDLIB_*``
    settings (environment, then ``.env``: S3 roots and credentials, else ``./lake``).

    Raises:
        FileNotFoundError: ``lake`` names a folder that does not exist (a mistyped path would
            otherwise read as a lake without rows).
    """
    if isinstance(lake, Lake):
        return lake
    if lake is not None and not os.path.isdir(lake):
        raise FileNotFoundError(f"no lake folder at {os.path.abspath(lake)}")
    return Lake.from_settings(settings_for_run(os.fspath(lake) if lake is not None else None))


def read_gold(table: str, lake: LakeLike = None, *, backend: str = "pandas") -> Any:
    """Every row of a gold table (README, "Gold columns"); empty, with its columns, before
    the first gold run."""
    if table not in GOLD_SCHEMAS:
        raise ValueError(f"no gold table {table!r}; the tables are: {', '.join(GOLD_SCHEMAS)}")
    opened = open_lake(lake)
    opened.check_storage(("gold",))  # a missing bucket must not read as an empty table
    return with_utc(read_gold_table(opened, table, resolve_backend(backend)))


def read_silver(
    raid_id: str | None = None, lake: LakeLike = None, *, backend: str = "pandas"
) -> Any:
    """Silver events of one raid (every date it spans), or of every raid: one row per event.

    An event re-sent with its timestamp moved to another UTC date sits in two silver partitions
    (silver deduplicates within a partition); only its latest ingest is returned, as gold counts
    it, so sums over these rows match gold.

    Raises:
        LakeStorageError: the layer's S3 bucket is missing, refuses the credentials or its
            endpoint does not answer (``read_gold`` too).
        ValueError: silver has no raid ``raid_id``.
    """
    opened = open_lake(lake)
    opened.check_storage(("silver",))
    raids = [raid_id] if raid_id is not None else silver_raid_ids(opened)
    silver = read_silver_for_raids(opened, raids, resolve_backend(backend))
    if raid_id is not None and len(silver) == 0:  # a raid in silver has rows: a wrong id
        known = silver_raid_ids(opened)
        listed = ", ".join(known[:10]) + (" …" if len(known) > 10 else "")
        raise ValueError(f"silver has no raid {raid_id!r}; its raids: {listed or 'none yet'}")
    return with_utc(deduplicate(silver, key=("raid_id", "event_id")))
