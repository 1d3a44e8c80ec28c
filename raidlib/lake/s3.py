"""S3 / MinIO configuration for the lake: s3fs options from :class:`~raidlib.settings.Settings`.

Everything comes from configuration, never from code. A setting left empty is simply not passed,
so botocore's own chain fills it in: ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` /
``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` and ``~/.aws/*``, ``AWS_DEFAULT_REGION``, and
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` (botocore >= 1.31), then instance roles. Passing an
access key we picked from the environment ourselves would drop the session token that temporary
credentials need, so we deliberately leave the fallback to botocore. Retries likewise follow
``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE`` (botocore's default: legacy mode, 5 attempts) and
nothing else: s3fs's own retry rounds are turned off (:data:`S3FS_RETRIES`), and each attempt
is bounded by ``RAIDLIB_S3_CONNECT_TIMEOUT_S`` / ``RAIDLIB_S3_READ_TIMEOUT_S``.
"""

from __future__ import annotations

from typing import Any

from raidlib.settings import Settings

# botocore >= 1.36 computes and sends CRC checksums on every upload and validates them on
# downloads by default ("when_supported"). S3-compatible servers that predate it (older MinIO,
# Ceph, Backblaze B2, ...) reject those requests (XAmzContentSHA256Mismatch, MissingContentMD5,
# "Unsupported header x-amz-sdk-checksum-algorithm"). "when_required" restores the pre-1.36
# behaviour, which AWS S3 itself also accepts, so one setting works with both.
# Upstream: https://github.com/boto/boto3/issues/4392 (the announcement) and
# https://github.com/fsspec/s3fs/issues/931 (s3fs: pass it through ``config_kwargs``).
CHECKSUM_CONFIG: dict[str, str] = {
    "request_checksum_calculation": "when_required",
    "response_checksum_validation": "when_required",
}

S3FS_RETRIES = 1
"""Attempts s3fs makes of each call, each of them with all of botocore's own attempts.

s3fs's default is 5, so against an endpoint that accepts connections and never answers one
request took 5 x (botocore's attempts) x the read timeout: about 7 minutes. botocore's
retries (``AWS_MAX_ATTEMPTS``) already cover throttling and connection errors. s3fs takes no
constructor option for it (a class attribute), so :meth:`Lake.fs` sets it on the instance.
"""

DEFAULT_TIMEOUTS: dict[str, float] = {
    "connect_timeout": Settings.model_fields["s3_connect_timeout_s"].default,
    "read_timeout": Settings.model_fields["s3_read_timeout_s"].default,
}
"""botocore's per-attempt timeouts for a ``Lake`` built without settings."""


def cat_object(fs: Any, path: str) -> bytes:
    """A whole object's bytes, in one request on S3.

    s3fs's ``cat_file`` first asks for an object's size (a HEAD) to decide whether to fetch it
    in parallel ranges (added by fsspec/s3fs#1007), which pays only past its 50 MiB block size.
    Manifests, bronze objects (at most one request's worth, 16 MiB by default) and gold state
    are far smaller, so on S3 they are fetched with a single GET; a missing one still raises
    ``FileNotFoundError``. Other filesystems read as usual.
    """
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    if "s3" in protocols:
        return fs.cat_file(path, max_concurrency=1)
    return fs.cat_file(path)


def cat_listed(fs: Any, path: str, size: int | None) -> bytes:
    """A listed object's bytes: one GET (:func:`cat_object`) when the listing's ``size`` is
    within s3fs's block size, else s3fs's own read (ranged and parallel past that size)."""
    if size is not None and size <= getattr(fs, "default_block_size", 0):
        return cat_object(fs, path)
    return fs.cat_file(path)


def s3_storage_options(settings: Settings) -> dict[str, Any]:
    """s3fs keyword arguments for the lake's ``s3://`` roots.

    Returns:
        A fresh dict for ``fsspec.filesystem("s3", **options)``: ``key``/``secret`` and
        ``client_kwargs`` (``endpoint_url``, ``region_name``, ``verify``) only where settings give
        them, ``config_kwargs`` (checksums, connect and read timeouts) always, and
        ``use_listings_cache=False``.
    """
    options: dict[str, Any] = {
        "config_kwargs": {
            "connect_timeout": settings.s3_connect_timeout_s,
            "read_timeout": settings.s3_read_timeout_s,
        }
    }
    client_kwargs: dict[str, Any] = {}
    if settings.s3_endpoint_url:
        client_kwargs["endpoint_url"] = settings.s3_endpoint_url
    if settings.s3_region:
        client_kwargs["region_name"] = settings.s3_region
    if not settings.s3_verify_tls:
        client_kwargs["verify"] = False
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    if settings.s3_access_key_id:
        options["key"] = settings.s3_access_key_id
    if settings.s3_secret_access_key:
        options["secret"] = settings.s3_secret_access_key
    return with_s3_defaults(options)


def with_s3_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` plus raidlib's s3fs defaults (explicit values in ``options`` win).

    :meth:`Lake.fs` applies this too, so a ``Lake`` built by hand gets the same behaviour.
    """
    merged: dict[str, Any] = {
        # fsspec caches filesystem *instances* per (arguments, thread, pid), and each instance
        # keeps a directory-listing cache (``dircache``) for its lifetime. In a long-lived
        # process (a Prefect worker, the receiver, a test session) a later run would reuse the
        # instance and list what an earlier run saw, missing bronze objects landed since by
        # another process. Listings are therefore never cached; instances still are, so the
        # connection pool is reused, and callers need no ``invalidate_cache()`` before listing.
        "use_listings_cache": False,
        **options,
    }
    merged["config_kwargs"] = {
        **CHECKSUM_CONFIG,
        **DEFAULT_TIMEOUTS,
        **options.get("config_kwargs", {}),
    }
    return merged


def prefect_result_storage(
    settings: Settings,
    *,
    name: str = "raidlib-results",
    basepath: str | None = None,
    include_credentials: bool = False,
) -> str | None:
    """Save a Prefect ``RemoteFileSystem`` block on the lake's object store; return its slug.

    Prefect 3 only accepts *saved* blocks as result storage (PrefectHQ/prefect#15794), so this
    creates (or overwrites) the block ``remote-file-system/<name>`` and returns that slug for
    ``flow.with_options(result_storage=slug, persist_result=True)``.

    Args:
        settings: the product settings; their S3 options (endpoint, region, TLS, checksum
            config) go into the block.
        name: block name.
        basepath: an ``s3://`` URL; by default ``<gold_root>/_prefect/results`` when the gold
            root is on S3 (readers skip ``_``-prefixed folders, so gold tables are unaffected).
        include_credentials: also store ``key``/``secret`` in the block. A ``RemoteFileSystem``
            keeps its settings in plain text in the Prefect database, so by default they are
            left out and the process running the flow supplies them through the standard
            ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (or a profile or role).

    Returns:
        The block slug, or ``None`` when the gold root is local (Prefect then keeps results
        under ``PREFECT_LOCAL_STORAGE_PATH``, its default).
    """
    if basepath is None:
        root = settings.gold_root
        if not root.startswith("s3://"):
            return None
        basepath = f"{root.rstrip('/')}/_prefect/results"
    from prefect.filesystems import RemoteFileSystem

    options = s3_storage_options(settings)
    if not include_credentials:
        options.pop("key", None)
        options.pop("secret", None)
    RemoteFileSystem(basepath=basepath, settings=options).save(name, overwrite=True)
    return f"remote-file-system/{name}"
