"""One cheap request per S3 layer root before a run, so a bad bucket or key fails loudly.

Readers treat a missing folder as "nothing there yet", which is right for a prefix nobody has
written to and wrong for a bucket that does not exist: a mistyped ``s3://bronz`` would read
as an empty lake and a run would "succeed" with 0 batches. :func:`check_storage` lists at most
one key under each S3 root and turns what the store answers into a :class:`LakeStorageError`
that names the setting, the URL, the endpoint and the reason. A local root is only checked for
a file standing where its folder should be (a missing folder is created on the first write).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from raidlib.lake.lake import Lake, Layer

LAYERS: tuple[Layer, ...] = ("bronze", "silver", "gold")

CREDENTIAL_SETTINGS = (
    "RAIDLIB_S3_ACCESS_KEY_ID / RAIDLIB_S3_SECRET_ACCESS_KEY (when unset: AWS_ACCESS_KEY_ID / "
    "AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, ~/.aws)"
)

ENDPOINT_SETTINGS = "RAIDLIB_S3_ENDPOINT_URL (when unset: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)"

# S3 error codes (the ``Code`` of botocore's ClientError) for rejected credentials, as opposed
# to valid credentials without the permission (AccessDenied).
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "InvalidSecurity",
}


class LakeStorageError(RuntimeError):
    """A layer root cannot be used: no such bucket, refused credentials, no endpoint (S3), or a
    file where its folder should be (local; ``endpoint`` None).

    A configuration error: retrying does not help, so tasks do not retry it.
    """

    def __init__(self, layer: str, url: str, endpoint: str | None, reason: str) -> None:
        self.layer, self.url, self.endpoint, self.reason = layer, url, endpoint, reason
        where = f", endpoint {endpoint}" if endpoint is not None else ""
        super().__init__(f"{layer} root {url} (RAIDLIB_{layer.upper()}_ROOT{where}): {reason}")


def check_storage(lake: Lake, layers: Iterable[Layer] = LAYERS) -> None:
    """Raise :class:`LakeStorageError` for the first of ``layers`` whose S3 root is unusable.

    One ``ListObjectsV2`` of at most one key under each S3 root (what every reader needs
    permission for anyway); local roots cost nothing.
    """
    for layer in layers:
        if lake.is_remote(layer):
            if lake.url(layer).startswith(("s3://", "s3a://")):
                _check_s3_root(lake, layer)
        elif (blocker := _file_in_the_way(lake.root(layer))) is not None:
            raise LakeStorageError(
                layer, lake.url(layer), None, f"{blocker} is a file, not a folder"
            )


def local_root_write_problem(lake: Lake, layer: Layer, *, create: bool = True) -> str | None:
    """Why a local ``layer`` root cannot take files (``<layer> root <url> cannot take files:
    <reason>``, else None), found before any work: by creating the folder and a temporary file
    in it. None for a remote root, which :func:`check_storage` checks instead. ``create=False``
    leaves a missing folder alone and tries its nearest parent that exists instead.

    Otherwise the receiver started, said ``ok`` on /health and answered every POST with 503,
    and ``raidlib import-log`` read the whole log, then failed with a PermissionError traceback.
    """
    if lake.is_remote(layer):
        return None
    folder = lake.path(layer)
    try:
        if create:
            os.makedirs(folder, exist_ok=True)
        where = folder if create else _nearest_existing(os.path.abspath(folder))
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as exc:
        return f"{layer} root {lake.url(layer)} cannot take files: {exc.strerror or exc}"
    return None


def _nearest_existing(path: str) -> str:
    """``path`` or the nearest of its parents that exists."""
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def _file_in_the_way(root: str) -> str | None:
    """The file at ``root`` or at the nearest of its parents that exists, if that is no folder
    (a lake given as a file's path: every write below it would fail)."""
    path = _nearest_existing(root)
    return None if not os.path.exists(path) or os.path.isdir(path) else path


S3_EXTRA_HINT = (
    "s3fs is not installed: install the s3 extra (in a checkout: .venv/bin/pip install -e "
    "'.[s3]'; elsewhere: pip install 's3fs>=2024.6')"
)


def _check_s3_root(lake: Lake, layer: Layer) -> None:
    try:
        fs = lake.fs(layer)
    except ImportError as exc:  # fsspec: "Install s3fs to access S3"
        raise LakeStorageError(
            layer, lake.url(layer), _endpoint(lake, None), S3_EXTRA_HINT
        ) from exc
    bucket, _, prefix = lake.root(layer).partition("/")
    try:
        fs.call_s3(
            "list_objects_v2", Bucket=bucket, Prefix=f"{prefix}/" if prefix else "", MaxKeys=1
        )
    except Exception as exc:
        raise LakeStorageError(
            layer, lake.url(layer), _endpoint(lake, fs), _reason(exc, bucket)
        ) from exc


def _endpoint(lake: Lake, fs: Any | None) -> str:
    """The endpoint the client talks to (settings, ``AWS_ENDPOINT_URL*`` or AWS's own); without
    a filesystem (``None``: s3fs missing), the one the settings name."""
    if fs is not None:
        try:
            return without_userinfo(str(fs.s3.meta.endpoint_url))
        except Exception:  # no client could be made (no region, no credentials)
            pass
    configured = lake.storage_options.get("client_kwargs", {}).get("endpoint_url")
    return (
        without_userinfo(configured)
        if configured
        else "AWS's default (RAIDLIB_S3_ENDPOINT_URL unset)"
    )


def without_userinfo(url: str) -> str:
    """``url`` without a ``user:password@`` part: error messages and logs must not carry it."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"…@{host}"))


def _reason(exc: BaseException, bucket: str) -> str:
    """What went wrong, in the user's terms, with the settings that fix it."""
    from botocore.exceptions import (  # noqa: PLC0415 (botocore comes with the s3 extra)
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ReadTimeoutError,
    )

    cause = exc.__cause__ if isinstance(exc.__cause__, ClientError) else exc
    if isinstance(cause, ClientError):
        code = cause.response.get("Error", {}).get("Code", "")
        message = cause.response.get("Error", {}).get("Message") or code
        if code in ("NoSuchBucket", "404"):
            return f"bucket {bucket!r} does not exist (create it, or fix the root's bucket name)"
        if code in _BAD_CREDENTIALS:
            return f"the credentials were refused ({code}: {message}); check {CREDENTIAL_SETTINGS}"
        if code in ("AccessDenied", "AllAccessDisabled", "AccountProblem", "403"):
            return (
                f"access denied ({message}): the credentials in {CREDENTIAL_SETTINGS} may not "
                "list this bucket and prefix"
            )
        return f"the store answered {code}: {message}"
    if isinstance(exc, NoCredentialsError):
        return f"no credentials found; set {CREDENTIAL_SETTINGS}"
    if isinstance(exc, NoRegionError):
        return "no region; set RAIDLIB_S3_REGION (or AWS_DEFAULT_REGION)"
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return (
            f"the endpoint did not answer in time ({exc}); check {ENDPOINT_SETTINGS}, or "
            "raise RAIDLIB_S3_CONNECT_TIMEOUT_S / RAIDLIB_S3_READ_TIMEOUT_S"
        )
    if isinstance(exc, (EndpointConnectionError, ConnectionError, TimeoutError)):
        return f"the endpoint is unreachable ({exc}); check {ENDPOINT_SETTINGS} and the network"
    if isinstance(exc, FileNotFoundError):  # s3fs's NoSuchBucket without its botocore cause
        return f"bucket {bucket!r} does not exist (create it, or fix the root's bucket name)"
    if isinstance(exc, PermissionError):
        return f"access denied ({exc}); check {CREDENTIAL_SETTINGS}"
    return f"{type(exc).__name__}: {exc}"
