"""Gold in the lake: read and write the gold tables, and know which raids need rebuilding.

Facts (per raid: ``fact_raid_summary``, ``fact_player_raid_stats``; per pull:
``fact_encounter_summary``, ``fact_player_encounter_stats``) and ``dim_raid`` are per raid: a
raid's partitions are replaced one file at a time
(atomic each) and partitions of that raid that the new build no longer produces (a late event
moved the raid's first ``event_date``) are removed afterwards. ``dim_player`` is one file,
replaced atomically, and is derived from *all* ``fact_player_raid_stats`` rows, so rebuilding it
is idempotent (see :mod:`raidlib.gold.dims`).

Incremental state: for every raid, gold remembers a fingerprint of the silver files it was built
from (``<gold_root>/_state/gold_inputs/<raid>.json``, see :mod:`raidlib.lake.gold_inputs`), with
the version of the gold rules that built it. A raid needs a rebuild when its current silver
fingerprint differs, which covers new batches, late events and partitions rewritten by another
run, without any shared journal between the silver and gold steps, or when another raidlib's
rules built it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from raidlib.backend import Backend, frame_library, to_pandas
from raidlib.gold.schema import GOLD_SCHEMAS
from raidlib.gold.silver_columns import SILVER_COLUMNS_READ
from raidlib.lake.frames import frame_to_table
from raidlib.lake.gold_inputs import recorded_fingerprints
from raidlib.lake.lake import Lake
from raidlib.lake.layout import DATASET, gold_partition, parse_hive_parts, silver_partition
from raidlib.lake.listing import (
    ListedFile,
    list_partition_files,
    list_partitions,
    list_raid_partition_files,
)
from raidlib.lake.parquet import (
    delete_partition,
    read_partitions,
    write_partition,
    write_partition_table,
)
from raidlib.silver.schema import PARTITION_COLUMNS, SILVER_FILE_SCHEMA, SILVER_SCHEMA


def silver_raid_partitions(lake: Lake, raid_id: str | None = None) -> list[dict[str, str]]:
    """``[{"raid_id", "event_date"}]`` of silver partitions (of one raid when given)."""
    fixed = {"raid_id": raid_id} if raid_id else {}
    return list_partitions(lake, "silver", DATASET, PARTITION_COLUMNS, **fixed)


def silver_raid_ids(lake: Lake) -> list[str]:
    """Every raid that has silver data."""
    return sorted({p["raid_id"] for p in silver_raid_partitions(lake)})


def _silver_listing(
    lake: Lake, raid_ids: Sequence[str] | None
) -> dict[tuple[str, ...], list[ListedFile]]:
    """Silver partitions with their files, of ``raid_ids`` (every raid when ``None``)."""
    return list_raid_partition_files(lake, "silver", DATASET, PARTITION_COLUMNS, raid_ids)


def silver_fingerprints(
    lake: Lake, raid_ids: Sequence[str] | None = None
) -> dict[str, dict[str, str]]:
    """:func:`silver_fingerprint` of each of ``raid_ids`` (``{}`` for a raid without silver),
    or of every raid with silver when ``None``, from one listing of the silver dataset."""
    root = lake.root("silver")
    fingerprints: dict[str, dict[str, str]] = {raid: {} for raid in raid_ids or ()}
    for (raid, _), files in _silver_listing(lake, raid_ids).items():
        fingerprint = fingerprints.setdefault(raid, {})
        for file in files:
            # The same string the per-file ``fs.info`` gave before listings carried it: the
            # ListObjectsV2 ETag is the HEAD ETag, and the local mtime is the same stat field.
            token = f"{file.size}:{file.version}"
            fingerprint[file.path.removeprefix(root).lstrip("/")] = token
    return fingerprints


def silver_fingerprint(lake: Lake, raid_id: str) -> dict[str, str]:
    """``{silver file path relative to the root: size + version token}`` for one raid.

    The token is the object's ETag on S3 and its modification time locally: a rewritten
    partition always changes it (atomic replacement creates a new file/object).
    """
    return silver_fingerprints(lake, [raid_id])[raid_id]


def fingerprint_bytes(fingerprint: dict[str, str]) -> int:
    """Total size of the silver files in a :func:`silver_fingerprint` (what a build reads)."""
    total = 0
    for token in fingerprint.values():
        head = str(token).split(":", 1)[0]
        total += int(head) if head.isdigit() else 0
    return total


def raids_needing_gold(
    lake: Lake, raid_ids: Iterable[str] | None = None, *, rebuild: bool = False
) -> dict[str, int]:
    """Raids whose silver changed since gold was last built from it (all raids if never, or
    with ``rebuild``), in raid order, each with the bytes of its silver files (to size the
    builds)."""
    candidates = sorted(set(raid_ids)) if raid_ids is not None else None
    fingerprints = silver_fingerprints(lake, candidates)
    raids = sorted(fingerprints)
    if rebuild:
        return {raid: fingerprint_bytes(fingerprints[raid]) for raid in raids}
    recorded = recorded_fingerprints(lake, raids)
    return {
        raid: fingerprint_bytes(fingerprints[raid])
        for raid, before in zip(raids, recorded, strict=True)
        if fingerprints[raid] != before
    }


def read_silver_for_raids(
    lake: Lake, raid_ids: Sequence[str], backend: Backend, *, for_gold: bool = False
) -> Any:
    """Every silver row of the given raids (all their ``event_date`` partitions) as one frame:
    every column, or with ``for_gold`` only those a gold build reads
    (:data:`raidlib.gold.silver_columns.SILVER_COLUMNS_READ`)."""
    files = {
        silver_partition(raid, day): listed
        for (raid, day), listed in _silver_listing(lake, raid_ids).items()
    }
    order = {raid: i for i, raid in enumerate(raid_ids)}  # rows in the callers' raid order
    partitions = sorted(files, key=lambda p: order[parse_hive_parts(p)["raid_id"]])
    file_schema, schema = (
        (_GOLD_FILE_SCHEMA, _GOLD_SCHEMA) if for_gold else (SILVER_FILE_SCHEMA, SILVER_SCHEMA)
    )
    return read_partitions(
        lake, "silver", partitions, file_schema, backend, schema=schema, files=files
    )


def _only_read_by_gold(schema: pa.Schema) -> pa.Schema:
    return pa.schema([field for field in schema if field.name in SILVER_COLUMNS_READ])


# In silver's column order; raid_id is a Hive column (from the path), not in the files.
_GOLD_FILE_SCHEMA = _only_read_by_gold(SILVER_FILE_SCHEMA)
_GOLD_SCHEMA = _only_read_by_gold(SILVER_SCHEMA)


GOLD_READ_PAUSES_S = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0)
"""Waits between checks of a gold read (about 5 s in all): longer than a build takes to write
one raid's partitions of a table and remove the ones it moved away from."""


