"""``raidlib up``: the whole local stack (Prefect server, set-up, worker, receiver), no Docker."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from raidlib.cli.arg_types import int_in, positive_float
from raidlib.cli.checks import bronze_unusable
from raidlib.cli.options import settings_from_args
from raidlib.cli.serve import auth_line
from raidlib.lake.preflight import LAYERS
from raidlib.prefect_setup import PrefectSetupError
from raidlib.settings import settings_environment
from raidlib.stack import (
    Stack,
    StackConfig,
    StackError,
    project_dir_problem,
    project_root,
    state_dir_problem,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "up",
        help="start Prefect server, worker and receiver on 127.0.0.1 (Ctrl-C stops them all)",
        description=(
            "Start a local Prefect server (SQLite under <state-dir>/prefect), create the "
            "raidlib-pool work pool and the raidlib-dim-player, raidlib-bronze-to-silver and "
            "raidlib-silver-to-gold concurrency limits, optionally "
            "`prefect deploy --all`, then a process worker and the receiver. Logs go to "
            "<state-dir>/logs/. Ctrl-C or SIGTERM stops everything."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument(
        "--prefect-port",
        type=int_in(1, 65535),
        default=4200,
        help="Prefect UI/API port (default 4200)",
    )
    parser.add_argument(
        "--receiver-port",
        type=int_in(1, 65535),
        default=None,
        help="receiver port (env RAIDLIB_RECEIVER_PORT, default 8000)",
    )
    parser.add_argument("--no-worker", action="store_true", help="do not start a worker")
    parser.add_argument("--no-receiver", action="store_true", help="do not start the receiver")
    parser.add_argument(
        "--deploy", action="store_true", help="run `prefect deploy --all` after the set-up"
    )
    parser.add_argument(
        "--lake",
        help="local lake folder for the receiver and flow runs (sets RAIDLIB_*_ROOT; "
        "default: RAIDLIB_*_ROOT from the environment, else ./lake)",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        help="checkout holding prefect.yaml (default: this package's checkout, else the current folder)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="logs and Prefect DB (default: .raidlib in the checkout)",
    )
    parser.add_argument(
        "--worker-poll-seconds",
        type=positive_float,
        default=5.0,
        help="how often the worker polls (default 5)",
    )
    parser.add_argument(
        "--startup-timeout",
        type=positive_float,
        default=90.0,
        help="seconds each component may take (default 90)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from raidlib.lake import Lake

    # The worker's flows and the receiver read these settings too: a bad value is a usage
    # error now, not a receiver that dies after the Prefect server has started.
    settings = settings_from_args(args)
    project_dir = (args.project_dir or project_root()).resolve()
    problem = project_dir_problem(project_dir, deploy=args.deploy)
    if problem:
        print(f"raidlib up: {problem}", file=sys.stderr)
        return 2
    receiver_port = args.receiver_port or settings.receiver_port
    if receiver_port == 0 and not args.no_receiver:
        print(
            "raidlib up: RAIDLIB_RECEIVER_PORT=0 (any free port) does not suit `raidlib up`, "
            "which must know where the receiver listens: set a port from 1 to 65535, or "
            "--receiver-port",
            file=sys.stderr,
        )
        return 2
    config = StackConfig(
        project_dir=project_dir,
        state_dir=args.state_dir,
        host=args.host,
        prefect_port=args.prefect_port,
        receiver_port=receiver_port,
        worker=not args.no_worker,
        receiver=not args.no_receiver,
        deploy=args.deploy,
        lake=str(Path(args.lake).resolve()) if args.lake else None,  # the user's folder, like serve
        worker_poll_s=args.worker_poll_seconds,
        startup_timeout_s=args.startup_timeout,
        # the parts start in the checkout: hand them the settings read here, ./.env included
        extra_env=settings_environment(settings, os.getcwd()),
    )
    if (problem := state_dir_problem(config.resolved_state_dir())) is not None:
        print(f"raidlib up: {problem}", file=sys.stderr)
        return 2
    stack = Stack(config, echo=lambda line: print(line, flush=True))
    if config.receiver:
        # The receiver checks its lake as it starts, but after the Prefect server and the
        # set-up: `up --lake FILE` failed 25 s later, naming the receiver's log. Checked here,
        # where it starts (the checkout), creating nothing: a port may yet be taken.
        roots = lake_roots(stack.child_env(), project_dir)
        lake = Lake.from_settings(
            settings.model_copy(update={f"{k}_root": v for k, v in roots.items()})
        )
        if (status := bronze_unusable(lake, "raidlib up", create=False)) is not None:
            return status
    try:
        stack.start()
    except (StackError, PrefectSetupError) as exc:
        print(f"raidlib up failed: {exc}", file=sys.stderr, flush=True)
        return 1
    print("", flush=True)
    for name, url in stack.urls().items():
        print(f"{name:12s} {url}", flush=True)
    if config.receiver:
        print(f"{'':12s} {auth_line(settings.auth_token, config.host)}", flush=True)
    print(f"{'Lake':12s} {describe_lake(stack.child_env(), project_dir)}", flush=True)
    print(f"{'Logs':12s} {stack.logs_dir}", flush=True)
    print(f"\nexport PREFECT_API_URL={stack.api_url}   # for prefect CLI commands", flush=True)
    print("Ctrl-C stops everything.", flush=True)
    return run_until_stopped(stack)


def lake_roots(child_env: Mapping[str, str], project_dir: Path) -> dict[str, str]:
    """Each layer's root for the receiver and the flow runs, which start in ``project_dir``."""
    return {
        layer: child_env.get(f"RAIDLIB_{layer.upper()}_ROOT") or str(project_dir / "lake" / layer)
        for layer in LAYERS
    }


