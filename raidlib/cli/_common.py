"""Options shared by several sub-commands and flow scripts (lake roots, backend, injected faults,
combat-log import)."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import inspect
import os
import re
import select
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from raidlib.cli._interrupt import exit_at_once_on_interrupt
from raidlib.cli.arg_types import (
    MAX_BATCH_SIZE,
    batch_size,
    int_in,
    positive_float,
    raid_id,
    rate,
)
from raidlib.runconfig import settings_for_run
from raidlib.settings import Settings, describe_invalid_settings, is_invalid_settings

if TYPE_CHECKING:
    from raidlib.lake.lake import Layer


def add_lake_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("lake")
    group.add_argument(
        "--lake",
        help="local lake folder holding bronze/, silver/, gold/ (default: the RAIDLIB_*_ROOT "
        "settings, else ./lake)",
    )
    group.add_argument(
        "--bronze-root", help="bronze root: folder or s3:// URL (env RAIDLIB_BRONZE_ROOT)"
    )
    group.add_argument(
        "--silver-root", help="silver root: folder or s3:// URL (env RAIDLIB_SILVER_ROOT)"
    )
    group.add_argument("--gold-root", help="gold root: folder or s3:// URL (env RAIDLIB_GOLD_ROOT)")


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=["auto", "cudf", "pandas"],
        help="dataframe backend for silver/gold (default: env RAIDLIB_BACKEND, else auto)",
    )


def add_dask_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dask-address",
        metavar="URL",
        help="run the tasks on this Dask scheduler (tcp://host:8786; needs the dask extra)",
    )


def _plain(text: str) -> str:
    """Docstring text for a terminal: one paragraph, single backticks."""
    return " ".join(text.replace("``", "`").split())


def flow_summary(flow: Any) -> str:
    """A flow's docstring before its ``Args:``: the description of the flow script's ``--help``."""
    doc = inspect.getdoc(flow.fn) or ""
    return _plain(re.split(r"^Args:$", doc, maxsplit=1, flags=re.MULTILINE)[0])


def flow_parameter_help(flow: Any, name: str) -> str:
    """What the flow's docstring says of parameter ``name`` — the text the Prefect UI shows
    beside it — as ``--help`` text for the option that sets it."""
    description = flow.parameters.properties[name].get("description")
    if not description:
        raise ValueError(f"flow {flow.name!r} does not document its parameter {name!r}")
    return _plain(description).replace("%", "%%")  # argparse %-formats help strings


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Settings:
    """Environment/.env first, then whatever the command line says explicitly."""
    overrides = {
        n: getattr(args, n, None) for n in ("bronze_root", "silver_root", "gold_root", "backend")
    }
    return settings_for_run(getattr(args, "lake", None), **overrides, **extra)


TOKEN_PARAMETER_WARNING = (
    "the receiver's token was passed as a flow parameter, which Prefect stores in plain text "
    "in its database and shows in the UI; set RAIDLIB_AUTH_TOKEN in the environment of the "
    "worker (or the script) instead"
)


def token_to_environment(token: str | None) -> None:
    """A flow script's ``--token`` for this process's settings (``RAIDLIB_AUTH_TOKEN``), not a
    flow parameter: Prefect keeps parameters in plain text in its database and its UI."""
    if token:
        os.environ["RAIDLIB_AUTH_TOKEN"] = token


def tolerate_unencodable_output() -> None:
    """Print a character the output's encoding lacks as ``?`` instead of failing on it.

    On Windows, output to a file or a pipe is cp1252: a player named 龍騎士, or the arrow of a
    summary line, raised ``UnicodeEncodeError`` after the work was done, and the command
    exited 1. UTF-8 output is left alone.
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            utf8 = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            utf8 = False
        if not utf8 and getattr(stream, "errors", None) == "strict":
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")


EXIT_READER_GONE = 141
"""128 + SIGPIPE: what a shell reports for a command whose output's reader went away."""