class GoldReadError(RuntimeError):
    """Some raid's rows of a gold table did not settle through every read attempt."""


def read_gold_table(lake: Lake, name: str, backend: Backend) -> Any:
    """A whole gold table (every partition) as one frame in its declared in-memory schema.

    A build replaces a raid's partitions one file at a time, and removes those it moved away
    from last: a reader can list a raid twice (old and new date), find a listed partition gone,
    or read one of a raid's dates before the build and another after it (a pull moved from one
    to the other: missing, or twice). So the table is listed again after the read; the rows of
    every raid whose files changed meanwhile, or with a key in two partitions, are read again
    from the new listing, after a short wait, until each raid's files held still while they
    were read. Raids nobody is writing are read once (two listings per read in all).

    Raises:
        GoldReadError: a raid kept changing, or kept a key in two partitions (a build stopped
            between writing and removing partitions; the next ``silver_to_gold`` repairs it).
    """
    table = GOLD_SCHEMAS[name]
    listed = _gold_listing(lake, name)
    frame = _read_gold_listing(lake, name, listed, backend)
    if not table.partition_columns:
        return frame  # one file, replaced atomically
    for pause in (0.0, *GOLD_READ_PAUSES_S):
        time.sleep(pause)
        now = _gold_listing(lake, name)
        changed = _raids_whose_files_changed(listed, now)
        doubled = _raids_with_a_key_twice(frame, table.keys)
        unsettled = changed | doubled
        if not unsettled:
            return frame
        problem = (
            f"raid(s) {', '.join(sorted(doubled)[:3])} with a key in two partitions"
            if doubled
            else f"raid(s) {', '.join(sorted(changed)[:3])} rewritten while read"
        )
        again = {values: files for values, files in now.items() if values[0] in unsettled}
        kept = frame[~frame["raid_id"].isin(sorted(unsettled))]
        fresh = _read_gold_listing(lake, name, again, backend)
        frame = frame_library(frame).concat([kept, fresh], ignore_index=True)
        listed = now
    raise GoldReadError(
        f"gold table {name!r} could not be read consistently: {problem}. A gold build may still "
        "be writing it, or one stopped half-way (run silver_to_gold again to repair it)"
    )