def describe_lake(child_env: Mapping[str, str], project_dir: Path) -> str:
    """Where the receiver and the flow runs keep the lake: its folder, or each layer's root."""
    roots = lake_roots(child_env, project_dir)
    folders = {os.path.dirname(root) for root in roots.values()}
    if len(folders) == 1 and all(os.path.basename(r) == k for k, r in roots.items()):
        return f"{folders.pop()}  (bronze/ silver/ gold/)"
    return ", ".join(f"{layer} {root}" for layer, root in roots.items())


RESTARTS_ALLOWED = 3
"""How often a worker or receiver that died is started again within :data:`RESTART_WINDOW_S`;
one that keeps dying (a broken install, a lake it cannot write) then stops the stack."""
RESTART_WINDOW_S = 600.0


def run_until_stopped(stack: Stack, poll_s: float = 1.0) -> int:
    """Block until SIGINT/SIGTERM (→ 0) or until the stack cannot go on (→ 1); then stop it."""
    stopping: list[int] = []

    def _on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    previous: Mapping[int, Any] = {
        sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        return supervise(stack, lambda: bool(stopping), poll_s)
    finally:
        # A second Ctrl-C while stopping must not abandon children half-stopped.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def supervise(stack: Stack, stopping: Callable[[], bool], poll_s: float = 1.0) -> int:
    """Watch the components until ``stopping()`` (→ 0); restart a worker or receiver that died,
    up to :data:`RESTARTS_ALLOWED` times in :data:`RESTART_WINDOW_S`. The Prefect server dying,
    a part dying too often, or a restart failing ends the watch (→ 1)."""
    restarted: dict[str, deque[float]] = {}
    while not stopping():
        dead = stack.failed_component()
        if dead is None:
            time.sleep(poll_s)
            continue
        code = dead.process.returncode if dead.process else None
        stack.echo(f"{dead.name} exited unexpectedly (code {code}); see {dead.log_path}")
        if dead.name == "worker":  # their output went to it: they end at their next log line
            stack.echo(
                "  flow runs it had started stop at their next log line (Crashed): run them again"
            )
        now = time.monotonic()
        recent = restarted.setdefault(dead.name, deque())
        while recent and now - recent[0] > RESTART_WINDOW_S:
            recent.popleft()
        if dead.name not in ("worker", "receiver"):
            stack.echo(f"the stack cannot go on without its {dead.name}: stopping everything")
            return 1
        if len(recent) >= RESTARTS_ALLOWED:
            stack.echo(
                f"{dead.name} died {len(recent) + 1} times within {RESTART_WINDOW_S / 60:g} "
                "minutes: stopping everything"
            )
            return 1
        recent.append(now)
        stack.echo(
            f"restarting {dead.name} (restart {len(recent)} of {RESTARTS_ALLOWED} allowed "
            f"within {RESTART_WINDOW_S / 60:g} minutes)"
        )
        try:
            stack.restart(dead, abort=stopping)
        except StackError as exc:  # OSError from starting it comes as a StackError too
            if stopping():
                return 0
            stack.echo(f"{dead.name} could not be restarted: {exc}")
            return 1
    return 0