def stdout_reader_gone(exc: BrokenPipeError) -> int:
    """:data:`EXIT_READER_GONE` after ``exc`` when stdout's reader went away (``| head``),
    with stdout pointed at the null device so that the interpreter's last flush raises nothing
    more; ``exc`` itself when it came from elsewhere (a socket), which is a real failure."""
    if not _stdout_reader_gone():
        raise exc
    with contextlib.suppress(AttributeError, OSError, ValueError):  # not a real file: no flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_READER_GONE


def _stdout_reader_gone() -> bool:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a stream in memory: does it still write?
        try:
            sys.stdout.write("")
            sys.stdout.flush()
        except BrokenPipeError:
            return True
        return False
    if not hasattr(select, "poll"):  # Windows: no way to ask; the error was most likely ours
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def parse_flow_args(
    parser: argparse.ArgumentParser,
    lake_layers: Callable[[argparse.Namespace], Sequence[Layer]] = lambda args: (),
    *,
    reads_lake: bool = False,
    problem: Callable[[argparse.Namespace], str | None] = lambda args: None,
) -> argparse.Namespace:
    """Parse a flow script's options, then check the settings they combine with.

    ``problem(args)``, the script's own check of its options (a log path that is no file), runs
    first. A flow that ``reads_lake`` (builds from what is there) notes a ``--lake`` folder
    that does not exist: a mistyped path would read as an empty lake.

    A bad ``RAIDLIB_*`` value is the user's to fix: it gets argparse's usage error (exit 2)
    naming the variable, before any flow run starts, rather than a failed run and a traceback.
    So do forcing the cuDF backend where it cannot run, a Dask scheduler that does not answer
    and an S3 root of ``lake_layers(args)`` (the layers the flow will use) that cannot be used:
    the flow checks its roots again as its first task (deployment runs start there), but a
    script says what is wrong in one line instead of Prefect's failed-task tracebacks. A flow
    that does not ``reads_lake`` writes the layers it uses: a local one it cannot write is
    said the same way (it used to end in a PermissionError traceback after the work).
    """
    from raidlib.backend import BackendUnavailableError, resolve_backend  # noqa: PLC0415
    from raidlib.lake import Lake, LakeStorageError  # noqa: PLC0415
    from raidlib.lake.preflight import local_root_write_problem  # noqa: PLC0415
    from raidlib.task_runners import (  # noqa: PLC0415
        TaskRunnerUnavailableError,
        check_scheduler,
        dask_task_runner,
    )

    tolerate_unencodable_output()
    args = parser.parse_args()
    if (reason := problem(args)) is not None:
        parser.exit(2, f"{parser.prog}: {reason}\n")
    # --token travels as this process's setting, not as a flow parameter (see
    # TOKEN_PARAMETER_WARNING), and is checked below with the other settings.
    token_to_environment(getattr(args, "token", None))
    try:
        settings = settings_from_args(args)
    except ValidationError as exc:
        if not is_invalid_settings(exc):
            raise  # a bug, not a bad setting: keep the traceback
        parser.exit(2, f"{parser.prog}: {describe_invalid_settings(exc)}\n")
    if settings.backend == "cudf" and hasattr(args, "backend"):  # a flow that uses a backend
        try:
            resolve_backend("cudf")  # probed once per process: the flow reuses the answer
        except BackendUnavailableError as exc:
            parser.exit(2, f"{parser.prog}: {exc}\n")
    if getattr(args, "dask_address", None):
        try:
            dask_task_runner(args.dask_address)
            check_scheduler(args.dask_address)
        except TaskRunnerUnavailableError as exc:
            parser.exit(2, f"{parser.prog}: {exc}\n")
    try:
        opened = Lake.from_settings(settings)
        opened.check_storage(lake_layers(args))
    except LakeStorageError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    receiver = getattr(args, "receiver_url", None)
    if receiver and (status := receiver_unreachable(receiver, parser.prog)) is not None:
        parser.exit(status)
    if not reads_lake:  # it writes every layer it uses (ingest, import, demo): can it?
        for layer in lake_layers(args):
            if (why := local_root_write_problem(opened, layer)) is not None:
                parser.exit(2, f"{parser.prog}: {why}\n")
    lake = getattr(args, "lake", None)
    if reads_lake and lake and not os.path.exists(lake):
        print(
            f"{parser.prog}: note: {lake} does not exist yet, so there is nothing to read there "
            "(it is created on the first write)",
            file=sys.stderr,
        )
    return args


