"""What lake folders hold: Parquet partitions and their visible files; JSON records by name.

A partition counts when its folder holds a visible Parquet file (not a hidden temporary of an
interrupted write, nor a ``_SUCCESS``-style marker). One recursive listing finds them all, with
each file's size and version, so that readers and gold's change detection need no walk.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from raidlib.lake.lake import Lake, Layer
from raidlib.threads import map_in_threads

RAID_LISTINGS_AT_ONCE = 8
"""Raids listed one folder each (concurrently) before one listing of the whole dataset pays."""


@dataclass(frozen=True)
class ListedFile:
    """One visible Parquet file of a partition, as a listing saw it."""

    path: str
    """Absolute filesystem path, as ``fs.ls`` names it."""
    size: int | None
    version: Any
    """What changes when the file is replaced: the ETag on S3, the modification time locally."""


def is_visible_parquet(path: str) -> bool:
    """A data file readers use: ``*.parquet`` whose name starts with neither ``.`` nor ``_``
    (hidden temporaries of an interrupted write, ``_SUCCESS``-style markers)."""
    return path.endswith(".parquet") and not posixpath.basename(path).startswith((".", "_"))


def version_token(info: Mapping[str, Any]) -> Any:
    """The version field of an fsspec ``info`` (or listing) entry: ETag on S3, mtime locally."""
    return info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified")


def json_record_names(fs: Any, folder: str) -> Iterator[str]:
    """Names (without ``.json``) of the JSON objects directly in ``folder`` (manifests, processed
    markers), streamed from one full, paginated listing; a missing folder holds none.

    No existence check first: on S3 that cost a HEAD and a one-key listing. Any other error
    (an unreachable store) is raised, never taken for an empty folder.
    """
    try:
        for _, _, files in fs.walk(folder, maxdepth=1, on_error="raise"):
            for name in files:
                if name.endswith(".json") and not name.startswith("."):
                    yield name[: -len(".json")]
    except FileNotFoundError:
        return


def partition_files(lake: Lake, layer: Layer, partition: str) -> list[str]:
    """Visible Parquet files of a partition folder (hidden ``.``/``_`` names are ignored)."""
    fs = lake.fs(layer)
    folder = lake.path(layer, partition)
    if not fs.isdir(folder):
        return []
    names = fs.ls(folder, detail=False)
    return sorted(n for n in names if is_visible_parquet(n))


def list_partition_files(
    lake: Lake, layer: Layer, dataset: str, keys: Sequence[str], **fixed: str
) -> dict[tuple[str, ...], list[ListedFile]]:
    """Every partition of ``dataset`` with its visible Parquet files, from one recursive listing.

    ``keys`` names the Hive levels in order (e.g. ``("raid_id", "event_date")``); ``fixed``
    pins levels (``raid_id="raid001"`` lists only under that raid's folder). Returns
    ``{(value per key, ...): [files sorted by path]}`` in key order; a partition counts only if
    it holds a visible Parquet file (:func:`is_visible_parquet`) directly in its folder, under
    folders named ``key=value`` for exactly these keys, as the level-by-level ``ls`` did.

    One ``fs.find`` (on S3: one paginated ListObjectsV2 without delimiter, 1,000 keys a page)
    replaces an ``isdir`` and an ``ls`` per folder, and brings each file's size and version.
    """
    fs = lake.fs(layer)
    pinned: list[str] = []
    for key in keys:  # the leading pinned levels narrow the listed prefix
        if key not in fixed:
            break
        pinned.append(f"{key}={fixed[key]}")
    folder = lake.path(layer, "/".join([dataset, *pinned]))
    # A listing must show what other processes wrote since (see raidlib.lake.s3): s3fs's
    # recursive listing never reads its cache, but fsspec's generic ``find`` walks ``ls``,
    # which may; dropping this folder's cached entries costs no request.
    fs.invalidate_cache(folder)
    try:
        found = fs.find(folder, detail=True)
    except FileNotFoundError:
        return {}
    head = folder.rstrip("/") + "/"
    levels = list(keys[len(pinned) :])
    listed: dict[tuple[str, ...], list[ListedFile]] = {}
    for name, info in found.items():
        if not name.startswith(head) or not is_visible_parquet(name):
            continue
        *folders, _ = name[len(head) :].split("/")
        if len(folders) != len(levels):
            continue
        values = {key: fixed[key] for key in keys[: len(pinned)]}
        for key, segment in zip(levels, folders, strict=True):
            found_key, sep, value = segment.partition("=")
            if not sep or found_key != key or fixed.get(key, value) != value:
                break
            values[key] = value
        else:
            entry = ListedFile(name, info.get("size"), version_token(info))
            listed.setdefault(tuple(values[k] for k in keys), []).append(entry)
    return {k: sorted(v, key=lambda f: f.path) for k, v in sorted(listed.items())}


def list_raid_partition_files(
    lake: Lake,
    layer: Layer,
    dataset: str,
    keys: Sequence[str],
    raid_ids: Collection[str] | None,
) -> dict[tuple[str, ...], list[ListedFile]]:
    """:func:`list_partition_files` of ``raid_ids`` only (every raid when ``None``); ``keys``
    starts with ``raid_id``.

    Up to :data:`RAID_LISTINGS_AT_ONCE` raids: one listing of each raid's own folder, at once;
    more: one listing of the whole dataset, filtered. Either way a few requests, not a few per
    partition.
    """
    if raid_ids is None:
        return list_partition_files(lake, layer, dataset, keys)
    raids = set(raid_ids)
    if len(raids) > RAID_LISTINGS_AT_ONCE:
        listed = list_partition_files(lake, layer, dataset, keys)
        return {k: v for k, v in listed.items() if k[0] in raids}
    found = map_in_threads(
        lambda raid: list_partition_files(lake, layer, dataset, keys, raid_id=raid),
        sorted(raids),
        RAID_LISTINGS_AT_ONCE,
    )
    return {k: v for one in found for k, v in one.items()}


def list_partitions(
    lake: Lake, layer: Layer, dataset: str, keys: Sequence[str], **fixed: str
) -> list[dict[str, str]]:
    """Partitions of ``dataset`` as ``{key: value}`` dicts, sorted by their values.

    ``keys`` names the Hive levels in order (e.g. ``("raid_id", "event_date")``); ``fixed``
    pins levels (``raid_id="raid001"`` lists that raid's dates). Only folders that hold a
    visible Parquet file count. One recursive listing (:func:`list_partition_files`).
    """
    return [
        dict(zip(keys, values, strict=True))
        for values in list_partition_files(lake, layer, dataset, keys, **fixed)
    ]
