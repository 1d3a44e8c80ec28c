"""Lake failures that a person must act on: a damaged file in the lake.

The error names the file and says how to repair it, and is not retried
(:data:`raidlib.tasks.retrying.CONFIGURATION_ERRORS`): a retry reads the same bytes. The flow
scripts print it as one line, exit 2.
"""

from __future__ import annotations

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
