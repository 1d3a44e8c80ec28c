"""Lake failures that a person must act on: a damaged file, a full or read-only disk.

Each names the file and says what to do, and is not retried
(:data:`raidlib.tasks.retrying.CONFIGURATION_ERRORS`): a retry reads the same bytes or meets the
same disk. The flow scripts and ``raidlib`` commands print them as one line, exit 2.
"""

from __future__ import annotations

import errno

REPROCESSING = "README: Upgrading and reprocessing"

REPAIR = {
    "silver": f"restore it, or rebuild silver from bronze ({REPROCESSING})",
    "gold": (
        "restore it, or delete it and run `python flows/silver_to_gold.py --rebuild` "
        f"({REPROCESSING})"
    ),
}
"""How to repair a damaged Parquet file of each layer. Silver holds what processed batches gave,
and a processed batch is not read again: only a rebuild from bronze brings a lost partition
back. Gold is rebuilt from silver."""


class LakeDataError(RuntimeError):
    """A file in the lake is not what it should be (truncated Parquet, a manifest that is not
    a JSON object): the message names it (``url``) and says how to repair it."""

    def __init__(self, url: str, problem: str, remedy: str) -> None:
        self.url = url
        super().__init__(f"{url} {problem}: {remedy}")


def unreadable_parquet(layer: str, url: str, exc: BaseException) -> LakeDataError:
    """The error for a Parquet file of ``layer`` at ``url`` that pyarrow could not read."""
    reason = str(exc).removeprefix("Could not open Parquet input source '<Buffer>': ")
    return LakeDataError(
        url,
        f"is not readable Parquet (truncated or corrupt: {reason})",
        REPAIR.get(layer, "restore it"),
    )


class LakeWriteError(OSError):
    """A local lake write failed for a reason that lasts: the disk (or quota) is full, or the
    file system is read-only. The message names the file (or root) and what to do.

    Nothing is half-written (every write is a temporary file renamed into place, removed when
    the write fails), so the same command run again after the fix completes the work. An
    ``OSError`` with the original ``errno``, so code that treats storage failures alike (the
    receiver's 503, a cache that may fail to update) still does.
    """

    def __str__(self) -> str:
        return str(self.strerror)


def lasting_write_failure(exc: OSError, url: str, root: str) -> LakeWriteError | None:
    """``exc``, raised writing ``url`` under the layer root ``root``, as a
    :class:`LakeWriteError` that says what to do; ``None`` for any other failure."""
    again = "run the same command again (nothing is half-written)"
    if exc.errno == errno.ENOSPC:
        message = f"disk full writing {url}: free space and {again}"
    elif exc.errno == errno.EDQUOT:
        message = f"disk quota exceeded writing {url}: free space or raise the quota and {again}"
    elif exc.errno == errno.EROFS:
        message = f"cannot write {root}: read-only file system; make it writable and {again}"
    else:
        return None
    return LakeWriteError(exc.errno, message)
