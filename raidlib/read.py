"""Lake tables as DataFrames, for a notebook or a script: local or S3 alike, typed as declared
(timestamps tz-aware UTC, as in the Parquet files).

``pandas.read_parquet`` on a gold folder works too, but it infers the Hive partition columns
(``raid_id`` becomes a category, of integers when every raid id is made of digits:
pandas-dev/pandas#53345); these readers give every column its declared type, on either backend.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Literal, overload

import pandas as pd
from pydantic import ValidationError

from raidlib.backend import resolve_backend
from raidlib.gold.schema import GOLD_SCHEMAS, conform
from raidlib.lake import Lake
from raidlib.lake.frames import with_utc
from raidlib.lake.gold_store import read_gold_table, read_silver_for_raids, silver_raid_ids
from raidlib.lake.lake import Layer
from raidlib.lake.preflight import LAYERS
from raidlib.raid_lists import name_raids
from raidlib.runconfig import settings_for_run
from raidlib.settings import describe_invalid_settings, is_invalid_settings
from raidlib.silver.dedup import deduplicate_across_dates

LakeLike = Lake | str | os.PathLike[str] | None
BackendChoice = Literal["pandas", "cudf", "auto"]
"""``pandas`` returns pandas frames; ``cudf`` cuDF frames; ``auto`` either (cuDF when usable)."""


def open_lake(lake: LakeLike = None, reads: Layer | None = None) -> Lake:
    """A :class:`Lake` as given; a folder (like ``--lake``); or, for None, the ``RAIDLIB_*``
    settings (environment, then ``.env``: S3 roots and credentials, else ``./lake``).

    Raises:
        FileNotFoundError: ``lake`` names a folder that does not exist or is not a lake (a
            layer folder, a project folder), or, for None, the local root of the layer it
            ``reads`` is missing with its parent folder: a mistyped path would otherwise read
            as a lake without rows.
        ValueError: ``lake`` is an S3 URL or empty, or a ``RAIDLIB_*`` setting is invalid.
    """
    if isinstance(lake, Lake):
        return lake
    folder = None if lake is None else os.fspath(lake)
    if folder is not None:
        _check_lake_argument(folder)
    try:
        opened = Lake.from_settings(settings_for_run(folder))
    except ValidationError as exc:
        if not is_invalid_settings(exc):
            raise
        raise ValueError(describe_invalid_settings(exc)) from None
    _check_is_a_lake(opened, folder, reads)
    return opened


def _check_lake_argument(folder: str) -> None:
    if not folder:
        raise ValueError("lake is an empty string: give a lake folder, or None for the settings")
    if "://" in folder:
        raise ValueError(
            f"lake takes a local folder, not {folder!r}; for a lake on S3 set the roots "
            "(RAIDLIB_BRONZE_ROOT=s3://bronze/ RAIDLIB_SILVER_ROOT=s3://silver/ "
            "RAIDLIB_GOLD_ROOT=s3://gold/, in the environment or .env) and leave lake out, "
            "or pass a raidlib.lake.Lake"
        )
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no lake folder at {os.path.abspath(folder)}")


def _check_is_a_lake(opened: Lake, folder: str | None, reads: Layer | None) -> None:
    """A folder holding no layer is not a lake, unless it is empty (nothing written yet); with
    the settings' roots, the layer ``reads`` must be here or in a folder that is."""
    if folder is None:
        if reads is None or opened.is_remote(reads):
            return
        root = os.path.abspath(opened.root(reads))
        parent = os.path.dirname(root)
        if not os.path.isdir(root) and not os.path.isdir(parent):
            raise FileNotFoundError(
                f"no lake at {parent} (no {os.path.basename(root)}/ there): pass the lake "
                "folder (read_gold(table, 'path/to/lake')), run from the folder that holds "
                f"it, or set RAIDLIB_{reads.upper()}_ROOT"
            )
        return
    if any(os.path.isdir(opened.root(layer)) for layer in LAYERS):
        return
    name = os.path.basename(os.path.normpath(folder))
    if name in LAYERS:
        raise FileNotFoundError(
            f"{os.path.abspath(folder)} is a {name} layer folder; pass the lake folder that "
            f"holds it ({os.path.dirname(os.path.abspath(folder))})"
        )
    if any(not entry.startswith(".") for entry in os.listdir(folder)):
        raise FileNotFoundError(
            f"{os.path.abspath(folder)} is not a lake folder: no bronze/, silver/ or gold/ "
            "in it (an empty folder reads as a new lake)"
        )


