"""One typed settings object for the whole product.

Built at the edge (CLI, flow parameters, ``RAIDLIB_*`` environment variables, an optional
``.env`` file) and passed down; nothing in raidlib reads the environment at import time.
``RAIDLIB_ENV_FILE`` names the dotenv file to read instead of ``./.env``; set it empty to read none.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from raidlib.dotenv_file import (
    DEFAULT_ENV_FILE,
    ENV_FILE_VARIABLE,
    EnvFileError,
    check_env_file,
    chosen_env_file,
    describe_env_file,
    dotenv_parse_warnings_off,
    env_file_in_use,
    read_dotenv,
)

BackendName = Literal["auto", "cudf", "pandas"]

_log = logging.getLogger(__name__)


# Upper bounds far beyond any sensible value, so that a typo (an extra digit, ``1e20``) is a
# settings error rather than an overflow inside a task after its retries (config audit).
_A_DAY_S = 86_400
_A_WEEK_S = 7 * _A_DAY_S
_A_CENTURY_S = 36_525 * _A_DAY_S
_MOST_BYTES = 2**50  # a pebibyte

DEFAULT_ENRAGE_TIMER_MS = 360_000
"""The enrage timer (6 minutes) gold's ``dim_raid.duration_target_ms`` measures raids against
and the generator simulates, when none is given."""

DEFAULT_MAX_EVENT_AGE_DAYS = 5 * 365.25
"""How much older than its ingest time an event may be before silver quarantines it (5 years)."""


class Settings(BaseSettings):
    """Every knob raidlib has, with the defaults of the embedded (local-folder) set-up."""

    # hide_input_in_errors: a ValidationError's text (logged by a failed flow run, stored by
    # Prefect) must not carry a bad token or key; describe_invalid_settings names the values of
    # settings that are not secrets itself.
    model_config = SettingsConfigDict(
        env_prefix="RAIDLIB_",
        env_file=DEFAULT_ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
        # inf passed every ``gt=0`` and failed later, deep inside (config audit)
        allow_inf_nan=False,
    )

    def __init__(self, **values: Any) -> None:
        # Which dotenv file to read is chosen when settings are built, not at import: a second
        # configuration (staging, a test run) is one variable away, and "" turns the file off.
        if "_env_file" not in values:
            chosen = os.environ.get(ENV_FILE_VARIABLE)
            if chosen and not os.path.isfile(chosen):
                # A mistyped name must not quietly fall back to the defaults (the default
                # ./.env, by contrast, is optional).
                raise invalid_setting("env_file", chosen, "names no file")
            values["_env_file"] = chosen_env_file()
        env_file = values["_env_file"]
        if isinstance(env_file, (str, os.PathLike)) and os.path.isfile(env_file):
            try:
                check_env_file(os.fspath(env_file))
            except EnvFileError as exc:
                raise invalid_setting("env_file", os.fspath(env_file), str(exc)) from None
        try:
            with dotenv_parse_warnings_off():
                super().__init__(**values)
        finally:  # a typo may be why another setting looks wrong
            note_unknown_settings()

    # Lake: each root is a local folder or an s3:// URL.
    bronze_root: str = "./lake/bronze"
    silver_root: str = "./lake/silver"
    gold_root: str = "./lake/gold"

    @field_validator("bronze_root", "silver_root", "gold_root")
    @classmethod
    def _a_folder_or_a_bucket(cls, root: str) -> str:
        """An empty root would put the lake in the working folder; ``s3://`` alone nowhere."""
        root = root.strip()
        if not root:
            raise ValueError("is empty: give a folder or an s3://bucket[/prefix] URL")
        scheme, sep, rest = root.partition("://")
        if sep and not rest.strip("/"):
            raise ValueError(f"names no bucket or folder after {scheme}://")
        if root[:3].lower() == "s3:":
            # "s3:/bronze" or "s3:bronze" would otherwise be a local folder named "s3:", and
            # fsspec knows no protocol "S3" (only "s3").
            return _s3_root(root)
        return root

    # S3 / MinIO (only used for s3:// roots). Credentials fall back to the standard AWS variables.
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_region: str | None = None
    s3_verify_tls: bool = True
    # Per request attempt: connecting, and waiting for each read from the socket. botocore
    # still makes AWS_MAX_ATTEMPTS attempts; s3fs's own retries (5 more rounds) are turned off.
    s3_connect_timeout_s: float = Field(default=5.0, gt=0, le=_A_DAY_S)
    s3_read_timeout_s: float = Field(default=15.0, gt=0, le=_A_DAY_S)

    @field_validator("s3_endpoint_url")
    @classmethod
    def _an_http_url(cls, url: str | None) -> str | None:
        """botocore takes ``localhost:9000`` and fails at the first request (Invalid endpoint)."""
        if url is None or not url.strip():
            return None
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError("is not an http:// or https:// URL with a host, e.g. http://host:9000")
        try:
            parts.port  # noqa: B018 (raises on a port that is not a number or out of range)
        except ValueError as exc:
            raise ValueError(f"has a bad port: {exc}") from None
        return url

    # Dataframe backend for silver and gold.
    backend: BackendName = "auto"
    # At most this much GPU memory (MiB) per process on cuDF; None: the card's free memory.
    # The memory policy plans against the cap, and an allocation past it counts as running out
    # of GPU memory (the step reruns on pandas). Leaves room on a shared card, or rehearses a
    # smaller one (a 4 GB laptop GPU has ~3,500 MiB free) on a bigger GPU.
    gpu_memory_limit_mib: float | None = Field(default=None, gt=0, le=_MOST_BYTES / 2**20)

    @field_validator("auth_token")
    @classmethod
    def _a_token_a_header_can_carry(cls, token: str | None) -> str | None:
        """Empty means no auth, as unset. Spaces around a token (a ``.env`` line's trailing
        blank) are dropped, since no client could send them; a blank token or one with
        characters an HTTP header cannot carry locked every client out (security audit)."""
        if token is None or token == "":
            return None
        token = token.strip()
        if not token:
            raise ValueError("is only spaces: leave it empty for no auth, or give a token")
        if not (token.isascii() and token.isprintable()):
            raise ValueError("must be printable ASCII: an HTTP header carries it")
        return token

    # Event validation (the receiver and silver's rules).
    max_clock_skew_s: float = Field(default=300.0, ge=0, le=_A_CENTURY_S)
    # Silver quarantines an event more than this many days older than its ingest time
    # (``timestamp_too_old``): the epoch or a wrong year is a bug, an old log is not. Raise it
    # before importing combat logs older than five years (at most 36,525 days: a century).
    max_event_age_days: float = Field(default=DEFAULT_MAX_EVENT_AGE_DAYS, gt=0, le=36_525)

    # Receiver.
    receiver_host: str = "127.0.0.1"
    receiver_port: int = Field(default=8000, ge=0, le=65535)
    max_events_per_request: int = Field(default=10_000, ge=1)
    max_request_bytes: int = Field(default=16 * 1024 * 1024, ge=1, le=_MOST_BYTES)
    auth_token: str | None = None
    sse_queue_size: int = Field(default=10_000, ge=1)
    # ... and at most this many bytes of them per client: events have free-text fields of any
    # length, so a count alone bounds no memory.
    sse_queue_bytes: int = Field(default=32 * 1024 * 1024, ge=1, le=_MOST_BYTES)
    sse_heartbeat_s: float = Field(default=15.0, gt=0, le=_A_DAY_S)
    # Each stream client holds a server thread for as long as it is connected; the served
    # receiver adds this many threads to its pool, so stream clients can never take the ones
    # that answer POST /events and /health. One more client gets 503.
    sse_max_clients: int = Field(default=8, ge=0)
    # A stream client that nothing could be sent to for this long while output waits for it (a
    # hung consumer, or one far slower than the stream) is disconnected, freeing its thread
    # and slot (waitress's own idle timeout is 120 s too).
    sse_stall_timeout_s: float = Field(default=120.0, gt=0, le=_A_DAY_S)

    # Orchestration: how long a run waits for a one-at-a-time slot (silver processing, the
    # dim_player rebuild) held by another run before failing with a clear error.
    slot_wait_s: float = Field(default=3600.0, gt=0, le=_A_WEEK_S)
    # How many silver batch groups or gold raids a flow works on at once in its own process.
    # Each holds its partition's frames, so memory grows with this, not with the number of
    # raids. None: 2 on pandas, 1 on cuDF (one GPU, and each step plans against its free
    # memory). Not used on a Dask task runner, whose workers bound the parallelism.
    parallel_tasks: int | None = Field(default=None, ge=1)

    # Gold.
    enrage_timer_ms: int = Field(default=DEFAULT_ENRAGE_TIMER_MS, ge=1, le=_A_DAY_S * 1000)
    # Silver (Parquet MiB) per gold task: raids are built in groups this big, since a build
    # costs ~0.5 s however small the raid. 0: one raid per task. None: 8, except on cuDF in
    # the flow's own process: as much as one GPU build holds (gold.pipeline.gold_group_bytes).
    gold_task_silver_mib: float | None = Field(default=None, ge=0, le=_MOST_BYTES / 2**20)

    @field_validator(
        "gpu_memory_limit_mib", "parallel_tasks", "gold_task_silver_mib", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """``RAIDLIB_GPU_MEMORY_LIMIT_MIB=`` (empty) means no cap, as leaving it out does; the
        same for the other settings whose default depends on the backend."""
        return None if isinstance(value, str) and not value.strip() else value


_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
"""S3's bucket naming rules (3-63 characters: lower-case letters, digits, dots, hyphens)."""


def _s3_root(root: str) -> str:
    """``root`` as ``s3://bucket[/prefix]`` (scheme lower-cased), or why it is not one."""
    scheme, sep, rest = root.partition("://")
    if not sep or scheme.lower() != "s3":
        raise ValueError("is not an s3://bucket[/prefix] URL (two slashes after s3:)")
    bucket = rest.split("/", 1)[0]
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise ValueError(
            f"names no valid bucket: {bucket!r} (3-63 characters: lower-case letters, digits, "
            "dots and hyphens, starting and ending with a letter or digit)"
        )
    return f"s3://{rest}"


_SECRET_WORDS = ("token", "secret", "key")


def invalid_setting(field: str, value: Any, reason: str) -> ValidationError:
    """A settings error raised outside field validation, shaped like the others."""
    return ValidationError.from_exception_data(
        Settings.__name__,
        [{"type": "value_error", "loc": (field,), "input": value, "ctx": {"error": reason}}],
    )


def is_invalid_settings(exc: ValidationError) -> bool:
    """Whether ``exc`` rejects the user's settings (a usage error), not another model (a bug)."""
    return exc.title == Settings.__name__


def describe_invalid_settings(exc: ValidationError) -> str:
    """What is wrong with the settings, one line per field, named as the user set it.

    A setting comes from a ``RAIDLIB_*`` variable, ``.env``, a command-line option or a flow
    parameter, so each line says which; values of secrets are never echoed.
    """
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        if field == "env_file":  # the file settings are read from, not a setting of its own
            lines.append(describe_env_file(error["input"], error["msg"]))
            continue
        variable = f"{Settings.model_config['env_prefix']}{field.upper()}"
        line = f"setting {field} ({_where_set(variable, error['input'])}): "
        line += error["msg"]
        if not any(word in field for word in _SECRET_WORDS):
            line += f", got {error['input']!r}"
        lines.append(line)
    return "\n".join(lines)


def _where_set(variable: str, value: Any) -> str:
    """``env RAIDLIB_X``, ``RAIDLIB_X in ./.env`` when the dotenv file sets it (a user told
    "env" looks in the shell and finds nothing there), or the command line / a flow parameter
    when neither holds ``value`` (``--bronze-root s3:/x`` was blamed on the variable)."""
    environment = {name.upper(): text for name, text in os.environ.items()}
    if variable in environment:
        return f"env {variable}" if environment[variable] == str(value) else _GIVEN
    env_file = env_file_in_use()
    in_file = read_dotenv(env_file) if env_file else {}
    if variable in in_file:
        return f"{variable} in {env_file}" if in_file[variable] == str(value) else _GIVEN
    return _GIVEN


_GIVEN = "as given on the command line or as a flow parameter"


def settings_environment(settings: Settings, relative_to: str) -> dict[str, str]:
    """``RAIDLIB_*`` variables that give a child process exactly the settings that were set here
    (environment, dotenv file, options), with local lake roots made absolute against
    ``relative_to``, and ``RAIDLIB_ENV_FILE`` empty so that the child reads no dotenv file.

    A child started in another folder (``raidlib up`` starts its parts in the checkout) would
    otherwise read that folder's ``.env``, not the one here, and place relative roots there: a
    token set in ``./.env`` was silently dropped (config audit).
    """
    env = {ENV_FILE_VARIABLE: ""}
    for name in sorted(settings.model_fields_set):
        value = getattr(settings, name)
        if value is None:
            continue
        if name.endswith("_root") and ("://" not in value or value.startswith("file://")):
            local = value.removeprefix("file://")  # a local folder, as raidlib.lake reads it
            value = os.path.normpath(os.path.join(os.path.abspath(relative_to), local))
        text = str(value).lower() if isinstance(value, bool) else str(value)
        env[f"{Settings.model_config['env_prefix']}{name.upper()}"] = text
    return env


NOT_SETTINGS = frozenset({ENV_FILE_VARIABLE, "RAIDLIB_PROJECT_DIR", "RAIDLIB_TEST_WORKERS"})
"""``RAIDLIB_*`` names that raidlib reads, but not as settings."""

_noted_unknown: set[str] = set()


def note_unknown_settings() -> None:
    """Warn once per process of each ``RAIDLIB_*`` name in the environment or the dotenv file
    that no setting has: a misspelling (``RAIDLIB_BACKNED``) was silently ignored."""
    names = {name.upper() for name in os.environ if name.upper().startswith("RAIDLIB_")}
    env_file = env_file_in_use()
    if env_file:
        names |= set(read_dotenv(env_file))
    known = {f"RAIDLIB_{field.upper()}" for field in Settings.model_fields} | NOT_SETTINGS
    for name in sorted(n for n in names - known - _noted_unknown if n.startswith("RAIDLIB_")):
        _noted_unknown.add(name)
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        where = "" if name in {n.upper() for n in os.environ} else f" in {env_file}"
        _log.warning("%s%s is not a raidlib setting and is ignored%s", name, where, hint)
