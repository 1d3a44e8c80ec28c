"""When a failed task is worth retrying: transient I/O yes, configuration errors no.

Prefect retries a task on any exception unless its ``retry_condition_fn`` says otherwise. A
missing bucket, a refused key, an unwritable folder, a full disk or a damaged file fails the same
way every time; retrying only delays the message by the retry delays and repeats its traceback
in the log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect.cache_policies import NO_CACHE
from prefect.states import State

from raidlib.lake.errors import LakeDataError, LakeWriteError
from raidlib.lake.preflight import LakeStorageError

CONFIGURATION_ERRORS: tuple[type[BaseException], ...] = (
    LakeStorageError,
    LakeDataError,  # a damaged file: a retry reads the same bytes
    LakeWriteError,  # a full disk or quota, a read-only file system: 2 s or 10 s will not mend it
    PermissionError,  # also s3fs's AccessDenied / InvalidAccessKeyId / SignatureDoesNotMatch
    IsADirectoryError,
    NotADirectoryError,
)
"""Failures a retry cannot mend (a connection reset or a timeout, by contrast, may pass).

``FileNotFoundError`` is not one: a missing bucket is caught by the preflight check, so one later
is a partition another run replaced while this one listed it, and a retry lists again."""

try:  # botocore comes with the s3 extra
    from botocore.exceptions import NoCredentialsError, NoRegionError

    CONFIGURATION_ERRORS += (NoCredentialsError, NoRegionError)
except ImportError:  # pragma: no cover - without the s3 extra there is no S3 to misconfigure
    pass

RetryCondition = Callable[[Any, Any, State], bool]


def is_lasting(exc: BaseException | None, lasting: tuple[type[BaseException], ...]) -> bool:
    """Whether ``exc``, or an exception it was raised from, is one of ``lasting``.

    Libraries wrap: pyarrow and s3fs re-raise a store's refusal inside errors of their own.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, lasting):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def retry_unless(*lasting: type[BaseException]) -> RetryCondition:
    """A ``retry_condition_fn`` that retries anything but :data:`CONFIGURATION_ERRORS` and
    ``lasting``."""
    never = CONFIGURATION_ERRORS + lasting

    def worth_retrying(task: Any, task_run: Any, state: State) -> bool:
        data = state.data
        return not (isinstance(data, BaseException) and is_lasting(data, never))

    return worth_retrying


worth_retrying = retry_unless()
"""The lake tasks' retry condition: retry I/O unless the configuration is at fault."""

LAKE_IO_RETRIES: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": [2, 10],
    "retry_condition_fn": worth_retrying,
    "cache_policy": NO_CACHE,
}
"""``@task`` options of every step that reads or writes the lake. Each step is idempotent, so a
retry is safe; results are never cached (inputs are settings and frames, and a rerun must
re-read the lake). Override ``retry_condition_fn`` for a step with failures of its own."""
