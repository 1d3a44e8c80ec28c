"""One lake object over fsspec: local folders by default, S3/MinIO by configuration alone."""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

import fsspec

from raidlib.lake.errors import lasting_write_failure
from raidlib.lake.preflight import LAYERS, check_storage
from raidlib.lake.s3 import S3FS_RETRIES, s3_storage_options, with_s3_defaults
from raidlib.settings import Settings
from raidlib.threads import map_in_threads

__all__ = ["Lake", "Layer", "s3_storage_options"]

Layer = Literal["bronze", "silver", "gold"]

_S3 = ("s3", "s3a")


def _is_remote(root: str) -> bool:
    return "://" in root and not root.startswith("file://")


@dataclass(frozen=True)
class Lake:
    """The three layer roots and the filesystem each lives on.

    Every path handed to ``fs`` is absolute for that filesystem (``/abs/folder/...`` locally,
    ``bucket/prefix/...`` on S3). Build one with :meth:`from_settings`.
    """

    bronze_root: str
    silver_root: str
    gold_root: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Lake:
        return cls(
            bronze_root=settings.bronze_root,
            silver_root=settings.silver_root,
            gold_root=settings.gold_root,
            storage_options=s3_storage_options(settings),
        )

    @classmethod
    def local(cls, root: str | os.PathLike[str]) -> Lake:
        """Convenience: ``<root>/bronze``, ``<root>/silver``, ``<root>/gold``."""
        root = os.fspath(root)
        return cls(
            bronze_root=os.path.join(root, "bronze"),
            silver_root=os.path.join(root, "silver"),
            gold_root=os.path.join(root, "gold"),
        )

    def _configured_root(self, layer: Layer) -> str:
        """The layer's root as configured: a URL or a local folder."""
        return {"bronze": self.bronze_root, "silver": self.silver_root, "gold": self.gold_root}[
            layer
        ]

    def root(self, layer: Layer) -> str:
        raw = self._configured_root(layer)
        if _is_remote(raw):
            return raw.split("://", 1)[1].rstrip("/")
        # Forward slashes, as fsspec names local files on every OS: the listings compare the
        # paths they find with this root, and on Windows ``C:\\lake`` never prefixes ``C:/lake/…``.
        return PurePath(os.path.abspath(raw.removeprefix("file://"))).as_posix()

    def fs(self, layer: Layer) -> fsspec.AbstractFileSystem:
        raw = self._configured_root(layer)
        if _is_remote(raw):
            protocol = raw.split("://", 1)[0]
            if protocol not in _S3:
                return fsspec.filesystem(protocol, **self.storage_options)
            fs = fsspec.filesystem(protocol, **with_s3_defaults(self.storage_options))
            # An instance attribute: s3fs's __init__ takes no option for its own retry rounds
            # (a class attribute, 5; fsspec/s3fs#541 asks for retries to be configurable).
            fs.retries = S3FS_RETRIES
            return fs
        return fsspec.filesystem("file")

    def is_remote(self, layer: Layer) -> bool:
        return _is_remote(self._configured_root(layer))

    def check_storage(self, layers: Iterable[Layer] = LAYERS) -> None:
        """Fail with :class:`~raidlib.lake.preflight.LakeStorageError` when a layer's S3 bucket
        is missing or refuses the credentials, or its endpoint does not answer (one cheap
        request per S3 root), or a file stands where a local root's folder should be. Call it
        before reading or writing: readers take a missing folder for an empty one."""
        check_storage(self, layers)

    def path(self, layer: Layer, relative: str = "") -> str:
        """Absolute filesystem path of ``relative`` under a layer root."""
        return posixpath.join(self.root(layer), relative) if relative else self.root(layer)

    def url(self, layer: Layer, relative: str = "") -> str:
        """A URL a person can paste (``s3://…`` or a local path)."""
        raw = self._configured_root(layer)
        if _is_remote(raw):
            return f"{raw.split('://', 1)[0]}://{self.path(layer, relative)}"
        return self.path(layer, relative)

    def url_of(self, layer: Layer, path: str) -> str:
        """A filesystem ``path`` on ``layer`` (as :meth:`path` and the writers give it) as
        :meth:`url` would give it: ``bucket/key`` becomes ``s3://bucket/key``."""
        raw = self._configured_root(layer)
        if _is_remote(raw) and "://" not in path:
            return f"{raw.split('://', 1)[0]}://{path}"
        return path

    def write_bytes_atomic(self, layer: Layer, relative: str, data: bytes) -> str:
        """Write ``data`` so readers see the whole object or nothing at ``relative``.

        Locally: write a hidden temporary file in the same folder, fsync, then rename over the
        final name. On S3 a single PUT is already atomic, so the object is written directly.
        """
        fs = self.fs(layer)
        final = self.path(layer, relative)
        if self.is_remote(layer):
            fs.pipe_file(final, data)
            return final
        with self._lasting_failures_named(layer, relative):
            _replace_durably(final, data)
        _settle_folder(posixpath.dirname(final))
        return final

    def write_many_atomic(
        self, layer: Layer, items: Sequence[tuple[str, bytes]], *, max_workers: int = 16
    ) -> list[str]:
        """:meth:`write_bytes_atomic` for each ``(relative, data)``, concurrently; returns the
        paths in order.

        Locally each folder is swept for stale temporaries and fsynced once for all its files,
        not once per file: the processed-batch markers share one folder that grows with every
        batch ever processed, so per-file sweeps made marking n batches O(n × markers).
        """
        if self.is_remote(layer):
            return map_in_threads(
                lambda item: self.write_bytes_atomic(layer, *item), items, max_workers
            )

        def replace(item: tuple[str, bytes]) -> str:
            with self._lasting_failures_named(layer, item[0]):
                return _replace_durably(self.path(layer, item[0]), item[1])

        finals = map_in_threads(replace, items, max_workers)
        for folder in dict.fromkeys(posixpath.dirname(final) for final in finals):
            _settle_folder(folder)
        return finals

    def create_bytes_exclusive(self, layer: Layer, relative: str, data: bytes) -> bool:
        """Like :meth:`write_bytes_atomic`, but only if nothing is at ``relative`` yet.

        Returns ``True`` when this call created the object and ``False`` when one was already
        there (left untouched). The check and the write are one atomic step, across processes
        and machines: locally a hard link of the finished temporary file (fails if the name
        exists); on S3 a conditional PUT (``If-None-Match: *``, AWS S3 and MinIO). A store that
        does not implement conditional writes gets a plain PUT after an existence check.
        """
        fs = self.fs(layer)
        final = self.path(layer, relative)
        if self.is_remote(layer):
            return _create_remote(fs, final, data)
        folder = posixpath.dirname(final)
        with self._lasting_failures_named(layer, relative):
            tmp = _durable_temporary(final, data)
        try:
            try:
                os.link(tmp, final)
            except FileExistsError:
                return False
            except OSError:  # no hard links on this filesystem: check, then rename (not atomic)
                if os.path.exists(final):
                    return False
                os.replace(tmp, final)
        finally:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        _fsync_dir(folder)
        _sweep_now_and_then(folder)
        return True

    @contextlib.contextmanager
    def _lasting_failures_named(self, layer: Layer, relative: str) -> Iterator[None]:
        """A local write of ``relative`` failing on a full disk or quota or a read-only file
        system raises :class:`~raidlib.lake.errors.LakeWriteError` naming it and what to do
        (a bare ``[Errno 28] No space left on device`` names no file), not retried."""
        try:
            yield
        except OSError as exc:
            named = lasting_write_failure(exc, self.url(layer, relative), self.url(layer))
            if named is None:
                raise
            raise named from exc