@overload
def read_gold(
    table: str, lake: LakeLike = None, *, backend: Literal["pandas"] = "pandas"
) -> pd.DataFrame: ...


@overload
def read_gold(table: str, lake: LakeLike = None, *, backend: BackendChoice) -> Any: ...


def read_gold(table: str, lake: LakeLike = None, *, backend: BackendChoice = "pandas") -> Any:
    """Every row of a gold table (README, "Gold columns"), sorted by its keys; empty, with its
    columns, before the first gold run.

    Typed as :func:`raidlib.gold.build_gold` returns it (counts ``int64``, not the nullable
    ``Int64`` a plain pandas read of the files gives), so the two compare equal.
    """
    if table not in GOLD_SCHEMAS:
        raise ValueError(f"no gold table {table!r}; the tables are: {', '.join(GOLD_SCHEMAS)}")
    opened = open_lake(lake, reads="gold")
    opened.check_storage(("gold",))  # a missing bucket must not read as an empty table
    frame = read_gold_table(opened, table, resolve_backend(backend))
    declared = GOLD_SCHEMAS[table]
    holes = [f.name for f in declared.schema if not f.nullable and bool(frame[f.name].isna().any())]
    if holes:
        # Files written before a column existed (or damaged ones): readable, as read.
        warnings.warn(
            f"gold table {table}: {', '.join(holes)} missing in some rows, so returned as read "
            "(nullable); rebuild gold to fill them: python flows/silver_to_gold.py --rebuild",
            stacklevel=2,
        )
        return with_utc(frame.sort_values(list(declared.keys)).reset_index(drop=True))
    return with_utc(conform(frame, declared))


@overload
def read_silver(
    raid_id: str | None = None, lake: LakeLike = None, *, backend: Literal["pandas"] = "pandas"
) -> pd.DataFrame: ...


@overload
def read_silver(
    raid_id: str | None = None, lake: LakeLike = None, *, backend: BackendChoice
) -> Any: ...


def read_silver(
    raid_id: str | None = None, lake: LakeLike = None, *, backend: BackendChoice = "pandas"
) -> Any:
    """Silver events of one raid (every date it spans), or of every raid: one row per event.

    An event re-sent with its timestamp moved to another UTC date sits in two silver partitions
    (silver deduplicates within a partition); only its latest ingest is returned, as gold counts
    it, so sums over these rows match gold.

    Raises:
        LakeStorageError: the layer's S3 bucket is missing, refuses the credentials or its
            endpoint does not answer (``read_gold`` too).
        LakeDataError: a file is damaged (truncated, corrupt); the message names it and how
            to repair it (``read_gold`` too).
        ValueError: silver has no raid ``raid_id``.
    """
    if raid_id is not None and not isinstance(raid_id, str):
        raise TypeError(
            f"raid_id takes one raid id (a str), not {type(raid_id).__name__}; for several "
            "raids filter read_silver() (every raid) or call it once per raid"
        )
    opened = open_lake(lake, reads="silver")
    opened.check_storage(("silver",))
    raids = [raid_id] if raid_id is not None else silver_raid_ids(opened)
    silver = read_silver_for_raids(opened, raids, resolve_backend(backend))
    if raid_id is not None and len(silver) == 0:  # a raid in silver has rows: a wrong id
        known = silver_raid_ids(opened)
        listed = name_raids(known, empty="none yet")
        raise ValueError(f"silver has no raid {raid_id!r}; its raids: {listed}")
    return with_utc(deduplicate_across_dates(silver))
