"""Checks of what a command line names, made before work that may take minutes: a receiver
that answers and takes the token given, a bronze root a receiver can land in, a combat log that
is a file whose start can be read as one."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from raidlib.lake.lake import Lake


def receiver_unusable(url: str, prog: str, token: str | None) -> int | None:
    """Exit status 2, with the reason on stderr after ``prog``, when no receiver answers at
    ``url``, or when it needs a token and ``token`` is None; else None.

    Checked before a command or flow script simulates raids or reads a log, which may take
    minutes (and a flow's failed task would print tracebacks instead of the reason). A token
    given but not the receiver's is found by the first batch: /health does not check it.
    """
    from raidlib.client import (  # noqa: PLC0415
        ReceiverRefusedToken,
        ReceiverUnreachable,
        require_receiver,
    )

    try:
        require_receiver(url, sends_token=bool(token))
    except (ReceiverUnreachable, ReceiverRefusedToken) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    return None


def bronze_unusable(lake: Lake, prog: str, *, create: bool = True) -> int | None:
    """Exit status 2, with the reason on stderr after ``prog``, when a receiver could not land
    batches in ``lake``'s bronze root (a local one it cannot write, a missing bucket); else None.
    ``create=False`` checks a local root without creating its folder.

    Otherwise the receiver answered every POST with 503 (``raidlib serve``), or died after the
    Prefect server had started (``raidlib up``).
    """
    from raidlib.lake.preflight import LakeStorageError, local_root_write_problem  # noqa: PLC0415

    if (problem := local_root_write_problem(lake, "bronze", create=create)) is not None:
        print(f"{prog}: {problem}", file=sys.stderr)
        return 2
    try:
        # (In infra/docker-compose.yml the receiver starts after minio-init made the buckets.)
        lake.check_storage(("bronze",))
    except LakeStorageError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    return None


def log_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be read as a combat log file (missing, a folder, or a start that no
    import gets past: :func:`~raidlib.combatlog.delivery.log_start_problem`), or None."""
    from raidlib.combatlog.delivery import log_start_problem  # noqa: PLC0415

    if os.path.isdir(path):
        return f"{path} is a folder, not a combat log file"
    if not os.path.isfile(path):
        return f"no such file: {path}"
    return log_start_problem(path)
