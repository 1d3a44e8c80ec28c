"""Flow scripts (``python flows/<name>.py``): their ``--help`` from the flow's docstring, their
options checked against the settings before a run starts, and the Prefect settings they run
under."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from raidlib.cli._interrupt import exit_at_once_on_interrupt
from raidlib.cli.checks import receiver_unusable
from raidlib.cli.options import settings_from_args
from raidlib.cli.terminal import stdout_reader_gone, tolerate_unencodable_output
from raidlib.settings import describe_invalid_settings, is_invalid_settings

if TYPE_CHECKING:
    from raidlib.lake.lake import Layer


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
    if receiver and (status := receiver_unusable(receiver, parser.prog, settings.auth_token)):
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
    (:mod:`raidlib.cli._interrupt`). A receiver that refuses the token ends the script with
    exit status 2, as a bad setting does.
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
    from raidlib.client import ReceiverRefusedToken  # noqa: PLC0415
    from raidlib.lake import LakeDataError, LakeStorageError, LakeWriteError  # noqa: PLC0415

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
        except (LakeStorageError, LakeDataError, LakeWriteError, ReceiverRefusedToken) as exc:
            # The run's log has the traceback; the script's last word is what to fix (a
            # setting, a damaged file, a full disk, the token), as parse_flow_args says a root
            # it finds unusable.
            print(f"{os.path.basename(sys.argv[0])}: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
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