def read_gold_for_raids(lake: Lake, raid_ids: Sequence[str], backend: Backend) -> dict[str, Any]:
    """Gold as a run report shows it: ``summary`` and ``stats``, the ``fact_raid_summary`` and
    ``fact_player_raid_stats`` rows of ``raid_ids`` (each table read whole, then filtered; the
    rows keep their index), and ``players``, how many rows ``dim_player`` has (every raid's)."""
    summary = read_gold_table(lake, "fact_raid_summary", backend)
    stats = read_gold_table(lake, "fact_player_raid_stats", backend)
    return {
        "summary": summary[summary["raid_id"].isin(list(raid_ids))],
        "stats": stats[stats["raid_id"].isin(list(raid_ids))],
        "players": len(read_gold_table(lake, "dim_player", backend)),
    }


def _raids_whose_files_changed(
    before: dict[tuple[str, ...], list[ListedFile]], after: dict[tuple[str, ...], list[ListedFile]]
) -> set[str]:
    """Raids (the first partition value) with a partition added, removed or rewritten."""
    return {
        values[0]
        for values in before.keys() | after.keys()
        if _file_tokens(before.get(values)) != _file_tokens(after.get(values))
    }


def _file_tokens(files: list[ListedFile] | None) -> list[tuple[str, int | None, str]]:
    return sorted((f.path, f.size, str(f.version)) for f in files or ())


def _gold_listing(lake: Lake, name: str) -> dict[tuple[str, ...], list[ListedFile]]:
    table = GOLD_SCHEMAS[name]
    return list_partition_files(lake, "gold", table.name, table.partition_columns)


def _read_gold_listing(
    lake: Lake, name: str, listed: dict[tuple[str, ...], list[ListedFile]], backend: Backend
) -> Any:
    table = GOLD_SCHEMAS[name]
    # dim_player has no partition columns: its one folder is the partition ``()``. The listing
    # brings each file's size, so no file is asked for it (an S3 HEAD) before it is read.
    files = {
        gold_partition(table.name, **dict(zip(table.partition_columns, values, strict=True))): found
        for values, found in listed.items()
    }
    return read_partitions(
        lake, "gold", list(files), table.file_schema, backend, schema=table.schema, files=files
    )


def _raids_with_a_key_twice(frame: Any, keys: Sequence[str]) -> set[str]:
    """Raids with a key (of ``keys``, ``raid_id`` first) on more than one row: a build writes
    each key once, so the reader saw two partitions of one build, or of two."""
    if len(frame) == 0:
        return set()
    doubled = frame[frame.duplicated(subset=list(keys))]["raid_id"]
    return set(to_pandas(doubled.to_frame())["raid_id"].tolist())


def write_gold_table_for_raids(
    lake: Lake, name: str, frame: Any, raid_ids: Sequence[str]
) -> list[str]:
    """Replace ``raid_ids``' partitions of a per-raid gold table with ``frame``'s rows.

    Each new partition is written atomically first; then partitions of those raids that
    ``frame`` no longer has (e.g. an older first ``event_date``) are removed.
    """
    table = GOLD_SCHEMAS[name]
    keys = list(table.partition_columns)
    # One host copy of the (small: players × raids) table on either backend; the partitions
    # are cut from it with Arrow rather than with a device mask and copy per partition.
    rows = frame_to_table(frame, table.schema)
    distinct = rows.select(keys).group_by(keys).aggregate([])
    written: list[str] = []
    for selector in distinct.sort_by([(k, "ascending") for k in keys]).to_pylist():
        mask = functools.reduce(pc.and_, (pc.equal(rows[k], v) for k, v in selector.items()))
        part = rows.filter(mask).select(table.file_schema.names)
        partition = gold_partition(name, **selector)
        written.append(write_partition_table(lake, "gold", partition, part))
    keep = {p.rsplit("/", 1)[0] for p in written}
    # every partition these raids have now, from one listing per raid (or one of the table)
    existing = list_raid_partition_files(lake, "gold", table.name, keys, raid_ids)
    for values in existing:
        partition = gold_partition(name, **dict(zip(keys, values, strict=True)))
        if lake.path("gold", partition) not in keep:
            delete_partition(lake, "gold", partition)
    return written


def write_dim_player(lake: Lake, frame: Any) -> str:
    """Replace the (unpartitioned) ``dim_player`` table."""
    table = GOLD_SCHEMAS["dim_player"]
    return write_partition(lake, "gold", gold_partition("dim_player"), frame, table.file_schema)
