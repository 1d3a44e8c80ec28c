"""The dotenv file settings are read from: which one, and whether it can be read at all.

``RAIDLIB_ENV_FILE`` names the file to read instead of ``./.env`` (empty: none). pydantic-settings
reads it through python-dotenv, which skips what it cannot read or parse with a warning that
names neither the file nor the variable; these checks run first, so a problem is one line that
names the file (error-UX audit).
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

ENV_FILE_VARIABLE = "RAIDLIB_ENV_FILE"
DEFAULT_ENV_FILE = ".env"

_log = logging.getLogger("raidlib.settings")


class EnvFileError(ValueError):
    """The dotenv file cannot be used; the message says why and what to do."""


def chosen_env_file() -> str | None:
    """The dotenv file ``RAIDLIB_ENV_FILE`` names (``""``: none), else ``./.env``."""
    chosen = os.environ.get(ENV_FILE_VARIABLE)
    return DEFAULT_ENV_FILE if chosen is None else chosen or None


def env_file_in_use() -> str | None:
    """The dotenv file settings are read from, when there is one."""
    env_file = chosen_env_file()
    return env_file if env_file and os.path.isfile(env_file) else None


def describe_env_file(env_file: str, message: str) -> str:
    """``./.env (read by default) <why>``, or ``<file> (env RAIDLIB_ENV_FILE) <why>``: a UTF-16
    ``./.env`` was blamed on the command line, which names no file (error-UX audit)."""
    if os.environ.get(ENV_FILE_VARIABLE) == env_file:
        where = f"{env_file} (env {ENV_FILE_VARIABLE})"
    elif env_file == DEFAULT_ENV_FILE:
        where = f"./{env_file} (read by default)"
    else:
        where = env_file
    return f"{where} {message.removeprefix('Value error, ')}"


def read_dotenv(env_file: str) -> dict[str, str | None]:
    """The dotenv file's names (upper-cased) and values; none when it cannot be read or is not
    UTF-8 (an error of its own, raised when settings are built: :func:`check_env_file`)."""
    from dotenv import dotenv_values  # noqa: PLC0415 (pydantic-settings' own reader)

    try:
        with dotenv_parse_warnings_off():
            values = dotenv_values(env_file, encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return {k.upper(): v for k, v in values.items()}


def check_env_file(env_file: str) -> None:
    """Refuse a dotenv file that cannot be read, is not UTF-8, or has a line that python-dotenv
    cannot parse and that names a ``RAIDLIB_`` variable; warn, once per process, of any other
    line it cannot parse.

    python-dotenv skips a line it cannot parse (``RAIDLIB_AUTH_TOKEN='abc``, no closing quote)
    with a warning that names neither the file nor the variable, printed once per read (twice
    per command), and the command went on without the value: a dropped token turned the
    receiver's auth off, a dropped root put data in ``./lake``. That is the user's setting
    lost, as surely as a value a setting cannot take, which stops the command too. A statement
    naming no ``RAIDLIB_`` variable sets nothing raidlib reads (python-dotenv goes on at the
    next line): a warning is enough, as the file may be shared with other tools.

    Raises:
        EnvFileError: the reason, to be reported as a settings error naming the file.
    """
    from dotenv.parser import parse_stream  # noqa: PLC0415 (python-dotenv's own parser)

    try:
        with open(env_file, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise EnvFileError(
            "is not UTF-8 text (PowerShell 5's '>' writes UTF-16): save it as UTF-8"
        ) from None
    except OSError as exc:  # a PermissionError ended in two tracebacks (error-UX audit)
        fix = "fix its permissions" if isinstance(exc, PermissionError) else "check the file"
        raise EnvFileError(
            f"cannot be read ({exc.strerror or exc}): {fix}, "
            f"or set {ENV_FILE_VARIABLE}= to read none"
        ) from None
    for binding in parse_stream(io.StringIO(text)):
        if not binding.error:
            continue
        statement = binding.original.string  # a quoted value may span lines
        opened = _QUOTED_VALUE.match(statement.split("\n", 1)[0])
        hint = " (unclosed quote?)" if opened and opened[1] not in opened[2] else ""
        where = f"line {binding.original.line} could not be parsed{hint}"
        names = sorted({name.upper() for name in _RAIDLIB_NAME.findall(statement)})
        if names:
            raise EnvFileError(
                f"{where}, so {' '.join(names)} would not be set from it: fix the line "
                "(quote a value whole or not at all)"
            )
        if (env_file, binding.original.line) not in _noted_unparsed:
            _noted_unparsed.add((env_file, binding.original.line))
            _log.warning("%s %s and is ignored (it sets no RAIDLIB_ setting)", env_file, where)


# A RAIDLIB_ name where a line sets a variable, not anywhere in a value or comment ("code
# --profile raidlib_dev" in another tool's line refused the file: review).
_RAIDLIB_NAME = re.compile(r"^[ \t]*(?:export[ \t]+)?(RAIDLIB_\w+)", re.IGNORECASE | re.MULTILINE)
_QUOTED_VALUE = re.compile(r"[^=]*=\s*(['\"])(.*)")
_noted_unparsed: set[tuple[str, int]] = set()


@contextmanager
def dotenv_parse_warnings_off() -> Iterator[None]:
    """Without python-dotenv's warning of a line it cannot parse, which names no file and comes
    once per read: :func:`check_env_file` has said it once, naming the file and the line."""
    logger = logging.getLogger("dotenv.main")
    logger.addFilter(_not_a_parse_warning)
    try:
        yield
    finally:
        logger.removeFilter(_not_a_parse_warning)


def _not_a_parse_warning(record: logging.LogRecord) -> bool:
    return "could not parse statement" not in str(record.msg)
