"""Lake tasks retry what may pass (a reset, a timeout), never a configuration error."""

from __future__ import annotations

import pytest
from prefect.states import Failed

from raidlib.lake import LakeDataError, LakeStorageError, LakeWriteError
from raidlib.tasks.retrying import worth_retrying


def _refused() -> OSError:
    """An error a library raised while handling a refused key (pyarrow wraps s3fs's)."""
    try:
        raise PermissionError("InvalidAccessKeyId")
    except PermissionError as exc:
        try:
            raise OSError("error writing part-0.parquet") from exc
        except OSError as wrapped:
            return wrapped


def _refused_while_handling() -> OSError:
    """An error a library raised inside its ``except PermissionError:`` without ``from``."""
    try:
        raise PermissionError("Permission denied: '/data/lake/silver/_state'")
    except PermissionError:
        try:
            raise OSError("could not write the processed-batch markers")  # noqa: B904
        except OSError as chained:
            return chained


@pytest.mark.parametrize(
    "error",
    [
        LakeStorageError("bronze", "s3://bronz", "http://minio:9000", "bucket does not exist"),
        PermissionError("Access Denied"),
        _refused(),
        _refused_while_handling(),
        LakeDataError("/lake/silver/part-0.parquet", "is not readable Parquet", "restore it"),
        LakeWriteError(28, "disk full writing /lake/silver/part-0.parquet: free space and …"),
        LakeWriteError(30, "cannot write /lake/silver: read-only file system; …"),
    ],
    ids=[
        "preflight",
        "access-denied",
        "wrapped",
        "raised-while-handling",
        "damaged-file",
        "disk-full",
        "read-only",
    ],
)
def test_configuration_errors_are_not_retried(error: BaseException) -> None:
    assert not worth_retrying(None, None, Failed(data=error))


def test_missing_credentials_are_not_retried() -> None:
    from botocore.exceptions import NoCredentialsError

    assert not worth_retrying(None, None, Failed(data=NoCredentialsError()))


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError("reset"),
        TimeoutError("read timed out"),
        # a partition replaced by another run while this one listed it
        FileNotFoundError("silver/raid_id=r1/event_date=2026-11-28/part-0.parquet"),
    ],
)
def test_transient_errors_are_retried(error: BaseException) -> None:
    assert worth_retrying(None, None, Failed(data=error))