def _replace_durably(final: str, data: bytes) -> str:
    """``data`` at ``final`` through a fsynced temporary and a rename (the folder not yet
    fsynced: see :func:`_settle_folder`); returns ``final``."""
    tmp = _durable_temporary(final, data)
    try:
        _replace_patiently(tmp, final)
    except BaseException:
        # A full disk or an interrupt must not leave a hidden half-file behind (a killed
        # process still can: readers never see it, as it never had the final name).
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return final


_WINDOWS = os.name == "nt"

REPLACE_TRIES = 6
"""Windows refuses to replace a file another program holds open (an antivirus scan, an indexer:
briefly) or maps (a reader such as DuckDB: until it lets go); tries ~1.5 s apart in all."""


def _replace_patiently(tmp: str, final: str) -> None:
    """``os.replace``; on Windows, retried while the target is held open, then a clear error."""
    for attempt in range(REPLACE_TRIES):
        try:
            os.replace(tmp, final)
            return
        except PermissionError as exc:
            if not _WINDOWS:
                raise
            if attempt == REPLACE_TRIES - 1:
                raise PermissionError(
                    exc.errno,
                    f"cannot replace {final}: another program holds it open (a reader such "
                    "as DuckDB, Excel or a notebook, or an antivirus scan); close it and run "
                    "again",
                ) from exc
            time.sleep(0.05 * 2**attempt)