TEMPORARY_SERVER_STARTUP_S = 90
"""How long a flow script waits for Prefect's temporary server to answer, unless the user set
``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``. Prefect's own default, 20 s, is shorter than
a first start takes on a slow machine (it creates the database): the run then failed with
"Timed out while attempting to connect to ephemeral Prefect API server". 90 s matches the
startup bound of ``raidlib up``."""


@contextmanager
def flow_script_settings() -> Iterator[None]:
    """Prefect settings for running a flow script once, here; a value the user set (environment
    or Prefect profile) still wins.

    Without ``PREFECT_API_URL`` the flow call starts Prefect's temporary server, which waits
    :data:`TEMPORARY_SERVER_STARTUP_S` for it, and runs it without usage telemetry: offline,
    telemetry logs an ERROR on every start ("Failed to send telemetry":
    PrefectHQ/prefect#11326) and, on the first start with a fresh ``PREFECT_HOME``, a "database
    is locked" traceback, noise that looks like a failed run (``raidlib up`` turns it off too).
    Prefect hands the server subprocess every setting that is set, these defaults included. A
    settings context rather than environment variables, because Prefect reads its settings when
    it is imported. On the temporary server, Ctrl-C and SIGTERM end the script at once
    (:mod:`raidlib.cli._interrupt`).
    """
    from prefect.settings import (  # noqa: PLC0415
        PREFECT_API_URL,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    defaults = {
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: TEMPORARY_SERVER_STARTUP_S,
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
    }
    from raidlib.lake.preflight import LakeStorageError  # noqa: PLC0415

    with temporary_settings(set_defaults=defaults), contextlib.ExitStack() as stack:
        if not PREFECT_API_URL.value():  # Prefect's temporary server: it dies with Ctrl-C
            stack.enter_context(exit_at_once_on_interrupt())
        try:
            yield
        except KeyboardInterrupt:  # a real server recorded the interrupted run: say it briefly
            print("interrupted", file=sys.stderr)
            raise SystemExit(130) from None
        except BrokenPipeError as exc:  # ``| head``: the run finished, its summary was cut
            raise SystemExit(stdout_reader_gone(exc)) from None
        except LakeStorageError as exc:  # the run's log has the traceback; the fix is a setting
            raise SystemExit(f"error: {exc}") from exc
        except RuntimeError as exc:
            if "ephemeral Prefect API server" not in str(exc):
                raise
            from prefect.server.api.server import SubprocessASGIServer  # noqa: PLC0415

            SubprocessASGIServer().stop()  # so that its log ends before the explanation
            raise SystemExit(temporary_server_failed()) from exc


def temporary_server_failed() -> str:
    """What to do when Prefect's temporary server never answered (the script exits 1 with it).

    Prefect keeps waiting while the server process has already failed, then raises a bare
    timeout; the usual cause is a database upgraded by a newer Prefect (another project
    sharing ``~/.prefect``), which the server's log above names ("No such revision").
    """
    import prefect  # noqa: PLC0415
    from prefect.settings import (  # noqa: PLC0415
        PREFECT_HOME,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    )

    home = PREFECT_HOME.value()
    return (
        f"error: Prefect's temporary server did not answer within "
        f"{PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value():g} s; its log above says why.\n"
        f'If it says "No such revision" or "Can\'t locate revision", the database in {home} '
        f"was upgraded by a newer Prefect than this one ({prefect.__version__}). Either keep "
        f"raidlib's runs apart (PREFECT_HOME=~/.prefect-raidlib), or run them on a server: "
        f"`raidlib up` starts one with its own database, then set "
        f"PREFECT_API_URL=http://127.0.0.1:4200/api."
    )


def receiver_unreachable(url: str, prog: str) -> int | None:
    """Exit status 2, with the reason on stderr after ``prog``, when no receiver answers at
    ``url``; else None.

    Checked before a command or flow script simulates raids or reads a log, which may take
    minutes (and a flow's failed task would print tracebacks instead of the reason).
    """
    from raidlib.client import ReceiverUnreachable, require_receiver  # noqa: PLC0415

    try:
        require_receiver(url)
    except ReceiverUnreachable as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    return None


def log_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be read as a combat log file (missing, a folder), or None."""
    if os.path.isdir(path):
        return f"{path} is a folder, not a combat log file"
    if not os.path.isfile(path):
        return f"no such file: {path}"
    return None


def add_fault_options(parser: argparse.ArgumentParser, title: str) -> None:
    """The generator's fault injection; ``--duplicates`` and ``--duplicate-rate`` are one option."""
    faults = parser.add_argument_group(title)
    faults.add_argument("--duplicates", "--duplicate-rate", dest="duplicate_rate", type=rate,
                        default=0.0, metavar="RATE",
                        help="events sent again in a later batch (default 0)")  # fmt: skip
    faults.add_argument("--late", "--late-rate", dest="late_rate", type=rate, default=0.0,
                        metavar="RATE", help="events delivered late (default 0)")  # fmt: skip
    faults.add_argument("--max-late-days", type=positive_float, default=2.0,
                        help="how late late events may be, in days (default 2)")  # fmt: skip
    faults.add_argument("--invalid", "--invalid-rate", dest="invalid_rate", type=rate,
                        default=0.0, metavar="RATE",
                        help="invalid copies of events, in batches of their own that the "
                             "receiver must reject (default 0)")  # fmt: skip


def faults_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~raidlib.generator.FaultConfig` the fault options asked for."""
    from raidlib.generator import FaultConfig

    return FaultConfig(
        duplicate_rate=args.duplicate_rate,
        late_rate=args.late_rate,
        max_late_days=args.max_late_days,
        invalid_rate=args.invalid_rate,
    )


def _clock_option(field: str, cast: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type for a clock option, checked as the importer checks it (one rule)."""

    def parse(text: str) -> Any:
        from raidlib.combatlog.timestamps import ClockState, TimestampContextError  # noqa: PLC0415

        value = cast(text)
        try:
            ClockState(**{field: value})
        except TimestampContextError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
        return value

    parse.__name__ = cast.__name__  # argparse names the type in "invalid int value: 'x'"
    return parse


def add_combatlog_options(parser: argparse.ArgumentParser) -> None:
    """How a combat log is read and cut into batches: ``raidlib import-log`` and the flow script."""
    clock = parser.add_argument_group(
        "time stamps (only for logs whose time stamps carry no year or UTC offset: before "
        "11.0.2, i.e. COMBAT_LOG_VERSION < 21, and Classic)"
    )
    clock.add_argument("--year", type=_clock_option("year", int), default=None,
                       help="year, for logs without one")  # fmt: skip
    zone = clock.add_mutually_exclusive_group()
    zone.add_argument("--utc-offset", dest="utc_offset_hours",
                      type=_clock_option("utc_offset_hours", float), default=None, metavar="H",
                      help="recorder's UTC offset, hours (e.g. 5.5)")  # fmt: skip
    zone.add_argument("--tz", type=_clock_option("tz", str), default=None, metavar="NAME",
                      help="recorder's IANA time zone (e.g. Europe/Paris)")  # fmt: skip
    parser.add_argument(
        "--scope",
        choices=["encounter", "all"],
        default="encounter",
        help="encounter: only rows inside boss pulls, deaths included (default); all: every row",
    )
    parser.add_argument("--batch-size", type=batch_size, default=5_000,
                        help=f"events per batch (default 5000, max {MAX_BATCH_SIZE})")  # fmt: skip
    parser.add_argument(
        "--raid-id", type=raid_id, default=None, help="raid id (default: file name + date)"
    )
    parser.add_argument(
        "--boss-npc-id",
        dest="boss_npc_ids",
        type=int_in(1),
        action="append",
        default=[],
        metavar="ID",
        help="an NPC id (6th part of its Creature-… GUID) to count as a boss, for bosses not "
        "named like their encounter (councils); repeat for each",
    )
