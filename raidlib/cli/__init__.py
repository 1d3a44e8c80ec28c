"""``raidlib`` command line: one entry point, one module per sub-command.

Each module in this package defines ``register(subparsers)`` which adds its sub-command and
sets ``func`` on the parser; they are discovered here, so adding a command touches one file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from importlib import metadata

from pydantic import ValidationError

from raidlib import __version__
from raidlib.cli.terminal import stdout_reader_gone, tolerate_unencodable_output
from raidlib.settings import describe_invalid_settings, is_invalid_settings

# cuDF's wheels carry the CUDA major in their name; the rapidsai conda package (environment.yml)
# is plain ``cudf``.
VERSIONS_SHOWN = ("pandas", "pyarrow", "prefect", "pydantic", "cudf-cu12", "cudf-cu13", "cudf")


def describe_versions() -> str:
    """raidlib's version and those of the packages that decide its behaviour (for bug reports).

    Read from the installed distributions' metadata: nothing is imported, so it is instant.
    """
    found = []
    for name in VERSIONS_SHOWN:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            if not name.startswith("cudf"):
                found.append(f"{name} not installed")
    if not any(name.startswith("cudf") for name in found):
        found.append("cudf not installed")
    python = ".".join(map(str, sys.version_info[:3]))
    return f"raidlib {__version__} (Python {python}; {', '.join(found)})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raidlib",
        description="World of Warcraft raid telemetry: receiver, bronze/silver/gold lake, Prefect flows.",
    )
    parser.add_argument(
        "--version", action="store_true", help="show the versions of raidlib and its engines"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError as exc:  # ``raidlib … | head``: the reader has what it wanted
        return stdout_reader_gone(exc)


def _main(argv: Sequence[str] | None) -> int:
    tolerate_unencodable_output()
    # Prefect's client telemetry reads this when Prefect is imported (by the commands, later);
    # the servers and workers `raidlib up` starts inherit it. README: "Running flows".
    os.environ.setdefault("DO_NOT_TRACK", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:  # printed whole: argparse's version action would wrap the line
        print(describe_versions())
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        left = getattr(args, "interrupted", None)  # what is left, and how to finish it
        print(f"interrupted: {left}" if left else "interrupted", file=sys.stderr)
        return 130
    except ValidationError as exc:
        if not is_invalid_settings(exc):
            raise  # a bug, not a bad setting: keep the traceback
        print(f"raidlib {args.command}: {describe_invalid_settings(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        # Imported here: the lake (fsspec) is not loaded for commands that never touch it.
        from raidlib.lake import LakeDataError, LakeStorageError, LakeWriteError  # noqa: PLC0415

        if not isinstance(exc, (LakeDataError, LakeStorageError, LakeWriteError)):
            raise  # a bug: keep the traceback
        # A full disk, a damaged file, an unusable root: named, with what to do, in one line.
        print(f"raidlib {args.command}: {exc}", file=sys.stderr)
        return 2