def _settle_folder(folder: str) -> None:
    """After renames into ``folder``: sweep temporaries of killed writers, make the renames
    durable."""
    _remove_stale_temporaries(folder)
    _fsync_dir(folder)


def _durable_temporary(final: str, data: bytes) -> str:
    """``data`` fsynced to a hidden temporary file beside ``final`` (removed if this fails)."""
    folder = posixpath.dirname(final)
    os.makedirs(folder, exist_ok=True)
    # Hidden, and not ending in the final name's suffix: DuckDB's and polars' `**/*.parquet`
    # globs do not skip hidden files (duckdb/duckdb#15916, pola-rs/polars#24507), so a killed
    # writer's leftover would be read as data.
    name = f".tmp-{uuid.uuid4().hex}-{posixpath.basename(final)}.tmp"
    tmp = posixpath.join(folder, name)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return tmp


def _create_remote(fs: fsspec.AbstractFileSystem, path: str, data: bytes) -> bool:
    try:
        fs.pipe_file(path, data, mode="create")
        return True
    except FileExistsError:  # s3fs: 412 PreconditionFailed on If-None-Match
        return False
    except OSError as exc:
        fs.invalidate_cache(path)
        if fs.exists(path):  # a 412 the store worded differently
            return False
        if getattr(exc, "errno", None) != errno.ENOSYS:  # not "NotImplemented": a real failure
            raise
    fs.pipe_file(path, data)  # the store ignores conditions: best effort
    return True


STALE_TEMPORARY_AGE_S = 3600.0
"""A ``.tmp-*`` file this old belongs to a writer that died (a write takes seconds)."""


def _remove_stale_temporaries(folder: str, max_age_s: float = STALE_TEMPORARY_AGE_S) -> None:
    """Delete hidden temporaries left in ``folder`` by killed writers (never a live one)."""
    cutoff = time.time() - max_age_s
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".tmp-") and entry.stat().st_mtime < cutoff:
                with contextlib.suppress(OSError):
                    os.remove(entry.path)


SWEEP_INTERVAL_S = 600.0
"""How often :meth:`Lake.create_bytes_exclusive` sweeps one folder: bronze's folders only
grow (``_batches/`` by one manifest per batch ever landed), so not on every write."""

_last_sweep: dict[str, float] = {}


def _sweep_now_and_then(folder: str) -> None:
    """:func:`_remove_stale_temporaries` of ``folder`` at most once per
    :data:`SWEEP_INTERVAL_S` in this process. A receiver killed mid-write leaves a hidden
    temporary; a later write to that folder removes it once it is an hour old. ``_batches/`` is
    written with every batch, so it is always cleaned in the end; a raid's day folder only if
    that raid lands more that day (readers never see the leftover either way)."""
    now = time.monotonic()
    last = _last_sweep.get(folder)
    if last is not None and now - last < SWEEP_INTERVAL_S:
        return
    _last_sweep[folder] = now
    _remove_stale_temporaries(folder)


def _fsync_dir(folder: str) -> None:
    """Make the rename itself durable (POSIX: the directory entry lives in the folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
